//! `manifest.json`, one type for every folder pasar writes: what was run,
//! from which files, with which seeds, where, how long it took (wall and
//! CPU time), and every file written with its SHA-256, size and rows, so
//! that a folder read back is checked against what was written.

use super::files::FileEntry;
use crate::analysis::summary::ReplicateDecision;
use crate::scenario::Date;
use crate::sweep::SweepPlan;
use serde::{Deserialize, Serialize};
use std::time::{SystemTime, UNIX_EPOCH};

/// The generator behind every random stream (docs/ODD.md section 13).
pub const RANDOM_GENERATOR: &str =
    "PCG-64 MCG (rand_pcg::Pcg64Mcg), state hashed from (seed, replicate, purpose, entity, tick)";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub pasar_version: String,
    /// `kind` and what that kind of job adds.
    #[serde(flatten)]
    pub job: JobDetails,
    /// The command line that made the folder.
    pub command: Vec<String>,
    /// Every file read: scenario files (the one named first, then what
    /// each extends), targets, quantities, samples.
    pub inputs: Vec<FileEntry>,
    /// The master seed of every simulation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replicate_seeds: Vec<u64>,
    pub random_generator: String,
    pub threads: usize,
    pub started_utc: String,
    /// When an interrupted job was resumed (absent if it never was).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resumed_utc: Vec<String>,
    pub finished_utc: String,
    /// Wall-clock seconds, every session of a resumed job added.
    pub wall_seconds: f64,
    /// CPU seconds of every thread, every session added (absent where the
    /// platform does not report them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_seconds: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_decisions: Option<u64>,
    /// Decisions per wall-clock second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decisions_per_second: Option<f64>,
    /// Decisions per CPU-second: true however busy the machine was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decisions_per_core_second: Option<f64>,
    pub platform: String,
    /// Every file in the folder but `manifest.json` itself.
    #[serde(default)]
    pub files: Vec<FileEntry>,
    /// Each scenario's events: those applied and those its horizon left
    /// out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<ScenarioEvents>,
    /// The fact that fixes the level of every rupiah and count pasar
    /// writes (absent in folders of pasar before 0.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_benchmark: Option<ScaleBenchmark>,
}

/// The benchmark the shipped baseline's rupiah and order counts are
/// fitted to (docs/CALIBRATION.md): Bank Indonesia's e-commerce
/// transactions of 2022, per weekly tick.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScaleBenchmark {
    pub source: String,
    pub value_idr_per_week: f64,
    pub value_tolerance_idr_per_week: f64,
    pub orders_per_week: f64,
    pub orders_tolerance_per_week: f64,
    pub value_per_order_idr: f64,
    pub note: String,
}

impl ScaleBenchmark {
    /// Bank Indonesia's 2022 figures (docs/SOURCES.md, S23).
    pub fn bank_indonesia_2022() -> ScaleBenchmark {
        use crate::analysis::findings as f;
        ScaleBenchmark {
            source: "Bank Indonesia, e-commerce transactions in 2022: Rp476.3 tn in 3.49 bn transactions (docs/SOURCES.md, S23)".into(),
            value_idr_per_week: f::BI_ONLINE_GMV_2022_WEEK_IDR,
            value_tolerance_idr_per_week: f::BI_ONLINE_GMV_2022_SD_IDR,
            orders_per_week: f::BI_ONLINE_ORDERS_2022_WEEK,
            orders_tolerance_per_week: f::BI_ONLINE_ORDERS_2022_SD,
            value_per_order_idr: f::BI_ONLINE_GMV_2022_WEEK_IDR / f::BI_ONLINE_ORDERS_2022_WEEK,
            note: "scenarios/baseline.toml is fitted to these (calibration/targets.toml: online_gmv_2022, online_orders_2022, online_aov_2022); a scenario that changes the scale, the population or the purchase rate leaves them".into(),
        }
    }
}

/// The events of one scenario as run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioEvents {
    pub scenario: String,
    pub applied: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dropped: Vec<String>,
}

impl ScenarioEvents {
    pub fn of(scenario: &crate::scenario::Scenario) -> ScenarioEvents {
        ScenarioEvents {
            scenario: scenario.name().to_string(),
            applied: scenario.applied_events(),
            dropped: scenario.dropped_event_lines(),
        }
    }
}

/// What each kind of job records besides the common fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobDetails {
    /// `pasar run`: one scenario's replicates.
    Run {
        scenario: String,
        replicates: u32,
        resolved_toml_sha256: String,
    },
    /// `pasar compare`.
    Compare {
        baseline: String,
        policies: Vec<String>,
        replicates: usize,
        precision: Vec<String>,
        replicate_decision: ReplicateDecision,
        crn_interval_narrowing: Option<f64>,
    },
    /// `pasar sweep` or `pasar merge`: a whole sweep.
    Sweep {
        fingerprint: String,
        plan: SweepPlan,
        samples: usize,
        runs: usize,
        runs_resumed: usize,
    },
    /// `pasar sweep --shard`: one part, for `pasar merge`.
    SweepPart {
        fingerprint: String,
        plan: SweepPlan,
        shard: u32,
        shards: u32,
        runs: usize,
    },
    /// `pasar calibrate`.
    Calibrate {
        fingerprint: String,
        free: Vec<String>,
        sets: Vec<String>,
        replicates: u32,
        horizon_ticks: u32,
        starts: u32,
        max_evaluations: u32,
        tolerance: f64,
        objective: f64,
        best_start: usize,
        converged_starts: usize,
        evaluations: usize,
        evaluations_resumed: usize,
    },
    /// `pasar forecast`: `replicates` at each of `parameter_draws` draws
    /// of the fitted parameters (0: the scenario's own values only).
    Forecast {
        scenario: String,
        replicates: u32,
        #[serde(default, skip_serializing_if = "is_zero")]
        parameter_draws: u32,
    },
}

impl JobDetails {
    pub fn kind(&self) -> &'static str {
        match self {
            JobDetails::Run { .. } => "run",
            JobDetails::Compare { .. } => "compare",
            JobDetails::Sweep { .. } => "sweep",
            JobDetails::SweepPart { .. } => "sweep_part",
            JobDetails::Calibrate { .. } => "calibrate",
            JobDetails::Forecast { .. } => "forecast",
        }
    }
}

/// Timing of a job, every session added.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Timing {
    pub started_utc: String,
    pub resumed_utc: Vec<String>,
    pub wall_seconds: f64,
    pub cpu_seconds: Option<f64>,
}

/// Wall-clock and CPU time of a job from its start.
#[derive(Debug, Clone)]
pub struct Stopwatch {
    started: SystemTime,
    clock: std::time::Instant,
    cpu: Option<f64>,
}

impl Stopwatch {
    pub fn start() -> Stopwatch {
        Stopwatch {
            started: SystemTime::now(),
            clock: std::time::Instant::now(),
            cpu: crate::resources::process_cpu_seconds(),
        }
    }

    /// Wall-clock seconds since the start.
    pub fn seconds(&self) -> f64 {
        self.clock.elapsed().as_secs_f64()
    }

    /// CPU seconds the process used since the start.
    pub fn cpu_seconds(&self) -> Option<f64> {
        self.cpu
            .zip(crate::resources::process_cpu_seconds())
            .map(|(a, b)| b - a)
    }

    /// The timing of a job that ran in one session.
    pub fn timing(&self) -> Timing {
        Timing {
            started_utc: utc_timestamp(self.started),
            resumed_utc: Vec::new(),
            wall_seconds: self.seconds(),
            cpu_seconds: self.cpu_seconds(),
        }
    }
}

impl Manifest {
    /// A manifest with the common fields filled in; `files` is filled in
    /// by [`super::StagedFolder::commit_with_manifest`].
    pub fn new(
        job: JobDetails,
        command: Vec<String>,
        inputs: Vec<FileEntry>,
        threads: usize,
        timing: Timing,
    ) -> Manifest {
        Manifest {
            pasar_version: env!("CARGO_PKG_VERSION").to_string(),
            job,
            command,
            inputs,
            seed: None,
            replicate_seeds: Vec::new(),
            random_generator: RANDOM_GENERATOR.to_string(),
            threads,
            started_utc: timing.started_utc,
            resumed_utc: timing.resumed_utc,
            finished_utc: utc_timestamp(SystemTime::now()),
            wall_seconds: timing.wall_seconds,
            cpu_seconds: timing.cpu_seconds,
            purchase_decisions: None,
            decisions_per_second: None,
            decisions_per_core_second: None,
            platform: format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS),
            files: Vec::new(),
            events: Vec::new(),
            scale_benchmark: Some(ScaleBenchmark::bank_indonesia_2022()),
        }
    }

    /// The events applied and dropped by each scenario run.
    pub fn with_events<'a>(
        mut self,
        scenarios: impl IntoIterator<Item = &'a crate::scenario::Scenario>,
    ) -> Manifest {
        self.events = scenarios.into_iter().map(ScenarioEvents::of).collect();
        self
    }

    /// The seeds of the simulations.
    pub fn with_seeds(mut self, seed: u64, replicate_seeds: Vec<u64>) -> Manifest {
        self.seed = Some(seed);
        self.replicate_seeds = replicate_seeds;
        self
    }

    /// The purchase decisions simulated, and their rates per wall-clock
    /// and per CPU second.
    pub fn with_decisions(mut self, decisions: u64) -> Manifest {
        self.purchase_decisions = Some(decisions);
        self.decisions_per_second = rate(decisions, self.wall_seconds);
        self.decisions_per_core_second = self.cpu_seconds.and_then(|c| rate(decisions, c));
        self
    }

    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        let mut s = serde_json::to_string_pretty(self)?;
        s.push('\n');
        Ok(s)
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Decisions per second; `None` over no time.
fn rate(decisions: u64, seconds: f64) -> Option<f64> {
    (seconds > 0.0).then(|| decisions as f64 / seconds)
}

/// `2026-11-23T12:55:39Z`.
pub fn utc_timestamp(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let epoch = Date::from_ymd(1970, 1, 1).unwrap_or_else(|| unreachable!("a valid constant date"));
    let day = epoch.add_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!("{day}T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_reads_back_as_written() {
        let m = Manifest::new(
            JobDetails::Run {
                scenario: "baseline".into(),
                replicates: 2,
                resolved_toml_sha256: "ab".into(),
            },
            vec!["pasar".into(), "run".into()],
            vec![FileEntry::of_bytes("scenarios/baseline.toml", b"x")],
            2,
            Timing {
                started_utc: "2026-01-01T00:00:00Z".into(),
                wall_seconds: 2.0,
                cpu_seconds: Some(3.5),
                ..Timing::default()
            },
        )
        .with_seeds(7, vec![1, 2])
        .with_decisions(700);
        let json = m.to_json().expect("serialises");
        assert!(json.contains("\"kind\": \"run\""), "{json}");
        let back: Manifest = serde_json::from_str(&json).expect("reads back");
        assert_eq!(back, m);
        assert_eq!(back.decisions_per_core_second, Some(200.0));
    }
}
