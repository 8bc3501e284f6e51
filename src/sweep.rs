//! Sweeps: one scenario run at every row of a design, each row for several
//! replicates, reduced to summary indicators per output series.
//!
//! A sweep is a list of tasks (sample, replicate), numbered sample by sample.
//! A task's result depends only on the scenario, the row and the replicate,
//! never on where or with what else it ran, so tasks can be split into
//! shards (`task % shards == shard`), run on different machines, resumed
//! after a stop, and merged into output identical to a run on one machine.

use crate::analysis::design::{Design, DesignError, DesignKind, Factor};
use crate::analysis::effects::range_mean;
use crate::analysis::panel::{Panel, SeriesKey};
use crate::analysis::sensitivity::{MorrisIndex, SobolIndex, morris_indices, sobol_indices};
use crate::analysis::summary::{all_series, headline_series, last_13_weeks, last_tick};
use crate::scenario::error::did_you_mean;
use crate::scenario::load::{MergedTree, read_tree};
use crate::scenario::params;
use crate::scenario::{Overrides, Scenario, ScenarioError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// Everything that determines a sweep's numbers.
#[derive(Debug, Clone)]
pub struct SweepSpec {
    /// The scenario file swept over.
    pub scenario: PathBuf,
    /// Overrides applied to every sample (the seed among them).
    pub overrides: Overrides,
    pub design: Design,
    pub replicates: u32,
    /// The scenario's files, read once.
    tree: MergedTree,
}

/// One run of the sweep: design row `sample`, replicate `replicate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Task {
    pub sample: u32,
    pub replicate: u32,
}

/// Which summary of a series an indicator is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Summary {
    LastTick,
    Last13Weeks,
}

/// A summary indicator: one column of `sweep.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    /// Column name, e.g. `gmv_share_channel_social_last13w`.
    pub name: String,
    pub key: SeriesKey,
    pub summary: Summary,
    /// One of the headline series (shown in the report).
    pub headline: bool,
}

/// A task's indicators, in the order of [`indicators`] (NaN where the
/// series recorded nothing in the window; stored as `null`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskResult {
    pub task: Task,
    #[serde(with = "nan_as_null")]
    pub values: Vec<f64>,
}

/// JSON has no NaN: store a missing indicator as `null`.
mod nan_as_null {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(values: &[f64], s: S) -> Result<S::Ok, S::Error> {
        let v: Vec<Option<f64>> = values.iter().map(|x| x.is_finite().then_some(*x)).collect();
        v.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        let v: Vec<Option<f64>> = Vec::deserialize(d)?;
        Ok(v.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect())
    }
}

/// A sweep as the user specified it: what stores and part folders record,
/// and what rebuilds the [`SweepSpec`] anywhere.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepPlan {
    /// The scenario file (absolute path).
    pub scenario: PathBuf,
    /// `key.path=value` overrides for every sample.
    pub sets: Vec<String>,
    /// Varied factors, as written (`PATH=LOW:HIGH` or `PATH=A,B,C`).
    pub vary: Vec<String>,
    /// `grid:N`, `lhs:N`, `morris:R`, `sobol:N`, or `samples`.
    pub design: String,
    /// The text of the samples file, when the design was read from one.
    pub samples_csv: Option<String>,
    pub replicates: u32,
    pub seed: u64,
    /// Run even if the overrides' horizon drops events the files define.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_dropped_events: bool,
}

impl SweepPlan {
    /// Read the scenario, check the factors and build the design: every
    /// sample's scenario is valid before anything runs.
    pub fn build(&self) -> Result<SweepSpec, SweepError> {
        if self.replicates == 0 {
            return Err(SweepError::NoReplicates);
        }
        let overrides = Overrides {
            sets: self.sets.clone(),
            seed: Some(self.seed),
            replicates: None,
            allow_dropped_events: self.allow_dropped_events,
        };
        let tree = read_tree(&self.scenario).map_err(SweepError::Scenario)?;
        // A varied argument of an event the horizon drops would vary
        // nothing: every sensitivity to it would be exactly zero.
        let base =
            Scenario::from_tree_with(tree.clone(), &overrides).map_err(SweepError::Scenario)?;
        let mut design = match &self.samples_csv {
            Some(text) => samples_design(text)?,
            None => {
                let kind = DesignKind::parse(&self.design)?;
                let factors = self
                    .vary
                    .iter()
                    .map(|v| Factor::parse(v))
                    .collect::<Result<Vec<_>, _>>()?;
                Design::generate(kind, factors, self.seed)?
            }
        };
        let set_keys: Vec<&str> = self.sets.iter().map(|s| Overrides::key_of(s)).collect();
        for (i, factor) in design.factors.iter().enumerate() {
            if design.factors[..i].iter().any(|f| f.path == factor.path) {
                return Err(SweepError::Twice {
                    path: factor.path.clone(),
                });
            }
            if set_keys.contains(&factor.path.as_str()) {
                return Err(SweepError::SetAndVaried {
                    path: factor.path.clone(),
                });
            }
            if let Some(dropped) = base
                .dropped_events
                .iter()
                .find(|d| factor.path.starts_with(&format!("{}.", d.key)))
            {
                return Err(SweepError::DroppedEvent {
                    path: factor.path.clone(),
                    event: dropped.to_string(),
                });
            }
            check_factor(&tree, &overrides, factor)?;
        }
        // Whole-number parameters run at rounded values: the design says so.
        for (j, factor) in design.factors.iter().enumerate() {
            if is_integer_path(&factor.path) {
                for row in &mut design.rows {
                    row[j] = row[j].round();
                }
            }
        }
        Ok(SweepSpec {
            scenario: self.scenario.clone(),
            overrides,
            design,
            replicates: self.replicates,
            tree,
        })
    }
}

/// A design matrix from CSV text: a header of parameter paths (an optional
/// first column `sample` is ignored), one row per sample.
fn samples_design(text: &str) -> Result<Design, SweepError> {
    let bad = |line: usize, message: String| SweepError::Samples { line, message };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| bad(1, e.to_string()))?
        .iter()
        .map(str::to_string)
        .collect();
    let skip = usize::from(
        header
            .first()
            .is_some_and(|h| h == "sample" || h.is_empty()),
    );
    let paths: Vec<String> = header[skip..].to_vec();
    if paths.is_empty() {
        return Err(bad(1, "the header names no parameter".into()));
    }
    if let Some(dup) = paths
        .iter()
        .enumerate()
        .find(|(i, p)| paths[..*i].contains(p))
    {
        return Err(bad(1, format!("`{}` appears twice in the header", dup.1)));
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| bad(line, e.to_string()))?;
        if record.len() != header.len() {
            return Err(bad(
                line,
                format!(
                    "{} fields, but the header has {}",
                    record.len(),
                    header.len()
                ),
            ));
        }
        let row = record
            .iter()
            .skip(skip)
            .zip(&paths)
            .map(|(field, path)| match field.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(v),
                _ => Err(bad(
                    line,
                    format!("{path}: `{field}` is not a finite number"),
                )),
            })
            .collect::<Result<Vec<f64>, _>>()?;
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(bad(
            2,
            "no samples: add one row per run below the header".into(),
        ));
    }
    Ok(Design::from_rows(paths, rows))
}

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error(transparent)]
    Design(#[from] DesignError),
    #[error("the scenario swept over is not valid")]
    Scenario(#[source] ScenarioError),
    #[error(
        "`{path}` is not a numeric scenario parameter{suggestion}\n  help: vary a path listed in docs/ODD.md, as in scenario files and overrides, or an event's number such as events[1].bonus"
    )]
    UnknownParameter { path: String, suggestion: String },
    #[error("`{path}` is varied twice\n  help: give each parameter one range or list")]
    Twice { path: String },
    #[error("`{path}` is both varied and set to one value\n  help: vary it, or set it, not both")]
    SetAndVaried { path: String },
    #[error("a sweep needs at least one replicate of each sample")]
    NoReplicates,
    #[error(
        "`{path}` belongs to an event this run never applies: {event}\n  help: lengthen the run so that the event falls inside it, or vary another parameter"
    )]
    DroppedEvent { path: String, event: String },
    #[error("{path} = {value} is not a valid value")]
    Range {
        path: String,
        value: f64,
        #[source]
        source: ScenarioError,
    },
    #[error("the samples file, line {line}: {message}")]
    Samples { line: usize, message: String },
    #[error("sample {sample} ({assignments}) is not a valid scenario")]
    Sample {
        sample: u32,
        assignments: String,
        #[source]
        source: ScenarioError,
    },
    #[error("shard `{0}` is not of the form I/N with 0 <= I < N (e.g. 3/16)")]
    Shard(String),
}

impl SweepSpec {
    /// All tasks, sample by sample.
    pub fn tasks(&self) -> Vec<Task> {
        (0..self.design.len() as u32)
            .flat_map(|sample| {
                (0..self.replicates).map(move |replicate| Task { sample, replicate })
            })
            .collect()
    }

    /// The overrides of design row `sample`.
    pub fn sample_overrides(&self, sample: u32) -> Overrides {
        let mut overrides = self.overrides.clone();
        let row = &self.design.rows[sample as usize];
        for (factor, value) in self.design.factors.iter().zip(row) {
            overrides.sets.push(format!(
                "{}={}",
                factor.path,
                value_literal(&factor.path, *value)
            ));
        }
        overrides
    }

    /// The scenario of design row `sample`.
    pub fn scenario_of(&self, sample: u32) -> Result<Scenario, SweepError> {
        let overrides = self.sample_overrides(sample);
        Scenario::from_tree_with(self.tree.clone(), &overrides).map_err(|source| {
            SweepError::Sample {
                sample,
                assignments: overrides.sets[self.overrides.sets.len()..].join(", "),
                source,
            }
        })
    }

    /// Every sample's scenario, in design order.
    pub fn scenarios(&self) -> Result<Vec<Scenario>, SweepError> {
        (0..self.design.len() as u32)
            .map(|s| self.scenario_of(s))
            .collect()
    }

    /// A fingerprint of everything that determines the results: the
    /// resolved scenario of every row, the replicates and pasar's version.
    /// Stores and part folders carry it, so results of another sweep are
    /// never mixed in.
    pub fn fingerprint(&self, scenarios: &[Scenario]) -> String {
        let mut h = Sha256::new();
        h.update(env!("CARGO_PKG_VERSION").as_bytes());
        h.update(self.replicates.to_le_bytes());
        h.update(self.design.kind.spec().as_bytes());
        for s in scenarios {
            h.update(s.to_toml().as_bytes());
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Check that a factor is a numeric parameter of the scenario (`tree` with
/// `overrides` applied) and that the scenario is valid at its extremes.
pub fn check_factor(
    tree: &MergedTree,
    overrides: &Overrides,
    factor: &Factor,
) -> Result<(), SweepError> {
    if !is_numeric_path(&factor.path) {
        let paths: Vec<String> = params::PARAMS.iter().map(|p| p.path.to_string()).collect();
        let suggestion = did_you_mean(
            &params::generic_path(&factor.path),
            paths.iter().map(String::as_str),
        )
        .map(|s| format!(" (did you mean {s}?)"))
        .unwrap_or_default();
        return Err(SweepError::UnknownParameter {
            path: factor.path.clone(),
            suggestion,
        });
    }
    for value in factor.extremes() {
        let mut with = overrides.clone();
        with.sets.push(format!(
            "{}={}",
            factor.path,
            value_literal(&factor.path, value)
        ));
        Scenario::from_tree_with(tree.clone(), &with).map_err(|source| SweepError::Range {
            path: factor.path.clone(),
            value,
            source,
        })?;
    }
    Ok(())
}

/// `events[1].bonus` → whether `bonus` is a numeric lever argument, and
/// whether it takes whole numbers (from the lever registry).
fn event_number(path: &str) -> Option<bool> {
    let rest = path.strip_prefix("events[")?;
    let (index, field) = rest.split_once("].")?;
    index.parse::<usize>().ok()?;
    crate::scenario::lever::numeric_argument(field)
}

/// Whether a sweep can vary `path`: a numeric parameter or a numeric
/// event argument.
fn is_numeric_path(path: &str) -> bool {
    params::spec_for(path).is_some() || event_number(path).is_some()
}

/// Whether the parameter at `path` takes whole numbers.
pub fn is_integer_path(path: &str) -> bool {
    params::spec_for(path).is_some_and(|p| matches!(p.range, params::Range::Integer(..)))
        || event_number(path).is_some_and(|whole| whole)
}

/// Integer parameters (counts, ticks) take whole values: a design's
/// continuous draws are rounded for them, and the row records the value
/// used.
pub fn value_literal(path: &str, value: f64) -> String {
    if is_integer_path(path) {
        format!("{}", value.round() as i64)
    } else {
        format!("{value:?}")
    }
}

/// The indicators of a sweep: every series the scenario records (every
/// metric in every group), at the last tick and over the last 13 weeks.
pub fn indicators(scenario: &Scenario) -> Vec<Indicator> {
    let headline = headline_series(scenario);
    let mut out = Vec::new();
    for key in all_series(scenario) {
        let stem = if key.by == "all" {
            key.metric.clone()
        } else {
            format!("{}_{}_{}", key.metric, key.by, key.group)
        };
        for (summary, suffix) in [
            (Summary::LastTick, "last"),
            (Summary::Last13Weeks, "last13w"),
        ] {
            out.push(Indicator {
                name: format!("{stem}_{suffix}"),
                key: key.clone(),
                summary,
                headline: headline.contains(&key),
            });
        }
    }
    out
}

/// A finished task's indicators, from its records.
pub fn task_result(
    scenario: &Scenario,
    task: Task,
    records: &[crate::metrics::TickRecord],
    indicators: &[Indicator],
) -> TaskResult {
    let panel = Panel::from_records(scenario, [(task.replicate, records)]);
    let (last, last13) = (last_tick(scenario), last_13_weeks(scenario));
    let values = indicators
        .iter()
        .map(|ind| {
            let range = match ind.summary {
                Summary::LastTick => last,
                Summary::Last13Weeks => last13,
            };
            panel
                .key_index(&ind.key)
                .and_then(|k| range_mean(panel.series(0, k), range))
                .unwrap_or(f64::NAN)
        })
        .collect();
    TaskResult { task, values }
}

/// `I/N` → (I, N).
pub fn parse_shard(text: &str) -> Result<(u32, u32), SweepError> {
    let bad = || SweepError::Shard(text.to_string());
    let (i, n) = text.split_once('/').ok_or_else(bad)?;
    let i: u32 = i.trim().parse().map_err(|_| bad())?;
    let n: u32 = n.trim().parse().map_err(|_| bad())?;
    if n == 0 || i >= n {
        return Err(bad());
    }
    Ok((i, n))
}

/// The tasks of shard `i` of `n`: every n-th task from the i-th, so every
/// shard gets a similar mix of samples.
pub fn shard_tasks(tasks: &[Task], shard: (u32, u32)) -> Vec<Task> {
    tasks
        .iter()
        .enumerate()
        .filter(|(t, _)| *t as u32 % shard.1 == shard.0)
        .map(|(_, t)| *t)
        .collect()
}

/// Per-sample means over replicates of each indicator (NaN-skipping), for
/// the sensitivity estimators. `results` must hold every task.
pub fn sample_means(samples: usize, n_indicators: usize, results: &[TaskResult]) -> Vec<Vec<f64>> {
    let mut sums = vec![vec![0.0; n_indicators]; samples];
    let mut counts = vec![vec![0u32; n_indicators]; samples];
    let mut sorted: Vec<&TaskResult> = results.iter().collect();
    sorted.sort_by_key(|r| r.task);
    for r in sorted {
        for (i, v) in r.values.iter().enumerate() {
            if v.is_finite() {
                sums[r.task.sample as usize][i] += v;
                counts[r.task.sample as usize][i] += 1;
            }
        }
    }
    sums.into_iter()
        .zip(counts)
        .map(|(s, c)| {
            s.into_iter()
                .zip(c)
                .map(|(s, c)| if c > 0 { s / c as f64 } else { f64::NAN })
                .collect()
        })
        .collect()
}

/// Sensitivity statistics of one parameter for one indicator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SensitivityStats {
    Morris(MorrisIndex),
    Sobol(SobolIndex),
}

/// Every indicator's sensitivity to every parameter, for Morris and Sobol
/// designs (estimated on per-sample means over replicates).
#[derive(Debug, Clone, PartialEq)]
pub struct Sensitivity {
    /// "morris" or "sobol".
    pub method: &'static str,
    /// Per indicator (in [`indicators`] order), per factor.
    pub stats: Vec<Vec<SensitivityStats>>,
}

/// Bootstrap resamples for Sobol intervals.
pub const BOOTSTRAP_RESAMPLES: usize = 1000;

/// The sensitivity analysis the design allows, if any (`seed` draws the
/// bootstrap resamples).
pub fn sensitivity(
    design: &Design,
    n_indicators: usize,
    results: &[TaskResult],
    seed: u64,
) -> Option<Sensitivity> {
    let method = match design.kind {
        DesignKind::Morris { .. } => "morris",
        DesignKind::Sobol { .. } => "sobol",
        _ => return None,
    };
    let means = sample_means(design.len(), n_indicators, results);
    let k = design.factors.len();
    let stats = (0..n_indicators)
        .map(|i| {
            let y: Vec<f64> = means.iter().map(|m| m[i]).collect();
            if method == "morris" {
                morris_indices(design, &y)
                    .into_iter()
                    .map(SensitivityStats::Morris)
                    .collect()
            } else {
                sobol_indices(k, &y, BOOTSTRAP_RESAMPLES, seed)
                    .into_iter()
                    .map(SensitivityStats::Sobol)
                    .collect()
            }
        })
        .collect();
    Some(Sensitivity { method, stats })
}
