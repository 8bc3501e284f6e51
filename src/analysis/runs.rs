//! Finished run folders read back for comparison, and the check that two of
//! them were run so that replicate r of each shares its draws.

use super::panel::Panel;
use super::{AnalysisError, Arm};
use crate::output::{FileEntry, JobDetails, open_run};
use crate::scenario::Scenario;
use std::path::Path;

/// What a run's `manifest.json` says about how it was run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    pub pasar_version: String,
    pub seed: u64,
    pub replicates: u32,
    pub replicate_seeds: Vec<u64>,
    /// The scenario files it read.
    pub scenario_files: Vec<FileEntry>,
}

/// Read a folder written by `pasar run`, every file checked against its
/// manifest first.
pub fn read_run_folder(folder: &Path) -> Result<(Arm, RunInfo), AnalysisError> {
    let verified = open_run(folder)?;
    let m = &verified.manifest;
    let replicates = match &m.job {
        JobDetails::Run { replicates, .. } => *replicates,
        _ => m.replicate_seeds.len() as u32,
    };
    let info = RunInfo {
        pasar_version: m.pasar_version.clone(),
        seed: m.seed.unwrap_or(0),
        replicates,
        replicate_seeds: m.replicate_seeds.clone(),
        scenario_files: m.inputs.clone(),
    };
    let resolved = verified.file("resolved.toml");
    let scenario = Scenario::load(&resolved, &[]).map_err(|source| AnalysisError::Scenario {
        path: resolved.clone(),
        source,
    })?;
    let panel = Panel::read_series(&verified.file("series.csv"), scenario.ticks() as usize)?;
    let files = info.scenario_files.clone();
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
            "seed {} differs from the baseline's {}",
            pi.seed, bi.seed
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
