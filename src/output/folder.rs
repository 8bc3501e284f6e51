//! An output folder that appears complete or not at all.
//!
//! Files are written into a hidden staging folder beside the destination,
//! which is renamed into place only when every file is written and flushed.
//! An interrupted or failed run leaves the destination as it was.

use super::OutputError;
use super::files::entries_under;
use super::manifest::Manifest;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A staging folder that becomes `destination` on [`StagedFolder::commit`].
#[derive(Debug)]
pub struct StagedFolder {
    staging: PathBuf,
    destination: PathBuf,
    committed: bool,
}

/// Refuse early (before a long run) a destination that cannot take the
/// results: one that exists (unless `force` and it holds earlier results),
/// a link (dangling or not: the results would replace the link, not what
/// it names), a path under a file, or a folder that cannot be written.
pub fn check_destination(destination: &Path, force: bool) -> Result<(), OutputError> {
    if let Ok(meta) = fs::symlink_metadata(destination)
        && meta.file_type().is_symlink()
    {
        return Err(OutputError::Link {
            path: destination.to_path_buf(),
            dangling: !destination.exists(),
        });
    }
    if destination.exists() && !force {
        return Err(OutputError::Exists {
            path: destination.to_path_buf(),
        });
    }
    if destination.exists() && !destination.is_dir() {
        return Err(OutputError::NotAFolder {
            path: destination.to_path_buf(),
        });
    }
    // `force` replaces earlier results, never an unrelated folder.
    if destination.is_dir() && !is_replaceable(destination) {
        return Err(OutputError::NotResults {
            path: destination.to_path_buf(),
        });
    }
    check_parent_writable(destination)
}

/// The nearest existing ancestor of `path` must be a folder this process
/// can create files in (a dangling link or a file there means nothing can
/// be created below it): say so before a long run, not after.
pub(crate) fn check_parent_writable(path: &Path) -> Result<(), OutputError> {
    for ancestor in path.ancestors().skip(1) {
        let ancestor = if ancestor.as_os_str().is_empty() {
            Path::new(".")
        } else {
            ancestor
        };
        let Ok(meta) = fs::symlink_metadata(ancestor) else {
            continue;
        };
        if meta.file_type().is_symlink() && !ancestor.exists() {
            return Err(OutputError::Link {
                path: ancestor.to_path_buf(),
                dangling: true,
            });
        }
        if !ancestor.is_dir() {
            return Err(OutputError::NotAFolder {
                path: ancestor.to_path_buf(),
            });
        }
        let probe = ancestor.join(format!(".pasar-write-test-{}", std::process::id()));
        // A temporary like any other: a signal that ends the process while
        // the probe exists removes it too.
        let listed = super::atomic::Registration::new(&probe);
        let created = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&probe);
        if created.is_ok() {
            let _ = fs::remove_file(&probe);
        }
        drop(listed);
        return match created {
            Ok(_) => Ok(()),
            // Left by an earlier process of the same id: writable all the same.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            Err(source) => Err(OutputError::NotWritable {
                path: ancestor.to_path_buf(),
                source,
            }),
        };
    }
    Ok(())
}

/// An empty folder, or one that holds a pasar `manifest.json`.
fn is_replaceable(folder: &Path) -> bool {
    let empty = fs::read_dir(folder).is_ok_and(|mut entries| entries.next().is_none());
    empty || folder.join("manifest.json").is_file()
}

/// Remove the folders `parent/<prefix><pid>` left by processes that no
/// longer exist (a run killed with SIGKILL cannot remove its staging
/// folder). Where it cannot be known whether a process is alive (no
/// `/proc`), nothing is removed. Best effort: errors are ignored.
///
/// The PID is checked on this machine: on a folder shared between machines,
/// two runs writing the same destination from different machines at once
/// would remove each other's staging folders (they would also overwrite
/// each other's results, so such a setup is wrong anyway).
pub(crate) fn remove_stale(parent: &Path, prefix: &str) {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return;
    }
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    let own = std::process::id();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(prefix))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if pid != own && is_dir && !proc.join(pid.to_string()).exists() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

impl StagedFolder {
    pub fn create(destination: &Path, force: bool) -> Result<StagedFolder, OutputError> {
        check_destination(destination, force)?;
        let name = destination
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "output".into());
        let parent = match destination.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(|e| OutputError::io(&parent, e))?;
        // A killed run (SIGKILL, a crash) cannot clear up after itself.
        remove_stale(&parent, &format!(".{name}.partial-"));
        remove_stale(&parent, &format!(".{name}.old-"));
        let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if staging.exists() {
            fs::remove_dir_all(&staging).map_err(|e| OutputError::io(&staging, e))?;
        }
        super::atomic::register(&staging);
        if let Err(e) = fs::create_dir(&staging) {
            super::atomic::unregister(&staging);
            return Err(OutputError::io(&staging, e));
        }
        Ok(StagedFolder {
            staging,
            destination: destination.to_path_buf(),
            committed: false,
        })
    }

    /// Path of `name` inside the staging folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.staging.join(name)
    }

    /// Create a subfolder of the staging folder (e.g. `charts`).
    pub fn subfolder(&self, name: &str) -> Result<PathBuf, OutputError> {
        let path = self.path(name);
        fs::create_dir_all(&path).map_err(|e| OutputError::io(&path, e))?;
        Ok(path)
    }

    /// Write a whole file at once.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<(), OutputError> {
        let path = self.path(name);
        let mut file = fs::File::create(&path).map_err(|e| OutputError::io(&path, e))?;
        file.write_all(bytes)
            .map_err(|e| OutputError::io(&path, e))?;
        file.sync_all().map_err(|e| OutputError::io(&path, e))
    }

    /// Write `manifest.json`, listing every file written with its SHA-256,
    /// size and rows, then move the folder into place.
    pub fn commit_with_manifest(self, mut manifest: Manifest) -> Result<PathBuf, OutputError> {
        manifest.files = entries_under(&self.staging, &["manifest.json"])?;
        let path = self.path("manifest.json");
        let json = manifest.to_json().map_err(|e| OutputError::Json {
            path,
            message: e.to_string(),
        })?;
        self.write("manifest.json", json.as_bytes())?;
        self.commit()
    }

    /// Move the staging folder into place (replacing earlier results when
    /// created with `force`).
    pub fn commit(mut self) -> Result<PathBuf, OutputError> {
        let old = self
            .staging
            .with_extension(format!("old-{}", std::process::id()));
        super::atomic::rename_into_place(&self.staging, &self.destination, Some(&old))?;
        self.committed = true;
        if old.exists() {
            // The new results are in place; an old copy that cannot be
            // removed is left hidden beside them rather than failing the run.
            let _ = fs::remove_dir_all(&old);
        }
        Ok(self.destination.clone())
    }
}

impl Drop for StagedFolder {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
            super::atomic::unregister(&self.staging);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// An abort (a second Ctrl-C) removes the staging folder while holding
    /// the temporaries' lock; a commit meanwhile must wait, then find the
    /// folder abandoned, and never put a half-removed folder in place.
    #[test]
    fn a_commit_waits_for_an_abort_and_does_not_rename_what_it_removes() {
        let dir = tempfile::tempdir().expect("a scratch folder");
        let out = dir.path().join("out");
        let folder = StagedFolder::create(&out, false).expect("create");
        folder.write("series.csv", b"a,b\n").expect("write");
        let staging = folder.staging.clone();

        // The abort starts: it holds the lock (as `abandon_temporaries` does).
        let mut list = super::super::atomic::temporaries();
        let committing = std::thread::spawn(move || folder.commit());
        // Give the commit time to run; it must not rename meanwhile.
        std::thread::sleep(Duration::from_millis(300));
        assert!(
            !out.exists(),
            "the staging folder was renamed into place while an abort held the lock"
        );
        // The abort removes this staging folder (only it: other tests'
        // temporaries are left alone) and lets go.
        fs::remove_dir_all(&staging).expect("remove the staging folder");
        list.retain(|p| p != &staging);
        drop(list);

        let committed = committing.join().expect("the commit thread");
        assert!(
            matches!(committed, Err(OutputError::Abandoned { .. })),
            "{committed:?}"
        );
        assert!(!out.exists(), "an abandoned folder appeared as {out:?}");
    }

    #[test]
    fn write_atomic_does_not_rename_an_abandoned_temporary() {
        let dir = tempfile::tempdir().expect("a scratch folder");
        let path = dir.path().join("x.json");
        super::super::atomic::write_atomic(&path, b"1").expect("write");
        assert_eq!(fs::read(&path).expect("read"), b"1");
        // Not listed (as after an abort): refused, the old content stays.
        let tmp = super::super::atomic::temporary_for(&path);
        fs::write(&tmp, b"2").expect("write");
        let renamed = super::super::atomic::rename_into_place(&tmp, &path, None);
        assert!(matches!(renamed, Err(OutputError::Abandoned { .. })));
        assert_eq!(fs::read(&path).expect("read"), b"1");
    }
}
