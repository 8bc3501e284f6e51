//! `pasar run`: simulate a scenario and write its results.

use super::Failure;
use super::progress::ProgressObserver;
use anyhow::{Context, anyhow};
use clap::Args;
use pasar::metrics::{By, Metric};
use pasar::output::{self, Manifest};
use pasar::runner::{Executor, RunResult};
use pasar::scenario::Scenario;
use std::path::PathBuf;
use std::time::SystemTime;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario file (TOML), e.g. scenarios/baseline.toml or a resolved.toml.
    pub scenario: PathBuf,
    /// Number of replicates (overrides simulation.replicates).
    #[arg(long)]
    pub replicates: Option<u32>,
    /// Master seed, 0 to 9223372036854775807 (overrides simulation.seed).
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=i64::MAX as u64))]
    pub seed: Option<u64>,
    /// Worker threads; 0 means one per core. Results do not depend on it.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Output folder [default: results/<scenario name>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Override a parameter: --set channels.social.take_rate=0.08 (repeatable).
    #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
    pub sets: Vec<String>,
    /// Replace the output folder if it exists.
    #[arg(long)]
    pub force: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: RunArgs) -> Result<(), Failure> {
    let started = SystemTime::now();
    let mut sets = args.sets.clone();
    // Flags are overrides like any other, so resolved.toml records them.
    if let Some(r) = args.replicates {
        sets.push(format!("simulation.replicates={r}"));
    }
    if let Some(s) = args.seed {
        sets.push(format!("simulation.seed={s}"));
    }
    let scenario = Scenario::load(&args.scenario, &sets).map_err(|e| {
        Failure::Input(anyhow!(e).context(format!("invalid scenario {}", args.scenario.display())))
    })?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("results").join(scenario.name()));
    // Refuse before simulating, not after.
    output::check_destination(&out, args.force).map_err(|e| Failure::Input(anyhow!(e)))?;
    let replicates = scenario.spec.simulation.replicates;
    check_memory(&scenario, replicates, args.threads).map_err(|e| {
        Failure::Input(e.context(format!(
            "{} is too large for this machine",
            args.scenario.display()
        )))
    })?;
    let progress = ProgressObserver::new(replicates as u64 * scenario.ticks() as u64, args.quiet);
    let result = Executor::new(&scenario)
        .threads(args.threads)
        .observe(&progress)
        .run()
        .map_err(|e| Failure::Runtime(anyhow!(e)))?;
    progress.finish();
    let command: Vec<String> = std::env::args().collect();
    let manifest = Manifest::new(&scenario, &result, command, started, SystemTime::now());
    let written = output::write_run(&out, args.force, &scenario, &result, &manifest)
        .with_context(|| format!("writing results to {}", out.display()))
        .map_err(Failure::Runtime)?;
    print_summary(&scenario, &result, &written);
    Ok(())
}

/// Refuse, before allocating, a run that cannot fit in this machine's memory.
pub(super) fn check_memory(
    scenario: &Scenario,
    replicates: u32,
    threads: usize,
) -> anyhow::Result<()> {
    let threads = if threads == 0 {
        rayon::current_num_threads()
    } else {
        threads
    };
    let needed = pasar::runner::estimated_bytes(scenario, replicates, threads);
    let Some(available) = available_memory() else {
        return Ok(());
    };
    if needed <= available {
        return Ok(());
    }
    let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
    let factor = (needed as f64 / (0.8 * available as f64)).ceil().max(2.0);
    anyhow::bail!(
        "the scenario needs about {:.1} GiB of memory ({} replicates on {} threads) but {:.1} GiB is available\n  \
         help: simulate a sample: divide every population count by {factor} and multiply \
         simulation.seller_scale and simulation.consumer_scale by {factor} (e.g. --set population.consumers.count=... \
         --set simulation.consumer_scale=...), or run fewer replicates or threads",
        gib(needed),
        replicates,
        threads.min(replicates as usize).max(1),
        gib(available)
    )
}

/// `MemAvailable` from /proc/meminfo (Linux); `None` where it cannot be read.
fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn print_summary(scenario: &Scenario, result: &RunResult, written: &std::path::Path) {
    let last = scenario.ticks() - 1;
    let mean = |metric: Metric, by: By, group: u16| -> Option<f64> {
        let values: Vec<f64> = result
            .replicates
            .iter()
            .filter_map(|r| r.records.last().and_then(|rec| rec.get(metric, by, group)))
            .collect();
        (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
    };
    let pct = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{:5.1}%", 100.0 * v));
    println!(
        "{}: {} replicates x {} ticks; last tick {} ({}), mean over replicates",
        scenario.name(),
        result.replicates.len(),
        scenario.ticks(),
        last,
        scenario.date_of_tick(last)
    );
    for (label, metric, by, group) in [
        ("GMV share, UMKM", Metric::GmvShare, By::Kind, 0),
        ("GMV share, importers", Metric::GmvShare, By::Kind, 1),
        ("GMV share, affiliates", Metric::GmvShare, By::Kind, 2),
        ("import penetration", Metric::ImportPenetration, By::All, 0),
    ] {
        println!("  {label:<24}{}", pct(mean(metric, by, group)));
    }
    println!(
        "  {} purchase decisions in {:.1} s ({:.0} per second per core, {} threads)",
        result.decisions(),
        result.wall_seconds,
        result.decisions_per_core_second(),
        result.threads
    );
    println!(
        "results in {}/ (series.csv, dictionary.csv, manifest.json, resolved.toml)",
        written.display()
    );
}
