//! `compare`: policy effects against a baseline, with their uncertainty,
//! as tables, charts and a report: from scenario files run here with
//! common random numbers (adding replicates until precise when asked), or
//! from finished run folders, each checked against its manifest.

use super::{Controls, JobError, TickProgress, run_error, scenario_entries};
use crate::analysis::findings::{Finding, all_findings};
use crate::analysis::panel::Panel;
use crate::analysis::runs::{RunInfo, incompatibilities, read_run_folder};
use crate::analysis::summary::{
    Imprecise, PrecisionTargets, ReplicateDecision, SummaryRow, imprecise, next_replicates, title,
};
use crate::analysis::{AnalysisError, Arm, Comparison, crn_narrowing};
use crate::output::compare::{write_columns, write_effects, write_segments, write_summary};
use crate::output::{self, DestinationLock, JobDetails, Manifest, StagedFolder, Stopwatch};
use crate::remedy::Remedy;
use crate::report::format::human;
use crate::report::html::{ReportMeta, report};
use crate::report::{headline_charts, safe_name};
use crate::runner::{Executor, RunError};
use crate::scenario::schema::Segments;
use crate::scenario::{Overrides, Scenario};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct CompareJob {
    /// The baseline, then the policies: all scenario files, or all run
    /// folders.
    pub inputs: Vec<PathBuf>,
    /// Overrides for every scenario; the seed and replicates default to
    /// the baseline's.
    pub overrides: Overrides,
    pub precision: PrecisionTargets,
    /// The precision targets as given (for the manifest).
    pub precision_given: Vec<String>,
    /// Stop adding replicates at this many.
    pub max_replicates: u32,
    /// [default: `results/compare-<baseline>-vs-<policies>`]
    pub out: Option<PathBuf>,
    pub force: bool,
    pub threads: usize,
    /// Metrics the report's findings lead with (`metric` or
    /// `metric/by/group`).
    pub focus: Vec<String>,
    /// The language of the report and its charts.
    pub lang: crate::lang::Lang,
}

/// What a comparison did, for the caller to print.
#[derive(Debug, Clone)]
pub struct CompareOutcome {
    pub folder: PathBuf,
    pub comparison: Comparison,
    pub rows: Vec<SummaryRow>,
    /// Each policy's key findings, as the report gives them.
    pub findings: Vec<(String, Vec<Finding>)>,
    pub decision: ReplicateDecision,
    pub crn_narrowing: Option<f64>,
    /// Series only one side has: (policy, series, side).
    pub one_sided: Vec<(String, String, &'static str)>,
    pub wall_seconds: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error(
        "--focus: `{item}` is not a metric{suggestion}\n  help: name metrics of dictionary.csv, e.g. --focus umkm_revenue_idr,import_penetration (or metric/by/group)"
    )]
    UnknownFocus { item: String, suggestion: String },
    #[error(
        "the scenarios follow different segments: {0}\n  help: give one date to all with --social-before DATE (or the same [segments] table in each file)"
    )]
    Segments(String),
    #[error(
        "give either scenario files or run folders, not both: {0}\n  help: to compare with a finished run, give every scenario as a run folder, or every one as a scenario file"
    )]
    Mixed(String),
    #[error(
        "finished runs cannot be run again: a precision target, a replicate count, a seed or overrides need scenario files\n  help: give the scenario files instead of the run folders"
    )]
    FoldersCannotRerun,
    #[error(
        "{first} and {second} are both named `{name}`; tables and charts tell scenarios apart by name\n  help: give one of them another simulation.name"
    )]
    SameName {
        first: String,
        second: String,
        name: String,
    },
    #[error("the runs share no replicate: nothing can be paired")]
    NothingPaired,
    #[error(
        "{path} and the baseline {baseline} simulate different periods: {differences}\n  help: give them the same start_date, ticks and days_per_tick"
    )]
    Horizons {
        path: String,
        baseline: String,
        differences: String,
    },
    #[error("the maximum of {max} replicates is below the first batch of {first}")]
    MaxBelowFirst { max: u32, first: u32 },
    #[error("a comparison needs at least one replicate")]
    NoReplicates,
}

/// Compare: check the inputs and the output, run or read the arms, write
/// the folder.
pub fn compare(job: &CompareJob, controls: &Controls) -> Result<CompareOutcome, JobError> {
    let watch = Stopwatch::start();
    check_focus(&job.focus)?;
    let dirs = job.inputs.iter().filter(|p| p.is_dir()).count();
    let (cmp, seed, decision, threads, _lock, out) = if dirs == job.inputs.len() {
        from_folders(job, controls)?
    } else if dirs > 0 {
        return Err(JobError::input(CompareError::Mixed(
            job.inputs
                .iter()
                .map(|p| {
                    format!(
                        "{} ({})",
                        p.display(),
                        if p.is_dir() { "folder" } else { "file" }
                    )
                })
                .collect::<Vec<_>>()
                .join(", "),
        )));
    } else {
        from_scenarios(job, controls)?
    };
    let rows = cmp.summary();
    let crn = crn_narrowing(&rows);
    let one_sided: Vec<(String, String, &'static str)> = cmp
        .one_sided()
        .into_iter()
        .map(|(policy, key, side)| (policy, key.to_string(), side))
        .collect();
    for (policy, key, side) in &one_sided {
        controls.monitor.warn(&format!(
            "{key} exists only in the {side} of `{policy}`: effects.csv gives its mean and leaves the difference empty"
        ));
    }
    let inputs = std::iter::once(&cmp.baseline)
        .chain(cmp.policies.iter())
        .flat_map(|a| a.files.iter().cloned())
        .collect();
    let manifest = Manifest::new(
        JobDetails::Compare {
            baseline: cmp.baseline.name().to_string(),
            policies: cmp.policies.iter().map(|p| p.name().to_string()).collect(),
            replicates: cmp.paired_replicates(),
            precision: job.precision_given.clone(),
            replicate_decision: decision.clone(),
            crn_interval_narrowing: crn,
        },
        controls.command.clone(),
        inputs,
        threads,
        watch.timing(),
    )
    .with_seeds(
        seed,
        cmp.baseline
            .panel
            .replicates()
            .iter()
            .map(|&r| cmp.baseline.scenario.replicate_seed(r))
            .collect(),
    )
    .with_events(
        std::iter::once(&cmp.baseline)
            .chain(cmp.policies.iter())
            .map(|a| &a.scenario),
    );
    let findings = all_findings(&cmp, &rows, &job.focus);
    let folder = write_outputs(&out, job, &cmp, &rows, &findings, manifest)
        .map_err(|e| e.context(format!("writing the comparison to {}", out.display())))?;
    Ok(CompareOutcome {
        folder,
        comparison: cmp,
        rows,
        findings,
        decision,
        crn_narrowing: crn,
        one_sided,
        wall_seconds: watch.seconds(),
    })
}

type Prepared = (
    Comparison,
    u64,
    ReplicateDecision,
    usize,
    DestinationLock,
    PathBuf,
);

/// The output folder, checked and locked before any work.
fn claim_output(
    job: &CompareJob,
    cmp: &Comparison,
) -> Result<(PathBuf, DestinationLock), JobError> {
    let out = job.out.clone().unwrap_or_else(|| {
        let policies: Vec<&str> = cmp.policies.iter().map(|p| p.name()).collect();
        super::default_out(&format!(
            "compare-{}-vs-{}",
            cmp.baseline.name(),
            policies.join("-")
        ))
    });
    output::check_destination(&out, job.force)?;
    let lock = DestinationLock::acquire(&out)?;
    Ok((out, lock))
}

/// Compare finished runs.
fn from_folders(job: &CompareJob, controls: &Controls) -> Result<Prepared, JobError> {
    if !job.precision.is_empty()
        || job.overrides.replicates.is_some()
        || job.overrides.seed.is_some()
        || !job.overrides.sets.is_empty()
    {
        return Err(JobError::input(CompareError::FoldersCannotRerun));
    }
    let mut arms: Vec<(Arm, RunInfo)> = Vec::new();
    for path in &job.inputs {
        arms.push(read_run_folder(path).map_err(analysis_error)?);
    }
    let (baseline, base_info) = arms.remove(0);
    let mut policies = Vec::new();
    for (arm, info) in arms {
        let differences =
            incompatibilities((&baseline.scenario, &base_info), (&arm.scenario, &info));
        if !differences.is_empty() {
            let seed_differs = info.seed != base_info.seed;
            let e = JobError::input(AnalysisError::Incompatible {
                baseline: baseline.input.display().to_string(),
                policy: arm.input.display().to_string(),
                differences,
                seed: seed_differs.then_some(base_info.seed),
            });
            return Err(if seed_differs {
                e.with_remedy(Remedy::UseSeed {
                    seed: base_info.seed,
                })
            } else {
                e
            });
        }
        policies.push(arm);
    }
    let cmp = Comparison { baseline, policies };
    check_names(&cmp)?;
    let n = cmp.paired_replicates();
    if n == 0 {
        return Err(JobError::input(CompareError::NothingPaired));
    }
    let (out, lock) = claim_output(job, &cmp)?;
    controls.monitor.working();
    // Compared from finished runs: no batch was run (no round).
    let decision = ReplicateDecision::new("fixed", vec![n as u32], Vec::new(), Vec::new(), 0);
    Ok((cmp, base_info.seed, decision, 0, lock, out))
}

fn analysis_error(e: AnalysisError) -> JobError {
    match e {
        AnalysisError::Folder(e) => JobError::from(e),
        e => JobError::input(e),
    }
}

/// Two scenarios with one name would be one column in every table.
fn check_names(cmp: &Comparison) -> Result<(), JobError> {
    let arms: Vec<&Arm> = std::iter::once(&cmp.baseline)
        .chain(cmp.policies.iter())
        .collect();
    for (i, a) in arms.iter().enumerate() {
        if let Some(b) = arms[..i].iter().find(|b| b.name() == a.name()) {
            return Err(JobError::input(CompareError::SameName {
                first: b.input.display().to_string(),
                second: a.input.display().to_string(),
                name: a.name().to_string(),
            }));
        }
    }
    Ok(())
}

/// The segment the scenarios follow, if any follows one: one date and
/// window for all (scenarios without one take it), or an error naming the
/// scenarios that disagree.
fn shared_segment(scenarios: &[(PathBuf, Scenario)]) -> Result<Option<Segments>, JobError> {
    let set: Vec<(&PathBuf, &Segments)> = scenarios
        .iter()
        .filter(|(_, s)| s.spec.segments.social_before.is_some())
        .map(|(p, s)| (p, &s.spec.segments))
        .collect();
    let Some(&(a, first)) = set.first() else {
        return Ok(None);
    };
    match set.iter().find(|(_, other)| other != &first) {
        None => Ok(Some(first.clone())),
        Some(&(b, second)) => Err(JobError::input(CompareError::Segments(format!(
            "{} follows sellers on social before {} ({} ticks), {} before {} ({} ticks)",
            a.display(),
            first.social_before.map_or(String::new(), |d| d.to_string()),
            first.window_ticks,
            b.display(),
            second
                .social_before
                .map_or(String::new(), |d| d.to_string()),
            second.window_ticks
        )))),
    }
}

/// `--set` overrides that give a scenario `segment`.
fn segment_sets(segment: &Segments) -> Vec<String> {
    let mut sets = vec![format!("segments.window_ticks={}", segment.window_ticks)];
    if let Some(date) = segment.social_before {
        sets.push(format!("segments.social_before={date}"));
    }
    sets
}

/// Run scenario files with common seeds, adding replicates until precise if
/// asked.
fn from_scenarios(job: &CompareJob, controls: &Controls) -> Result<Prepared, JobError> {
    let base_file = &job.inputs[0];
    let invalid = |path: &Path| {
        let path = path.display().to_string();
        move |e| JobError::input(e).context(format!("invalid scenario {path}"))
    };
    // The baseline's seed and replicate count apply to every scenario, so
    // replicate r of each draws the same consumers, sellers and shocks.
    let probe = Scenario::load_with(base_file, &job.overrides).map_err(invalid(base_file))?;
    let seed = probe.spec.simulation.seed;
    let first_batch = probe.spec.simulation.replicates;
    if first_batch == 0 {
        return Err(JobError::input(CompareError::NoReplicates));
    }
    let max = if job.precision.is_empty() {
        first_batch
    } else if job.max_replicates < first_batch {
        return Err(JobError::input(CompareError::MaxBelowFirst {
            max: job.max_replicates,
            first: first_batch,
        }));
    } else {
        job.max_replicates
    };
    let overrides = job.overrides.with_controls(Some(seed), Some(first_batch));
    let mut scenarios = Vec::new();
    for path in &job.inputs {
        let s = Scenario::load_with(path, &overrides).map_err(invalid(path))?;
        scenarios.push((path.clone(), s));
    }
    check_horizons(&scenarios)?;
    // A segment one scenario follows, every scenario follows, so that its
    // series and bands are compared like for like.
    if let Some(segment) = shared_segment(&scenarios)? {
        for (path, s) in scenarios.iter_mut() {
            if s.spec.segments != segment {
                let mut sets = overrides.clone();
                sets.sets.extend(segment_sets(&segment));
                *s = Scenario::load_with(path, &sets).map_err(invalid(path))?;
            }
        }
    }
    let empty = |(path, s): &(PathBuf, Scenario)| Arm {
        panel: Panel::new(s.ticks() as usize),
        input: path.clone(),
        files: scenario_entries(s),
        scenario: s.clone(),
    };
    let mut cmp = Comparison {
        baseline: empty(&scenarios[0]),
        policies: scenarios[1..].iter().map(empty).collect(),
    };
    check_names(&cmp)?;
    let threads = super::threads_or_cores(job.threads);
    // Memory: every arm's models at once, as many as threads.
    let busy = max.min(first_batch.max(threads as u32));
    for (path, s) in &scenarios {
        Executor::empty()
            .add(s, 0..busy)
            .threads(job.threads)
            .check()
            .map_err(|e| {
                run_error(e).context(format!("{} is too large for this machine", path.display()))
            })?;
    }
    let (out, lock) = claim_output(job, &cmp)?;
    controls.monitor.working();
    let ticks = scenarios[0].1.ticks() as u64;
    let arms = scenarios.len() as u64;
    controls
        .monitor
        .start(arms * first_batch as u64 * ticks, "replicate-ticks");
    let progress = TickProgress(controls.monitor);
    let mut done = 0u32;
    let mut target = first_batch;
    let mut history = Vec::new();
    let decision = loop {
        // Every arm's batch in one executor: one pool, all cores busy.
        let arms_now: Vec<&Scenario> = std::iter::once(&cmp.baseline)
            .chain(cmp.policies.iter())
            .map(|a| &a.scenario)
            .collect();
        let mut executor = Executor::empty();
        for s in &arms_now {
            executor = executor.add(s, done..target);
        }
        let result = executor
            .threads(job.threads)
            .observe(&progress)
            .cancel_on(controls.cancel)
            .run()
            .map_err(|e| match e {
                // A comparison keeps nothing half done.
                RunError::Cancelled { .. } => {
                    JobError::stopped("the comparison was stopped and nothing was written", None)
                }
                e => run_error(e),
            })?;
        for (i, arm) in std::iter::once(&mut cmp.baseline)
            .chain(cmp.policies.iter_mut())
            .enumerate()
        {
            let batch = Panel::from_records(&arm.scenario, result.records_of(i));
            arm.panel.append(&batch);
        }
        done = target;
        history.push(done);
        let rounds = history.len() as u32;
        if job.precision.is_empty() {
            break ReplicateDecision::new("fixed", history, Vec::new(), Vec::new(), rounds);
        }
        let rows = cmp.summary();
        let wide = imprecise(&rows, &job.precision);
        if wide.is_empty() || done >= max {
            break precision_decision(&rows, &wide, &job.precision, history);
        }
        let worst = wide
            .iter()
            .map(|w| w.half_width / w.target)
            .fold(0.0, f64::max);
        target = next_replicates(done, worst, threads.max(2) as u32, max);
        controls.monitor.grow(arms * (target - done) as u64 * ticks);
    };
    controls.monitor.finish();
    Ok((cmp, seed, decision, threads, lock, out))
}

fn precision_decision(
    rows: &[SummaryRow],
    wide: &[Imprecise],
    targets: &PrecisionTargets,
    history: Vec<u32>,
) -> ReplicateDecision {
    let rounds = history.len() as u32;
    let mut untargeted: Vec<String> = Vec::new();
    for r in rows {
        if targets.target(&r.key.metric).is_none() && !untargeted.contains(&r.key.metric) {
            untargeted.push(r.key.metric.clone());
        }
    }
    let describe = |w: &Imprecise| {
        let r = &rows[w.row];
        // Numbers for people: percentage points for shares, k/M/bn/tn
        // for amounts.
        let (width, target) = if crate::analysis::summary::is_share(&r.key.metric) {
            (
                format!("{:.2} pp", 100.0 * w.half_width),
                format!("{:.2} pp", 100.0 * w.target),
            )
        } else {
            (human(w.half_width), human(w.target))
        };
        format!(
            "{} ({}, {}): ±{width} > {target}",
            title(&r.key),
            r.policy,
            r.window.describe(),
        )
    };
    // Widest relative to its target first.
    let mut wide: Vec<&Imprecise> = wide.iter().collect();
    wide.sort_by(|a, b| (b.half_width / b.target).total_cmp(&(a.half_width / a.target)));
    let imprecise: Vec<String> = wide.iter().map(|w| describe(w)).collect();
    let stopped = if wide.is_empty() {
        "precise"
    } else {
        "max_replicates"
    };
    ReplicateDecision::new(stopped, history, imprecise, untargeted, rounds)
}

/// Paired replicates must cover the same days.
fn check_horizons(scenarios: &[(PathBuf, Scenario)]) -> Result<(), JobError> {
    let (base_path, base) = &scenarios[0];
    for (path, s) in &scenarios[1..] {
        let differences = crate::analysis::runs::horizon_differences(base, s);
        if !differences.is_empty() {
            return Err(JobError::input(CompareError::Horizons {
                path: path.display().to_string(),
                baseline: base_path.display().to_string(),
                differences: differences.join("; "),
            }));
        }
    }
    Ok(())
}

/// Every `--focus` item names a metric (before anything runs).
fn check_focus(focus: &[String]) -> Result<(), JobError> {
    let names = crate::metrics::METRICS.iter().map(|m| m.name);
    for item in focus {
        let metric = item.split('/').next().unwrap_or("");
        if !crate::metrics::METRICS.iter().any(|m| m.name == metric) {
            let suggestion = crate::scenario::error::did_you_mean(metric, names.clone())
                .map(|s| format!(" (did you mean {s}?)"))
                .unwrap_or_default();
            return Err(JobError::input(CompareError::UnknownFocus {
                item: item.clone(),
                suggestion,
            }));
        }
    }
    Ok(())
}

fn write_outputs(
    out: &Path,
    job: &CompareJob,
    cmp: &Comparison,
    rows: &[SummaryRow],
    findings: &[(String, Vec<Finding>)],
    manifest: Manifest,
) -> Result<PathBuf, JobError> {
    let folder = StagedFolder::create(out, job.force)?;
    let work = JobError::work;
    write_effects(&folder.path("effects.csv"), cmp)?;
    write_summary(&folder.path("summary.csv"), cmp, rows)?;
    let bands = crate::analysis::segments::revenue_bands(cmp);
    if !bands.is_empty() {
        write_segments(&folder.path("segments.csv"), cmp, &bands)?;
    }
    let xlsx_path = folder.path("summary.xlsx");
    let book = output::xlsx::summary_workbook(cmp, rows, &bands)
        .map_err(|e| JobError::from(output::xlsx::xlsx_error(&xlsx_path, e)))?;
    folder.write("summary.xlsx", &book)?;
    write_columns(&folder.path("columns.csv"))?;
    output::write_dictionary(&folder.path("dictionary.csv"))?;
    let charts = folder.subfolder("charts")?;
    let drawn = headline_charts(cmp, &charts, job.lang).map_err(work)?;
    let scenarios = folder.subfolder("scenarios")?;
    for arm in std::iter::once(&cmp.baseline).chain(cmp.policies.iter()) {
        let path = scenarios.join(format!("{}.toml", safe_name(arm.name())));
        std::fs::write(&path, arm.scenario.to_toml())
            .map_err(|e| JobError::from(output::OutputError::io(&path, e)))?;
    }
    let decision = match &manifest.job {
        JobDetails::Compare {
            replicate_decision,
            crn_interval_narrowing,
            ..
        } => Some((replicate_decision.clone(), *crn_interval_narrowing)),
        _ => None,
    };
    let (decision, crn) = decision.unzip();
    let meta = ReportMeta {
        command: manifest.command.clone(),
        pasar_version: manifest.pasar_version.clone(),
        generated_utc: manifest.finished_utc.clone(),
        seed: manifest.seed.unwrap_or(0),
        replicate_seeds: manifest.replicate_seeds.clone(),
        replicates_note: decision
            .map(|d| {
                let s = d.sentence_in(job.lang);
                s.lines().next().unwrap_or("").to_string()
            })
            .unwrap_or_default(),
        crn_narrowing: crn.flatten(),
        lang: job.lang,
    };
    folder.write(
        "report.html",
        report(cmp, rows, &bands, findings, &drawn, &meta).as_bytes(),
    )?;
    Ok(folder.commit_with_manifest(manifest)?)
}
