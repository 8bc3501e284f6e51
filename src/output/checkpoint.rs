//! Checkpoints: each replicate is written to disk as it finishes, so an
//! interrupted run loses only the replicates in flight and can be resumed.
//!
//! A run writing to `results/x` keeps its checkpoint in `results/x.partial/`:
//!
//! | file | contents |
//! | --- | --- |
//! | `checkpoint.json` | what is run: pasar version, scenario files and their SHA-256, `--set` overrides, seeds, start time, status |
//! | `resolved.toml` | the resolved scenario, to name the parameters that changed if the files are edited before a resume |
//! | `replicate-000003.csv` | replicate 3's rows of `series.csv` (no header) |
//! | `replicate-000003.json` | its seed, decisions, timing, the SHA-256 of its rows and its last tick's values; written last, so it marks the replicate finished |
//! | `lock` | empty; the session running or resuming the run holds an exclusive lock on it, so that no other pasar resumes, replaces or runs into the same checkpoint meanwhile |
//!
//! The folder is built as `.x.partial.new-<pid>` and renamed to
//! `x.partial` only once `checkpoint.json` is in it, so `x.partial` always
//! describes its run, even when the process is stopped at once.
//!
//! Every file is written whole or not at all (temporary, sync, rename). When
//! every replicate is there, `series.csv` is assembled as the header then
//! each replicate's rows in replicate order: the same bytes as a run that
//! was never interrupted. The checkpoint folder is removed once the results
//! are in place.

use super::atomic::{self, write_atomic};
use super::files::FileEntry;
use super::lock::{folder_in_use, lock_folder};
use super::series::{SeriesRows, series_header};
use super::{OutputError, StagedFolder};
use crate::runner::ReplicateResult;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Version of the checkpoint layout.
pub const CHECKPOINT_FORMAT: u32 = 2;

const INFO: &str = "checkpoint.json";
const RESOLVED: &str = "resolved.toml";
const LOCK: &str = "lock";

/// What an interrupted run was doing: enough to resume it and to check that
/// nothing changed since.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointInfo {
    pub format: u32,
    pub pasar_version: String,
    pub scenario: String,
    /// The scenario file as named on the command line...
    pub scenario_path: String,
    /// ...and the folder it was named from.
    pub working_directory: String,
    /// The overrides given (key paths, seed, replicates), as typed values.
    pub overrides: crate::scenario::Overrides,
    /// The command line that started the run.
    pub command: Vec<String>,
    /// Every scenario file read, with its SHA-256.
    pub scenario_files: Vec<FileEntry>,
    pub resolved_toml_sha256: String,
    pub seed: u64,
    pub replicates: u32,
    pub replicate_seeds: Vec<u64>,
    pub started_utc: String,
    /// Wall-clock seconds spent by earlier, interrupted sessions.
    pub earlier_wall_seconds: f64,
    /// CPU seconds spent by earlier sessions (where the platform says).
    #[serde(default)]
    pub earlier_cpu_seconds: Option<f64>,
    /// When the run was resumed.
    pub resumed_utc: Vec<String>,
    /// `running`, or how the last session ended.
    pub status: String,
    /// Replicates finished when this file was last written (the replicate
    /// files decide; this is for people).
    pub finished: Vec<u32>,
    /// The run replaces earlier results (it was started so).
    pub force: bool,
}

/// A finished replicate in the checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplicateRecord {
    pub replicate: u32,
    pub seed: u64,
    pub decisions: u64,
    pub seconds: f64,
    /// Size and SHA-256 of its rows (`replicate-NNNNNN.csv`).
    pub csv_bytes: u64,
    pub csv_sha256: String,
    /// The last tick's values, keyed `metric/by/group` as in `series.csv`.
    pub last_tick: BTreeMap<String, f64>,
}

/// The checkpoint folder of a run.
#[derive(Debug)]
pub struct Checkpoint {
    dir: PathBuf,
    /// The open `lock` file, locked exclusively while this value lives.
    _lock: fs::File,
}

/// `results/x` → `results/x.partial`.
pub fn checkpoint_folder(destination: &Path) -> PathBuf {
    let mut name = destination
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "output".into());
    name.push(".partial");
    destination.with_file_name(name)
}

/// Refuse early (before a long run) when an interrupted run would be
/// overwritten: it is resumed with `--resume`, or discarded with `--force`.
/// A checkpoint in use by another pasar is never overwritten.
pub fn check_checkpoint(destination: &Path, force: bool) -> Result<(), OutputError> {
    let dir = checkpoint_folder(destination);
    if !dir.exists() {
        return Ok(());
    }
    if !dir.is_dir() {
        return Err(OutputError::NotAFolder { path: dir });
    }
    if folder_in_use(&dir) {
        return Err(OutputError::Busy { path: dir });
    }
    let described = dir.join(INFO).is_file();
    if !force {
        return Err(if described {
            OutputError::Interrupted {
                path: dir,
                destination: destination.to_path_buf(),
            }
        } else {
            OutputError::Unstarted { path: dir }
        });
    }
    if !described && !only_checkpoint_files(&dir) {
        return Err(OutputError::NotCheckpoint { path: dir });
    }
    Ok(())
}

/// Every entry of `dir` is a name a checkpoint holds (so that `--force`
/// may remove a checkpoint whose `checkpoint.json` was never written, and
/// nothing else).
fn only_checkpoint_files(dir: &Path) -> bool {
    let Ok(entries) = fs::read_dir(dir) else {
        return false;
    };
    entries.into_iter().all(|e| {
        let Ok(e) = e else { return false };
        let name = e.file_name().to_string_lossy().into_owned();
        let name = name.strip_suffix(".tmp").unwrap_or(&name);
        e.file_type().is_ok_and(|t| t.is_file())
            && ([INFO, RESOLVED, LOCK].contains(&name)
                || name.strip_prefix("replicate-").is_some_and(|rest| {
                    let number = rest
                        .strip_suffix(".csv")
                        .or_else(|| rest.strip_suffix(".json"));
                    number.is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                }))
    })
}

/// Write `dir/checkpoint.json`.
fn write_info(dir: &Path, info: &CheckpointInfo) -> Result<(), OutputError> {
    let path = dir.join(INFO);
    let mut json = serde_json::to_string_pretty(info).map_err(|e| OutputError::Json {
        path: path.clone(),
        message: e.to_string(),
    })?;
    json.push('\n');
    write_atomic(&path, json.as_bytes())
}

fn replicate_name(replicate: u32, ext: &str) -> String {
    format!("replicate-{replicate:06}.{ext}")
}

impl Checkpoint {
    /// Start the checkpoint of a new run (after [`check_checkpoint`]; with
    /// `force`, an earlier interrupted run is discarded).
    pub fn create(
        destination: &Path,
        force: bool,
        info: &CheckpointInfo,
        resolved_toml: &str,
    ) -> Result<Checkpoint, OutputError> {
        check_checkpoint(destination, force)?;
        let dir = checkpoint_folder(destination);
        let parent = match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "output.partial".into());
        if force && dir.is_dir() {
            // Held while it is moved aside: no other pasar starts using it
            // meanwhile. Moved aside (as a listed temporary) and then
            // removed, so that an abort never leaves half of it in place.
            let _held = if dir.join(LOCK).is_file() {
                Some(lock_folder(&dir)?)
            } else {
                None
            };
            let old = parent.join(format!(".{name}.old-{}", std::process::id()));
            atomic::register(&old);
            let discarded = fs::rename(&dir, &old)
                .map_err(|e| OutputError::io(&dir, e))
                .and_then(|()| fs::remove_dir_all(&old).map_err(|e| OutputError::io(&old, e)));
            atomic::unregister(&old);
            discarded?;
        }
        fs::create_dir_all(&parent).map_err(|e| OutputError::Create {
            path: parent.clone(),
            source: e,
        })?;
        // Built aside, renamed into place once it describes its run.
        let prefix = format!(".{name}.new-");
        super::folder::remove_stale(&parent, &prefix);
        super::folder::remove_stale(&parent, &format!(".{name}.old-"));
        let staging = parent.join(format!("{prefix}{}", std::process::id()));
        if staging.exists() {
            fs::remove_dir_all(&staging).map_err(|e| OutputError::io(&staging, e))?;
        }
        atomic::register(&staging);
        let built = Self::build(&staging, &dir, info, resolved_toml).and_then(|lock| {
            atomic::rename_into_place(&staging, &dir, None).map_err(|e| match e {
                // Another run put its checkpoint there meanwhile.
                OutputError::Io { source, .. }
                    if matches!(
                        source.kind(),
                        std::io::ErrorKind::DirectoryNotEmpty | std::io::ErrorKind::AlreadyExists
                    ) =>
                {
                    if folder_in_use(&dir) {
                        OutputError::Busy { path: dir.clone() }
                    } else {
                        OutputError::Interrupted {
                            path: dir.clone(),
                            destination: destination.to_path_buf(),
                        }
                    }
                }
                e => e,
            })?;
            Ok(lock)
        });
        match built {
            Ok(lock) => Ok(Checkpoint { dir, _lock: lock }),
            Err(e) => {
                let _ = fs::remove_dir_all(&staging);
                atomic::unregister(&staging);
                Err(e)
            }
        }
    }

    /// Write a new checkpoint's lock, resolved scenario and description in
    /// `staging` (which becomes `dir`); the lock, held.
    fn build(
        staging: &Path,
        dir: &Path,
        info: &CheckpointInfo,
        resolved_toml: &str,
    ) -> Result<fs::File, OutputError> {
        fs::create_dir(staging).map_err(|e| OutputError::Create {
            path: dir.to_path_buf(),
            source: e,
        })?;
        let lock = lock_folder(staging)?;
        write_atomic(&staging.join(RESOLVED), resolved_toml.as_bytes())?;
        write_info(staging, info)?;
        Ok(lock)
    }

    /// The checkpoint of an interrupted run that was writing to `destination`.
    pub fn open(destination: &Path) -> Result<(Checkpoint, CheckpointInfo), OutputError> {
        let dir = checkpoint_folder(destination);
        let info_path = dir.join(INFO);
        let missing = |folder: bool| OutputError::NoCheckpoint {
            path: dir.clone(),
            folder,
            complete: destination.join("manifest.json").is_file(),
        };
        if !dir.is_dir() {
            return Err(missing(false));
        }
        // Locked before it is read: a session that finishes meanwhile
        // removes the folder first and its lock last.
        let lock = match lock_folder(&dir) {
            Ok(lock) => lock,
            Err(OutputError::Io { .. }) if !dir.is_dir() => return Err(missing(false)),
            Err(e) => return Err(e),
        };
        if !info_path.is_file() {
            return Err(missing(dir.is_dir()));
        }
        let bad = |message: String| OutputError::BadCheckpoint {
            path: info_path.clone(),
            message,
        };
        let text = crate::input::read_text_capped(&info_path, crate::input::caps::JSON)
            .map_err(|e| bad(e.to_string()))?;
        let info: CheckpointInfo = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        if info.format != CHECKPOINT_FORMAT {
            return Err(bad(format!(
                "checkpoint format {} (this pasar reads format {CHECKPOINT_FORMAT})",
                info.format
            )));
        }
        Ok((Checkpoint { dir, _lock: lock }, info))
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Write `checkpoint.json`.
    pub fn save_info(&self, info: &CheckpointInfo) -> Result<(), OutputError> {
        write_info(&self.dir, info)
    }

    /// The resolved scenario the run started with.
    pub fn resolved_toml(&self) -> Result<String, OutputError> {
        let path = self.dir.join(RESOLVED);
        crate::input::read_text_capped(&path, crate::input::caps::TOML).map_err(|e| {
            OutputError::BadCheckpoint {
                path,
                message: e.to_string(),
            }
        })
    }

    /// Write a finished replicate: its rows, then its record (which marks
    /// it finished). Safe to call from several threads at once.
    pub fn save_replicate(
        &self,
        rows: &SeriesRows,
        result: &ReplicateResult,
    ) -> Result<ReplicateRecord, OutputError> {
        let csv = rows.replicate(result)?;
        let last_tick = result
            .records
            .last()
            .map(|rec| {
                rec.observations
                    .iter()
                    .map(|o| (rows.key(o), o.value))
                    .collect()
            })
            .unwrap_or_default();
        let record = ReplicateRecord {
            replicate: result.replicate,
            seed: result.seed,
            decisions: result.decisions,
            seconds: result.seconds,
            csv_bytes: csv.len() as u64,
            csv_sha256: crate::input::hex_sha256(&csv),
            last_tick,
        };
        write_atomic(
            &self.dir.join(replicate_name(result.replicate, "csv")),
            &csv,
        )?;
        let json_path = self.dir.join(replicate_name(result.replicate, "json"));
        let json = serde_json::to_vec_pretty(&record).map_err(|e| OutputError::Json {
            path: json_path.clone(),
            message: e.to_string(),
        })?;
        write_atomic(&json_path, &json)?;
        Ok(record)
    }

    /// The finished replicates whose files are whole and belong to this
    /// run, in replicate order, and a note for each replicate file that
    /// does not (it is run again). Leftover temporaries are removed.
    pub fn finished(&self, info: &CheckpointInfo) -> (Vec<ReplicateRecord>, Vec<String>) {
        let mut records = Vec::new();
        let mut notes = Vec::new();
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return (records, notes);
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        for name in &names {
            if name.ends_with(".tmp") {
                let _ = fs::remove_file(self.dir.join(name));
            }
        }
        for name in names.iter().filter(|n| n.ends_with(".json") && *n != INFO) {
            match self.check_replicate(name, info) {
                Ok(record) => records.push(record),
                Err(why) => notes.push(format!("{name}: {why}; it is run again")),
            }
        }
        // One record per replicate: each is read from the file named after it.
        records.sort_by_key(|r| r.replicate);
        (records, notes)
    }

    fn check_replicate(
        &self,
        name: &str,
        info: &CheckpointInfo,
    ) -> Result<ReplicateRecord, String> {
        let text = crate::input::read_text_capped(&self.dir.join(name), crate::input::caps::JSON)
            .map_err(|e| e.to_string())?;
        let record: ReplicateRecord = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        if name != replicate_name(record.replicate, "json") {
            return Err(format!("it describes replicate {}", record.replicate));
        }
        let seed = info.replicate_seeds.get(record.replicate as usize);
        if seed != Some(&record.seed) {
            return Err("its seed is not this run's".into());
        }
        // Its size is known: read no more than that (and a byte to notice).
        let csv = crate::input::read_capped(
            &self.dir.join(replicate_name(record.replicate, "csv")),
            record.csv_bytes.saturating_add(1),
        )
        .map_err(|e| format!("its rows cannot be read ({e})"))?;
        if csv.len() as u64 != record.csv_bytes
            || crate::input::hex_sha256(&csv) != record.csv_sha256
        {
            return Err("its rows are damaged (size or SHA-256 differ)".into());
        }
        Ok(record)
    }

    /// Write `series.csv` into `folder`: the header, then every replicate's
    /// rows in replicate order. Returns `Ok(false)` without finishing when
    /// `stop` says so between replicates.
    pub fn assemble_series(
        &self,
        folder: &StagedFolder,
        records: &[ReplicateRecord],
        stop: &dyn Fn() -> bool,
    ) -> Result<bool, OutputError> {
        let path = folder.path("series.csv");
        let file = fs::File::create(&path).map_err(|e| OutputError::io(&path, e))?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        w.write_all(&series_header())
            .map_err(|e| OutputError::io(&path, e))?;
        for record in records {
            if stop() {
                return Ok(false);
            }
            let chunk = self.dir.join(replicate_name(record.replicate, "csv"));
            let mut from = fs::File::open(&chunk).map_err(|e| OutputError::io(&chunk, e))?;
            std::io::copy(&mut from, &mut w).map_err(|e| OutputError::io(&path, e))?;
        }
        let file = w
            .into_inner()
            .map_err(|e| OutputError::io(&path, e.into_error()))?;
        file.sync_all().map_err(|e| OutputError::io(&path, e))?;
        Ok(true)
    }

    /// Remove the checkpoint (the results are in place, or nothing was kept).
    pub fn remove(self) -> Result<(), OutputError> {
        fs::remove_dir_all(&self.dir).map_err(|e| OutputError::io(&self.dir, e))
    }
}
