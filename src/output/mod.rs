//! The run-folder module: every file pasar writes and reads back, in one
//! place. A folder appears complete or not at all (staged, then renamed:
//! `folder.rs`, `atomic.rs`); its `manifest.json` (`manifest.rs`) lists
//! every file written with its SHA-256, size and rows (`files.rs`), and a
//! folder read back is checked against it (`run_folder.rs`). `series.csv`'s
//! columns are written and read here (`series.rs`). Interrupted work is
//! kept in a run's checkpoint (`checkpoint.rs`) or in the resumable store
//! that sweeps and calibrations share (`store.rs`); every destination is
//! locked while a job writes it (`lock.rs`). The tables of `compare`,
//! `sweep` and `calibrate` are in `compare.rs`, `sweep.rs` and
//! `calibration.rs`.

mod atomic;
pub mod calibration;
mod checkpoint;
pub mod compare;
mod files;
mod folder;
mod lock;
mod manifest;
mod run_folder;
mod series;
mod store;
pub mod sweep;
pub mod xlsx;

pub use atomic::{abandon_temporaries, write_atomic};
pub use checkpoint::{
    CHECKPOINT_FORMAT, Checkpoint, CheckpointInfo, ReplicateRecord, check_checkpoint,
    checkpoint_folder,
};
pub use files::{FileEntry, entries_under, verify};
pub use folder::{StagedFolder, check_destination};
pub use lock::{DestinationLock, lock_path};
pub use manifest::{JobDetails, Manifest, RANDOM_GENERATOR, Stopwatch, Timing, utc_timestamp};
pub use run_folder::{VerifiedFolder, open_run, open_verified};
pub use series::{
    SERIES_COLUMNS, SeriesError, SeriesRow, SeriesRows, read_series, series_header,
    write_dictionary,
};
pub use store::{STORE_FORMAT, Store, StorePlan, read_plan, read_store};

use crate::remedy::Remedy;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{path} already exists", path = path.display())]
    Exists { path: PathBuf },
    #[error(
        "{path} is not a pasar results folder (it has files but no manifest.json), and only pasar results are ever replaced; remove it yourself if it can go",
        path = path.display()
    )]
    NotResults { path: PathBuf },
    #[error("{path} exists and is not a folder", path = path.display())]
    NotAFolder { path: PathBuf },
    #[error(
        "{path} is a symbolic link{target}; results are written to a real folder, never through a link",
        path = path.display(),
        target = if *dangling { " to nothing (the folder it names does not exist)" } else { "" }
    )]
    Link { path: PathBuf, dangling: bool },
    #[error("cannot write in {path}: {source}", path = path.display())]
    NotWritable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("an interrupted run is kept in {path}", path = path.display())]
    Interrupted { path: PathBuf, destination: PathBuf },
    #[error(
        "{path} is left by a run that was stopped before it started (it has no checkpoint.json), so there is nothing to resume",
        path = path.display()
    )]
    Unstarted { path: PathBuf },
    #[error(
        "{path} is not a pasar checkpoint (it has files a checkpoint does not hold), and only pasar checkpoints are ever replaced; remove it yourself if it can go",
        path = path.display()
    )]
    NotCheckpoint { path: PathBuf },
    #[error(
        "{path} is in use by another pasar (a run, sweep or calibration writing there is going on now); wait for it to end or stop it first",
        path = path.display()
    )]
    Busy { path: PathBuf },
    #[error(
        "there is no interrupted run to resume: {}{}",
        if *folder {
            format!("{} has no checkpoint.json (the run was stopped before it started)", path.display())
        } else {
            format!("{} does not exist", path.display())
        },
        if *complete { " (the run in this folder is complete)" } else { "" }
    )]
    NoCheckpoint {
        path: PathBuf,
        folder: bool,
        complete: bool,
    },
    #[error("the checkpoint {path} cannot be read: {message}", path = path.display())]
    BadCheckpoint { path: PathBuf, message: String },
    #[error(
        "{path} holds the finished work of a different {what} (another scenario, design, targets, seed or pasar version)",
        path = path.display()
    )]
    OtherStore { path: PathBuf, what: &'static str },
    #[error("{path} cannot be read as pasar's own file: {message}", path = path.display())]
    BadStore { path: PathBuf, message: String },
    #[error("{path} is not a finished pasar {what} ({why})", path = path.display())]
    NotFinished {
        path: PathBuf,
        what: &'static str,
        why: String,
    },
    #[error(
        "{folder}: {file} {problem}; the folder was damaged or edited since pasar wrote it",
        folder = folder.display()
    )]
    Damaged {
        folder: PathBuf,
        file: String,
        problem: String,
    },
    #[error("cannot create the output folder {path}: {source}", path = path.display())]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {message}", path = path.display())]
    Json { path: PathBuf, message: String },
    #[error(
        "{path} was not moved into place: the run is being aborted and its temporaries removed",
        path = path.display()
    )]
    Abandoned { path: PathBuf },
    #[error("cannot write {path}: {source}", path = path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}", path = path.display())]
    Csv { path: PathBuf, source: csv::Error },
    #[error("cannot format rows of series.csv: {source}")]
    Memory { source: csv::Error },
    #[error(transparent)]
    Input(#[from] crate::input::InputError),
    #[error(
        "replicate {replicate}, tick {tick}: `{what}` is {value}, not a finite number; nothing was written for this replicate (a bug in pasar: please report it with the scenario)"
    )]
    NotFinite {
        replicate: u32,
        tick: u32,
        what: String,
        value: f64,
    },
}

impl OutputError {
    pub fn io(path: &Path, source: std::io::Error) -> OutputError {
        OutputError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// What the user can do about it.
    pub fn remedy(&self) -> Option<Remedy> {
        match self {
            OutputError::Exists { .. } => Some(Remedy::ReplaceOrChooseOutput),
            OutputError::NotResults { .. }
            | OutputError::NotAFolder { .. }
            | OutputError::Link { .. }
            | OutputError::NotWritable { .. }
            | OutputError::NotCheckpoint { .. }
            | OutputError::Create { .. } => Some(Remedy::ChooseOutput),
            OutputError::Interrupted { destination, .. } => Some(Remedy::ResumeOrDiscard {
                out: destination.clone(),
            }),
            OutputError::Unstarted { .. } => Some(Remedy::DiscardAndStart),
            OutputError::NoCheckpoint { folder: true, .. } => Some(Remedy::DiscardAndStart),
            OutputError::OtherStore { .. } => Some(Remedy::RerunOrDiscard),
            _ => None,
        }
    }

    /// Whether what was given is at fault (the destination, a folder to
    /// read), rather than something that failed while working.
    pub fn is_input(&self) -> bool {
        matches!(
            self,
            OutputError::Exists { .. }
                | OutputError::NotResults { .. }
                | OutputError::NotAFolder { .. }
                | OutputError::Link { .. }
                | OutputError::NotWritable { .. }
                | OutputError::Interrupted { .. }
                | OutputError::Unstarted { .. }
                | OutputError::NotCheckpoint { .. }
                | OutputError::Busy { .. }
                | OutputError::NoCheckpoint { .. }
                | OutputError::BadCheckpoint { .. }
                | OutputError::OtherStore { .. }
                | OutputError::BadStore { .. }
                | OutputError::Damaged { .. }
                | OutputError::NotFinished { .. }
                | OutputError::Create { .. }
                | OutputError::Input(_)
        )
    }
}

/// A number for a CSV cell: shortest round-trip decimal, empty (missing in
/// R, pandas, Stata and Excel) when not finite.
pub(crate) fn number(v: f64) -> String {
    if v.is_finite() {
        v.to_string()
    } else {
        String::new()
    }
}

/// A buffered CSV writer on a new file.
pub(crate) fn csv_writer(
    path: &Path,
) -> Result<csv::Writer<std::io::BufWriter<std::fs::File>>, OutputError> {
    let file = std::fs::File::create(path).map_err(|e| OutputError::io(path, e))?;
    Ok(csv::Writer::from_writer(std::io::BufWriter::with_capacity(
        1 << 20,
        file,
    )))
}

/// Flush a CSV writer from [`csv_writer`] and sync the file to disk.
pub(crate) fn finish_csv(
    path: &Path,
    w: csv::Writer<std::io::BufWriter<std::fs::File>>,
) -> Result<(), OutputError> {
    let inner = w
        .into_inner()
        .map_err(|e| OutputError::io(path, e.into_error()))?;
    let file = inner
        .into_inner()
        .map_err(|e| OutputError::io(path, e.into_error()))?;
    file.sync_all().map_err(|e| OutputError::io(path, e))
}
