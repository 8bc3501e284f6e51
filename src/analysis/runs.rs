//! Finished run folders read back for comparison, and the check that two of
//! them were run so that replicate r of each shares its draws.

use super::panel::Panel;
use super::{AnalysisError, Arm};
use crate::scenario::Scenario;
use serde::Deserialize;
use std::path::Path;

/// What a run's `manifest.json` says about how it was run.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct RunInfo {
    pub pasar_version: String,
    pub seed: u64,
    pub replicates: u32,
    #[serde(default)]
    pub replicate_seeds: Vec<u64>,
    #[serde(default)]
    pub scenario_files: Vec<FileEntry>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct FileEntry {
    pub path: String,
    pub sha256: String,
}

/// Read a folder written by `pasar run`.
pub fn read_run_folder(folder: &Path) -> Result<(Arm, RunInfo), AnalysisError> {
    let not_a_run = |message: String| AnalysisError::NotARun {
        path: folder.to_path_buf(),
        message,
    };
    if !folder.is_dir() {
        return Err(not_a_run("it is not a folder".into()));
    }
    let manifest_path = folder.join("manifest.json");
    let text = std::fs::read_to_string(&manifest_path)
        .map_err(|e| not_a_run(format!("cannot read manifest.json: {e}")))?;
    let info: RunInfo = serde_json::from_str(&text)
        .map_err(|e| not_a_run(format!("manifest.json does not describe a run: {e}")))?;
    let resolved = folder.join("resolved.toml");
    if !resolved.is_file() {
        return Err(not_a_run("resolved.toml is missing".into()));
    }
    let scenario = Scenario::load(&resolved, &[]).map_err(|source| AnalysisError::Scenario {
        path: resolved.clone(),
        source,
    })?;
    let series = folder.join("series.csv");
    if !series.is_file() {
        return Err(not_a_run("series.csv is missing".into()));
    }
    let panel = Panel::read_series(&series, scenario.ticks() as usize)?;
    let files = info
        .scenario_files
        .iter()
        .map(|f| (f.path.clone(), f.sha256.clone()))
        .collect();
    Ok((
        Arm {
            scenario,
            panel,
            input: folder.to_path_buf(),
            files,
        },
        info,
    ))
}

/// Why a policy run cannot be paired with the baseline run: different
/// pasar versions, seeds or horizons. Empty when they can be compared.
pub fn incompatibilities(
    baseline: (&Scenario, &RunInfo),
    policy: (&Scenario, &RunInfo),
) -> Vec<String> {
    let (bs, bi) = baseline;
    let (ps, pi) = policy;
    let mut out = Vec::new();
    if bi.pasar_version != pi.pasar_version {
        out.push(format!(
            "pasar version {} differs from the baseline's {}",
            pi.pasar_version, bi.pasar_version
        ));
    }
    if bi.seed != pi.seed {
        out.push(format!(
            "seed {} differs from the baseline's {} (rerun with --seed {})",
            pi.seed, bi.seed, bi.seed
        ));
    }
    out.extend(horizon_differences(bs, ps));
    let common = bi.replicate_seeds.len().min(pi.replicate_seeds.len());
    if common > 0 && bi.replicate_seeds[..common] != pi.replicate_seeds[..common] {
        out.push("the replicate seeds differ from the baseline's".into());
    }
    out
}

/// How two scenarios' horizons differ (start date, ticks, days per tick),
/// as "simulation.ticks 200 differs from the baseline's 157"; empty when
/// replicate r of each covers the same days.
pub fn horizon_differences(baseline: &Scenario, policy: &Scenario) -> Vec<String> {
    let (b, p) = (&baseline.spec.simulation, &policy.spec.simulation);
    let mut out = Vec::new();
    let mut differ = |name: &str, theirs: String, ours: String| {
        if theirs != ours {
            out.push(format!(
                "simulation.{name} {theirs} differs from the baseline's {ours}"
            ));
        }
    };
    differ(
        "start_date",
        p.start_date.to_string(),
        b.start_date.to_string(),
    );
    differ("ticks", p.ticks.to_string(), b.ticks.to_string());
    differ(
        "days_per_tick",
        p.days_per_tick.to_string(),
        b.days_per_tick.to_string(),
    );
    out
}
