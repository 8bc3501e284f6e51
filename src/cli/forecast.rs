//! `pasar forecast`: arguments into a [`ForecastJob`], and the forecasts.

use super::{Failure, Session, SimulationOptions, sayln};
use clap::Args;
use pasar::job::forecast::{ForecastJob, forecast_job};
use pasar::report::format::significant;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ForecastArgs {
    /// The scenario to forecast with (e.g. scenarios/indonesia_2023.toml).
    pub scenario: PathBuf,
    /// The quantities to forecast.
    #[arg(long, default_value = "calibration/forecast.toml")]
    pub quantities: PathBuf,
    /// Replicates, 2 to 10000 [default: the scenario's].
    #[arg(long, value_parser = clap::value_parser!(u32).range(2..=10_000))]
    pub replicates: Option<u32>,
    /// Output folder [default: results/forecast-<scenario name>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace the output folder if it holds earlier results.
    #[arg(long)]
    pub force: bool,
    /// Seed, overrides, threads, quiet.
    #[command(flatten)]
    pub sim: SimulationOptions,
}

pub fn forecast(args: ForecastArgs) -> Result<(), Failure> {
    let session = Session::start(args.sim.quiet)?;
    let job = ForecastJob {
        scenario: args.scenario.clone(),
        quantities: args.quantities.clone(),
        overrides: args.sim.overrides(args.replicates),
        out: args.out.clone(),
        force: args.force,
        threads: usize::from(args.sim.threads),
    };
    let outcome = forecast_job(&job, &session.controls()).map_err(|e| session.failure(e))?;
    sayln(&format!(
        "{:<36} {:>12} {:>25}",
        "quantity", "mean", "95% prediction interval"
    ))?;
    for r in &outcome.rows {
        let interval = r
            .prediction95
            .map(|(l, h)| format!("{} to {}", significant(l), significant(h)))
            .unwrap_or_default();
        sayln(&format!(
            "{:<36} {:>12} {:>25}",
            r.id,
            significant(r.estimate.mean),
            interval
        ))?;
    }
    sayln(&format!(
        "{} replicates in {:.1} s; results in {}/ (forecast.csv)",
        outcome.replicates,
        outcome.wall_seconds,
        outcome.folder.display()
    ))
}
