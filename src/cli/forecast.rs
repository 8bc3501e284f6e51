//! `pasar forecast`: arguments into a [`ForecastJob`], and the forecasts.

use super::{Failure, Session, SimulationOptions, sayln};
use clap::Args;
use pasar::job::forecast::{DEFAULT_DRAWS, ForecastJob, forecast_job};
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
    /// A `pasar calibrate` output folder: draw the fitted parameters from
    /// its parameters.csv and covariance.csv, so that the intervals hold
    /// their uncertainty as well as simulation noise.
    #[arg(long, value_name = "CALIBRATION_FOLDER")]
    pub parameters: Option<PathBuf>,
    /// Parameter draws with --parameters, 2 to 10000; the replicates run
    /// at each [default: 40].
    #[arg(long, requires = "parameters", value_parser = clap::value_parser!(u32).range(2..=10_000))]
    pub draws: Option<u32>,
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
        parameters: args.parameters.clone(),
        draws: args.draws.unwrap_or(DEFAULT_DRAWS),
    };
    let outcome = forecast_job(&job, &session.controls()).map_err(|e| session.failure(e))?;
    let with_parameters = outcome.draws > 0;
    sayln(&format!(
        "{:<36} {:>12} {:>25}{}",
        "quantity",
        "mean",
        "95% prediction interval",
        if with_parameters {
            "  parameters' share"
        } else {
            ""
        }
    ))?;
    for r in &outcome.rows {
        let interval = r
            .prediction95
            .map(|(l, h)| format!("{} to {}", significant(l), significant(h)))
            .unwrap_or_default();
        let share = r
            .split
            .map(|s| format!("  {:>17}", format!("{:.0}%", 100.0 * s.parameter_share())))
            .unwrap_or_default();
        sayln(&format!(
            "{:<36} {:>12} {:>25}{share}",
            r.id,
            significant(r.estimate.mean),
            interval
        ))?;
    }
    let runs = if with_parameters {
        format!(
            "{} parameter draws x {} replicates (noise and the fitted parameters' uncertainty)",
            outcome.draws, outcome.replicates
        )
    } else {
        format!("{} replicates (simulation noise only)", outcome.replicates)
    };
    sayln(&format!(
        "{runs} in {:.1} s; results in {}/ (forecast.csv)",
        outcome.wall_seconds,
        outcome.folder.display()
    ))
}
