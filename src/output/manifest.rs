//! `manifest.json`: what was run, with what, where and how fast.

use crate::runner::RunResult;
use crate::scenario::{Date, Scenario};
use serde::{Deserialize, Serialize};
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScenarioFileEntry {
    pub path: String,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub pasar_version: String,
    pub scenario: String,
    pub command: Vec<String>,
    /// Every scenario file read: the one named first, then what it extends.
    pub scenario_files: Vec<ScenarioFileEntry>,
    pub resolved_toml_sha256: String,
    pub seed: u64,
    pub replicates: u32,
    pub replicate_seeds: Vec<u64>,
    pub random_generator: String,
    pub threads: usize,
    pub started_utc: String,
    /// When an interrupted run was resumed (absent if it never was).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resumed_utc: Vec<String>,
    pub finished_utc: String,
    pub wall_seconds: f64,
    pub purchase_decisions: u64,
    pub decisions_per_second: f64,
    pub decisions_per_core_second: f64,
    pub platform: String,
}

impl Manifest {
    pub fn new(
        scenario: &Scenario,
        result: &RunResult,
        command: Vec<String>,
        started: SystemTime,
        finished: SystemTime,
    ) -> Manifest {
        let decisions = result.decisions();
        Manifest {
            pasar_version: env!("CARGO_PKG_VERSION").to_string(),
            scenario: scenario.name().to_string(),
            command,
            scenario_files: scenario
                .sources
                .iter()
                .map(|s| ScenarioFileEntry {
                    path: s.path.display().to_string(),
                    sha256: s.sha256.clone(),
                })
                .collect(),
            resolved_toml_sha256: crate::scenario::load::hex_sha256(scenario.to_toml().as_bytes()),
            seed: scenario.spec.simulation.seed,
            replicates: result.replicates.len() as u32,
            replicate_seeds: result.replicates.iter().map(|r| r.seed).collect(),
            random_generator: "PCG-64 MCG (rand_pcg::Pcg64Mcg), state hashed from (seed, replicate, purpose, entity, tick)".into(),
            threads: result.threads,
            started_utc: utc_timestamp(started),
            resumed_utc: Vec::new(),
            finished_utc: utc_timestamp(finished),
            wall_seconds: result.wall_seconds,
            purchase_decisions: decisions,
            decisions_per_second: if result.wall_seconds > 0.0 { decisions as f64 / result.wall_seconds } else { 0.0 },
            decisions_per_core_second: result.decisions_per_core_second(),
            platform: format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS),
        }
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        s.push('\n');
        s
    }
}

/// `2026-11-23T12:55:39Z`.
pub fn utc_timestamp(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let epoch = Date::from_ymd(1970, 1, 1).unwrap_or_else(|| unreachable!("a valid constant date"));
    let day = epoch.add_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!("{day}T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}
