//! The command line: parse, turn arguments into typed settings, call the
//! library, report. One module per command.

pub mod calibrate;
pub mod compare;
pub mod progress;
pub mod resume;
pub mod run;
pub mod signals;
pub mod sweep;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "pasar",
    version,
    about = "Agent-based simulator of Indonesian retail channels under trade and platform policy"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario's replicates and write series.csv, dictionary.csv,
    /// manifest.json and resolved.toml.
    Run(run::RunArgs),
    /// Compare policies with a baseline: paired effects with 95% intervals
    /// (effects.csv, summary.csv), charts and a self-contained report.html.
    Compare(compare::CompareArgs),
    /// Run a scenario over a design (grid, Latin hypercube, Morris, Sobol)
    /// and estimate sensitivities: sweep.csv, sensitivity.csv. Resumable;
    /// --shard for clusters, --slurm writes an sbatch array script.
    Sweep(sweep::SweepArgs),
    /// Merge the part folders of a sharded sweep into its results.
    Merge(sweep::MergeArgs),
    /// Fit parameters to observed targets (simulated method of moments,
    /// Nelder–Mead from several starts): calibrated.toml, fit.csv, charts.
    /// Resumable.
    Calibrate(calibrate::CalibrateArgs),
    /// Forecast quantities of a scenario (e.g. 2024 shares) with 95%
    /// intervals: forecast.csv.
    Forecast(calibrate::ForecastArgs),
}

/// Options of every command that simulates a design, a search or a
/// forecast: seed, overrides, threads, progress bar.
#[derive(Debug, Args)]
pub struct SimulationOptions {
    /// Master seed [default: the scenario's].
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=i64::MAX as u64))]
    pub seed: Option<u64>,
    /// Override a parameter in every run (repeatable).
    #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
    pub sets: Vec<String>,
    /// Worker threads, 0 to 1024; 0 means one per core. Results do not depend on it.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=1024))]
    pub threads: u16,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// How a command failed: bad input (exit 2), a failure while working (exit
/// 1), or a signal that stopped it (exit 128 + the signal: 130 for SIGINT,
/// 143 for SIGTERM, 129 for SIGHUP).
#[derive(Debug)]
pub enum Failure {
    Input(anyhow::Error),
    Runtime(anyhow::Error),
    Interrupted { signal: i32, error: anyhow::Error },
}

impl Failure {
    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::Input(_) => 2,
            Failure::Runtime(_) => 1,
            Failure::Interrupted { signal, .. } => 128 + signal,
        }
    }

    pub fn error(&self) -> &anyhow::Error {
        match self {
            Failure::Input(e) | Failure::Runtime(e) | Failure::Interrupted { error: e, .. } => e,
        }
    }
}

pub fn main_with(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Sweep(args) => sweep::sweep(args),
        Command::Merge(args) => sweep::merge(args),
        Command::Calibrate(args) => calibrate::calibrate(args),
        Command::Forecast(args) => calibrate::forecast_command(args),
    }
}
