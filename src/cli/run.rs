//! `pasar run`: arguments into a [`RunJob`] (or a [`ResumeJob`]), and the
//! run's summary.

use super::{Failure, Session, SimulationOptions, sayln};
use clap::Args;
use pasar::job::run::{ResumeJob, RunJob, RunOutcome, resume, run as run_job};
use pasar::report::format::significant;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario file (TOML), e.g. scenarios/baseline.toml or a resolved.toml.
    #[arg(required_unless_present = "resume")]
    pub scenario: Option<PathBuf>,
    /// Number of replicates, at least 1 (overrides simulation.replicates).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub replicates: Option<u32>,
    /// Output folder [default: results/<scenario name>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace the output folder if it holds earlier results (and discard an
    /// interrupted run kept for it).
    #[arg(long)]
    pub force: bool,
    /// Continue an interrupted run that was writing to this folder, e.g.
    /// --resume results/baseline: finished replicates are kept, the rest
    /// are run, and the results are those of an uninterrupted run.
    #[arg(
        long,
        value_name = "OUT",
        conflicts_with_all = ["scenario", "replicates", "seed", "out", "sets", "force"]
    )]
    pub resume: Option<PathBuf>,
    /// Seed, overrides, threads, quiet.
    #[command(flatten)]
    pub sim: SimulationOptions,
}

pub fn run(args: RunArgs) -> Result<(), Failure> {
    // Watch for signals before anything is written, so that none is lost.
    let session = Session::start(args.sim.quiet)?;
    let controls = session.controls();
    let threads = usize::from(args.sim.threads);
    let outcome = match (&args.resume, &args.scenario) {
        (Some(out), _) => resume(
            &ResumeJob {
                out: out.clone(),
                threads,
            },
            &controls,
        ),
        (None, Some(scenario)) => run_job(
            &RunJob {
                scenario: scenario.clone(),
                overrides: args.sim.overrides(args.replicates),
                out: args.out.clone(),
                force: args.force,
                threads,
            },
            &controls,
        ),
        (None, None) => {
            return Err(Failure::Input(
                "name a scenario file, or an interrupted run with --resume".into(),
            ));
        }
    }
    .map_err(|e| session.failure(e))?;
    print_summary(&outcome)
}

fn print_summary(o: &RunOutcome) -> Result<(), Failure> {
    sayln(&format!(
        "{}: {} replicates x {} ticks; last tick {} ({}), mean over replicates",
        o.scenario, o.replicates, o.ticks, o.last_tick, o.last_date
    ))?;
    let pct = |key: &str| {
        o.last_tick_means
            .get(key)
            .map_or("-".to_string(), |v| format!("{:5.1}%", 100.0 * v))
    };
    for (label, key) in [
        ("GMV share, UMKM", "gmv_share/kind/umkm"),
        ("GMV share, importers", "gmv_share/kind/importer"),
        ("GMV share, affiliates", "gmv_share/kind/affiliate"),
        ("import penetration", "import_penetration/all/all"),
    ] {
        sayln(&format!("  {label:<24}{}", pct(key)))?;
    }
    // What the run did: every event applied, and any the horizon dropped.
    if o.events_applied.is_empty() {
        sayln("  events: none")?;
    } else {
        sayln(&format!("  events applied ({}):", o.events_applied.len()))?;
        for e in &o.events_applied {
            sayln(&format!("    {e}"))?;
        }
    }
    if !o.events_dropped.is_empty() {
        sayln(&format!(
            "  events dropped by the horizon ({}), never applied:",
            o.events_dropped.len()
        ))?;
        for e in &o.events_dropped {
            sayln(&format!("    {e}"))?;
        }
    }
    let rate = o
        .decisions_per_core_second()
        .map_or("-".into(), significant);
    sayln(&format!(
        "  {} purchase decisions in {:.1} s ({} per CPU-second, {} threads)",
        o.decisions, o.wall_seconds, rate, o.threads
    ))?;
    sayln(&format!(
        "results in {}/ (series.csv, dictionary.csv, manifest.json, resolved.toml)",
        o.folder.display()
    ))
}
