//! Reading a folder back: its `manifest.json`, and every file it lists
//! checked against the SHA-256 and size written, so that a damaged or
//! edited folder is refused with the file named rather than read.

use super::OutputError;
use super::files::verify;
use super::manifest::{JobDetails, Manifest};
use std::path::{Path, PathBuf};

/// A folder whose files are as pasar wrote them.
#[derive(Debug, Clone)]
pub struct VerifiedFolder {
    pub path: PathBuf,
    pub manifest: Manifest,
}

impl VerifiedFolder {
    /// A file of the folder (listed in its manifest, hence checked).
    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }
}

/// Open `folder` (a finished pasar `what`: "run", "sweep part"), read its
/// manifest and check every file it lists; `required` names files that
/// must be among them.
pub fn open_verified(
    folder: &Path,
    what: &'static str,
    required: &[&str],
) -> Result<VerifiedFolder, OutputError> {
    let damaged = |file: &str, problem: String| OutputError::Damaged {
        folder: folder.to_path_buf(),
        file: file.to_string(),
        problem,
    };
    let not_finished = |why: &str| OutputError::NotFinished {
        path: folder.to_path_buf(),
        what,
        why: why.to_string(),
    };
    if !folder.is_dir() {
        return Err(not_finished("it is not a folder"));
    }
    let path = folder.join("manifest.json");
    if !path.exists() {
        return Err(not_finished("it has no manifest.json"));
    }
    let text = crate::input::read_text_capped(&path, crate::input::caps::JSON).map_err(|e| {
        damaged(
            "manifest.json",
            format!("cannot be read ({e}); is this a folder pasar wrote?"),
        )
    })?;
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| {
        damaged(
            "manifest.json",
            format!("does not describe a pasar folder ({e})"),
        )
    })?;
    if manifest.files.is_empty() {
        return Err(damaged(
            "manifest.json",
            format!(
                "lists no files (written by pasar {}, before folders recorded their checksums), so the folder cannot be checked; make it again with this pasar",
                manifest.pasar_version
            ),
        ));
    }
    for name in required {
        if !manifest.files.iter().any(|f| f.path == *name) {
            return Err(damaged(name, "is not among the files written".into()));
        }
    }
    verify(folder, &manifest.files)?;
    Ok(VerifiedFolder {
        path: folder.to_path_buf(),
        manifest,
    })
}

/// A folder `pasar run` wrote, checked: its manifest, `series.csv` and
/// `resolved.toml`.
pub fn open_run(folder: &Path) -> Result<VerifiedFolder, OutputError> {
    let verified = open_verified(folder, "run", &["series.csv", "resolved.toml"])?;
    if !matches!(verified.manifest.job, JobDetails::Run { .. }) {
        return Err(OutputError::Damaged {
            folder: folder.to_path_buf(),
            file: "manifest.json".into(),
            problem: format!(
                "describes a {} folder, not the results of `run`",
                verified.manifest.job.kind()
            ),
        });
    }
    Ok(verified)
}
