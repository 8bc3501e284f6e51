//! The executor: runs a scenario's replicates (in parallel, with rayon) and
//! reports to observers, as argmin's executor does. The model knows nothing
//! of progress bars or files; observers know nothing of the model's state.
//!
//! Replicates are independent and each has its own streams, so results are
//! identical whatever the thread count; they are returned in replicate order.
//!
//! A run can be cancelled from outside (the CLI's signal handler sets an
//! [`AtomicBool`]; the model never knows): the flag is read between ticks, a
//! replicate in flight is dropped and no new one starts. [`Executor::run_each`]
//! hands each finished replicate to a sink as it finishes (the CLI writes it
//! to the checkpoint), so records need not be held until the end, and
//! [`Executor::skip`] leaves out replicates an interrupted run already has.

use crate::metrics::TickRecord;
use crate::model::Model;
use crate::rng;
use crate::scenario::Scenario;
use rayon::prelude::*;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Something that wants to hear how a run is going. Called from worker
/// threads, hence `Sync`.
pub trait Observer: Sync {
    /// A tick of a replicate has been simulated.
    fn tick_done(&self, _replicate: u32, _tick: u32) {}
    /// A replicate has finished.
    fn replicate_done(&self, _result: &ReplicateResult) {}
}

/// The records of one replicate.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplicateResult {
    pub replicate: u32,
    /// The replicate's derived seed (for the manifest).
    pub seed: u64,
    pub records: Vec<TickRecord>,
    /// Simulated purchase decisions (attempts that reached a choice).
    pub decisions: u64,
    /// Seconds spent simulating this replicate.
    pub seconds: f64,
}

/// A whole run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    pub replicates: Vec<ReplicateResult>,
    pub threads: usize,
    pub wall_seconds: f64,
}

impl RunResult {
    pub fn decisions(&self) -> u64 {
        self.replicates.iter().map(|r| r.decisions).sum()
    }

    /// Decisions per second of CPU time spent in the model (per core). With
    /// fewer replicates than threads, a replicate's shopping step runs on
    /// several threads, so its seconds count once per thread it could use
    /// (an upper bound on the core time, so the figure errs low).
    pub fn decisions_per_core_second(&self) -> f64 {
        let replicates = self.replicates.len().max(1) as f64;
        let threads_per_replicate = (self.threads as f64 / replicates).max(1.0);
        let cpu: f64 =
            self.replicates.iter().map(|r| r.seconds).sum::<f64>() * threads_per_replicate;
        if cpu > 0.0 {
            self.decisions() as f64 / cpu
        } else {
            0.0
        }
    }
}

/// What a sink may fail with (writing a finished replicate, say).
pub type SinkError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot start {threads} worker threads: {message}")]
    Threads { threads: usize, message: String },
    /// The cancellation flag was set; `finished` replicates were handed over.
    #[error("the run was cancelled with {} replicates finished", finished.len())]
    Cancelled { finished: Vec<u32> },
    /// Entry outpaced exit until a replicate's sellers no longer fit in
    /// the memory the run was given ([`Executor::seller_limit`]).
    #[error(
        "replicate {replicate} grew to {sellers} simulated sellers by tick {tick} (it started with {initial}), more than fit in memory (about {limit}): entry outpaces exit in this scenario\n  help: lower behaviour.umkm_entry_rate or behaviour.importer_entry_rate, raise the fixed costs, or simulate fewer sellers (a larger simulation.seller_scale)"
    )]
    TooManySellers {
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
    SellerIdsExhausted { replicate: u32, tick: u32 },
    /// The sink refused replicate `replicate`; the run stopped.
    #[error("{source}")]
    Sink {
        replicate: u32,
        #[source]
        source: SinkError,
    },
}

/// How a streamed run ended (see [`Executor::run_each`]).
#[derive(Debug, Clone, PartialEq)]
pub struct RunStats {
    /// Replicates run and handed to the sink, in replicate order.
    pub finished: Vec<u32>,
    /// True when the cancellation flag stopped the run before the end.
    pub cancelled: bool,
    pub threads: usize,
    pub wall_seconds: f64,
}

/// Runs replicates `first..first + replicates` of a scenario (from 0 unless
/// told otherwise).
pub struct Executor<'a> {
    scenario: &'a Scenario,
    first_replicate: u32,
    replicates: u32,
    threads: usize,
    observers: Vec<&'a dyn Observer>,
    /// Sorted and without repeats.
    skip: Vec<u32>,
    cancel: Option<&'a AtomicBool>,
    seller_limit: u64,
}

impl<'a> Executor<'a> {
    pub fn new(scenario: &'a Scenario) -> Executor<'a> {
        Executor {
            scenario,
            first_replicate: 0,
            replicates: scenario.spec.simulation.replicates,
            threads: 1,
            observers: Vec::new(),
            skip: Vec::new(),
            cancel: None,
            seller_limit: u64::MAX,
        }
    }

    /// Stop with [`RunError::TooManySellers`] when a replicate's seller
    /// slots pass `n` (entry outpacing exit would otherwise exhaust memory).
    pub fn seller_limit(mut self, n: u64) -> Self {
        self.seller_limit = n;
        self
    }

    /// Leave out these replicates (already finished by an interrupted run).
    pub fn skip(mut self, done: &[u32]) -> Self {
        // Sorted, for a binary search per replicate.
        self.skip = done.to_vec();
        self.skip.sort_unstable();
        self.skip.dedup();
        self
    }

    /// Stop when `flag` becomes true: checked between ticks.
    pub fn cancel_on(mut self, flag: &'a AtomicBool) -> Self {
        self.cancel = Some(flag);
        self
    }

    pub fn replicates(mut self, n: u32) -> Self {
        self.replicates = n;
        self
    }

    /// Start at replicate `first` (to add replicates to earlier ones, as
    /// `pasar compare --precision` does); replicate r is the same whichever
    /// run computes it.
    pub fn first_replicate(mut self, first: u32) -> Self {
        self.first_replicate = first;
        self
    }

    /// Worker threads (0: one per core).
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = n;
        self
    }

    pub fn observe(mut self, observer: &'a dyn Observer) -> Self {
        self.observers.push(observer);
        self
    }

    /// Run every replicate and return them all, in order. A cancelled run
    /// is an error ([`RunError::Cancelled`]).
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
        replicates.sort_by_key(|r| r.replicate);
        Ok(RunResult {
            replicates,
            threads: stats.threads,
            wall_seconds: stats.wall_seconds,
        })
    }

    /// Run the replicates not skipped and hand each to `sink` as soon as it
    /// finishes (from a worker thread; replicates finish in any order). A
    /// sink error stops the run: replicates in flight are dropped, and the
    /// first error is returned. A cancellation returns `Ok` with
    /// `cancelled` set and the replicates the sink accepted.
    pub fn run_each(
        &self,
        sink: &(dyn Fn(ReplicateResult) -> Result<(), SinkError> + Sync),
    ) -> Result<RunStats, RunError> {
        let start = Instant::now();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(self.threads)
            .build()
            .map_err(|e| RunError::Threads {
                threads: self.threads,
                message: e.to_string(),
            })?;
        let threads = pool.current_num_threads();
        let todo: Vec<u32> = (self.first_replicate
            ..self.first_replicate.saturating_add(self.replicates))
            .filter(|r| self.skip.binary_search(r).is_err())
            .collect();
        let failed = AtomicBool::new(false);
        let stop = || failed.load(Ordering::Relaxed) || self.cancelled();
        let finished = Mutex::new(Vec::new());
        let failure = Mutex::new(None);
        pool.install(|| {
            todo.par_iter().for_each(|&r| {
                if stop() {
                    return;
                }
                let limit = self.seller_limit;
                let result =
                    match run_replicate_within(self.scenario, r, &self.observers, &stop, limit) {
                        Ok(result) => result,
                        Err(Stopped::Cancelled) => return,
                        Err(Stopped::TooManySellers {
                            tick,
                            sellers,
                            initial,
                        }) => {
                            failed.store(true, Ordering::Relaxed);
                            lock(&failure).get_or_insert(RunError::TooManySellers {
                                replicate: r,
                                tick,
                                sellers,
                                initial,
                                limit,
                            });
                            return;
                        }
                        Err(Stopped::SellerIdsExhausted { tick }) => {
                            failed.store(true, Ordering::Relaxed);
                            lock(&failure)
                                .get_or_insert(RunError::SellerIdsExhausted { replicate: r, tick });
                            return;
                        }
                    };
                for o in &self.observers {
                    o.replicate_done(&result);
                }
                match sink(result) {
                    Ok(()) => lock(&finished).push(r),
                    Err(source) => {
                        failed.store(true, Ordering::Relaxed);
                        lock(&failure).get_or_insert(RunError::Sink {
                            replicate: r,
                            source,
                        });
                    }
                }
            })
        });
        if let Some(error) = lock(&failure).take() {
            return Err(error);
        }
        let mut finished = finished.into_inner().unwrap_or_else(|p| p.into_inner());
        finished.sort_unstable();
        Ok(RunStats {
            cancelled: finished.len() < todo.len(),
            finished,
            threads,
            wall_seconds: start.elapsed().as_secs_f64(),
        })
    }

    fn cancelled(&self) -> bool {
        self.cancel.is_some_and(|f| f.load(Ordering::Relaxed))
    }
}

/// A lock that survives a panicking holder (the data are plain lists).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Estimated peak memory of running `replicates` replicates on `threads`
/// worker threads: one model and one replicate's records per busy thread
/// (a finished replicate is handed to the sink and written to disk).
pub fn estimated_bytes(scenario: &Scenario, replicates: u32, threads: usize) -> u64 {
    let spec = &scenario.spec;
    let busy = (threads.max(1) as u64).min(replicates.max(1) as u64);
    let per_tick = crate::metrics::observations_per_tick(spec.channels.len(), spec.categories.len())
        as u64
        * std::mem::size_of::<crate::metrics::Observation>() as u64;
    let records = (scenario.ticks() as u64).saturating_mul(per_tick);
    busy.saturating_mul(crate::model::footprint::bytes_per_replicate(spec).saturating_add(records))
}

/// Simulate one replicate from tick 0 to the horizon.
pub fn run_replicate(
    scenario: &Scenario,
    replicate: u32,
    observers: &[&dyn Observer],
) -> ReplicateResult {
    let never = || false;
    match run_replicate_until(scenario, replicate, observers, &never) {
        Some(result) => result,
        None => unreachable!("a replicate that is never stopped finishes"),
    }
}

/// Simulate one replicate, asking `stop` before every tick; `None` if it
/// said stop before the horizon.
pub fn run_replicate_until(
    scenario: &Scenario,
    replicate: u32,
    observers: &[&dyn Observer],
    stop: &dyn Fn() -> bool,
) -> Option<ReplicateResult> {
    run_replicate_within(scenario, replicate, observers, stop, u64::MAX).ok()
}

/// Why a replicate did not reach the horizon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    Cancelled,
    TooManySellers {
        tick: u32,
        sellers: u64,
        initial: u64,
    },
    SellerIdsExhausted {
        tick: u32,
    },
}

/// Simulate one replicate, asking `stop` before every tick and checking
/// after every tick that its seller slots stay within `seller_limit`.
pub fn run_replicate_within(
    scenario: &Scenario,
    replicate: u32,
    observers: &[&dyn Observer],
    stop: &dyn Fn() -> bool,
    seller_limit: u64,
) -> Result<ReplicateResult, Stopped> {
    let start = Instant::now();
    let mut model = Model::new(scenario, replicate);
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
            o.tick_done(replicate, record.tick);
        }
        records.push(record);
    }
    Ok(ReplicateResult {
        replicate,
        seed: rng::replicate_seed(scenario.spec.simulation.seed, replicate),
        records,
        decisions,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// The most seller slots one replicate may reach when `threads` replicates
/// run at once in `available` bytes: what is left once the consumers, the
/// records and a fifth for everything else are set aside, shared among the
/// threads. Never below the scenario's own estimate.
pub fn seller_limit(scenario: &Scenario, replicates: u32, threads: usize, available: u64) -> u64 {
    let spec = &scenario.spec;
    let nk = spec.channels.len();
    let busy = (threads.max(1) as u64).min(replicates.max(1) as u64);
    let others = estimated_bytes(scenario, replicates, threads);
    let per_seller = crate::model::footprint::bytes_per_seller(nk).max(1);
    let room = (available / 5 * 4).saturating_sub(others) / busy;
    let pop = &spec.population;
    let planned = (pop.umkm.count + pop.importer.count + pop.affiliate.count).saturating_mul(3) / 2;
    planned.saturating_add(room / per_seller)
}
