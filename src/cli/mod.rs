//! The command line: parse, turn arguments into typed settings, call the
//! library, report. One module per command.

pub mod progress;
pub mod resume;
pub mod run;
pub mod signals;

use clap::{Parser, Subcommand};

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
}

/// How a command failed: bad input (exit 2), a failure while working (exit
/// 1), or a signal that stopped it (exit 128 + the signal: 130 for SIGINT,
/// 143 for SIGTERM).
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
    }
}
