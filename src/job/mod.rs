//! Each command's pipeline, as a library function taking typed options:
//! [`run::RunJob`], [`compare::CompareJob`], [`sweep::SweepJob`] (and
//! [`sweep::MergeJob`]), [`calibrate::CalibrationJob`],
//! [`forecast::ForecastJob`]. A job checks every input and output before
//! the first tick, runs its simulations on the [`crate::runner::Executor`],
//! writes its folder and returns what the caller may print.
//!
//! The caller gives [`Controls`]: a cancellation flag read between ticks,
//! and a [`Monitor`] told when work starts, how it progresses and what to
//! warn about. Errors are [`JobError`]s: what went wrong, whether the input
//! or the work is to blame, and the [`Remedy`] (named without the command
//! line's words; the CLI words it).

pub mod calibrate;
pub mod compare;
pub mod forecast;
pub mod run;
pub mod sweep;

use crate::output::OutputError;
use crate::remedy::Remedy;
use crate::runner::{Observer, RunError, SinkError, Task};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// What the caller of a job provides.
pub struct Controls<'a> {
    /// Set from outside (a signal handler) to stop between ticks.
    pub cancel: &'a AtomicBool,
    pub monitor: &'a dyn Monitor,
    /// The command line, for manifests.
    pub command: Vec<String>,
}

impl Controls<'_> {
    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }
}

/// Told how a job is going: a progress bar, warnings, and the moment its
/// checks are over and work begins (from there a stop request keeps what
/// is finished; before it, nothing is kept).
pub trait Monitor: Sync {
    /// Inputs and outputs are checked; work begins.
    fn working(&self) {}
    /// A stage of `total` units of `unit` (replicate-ticks, runs,
    /// evaluations) begins.
    fn start(&self, _total: u64, _unit: &'static str) {}
    /// `by` more units are done.
    fn advance(&self, _by: u64) {}
    /// The stage has `by` more units than announced.
    fn grow(&self, _by: u64) {}
    /// The stage has `by` fewer units than announced.
    fn shrink(&self, _by: u64) {}
    /// The stage is over.
    fn finish(&self) {}
    /// Something the user should know that does not stop the job.
    fn warn(&self, _message: &str) {}
    /// What asked the job to stop, in words ("SIGINT"), when known: a
    /// stopped job records it.
    fn stopped_by(&self) -> Option<String> {
        None
    }
}

/// A monitor that ignores everything (tests, library users).
pub struct Silent;
impl Monitor for Silent {}

/// Progress by ticks, for the executor.
pub(crate) struct TickProgress<'a>(pub &'a dyn Monitor);

impl Observer for TickProgress<'_> {
    fn tick_done(
        &self,
        _task: Task,
        _record: &crate::metrics::TickRecord,
    ) -> Result<(), SinkError> {
        self.0.advance(1);
        Ok(())
    }
}

/// Whose fault a failure is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Something given is wrong or cannot be used; the job did nothing.
    Input,
    /// Working failed (a disk, a bug, a limit met while running).
    Work,
    /// Stopped on request; see the message for what was kept.
    Stopped,
}

/// How a job failed.
#[derive(Debug)]
pub struct JobError {
    pub fault: Fault,
    /// What the job was doing, outermost first ("invalid scenario x.toml").
    pub context: Vec<String>,
    pub source: Box<dyn std::error::Error + Send + Sync>,
    pub remedy: Option<Remedy>,
}

impl std::fmt::Display for JobError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for c in &self.context {
            write!(f, "{c}: ")?;
        }
        write!(f, "{}", self.source)
    }
}

impl std::error::Error for JobError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.source.as_ref())
    }
}

impl JobError {
    pub fn new(
        fault: Fault,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> JobError {
        JobError {
            fault,
            context: Vec::new(),
            source: source.into(),
            remedy: None,
        }
    }

    /// Bad input.
    pub fn input(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> JobError {
        JobError::new(Fault::Input, source)
    }

    /// A failure while working.
    pub fn work(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> JobError {
        JobError::new(Fault::Work, source)
    }

    /// Stopped on request, `message` saying what became of the work.
    pub fn stopped(message: impl Into<String>, remedy: Option<Remedy>) -> JobError {
        JobError {
            remedy,
            ..JobError::new(Fault::Stopped, message.into())
        }
    }

    /// Say what the job was doing.
    pub fn context(mut self, what: impl Into<String>) -> JobError {
        self.context.insert(0, what.into());
        self
    }

    pub fn with_remedy(mut self, remedy: Remedy) -> JobError {
        self.remedy = Some(remedy);
        self
    }
}

impl From<OutputError> for JobError {
    fn from(e: OutputError) -> JobError {
        let fault = if e.is_input() {
            Fault::Input
        } else {
            Fault::Work
        };
        let remedy = e.remedy();
        JobError {
            remedy,
            ..JobError::new(fault, e)
        }
    }
}

impl From<crate::input::InputError> for JobError {
    fn from(e: crate::input::InputError) -> JobError {
        JobError::input(e)
    }
}

/// A run error as a job error: a scenario that cannot fit, or that grows
/// past memory, is the input's fault; a failed sink is the work's.
pub(crate) fn run_error(e: RunError) -> JobError {
    if matches!(e, RunError::TooLarge { .. }) {
        JobError::input(e)
    } else {
        JobError::work(e)
    }
}

/// The default output folder: `results/<name>`.
pub fn default_out(name: &str) -> PathBuf {
    PathBuf::from("results").join(name)
}

/// The hidden folder beside `out` where a job keeps finished work until
/// its results are written: `results/.x.<what>`.
pub fn beside(out: &Path, what: &str) -> PathBuf {
    let name = out
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    out.with_file_name(format!(".{name}.{what}"))
}

/// An input file's entry for the manifest: its path as given and its
/// SHA-256 (a file that cannot be read again gets an empty hash: it was
/// read once, and the job's other checks said so).
pub(crate) fn input_entry(path: &Path, cap: u64) -> crate::output::FileEntry {
    match crate::input::read_capped(path, cap) {
        Ok(bytes) => crate::output::FileEntry::of_bytes(path.display().to_string(), &bytes),
        Err(_) => crate::output::FileEntry {
            path: path.display().to_string(),
            sha256: String::new(),
            bytes: None,
            rows: None,
        },
    }
}

/// The scenario files of a scenario, for the manifest.
pub(crate) fn scenario_entries(
    scenario: &crate::scenario::Scenario,
) -> Vec<crate::output::FileEntry> {
    scenario.sources.clone()
}

/// Worker threads: `0` means one per core.
pub fn threads_or_cores(threads: usize) -> usize {
    if threads == 0 {
        rayon::current_num_threads()
    } else {
        threads
    }
}
