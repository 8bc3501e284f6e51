//! Statistics over finished runs: paired policy effects with their
//! uncertainty, the headline table, and what each scenario changes.
//!
//! Nothing here simulates or writes files: the CLI runs the scenarios (or
//! reads finished run folders) into [`Arm`]s and hands them over.

pub mod changes;
pub mod design;
pub mod effects;
pub mod findings;
pub mod panel;
pub mod runs;
pub mod segments;
pub mod sensitivity;
pub mod stats;
pub mod summary;

use crate::scenario::{Scenario, ScenarioError};
use panel::Panel;
use std::path::PathBuf;
use summary::SummaryRow;

#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    #[error(transparent)]
    Series(#[from] crate::output::SeriesError),
    #[error(transparent)]
    Folder(#[from] crate::output::OutputError),
    #[error("{path}: resolved.toml is not a valid scenario", path = path.display())]
    Scenario {
        path: PathBuf,
        #[source]
        source: ScenarioError,
    },
    #[error(
        "{policy} cannot be compared with the baseline {baseline}:\n{}",
        differences.iter().map(|d| format!("  - {d}")).collect::<Vec<_>>().join("\n")
    )]
    Incompatible {
        baseline: String,
        policy: String,
        differences: Vec<String>,
        /// Run the policy again with the baseline's seed.
        seed: Option<u64>,
    },
}

/// A scenario with its results.
#[derive(Debug, Clone)]
pub struct Arm {
    pub scenario: Scenario,
    pub panel: Panel,
    /// Where it came from: the scenario file or the run folder given.
    pub input: PathBuf,
    /// Scenario files behind it, with their SHA-256.
    pub files: Vec<crate::input::FileEntry>,
}

impl Arm {
    pub fn name(&self) -> &str {
        self.scenario.name()
    }
}

/// A baseline and the policies compared with it.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub baseline: Arm,
    pub policies: Vec<Arm>,
}

impl Comparison {
    /// The headline table of every policy, policy by policy.
    pub fn summary(&self) -> Vec<SummaryRow> {
        self.policies
            .iter()
            .flat_map(|p| {
                summary::summary_rows(
                    (&self.baseline.scenario, &self.baseline.panel),
                    (&p.scenario, &p.panel),
                )
            })
            .collect()
    }

    /// Series that only one side of a comparison has: (policy, series,
    /// the side that has it: `baseline` or `policy`).
    pub fn one_sided(&self) -> Vec<(String, panel::SeriesKey, &'static str)> {
        let mut out = Vec::new();
        for p in &self.policies {
            for key in self.baseline.panel.keys() {
                if p.panel.key_index(key).is_none() {
                    out.push((p.name().to_string(), key.clone(), "baseline"));
                }
            }
            for key in p.panel.keys() {
                if self.baseline.panel.key_index(key).is_none() {
                    out.push((p.name().to_string(), key.clone(), "policy"));
                }
            }
        }
        out
    }

    /// Replicates paired between the baseline and every policy.
    pub fn paired_replicates(&self) -> usize {
        self.baseline
            .panel
            .replicates()
            .iter()
            .filter(|&&r| {
                self.policies
                    .iter()
                    .all(|p| p.panel.replicate_position(r).is_some())
            })
            .count()
    }
}

/// How much narrower common random numbers made the headline intervals:
/// the median, over headline effects with a nonzero paired interval, of the
/// unpaired (Welch) half-width divided by the paired one. `None` when no
/// effect qualifies.
pub fn crn_narrowing(rows: &[SummaryRow]) -> Option<f64> {
    let mut ratios: Vec<f64> = rows
        .iter()
        .filter_map(|r| {
            let paired = r.effect.diff.half_width95()?;
            let unpaired = r.effect.unpaired_half_width95()?;
            (paired > 0.0 && unpaired.is_finite()).then(|| unpaired / paired)
        })
        .collect();
    if ratios.is_empty() {
        return None;
    }
    ratios.sort_by(f64::total_cmp);
    let n = ratios.len();
    Some(if n % 2 == 1 {
        ratios[n / 2]
    } else {
        0.5 * (ratios[n / 2 - 1] + ratios[n / 2])
    })
}
