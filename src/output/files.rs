//! One entry per file, for manifests: where it is, its SHA-256, its size
//! and, for a CSV table, its rows. Written for every file a folder holds
//! and every file a job read; checked when a folder is read back.

use super::OutputError;
pub use crate::input::FileEntry;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// SHA-256, size and line count of a file, read once.
pub(crate) struct Digested {
    pub sha256: String,
    pub bytes: u64,
    pub lines: u64,
}

/// Read `path` through SHA-256, counting its bytes and lines.
pub(crate) fn digest(path: &Path) -> Result<Digested, OutputError> {
    let (mut file, _) = crate::input::open_regular(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    let mut lines = 0u64;
    loop {
        let n = file
            .read(&mut buffer)
            .map_err(|e| OutputError::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        bytes += n as u64;
        lines += buffer[..n].iter().filter(|&&b| b == b'\n').count() as u64;
    }
    Ok(Digested {
        sha256: hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        bytes,
        lines,
    })
}

/// An entry for every file under `root` (recursively, in name order), its
/// path relative to `root`; `skip` names files left out (the manifest
/// itself). CSV tables get their data rows: a line each after the header
/// (pasar's CSV cells never hold line breaks).
pub fn entries_under(root: &Path, skip: &[&str]) -> Result<Vec<FileEntry>, OutputError> {
    let mut out = Vec::new();
    // Folders to visit, as paths relative to root: iterative, not recursive.
    let mut todo: Vec<PathBuf> = vec![PathBuf::new()];
    while let Some(relative) = todo.pop() {
        let dir = root.join(&relative);
        let mut names: Vec<(String, bool)> = std::fs::read_dir(&dir)
            .map_err(|e| OutputError::io(&dir, e))?
            .filter_map(|e| e.ok())
            .map(|e| {
                let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
                (e.file_name().to_string_lossy().into_owned(), is_dir)
            })
            .collect();
        names.sort();
        for (name, is_dir) in names.into_iter().rev() {
            let rel = relative.join(&name);
            if is_dir {
                todo.push(rel);
                continue;
            }
            let shown = slash_path(&rel);
            if skip.contains(&shown.as_str()) {
                continue;
            }
            let d = digest(&root.join(&rel))?;
            let rows = shown.ends_with(".csv").then(|| d.lines.saturating_sub(1));
            out.push(FileEntry {
                path: shown,
                sha256: d.sha256,
                bytes: Some(d.bytes),
                rows,
            });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// `charts/a.svg`, whatever the platform's separator.
fn slash_path(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Check every entry against the files of `folder`: present, a regular
/// file, the same size and SHA-256. The first difference is an error
/// naming the file.
pub fn verify(folder: &Path, entries: &[FileEntry]) -> Result<(), OutputError> {
    let damaged = |file: &str, problem: String| OutputError::Damaged {
        folder: folder.to_path_buf(),
        file: file.to_string(),
        problem,
    };
    for entry in entries {
        if entry
            .path
            .split('/')
            .any(|part| part == ".." || part.is_empty())
        {
            return Err(damaged(
                &entry.path,
                "is listed with a path outside the folder".into(),
            ));
        }
        let path = folder.join(&entry.path);
        let d = match digest(&path) {
            Ok(d) => d,
            Err(OutputError::Input(crate::input::InputError::Unreadable { source, .. }))
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                return Err(damaged(&entry.path, "is missing".into()));
            }
            Err(e) => return Err(damaged(&entry.path, format!("cannot be read ({e})"))),
        };
        if entry.bytes.is_some_and(|b| b != d.bytes) {
            return Err(damaged(
                &entry.path,
                format!(
                    "has {} bytes, not the {} written",
                    d.bytes,
                    entry.bytes.unwrap_or(0)
                ),
            ));
        }
        if d.sha256 != entry.sha256 {
            return Err(damaged(
                &entry.path,
                "differs from what was written (its SHA-256 changed)".into(),
            ));
        }
    }
    Ok(())
}
