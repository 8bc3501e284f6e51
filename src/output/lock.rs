//! One lock per destination: every job that writes an output folder (run,
//! compare, sweep, a sweep's shard, merge, calibrate, forecast) holds an
//! exclusive lock on `.<name>.lock` beside it from its checks to its end,
//! so two pasars never write, resume or replace the same folder at once.

use super::OutputError;
use std::fs::{self, File};
use std::path::{Path, PathBuf};

/// Open (creating it if need be) and lock `dir/lock` exclusively: the lock
/// of a checkpoint or a store, held while the returned file lives;
/// [`OutputError::Busy`] if another process holds it.
pub(crate) fn lock_folder(dir: &Path) -> Result<File, OutputError> {
    let path = dir.join("lock");
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| OutputError::io(&path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(fs::TryLockError::WouldBlock) => Err(OutputError::Busy {
            path: dir.to_path_buf(),
        }),
        Err(fs::TryLockError::Error(e)) => Err(OutputError::io(&path, e)),
    }
}

/// Another process holds the lock of the folder `dir`.
pub(crate) fn folder_in_use(dir: &Path) -> bool {
    File::open(dir.join("lock"))
        .is_ok_and(|f| matches!(f.try_lock(), Err(fs::TryLockError::WouldBlock)))
}

/// The lock of a destination, held while this value lives.
#[derive(Debug)]
pub struct DestinationLock {
    path: PathBuf,
    file: Option<File>,
}

/// `results/x` → `results/.x.lock`.
pub fn lock_path(destination: &Path) -> PathBuf {
    let name = destination
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    destination.with_file_name(format!(".{name}.lock"))
}

impl DestinationLock {
    /// Take the lock of `destination` (creating the folder it goes in);
    /// [`OutputError::Busy`] if another process holds it.
    pub fn acquire(destination: &Path) -> Result<DestinationLock, OutputError> {
        let path = lock_path(destination);
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).map_err(|source| OutputError::Create {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        // The file may be removed by the holder as it lets go: lock, then
        // check that the path still names the file locked, else try again.
        for _ in 0..8 {
            // A file this call creates is a temporary from the start, so
            // that a signal that ends the process before the lock is taken
            // removes it too; one that was there already is not ours.
            let created = (!path.exists()).then(|| super::atomic::Registration::new(&path));
            let file = fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .map_err(|source| OutputError::NotWritable {
                    path: path.parent().unwrap_or(Path::new(".")).to_path_buf(),
                    source,
                })?;
            match file.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => {
                    return Err(OutputError::Busy {
                        path: destination.to_path_buf(),
                    });
                }
                Err(fs::TryLockError::Error(e)) => return Err(OutputError::io(&path, e)),
            }
            if same_file(&file, &path) {
                // An abort (a second Ctrl-C) removes it with the other
                // temporaries before the process exits.
                match created {
                    Some(registration) => registration.keep(),
                    None => super::atomic::register(&path),
                }
                return Ok(DestinationLock {
                    path,
                    file: Some(file),
                });
            }
        }
        Err(OutputError::Busy {
            path: destination.to_path_buf(),
        })
    }
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.is_file()
}

impl Drop for DestinationLock {
    fn drop(&mut self) {
        // Removed while still held, so no one locks the old file after us.
        let _ = fs::remove_file(&self.path);
        super::atomic::unregister(&self.path);
        drop(self.file.take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().expect("a scratch folder");
        let out = dir.path().join("results").join("x");
        let first = DestinationLock::acquire(&out).expect("first");
        assert!(matches!(
            DestinationLock::acquire(&out),
            Err(OutputError::Busy { .. })
        ));
        drop(first);
        assert!(!lock_path(&out).exists(), "the lock file is removed");
        DestinationLock::acquire(&out).expect("free again");
    }
}
