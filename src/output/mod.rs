//! Writing a run to disk: tidy `series.csv`, its `dictionary.csv`,
//! `manifest.json` and `resolved.toml`, all in one folder that appears
//! complete or not at all.

mod atomic;
pub mod calibration;
mod checkpoint;
pub mod compare;
mod folder;
mod manifest;
mod series;
pub mod sweep;

pub use atomic::{abandon_temporaries, write_atomic};
pub use checkpoint::{
    CHECKPOINT_FORMAT, Checkpoint, CheckpointInfo, ReplicateRecord, check_checkpoint,
    checkpoint_folder,
};
pub use folder::{StagedFolder, check_destination};
pub use manifest::{Manifest, ScenarioFileEntry, utc_timestamp};
pub use series::{SERIES_COLUMNS, SeriesRows, series_header, write_dictionary, write_series};

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error(
        "{path} already exists; pass --force to replace it, or choose another folder with --out"
    )]
    Exists { path: PathBuf },
    #[error(
        "{path} is not a pasar results folder (it has files but no manifest.json); --force only replaces pasar results, so remove it yourself or choose another folder with --out"
    )]
    NotResults { path: PathBuf },
    #[error("{path} exists and is not a folder; choose another path with --out")]
    NotAFolder { path: PathBuf },
    #[error(
        "an interrupted run is kept in {path}; resume it with `pasar run --resume {destination}`, or pass --force to discard it and start again",
        path = path.display(),
        destination = destination.display()
    )]
    Interrupted { path: PathBuf, destination: PathBuf },
    #[error(
        "{path} is left by a run that was stopped before it started (it has no checkpoint.json), so there is nothing to resume; pass --force to remove it and start the run again",
        path = path.display()
    )]
    Unstarted { path: PathBuf },
    #[error(
        "{path} is not a pasar checkpoint (it has files a checkpoint does not hold); --force only replaces pasar checkpoints, so remove it yourself or choose another folder with --out",
        path = path.display()
    )]
    NotCheckpoint { path: PathBuf },
    #[error(
        "{path} is in use by another pasar (the run is going on, or being resumed, now); wait for it to end or stop it first",
        path = path.display()
    )]
    Busy { path: PathBuf },
    #[error(
        "there is no interrupted run to resume: {}{}",
        if *folder {
            format!("{} has no checkpoint.json (the run was stopped before it started); start it again with --force to discard {}", path.display(), path.display())
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
        "cannot create the output folder {path}: {source}; choose a folder you can write to with --out",
        path = path.display()
    )]
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
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Csv { path: PathBuf, source: csv::Error },
    #[error("cannot format rows of series.csv: {source}")]
    Memory { source: csv::Error },
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

impl OutputError {
    pub fn io(path: &Path, source: std::io::Error) -> OutputError {
        OutputError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
