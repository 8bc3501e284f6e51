//! Writing a run to disk: tidy `series.csv`, its `dictionary.csv`,
//! `manifest.json` and `resolved.toml`, all in one folder that appears
//! complete or not at all.

pub mod compare;
mod folder;
mod manifest;
mod series;
pub mod sweep;

pub use folder::{StagedFolder, check_destination};
pub use manifest::{Manifest, utc_timestamp};
pub use series::{SERIES_COLUMNS, write_dictionary, write_series};

use crate::runner::RunResult;
use crate::scenario::Scenario;
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
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Csv { path: PathBuf, source: csv::Error },
}

impl OutputError {
    pub fn io(path: &Path, source: std::io::Error) -> OutputError {
        OutputError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Everything `pasar run` writes, in `destination`.
pub fn write_run(
    destination: &Path,
    force: bool,
    scenario: &Scenario,
    result: &RunResult,
    manifest: &Manifest,
) -> Result<PathBuf, OutputError> {
    let folder = StagedFolder::create(destination, force)?;
    write_series(&folder.path("series.csv"), scenario, result)?;
    write_dictionary(&folder.path("dictionary.csv"))?;
    folder.write("resolved.toml", scenario.to_toml().as_bytes())?;
    folder.write("manifest.json", manifest.to_json().as_bytes())?;
    folder.commit()
}
