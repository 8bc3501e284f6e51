//! Files that appear whole or not at all: written to `name.tmp`, synced,
//! then renamed. Temporaries being written are listed, so that an abort (a
//! second Ctrl-C) can remove them before the process exits.
//!
//! The list's lock also orders an abort against a rename: every temporary
//! (file or staging folder) is moved into place by [`rename_into_place`],
//! which holds the lock, checks that the temporary is still listed, renames
//! it and takes it off the list. An abort holds the same lock while it
//! removes the listed temporaries and until the process exits, so a
//! temporary is either renamed whole before the abort starts or removed by
//! it, never renamed while it is being removed (which would leave a
//! half-emptied folder under its final name).

use super::OutputError;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// Temporary files and staging folders being written right now.
static TEMPORARIES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

pub(crate) fn temporaries() -> MutexGuard<'static, Vec<PathBuf>> {
    TEMPORARIES.lock().unwrap_or_else(|p| p.into_inner())
}

/// List `path` as a temporary to remove on abort.
pub(crate) fn register(path: &Path) {
    temporaries().push(path.to_path_buf());
}

/// `path` is no longer a temporary (renamed into place or removed).
pub(crate) fn unregister(path: &Path) {
    let mut list = temporaries();
    if let Some(i) = list.iter().position(|p| p == path) {
        list.swap_remove(i);
    }
}

/// `path` listed as a temporary for as long as this lives, unless kept.
pub(crate) struct Registration {
    path: Option<PathBuf>,
}

impl Registration {
    pub(crate) fn new(path: &Path) -> Registration {
        register(path);
        Registration {
            path: Some(path.to_path_buf()),
        }
    }

    /// Leave `path` listed: its owner unregisters it.
    pub(crate) fn keep(mut self) {
        self.path = None;
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(path) = &self.path {
            unregister(path);
        }
    }
}

/// For an immediate exit: remove every temporary being written and return
/// with the list locked, so that no new one is renamed into place by this
/// process ([`rename_into_place`] waits for the lock, and finds its
/// temporary gone from the list). The caller exits while holding the guard.
pub fn abandon_temporaries() -> MutexGuard<'static, Vec<PathBuf>> {
    let list = temporaries();
    for path in list.iter() {
        // A folder may gain a file while it is being removed: try again.
        for _ in 0..3 {
            let gone = if path.is_dir() {
                fs::remove_dir_all(path)
            } else {
                fs::remove_file(path)
            };
            if gone.is_ok() || !path.exists() {
                break;
            }
        }
    }
    list
}

/// The temporary beside `path`: `name.tmp`.
pub fn temporary_for(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Write `bytes` to `path` so that `path` holds either its old content or
/// all of `bytes`, never part of them.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let tmp = temporary_for(path);
    register(&tmp);
    let result = write_synced(&tmp, bytes).and_then(|()| rename_into_place(&tmp, path, None));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
        unregister(&tmp);
    }
    result
}

/// Move the listed temporary `from` (a file or a staging folder) to `to`
/// and take it off the list, all while holding the list's lock, so that an
/// abort cannot be removing `from` meanwhile. If `from` is no longer listed
/// (an abort removed it), nothing is renamed: [`OutputError::Abandoned`].
///
/// With `set_aside`, an existing `to` is first moved there (and put back if
/// the rename fails); the caller removes it afterwards.
pub(crate) fn rename_into_place(
    from: &Path,
    to: &Path,
    set_aside: Option<&Path>,
) -> Result<(), OutputError> {
    let mut list = temporaries();
    let Some(i) = list.iter().position(|p| p == from) else {
        return Err(OutputError::Abandoned {
            path: from.to_path_buf(),
        });
    };
    let aside = match set_aside {
        Some(aside) if to.exists() => {
            fs::rename(to, aside).map_err(|e| OutputError::io(to, e))?;
            Some(aside)
        }
        _ => None,
    };
    if let Err(e) = fs::rename(from, to) {
        // Put the old one back rather than leave it hidden.
        if let Some(aside) = aside {
            let _ = fs::rename(aside, to);
        }
        return Err(OutputError::io(to, e));
    }
    list.swap_remove(i);
    drop(list);
    sync_folder_of(to);
    Ok(())
}

/// Make a rename in `path`'s folder durable (best effort: not every
/// platform can sync a folder).
pub fn sync_folder_of(path: &Path) {
    if let Some(parent) = path.parent() {
        let parent = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        let _ = fs::File::open(parent).and_then(|d| d.sync_all());
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let mut file = fs::File::create(path).map_err(|e| OutputError::io(path, e))?;
    file.write_all(bytes)
        .map_err(|e| OutputError::io(path, e))?;
    file.sync_all().map_err(|e| OutputError::io(path, e))
}
