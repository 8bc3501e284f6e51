//! The command line: parse arguments into a typed job, call the library,
//! print what it returns, map errors to exit codes. One module per
//! command; the work is done by `pasar::job`.

pub mod calibrate;
pub mod compare;
pub mod forecast;
pub mod hints;
pub mod progress;
pub mod run;
pub mod signals;
pub mod sweep;

use clap::{Args, Parser, Subcommand};
use pasar::job::{Controls, Fault, JobError};
use pasar::scenario::Overrides;
use std::io::Write;

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
    Forecast(forecast::ForecastArgs),
}

/// Options of every command that simulates: seed, overrides, threads,
/// progress bar.
#[derive(Debug, Args)]
pub struct SimulationOptions {
    /// Master seed, 0 to 9223372036854775807 [default: the scenario's].
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=i64::MAX as u64))]
    pub seed: Option<u64>,
    /// Override a parameter: --set channels.social.take_rate=0.08 (repeatable; each key once).
    #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
    pub sets: Vec<String>,
    /// Run even when a --set horizon drops events the scenario files
    /// define (they are listed in the summary, manifest.json and reports).
    #[arg(long)]
    pub allow_dropped_events: bool,
    /// Worker threads, 0 to 1024; 0 means one per core. Results do not depend on it.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=1024))]
    pub threads: u16,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

impl SimulationOptions {
    /// The overrides, with the seed and replicates as typed values.
    pub fn overrides(&self, replicates: Option<u32>) -> Overrides {
        Overrides {
            sets: self.sets.clone(),
            seed: self.seed,
            replicates,
            allow_dropped_events: self.allow_dropped_events,
        }
    }
}

/// How a command failed: bad input (exit 2), a failure while working (exit
/// 1), a signal that stopped it (exit 128 + the signal: 130 for SIGINT,
/// 143 for SIGTERM, 129 for SIGHUP), or standard output closed under it
/// (exit 0, quietly: whoever read it has what they wanted).
#[derive(Debug)]
pub enum Failure {
    Input(String),
    Runtime(String),
    Interrupted { signal: i32, message: String },
    ClosedOutput,
}

impl Failure {
    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::Input(_) => 2,
            Failure::Runtime(_) => 1,
            Failure::Interrupted { signal, .. } => 128 + signal,
            Failure::ClosedOutput => 0,
        }
    }

    /// What to print after `error: ` (nothing for a closed output).
    pub fn message(&self) -> Option<&str> {
        match self {
            Failure::Input(m) | Failure::Runtime(m) | Failure::Interrupted { message: m, .. } => {
                Some(m)
            }
            Failure::ClosedOutput => None,
        }
    }

    /// A job's error, worded for the command line.
    pub fn of(error: JobError, interrupts: &signals::Interrupts) -> Failure {
        let text = hints::render(&error);
        match error.fault {
            Fault::Input => Failure::Input(text),
            Fault::Work => Failure::Runtime(text),
            Fault::Stopped => {
                let signal = interrupts.received().unwrap_or(signal_hook::consts::SIGINT);
                Failure::Interrupted {
                    signal,
                    message: format!("interrupted by {}: {text}", signals::name(signal)),
                }
            }
        }
    }
}

/// Print to standard output; a closed pipe (`pasar ... | head`) ends the
/// command quietly rather than in a panic.
pub fn say(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Failure::ClosedOutput),
        // Nowhere left to report it: the results are written all the same.
        Err(_) => Ok(()),
    }
}

/// Print a line to standard output (see [`say`]).
pub fn sayln(text: &str) -> Result<(), Failure> {
    say(&format!("{text}\n"))
}

/// A warning on standard error (never fails: a closed stderr loses it).
pub fn warn(text: &str) {
    let _ = writeln!(std::io::stderr(), "warning: {text}");
}

/// The controls of a job run from the command line.
pub struct Session {
    pub interrupts: signals::Interrupts,
    pub monitor: progress::CliMonitor,
}

impl Session {
    /// Watch for signals from now on (before any file is written), with a
    /// progress bar unless `quiet`.
    pub fn start(quiet: bool) -> Result<Session, Failure> {
        let interrupts = signals::Interrupts::install()
            .map_err(|e| Failure::Runtime(format!("cannot watch for Ctrl-C: {e}")))?;
        let monitor = progress::CliMonitor::new(quiet, interrupts.armer(), interrupts.namer());
        Ok(Session {
            interrupts,
            monitor,
        })
    }

    pub fn controls(&self) -> Controls<'_> {
        Controls {
            cancel: self.interrupts.flag(),
            monitor: &self.monitor,
            // Lossy: a path that is not UTF-8 must not stop the run.
            command: std::env::args_os()
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
        }
    }

    /// A job's error as a failure.
    pub fn failure(&self, error: JobError) -> Failure {
        self.monitor.finish_quietly();
        Failure::of(error, &self.interrupts)
    }
}

pub fn main_with(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Sweep(args) => sweep::sweep(args),
        Command::Merge(args) => sweep::merge(args),
        Command::Calibrate(args) => calibrate::calibrate(args),
        Command::Forecast(args) => forecast::forecast(args),
    }
}
