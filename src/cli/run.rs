//! `pasar run`: simulate a scenario and write its results.
//!
//! Replicates are written to a checkpoint as they finish (see
//! `pasar::output::Checkpoint`); Ctrl-C or SIGTERM stops the run with the
//! finished ones kept, and `--resume` runs the rest. The results folder is
//! assembled from the checkpoint, so an interrupted and resumed run writes
//! the same bytes as one that never stopped.

use super::Failure;
use super::progress::ProgressObserver;
use super::signals::{self, Interrupts};
use anyhow::anyhow;
use clap::Args;
use pasar::output::{
    self, CHECKPOINT_FORMAT, Checkpoint, CheckpointInfo, Manifest, OutputError, ReplicateRecord,
    ScenarioFileEntry, SeriesRows, StagedFolder,
};
use pasar::runner::{Executor, ReplicateResult, RunError, RunResult};
use pasar::scenario::Scenario;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::{Instant, SystemTime};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario file (TOML), e.g. scenarios/baseline.toml or a resolved.toml.
    #[arg(required_unless_present = "resume")]
    pub scenario: Option<PathBuf>,
    /// Number of replicates (overrides simulation.replicates).
    #[arg(long)]
    pub replicates: Option<u32>,
    /// Master seed, 0 to 9223372036854775807 (overrides simulation.seed).
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=i64::MAX as u64))]
    pub seed: Option<u64>,
    /// Worker threads, 0 to 1024; 0 means one per core. Results do not depend on it.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=1024))]
    pub threads: u16,
    /// Output folder [default: results/<scenario name>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Override a parameter: --set channels.social.take_rate=0.08 (repeatable).
    #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
    pub sets: Vec<String>,
    /// Replace the output folder if it exists (and discard an interrupted run
    /// kept for it).
    #[arg(long)]
    pub force: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Continue an interrupted run that was writing to this folder, e.g.
    /// --resume results/baseline: finished replicates are kept, the rest
    /// are run, and the results are those of an uninterrupted run.
    #[arg(
        long,
        value_name = "OUT",
        conflicts_with_all = ["scenario", "replicates", "seed", "out", "sets", "force"]
    )]
    pub resume: Option<PathBuf>,
}

/// A run ready to go: its scenario, where it writes, its checkpoint and the
/// replicates already finished.
pub(super) struct Job {
    pub(super) scenario: Scenario,
    pub(super) out: PathBuf,
    pub(super) checkpoint: Checkpoint,
    pub(super) info: CheckpointInfo,
    pub(super) done: Vec<ReplicateRecord>,
}

pub fn run(args: RunArgs) -> Result<(), Failure> {
    // Watch for signals before the checkpoint exists, so that none is lost.
    let interrupts = Interrupts::install()
        .map_err(|e| Failure::Runtime(anyhow!("cannot watch for Ctrl-C: {e}")))?;
    let job = match &args.resume {
        Some(out) => super::resume::resume(out, args.threads as usize)?,
        None => start(&args)?,
    };
    execute(job, &args, &interrupts)
}

/// A new run: validate everything, then create its checkpoint.
fn start(args: &RunArgs) -> Result<Job, Failure> {
    let Some(path) = &args.scenario else {
        return Err(Failure::Input(anyhow!(
            "name a scenario file, or an interrupted run with --resume"
        )));
    };
    let mut sets = args.sets.clone();
    // Flags are overrides like any other, so resolved.toml records them.
    if let Some(r) = args.replicates {
        sets.push(format!("simulation.replicates={r}"));
    }
    if let Some(s) = args.seed {
        sets.push(format!("simulation.seed={s}"));
    }
    let scenario = Scenario::load(path, &sets).map_err(|e| {
        Failure::Input(anyhow!(e).context(format!("invalid scenario {}", path.display())))
    })?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("results").join(scenario.name()));
    // Refuse before simulating, not after.
    output::check_destination(&out, args.force).map_err(|e| Failure::Input(anyhow!(e)))?;
    output::check_checkpoint(&out, args.force).map_err(|e| Failure::Input(anyhow!(e)))?;
    let replicates = scenario.spec.simulation.replicates;
    check_memory(&scenario, replicates, args.threads as usize).map_err(|e| {
        Failure::Input(e.context(format!("{} is too large for this machine", path.display())))
    })?;
    let seed = scenario.spec.simulation.seed;
    let info = CheckpointInfo {
        format: CHECKPOINT_FORMAT,
        pasar_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: scenario.name().to_string(),
        scenario_path: path.display().to_string(),
        working_directory: std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_default(),
        sets,
        // Lossy: a path that is not UTF-8 must not stop the run.
        command: std::env::args_os()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
        scenario_files: file_entries(&scenario),
        resolved_toml_sha256: pasar::scenario::load::hex_sha256(scenario.to_toml().as_bytes()),
        seed,
        replicates,
        replicate_seeds: (0..replicates)
            .map(|r| pasar::rng::replicate_seed(seed, r))
            .collect(),
        started_utc: output::utc_timestamp(SystemTime::now()),
        earlier_wall_seconds: 0.0,
        resumed_utc: Vec::new(),
        status: "running".into(),
        finished: Vec::new(),
        force: args.force,
    };
    let checkpoint =
        Checkpoint::create(&out, args.force, &info, &scenario.to_toml()).map_err(|e| match e {
            OutputError::Create { .. }
            | OutputError::Interrupted { .. }
            | OutputError::Busy { .. }
            | OutputError::Unstarted { .. }
            | OutputError::NotCheckpoint { .. }
            | OutputError::NotAFolder { .. } => Failure::Input(anyhow!(e)),
            e => Failure::Runtime(anyhow!(e)),
        })?;
    Ok(Job {
        scenario,
        out,
        checkpoint,
        info,
        done: Vec::new(),
    })
}

pub(super) fn file_entries(scenario: &Scenario) -> Vec<ScenarioFileEntry> {
    scenario
        .sources
        .iter()
        .map(|s| ScenarioFileEntry {
            path: s.path.display().to_string(),
            sha256: s.sha256.clone(),
        })
        .collect()
}

/// Run what is left, then assemble and commit the results folder.
fn execute(job: Job, args: &RunArgs, interrupts: &Interrupts) -> Result<(), Failure> {
    let Job {
        scenario,
        out,
        checkpoint,
        mut info,
        done,
    } = job;
    interrupts.arm();
    let session = Instant::now();
    let done_ids: Vec<u32> = done.iter().map(|r| r.replicate).collect();
    let left = (info.replicates as u64).saturating_sub(done.len() as u64);
    let progress = ProgressObserver::new(left * scenario.ticks() as u64, args.quiet);
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
    let threads = match args.threads as usize {
        0 => rayon::current_num_threads(),
        n => n,
    };
    // A scenario whose entry outpaces exit is stopped with a clear error
    // before it exhausts the machine's memory.
    let seller_limit = available_memory().map_or(u64::MAX, |bytes| {
        pasar::runner::seller_limit(&scenario, left as u32, threads, bytes)
    });
    let outcome = Executor::new(&scenario)
        .seller_limit(seller_limit)
        .threads(args.threads as usize)
        .observe(&progress)
        .skip(&done_ids)
        .cancel_on(interrupts.flag())
        .run_each(&sink);
    progress.finish();
    let mut records = records.into_inner().unwrap_or_else(|p| p.into_inner());
    records.sort_by_key(|r| r.replicate);
    // A first signal stopped the run (while simulating or assembling).
    let stopped =
        |info: &mut CheckpointInfo| interrupted(interrupts, &checkpoint, info, &out, session);
    info.finished = records.iter().map(|r| r.replicate).collect();
    let threads = match outcome {
        Ok(stats) if !stats.cancelled => stats.threads,
        Ok(_) => return Err(stopped(&mut info)),
        Err(e) => {
            info.status = format!("failed: {e}");
            info.earlier_wall_seconds += session.elapsed().as_secs_f64();
            let _ = checkpoint.save_info(&info);
            let kept = if info.finished.is_empty() && done_ids.is_empty() {
                let _ = checkpoint.remove();
                match &e {
                    RunError::Sink { .. } => "\n  help: no replicate had finished, so nothing was kept; check that the disk has room and the output folder can be written, then run again",
                    _ => "\n  (no replicate had finished, so nothing was kept)",
                }
                .to_string()
            } else {
                format!(
                    "\n  help: {} of {} replicates are finished and kept in {}; once the problem is fixed, resume with `pasar run --resume {}`",
                    info.finished.len(),
                    info.replicates,
                    checkpoint.path().display(),
                    out.display()
                )
            };
            let what = match &e {
                RunError::Sink { .. } => "saving a finished replicate failed",
                RunError::TooManySellers { .. } | RunError::SellerIdsExhausted { .. } => {
                    "the run was stopped"
                }
                _ => "the run failed",
            };
            return Err(Failure::Runtime(anyhow!("{what}: {e}{kept}")));
        }
    };
    if records.len() != info.replicates as usize {
        return Err(Failure::Runtime(anyhow!(
            "the run ended with {} of {} replicates in {}; resume with `pasar run --resume {}`",
            records.len(),
            info.replicates,
            checkpoint.path().display(),
            out.display()
        )));
    }
    // Every replicate is on disk: assemble the results folder.
    let stop = || interrupts.flag().load(Ordering::SeqCst);
    let wall_seconds = info.earlier_wall_seconds + session.elapsed().as_secs_f64();
    let result = RunResult {
        replicates: records
            .iter()
            .map(|r| ReplicateResult {
                replicate: r.replicate,
                seed: r.seed,
                records: Vec::new(),
                decisions: r.decisions,
                seconds: r.seconds,
            })
            .collect(),
        threads,
        wall_seconds,
    };
    let mut manifest = Manifest::new(
        &scenario,
        &result,
        info.command.clone(),
        SystemTime::now(),
        SystemTime::now(),
    );
    manifest.started_utc = info.started_utc.clone();
    manifest.resumed_utc = info.resumed_utc.clone();
    let writing = |e: OutputError| {
        Failure::Runtime(anyhow!(
            "writing results to {}: {e}\n  help: every replicate is finished and kept in {}; once the problem is fixed, `pasar run --resume {}` writes the results without running them again",
            out.display(),
            checkpoint.path().display(),
            out.display()
        ))
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
    folder
        .write("manifest.json", manifest.to_json().as_bytes())
        .map_err(writing)?;
    let written = folder.commit().map_err(writing)?;
    if let Err(e) = checkpoint.remove() {
        eprintln!("warning: the results are complete but the checkpoint could not be removed: {e}");
    }
    print_summary(&scenario, &records, threads, wall_seconds, &written);
    Ok(())
}

/// Record the interruption in the checkpoint and say how to resume.
fn interrupted(
    interrupts: &Interrupts,
    checkpoint: &Checkpoint,
    info: &mut CheckpointInfo,
    out: &Path,
    session: Instant,
) -> Failure {
    let signal = interrupts.received().unwrap_or(signal_hook::consts::SIGINT);
    info.status = format!("interrupted by {}", signals::name(signal));
    info.earlier_wall_seconds += session.elapsed().as_secs_f64();
    let saved = match checkpoint.save_info(info) {
        Ok(()) => String::new(),
        Err(e) => format!(" (the checkpoint's status could not be updated: {e})"),
    };
    Failure::Interrupted {
        signal,
        error: anyhow!(
            "interrupted by {}: {} of {} replicates are finished and kept in {}{saved}\n  \
             help: resume with `pasar run --resume {}`",
            signals::name(signal),
            info.finished.len(),
            info.replicates,
            checkpoint.path().display(),
            out.display()
        ),
    }
}

/// Refuse, before allocating, a run that cannot fit in this machine's memory.
pub(super) fn check_memory(
    scenario: &Scenario,
    replicates: u32,
    threads: usize,
) -> anyhow::Result<()> {
    let threads = if threads == 0 {
        rayon::current_num_threads()
    } else {
        threads
    };
    let needed = pasar::runner::estimated_bytes(scenario, replicates, threads);
    let Some(available) = available_memory() else {
        return Ok(());
    };
    if needed <= available {
        return Ok(());
    }
    let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
    let factor = (needed as f64 / (0.8 * available as f64)).ceil().max(2.0);
    anyhow::bail!(
        "the scenario needs about {:.1} GiB of memory ({} replicates on {} threads) but {:.1} GiB is available\n  \
         help: simulate a sample: divide every population count by {factor} and multiply \
         simulation.seller_scale and simulation.consumer_scale by {factor} (e.g. --set population.consumers.count=... \
         --set simulation.consumer_scale=...), or run fewer replicates or threads",
        gib(needed),
        replicates,
        threads.min(replicates as usize).max(1),
        gib(available)
    )
}

/// `MemAvailable` from /proc/meminfo (Linux); `None` where it cannot be read.
pub(crate) fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn print_summary(
    scenario: &Scenario,
    records: &[ReplicateRecord],
    threads: usize,
    wall_seconds: f64,
    written: &Path,
) {
    let last = scenario.ticks() - 1;
    let mean = |key: &str| -> Option<f64> {
        let values: Vec<f64> = records
            .iter()
            .filter_map(|r| r.last_tick.get(key).copied())
            .collect();
        (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
    };
    let pct = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{:5.1}%", 100.0 * v));
    println!(
        "{}: {} replicates x {} ticks; last tick {} ({}), mean over replicates",
        scenario.name(),
        records.len(),
        scenario.ticks(),
        last,
        scenario.date_of_tick(last)
    );
    for (label, key) in [
        ("GMV share, UMKM", "gmv_share/kind/umkm"),
        ("GMV share, importers", "gmv_share/kind/importer"),
        ("GMV share, affiliates", "gmv_share/kind/affiliate"),
        ("import penetration", "import_penetration/all/all"),
    ] {
        println!("  {label:<24}{}", pct(mean(key)));
    }
    let decisions: u64 = records.iter().map(|r| r.decisions).sum();
    let cpu: f64 = records.iter().map(|r| r.seconds).sum();
    println!(
        "  {} purchase decisions in {:.1} s ({:.0} per second per core, {} threads)",
        decisions,
        wall_seconds,
        if cpu > 0.0 {
            decisions as f64 / cpu
        } else {
            0.0
        },
        threads
    );
    println!(
        "results in {}/ (series.csv, dictionary.csv, manifest.json, resolved.toml)",
        written.display()
    );
}
