//! The resumable store that sweeps (finished runs) and calibrations
//! (finished evaluations) keep their work in, so that the same command run
//! again after a stop computes only what is missing.
//!
//! | file | contents |
//! | --- | --- |
//! | `plan.json` | the job the records belong to: pasar version, what kind of job, its fingerprint (everything that determines a record) and its plan as given |
//! | `records.jsonl` | one finished record a line, appended and synced as each finishes; a line cut short by a crash is dropped when the store is opened |
//! | `lock` | held exclusively by the process using the store |
//!
//! A new store is built aside and renamed into place once `plan.json` is
//! in it, so a store always says whose records it holds. Records of
//! another job are never mixed in: a store with another fingerprint is
//! refused, or discarded when asked.

use super::OutputError;
use super::atomic::{self, write_atomic};
use super::lock::lock_folder;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fs::{self, File};
use std::io::Write;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Version of the store layout.
pub const STORE_FORMAT: u32 = 1;

const PLAN: &str = "plan.json";
const RECORDS: &str = "records.jsonl";
const LOCK: &str = "lock";

/// `plan.json`: whose records a store holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StorePlan {
    pub format: u32,
    pub pasar_version: String,
    /// `sweep`, `sweep shard`, `calibration`.
    pub job: String,
    /// Everything that determines a record, hashed.
    pub fingerprint: String,
    /// The job as given, for people and for whoever reads the store back.
    pub plan: serde_json::Value,
}

impl StorePlan {
    pub fn new(job: &str, fingerprint: &str, plan: serde_json::Value) -> StorePlan {
        StorePlan {
            format: STORE_FORMAT,
            pasar_version: env!("CARGO_PKG_VERSION").to_string(),
            job: job.to_string(),
            fingerprint: fingerprint.to_string(),
            plan,
        }
    }

    /// Records made under `other` are records of this job.
    fn same_job(&self, other: &StorePlan) -> bool {
        self.format == other.format
            && self.pasar_version == other.pasar_version
            && self.job == other.job
            && self.fingerprint == other.fingerprint
    }
}

/// An open store, locked while this value lives.
#[derive(Debug)]
pub struct Store<R> {
    dir: PathBuf,
    _lock: File,
    file: Mutex<File>,
    records: PhantomData<fn(R)>,
}

/// The store's files are all the folder holds (so `force` may remove it).
fn only_store_files(dir: &Path) -> bool {
    let Ok(entries) = fs::read_dir(dir) else {
        return false;
    };
    entries.into_iter().all(|e| {
        e.is_ok_and(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let name = name.strip_suffix(".tmp").unwrap_or(&name).to_string();
            e.file_type().is_ok_and(|t| t.is_file())
                && [PLAN, RECORDS, LOCK, "manifest.json"].contains(&name.as_str())
        })
    })
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), OutputError> {
    let mut text = serde_json::to_string_pretty(value).map_err(|e| OutputError::Json {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    text.push('\n');
    write_atomic(path, text.as_bytes())
}

/// Read `plan.json` of the store in `dir`.
pub fn read_plan(dir: &Path) -> Result<StorePlan, OutputError> {
    let path = dir.join(PLAN);
    let text = crate::input::read_text_capped(&path, crate::input::caps::JSON)?;
    serde_json::from_str(&text).map_err(|e| OutputError::BadStore {
        path,
        message: e.to_string(),
    })
}

/// The whole records of `records.jsonl` in `dir` (a line cut short by a
/// crash, or one that does not parse, is left out), and the text of
/// those lines.
fn read_records<R: DeserializeOwned>(dir: &Path) -> Result<(Vec<R>, String), OutputError> {
    let path = dir.join(RECORDS);
    if !path.exists() {
        return Ok((Vec::new(), String::new()));
    }
    // Records are small; a store of a large sweep is tens of MiB.
    let bytes = crate::input::read_capped(&path, 1 << 34)?;
    let whole = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let mut records = Vec::new();
    let mut good = String::new();
    for line in bytes[..whole].split(|&b| b == b'\n') {
        if let Ok(r) = serde_json::from_slice::<R>(line) {
            records.push(r);
            good.push_str(&String::from_utf8_lossy(line));
            good.push('\n');
        }
    }
    Ok((records, good))
}

/// Read a finished store (a sweep's part folder) without opening it for
/// writing: its plan and records.
pub fn read_store<R: DeserializeOwned>(dir: &Path) -> Result<(StorePlan, Vec<R>), OutputError> {
    let plan = read_plan(dir)?;
    let (records, _) = read_records(dir)?;
    Ok((plan, records))
}

impl<R: Serialize + DeserializeOwned> Store<R> {
    /// Open the store at `dir` for the job `plan`, creating it if need be,
    /// and return the records already in it. A store of another job
    /// (another fingerprint or pasar version) is refused, or discarded
    /// with `force`; `what` names the job in messages ("sweep").
    pub fn open(
        dir: &Path,
        plan: &StorePlan,
        force: bool,
        what: &'static str,
    ) -> Result<(Store<R>, Vec<R>), OutputError> {
        if let Ok(meta) = fs::symlink_metadata(dir) {
            if meta.file_type().is_symlink() || !meta.is_dir() {
                return Err(OutputError::NotAFolder {
                    path: dir.to_path_buf(),
                });
            }
            let held = lock_folder(dir)?;
            let has_plan = dir.join(PLAN).exists();
            let theirs = read_plan(dir);
            if let Ok(theirs) = &theirs
                && theirs.same_job(plan)
            {
                let (records, good) = read_records(dir)?;
                // Rewrite the whole lines before appending after them.
                write_atomic(&dir.join(RECORDS), good.as_bytes())?;
                let file = Self::append_to(dir)?;
                return Ok((Store::new(dir, held, file), records));
            }
            if !only_store_files(dir) {
                return Err(OutputError::NotCheckpoint {
                    path: dir.to_path_buf(),
                });
            }
            // Another job's records (or a plan that cannot be read) are
            // discarded only when asked; a store interrupted before its
            // plan was written holds nothing of value.
            if has_plan && !force {
                return Err(OutputError::OtherStore {
                    path: dir.to_path_buf(),
                    what,
                });
            }
            for name in [RECORDS, PLAN, "manifest.json"] {
                let _ = fs::remove_file(dir.join(name));
            }
            write_json(&dir.join(PLAN), plan)?;
            write_atomic(&dir.join(RECORDS), b"")?;
            let file = Self::append_to(dir)?;
            return Ok((Store::new(dir, held, file), Vec::new()));
        }
        // A new store: built aside, renamed into place with its plan in it.
        let parent = match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(|source| OutputError::Create {
            path: parent.clone(),
            source,
        })?;
        let name = dir
            .file_name()
            .map_or_else(|| "store".into(), |n| n.to_string_lossy().into_owned());
        let prefix = format!(".{name}.new-");
        super::folder::remove_stale(&parent, &prefix);
        let staging = parent.join(format!("{prefix}{}", std::process::id()));
        if staging.exists() {
            fs::remove_dir_all(&staging).map_err(|e| OutputError::io(&staging, e))?;
        }
        atomic::register(&staging);
        let built = (|| {
            fs::create_dir(&staging).map_err(|source| OutputError::Create {
                path: dir.to_path_buf(),
                source,
            })?;
            let held = lock_folder(&staging)?;
            write_json(&staging.join(PLAN), plan)?;
            fs::File::create(staging.join(RECORDS))
                .map_err(|e| OutputError::io(&staging.join(RECORDS), e))?;
            atomic::rename_into_place(&staging, dir, None).map_err(|e| match e {
                // Another process put its store there meanwhile.
                OutputError::Io { source, .. }
                    if matches!(
                        source.kind(),
                        std::io::ErrorKind::DirectoryNotEmpty | std::io::ErrorKind::AlreadyExists
                    ) =>
                {
                    OutputError::Busy {
                        path: dir.to_path_buf(),
                    }
                }
                e => e,
            })?;
            Ok(held)
        })();
        match built {
            Ok(held) => {
                let file = Self::append_to(dir)?;
                Ok((Store::new(dir, held, file), Vec::new()))
            }
            Err(e) => {
                let _ = fs::remove_dir_all(&staging);
                atomic::unregister(&staging);
                Err(e)
            }
        }
    }

    fn new(dir: &Path, lock: File, file: File) -> Store<R> {
        Store {
            dir: dir.to_path_buf(),
            _lock: lock,
            file: Mutex::new(file),
            records: PhantomData,
        }
    }

    fn append_to(dir: &Path) -> Result<File, OutputError> {
        let path = dir.join(RECORDS);
        fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|e| OutputError::io(&path, e))
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Record a finished piece of work (synced before this returns; safe
    /// from several threads at once).
    pub fn append(&self, record: &R) -> Result<(), OutputError> {
        let path = self.dir.join(RECORDS);
        let mut line = serde_json::to_string(record).map_err(|e| OutputError::Json {
            path: path.clone(),
            message: e.to_string(),
        })?;
        line.push('\n');
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        file.write_all(line.as_bytes())
            .and_then(|()| file.sync_data())
            .map_err(|e| OutputError::io(&path, e))
    }

    /// Remove the store (its work is in the results now).
    pub fn remove(self) -> Result<(), OutputError> {
        fs::remove_dir_all(&self.dir).map_err(|e| OutputError::io(&self.dir, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(fingerprint: &str) -> StorePlan {
        StorePlan::new("test", fingerprint, serde_json::json!({"n": 1}))
    }

    #[test]
    fn records_survive_a_reopen_and_a_torn_last_line() {
        let dir = tempfile::tempdir().expect("a scratch folder");
        let at = dir.path().join(".x.store");
        {
            let (store, found) =
                Store::<Vec<u32>>::open(&at, &plan("a"), false, "test").expect("open a new store");
            assert!(found.is_empty());
            store.append(&vec![1, 2]).expect("append");
            store.append(&vec![3]).expect("append");
        }
        // A crash in the middle of a line.
        let mut f = fs::OpenOptions::new()
            .append(true)
            .open(at.join(RECORDS))
            .expect("open");
        f.write_all(b"[4,").expect("write");
        drop(f);
        let (store, found) =
            Store::<Vec<u32>>::open(&at, &plan("a"), false, "test").expect("reopen");
        assert_eq!(found, vec![vec![1, 2], vec![3]]);
        // The same process cannot open it twice: the lock is held.
        assert!(matches!(
            Store::<Vec<u32>>::open(&at, &plan("a"), false, "test"),
            Err(OutputError::Busy { .. })
        ));
        drop(store);
        // Another job's store is refused, or discarded when asked.
        assert!(matches!(
            Store::<Vec<u32>>::open(&at, &plan("b"), false, "test"),
            Err(OutputError::OtherStore { .. })
        ));
        let (_, found) =
            Store::<Vec<u32>>::open(&at, &plan("b"), true, "test").expect("discard and reopen");
        assert!(found.is_empty());
    }

    #[test]
    fn a_folder_that_is_not_a_store_is_never_discarded() {
        let dir = tempfile::tempdir().expect("a scratch folder");
        let at = dir.path().join("thesis");
        fs::create_dir(&at).expect("mkdir");
        fs::write(at.join("chapter1.tex"), "...").expect("write");
        assert!(matches!(
            Store::<u32>::open(&at, &plan("a"), true, "test"),
            Err(OutputError::NotCheckpoint { .. })
        ));
        assert!(at.join("chapter1.tex").exists());
    }
}
