//! `sweep`: one scenario run at every row of a design, resumable (finished
//! runs are kept in a store beside the output), shardable (a shard writes
//! a part folder that `merge` puts together), with sensitivity estimates.
//! `merge`: a sweep's part folders, each checked against its manifest,
//! into the results of the whole sweep.

use super::{Controls, JobError, beside, run_error};
use crate::output::sweep::{write_design, write_sensitivity, write_sweep};
use crate::output::{
    self, DestinationLock, JobDetails, Manifest, StagedFolder, Stopwatch, Store, StorePlan, Timing,
    read_store,
};
use crate::remedy::Remedy;
use crate::report::sweep_report::sweep_report;
use crate::runner::{Executor, Observer, ReplicateResult, RunError, SinkError};
use crate::scenario::{Overrides, Scenario};
use crate::sweep::{
    Indicator, SweepPlan, SweepSpec, Task, TaskResult, indicators, shard_tasks, task_result,
};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct SweepJob {
    /// The scenario file swept over.
    pub scenario: PathBuf,
    /// Overrides for every sample; the seed (which also draws the design)
    /// and the replicates default to the scenario's.
    pub overrides: Overrides,
    /// Varied parameters, `PATH=LOW:HIGH` or `PATH=A,B,C`.
    pub vary: Vec<String>,
    /// `grid:N`, `lhs:N`, `morris:R` or `sobol:N` [default: `lhs:16`].
    pub design: Option<String>,
    /// A design matrix file instead of `vary` and `design`.
    pub samples: Option<PathBuf>,
    /// Run only shard (i, n) and write a part folder.
    pub shard: Option<(u32, u32)>,
    /// [default: `results/sweep-<scenario name>`]
    pub out: Option<PathBuf>,
    pub force: bool,
    pub threads: usize,
}

#[derive(Debug, Clone)]
pub struct MergeJob {
    pub parts: Vec<PathBuf>,
    pub out: PathBuf,
    pub force: bool,
}

/// What a sweep (or a shard, or a merge) did.
#[derive(Debug, Clone)]
pub struct SweepOutcome {
    pub folder: PathBuf,
    pub samples: usize,
    pub replicates: u32,
    pub runs: usize,
    /// Runs found finished from an earlier, stopped attempt.
    pub runs_resumed: usize,
    pub shard: Option<(u32, u32)>,
    pub sensitivity: bool,
    pub parts: usize,
    pub wall_seconds: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum SweepJobError {
    #[error(
        "nothing to vary\n  help: vary a parameter PATH=LOW:HIGH, e.g. channels.social.take_rate=0.02:0.08, or give a design matrix file"
    )]
    NothingToVary,
    #[error(
        "a design matrix file and a design are given; the file is the design\n  help: give one of them"
    )]
    TwoDesigns,
    #[error(
        "{path} exists and is not a part folder of a sweep\n  help: choose another folder for the part"
    )]
    NotAPart { path: String },
    #[error(
        "{first} and {second} are parts of different sweeps (another scenario, design, seed, shard count or pasar version)\n  help: merge only the parts of one sweep"
    )]
    DifferentSweeps { first: String, second: String },
    #[error("{path} is shard {shard} of {shards}, which is not a shard (0 <= shard < shards)")]
    BadShard {
        path: String,
        shard: u32,
        shards: u32,
    },
    #[error("{first} and {second} are both shard {shard}/{shards}\n  help: give each shard once")]
    ShardTwice {
        first: String,
        second: String,
        shard: u32,
        shards: u32,
    },
    #[error("shards {0} are missing\n  help: run them and give their folders too")]
    Missing(String),
    #[error(
        "the scenario files have changed since the parts were computed (the sweep's fingerprint differs)\n  help: run the shards again, or restore the scenario files"
    )]
    Changed,
    #[error(
        "{path}: its records hold {got} runs, shard {shard}/{shards} needs exactly {expected}\n  help: run the shard again; it resumes"
    )]
    Incomplete {
        path: String,
        got: usize,
        expected: usize,
        shard: u32,
        shards: u32,
    },
    #[error("{path} is not a finished part of a sweep: {why}")]
    NotFinished { path: String, why: String },
}

/// The plan of a sweep from what was given, with the scenario's own seed
/// and replicates as defaults.
pub fn plan(job: &SweepJob) -> Result<SweepPlan, JobError> {
    let scenario = std::path::absolute(&job.scenario).map_err(|e| {
        JobError::input(output::OutputError::io(&job.scenario, e))
            .context(format!("cannot resolve {}", job.scenario.display()))
    })?;
    let base = Scenario::load_with(&scenario, &job.overrides).map_err(|e| {
        JobError::input(e).context(format!("invalid scenario {}", job.scenario.display()))
    })?;
    if job.samples.is_some() && job.design.is_some() {
        return Err(JobError::input(SweepJobError::TwoDesigns));
    }
    let samples_csv = match &job.samples {
        Some(path) => Some(
            crate::input::read_text_capped(path, crate::input::caps::SAMPLES_CSV)
                .map_err(|e| JobError::input(e).context("reading the design matrix"))?,
        ),
        None => None,
    };
    if samples_csv.is_none() && job.vary.is_empty() {
        return Err(JobError::input(SweepJobError::NothingToVary));
    }
    Ok(SweepPlan {
        scenario,
        sets: job.overrides.sets.clone(),
        vary: job.vary.clone(),
        design: if samples_csv.is_some() {
            "samples".into()
        } else {
            job.design.clone().unwrap_or_else(|| "lhs:16".into())
        },
        samples_csv,
        replicates: base.spec.simulation.replicates,
        seed: base.spec.simulation.seed,
        allow_dropped_events: job.overrides.allow_dropped_events,
    })
}

/// A built sweep: its spec, every sample's scenario and its fingerprint.
pub struct Built {
    pub spec: SweepSpec,
    pub scenarios: Vec<Scenario>,
    pub fingerprint: String,
    pub indicators: Vec<Indicator>,
}

/// Build the sweep of `plan`: every sample's scenario checked.
pub fn build(plan: &SweepPlan) -> Result<Built, JobError> {
    let what = plan.scenario.display().to_string();
    let invalid = |e| JobError::input(e).context(format!("invalid sweep of {what}"));
    let spec = plan.build().map_err(invalid)?;
    let scenarios = spec.scenarios().map_err(invalid)?;
    let fingerprint = spec.fingerprint(&scenarios);
    let indicators = scenarios.first().map(indicators).unwrap_or_default();
    Ok(Built {
        spec,
        scenarios,
        fingerprint,
        indicators,
    })
}

/// Run a sweep, or one shard of it.
pub fn sweep(job: &SweepJob, controls: &Controls) -> Result<SweepOutcome, JobError> {
    let watch = Stopwatch::start();
    let plan = plan(job)?;
    let built = build(&plan)?;
    let name = built
        .scenarios
        .first()
        .map_or_else(|| "sweep".to_string(), |s| s.name().to_string());
    let out = job
        .out
        .clone()
        .unwrap_or_else(|| super::default_out(&format!("sweep-{name}")));
    let all = built.spec.tasks();
    let mine = match job.shard {
        Some(shard) => shard_tasks(&all, shard),
        None => all.clone(),
    };
    // Memory: as many models as threads, of the largest sample.
    executor_for(&built, &mine, &BTreeSet::new(), job.threads)
        .check()
        .map_err(|e| {
            run_error(e).context(format!(
                "the sweep of {} is too large for this machine",
                job.scenario.display()
            ))
        })?;
    let inputs = inputs_of(&built, job.samples.as_deref());
    match job.shard {
        Some((shard, shards)) => {
            // A part folder is its own store: running the shard again resumes it.
            if out.exists() && !out.join("plan.json").is_file() && !is_empty_dir(&out) {
                return Err(JobError::input(SweepJobError::NotAPart {
                    path: out.display().to_string(),
                }));
            }
            let lock = DestinationLock::acquire(&out)?;
            let store_plan = StorePlan::new(
                "sweep shard",
                &format!("{}/{shard}/{shards}", built.fingerprint),
                serde_json::json!({ "plan": plan, "shard": shard, "shards": shards }),
            );
            let (store, found) =
                Store::<TaskResult>::open(&out, &store_plan, job.force, "sweep shard")?;
            let _ = std::fs::remove_file(out.join("manifest.json"));
            let (results, resumed) =
                run_tasks(&built, &mine, &store, found, job.threads, controls)?;
            let manifest = Manifest::new(
                JobDetails::SweepPart {
                    fingerprint: built.fingerprint.clone(),
                    plan: plan.clone(),
                    shard,
                    shards,
                    runs: results.len(),
                },
                controls.command.clone(),
                inputs,
                super::threads_or_cores(job.threads),
                watch.timing(),
            )
            .with_seeds(plan.seed, Vec::new());
            write_part_manifest(&out, manifest)?;
            drop(store);
            drop(lock);
            Ok(SweepOutcome {
                folder: out,
                samples: built.spec.design.len(),
                replicates: built.spec.replicates,
                runs: results.len(),
                runs_resumed: resumed,
                shard: job.shard,
                sensitivity: false,
                parts: 1,
                wall_seconds: watch.seconds(),
            })
        }
        None => {
            output::check_destination(&out, job.force)?;
            let lock = DestinationLock::acquire(&out)?;
            let store_plan = StorePlan::new(
                "sweep",
                &built.fingerprint,
                serde_json::to_value(&plan).unwrap_or_default(),
            );
            let (store, found) = Store::<TaskResult>::open(
                &beside(&out, "sweep-checkpoint"),
                &store_plan,
                job.force,
                "sweep",
            )?;
            let (results, resumed) = run_tasks(&built, &all, &store, found, job.threads, controls)?;
            let written = Written {
                out: &out,
                force: job.force,
                built: &built,
                plan: &plan,
                results: &results,
                resumed,
                inputs,
                threads: super::threads_or_cores(job.threads),
                timing: watch.timing(),
                parts: 1,
            };
            let outcome = written.write(controls, &watch)?;
            // The results are in place; the store has served.
            if let Err(e) = store.remove() {
                controls.monitor.warn(&format!(
                    "the results are complete but the finished runs kept for resuming could not be removed: {e}"
                ));
            }
            drop(lock);
            Ok(outcome)
        }
    }
}

fn is_empty_dir(path: &Path) -> bool {
    std::fs::read_dir(path).is_ok_and(|mut d| d.next().is_none())
}

/// The files a sweep read: the scenario's, and the design matrix.
fn inputs_of(built: &Built, samples: Option<&Path>) -> Vec<output::FileEntry> {
    let mut inputs = built
        .scenarios
        .first()
        .map(super::scenario_entries)
        .unwrap_or_default();
    if let Some(path) = samples {
        inputs.push(super::input_entry(path, crate::input::caps::SAMPLES_CSV));
    }
    inputs
}

/// `manifest.json` of a finished part folder: what merge checks.
fn write_part_manifest(out: &Path, mut manifest: Manifest) -> Result<(), JobError> {
    manifest.files = output::entries_under(out, &["manifest.json", "lock"])?;
    let path = out.join("manifest.json");
    let json = manifest.to_json().map_err(|e| {
        JobError::work(output::OutputError::Json {
            path: path.clone(),
            message: e.to_string(),
        })
    })?;
    Ok(output::write_atomic(&path, json.as_bytes())?)
}

/// An executor for `tasks` but those `finished`: sample s is the
/// executor's scenario s.
fn executor_for<'a>(
    built: &'a Built,
    tasks: &[Task],
    finished: &BTreeSet<Task>,
    threads: usize,
) -> Executor<'a> {
    let mut executor = Executor::empty().threads(threads);
    for (sample, s) in built.scenarios.iter().enumerate() {
        let replicates: Vec<u32> = tasks
            .iter()
            .filter(|t| t.sample as usize == sample && !finished.contains(t))
            .map(|t| t.replicate)
            .collect();
        executor = executor.add(s, replicates);
    }
    executor
}

/// Counts finished runs for the progress bar.
struct RunProgress<'a>(&'a dyn super::Monitor);

impl Observer for RunProgress<'_> {
    fn replicate_done(&self, _result: &ReplicateResult) -> Result<(), SinkError> {
        self.0.advance(1);
        Ok(())
    }
}

/// Run the tasks not yet in the store, appending each result as it
/// finishes; all results of `tasks` (earlier ones included) and how many
/// were found finished.
fn run_tasks(
    built: &Built,
    tasks: &[Task],
    store: &Store<TaskResult>,
    found: Vec<TaskResult>,
    threads: usize,
    controls: &Controls,
) -> Result<(Vec<TaskResult>, usize), JobError> {
    let wanted: BTreeSet<Task> = tasks.iter().copied().collect();
    let mut done: Vec<TaskResult> = found
        .into_iter()
        .filter(|r| wanted.contains(&r.task))
        .collect();
    done.sort_by_key(|r| r.task);
    done.dedup_by_key(|r| r.task);
    let resumed = done.len();
    let finished: BTreeSet<Task> = done.iter().map(|r| r.task).collect();
    let executor = executor_for(built, tasks, &finished, threads);
    controls.monitor.working();
    controls.monitor.start(tasks.len() as u64, "runs");
    controls.monitor.advance(resumed as u64);
    let progress = RunProgress(controls.monitor);
    let fresh = std::sync::Mutex::new(Vec::new());
    let sink = |r: ReplicateResult| -> Result<(), SinkError> {
        let task = Task {
            sample: r.scenario as u32,
            replicate: r.replicate,
        };
        let result = task_result(
            &built.scenarios[r.scenario],
            task,
            &r.records,
            &built.indicators,
        );
        store.append(&result)?;
        fresh.lock().unwrap_or_else(|p| p.into_inner()).push(result);
        Ok(())
    };
    let stats = executor
        .observe(&progress)
        .cancel_on(controls.cancel)
        .run_each(&sink);
    controls.monitor.finish();
    done.extend(fresh.into_inner().unwrap_or_else(|p| p.into_inner()));
    let kept = |why: &str| {
        format!(
            "{why}: {} of {} runs are finished and kept in {}",
            done.len(),
            tasks.len(),
            store.path().display()
        )
    };
    match stats {
        Ok(stats) if stats.cancelled => {
            Err(JobError::stopped(kept("stopped"), Some(Remedy::RunAgain)))
        }
        Ok(_) => Ok((done, resumed)),
        Err(e @ RunError::Sink { .. }) => Err(JobError::work(e)
            .context(kept("saving a finished run failed"))
            .with_remedy(Remedy::RunAgain)),
        Err(e) => Err(run_error(e).context(kept("the sweep was stopped"))),
    }
}

/// A whole sweep's results, ready to be written.
struct Written<'a> {
    out: &'a Path,
    force: bool,
    built: &'a Built,
    plan: &'a SweepPlan,
    results: &'a [TaskResult],
    resumed: usize,
    inputs: Vec<output::FileEntry>,
    threads: usize,
    timing: Timing,
    parts: usize,
}

impl Written<'_> {
    /// Write the folder: design, runs, sensitivities, charts, report and
    /// manifest.
    fn write(self, controls: &Controls, watch: &Stopwatch) -> Result<SweepOutcome, JobError> {
        let (built, out) = (self.built, self.out);
        let spec = &built.spec;
        let manifest = Manifest::new(
            JobDetails::Sweep {
                fingerprint: built.fingerprint.clone(),
                plan: self.plan.clone(),
                samples: spec.design.len(),
                runs: self.results.len(),
                runs_resumed: self.resumed,
            },
            controls.command.clone(),
            self.inputs,
            self.threads,
            self.timing,
        )
        .with_seeds(self.plan.seed, Vec::new());
        let written = (|| -> Result<(PathBuf, bool), JobError> {
            let folder = StagedFolder::create(out, self.force)?;
            write_design(&folder.path("design.csv"), &spec.design)?;
            write_sweep(
                &folder.path("sweep.csv"),
                &spec.design,
                &built.indicators,
                self.results,
            )?;
            let seed = self.plan.seed;
            let sensitivity =
                crate::sweep::sensitivity(&spec.design, built.indicators.len(), self.results, seed);
            if let Some(s) = &sensitivity {
                write_sensitivity(
                    &folder.path("sensitivity.csv"),
                    &spec.design,
                    &built.indicators,
                    s,
                )?;
            }
            output::write_dictionary(&folder.path("dictionary.csv"))?;
            let charts = folder.subfolder("charts")?;
            let html = sweep_report(
                spec,
                &built.fingerprint,
                seed,
                &built.indicators,
                sensitivity.as_ref(),
                &charts,
            )
            .map_err(JobError::work)?;
            folder.write("report.html", html.as_bytes())?;
            Ok((
                folder.commit_with_manifest(manifest)?,
                sensitivity.is_some(),
            ))
        })()
        .map_err(|e| e.context(format!("writing the sweep to {}", out.display())))?;
        Ok(SweepOutcome {
            folder: written.0,
            samples: spec.design.len(),
            replicates: spec.replicates,
            runs: self.results.len(),
            runs_resumed: self.resumed,
            shard: None,
            sensitivity: written.1,
            parts: self.parts,
            wall_seconds: watch.seconds(),
        })
    }
}

/// Merge part folders into the results of the whole sweep.
pub fn merge(job: &MergeJob, controls: &Controls) -> Result<SweepOutcome, JobError> {
    let watch = Stopwatch::start();
    struct Part {
        path: PathBuf,
        fingerprint: String,
        plan: SweepPlan,
        shard: u32,
        shards: u32,
    }
    let mut parts: Vec<Part> = Vec::new();
    for path in &job.parts {
        let not_finished = |why: String| {
            JobError::input(SweepJobError::NotFinished {
                path: path.display().to_string(),
                why,
            })
        };
        if !path.join("manifest.json").is_file() {
            return Err(not_finished(
                "it has no manifest.json (the shard did not finish, or this is not a part folder); run its shard again, it resumes".into(),
            ));
        }
        let verified = output::open_verified(path, "sweep part", &["plan.json", "records.jsonl"])?;
        let JobDetails::SweepPart {
            fingerprint,
            plan,
            shard,
            shards,
            ..
        } = verified.manifest.job
        else {
            return Err(not_finished(format!(
                "its manifest describes a {} folder",
                verified.manifest.job.kind()
            )));
        };
        if shards == 0 || shard >= shards {
            return Err(JobError::input(SweepJobError::BadShard {
                path: path.display().to_string(),
                shard,
                shards,
            }));
        }
        parts.push(Part {
            path: path.clone(),
            fingerprint,
            plan,
            shard,
            shards,
        });
    }
    let Some(first) = parts.first() else {
        return Err(JobError::input(SweepJobError::Missing("all".into())));
    };
    for p in &parts[1..] {
        if p.fingerprint != first.fingerprint || p.shards != first.shards || p.plan != first.plan {
            return Err(JobError::input(SweepJobError::DifferentSweeps {
                first: first.path.display().to_string(),
                second: p.path.display().to_string(),
            }));
        }
    }
    let shards = first.shards;
    let mut seen: Vec<Option<&Path>> = vec![None; shards as usize];
    for p in &parts {
        if let Some(other) = seen[p.shard as usize] {
            return Err(JobError::input(SweepJobError::ShardTwice {
                first: other.display().to_string(),
                second: p.path.display().to_string(),
                shard: p.shard,
                shards,
            }));
        }
        seen[p.shard as usize] = Some(&p.path);
    }
    let missing: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_none())
        .map(|(i, _)| format!("{i}/{shards}"))
        .collect();
    if !missing.is_empty() {
        return Err(JobError::input(SweepJobError::Missing(missing.join(", "))));
    }
    let plan = first.plan.clone();
    let built = build(&plan)?;
    if built.fingerprint != first.fingerprint {
        return Err(JobError::input(SweepJobError::Changed));
    }
    let all = built.spec.tasks();
    let mut results = Vec::with_capacity(all.len());
    for p in &parts {
        let expected: BTreeSet<Task> = shard_tasks(&all, (p.shard, shards)).into_iter().collect();
        let (_, got) = read_store::<TaskResult>(&p.path)?;
        let have: BTreeSet<Task> = got.iter().map(|r| r.task).collect();
        if have != expected || got.len() != expected.len() {
            return Err(JobError::input(SweepJobError::Incomplete {
                path: p.path.display().to_string(),
                got: got.len(),
                expected: expected.len(),
                shard: p.shard,
                shards,
            }));
        }
        results.extend(got);
    }
    output::check_destination(&job.out, job.force)?;
    let lock = DestinationLock::acquire(&job.out)?;
    controls.monitor.working();
    let mut inputs = inputs_of(&built, None);
    for p in &parts {
        inputs.push(super::input_entry(
            &p.path.join("manifest.json"),
            crate::input::caps::JSON,
        ));
    }
    let written = Written {
        out: &job.out,
        force: job.force,
        built: &built,
        plan: &plan,
        results: &results,
        resumed: 0,
        inputs,
        threads: 0,
        // Merging simulates nothing: its CPU time says nothing of the runs.
        timing: Timing {
            cpu_seconds: None,
            ..watch.timing()
        },
        parts: parts.len(),
    };
    let outcome = written.write(controls, &watch)?;
    drop(lock);
    Ok(outcome)
}
