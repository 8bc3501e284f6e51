//! `run`: simulate a scenario's replicates and write its results folder.
//!
//! Replicates are written to a checkpoint as they finish
//! ([`crate::output::Checkpoint`]); a stop keeps the finished ones, and
//! [`resume`] runs the rest. The results folder is assembled from the
//! checkpoint, so an interrupted and resumed run writes the same bytes as
//! one that never stopped.

use super::{Controls, JobError, TickProgress, run_error, scenario_entries};
use crate::output::{
    self, CHECKPOINT_FORMAT, Checkpoint, CheckpointInfo, DestinationLock, JobDetails, Manifest,
    OutputError, ReplicateRecord, SeriesRows, StagedFolder, Stopwatch, Timing,
};
use crate::remedy::Remedy;
use crate::runner::{Executor, ReplicateResult, RunError};
use crate::scenario::load::leaves;
use crate::scenario::{Date, Overrides, Scenario};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::SystemTime;

/// A new run.
#[derive(Debug, Clone)]
pub struct RunJob {
    pub scenario: PathBuf,
    pub overrides: Overrides,
    /// The results folder [default: `results/<scenario name>`].
    pub out: Option<PathBuf>,
    /// Replace earlier results (and discard an interrupted run kept for
    /// them).
    pub force: bool,
    /// Worker threads (0: one per core).
    pub threads: usize,
}

/// Continue an interrupted run that was writing to `out`.
#[derive(Debug, Clone)]
pub struct ResumeJob {
    /// The results folder (or its checkpoint `<out>.partial`).
    pub out: PathBuf,
    pub threads: usize,
}

/// What a finished run did.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub folder: PathBuf,
    pub scenario: String,
    pub replicates: u32,
    pub ticks: u32,
    pub last_tick: u32,
    pub last_date: Date,
    /// Each series at the last tick, `metric/by/group` → mean over
    /// replicates.
    pub last_tick_means: BTreeMap<String, f64>,
    pub decisions: u64,
    pub wall_seconds: f64,
    pub cpu_seconds: Option<f64>,
    pub threads: usize,
    /// The events applied, in words, and those the horizon left out.
    pub events_applied: Vec<String>,
    pub events_dropped: Vec<String>,
}

impl RunOutcome {
    /// Decisions per CPU-second, where CPU time is known.
    pub fn decisions_per_core_second(&self) -> Option<f64> {
        self.cpu_seconds
            .filter(|&c| c > 0.0)
            .map(|c| self.decisions as f64 / c)
    }
}

/// A run ready to go: its scenario, where it writes, its checkpoint and the
/// replicates already finished.
struct Prepared {
    scenario: Scenario,
    out: PathBuf,
    checkpoint: Checkpoint,
    info: CheckpointInfo,
    done: Vec<ReplicateRecord>,
    _lock: DestinationLock,
}

/// Run a scenario: check everything, then simulate and write.
pub fn run(job: &RunJob, controls: &Controls) -> Result<RunOutcome, JobError> {
    let prepared = start(job, controls)?;
    execute(prepared, job.threads, controls)
}

/// Continue an interrupted run.
pub fn resume(job: &ResumeJob, controls: &Controls) -> Result<RunOutcome, JobError> {
    let prepared = reopen(job, controls)?;
    execute(prepared, job.threads, controls)
}

fn invalid(path: &Path) -> impl Fn(crate::scenario::ScenarioError) -> JobError + '_ {
    move |e| JobError::input(e).context(format!("invalid scenario {}", path.display()))
}

/// Refuse, before anything is allocated, a run too large for the memory
/// the process may use.
fn check_memory(
    scenario: &Scenario,
    path: &Path,
    left: &[u32],
    threads: usize,
) -> Result<(), JobError> {
    Executor::empty()
        .add(scenario, left.iter().copied())
        .threads(threads)
        .check()
        .map_err(|e| {
            run_error(e).context(format!("{} is too large for this machine", path.display()))
        })
}

/// A new run: validate everything, then create its checkpoint.
fn start(job: &RunJob, controls: &Controls) -> Result<Prepared, JobError> {
    let path = &job.scenario;
    let scenario = Scenario::load_with(path, &job.overrides).map_err(invalid(path))?;
    let out = job
        .out
        .clone()
        .unwrap_or_else(|| super::default_out(scenario.name()));
    // Refuse before simulating, not after.
    output::check_destination(&out, job.force)?;
    output::check_checkpoint(&out, job.force)?;
    let replicates = scenario.spec.simulation.replicates;
    let all: Vec<u32> = (0..replicates).collect();
    check_memory(&scenario, path, &all, job.threads)?;
    let lock = DestinationLock::acquire(&out)?;
    let seed = scenario.spec.simulation.seed;
    let info = CheckpointInfo {
        format: CHECKPOINT_FORMAT,
        pasar_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: scenario.name().to_string(),
        scenario_path: path.display().to_string(),
        working_directory: std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_default(),
        overrides: job.overrides.clone(),
        command: controls.command.clone(),
        scenario_files: scenario_entries(&scenario),
        resolved_toml_sha256: crate::input::hex_sha256(scenario.to_toml().as_bytes()),
        seed,
        replicates,
        replicate_seeds: all.iter().map(|&r| scenario.replicate_seed(r)).collect(),
        started_utc: output::utc_timestamp(SystemTime::now()),
        earlier_wall_seconds: 0.0,
        earlier_cpu_seconds: Some(0.0),
        resumed_utc: Vec::new(),
        status: "running".into(),
        finished: Vec::new(),
        force: job.force,
    };
    let checkpoint = Checkpoint::create(&out, job.force, &info, &scenario.to_toml())?;
    Ok(Prepared {
        scenario,
        out,
        checkpoint,
        info,
        done: Vec::new(),
        _lock: lock,
    })
}

/// An interrupted run: its checkpoint, and the scenario read again and
/// compared with what the run started with.
fn reopen(job: &ResumeJob, controls: &Controls) -> Result<Prepared, JobError> {
    // `results/x.partial` names the checkpoint itself.
    let out = match job.out.file_name().and_then(|n| n.to_str()) {
        Some(name)
            if name.ends_with(".partial")
                && job.out.is_dir()
                && !job.out.join("manifest.json").is_file() =>
        {
            job.out.with_file_name(name.trim_end_matches(".partial"))
        }
        _ => job.out.clone(),
    };
    let (checkpoint, mut info) = Checkpoint::open(&out)?;
    let lock = DestinationLock::acquire(&out)?;
    // The results must still be free to write (they are, unless the run
    // finished and only the checkpoint's removal was cut short).
    if let Err(e) = output::check_destination(&out, info.force) {
        return Err(JobError::input(format!(
            "cannot resume into {}: {e}\n  help: if {} holds the finished results, the checkpoint {} is a leftover and can be removed",
            out.display(),
            out.display(),
            checkpoint.path().display()
        )));
    }
    let this = env!("CARGO_PKG_VERSION");
    if info.pasar_version != this {
        return Err(JobError::input(format!(
            "the interrupted run in {} was started by pasar {} and this is pasar {this}: the numbers could differ\n  help: finish it with pasar {}, or start it again",
            checkpoint.path().display(),
            info.pasar_version,
            info.pasar_version
        ))
        .with_remedy(Remedy::DiscardAndStart));
    }
    let path = Path::new(&info.working_directory).join(&info.scenario_path);
    let mut scenario = Scenario::load_with(&path, &info.overrides).map_err(|e| {
        JobError::input(e).context(format!(
            "cannot resume {}: its scenario {} no longer loads",
            out.display(),
            path.display()
        ))
    })?;
    let changes = changes_since(&checkpoint, &info, &scenario);
    if !changes.is_empty() {
        return Err(JobError::input(format!(
            "cannot resume {}: the scenario changed since the run started:\n  - {}\n  help: put the files back as they were to resume, or start the edited scenario afresh",
            out.display(),
            changes.join("\n  - ")
        ))
        .with_remedy(Remedy::DiscardAndStart));
    }
    check_consistent(&checkpoint, &info, &scenario)?;
    // The files as the first session named them, so the manifest is the same.
    for (source, entry) in scenario.sources.iter_mut().zip(&info.scenario_files) {
        source.path = entry.path.clone();
    }
    let (done, notes) = checkpoint.finished(&info);
    for note in notes {
        controls.monitor.warn(&note);
    }
    let done_ids: Vec<u32> = done.iter().map(|r| r.replicate).collect();
    let left: Vec<u32> = (0..info.replicates)
        .filter(|r| !done_ids.contains(r))
        .collect();
    check_memory(&scenario, &path, &left, job.threads)?;
    info.resumed_utc
        .push(output::utc_timestamp(SystemTime::now()));
    info.status = "running".into();
    checkpoint.save_info(&info).map_err(JobError::work)?;
    Ok(Prepared {
        scenario,
        out,
        checkpoint,
        info,
        done,
        _lock: lock,
    })
}

/// Run what is left, then assemble and commit the results folder.
fn execute(
    prepared: Prepared,
    threads: usize,
    controls: &Controls,
) -> Result<RunOutcome, JobError> {
    let Prepared {
        scenario,
        out,
        checkpoint,
        mut info,
        done,
        _lock,
    } = prepared;
    controls.monitor.working();
    let session = Stopwatch::start();
    let done_ids: Vec<u32> = done.iter().map(|r| r.replicate).collect();
    let left = (info.replicates as u64).saturating_sub(done.len() as u64);
    controls
        .monitor
        .start(left * scenario.ticks() as u64, "replicate-ticks");
    let rows = SeriesRows::new(&scenario);
    let records = Mutex::new(done);
    let sink = |result: ReplicateResult| {
        let record = checkpoint.save_replicate(&rows, &result)?;
        records
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(record);
        Ok(())
    };
    let progress = TickProgress(controls.monitor);
    let outcome = Executor::new(&scenario)
        .threads(threads)
        .observe(&progress)
        .skip(&done_ids)
        .cancel_on(controls.cancel)
        .run_each(&sink);
    controls.monitor.finish();
    let mut records = records.into_inner().unwrap_or_else(|p| p.into_inner());
    records.sort_by_key(|r| r.replicate);
    info.finished = records.iter().map(|r| r.replicate).collect();
    let end_session = |info: &mut CheckpointInfo| {
        info.earlier_wall_seconds += session.seconds();
        info.earlier_cpu_seconds = info
            .earlier_cpu_seconds
            .zip(session.cpu_seconds())
            .map(|(a, b)| a + b);
    };
    let stopped = |info: &mut CheckpointInfo| {
        info.status = match controls.monitor.stopped_by() {
            Some(reason) => format!("interrupted by {reason}"),
            None => "interrupted".into(),
        };
        end_session(info);
        let saved = match checkpoint.save_info(info) {
            Ok(()) => String::new(),
            Err(e) => format!(" (the checkpoint's status could not be updated: {e})"),
        };
        JobError::stopped(
            format!(
                "{} of {} replicates are finished and kept in {}{saved}",
                info.finished.len(),
                info.replicates,
                checkpoint.path().display()
            ),
            Some(Remedy::Resume { out: out.clone() }),
        )
    };
    let threads = match outcome {
        Ok(stats) if !stats.cancelled => stats.threads,
        Ok(_) => return Err(stopped(&mut info)),
        Err(e) => {
            info.status = format!("failed: {e}");
            end_session(&mut info);
            let _ = checkpoint.save_info(&info);
            let what = match &e {
                RunError::Sink { .. } => "saving a finished replicate failed",
                RunError::TooManySellers { .. } | RunError::SellerIdsExhausted { .. } => {
                    "the run was stopped"
                }
                _ => "the run failed",
            };
            if info.finished.is_empty() && done_ids.is_empty() {
                let _ = checkpoint.remove();
                let kept = match &e {
                    RunError::Sink { .. } => {
                        "no replicate had finished, so nothing was kept; check that the disk has room and the output folder can be written, then run again"
                    }
                    _ => "no replicate had finished, so nothing was kept",
                };
                return Err(run_error(e).context(what).context(kept));
            }
            let kept = format!(
                "{} of {} replicates are finished and kept in {}",
                info.finished.len(),
                info.replicates,
                checkpoint.path().display()
            );
            return Err(run_error(e)
                .context(what)
                .context(kept)
                .with_remedy(Remedy::Resume { out: out.clone() }));
        }
    };
    if records.len() != info.replicates as usize {
        return Err(JobError::work(format!(
            "the run ended with {} of {} replicates in {}",
            records.len(),
            info.replicates,
            checkpoint.path().display()
        ))
        .with_remedy(Remedy::Resume { out: out.clone() }));
    }
    // Every replicate is on disk: assemble the results folder.
    let stop = || controls.cancel.load(Ordering::SeqCst);
    let writing = |e: OutputError| {
        JobError::work(e)
            .context(format!(
                "writing results to {} (every replicate is finished and kept in {}; once the problem is fixed, resuming writes the results without running them again)",
                out.display(),
                checkpoint.path().display()
            ))
            .with_remedy(Remedy::Resume { out: out.clone() })
    };
    let folder = StagedFolder::create(&out, info.force).map_err(writing)?;
    if !checkpoint
        .assemble_series(&folder, &records, &stop)
        .map_err(writing)?
    {
        drop(folder);
        return Err(stopped(&mut info));
    }
    output::write_dictionary(&folder.path("dictionary.csv")).map_err(writing)?;
    folder
        .write("resolved.toml", scenario.to_toml().as_bytes())
        .map_err(writing)?;
    end_session(&mut info);
    let decisions: u64 = records.iter().map(|r| r.decisions).sum();
    let manifest = Manifest::new(
        JobDetails::Run {
            scenario: scenario.name().to_string(),
            replicates: info.replicates,
            resolved_toml_sha256: info.resolved_toml_sha256.clone(),
        },
        info.command.clone(),
        info.scenario_files.clone(),
        threads,
        Timing {
            started_utc: info.started_utc.clone(),
            resumed_utc: info.resumed_utc.clone(),
            wall_seconds: info.earlier_wall_seconds,
            cpu_seconds: info.earlier_cpu_seconds,
        },
    )
    .with_seeds(info.seed, info.replicate_seeds.clone())
    .with_decisions(decisions)
    .with_events([&scenario]);
    let written = folder.commit_with_manifest(manifest).map_err(writing)?;
    if let Err(e) = checkpoint.remove() {
        controls.monitor.warn(&format!(
            "the results are complete but the checkpoint could not be removed: {e}"
        ));
    }
    let mut sums: BTreeMap<String, (f64, u32)> = BTreeMap::new();
    for r in &records {
        for (key, value) in &r.last_tick {
            let e = sums.entry(key.clone()).or_insert((0.0, 0));
            e.0 += value;
            e.1 += 1;
        }
    }
    let last = scenario.ticks().saturating_sub(1);
    Ok(RunOutcome {
        folder: written,
        scenario: scenario.name().to_string(),
        replicates: records.len() as u32,
        ticks: scenario.ticks(),
        last_tick: last,
        last_date: scenario.date_of_tick(last),
        last_tick_means: sums
            .into_iter()
            .map(|(k, (sum, n))| (k, sum / n as f64))
            .collect(),
        decisions,
        wall_seconds: info.earlier_wall_seconds,
        cpu_seconds: info.earlier_cpu_seconds,
        threads,
        events_applied: scenario.applied_events(),
        events_dropped: scenario.dropped_event_lines(),
    })
}

/// The replicate count and seeds in `checkpoint.json` are those of the
/// scenario read again (it records them for people and to check replicate
/// files; a hand-edited or damaged file must not steer the run).
fn check_consistent(
    checkpoint: &Checkpoint,
    info: &CheckpointInfo,
    scenario: &Scenario,
) -> Result<(), JobError> {
    let sim = &scenario.spec.simulation;
    let problem = if info.replicates != sim.replicates {
        Some(format!(
            "it lists {} replicates but its scenario has {}",
            info.replicates, sim.replicates
        ))
    } else if info.seed != sim.seed {
        Some(format!(
            "it lists seed {} but its scenario has {}",
            info.seed, sim.seed
        ))
    } else if !info
        .replicate_seeds
        .iter()
        .copied()
        .eq((0..sim.replicates).map(|r| scenario.replicate_seed(r)))
    {
        Some("its replicate seeds are not those of its seed".to_string())
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(problem) => Err(JobError::input(format!(
            "the checkpoint is damaged: {}: {problem}; it cannot be resumed",
            checkpoint.path().join("checkpoint.json").display()
        ))
        .with_remedy(Remedy::DiscardAndStart)),
    }
}

/// What differs between the run in the checkpoint and the scenario now:
/// files whose SHA-256 changed, files added to or dropped from the
/// `extends` chain, and the parameter paths whose resolved value differs.
fn changes_since(checkpoint: &Checkpoint, info: &CheckpointInfo, now: &Scenario) -> Vec<String> {
    let short = |h: &str| h.chars().take(12).collect::<String>();
    let mut changes = Vec::new();
    let then = &info.scenario_files;
    let now_files = scenario_entries(now);
    for (i, old) in then.iter().enumerate() {
        match now_files.get(i) {
            Some(new) if new.sha256 != old.sha256 => changes.push(format!(
                "{} was edited (SHA-256 {}... then, {}... now)",
                old.path,
                short(&old.sha256),
                short(&new.sha256)
            )),
            Some(_) => {}
            None => changes.push(format!("{} is no longer read", old.path)),
        }
    }
    for new in now_files.iter().skip(then.len()) {
        changes.push(format!("{} is now read as well", new.path));
    }
    let resolved_now = now.to_toml();
    if crate::input::hex_sha256(resolved_now.as_bytes()) != info.resolved_toml_sha256 {
        match checkpoint.resolved_toml() {
            Ok(resolved_then) => {
                let diff = parameter_changes(&resolved_then, &resolved_now);
                if diff.is_empty() {
                    changes.push("the resolved scenario differs".into());
                }
                changes.extend(diff);
            }
            Err(e) => changes.push(format!("the resolved scenario differs ({e})")),
        }
    }
    changes
}

/// `simulation.ticks: 12 then, 14 now` for every path whose value differs.
fn parameter_changes(then: &str, now: &str) -> Vec<String> {
    let flat = |text: &str| -> BTreeMap<String, String> {
        match toml::from_str::<toml::Table>(text) {
            Ok(table) => leaves(&toml::Value::Table(table))
                .into_iter()
                .map(|(path, v)| (path, v.to_string()))
                .collect(),
            Err(_) => BTreeMap::new(),
        }
    };
    let (a, b) = (flat(then), flat(now));
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    let show = |v: Option<&String>| v.cloned().unwrap_or_else(|| "(absent)".into());
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| format!("`{k}`: {} then, {} now", show(a.get(k)), show(b.get(k))))
        .collect()
}
