//! The executor: runs (scenario, replicate) tasks in parallel (rayon) and
//! reports to observers, as argmin's executor does. Every command runs its
//! simulations here (`run`, `compare`, `sweep`, `calibrate`, `forecast`),
//! so every one gets the same guards: the memory check before anything is
//! allocated, the seller limit that stops runaway entry, cancellation
//! between ticks, observers that see every record and may fail, and a sink
//! that takes each finished replicate.
//!
//! The model knows nothing of progress bars or files; observers know
//! nothing of the model's state. Replicates are independent and each has
//! its own random streams, so results are identical whatever the thread
//! count or the order tasks finish in.

use crate::metrics::TickRecord;
use crate::model::Model;
use crate::resources;
use crate::scenario::Scenario;
use rayon::prelude::*;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// What an observer or a sink may fail with (a full disk, say).
pub type SinkError = Box<dyn std::error::Error + Send + Sync>;

/// One unit of work: replicate `replicate` of the executor's scenario
/// number `scenario` (in the order they were added).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Task {
    pub scenario: usize,
    pub replicate: u32,
}

/// Something that wants to hear how a run is going: a progress bar, a
/// trace, a check. Called from worker threads, hence `Sync`; an error
/// stops the run.
pub trait Observer: Sync {
    /// A tick of a task has been simulated; `record` is what it recorded.
    fn tick_done(&self, _task: Task, _record: &TickRecord) -> Result<(), SinkError> {
        Ok(())
    }
    /// A task has finished.
    fn replicate_done(&self, _result: &ReplicateResult) -> Result<(), SinkError> {
        Ok(())
    }
}

/// The records of one finished task.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplicateResult {
    /// Which of the executor's scenarios.
    pub scenario: usize,
    pub replicate: u32,
    /// The replicate's derived seed (for the manifest).
    pub seed: u64,
    pub records: Vec<TickRecord>,
    /// Simulated purchase decisions (attempts that reached a choice).
    pub decisions: u64,
    /// Wall-clock seconds spent simulating this replicate.
    pub seconds: f64,
}

/// A whole run, its replicates in task order.
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    pub replicates: Vec<ReplicateResult>,
    pub threads: usize,
    pub wall_seconds: f64,
    /// CPU seconds of the whole process while the run went on (every
    /// thread), where the platform reports it.
    pub cpu_seconds: Option<f64>,
}

impl RunResult {
    /// Each replicate of the executor's scenario `scenario` (its index in
    /// the order the scenarios were added) with its records, in task
    /// order: what a [`crate::analysis::Panel`] is built from.
    pub fn records_of(&self, scenario: usize) -> impl Iterator<Item = (u32, &[TickRecord])> {
        self.replicates
            .iter()
            .filter(move |r| r.scenario == scenario)
            .map(|r| (r.replicate, r.records.as_slice()))
    }

    pub fn decisions(&self) -> u64 {
        self.replicates.iter().map(|r| r.decisions).sum()
    }

    /// Decisions per CPU-second (per core): from the CPU time the process
    /// really used, so the figure stays true on a busy machine; `None`
    /// where CPU time cannot be read.
    pub fn decisions_per_core_second(&self) -> Option<f64> {
        self.cpu_seconds
            .filter(|&c| c > 0.0)
            .map(|c| self.decisions() as f64 / c)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot start {threads} worker threads: {message}")]
    Threads { threads: usize, message: String },
    /// The run would not fit in memory: refused before anything was
    /// allocated.
    #[error(
        "the simulation needs about {needed_gib:.1} GiB of memory ({replicates} replicates on {threads} threads at once) but {available_gib:.1} GiB is available ({limited_by})\n  help: simulate a sample: divide every population count by {factor} and multiply simulation.seller_scale and simulation.consumer_scale by {factor}, or run on fewer threads",
        needed_gib = gib(*needed),
        available_gib = gib(*available)
    )]
    TooLarge {
        needed: u64,
        available: u64,
        limited_by: &'static str,
        replicates: usize,
        threads: usize,
        factor: u64,
    },
    /// The cancellation flag was set; `finished` tasks were handed over.
    #[error("the run was cancelled with {} replicates finished", finished.len())]
    Cancelled { finished: Vec<Task> },
    /// Entry outpaced exit until a replicate's sellers no longer fit in
    /// the memory the run was given.
    #[error(
        "replicate {replicate} grew to {sellers} simulated sellers by tick {tick} (it started with {initial}), more than fit in memory (about {limit}): entry outpaces exit in this scenario\n  help: lower behaviour.umkm_entry_rate or behaviour.importer_entry_rate, raise the fixed costs, or simulate fewer sellers (a larger simulation.seller_scale)"
    )]
    TooManySellers {
        task: Task,
        replicate: u32,
        tick: u32,
        sellers: u64,
        initial: u64,
        limit: u64,
    },
    /// A replicate created more sellers than there are seller ids
    /// ([`crate::model::sellers::Sellers::MAX_IDS`]), so random streams would repeat.
    #[error(
        "replicate {replicate} created more than {} sellers by tick {tick} (entrants replace those that exit, and each takes a new id): its random streams would start to repeat\n  help: lower behaviour.umkm_entry_rate or behaviour.importer_entry_rate, shorten simulation.ticks, or simulate fewer sellers (a larger simulation.seller_scale)",
        crate::model::sellers::Sellers::MAX_IDS
    )]
    SellerIdsExhausted {
        task: Task,
        replicate: u32,
        tick: u32,
    },
    /// An observer or the sink refused a task's results; the run stopped.
    #[error("{source}")]
    Sink {
        task: Task,
        #[source]
        source: SinkError,
    },
}

impl RunError {
    /// Whether the scenario itself is to blame (it cannot run here), as
    /// opposed to the machine or the output.
    pub fn is_scenario_limit(&self) -> bool {
        matches!(
            self,
            RunError::TooLarge { .. }
                | RunError::TooManySellers { .. }
                | RunError::SellerIdsExhausted { .. }
        )
    }
}

fn gib(bytes: u64) -> f64 {
    bytes as f64 / (1u64 << 30) as f64
}

/// How a streamed run ended (see [`Executor::run_each`]).
#[derive(Debug, Clone, PartialEq)]
pub struct RunStats {
    /// Tasks run and handed to the sink, in task order.
    pub finished: Vec<Task>,
    /// True when the cancellation flag stopped the run before the end.
    pub cancelled: bool,
    pub threads: usize,
    pub wall_seconds: f64,
    pub cpu_seconds: Option<f64>,
}

/// Where the executor's worker threads come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Threads {
    /// A pool of its own with this many threads (0: one per core).
    Pool(usize),
    /// The caller's rayon pool (a calibration runs evaluations in parallel
    /// and each evaluation's replicates inside them).
    Current,
}

/// Most seller slots a replicate may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SellerLimit {
    /// From the memory available and the busy threads.
    FromMemory,
    Fixed(u64),
}

/// Runs tasks: replicates of one or more scenarios.
pub struct Executor<'a> {
    scenarios: Vec<&'a Scenario>,
    tasks: Vec<Task>,
    threads: Threads,
    observers: Vec<&'a dyn Observer>,
    cancel: Option<&'a AtomicBool>,
    seller_limit: SellerLimit,
    /// Bytes available; `None`: ask the machine.
    memory: Option<resources::Memory>,
}

impl<'a> Executor<'a> {
    /// Every replicate (`simulation.replicates`) of `scenario`.
    pub fn new(scenario: &'a Scenario) -> Executor<'a> {
        Executor::empty().add(scenario, 0..scenario.spec.simulation.replicates)
    }

    /// No task yet: see [`Executor::add`].
    pub fn empty() -> Executor<'a> {
        Executor {
            scenarios: Vec::new(),
            tasks: Vec::new(),
            threads: Threads::Pool(1),
            observers: Vec::new(),
            cancel: None,
            seller_limit: SellerLimit::FromMemory,
            memory: None,
        }
    }

    /// Add replicates `replicates` of `scenario` (replicate r is the same
    /// whichever run computes it, so batches can be added to earlier ones).
    pub fn add(
        mut self,
        scenario: &'a Scenario,
        replicates: impl IntoIterator<Item = u32>,
    ) -> Self {
        let index = self.scenarios.len();
        self.scenarios.push(scenario);
        self.tasks
            .extend(replicates.into_iter().map(|replicate| Task {
                scenario: index,
                replicate,
            }));
        self
    }

    /// Run replicates `0..n` of the first scenario instead.
    pub fn replicates(mut self, n: u32) -> Self {
        self.tasks = (0..n)
            .map(|replicate| Task {
                scenario: 0,
                replicate,
            })
            .collect();
        self
    }

    /// Leave out these replicates (already finished by an interrupted run).
    pub fn skip(mut self, done: &[u32]) -> Self {
        self.tasks.retain(|t| !done.contains(&t.replicate));
        self
    }

    /// Stop when `flag` becomes true: checked between ticks.
    pub fn cancel_on(mut self, flag: &'a AtomicBool) -> Self {
        self.cancel = Some(flag);
        self
    }

    /// Worker threads of a pool of the executor's own (0: one per core).
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = Threads::Pool(n);
        self
    }

    /// Run on the caller's rayon pool rather than a pool of its own.
    pub fn in_current_pool(mut self) -> Self {
        self.threads = Threads::Current;
        self
    }

    pub fn observe(mut self, observer: &'a dyn Observer) -> Self {
        self.observers.push(observer);
        self
    }

    /// Stop with [`RunError::TooManySellers`] when a replicate's seller
    /// slots pass `n` (instead of the limit the memory sets).
    pub fn seller_limit(mut self, n: u64) -> Self {
        self.seller_limit = SellerLimit::Fixed(n);
        self
    }

    /// Plan with this much memory rather than what the machine reports.
    pub fn memory(mut self, memory: resources::Memory) -> Self {
        self.memory = Some(memory);
        self
    }

    /// The tasks, in order.
    pub fn tasks(&self) -> &[Task] {
        &self.tasks
    }

    /// Threads the run will use.
    pub fn thread_count(&self) -> usize {
        match self.threads {
            Threads::Pool(0) | Threads::Current => rayon::current_num_threads(),
            Threads::Pool(n) => n,
        }
    }

    /// Replicates simulated at once: one per busy thread.
    fn busy(&self) -> usize {
        self.thread_count().min(self.tasks.len()).max(1)
    }

    fn available_memory(&self) -> resources::Memory {
        self.memory.unwrap_or_else(resources::Memory::detect)
    }

    /// Refuse, before anything is allocated, a run whose models cannot fit
    /// in the memory available (the largest scenario on every busy thread).
    pub fn check(&self) -> Result<(), RunError> {
        let memory = self.available_memory();
        let Some(available) = memory.available else {
            return Ok(());
        };
        let busy = self.busy();
        let needed = self
            .scenarios
            .iter()
            .map(|s| estimated_bytes(s, busy as u32, busy))
            .max()
            .unwrap_or(0);
        if needed <= available {
            return Ok(());
        }
        Err(RunError::TooLarge {
            needed,
            available,
            limited_by: memory.limited_by,
            replicates: self.tasks.len(),
            threads: busy,
            factor: (needed as f64 / (0.8 * available as f64)).ceil().max(2.0) as u64,
        })
    }

    /// Run every task and return the results in task order. A cancelled
    /// run is an error ([`RunError::Cancelled`]).
    pub fn run(&self) -> Result<RunResult, RunError> {
        let done = Mutex::new(Vec::new());
        let stats = self.run_each(&|result| {
            lock(&done).push(result);
            Ok(())
        })?;
        if stats.cancelled {
            return Err(RunError::Cancelled {
                finished: stats.finished,
            });
        }
        let mut replicates = done.into_inner().unwrap_or_else(|p| p.into_inner());
        replicates.sort_by_key(|r| (r.scenario, r.replicate));
        Ok(RunResult {
            replicates,
            threads: stats.threads,
            wall_seconds: stats.wall_seconds,
            cpu_seconds: stats.cpu_seconds,
        })
    }

    /// Run the tasks and hand each result to `sink` as soon as it finishes
    /// (from a worker thread; tasks finish in any order). An observer's or
    /// the sink's error stops the run: tasks in flight are dropped, and the
    /// first error is returned. A cancellation returns `Ok` with
    /// `cancelled` set and the tasks the sink accepted.
    pub fn run_each(
        &self,
        sink: &(dyn Fn(ReplicateResult) -> Result<(), SinkError> + Sync),
    ) -> Result<RunStats, RunError> {
        self.check()?;
        let start = Instant::now();
        let cpu_start = resources::process_cpu_seconds();
        let limits: Vec<u64> = match self.seller_limit {
            SellerLimit::Fixed(n) => vec![n; self.scenarios.len()],
            SellerLimit::FromMemory => {
                let available = self.available_memory().available;
                self.scenarios
                    .iter()
                    .map(|s| available.map_or(u64::MAX, |a| seller_limit(s, self.busy(), a)))
                    .collect()
            }
        };
        let failed = AtomicBool::new(false);
        let stop = || failed.load(Ordering::Relaxed) || self.cancelled();
        let finished = Mutex::new(Vec::new());
        let failure = Mutex::new(None);
        let fail = |error: RunError| {
            failed.store(true, Ordering::Relaxed);
            lock(&failure).get_or_insert(error);
        };
        let work = || {
            self.tasks.par_iter().for_each(|&task| {
                if stop() {
                    return;
                }
                let scenario = self.scenarios[task.scenario];
                let limit = limits[task.scenario];
                let result = match simulate(scenario, task, &self.observers, &stop, limit) {
                    Ok(result) => result,
                    Err(Stopped::Cancelled) => return,
                    Err(Stopped::Observer(source)) => return fail(RunError::Sink { task, source }),
                    Err(Stopped::TooManySellers {
                        tick,
                        sellers,
                        initial,
                    }) => {
                        return fail(RunError::TooManySellers {
                            task,
                            replicate: task.replicate,
                            tick,
                            sellers,
                            initial,
                            limit,
                        });
                    }
                    Err(Stopped::SellerIdsExhausted { tick }) => {
                        return fail(RunError::SellerIdsExhausted {
                            task,
                            replicate: task.replicate,
                            tick,
                        });
                    }
                };
                for o in &self.observers {
                    if let Err(source) = o.replicate_done(&result) {
                        return fail(RunError::Sink { task, source });
                    }
                }
                match sink(result) {
                    Ok(()) => lock(&finished).push(task),
                    Err(source) => fail(RunError::Sink { task, source }),
                }
            })
        };
        let threads = match self.threads {
            Threads::Current => {
                work();
                rayon::current_num_threads()
            }
            Threads::Pool(n) => {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .build()
                    .map_err(|e| RunError::Threads {
                        threads: n,
                        message: e.to_string(),
                    })?;
                pool.install(work);
                pool.current_num_threads()
            }
        };
        if let Some(error) = lock(&failure).take() {
            return Err(error);
        }
        let mut finished = finished.into_inner().unwrap_or_else(|p| p.into_inner());
        finished.sort_unstable();
        let cpu_seconds = cpu_start
            .zip(resources::process_cpu_seconds())
            .map(|(a, b)| b - a);
        Ok(RunStats {
            cancelled: finished.len() < self.tasks.len(),
            finished,
            threads,
            wall_seconds: start.elapsed().as_secs_f64(),
            cpu_seconds,
        })
    }

    fn cancelled(&self) -> bool {
        self.cancel.is_some_and(|f| f.load(Ordering::Relaxed))
    }
}

/// A lock that survives a panicking holder (the data are plain lists).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Estimated peak memory of running `replicates` replicates on `threads`
/// worker threads: one model and one replicate's records per busy thread
/// (a finished replicate is handed to the sink).
pub fn estimated_bytes(scenario: &Scenario, replicates: u32, threads: usize) -> u64 {
    let spec = &scenario.spec;
    let busy = (threads.max(1) as u64).min(replicates.max(1) as u64);
    let names = crate::metrics::GroupNames::of_spec(spec);
    let per_tick = crate::metrics::observations_per_tick(&names) as u64
        * std::mem::size_of::<crate::metrics::Observation>() as u64;
    let records = (scenario.ticks() as u64).saturating_mul(per_tick);
    busy.saturating_mul(crate::model::footprint::bytes_per_replicate(spec).saturating_add(records))
}

/// Simulate replicate `replicate` of `scenario` from tick 0 to the horizon,
/// with no observer, seller limit or cancellation (tests, benchmarks).
pub fn run_replicate(scenario: &Scenario, replicate: u32) -> Result<ReplicateResult, RunError> {
    let task = Task {
        scenario: 0,
        replicate,
    };
    simulate(scenario, task, &[], &|| false, u64::MAX).map_err(|stopped| match stopped {
        Stopped::SellerIdsExhausted { tick } => RunError::SellerIdsExhausted {
            task,
            replicate,
            tick,
        },
        // Nothing else can stop a replicate without observers, limit or flag.
        other => RunError::Sink {
            task,
            source: format!("replicate {replicate} stopped: {other:?}").into(),
        },
    })
}

/// Why a replicate did not reach the horizon.
#[derive(Debug)]
enum Stopped {
    Cancelled,
    Observer(SinkError),
    TooManySellers {
        tick: u32,
        sellers: u64,
        initial: u64,
    },
    SellerIdsExhausted {
        tick: u32,
    },
}

/// Simulate one task, asking `stop` before every tick and checking after
/// every tick that its seller slots stay within `seller_limit`.
fn simulate(
    scenario: &Scenario,
    task: Task,
    observers: &[&dyn Observer],
    stop: &dyn Fn() -> bool,
    seller_limit: u64,
) -> Result<ReplicateResult, Stopped> {
    let start = Instant::now();
    let mut model = Model::new(scenario, task.replicate);
    let initial = model.sellers().len() as u64;
    let mut records = Vec::with_capacity(scenario.ticks() as usize);
    let mut decisions = 0;
    for _ in 0..scenario.ticks() {
        if stop() {
            return Err(Stopped::Cancelled);
        }
        let record = model.step();
        decisions += model.flows().decisions;
        if model.sellers().ids_exhausted() {
            return Err(Stopped::SellerIdsExhausted { tick: record.tick });
        }
        let sellers = model.sellers().len() as u64;
        if sellers > seller_limit {
            return Err(Stopped::TooManySellers {
                tick: record.tick,
                sellers,
                initial,
            });
        }
        for o in observers {
            o.tick_done(task, &record).map_err(Stopped::Observer)?;
        }
        records.push(record);
    }
    Ok(ReplicateResult {
        scenario: task.scenario,
        replicate: task.replicate,
        seed: scenario.replicate_seed(task.replicate),
        records,
        decisions,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// The most seller slots one replicate may reach when `busy` replicates
/// run at once in `available` bytes: what is left once the consumers, the
/// records and a fifth for everything else are set aside, shared among the
/// threads. Never below the scenario's own estimate.
pub fn seller_limit(scenario: &Scenario, busy: usize, available: u64) -> u64 {
    let spec = &scenario.spec;
    let busy = busy.max(1) as u64;
    let others = estimated_bytes(scenario, busy as u32, busy as usize);
    let per_seller = crate::model::footprint::bytes_per_seller(spec).max(1);
    let room = (available / 5 * 4).saturating_sub(others) / busy;
    let pop = &spec.population;
    let planned = (pop.umkm.count + pop.importer.count + pop.affiliate.count).saturating_mul(3) / 2;
    planned.saturating_add(room / per_seller)
}
