//! `pasar sweep` and `pasar merge`: arguments into a [`SweepJob`] or a
//! [`MergeJob`]; `--slurm` prints an sbatch array script instead.

use super::{Failure, Session, SimulationOptions, sayln};
use clap::Args;
use pasar::job::sweep::{
    MergeJob, SweepJob, SweepOutcome, build, merge as merge_job, plan, sweep as sweep_job,
};
use pasar::sweep::parse_shard;
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// The scenario file to sweep over.
    pub scenario: PathBuf,
    /// A parameter and its range, PATH=LOW:HIGH (or PATH=A,B,C for a grid);
    /// repeatable, each path once. Paths are those of scenario files and --set.
    #[arg(long, value_name = "PATH=LOW:HIGH")]
    pub vary: Vec<String>,
    /// grid:N (points per parameter), lhs:N, morris:R (trajectories) or
    /// sobol:N (base samples; N(k+2) runs) [default: lhs:16].
    #[arg(long, conflicts_with = "samples")]
    pub design: Option<String>,
    /// A design matrix instead: CSV with parameter paths as the header and
    /// one row per sample (as SALib writes it).
    #[arg(long, conflicts_with_all = ["vary"])]
    pub samples: Option<PathBuf>,
    /// Replicates of every sample, at least 1 [default: the scenario's].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub replicates: Option<u32>,
    /// Run only shard I of N (e.g. 3/16) and write a part folder for
    /// `pasar merge` [default: from SLURM_ARRAY_TASK_ID and
    /// SLURM_ARRAY_TASK_COUNT when set].
    #[arg(long, value_name = "I/N", conflicts_with = "slurm")]
    pub shard: Option<String>,
    /// Print an sbatch array script that runs the sweep in --shards parts and
    /// merges them, instead of running it.
    #[arg(long)]
    pub slurm: bool,
    /// Parts of the SLURM array job, at least 1.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..), requires = "slurm")]
    pub shards: u32,
    /// Output folder [default: results/sweep-<scenario name>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace the output folder if it holds earlier results, and discard
    /// the finished runs kept for a different sweep.
    #[arg(long)]
    pub force: bool,
    /// Seed (it also draws the design), overrides, threads, quiet.
    #[command(flatten)]
    pub sim: SimulationOptions,
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

/// The shard from --shard or from SLURM's array variables.
fn shard_of(args: &SweepArgs) -> Result<Option<(u32, u32)>, Failure> {
    if let Some(s) = &args.shard {
        return parse_shard(s)
            .map(Some)
            .map_err(|e| Failure::Input(format!("--shard: {e}")));
    }
    match (
        std::env::var("SLURM_ARRAY_TASK_ID"),
        std::env::var("SLURM_ARRAY_TASK_COUNT"),
    ) {
        (Ok(i), Ok(n)) if !args.slurm => parse_shard(&format!("{i}/{n}")).map(Some).map_err(|e| {
            Failure::Input(format!(
                "SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT do not name a shard: {e}"
            ))
        }),
        _ => Ok(None),
    }
}

fn job_of(args: &SweepArgs) -> Result<SweepJob, Failure> {
    Ok(SweepJob {
        scenario: args.scenario.clone(),
        overrides: args.sim.overrides(args.replicates),
        vary: args.vary.clone(),
        design: args.design.clone(),
        samples: args.samples.clone(),
        shard: shard_of(args)?,
        out: args.out.clone(),
        force: args.force,
        threads: usize::from(args.sim.threads),
    })
}

pub fn sweep(args: SweepArgs) -> Result<(), Failure> {
    let session = Session::start(args.sim.quiet)?;
    let job = job_of(&args)?;
    if args.slurm {
        let script = slurm_script(&args, &job).map_err(|e| session.failure(e))?;
        return super::say(&script);
    }
    let outcome = sweep_job(&job, &session.controls()).map_err(|e| session.failure(e))?;
    print_summary(&outcome)
}

fn print_summary(o: &SweepOutcome) -> Result<(), Failure> {
    if let Some((i, n)) = o.shard {
        return sayln(&format!(
            "shard {i}/{n}: {} runs in {}/ ({:.1} s); merge all parts with `pasar merge`",
            o.runs,
            o.folder.display(),
            o.wall_seconds
        ));
    }
    if o.runs_resumed > 0 {
        sayln(&format!(
            "resumed: {} runs were already done, {} computed now",
            o.runs_resumed,
            o.runs - o.runs_resumed
        ))?;
    }
    if o.parts > 1 {
        return sayln(&format!(
            "merged {} parts: {} runs in {}/",
            o.parts,
            o.runs,
            o.folder.display()
        ));
    }
    sayln(&format!(
        "{} samples x {} replicates = {} runs in {:.1} s; results in {}/ (sweep.csv, design.csv{})",
        o.samples,
        o.replicates,
        o.runs,
        o.wall_seconds,
        o.folder.display(),
        if o.sensitivity {
            ", sensitivity.csv"
        } else {
            ""
        }
    ))
}

pub fn merge(args: MergeArgs) -> Result<(), Failure> {
    let session = Session::start(true)?;
    let job = MergeJob {
        parts: args.parts.clone(),
        out: args.out.clone(),
        force: args.force,
    };
    let outcome = merge_job(&job, &session.controls()).map_err(|e| session.failure(e))?;
    print_summary(&outcome)
}

/// Quote for a POSIX shell.
fn sh(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// An sbatch array script: one task per shard, then a merge job that waits
/// for the whole array. The sweep is built first, so a bad sweep is
/// refused here rather than in every array task.
fn slurm_script(args: &SweepArgs, job: &SweepJob) -> Result<String, pasar::job::JobError> {
    let built = build(&plan(job)?)?;
    let tasks = built.spec.tasks().len();
    let name = built
        .scenarios
        .first()
        .map_or_else(|| "sweep".to_string(), |s| s.name().to_string());
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| pasar::job::default_out(&format!("sweep-{name}")));
    let io = |path: &Path, e: std::io::Error| {
        pasar::job::JobError::work(pasar::output::OutputError::io(path, e))
    };
    let shards = args.shards.clamp(1, tasks.max(1) as u32);
    let exe = std::env::current_exe().map_err(|e| io(Path::new("pasar"), e))?;
    let cwd = std::env::current_dir().map_err(|e| io(Path::new("."), e))?;
    let out = std::path::absolute(&out).map_err(|e| io(&out, e))?;
    let parts = out.with_file_name(format!(
        "{}.parts",
        out.file_name()
            .map_or_else(|| "sweep".into(), |n| n.to_string_lossy().into_owned())
    ));
    let logs = parts.join("slurm");
    // SLURM opens a job's output file before the job starts: the folder must
    // exist when the script is submitted.
    std::fs::create_dir_all(&logs).map_err(|e| io(&logs, e))?;
    let absolute = |p: &Path| std::path::absolute(p).map_err(|e| io(p, e));
    let mut sweep_args: Vec<String> = vec![
        "sweep".into(),
        absolute(&args.scenario)?.display().to_string(),
    ];
    for v in &args.vary {
        sweep_args.extend(["--vary".into(), v.clone()]);
    }
    if let Some(s) = &args.samples {
        sweep_args.extend(["--samples".into(), absolute(s)?.display().to_string()]);
    } else if let Some(d) = &args.design {
        sweep_args.extend(["--design".into(), d.clone()]);
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
    if args.sim.allow_dropped_events {
        sweep_args.push("--allow-dropped-events".into());
    }
    let cpus = match usize::from(args.sim.threads) {
        0 => 1,
        n => n,
    };
    // Memory: one model per worker thread, with room to spare.
    let largest = built
        .scenarios
        .iter()
        .map(|s| pasar::runner::estimated_bytes(s, cpus as u32, cpus))
        .max()
        .unwrap_or(0);
    let mem_mb = (largest as f64 * 1.5 / 1048576.0).ceil().max(256.0) as u64;
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
