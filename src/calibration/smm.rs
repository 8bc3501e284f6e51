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
use crate::runner::{Stopped, run_replicate_within};
use crate::scenario::load::{MergedTree, read_tree};
use crate::scenario::{Scenario, ScenarioError};
use crate::sweep::{self, SweepError};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

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
    /// `--set` overrides applied at every evaluation (seed included).
    pub sets: Vec<String>,
    pub free: Vec<FreeParam>,
    pub targets: Targets,
    /// Replicates per evaluation (replicates 0..n, the scenario's seed).
    pub replicates: u32,
    /// Ticks simulated: through the last tick any target reads.
    pub horizon: u32,
    /// Most seller slots a replicate may reach before the point is given
    /// up as infeasible (entry outpacing exit until memory runs out).
    pub seller_limit: u64,
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
        "--free {0}\n  help: write PATH=LOW:HIGH with a numeric scenario parameter, e.g. --free channels.social.affinity=-7:-3"
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
        "--set {0}: calibrated.toml can only carry plain parameter paths (no events[i] or extends)\n  help: put that change in a scenario file that extends the one you fit, and fit that file"
    )]
    IndexedSet(String),
    #[error("the calibration was stopped")]
    Cancelled,
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
        sets: Vec<String>,
        free: Vec<FreeParam>,
        targets: Targets,
        replicates: u32,
    ) -> Result<Calibration, CalibrationError> {
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
            sweep::check_factor(&scenario, &sets, &factor)?;
        }
        if let Some(bad) = sets.iter().find(|s| {
            let key = s.split_once('=').map_or(s.as_str(), |(k, _)| k).trim();
            key.contains('[') || key == "extends"
        }) {
            return Err(CalibrationError::IndexedSet(bad.clone()));
        }
        let own = |source| CalibrationError::Scenario {
            assignments: "its own values".into(),
            source,
        };
        let tree = read_tree(&scenario).map_err(own)?;
        let base = Scenario::from_tree(tree.clone(), &sets).map_err(own)?;
        targets.check(&base).map_err(CalibrationError::Targets)?;
        let horizon = targets
            .targets
            .iter()
            .filter_map(|t| t.moment.last_tick(&base))
            .max()
            .map_or(base.ticks(), |t| t as u32 + 1);
        Ok(Calibration {
            scenario,
            sets,
            free,
            targets,
            replicates,
            horizon,
            seller_limit: u64::MAX,
            tree,
        })
    }

    /// The `--set` overrides of an evaluation at `params`.
    pub fn sets_at(&self, params: &[f64], horizon: u32) -> Vec<String> {
        let mut sets = self.sets.clone();
        sets.push(format!("simulation.ticks={horizon}"));
        sets.extend(self.free.iter().zip(params).map(|(f, v)| f.assignment(*v)));
        sets
    }

    /// The scenario at `params`, run to `horizon` ticks.
    pub fn scenario_at(&self, params: &[f64], horizon: u32) -> Result<Scenario, CalibrationError> {
        let sets = self.sets_at(params, horizon);
        Scenario::from_tree(self.tree.clone(), &sets).map_err(|source| CalibrationError::Scenario {
            assignments: sets[self.sets.len() + 1..].join(", "),
            source,
        })
    }

    /// The unfitted scenario (its own file and `--set`s), from the files
    /// read when the calibration was set up.
    pub fn base(&self) -> Result<Scenario, CalibrationError> {
        Scenario::from_tree(self.tree.clone(), &self.sets).map_err(|source| {
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
        let table = match toml::Value::try_from(&scenario.spec) {
            Ok(toml::Value::Table(t)) => t,
            _ => toml::Table::new(),
        };
        Ok(self
            .free
            .iter()
            .map(|f| {
                let mut value = Some(&toml::Value::Table(table.clone()));
                for part in f.path.split('.') {
                    value = value.and_then(|v| v.get(part));
                }
                match value {
                    Some(toml::Value::Float(x)) => *x,
                    Some(toml::Value::Integer(i)) => *i as f64,
                    _ => f.at(0.5),
                }
            })
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
    /// `stop` turned true before it finished. A point where the scenario
    /// is invalid (a rule between two free parameters, say) or where
    /// sellers outgrow memory is infeasible: it has no moments, so every
    /// fitted target counts as missing.
    pub fn evaluate(
        &self,
        params: &[f64],
        stop: &(dyn Fn() -> bool + Sync),
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
        let panel = match run_panel_within(&scenario, self.replicates, stop, self.seller_limit) {
            Ok(p) => p,
            Err(RunEnd::Cancelled) => return Err(CalibrationError::Cancelled),
            Err(RunEnd::TooManySellers) => return Ok(infeasible()),
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

/// Why replicates did not all finish.
enum RunEnd {
    Cancelled,
    TooManySellers,
}

/// Run replicates 0..n of `scenario` in parallel and gather their series.
pub fn run_panel(
    scenario: &Scenario,
    replicates: u32,
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<Panel, CalibrationError> {
    run_panel_within(scenario, replicates, stop, u64::MAX).map_err(|_| CalibrationError::Cancelled)
}

fn run_panel_within(
    scenario: &Scenario,
    replicates: u32,
    stop: &(dyn Fn() -> bool + Sync),
    seller_limit: u64,
) -> Result<Panel, RunEnd> {
    let results: Vec<_> = (0..replicates)
        .into_par_iter()
        .map(|r| run_replicate_within(scenario, r, &[], stop, seller_limit))
        .collect();
    let mut finished = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Ok(r) => finished.push(r),
            Err(Stopped::Cancelled) => return Err(RunEnd::Cancelled),
            Err(Stopped::TooManySellers { .. } | Stopped::SellerIdsExhausted { .. }) => {
                return Err(RunEnd::TooManySellers);
            }
        }
    }
    Ok(Panel::from_records(
        scenario,
        finished.iter().map(|r| (r.replicate, r.records.as_slice())),
    ))
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
