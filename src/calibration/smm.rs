//! The simulated-method-of-moments objective.
//!
//! An evaluation runs the scenario at one parameter vector for a fixed set
//! of replicates with fixed seeds (common random numbers: every evaluation
//! sees the same draws, so the objective changes with the parameters and
//! not with luck), computes every target's moment per replicate, and sums
//! the squared errors of the replicate means in units of each target's sd:
//!
//!   J(theta) = sum_j ((mean_r m_j(theta, r) - observed_j) / sd_j)^2
//!
//! over the targets that are fitted (a target with `fit = false` is
//! computed and reported, not fitted).
//!
//! Runs stop at the last tick any target reads, since later ticks cannot
//! change a moment (random streams depend on the tick, not the horizon).

use super::targets::Targets;
use crate::analysis::design::{Factor, Levels};
use crate::analysis::panel::Panel;
use crate::runner::{Executor, RunError};
use crate::scenario::load::{MergedTree, read_tree};
use crate::scenario::{Overrides, Scenario, ScenarioError};
use crate::sweep::{self, SweepError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

/// What a fitted target whose moment cannot be computed in any replicate
/// (a zero denominator, or an infeasible point) adds to the objective: far
/// worse than any fit, but finite, so the optimiser can still order such
/// points.
pub const MISSING_MOMENT_PENALTY: f64 = 1e6;

/// A parameter the calibration may move, within its bounds.
#[derive(Debug, Clone, PartialEq)]
pub struct FreeParam {
    pub path: String,
    pub low: f64,
    pub high: f64,
}

impl FreeParam {
    /// `path=low:high`, as `--free` takes it.
    pub fn parse(text: &str) -> Result<FreeParam, CalibrationError> {
        let factor = Factor::parse(text).map_err(|e| CalibrationError::Free(e.to_string()))?;
        match factor.levels {
            Levels::Range { low, high } => Ok(FreeParam {
                path: factor.path,
                low,
                high,
            }),
            Levels::List(_) => Err(CalibrationError::Free(format!(
                "{text}: a free parameter takes a range PATH=LOW:HIGH, not a list"
            ))),
        }
    }

    /// The value at position `u` in [0, 1] of the range.
    pub fn at(&self, u: f64) -> f64 {
        self.low + u * (self.high - self.low)
    }

    /// The position of `value` in the range (0 at low, 1 at high).
    pub fn position(&self, value: f64) -> f64 {
        (value - self.low) / (self.high - self.low)
    }

    /// `path=value` for `--set`, whole numbers for integer parameters.
    pub fn assignment(&self, value: f64) -> String {
        format!("{}={}", self.path, sweep::value_literal(&self.path, value))
    }

    /// The value a run really uses (integers rounded).
    pub fn used(&self, value: f64) -> f64 {
        if sweep::is_integer_path(&self.path) {
            value.round()
        } else {
            value
        }
    }
}

/// Everything that determines the objective.
#[derive(Debug, Clone)]
pub struct Calibration {
    /// The scenario file fitted.
    pub scenario: PathBuf,
    /// Overrides applied at every evaluation (the seed among them).
    pub overrides: Overrides,
    pub free: Vec<FreeParam>,
    pub targets: Targets,
    /// Replicates per evaluation (replicates 0..n, the scenario's seed).
    pub replicates: u32,
    /// Ticks simulated: through the last tick any target reads.
    pub horizon: u32,
    /// The scenario's files, read once: editing them during a calibration
    /// changes nothing in it.
    tree: MergedTree,
}

/// One evaluation of the objective.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Parameter values, in the order of [`Calibration::free`], as used.
    pub params: Vec<f64>,
    /// Per target, its moment in each replicate (NaN stored as null).
    pub moments: Vec<Vec<Option<f64>>>,
    pub objective: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum CalibrationError {
    #[error(
        "free parameter {0}\n  help: write PATH=LOW:HIGH with a numeric scenario parameter, e.g. channels.social.affinity=-7:-3"
    )]
    Free(String),
    #[error(transparent)]
    Sweep(#[from] SweepError),
    #[error("the targets do not fit the scenario")]
    Targets(#[source] ScenarioError),
    #[error("the scenario at {assignments} is not valid")]
    Scenario {
        assignments: String,
        #[source]
        source: ScenarioError,
    },
    #[error(
        "the override `{0}`: calibrated.toml can only carry plain parameter paths (no events[i] or extends)\n  help: put that change in a scenario file that extends the one you fit, and fit that file"
    )]
    IndexedSet(String),
    #[error(
        "target `{target}`: sd = {sd} is so small that its error in sds overflows, so the objective cannot be finite\n  help: give the target a tolerance in the unit of its observed value"
    )]
    InfiniteObjective { target: String, sd: f64 },
    #[error("the calibration was stopped")]
    Cancelled,
    #[error(transparent)]
    Run(RunError),
    #[error("cannot save an evaluation: {0}")]
    Store(String),
    #[error("the optimiser failed: {0}")]
    Optimiser(String),
}

impl Calibration {
    /// Check the free parameters and targets against the scenario and fix
    /// the horizon. `sets` are applied to every evaluation.
    pub fn new(
        scenario: PathBuf,
        overrides: Overrides,
        free: Vec<FreeParam>,
        targets: Targets,
        replicates: u32,
    ) -> Result<Calibration, CalibrationError> {
        let own = |source| CalibrationError::Scenario {
            assignments: "its own values".into(),
            source,
        };
        let tree = read_tree(&scenario).map_err(own)?;
        let set_keys: Vec<&str> = overrides
            .sets
            .iter()
            .map(|s| Overrides::key_of(s))
            .collect();
        for (i, f) in free.iter().enumerate() {
            if free[..i].iter().any(|g| g.path == f.path) {
                return Err(CalibrationError::Free(format!("{} is given twice", f.path)));
            }
            // Of the simulation table only the scales are parameters (how
            // many real sellers and consumers a simulated one stands for);
            // the horizon, seed and replicates are run controls, and events
            // cannot be overridden by a file that extends the scenario.
            let scale = matches!(
                f.path.as_str(),
                "simulation.seller_scale" | "simulation.consumer_scale"
            );
            if f.path.starts_with("events[") || (f.path.starts_with("simulation.") && !scale) {
                return Err(CalibrationError::Free(format!(
                    "{}: only model parameters can be fitted (not events, nor simulation settings other than seller_scale and consumer_scale)",
                    f.path
                )));
            }
            let factor = Factor {
                path: f.path.clone(),
                levels: Levels::Range {
                    low: f.low,
                    high: f.high,
                },
            };
            // A value given for a free parameter is only its first start.
            let mut others = overrides.clone();
            others.sets.retain(|s| Overrides::key_of(s) != f.path);
            sweep::check_factor(&tree, &others, &factor)?;
        }
        if let Some(bad) = set_keys
            .iter()
            .zip(&overrides.sets)
            .find(|(key, _)| key.contains('[') || **key == "extends")
        {
            return Err(CalibrationError::IndexedSet(bad.1.clone()));
        }
        let base = Scenario::from_tree_with(tree.clone(), &overrides).map_err(own)?;
        targets.check(&base).map_err(CalibrationError::Targets)?;
        // A fitted target whose error in sds overflows at any moment near
        // its observed value can never give a finite objective.
        if let Some(t) = targets
            .targets
            .iter()
            .find(|t| t.fitted && !((t.observed.abs() + 1.0) / t.sd).powi(2).is_finite())
        {
            return Err(CalibrationError::InfiniteObjective {
                target: t.moment.id.clone(),
                sd: t.sd,
            });
        }
        let horizon = targets
            .targets
            .iter()
            .filter_map(|t| t.moment.last_tick(&base))
            .max()
            .map_or(base.ticks(), |t| t as u32 + 1);
        Ok(Calibration {
            scenario,
            overrides,
            free,
            targets,
            replicates,
            horizon,
            tree,
        })
    }

    /// The overrides of an evaluation at `params`, run to `horizon` ticks
    /// (a horizon among the overrides gives way to it, and so does a value
    /// given for a free parameter: that value is only the first start).
    pub fn overrides_at(&self, params: &[f64], horizon: u32) -> Overrides {
        let mut overrides = self.overrides.clone();
        overrides.sets.retain(|s| {
            let key = Overrides::key_of(s);
            key != "simulation.ticks" && self.free.iter().all(|f| f.path != key)
        });
        overrides.sets.push(format!("simulation.ticks={horizon}"));
        // The fit cuts runs at its targets' horizon on purpose: what falls
        // after it cannot change a moment.
        overrides.allow_dropped_events = true;
        overrides
            .sets
            .extend(self.free.iter().zip(params).map(|(f, v)| f.assignment(*v)));
        overrides
    }

    /// The scenario at `params`, run to `horizon` ticks.
    pub fn scenario_at(&self, params: &[f64], horizon: u32) -> Result<Scenario, CalibrationError> {
        let overrides = self.overrides_at(params, horizon);
        Scenario::from_tree_with(self.tree.clone(), &overrides).map_err(|source| {
            CalibrationError::Scenario {
                assignments: overrides.sets[overrides.sets.len() - self.free.len()..].join(", "),
                source,
            }
        })
    }

    /// The unfitted scenario (its own file and overrides), from the files
    /// read when the calibration was set up.
    pub fn base(&self) -> Result<Scenario, CalibrationError> {
        Scenario::from_tree_with(self.tree.clone(), &self.overrides).map_err(|source| {
            CalibrationError::Scenario {
                assignments: "its own values".into(),
                source,
            }
        })
    }

    /// The parameter values the unfitted scenario has (its own file and
    /// `--set`s), for the first start.
    pub fn own_values(&self) -> Result<Vec<f64>, CalibrationError> {
        let scenario = self.base()?;
        Ok(self
            .free
            .iter()
            .map(|f| scenario.number_at(&f.path).unwrap_or_else(|| f.at(0.5)))
            .collect())
    }

    /// A fingerprint of everything that determines an evaluation's
    /// moments: pasar's version, the resolved scenario at the lower
    /// bounds, the free parameters, the targets' moments and the
    /// replicates. The evaluation cache is kept under it (its `plan.json`),
    /// so the moments of another calibration are never reused. Observed
    /// values, sds and `fit` flags are left out: the objective is
    /// recomputed from cached moments, so changing them keeps the cache.
    pub fn fingerprint(&self) -> Result<String, CalibrationError> {
        let mut h = Sha256::new();
        h.update(env!("CARGO_PKG_VERSION").as_bytes());
        h.update(self.replicates.to_le_bytes());
        let lows: Vec<f64> = self.free.iter().map(|f| f.low).collect();
        h.update(self.scenario_at(&lows, self.horizon)?.to_toml().as_bytes());
        for f in &self.free {
            h.update(format!("{}={:?}:{:?};", f.path, f.low, f.high).as_bytes());
        }
        for t in &self.targets.targets {
            h.update(format!("{:?}", t.moment).as_bytes());
        }
        Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
    }

    /// Run the evaluation at `params` (values as used); `Cancelled` when
    /// `cancel` turned true before it finished. A point where the scenario
    /// is invalid (a rule between two free parameters, say) or where
    /// sellers outgrow memory is infeasible: it has no moments, so every
    /// fitted target counts as missing.
    pub fn evaluate(
        &self,
        params: &[f64],
        cancel: &AtomicBool,
    ) -> Result<Evaluation, CalibrationError> {
        let infeasible = || {
            let moments = vec![vec![None; self.replicates as usize]; self.targets.targets.len()];
            Evaluation {
                params: params.to_vec(),
                objective: self.objective(&moments),
                moments,
            }
        };
        let scenario = match self.scenario_at(params, self.horizon) {
            Ok(s) => s,
            Err(CalibrationError::Scenario { .. }) => return Ok(infeasible()),
            Err(e) => return Err(e),
        };
        let panel = match run_panel(&scenario, self.replicates, cancel) {
            Ok(p) => p,
            Err(CalibrationError::Run(e)) if e.is_scenario_limit() => return Ok(infeasible()),
            Err(e) => return Err(e),
        };
        let moments: Vec<Vec<Option<f64>>> = self
            .targets
            .targets
            .iter()
            .map(|t| {
                t.moment
                    .values(&scenario, &panel)
                    .into_iter()
                    .map(|v| v.is_finite().then_some(v))
                    .collect()
            })
            .collect();
        let objective = self.objective(&moments);
        Ok(Evaluation {
            params: params.to_vec(),
            moments,
            objective,
        })
    }

    /// The evaluation of `params` from `store`, or simulated and stored;
    /// `true` when it came from the store. The store keeps moments: a
    /// stored evaluation's objective follows the targets as they are now
    /// (an sd or a `fit` flag may have changed).
    pub fn evaluate_stored(
        &self,
        params: &[f64],
        store: &dyn EvaluationStore,
        cancel: &AtomicBool,
    ) -> Result<(Evaluation, bool), CalibrationError> {
        if let Some(mut e) = store.get(params) {
            e.objective = self.objective(&e.moments);
            return Ok((e, true));
        }
        let e = self.evaluate(params, cancel)?;
        store.put(&e)?;
        Ok((e, false))
    }

    /// J from per-replicate moments.
    pub fn objective(&self, moments: &[Vec<Option<f64>>]) -> f64 {
        self.targets
            .targets
            .iter()
            .zip(moments)
            .filter(|(t, _)| t.fitted)
            .map(|(t, values)| match mean(values) {
                Some(m) => ((m - t.observed) / t.sd).powi(2),
                None => MISSING_MOMENT_PENALTY,
            })
            .sum()
    }
}

/// The mean over the replicates that have the moment; `None` when none
/// has it.
pub fn mean(values: &[Option<f64>]) -> Option<f64> {
    let present: Vec<f64> = values.iter().flatten().copied().collect();
    (!present.is_empty()).then(|| present.iter().sum::<f64>() / present.len() as f64)
}

/// Run replicates 0..n of `scenario` on the caller's rayon pool (the
/// executor's guards apply) and gather their series.
pub fn run_panel(
    scenario: &Scenario,
    replicates: u32,
    cancel: &AtomicBool,
) -> Result<Panel, CalibrationError> {
    let result = Executor::empty()
        .add(scenario, 0..replicates)
        .in_current_pool()
        .cancel_on(cancel)
        .run()
        .map_err(|e| match e {
            RunError::Cancelled { .. } => CalibrationError::Cancelled,
            e => CalibrationError::Run(e),
        })?;
    Ok(Panel::from_records(scenario, result.records_of(0)))
}

/// Where evaluations are kept, so a stopped calibration resumes and a
/// point visited twice is simulated once. Keyed by the exact parameter
/// values.
pub trait EvaluationStore: Sync {
    fn get(&self, params: &[f64]) -> Option<Evaluation>;
    fn put(&self, evaluation: &Evaluation) -> Result<(), CalibrationError>;
}

/// The exact bits of a parameter vector, as a map key.
pub fn params_key(params: &[f64]) -> Vec<u64> {
    params.iter().map(|v| v.to_bits()).collect()
}

/// A store in memory only.
#[derive(Debug, Default)]
pub struct MemoryStore {
    map: std::sync::Mutex<std::collections::HashMap<Vec<u64>, Evaluation>>,
}

impl EvaluationStore for MemoryStore {
    fn get(&self, params: &[f64]) -> Option<Evaluation> {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&params_key(params)).cloned()
    }

    fn put(&self, evaluation: &Evaluation) -> Result<(), CalibrationError> {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.insert(params_key(&evaluation.params), evaluation.clone());
        Ok(())
    }
}
