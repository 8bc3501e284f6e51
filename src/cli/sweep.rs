//! `pasar sweep` (a design over one scenario, resumable, shardable, or as a
//! SLURM array script) and `pasar merge` (shards back into one result).

use super::Failure;
use super::progress::ProgressObserver;
use super::signals::{self, Interrupts};
use anyhow::{Context, anyhow, bail};
use clap::Args;
use pasar::output::sweep::{TaskStore, read_tasks, write_design, write_sensitivity, write_sweep};
use pasar::output::{self, StagedFolder, utc_timestamp};
use pasar::report::sweep_report::sweep_report;
use pasar::sweep::{
    SweepPlan, SweepSpec, Task, TaskResult, indicators, parse_shard, run_task, shard_tasks,
};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::{Instant, SystemTime};

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// The scenario file to sweep over.
    pub scenario: PathBuf,
    /// A parameter and its range, PATH=LOW:HIGH (or PATH=A,B,C for a grid);
    /// repeatable. Paths are those of scenario files and --set.
    #[arg(long, value_name = "PATH=LOW:HIGH")]
    pub vary: Vec<String>,
    /// grid:N (points per parameter), lhs:N, morris:R (trajectories) or
    /// sobol:N (base samples; N(k+2) runs).
    #[arg(long, default_value = "lhs:16")]
    pub design: String,
    /// A design matrix instead: CSV with parameter paths as the header and
    /// one row per sample (as SALib writes it).
    #[arg(long, conflicts_with_all = ["vary"])]
    pub samples: Option<PathBuf>,
    /// Replicates of every sample [default: the scenario's].
    #[arg(long)]
    pub replicates: Option<u32>,
    /// Run only shard I of N (e.g. 3/16) and write a part folder for
    /// `pasar merge` [default: from SLURM_ARRAY_TASK_ID and
    /// SLURM_ARRAY_TASK_COUNT when set].
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Print an sbatch array script that runs the sweep in --shards parts and
    /// merges them, instead of running it.
    #[arg(long)]
    pub slurm: bool,
    /// Parts of the SLURM array job.
    #[arg(long, default_value_t = 16)]
    pub shards: u32,
    /// Output folder [default: results/sweep-<scenario name>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace the output folder if it holds earlier results, and discard a
    /// checkpoint left by a different sweep.
    #[arg(long)]
    pub force: bool,
    /// Seed (it also draws the design), overrides, threads, quiet.
    #[command(flatten)]
    pub sim: super::SimulationOptions,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Part folders written by `pasar sweep --shard`.
    #[arg(required = true)]
    pub parts: Vec<PathBuf>,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
    /// Replace the output folder if it holds earlier results.
    #[arg(long)]
    pub force: bool,
}

/// `part.json`: what a shard computed, and for which sweep.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct PartInfo {
    pasar_version: String,
    fingerprint: String,
    plan: SweepPlan,
    shard: u32,
    shards: u32,
    tasks: usize,
    complete: bool,
}

/// `plan.json` of a local sweep's checkpoint.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Checkpoint {
    pasar_version: String,
    fingerprint: String,
    plan: SweepPlan,
}

#[derive(Debug, Serialize)]
struct SweepManifest {
    pasar_version: String,
    kind: &'static str,
    command: Vec<String>,
    fingerprint: String,
    plan: SweepPlan,
    samples: usize,
    runs: usize,
    runs_resumed: usize,
    threads: usize,
    started_utc: String,
    finished_utc: String,
    wall_seconds: f64,
}

fn input(e: impl Into<anyhow::Error>) -> Failure {
    Failure::Input(e.into())
}

fn plan_of(args: &SweepArgs) -> anyhow::Result<SweepPlan> {
    let scenario = std::path::absolute(&args.scenario)
        .with_context(|| format!("cannot resolve {}", args.scenario.display()))?;
    // The scenario's own seed and replicates are the defaults.
    let base = pasar::scenario::Scenario::load(&scenario, &args.sim.sets)
        .map_err(|e| anyhow!(e).context(format!("invalid scenario {}", args.scenario.display())))?;
    let samples_csv = match &args.samples {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the samples file {}", path.display()))?,
        ),
        None => None,
    };
    if samples_csv.is_none() && args.vary.is_empty() {
        bail!(
            "nothing to vary\n  help: add --vary PATH=LOW:HIGH (repeatable), e.g. --vary channels.social.take_rate=0.02:0.08, or give --samples design.csv"
        );
    }
    Ok(SweepPlan {
        scenario,
        sets: args.sim.sets.clone(),
        vary: args.vary.clone(),
        design: if samples_csv.is_some() {
            "samples".into()
        } else {
            args.design.clone()
        },
        samples_csv,
        replicates: args
            .replicates
            .unwrap_or(base.spec.simulation.replicates)
            .max(1),
        seed: args.sim.seed.unwrap_or(base.spec.simulation.seed),
    })
}

fn build(plan: &SweepPlan, what: &str) -> anyhow::Result<(SweepSpec, String)> {
    let spec = plan
        .build()
        .map_err(|e| anyhow!(e).context(format!("invalid sweep of {what}")))?;
    let fingerprint = spec
        .fingerprint()
        .map_err(|e| anyhow!(e).context(format!("invalid sweep of {what}")))?;
    Ok((spec, fingerprint))
}

/// The shard from --shard or from SLURM's array variables.
fn shard_of(args: &SweepArgs) -> anyhow::Result<Option<(u32, u32)>> {
    if let Some(s) = &args.shard {
        return Ok(Some(parse_shard(s)?));
    }
    match (
        std::env::var("SLURM_ARRAY_TASK_ID"),
        std::env::var("SLURM_ARRAY_TASK_COUNT"),
    ) {
        (Ok(i), Ok(n)) if !args.slurm => Ok(Some(
            parse_shard(&format!("{i}/{n}"))
                .context("SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT do not name a shard")?,
        )),
        _ => Ok(None),
    }
}

pub fn sweep(args: SweepArgs) -> Result<(), Failure> {
    // Ctrl-C stops between ticks; finished runs are already on disk.
    let interrupts = Interrupts::install()
        .map_err(|e| Failure::Runtime(anyhow!("cannot watch for Ctrl-C: {e}")))?;
    let started = SystemTime::now();
    let clock = Instant::now();
    let plan = plan_of(&args).map_err(input)?;
    let what = args.scenario.display().to_string();
    let (spec, fingerprint) = build(&plan, &what).map_err(input)?;
    let base = spec.scenario_of(0).map_err(input)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("results").join(format!("sweep-{}", base.name())));
    if args.slurm {
        print!(
            "{}",
            slurm_script(&args, &out, spec.tasks().len()).map_err(input)?
        );
        return Ok(());
    }
    let indicators = indicators(&base);
    let all = spec.tasks();
    let shard = shard_of(&args).map_err(input)?;
    let threads = if usize::from(args.sim.threads) == 0 {
        rayon::current_num_threads()
    } else {
        usize::from(args.sim.threads)
    };
    match shard {
        Some(shard) => {
            // A part folder is its own checkpoint: rerunning resumes it.
            let part = PartInfo {
                pasar_version: env!("CARGO_PKG_VERSION").into(),
                fingerprint: fingerprint.clone(),
                plan: plan.clone(),
                shard: shard.0,
                shards: shard.1,
                tasks: shard_tasks(&all, shard).len(),
                complete: false,
            };
            check_part_folder(&out, &part, args.force).map_err(input)?;
            let mine = shard_tasks(&all, shard);
            let results = run_tasks(
                &spec,
                &mine,
                &indicators,
                &out,
                usize::from(args.sim.threads),
                args.sim.quiet,
                &interrupts,
            )?;
            let done = PartInfo {
                complete: true,
                ..part
            };
            write_json_atomically(&out.join("part.json"), &done).map_err(Failure::Runtime)?;
            println!(
                "shard {}/{}: {} runs in {}/ ({:.1} s); merge all parts with `pasar merge`",
                shard.0,
                shard.1,
                results.len(),
                out.display(),
                clock.elapsed().as_secs_f64()
            );
            Ok(())
        }
        None => {
            output::check_destination(&out, args.force).map_err(|e| input(anyhow!(e)))?;
            let store = checkpoint_folder(&out);
            let checkpoint = Checkpoint {
                pasar_version: env!("CARGO_PKG_VERSION").into(),
                fingerprint: fingerprint.clone(),
                plan: plan.clone(),
            };
            check_checkpoint(&store, &checkpoint, args.force).map_err(input)?;
            std::fs::create_dir_all(&store)
                .with_context(|| format!("cannot create {}", store.display()))
                .map_err(Failure::Runtime)?;
            write_json_atomically(&store.join("plan.json"), &checkpoint)
                .map_err(Failure::Runtime)?;
            let before = read_existing(&store, indicators.len());
            let results = run_tasks(
                &spec,
                &all,
                &indicators,
                &store,
                usize::from(args.sim.threads),
                args.sim.quiet,
                &interrupts,
            )?;
            let manifest = SweepManifest {
                pasar_version: env!("CARGO_PKG_VERSION").into(),
                kind: "sweep",
                command: std::env::args().collect(),
                fingerprint,
                plan,
                samples: spec.design.len(),
                runs: results.len(),
                runs_resumed: before,
                threads,
                started_utc: utc_timestamp(started),
                finished_utc: utc_timestamp(SystemTime::now()),
                wall_seconds: clock.elapsed().as_secs_f64(),
            };
            let written = write_outputs(&out, args.force, &spec, &indicators, &results, &manifest)
                .with_context(|| format!("writing the sweep to {}", out.display()))
                .map_err(Failure::Runtime)?;
            // The results are in place; the checkpoint has served.
            let _ = std::fs::remove_dir_all(&store);
            if before > 0 {
                println!(
                    "resumed: {before} runs were already done, {} computed now",
                    results.len() - before
                );
            }
            println!(
                "{} samples x {} replicates = {} runs in {:.1} s; results in {}/ (sweep.csv, design.csv{})",
                spec.design.len(),
                spec.replicates,
                results.len(),
                clock.elapsed().as_secs_f64(),
                written.display(),
                if written.join("sensitivity.csv").exists() {
                    ", sensitivity.csv"
                } else {
                    ""
                }
            );
            Ok(())
        }
    }
}

/// Where a local sweep keeps finished runs until its results are written.
fn checkpoint_folder(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map_or_else(|| "sweep".into(), |n| n.to_string_lossy().into_owned());
    out.with_file_name(format!(".{name}.sweep-checkpoint"))
}

fn read_existing(store: &Path, n_values: usize) -> usize {
    let path = store.join("tasks.csv");
    if path.exists() {
        read_tasks(&path, n_values).map_or(0, |t| t.len())
    } else {
        0
    }
}

/// A checkpoint of another sweep must not be mixed in.
fn check_checkpoint(store: &Path, mine: &Checkpoint, force: bool) -> anyhow::Result<()> {
    let path = store.join("plan.json");
    if !path.exists() {
        return Ok(());
    }
    let theirs: Option<Checkpoint> = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    if theirs
        .as_ref()
        .is_some_and(|t| t.fingerprint == mine.fingerprint)
    {
        return Ok(());
    }
    if force {
        std::fs::remove_dir_all(store)
            .with_context(|| format!("cannot remove {}", store.display()))?;
        return Ok(());
    }
    bail!(
        "{} holds the finished runs of a different sweep (another scenario, design, seed or pasar version)\n  help: run the same command as before to resume it, or pass --force to discard it",
        store.display()
    )
}

/// A part folder may be resumed only by the same shard of the same sweep.
fn check_part_folder(out: &Path, mine: &PartInfo, force: bool) -> anyhow::Result<()> {
    let path = out.join("part.json");
    if out.exists() && !path.exists() {
        if std::fs::read_dir(out).is_ok_and(|mut d| d.next().is_none()) {
            return Ok(());
        }
        bail!(
            "{} exists and is not a part folder of a sweep\n  help: choose another folder with --out",
            out.display()
        );
    }
    if path.exists() {
        let theirs: Option<PartInfo> = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok());
        let same = theirs.as_ref().is_some_and(|t| {
            t.fingerprint == mine.fingerprint && t.shard == mine.shard && t.shards == mine.shards
        });
        if !same {
            if !force {
                bail!(
                    "{} holds a part of a different sweep or shard\n  help: choose another folder with --out, or pass --force to replace it",
                    out.display()
                );
            }
            std::fs::remove_dir_all(out)
                .with_context(|| format!("cannot remove {}", out.display()))?;
        }
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    write_json_atomically(
        &path,
        &PartInfo {
            complete: false,
            ..mine.clone()
        },
    )
}

fn write_json_atomically<T: Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value)? + "\n";
    Ok(output::write_atomic(path, text.as_bytes())?)
}

/// Run `tasks` not yet in the store at `folder`, in parallel, appending each
/// result as it finishes; returns all of them (earlier ones included).
fn run_tasks(
    spec: &SweepSpec,
    tasks: &[Task],
    indicators: &[pasar::sweep::Indicator],
    folder: &Path,
    threads: usize,
    quiet: bool,
    interrupts: &Interrupts,
) -> Result<Vec<TaskResult>, Failure> {
    let (store, mut done) =
        TaskStore::open(folder, indicators.len()).map_err(|e| Failure::Runtime(anyhow!(e)))?;
    let wanted: BTreeSet<Task> = tasks.iter().copied().collect();
    done.retain(|r| wanted.contains(&r.task));
    let finished: BTreeSet<Task> = done.iter().map(|r| r.task).collect();
    let todo: Vec<Task> = tasks
        .iter()
        .copied()
        .filter(|t| !finished.contains(t))
        .collect();
    let progress = ProgressObserver::counting(tasks.len() as u64, quiet, "runs");
    progress.grow(0);
    for _ in 0..done.len() {
        progress.inc();
    }
    let store = Mutex::new(store);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Failure::Runtime(anyhow!("cannot start {threads} worker threads: {e}")))?;
    let stop = || interrupts.flag().load(Ordering::SeqCst);
    interrupts.arm();
    let fresh: Result<Vec<Option<TaskResult>>, Failure> = pool.install(|| {
        todo.par_iter()
            .map(|&task| {
                if stop() {
                    return Ok(None);
                }
                let Some(r) = run_task(spec, task, indicators, &stop)
                    .map_err(|e| Failure::Runtime(anyhow!(e)))?
                else {
                    return Ok(None);
                };
                store
                    .lock()
                    .map_err(|_| Failure::Runtime(anyhow!("a worker thread failed")))?
                    .append(&r)
                    .map_err(|e| Failure::Runtime(anyhow!(e)))?;
                progress.inc();
                Ok(Some(r))
            })
            .collect()
    });
    progress.finish();
    done.extend(fresh?.into_iter().flatten());
    if let Some(signal) = interrupts.received() {
        return Err(Failure::Interrupted {
            signal,
            error: anyhow!(
                "interrupted by {}: {} of {} runs are finished and kept in {}\n  help: run the same command again to compute only the rest",
                signals::name(signal),
                done.len(),
                tasks.len(),
                folder.display()
            ),
        });
    }
    Ok(done)
}

fn write_outputs(
    out: &Path,
    force: bool,
    spec: &SweepSpec,
    indicators: &[pasar::sweep::Indicator],
    results: &[TaskResult],
    manifest: &SweepManifest,
) -> anyhow::Result<PathBuf> {
    let folder = StagedFolder::create(out, force)?;
    write_design(&folder.path("design.csv"), &spec.design)?;
    write_sweep(&folder.path("sweep.csv"), &spec.design, indicators, results)?;
    let sensitivity =
        pasar::sweep::sensitivity(&spec.design, indicators.len(), results, manifest.plan.seed);
    if let Some(s) = &sensitivity {
        write_sensitivity(&folder.path("sensitivity.csv"), &spec.design, indicators, s)?;
    }
    output::write_dictionary(&folder.path("dictionary.csv"))?;
    let charts = folder.subfolder("charts")?;
    let html = sweep_report(
        spec,
        &manifest.fingerprint,
        manifest.plan.seed,
        indicators,
        sensitivity.as_ref(),
        &charts,
    )?;
    folder.write("report.html", html.as_bytes())?;
    let json = serde_json::to_string_pretty(manifest)? + "\n";
    folder.write("manifest.json", json.as_bytes())?;
    Ok(folder.commit()?)
}

/// Merge part folders into the results of the whole sweep.
pub fn merge(args: MergeArgs) -> Result<(), Failure> {
    let started = SystemTime::now();
    let clock = Instant::now();
    let mut parts: Vec<(PathBuf, PartInfo)> = Vec::new();
    for path in &args.parts {
        let file = path.join("part.json");
        let text = std::fs::read_to_string(&file)
            .map_err(|e| input(anyhow!("{} is not a sweep part: cannot read part.json ({e})\n  help: give the folders written by `pasar sweep --shard I/N`", path.display())))?;
        let info: PartInfo = serde_json::from_str(&text).map_err(|e| {
            input(anyhow!(
                "{}: part.json is not a sweep part ({e})",
                file.display()
            ))
        })?;
        if !info.complete {
            return Err(input(anyhow!(
                "{} is shard {}/{}, which did not finish\n  help: run its `pasar sweep --shard {}/{}` command again; it resumes",
                path.display(),
                info.shard,
                info.shards,
                info.shard,
                info.shards
            )));
        }
        parts.push((path.clone(), info));
    }
    let (first_path, first) = parts[0].clone();
    for (path, info) in &parts[1..] {
        if info.fingerprint != first.fingerprint || info.shards != first.shards {
            return Err(input(anyhow!(
                "{} and {} are parts of different sweeps (another scenario, design, seed, shard count or pasar version)\n  help: merge only the parts of one `pasar sweep` command",
                first_path.display(),
                path.display()
            )));
        }
    }
    let mut seen: Vec<Option<&PathBuf>> = vec![None; first.shards as usize];
    for (path, info) in &parts {
        if let Some(other) = seen[info.shard as usize] {
            return Err(input(anyhow!(
                "{} and {} are both shard {}/{}\n  help: give each shard once",
                other.display(),
                path.display(),
                info.shard,
                info.shards
            )));
        }
        seen[info.shard as usize] = Some(path);
    }
    let missing: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_none())
        .map(|(i, _)| format!("{i}/{}", first.shards))
        .collect();
    if !missing.is_empty() {
        return Err(input(anyhow!(
            "shards {} are missing\n  help: run them (`pasar sweep ... --shard I/N`) and give their folders too",
            missing.join(", ")
        )));
    }
    let (spec, fingerprint) =
        build(&first.plan, &first.plan.scenario.display().to_string()).map_err(input)?;
    if fingerprint != first.fingerprint {
        return Err(input(anyhow!(
            "the scenario files have changed since the parts were computed (the sweep's fingerprint differs)\n  help: rerun the shards, or restore the scenario files"
        )));
    }
    let base = spec.scenario_of(0).map_err(input)?;
    let indicators = indicators(&base);
    let all = spec.tasks();
    let mut results = Vec::with_capacity(all.len());
    for (path, info) in &parts {
        let expected: BTreeSet<Task> = shard_tasks(&all, (info.shard, info.shards))
            .into_iter()
            .collect();
        let got =
            read_tasks(&path.join("tasks.csv"), indicators.len()).map_err(|e| input(anyhow!(e)))?;
        let have: BTreeSet<Task> = got.iter().map(|r| r.task).collect();
        if have != expected || got.len() != expected.len() {
            return Err(input(anyhow!(
                "{}: tasks.csv holds {} runs, shard {}/{} needs exactly {}\n  help: run the shard again; it resumes",
                path.display(),
                got.len(),
                info.shard,
                info.shards,
                expected.len()
            )));
        }
        results.extend(got);
    }
    let manifest = SweepManifest {
        pasar_version: env!("CARGO_PKG_VERSION").into(),
        kind: "sweep",
        command: std::env::args().collect(),
        fingerprint,
        plan: first.plan.clone(),
        samples: spec.design.len(),
        runs: results.len(),
        runs_resumed: 0,
        threads: 0,
        started_utc: utc_timestamp(started),
        finished_utc: utc_timestamp(SystemTime::now()),
        wall_seconds: clock.elapsed().as_secs_f64(),
    };
    let written = write_outputs(
        &args.out,
        args.force,
        &spec,
        &indicators,
        &results,
        &manifest,
    )
    .with_context(|| format!("writing the sweep to {}", args.out.display()))
    .map_err(Failure::Runtime)?;
    println!(
        "merged {} parts: {} runs in {}/",
        parts.len(),
        results.len(),
        written.display()
    );
    Ok(())
}

/// Quote for a POSIX shell.
fn sh(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// An sbatch array script: one task per shard, then a merge job that waits
/// for the whole array.
fn slurm_script(args: &SweepArgs, out: &Path, tasks: usize) -> anyhow::Result<String> {
    let shards = args.shards.clamp(1, tasks.max(1) as u32);
    let exe = std::env::current_exe().context("cannot find the pasar executable")?;
    let cwd = std::env::current_dir().context("cannot read the working directory")?;
    let out = std::path::absolute(out)?;
    let parts = out.with_file_name(format!(
        "{}.parts",
        out.file_name()
            .map_or_else(|| "sweep".into(), |n| n.to_string_lossy().into_owned())
    ));
    let logs = parts.join("slurm");
    // SLURM opens a job's output file before the job starts: the folder must
    // exist when the script is submitted.
    std::fs::create_dir_all(&logs).with_context(|| format!("cannot create {}", logs.display()))?;
    let mut sweep_args: Vec<String> = vec![
        "sweep".into(),
        std::path::absolute(&args.scenario)?.display().to_string(),
    ];
    for v in &args.vary {
        sweep_args.extend(["--vary".into(), v.clone()]);
    }
    if let Some(s) = &args.samples {
        sweep_args.extend([
            "--samples".into(),
            std::path::absolute(s)?.display().to_string(),
        ]);
    } else {
        sweep_args.extend(["--design".into(), args.design.clone()]);
    }
    if let Some(r) = args.replicates {
        sweep_args.extend(["--replicates".into(), r.to_string()]);
    }
    if let Some(s) = args.sim.seed {
        sweep_args.extend(["--seed".into(), s.to_string()]);
    }
    for s in &args.sim.sets {
        sweep_args.extend(["--set".into(), s.clone()]);
    }
    let cpus = if usize::from(args.sim.threads) == 0 {
        1
    } else {
        usize::from(args.sim.threads)
    };
    // Memory: one model per worker thread, with room to spare.
    let base = pasar::scenario::Scenario::load(&args.scenario, &args.sim.sets)
        .map_err(|e| anyhow!(e).context(format!("invalid scenario {}", args.scenario.display())))?;
    let mem_mb = (pasar::runner::estimated_bytes(&base, cpus as u32, cpus) as f64 * 1.5 / 1048576.0)
        .ceil()
        .max(256.0) as u64;
    sweep_args.extend(["--threads".into(), cpus.to_string(), "--quiet".into()]);
    let quoted: Vec<String> = sweep_args.iter().map(|a| sh(a)).collect();
    Ok(format!(
        "#!/bin/bash\n\
         # Written by `pasar sweep --slurm`: {tasks} runs in {shards} array tasks, then a merge job.\n\
         #SBATCH --job-name=pasar-sweep\n\
         #SBATCH --array=0-{last}\n\
         #SBATCH --cpus-per-task={cpus}\n\
         #SBATCH --mem={mem_mb}M\n\
         #SBATCH --output={logs_raw}/sweep_%A_%a.out\n\
         set -euo pipefail\n\
         PASAR={exe}\n\
         cd {cwd}\n\
         mkdir -p {logs}\n\
         \"$PASAR\" {args} --shard \"$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT\" --out {parts}/\"$SLURM_ARRAY_TASK_ID\"\n\
         # The first task queues the merge, to start when every task has succeeded.\n\
         if [ \"$SLURM_ARRAY_TASK_ID\" = \"$SLURM_ARRAY_TASK_MIN\" ]; then\n\
         \x20   sbatch --job-name=pasar-merge --dependency=afterok:\"$SLURM_ARRAY_JOB_ID\" --output={logs}/merge_%j.out \\\n\
         \x20       --wrap \"$(printf '%q ' \"$PASAR\" merge {parts_glob} --out {out})\"\n\
         fi\n",
        last = shards - 1,
        logs = sh(&logs.display().to_string()),
        logs_raw = logs.display(),
        exe = sh(&exe.display().to_string()),
        cwd = sh(&cwd.display().to_string()),
        args = quoted.join(" "),
        parts = sh(&parts.display().to_string()),
        parts_glob = (0..shards)
            .map(|i| sh(&parts.join(i.to_string()).display().to_string()))
            .collect::<Vec<_>>()
            .join(" "),
        out = sh(&out.display().to_string()),
    ))
}
