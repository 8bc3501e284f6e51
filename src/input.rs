//! Reading input files: every file pasar reads (scenarios, targets,
//! samples, run folders, stores) is a regular file, read up to a size cap.
//! A pipe, a device or a folder named by mistake is refused at once
//! rather than read forever or hung on.

use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("cannot read {path}: {source}", path = path.display())]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is {what}, not a file", path = path.display())]
    NotAFile { path: PathBuf, what: &'static str },
    #[error("{path} is larger than {limit}: not a file pasar writes or reads", path = path.display(), limit = show_bytes(*cap))]
    TooLarge { path: PathBuf, cap: u64 },
}

/// `16 MiB`, `2 GiB`.
pub fn show_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 || value.fract() == 0.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// What a non-regular file is, in words.
fn kind_of(meta: &std::fs::Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("a folder");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a named pipe");
        }
        if t.is_char_device() || t.is_block_device() {
            return Some("a device");
        }
        if t.is_socket() {
            return Some("a socket");
        }
    }
    Some("not a regular file")
}

/// Open `path` for reading if it is a regular file (links followed),
/// without blocking on a pipe; its size.
pub fn open_regular(path: &Path) -> Result<(File, u64), InputError> {
    let unreadable = |source| InputError::Unreadable {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    if let Some(what) = kind_of(&meta) {
        return Err(InputError::NotAFile {
            path: path.to_path_buf(),
            what,
        });
    }
    let file = File::open(path).map_err(unreadable)?;
    // What was opened is what was checked (not swapped for a pipe since).
    let opened = file.metadata().map_err(unreadable)?;
    if let Some(what) = kind_of(&opened) {
        return Err(InputError::NotAFile {
            path: path.to_path_buf(),
            what,
        });
    }
    Ok((file, opened.len()))
}

/// The bytes of regular file `path`, at most `cap` of them.
pub fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, InputError> {
    let (file, len) = open_regular(path)?;
    if len > cap {
        return Err(InputError::TooLarge {
            path: path.to_path_buf(),
            cap,
        });
    }
    let mut bytes = Vec::with_capacity(len as usize);
    // One more byte than the cap notices a file that grew meanwhile.
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| InputError::Unreadable {
            path: path.to_path_buf(),
            source,
        })?;
    if bytes.len() as u64 > cap {
        return Err(InputError::TooLarge {
            path: path.to_path_buf(),
            cap,
        });
    }
    Ok(bytes)
}

/// The text of regular file `path` (UTF-8), at most `cap` bytes.
pub fn read_text_capped(path: &Path, cap: u64) -> Result<String, InputError> {
    let bytes = read_capped(path, cap)?;
    String::from_utf8(bytes).map_err(|e| InputError::Unreadable {
        path: path.to_path_buf(),
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "not UTF-8 text (bad byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        ),
    })
}

/// One file, for manifests and for what a scenario read: where it is, its
/// SHA-256, its size and, for a CSV table, its rows. The one such type in
/// pasar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// As named (inputs), or relative to the folder (files written), with
    /// `/` between folders.
    pub path: String,
    pub sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// Data rows of a CSV table (its header not counted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
}

impl FileEntry {
    /// An entry for bytes already in memory (an input file read whole).
    pub fn of_bytes(path: impl Into<String>, bytes: &[u8]) -> FileEntry {
        FileEntry {
            path: path.into(),
            sha256: hex_sha256(bytes),
            bytes: Some(bytes.len() as u64),
            rows: None,
        }
    }
}

/// The SHA-256 of `bytes`, in hex.
pub fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Caps for the files pasar reads.
pub mod caps {
    /// A scenario, targets or forecast file (the shipped ones are a few KiB).
    pub const TOML: u64 = 16 << 20;
    /// A design matrix given to `sweep --samples`.
    pub const SAMPLES_CSV: u64 = 256 << 20;
    /// `manifest.json`, `plan.json`, `checkpoint.json` and the like.
    pub const JSON: u64 = 64 << 20;
    /// A calibration's `parameters.csv` or `covariance.csv` (a few KiB).
    pub const PARAMETERS_CSV: u64 = 16 << 20;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(show_bytes(16 << 20), "16 MiB");
        assert_eq!(show_bytes(1536), "1.5 KiB");
        assert_eq!(show_bytes(10), "10 bytes");
    }

    #[test]
    fn folders_and_large_files_are_refused() {
        let dir = tempfile::tempdir().expect("a scratch folder");
        assert!(matches!(
            read_capped(dir.path(), 10),
            Err(InputError::NotAFile {
                what: "a folder",
                ..
            })
        ));
        let file = dir.path().join("big");
        std::fs::write(&file, [b'x'; 11]).expect("write");
        assert!(matches!(
            read_capped(&file, 10),
            Err(InputError::TooLarge { .. })
        ));
        assert_eq!(read_capped(&file, 11).expect("read").len(), 11);
    }

    #[cfg(unix)]
    #[test]
    fn a_named_pipe_is_refused_without_blocking() {
        let dir = tempfile::tempdir().expect("a scratch folder");
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo runs");
        assert!(made.success());
        assert!(matches!(
            read_capped(&fifo, 10),
            Err(InputError::NotAFile {
                what: "a named pipe",
                ..
            })
        ));
    }
}
