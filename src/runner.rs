//! The executor: runs a scenario's replicates (in parallel, with rayon) and
//! reports to observers, as argmin's executor does. The model knows nothing
//! of progress bars or files; observers know nothing of the model's state.
//!
//! Replicates are independent and each has its own streams, so results are
//! identical whatever the thread count; they are returned in replicate order.

use crate::metrics::TickRecord;
use crate::model::Model;
use crate::rng;
use crate::scenario::Scenario;
use rayon::prelude::*;
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

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot start {threads} worker threads: {message}")]
    Threads { threads: usize, message: String },
}

/// Runs replicates `0..replicates` of a scenario.
pub struct Executor<'a> {
    scenario: &'a Scenario,
    replicates: u32,
    threads: usize,
    observers: Vec<&'a dyn Observer>,
}

impl<'a> Executor<'a> {
    pub fn new(scenario: &'a Scenario) -> Executor<'a> {
        Executor {
            scenario,
            replicates: scenario.spec.simulation.replicates,
            threads: 1,
            observers: Vec::new(),
        }
    }

    pub fn replicates(mut self, n: u32) -> Self {
        self.replicates = n;
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

    pub fn run(&self) -> Result<RunResult, RunError> {
        let start = Instant::now();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(self.threads)
            .build()
            .map_err(|e| RunError::Threads {
                threads: self.threads,
                message: e.to_string(),
            })?;
        let threads = pool.current_num_threads();
        let replicates = pool.install(|| {
            (0..self.replicates)
                .into_par_iter()
                .map(|r| {
                    let result = run_replicate(self.scenario, r, &self.observers);
                    for o in &self.observers {
                        o.replicate_done(&result);
                    }
                    result
                })
                .collect()
        });
        Ok(RunResult {
            replicates,
            threads,
            wall_seconds: start.elapsed().as_secs_f64(),
        })
    }
}

/// Estimated peak memory of running `replicates` replicates on `threads`
/// worker threads: one model per busy thread, plus every replicate's
/// records, which are held until the run is written.
pub fn estimated_bytes(scenario: &Scenario, replicates: u32, threads: usize) -> u64 {
    let spec = &scenario.spec;
    let busy = (threads.max(1) as u64).min(replicates.max(1) as u64);
    let per_tick = crate::metrics::observations_per_tick(spec.channels.len(), spec.categories.len())
        as u64
        * std::mem::size_of::<crate::metrics::Observation>() as u64;
    let records = (replicates as u64)
        .saturating_mul(scenario.ticks() as u64)
        .saturating_mul(per_tick);
    busy.saturating_mul(crate::model::footprint::bytes_per_replicate(spec))
        .saturating_add(records)
}

/// Simulate one replicate from tick 0 to the horizon.
pub fn run_replicate(
    scenario: &Scenario,
    replicate: u32,
    observers: &[&dyn Observer],
) -> ReplicateResult {
    let start = Instant::now();
    let mut model = Model::new(scenario, replicate);
    let mut records = Vec::with_capacity(scenario.ticks() as usize);
    let mut decisions = 0;
    for _ in 0..scenario.ticks() {
        let record = model.step();
        decisions += model.flows().decisions;
        for o in observers {
            o.tick_done(replicate, record.tick);
        }
        records.push(record);
    }
    ReplicateResult {
        replicate,
        seed: rng::replicate_seed(scenario.spec.simulation.seed, replicate),
        records,
        decisions,
        seconds: start.elapsed().as_secs_f64(),
    }
}
