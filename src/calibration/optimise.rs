//! Minimising the objective: Nelder–Mead (argmin) from several starts.
//!
//! The optimiser works in the unit cube: coordinate i in [0, 1] is the
//! position of parameter i in its range. A point outside the cube is
//! evaluated at its projection onto the cube plus a steep quadratic
//! penalty, so the simplex is pushed back inside and no out-of-range
//! scenario is ever run (the projection is usually a cached point).
//!
//! Start 0 is the scenario's own values; the others are the first points
//! of a scrambled Sobol sequence (seeded), spread over the box. Starts run
//! in parallel; each start's path depends only on evaluations, which are
//! pure functions of the parameters, so the result does not depend on the
//! thread count or on which evaluations came from the cache.

use super::smm::{
    Calibration, CalibrationError, Evaluation, EvaluationStore, MISSING_MOMENT_PENALTY,
};
use argmin::core::{CostFunction, Error as ArgminError, Executor, State, TerminationReason};
use argmin::solver::neldermead::NelderMead;
use rayon::prelude::*;
use std::cell::RefCell;
use std::sync::atomic::AtomicBool;

/// Penalty per squared unit-cube distance outside the box.
const OUTSIDE_PENALTY: f64 = 1e4;

/// How the search runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub starts: usize,
    /// Evaluations allowed per start (cached ones included).
    pub max_evaluations: usize,
    /// Nelder–Mead stops when the standard deviation of the objective over
    /// the simplex's vertices falls below this.
    pub tolerance: f64,
    /// Size of the initial simplex, as a share of each range.
    pub initial_step: f64,
    /// Scrambles the Sobol start points.
    pub seed: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            starts: 3,
            max_evaluations: 60,
            tolerance: 0.01,
            initial_step: 0.15,
            seed: 0,
        }
    }
}

/// Why a start stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Termination {
    /// The simplex's objective values agree within the tolerance.
    Converged,
    /// The evaluation budget was spent first.
    Budget,
    /// No free parameter: the scenario evaluated as it is.
    NothingFree,
}

impl Termination {
    pub fn as_str(self) -> &'static str {
        match self {
            Termination::Converged => "converged",
            Termination::Budget => "evaluation budget reached",
            Termination::NothingFree => "no free parameter: evaluated as it is",
        }
    }
}

/// One start's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct StartResult {
    pub start: usize,
    /// The starting parameter values.
    pub initial: Vec<f64>,
    pub best: Evaluation,
    pub evaluations: usize,
    pub termination: Termination,
}

/// One row of the objective's history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRow {
    pub start: usize,
    /// 1-based count within the start.
    pub evaluation: usize,
    pub params: Vec<f64>,
    pub objective: f64,
    pub best_so_far: f64,
}

/// The whole search.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    pub starts: Vec<StartResult>,
    /// Index into `starts` of the best start (lowest objective; the first
    /// such start on ties).
    pub best_start: usize,
    pub history: Vec<HistoryRow>,
}

impl Fit {
    pub fn best(&self) -> &Evaluation {
        &self.starts[self.best_start].best
    }
}

/// Told about the search as it goes (progress bars).
pub trait SearchObserver: Sync {
    /// An evaluation finished (`cached`: it came from the store).
    fn evaluation_done(&self, _start: usize, _evaluation: &Evaluation, _cached: bool) {}
    /// A start finished after `used` of its `budget` evaluations.
    fn start_done(&self, _start: usize, _used: usize, _budget: usize) {}
}

/// An observer that ignores everything.
pub struct Silent;
impl SearchObserver for Silent {}

/// The starting points in the unit cube.
pub fn start_points(own: &[f64], calibration: &Calibration, settings: &Settings) -> Vec<Vec<f64>> {
    let k = calibration.free.len();
    let mut points = vec![
        calibration
            .free
            .iter()
            .zip(own)
            .map(|(f, v)| f.position(*v).clamp(0.0, 1.0))
            .collect::<Vec<f64>>(),
    ];
    let scramble = (settings.seed ^ (settings.seed >> 32)) as u32;
    // Sobol point 0 is the box's corner; start from point 1.
    for j in 1..settings.starts as u32 {
        points.push(
            (0..k as u32)
                .map(|d| sobol_burley::sample(j, d % sobol_burley::NUM_DIMENSIONS, scramble) as f64)
                .collect(),
        );
    }
    points.truncate(settings.starts.max(1));
    points
}

/// Minimise the objective from every start; `cancel` is read between ticks
/// of every simulation (then `Cancelled`).
pub fn minimise(
    calibration: &Calibration,
    settings: &Settings,
    store: &dyn EvaluationStore,
    observer: &dyn SearchObserver,
    cancel: &AtomicBool,
) -> Result<Fit, CalibrationError> {
    if calibration.free.is_empty() {
        return evaluate_as_it_is(calibration, store, observer, cancel);
    }
    let own = calibration.own_values()?;
    let points = start_points(&own, calibration, settings);
    let results: Vec<Result<(StartResult, Vec<HistoryRow>), CalibrationError>> = points
        .par_iter()
        .enumerate()
        .map(|(start, u0)| run_start(calibration, settings, store, observer, cancel, start, u0))
        .collect();
    let mut starts = Vec::new();
    let mut history = Vec::new();
    for r in results {
        let (s, h) = r?;
        starts.push(s);
        history.extend(h);
    }
    let best_start = starts
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.best.objective.total_cmp(&b.1.best.objective))
        .map_or(0, |(i, _)| i);
    Ok(Fit {
        starts,
        best_start,
        history,
    })
}

/// Without free parameters there is nothing to search: one evaluation of
/// the scenario, the "fit" of the scenario as it is.
fn evaluate_as_it_is(
    calibration: &Calibration,
    store: &dyn EvaluationStore,
    observer: &dyn SearchObserver,
    cancel: &AtomicBool,
) -> Result<Fit, CalibrationError> {
    let (best, cached) = calibration.evaluate_stored(&[], store, cancel)?;
    observer.evaluation_done(0, &best, cached);
    observer.start_done(0, 1, 1);
    Ok(Fit {
        history: vec![HistoryRow {
            start: 0,
            evaluation: 1,
            params: Vec::new(),
            objective: best.objective,
            best_so_far: best.objective,
        }],
        starts: vec![StartResult {
            start: 0,
            initial: Vec::new(),
            best,
            evaluations: 1,
            termination: Termination::NothingFree,
        }],
        best_start: 0,
    })
}

/// The cost seen by argmin for one start.
struct StartCost<'a> {
    calibration: &'a Calibration,
    store: &'a dyn EvaluationStore,
    observer: &'a dyn SearchObserver,
    cancel: &'a AtomicBool,
    start: usize,
    budget: usize,
    /// Evaluations so far, best first-found, history, the first error.
    log: RefCell<StartLog>,
}

#[derive(Default)]
struct StartLog {
    count: usize,
    best: Option<Evaluation>,
    history: Vec<HistoryRow>,
    error: Option<CalibrationError>,
    /// The budget refused an evaluation argmin asked for.
    refused: bool,
}

impl StartCost<'_> {
    /// The evaluation at unit-cube point `u` (projected into the box).
    fn evaluate(&self, u: &[f64]) -> Result<Evaluation, CalibrationError> {
        let params: Vec<f64> = self
            .calibration
            .free
            .iter()
            .zip(u)
            .map(|(f, x)| f.used(f.at(x.clamp(0.0, 1.0))))
            .collect();
        let (e, cached) = self
            .calibration
            .evaluate_stored(&params, self.store, self.cancel)?;
        self.observer.evaluation_done(self.start, &e, cached);
        Ok(e)
    }
}

impl CostFunction for StartCost<'_> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, u: &Vec<f64>) -> Result<f64, ArgminError> {
        let k = self.calibration.free.len();
        {
            let mut log = self.log.borrow_mut();
            // argmin's Nelder–Mead unwraps the costs of its initial simplex,
            // so those k + 1 points never fail: after an error or with the
            // budget spent they get an infinite cost and the search ends at
            // the next step.
            let initial = log.count < k + 1;
            if log.error.is_some() || log.count >= self.budget.max(k + 1) {
                log.refused = true;
                return if initial {
                    Ok(f64::INFINITY)
                } else {
                    Err(ArgminError::msg("stopped"))
                };
            }
        }
        let outside: f64 = u.iter().map(|x| (x - x.clamp(0.0, 1.0)).powi(2)).sum();
        match self.evaluate(u) {
            Ok(e) => {
                let mut log = self.log.borrow_mut();
                log.count += 1;
                let best = match &log.best {
                    Some(b) if b.objective <= e.objective => b.objective,
                    _ => {
                        log.best = Some(e.clone());
                        e.objective
                    }
                };
                let row = HistoryRow {
                    start: self.start,
                    evaluation: log.count,
                    params: e.params.clone(),
                    objective: e.objective,
                    best_so_far: best,
                };
                log.history.push(row);
                Ok(e.objective + OUTSIDE_PENALTY * outside)
            }
            Err(err) => {
                let mut log = self.log.borrow_mut();
                log.error = Some(err);
                if log.count < k + 1 {
                    Ok(f64::INFINITY)
                } else {
                    Err(ArgminError::msg("stopped"))
                }
            }
        }
    }
}

fn run_start(
    calibration: &Calibration,
    settings: &Settings,
    store: &dyn EvaluationStore,
    observer: &dyn SearchObserver,
    cancel: &AtomicBool,
    start: usize,
    u0: &[f64],
) -> Result<(StartResult, Vec<HistoryRow>), CalibrationError> {
    let k = u0.len();
    // The initial simplex: the start and one step along each axis, towards
    // the inside of the box.
    let mut simplex = vec![u0.to_vec()];
    for i in 0..k {
        let mut v = u0.to_vec();
        v[i] = if v[i] + settings.initial_step <= 1.0 {
            v[i] + settings.initial_step
        } else {
            v[i] - settings.initial_step
        };
        simplex.push(v);
    }
    let cost = StartCost {
        calibration,
        store,
        observer,
        cancel,
        start,
        budget: settings.max_evaluations,
        log: RefCell::new(StartLog::default()),
    };
    let solver = NelderMead::new(simplex)
        .with_sd_tolerance(settings.tolerance)
        .map_err(|e| CalibrationError::Optimiser(e.to_string()))?;
    let outcome = Executor::new(&cost, solver)
        .configure(|state| state.max_iters(settings.max_evaluations as u64))
        .timer(false)
        .run();
    // An error here means the budget ran out inside an iteration.
    let converged = outcome.is_ok_and(|result| {
        result.state().get_termination_reason() == Some(&TerminationReason::SolverConverged)
    });
    let log = cost.log.into_inner();
    if let Some(e) = log.error {
        return Err(e);
    }
    let best = log
        .best
        .ok_or_else(|| CalibrationError::Optimiser(format!("start {start} made no evaluation")))?;
    // A simplex of infeasible points all at the same penalty is flat, not
    // converged.
    let converged = converged && !log.refused && best.objective < MISSING_MOMENT_PENALTY;
    observer.start_done(start, log.count, settings.max_evaluations.max(k + 1));
    let initial = calibration
        .free
        .iter()
        .zip(u0)
        .map(|(f, x)| f.used(f.at(*x)))
        .collect();
    Ok((
        StartResult {
            start,
            initial,
            best,
            evaluations: log.count,
            termination: if converged {
                Termination::Converged
            } else {
                Termination::Budget
            },
        },
        log.history,
    ))
}

impl<'a> CostFunction for &'a StartCost<'a> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, u: &Vec<f64>) -> Result<f64, ArgminError> {
        (*self).cost(u)
    }
}
