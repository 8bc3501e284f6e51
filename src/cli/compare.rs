//! `pasar compare`: policy effects against a baseline, with their
//! uncertainty, as tables, charts and a report.

use super::Failure;
use super::progress::ProgressObserver;
use super::signals::{self, Interrupts};
use anyhow::{Context, anyhow, bail};
use clap::Args;
use pasar::analysis::panel::Panel;
use pasar::analysis::runs::{RunInfo, incompatibilities, read_run_folder};
use pasar::analysis::summary::{
    HEADLINES, Imprecise, PrecisionTargets, SummaryRow, imprecise, next_replicates, title,
};
use pasar::analysis::{Arm, Comparison, crn_narrowing};
use pasar::metrics::METRICS;
use pasar::output::compare::{write_columns, write_effects, write_summary};
use pasar::output::{self, StagedFolder, utc_timestamp};
use pasar::report::html::{ReportMeta, report};
use pasar::report::table::terminal_table;
use pasar::report::{headline_charts, safe_name};
use pasar::rng;
use pasar::runner::Executor;
use pasar::scenario::Scenario;
use pasar::scenario::error::did_you_mean;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The baseline, then one or more policies: scenario files (run here
    /// with common seeds) or folders written by `pasar run`.
    #[arg(required = true, num_args = 2.., value_name = "BASELINE POLICY")]
    pub inputs: Vec<PathBuf>,
    /// Replicates of every scenario [default: the baseline's
    /// simulation.replicates]; with --precision, the first batch.
    #[arg(long)]
    pub replicates: Option<u32>,
    /// Master seed for every scenario [default: the baseline's
    /// simulation.seed].
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=i64::MAX as u64))]
    pub seed: Option<u64>,
    /// Add replicates until every headline effect's 95% half-width is below
    /// X: a bare X applies to shares and indices (0-1); METRIC=X sets a
    /// target for any headline metric in its own unit (repeatable).
    #[arg(long, value_name = "X | METRIC=X", allow_hyphen_values = true)]
    pub precision: Vec<String>,
    /// Stop adding replicates at this many, precise or not.
    #[arg(long, default_value_t = 200)]
    pub max_replicates: u32,
    /// Worker threads, 0 to 1024; 0 means one per core. Results do not depend on it.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=1024))]
    pub threads: u16,
    /// Output folder [default: results/compare-<baseline>-vs-<policies>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Override a parameter in every scenario (repeatable).
    #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
    pub sets: Vec<String>,
    /// Replace the output folder if it holds earlier results.
    #[arg(long)]
    pub force: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Why the number of replicates is what it is.
#[derive(Debug, Clone, Serialize)]
struct ReplicateDecision {
    /// "fixed", "precise" or "max_replicates".
    stopped: &'static str,
    replicates: u32,
    rounds: u32,
    /// Replicates after each round.
    history: Vec<u32>,
    /// Headline effects still wider than their target (when stopped at the
    /// maximum).
    imprecise: Vec<String>,
    /// Headline metrics without a target.
    untargeted: Vec<String>,
    sentence: String,
}

#[derive(Debug, Serialize)]
struct InputEntry {
    name: String,
    input: String,
    files: Vec<FileEntry>,
}

#[derive(Debug, Serialize)]
struct FileEntry {
    path: String,
    sha256: String,
}

/// `manifest.json` of a comparison.
#[derive(Debug, Serialize)]
struct CompareManifest {
    pasar_version: String,
    kind: &'static str,
    command: Vec<String>,
    baseline: String,
    policies: Vec<String>,
    inputs: Vec<InputEntry>,
    seed: u64,
    replicates: usize,
    replicate_seeds: Vec<u64>,
    precision: Vec<String>,
    replicate_decision: ReplicateDecision,
    crn_interval_narrowing: Option<f64>,
    threads: usize,
    started_utc: String,
    finished_utc: String,
    wall_seconds: f64,
}

pub fn run(args: CompareArgs) -> Result<(), Failure> {
    let started = SystemTime::now();
    let clock = Instant::now();
    let input = |e: anyhow::Error| Failure::Input(e);
    let targets = parse_precision(&args.precision).map_err(input)?;
    let (cmp, seed, decision, threads) = if args.inputs.iter().all(|p| p.is_dir()) {
        from_folders(&args).map_err(input)?
    } else if args.inputs.iter().any(|p| p.is_dir()) {
        return Err(input(anyhow!(
            "give either scenario files or run folders, not both: {}\n  help: to compare with a finished run, give every scenario as a run folder, or every one as a scenario file",
            args.inputs
                .iter()
                .map(|p| format!(
                    "{} ({})",
                    p.display(),
                    if p.is_dir() { "folder" } else { "file" }
                ))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    } else {
        from_scenarios(&args, &targets)?
    };
    let rows = cmp.summary();
    let crn = crn_narrowing(&rows);
    let out = output_folder(&args, &cmp);
    let manifest = CompareManifest {
        pasar_version: env!("CARGO_PKG_VERSION").to_string(),
        kind: "compare",
        command: std::env::args().collect(),
        baseline: cmp.baseline.name().to_string(),
        policies: cmp.policies.iter().map(|p| p.name().to_string()).collect(),
        inputs: std::iter::once(&cmp.baseline)
            .chain(cmp.policies.iter())
            .map(|a| InputEntry {
                name: a.name().to_string(),
                input: a.input.display().to_string(),
                files: a
                    .files
                    .iter()
                    .map(|(path, sha256)| FileEntry {
                        path: path.clone(),
                        sha256: sha256.clone(),
                    })
                    .collect(),
            })
            .collect(),
        seed,
        replicates: cmp.paired_replicates(),
        replicate_seeds: cmp
            .baseline
            .panel
            .replicates()
            .iter()
            .map(|&r| rng::replicate_seed(seed, r))
            .collect(),
        precision: args.precision.clone(),
        replicate_decision: decision.clone(),
        crn_interval_narrowing: crn,
        threads,
        started_utc: utc_timestamp(started),
        finished_utc: utc_timestamp(SystemTime::now()),
        wall_seconds: clock.elapsed().as_secs_f64(),
    };
    let written = write_outputs(&out, args.force, &cmp, &rows, &manifest)
        .with_context(|| format!("writing the comparison to {}", out.display()))
        .map_err(Failure::Runtime)?;
    print!("{}", terminal_table(&cmp, &rows));
    println!("{}", decision.sentence);
    if let Some(r) = crn {
        println!(
            "common random numbers made the headline intervals {r:.1}x narrower than independent runs (median)"
        );
    }
    println!(
        "results in {}/ (report.html, summary.csv, effects.csv, columns.csv, charts/) in {:.1} s",
        written.display(),
        clock.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `--precision 0.005` and `--precision umkm_revenue_idr=1e9`.
fn parse_precision(values: &[String]) -> anyhow::Result<PrecisionTargets> {
    let mut targets = PrecisionTargets::default();
    let headline_metrics: Vec<&str> = HEADLINES.iter().map(|h| h.metric.def().name).collect();
    for v in values {
        let (metric, number) = match v.split_once('=') {
            Some((m, x)) => (Some(m.trim()), x.trim()),
            None => (None, v.trim()),
        };
        let x: f64 = number.parse().map_err(|_| {
            anyhow!(
                "--precision {v}: `{number}` is not a number\n  help: write --precision 0.005 (shares) or --precision umkm_revenue_idr=1e9"
            )
        })?;
        if !(x.is_finite() && x > 0.0) {
            bail!(
                "--precision {v}: the half-width must be a positive number\n  help: e.g. --precision 0.005 for half a percentage point"
            );
        }
        match metric {
            None => targets.shares = Some(x),
            Some(m) if headline_metrics.contains(&m) => targets.per_metric.push((m.to_string(), x)),
            Some(m) => {
                let known = METRICS.iter().any(|d| d.name == m);
                let suggestion = did_you_mean(m, headline_metrics.iter().copied())
                    .map(|s| format!(" (did you mean {s}?)"))
                    .unwrap_or_default();
                let why = if known {
                    "is not a headline metric"
                } else {
                    "is not a metric"
                };
                bail!(
                    "--precision {v}: `{m}` {why}{suggestion}\n  help: targets can be set for the headline metrics: {}",
                    dedup(&headline_metrics).join(", ")
                );
            }
        }
    }
    Ok(targets)
}

fn dedup<'a>(names: &[&'a str]) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for n in names {
        if !out.contains(n) {
            out.push(n);
        }
    }
    out
}

type Prepared = (Comparison, u64, ReplicateDecision, usize);

/// Compare finished runs.
fn from_folders(args: &CompareArgs) -> anyhow::Result<Prepared> {
    if !args.precision.is_empty()
        || args.replicates.is_some()
        || args.seed.is_some()
        || !args.sets.is_empty()
    {
        bail!(
            "--precision, --replicates, --seed and --set need scenario files: finished runs cannot be rerun\n  help: give the scenario files instead of the run folders"
        );
    }
    let mut arms: Vec<(Arm, RunInfo)> = Vec::new();
    for path in &args.inputs {
        arms.push(read_run_folder(path)?);
    }
    let (baseline, base_info) = arms.remove(0);
    let mut policies = Vec::new();
    for (arm, info) in arms {
        let differences =
            incompatibilities((&baseline.scenario, &base_info), (&arm.scenario, &info));
        if !differences.is_empty() {
            return Err(pasar::analysis::AnalysisError::Incompatible {
                baseline: baseline.input.display().to_string(),
                policy: arm.input.display().to_string(),
                differences,
            }
            .into());
        }
        policies.push(arm);
    }
    let cmp = Comparison { baseline, policies };
    check_names(&cmp)?;
    let n = cmp.paired_replicates();
    if n == 0 {
        bail!("the runs share no replicate: nothing can be paired");
    }
    let decision = ReplicateDecision {
        stopped: "fixed",
        replicates: n as u32,
        rounds: 0,
        history: vec![n as u32],
        imprecise: Vec::new(),
        untargeted: Vec::new(),
        sentence: format!("compared {n} paired replicates from finished runs"),
    };
    Ok((cmp, base_info.seed, decision, 0))
}

/// Two scenarios with one name would be one column in every table.
fn check_names(cmp: &Comparison) -> anyhow::Result<()> {
    let arms: Vec<&Arm> = std::iter::once(&cmp.baseline)
        .chain(cmp.policies.iter())
        .collect();
    for (i, a) in arms.iter().enumerate() {
        if let Some(b) = arms[..i].iter().find(|b| b.name() == a.name()) {
            bail!(
                "{} and {} are both named `{}`; tables and charts tell scenarios apart by name\n  help: give one of them another simulation.name (in the file, or with --set simulation.name=...)",
                b.input.display(),
                a.input.display(),
                a.name()
            );
        }
    }
    Ok(())
}

/// Run scenario files with common seeds, adding replicates until precise if
/// asked.
fn from_scenarios(args: &CompareArgs, targets: &PrecisionTargets) -> Result<Prepared, Failure> {
    // Ctrl-C while reading exits at once; once running, it stops between
    // ticks and nothing is written.
    let interrupts = Interrupts::install()
        .map_err(|e| Failure::Runtime(anyhow!("cannot watch for Ctrl-C: {e}")))?;
    let input = Failure::Input;
    let base_file = &args.inputs[0];
    // The baseline's seed and replicate count apply to every scenario, so
    // replicate r of each draws the same consumers, sellers and shocks.
    let probe = Scenario::load(base_file, &args.sets).map_err(|e| {
        input(anyhow!(e).context(format!("invalid scenario {}", base_file.display())))
    })?;
    let seed = args.seed.unwrap_or(probe.spec.simulation.seed);
    let first_batch = args.replicates.unwrap_or(probe.spec.simulation.replicates);
    let max = if targets.is_empty() {
        first_batch
    } else {
        args.max_replicates.max(first_batch)
    };
    if first_batch == 0 {
        return Err(input(anyhow!("--replicates must be at least 1")));
    }
    let mut sets = args.sets.clone();
    sets.push(format!("simulation.seed={seed}"));
    sets.push(format!("simulation.replicates={first_batch}"));
    let mut scenarios = Vec::new();
    for path in &args.inputs {
        let s = Scenario::load(path, &sets).map_err(|e| {
            input(anyhow!(e).context(format!("invalid scenario {}", path.display())))
        })?;
        scenarios.push((path.clone(), s));
    }
    check_horizons(&scenarios).map_err(input)?;
    let empty = |(path, s): &(PathBuf, Scenario)| Arm {
        panel: Panel::new(s.ticks() as usize),
        input: path.clone(),
        files: s
            .sources
            .iter()
            .map(|f| (f.path.display().to_string(), f.sha256.clone()))
            .collect(),
        scenario: s.clone(),
    };
    let mut cmp = Comparison {
        baseline: empty(&scenarios[0]),
        policies: scenarios[1..].iter().map(empty).collect(),
    };
    check_names(&cmp).map_err(input)?;
    let out = output_folder(args, &cmp);
    output::check_destination(&out, args.force).map_err(|e| input(anyhow!(e)))?;
    let threads = if usize::from(args.threads) == 0 {
        rayon::current_num_threads()
    } else {
        usize::from(args.threads)
    };
    for (path, s) in &scenarios {
        super::run::check_memory(
            s,
            max.min(first_batch.max(threads as u32)),
            usize::from(args.threads),
        )
        .map_err(|e| {
            input(e.context(format!("{} is too large for this machine", path.display())))
        })?;
    }
    let ticks = scenarios[0].1.ticks() as u64;
    let arms = scenarios.len() as u64;
    let progress = ProgressObserver::new(arms * first_batch as u64 * ticks, args.quiet);
    let mut done = 0u32;
    let mut target = first_batch;
    let mut history = Vec::new();
    let decision = loop {
        let batch = target - done;
        for arm in std::iter::once(&mut cmp.baseline).chain(cmp.policies.iter_mut()) {
            interrupts.arm();
            let result = Executor::new(&arm.scenario)
                .first_replicate(done)
                .replicates(batch)
                .threads(usize::from(args.threads))
                .observe(&progress)
                .cancel_on(interrupts.flag())
                .run()
                // A comparison keeps nothing half done: say so.
                .map_err(|e| {
                    signals::failure(
                        &interrupts,
                        e,
                        "the comparison was stopped and nothing was written",
                    )
                })?;
            let batch_panel = Panel::from_records(
                &arm.scenario,
                result
                    .replicates
                    .iter()
                    .map(|r| (r.replicate, r.records.as_slice())),
            );
            arm.panel.append(&batch_panel);
        }
        done = target;
        history.push(done);
        let rounds = history.len() as u32;
        if targets.is_empty() {
            break ReplicateDecision {
                stopped: "fixed",
                replicates: done,
                rounds,
                history,
                imprecise: Vec::new(),
                untargeted: Vec::new(),
                sentence: format!(
                    "{done} replicates of each scenario (set by --replicates or the baseline's simulation.replicates)"
                ),
            };
        }
        let rows = cmp.summary();
        let wide = imprecise(&rows, targets);
        if wide.is_empty() || done >= max {
            break precision_decision(&rows, &wide, targets, history, max);
        }
        let worst = wide
            .iter()
            .map(|w| w.half_width / w.target)
            .fold(0.0, f64::max);
        target = next_replicates(done, worst, threads.max(2) as u32, max);
        progress.grow(arms * (target - done) as u64 * ticks);
    };
    progress.finish();
    Ok((cmp, seed, decision, threads))
}

fn precision_decision(
    rows: &[SummaryRow],
    wide: &[Imprecise],
    targets: &PrecisionTargets,
    history: Vec<u32>,
    max: u32,
) -> ReplicateDecision {
    let done = history.last().copied().unwrap_or(0);
    let rounds = history.len() as u32;
    let mut untargeted: Vec<String> = Vec::new();
    for r in rows {
        if targets.target(&r.key.metric).is_none() && !untargeted.contains(&r.key.metric) {
            untargeted.push(r.key.metric.clone());
        }
    }
    let describe = |w: &Imprecise| {
        let r = &rows[w.row];
        format!(
            "{} ({}, {}): ±{:.3e} > {:.3e}",
            title(&r.key),
            r.policy,
            r.window.describe(),
            w.half_width,
            w.target
        )
    };
    // Widest relative to its target first.
    let mut wide: Vec<&Imprecise> = wide.iter().collect();
    wide.sort_by(|a, b| (b.half_width / b.target).total_cmp(&(a.half_width / a.target)));
    let imprecise: Vec<String> = wide.iter().map(|w| describe(w)).collect();
    let mut sentence = if wide.is_empty() {
        format!(
            "--precision: every targeted headline effect's 95% half-width is below its target after {done} replicates ({rounds} rounds)"
        )
    } else {
        let shown: Vec<&str> = imprecise.iter().take(5).map(String::as_str).collect();
        format!(
            "--precision: stopped at --max-replicates {max} with {} headline effects still wider than their targets, e.g.\n  {}",
            imprecise.len(),
            shown.join("\n  ")
        )
    };
    if !untargeted.is_empty() {
        sentence.push_str(&format!(
            "\n  (no target for {}: add --precision METRIC=X in the metric's unit to include them)",
            untargeted.join(", ")
        ));
    }
    ReplicateDecision {
        stopped: if wide.is_empty() {
            "precise"
        } else {
            "max_replicates"
        },
        replicates: done,
        rounds,
        history,
        imprecise,
        untargeted,
        sentence,
    }
}

/// Paired replicates must cover the same days.
fn check_horizons(scenarios: &[(PathBuf, Scenario)]) -> anyhow::Result<()> {
    let (base_path, base) = &scenarios[0];
    for (path, s) in &scenarios[1..] {
        let differences = pasar::analysis::runs::horizon_differences(base, s);
        if !differences.is_empty() {
            bail!(
                "{} and the baseline {} simulate different periods: {}\n  help: give them the same start_date, ticks and days_per_tick (or --set them for both)",
                path.display(),
                base_path.display(),
                differences.join("; ")
            );
        }
    }
    Ok(())
}

fn output_folder(args: &CompareArgs, cmp: &Comparison) -> PathBuf {
    args.out.clone().unwrap_or_else(|| {
        let policies: Vec<&str> = cmp.policies.iter().map(|p| p.name()).collect();
        PathBuf::from("results").join(format!(
            "compare-{}-vs-{}",
            cmp.baseline.name(),
            policies.join("-")
        ))
    })
}

fn write_outputs(
    out: &Path,
    force: bool,
    cmp: &Comparison,
    rows: &[SummaryRow],
    manifest: &CompareManifest,
) -> anyhow::Result<PathBuf> {
    let folder = StagedFolder::create(out, force)?;
    write_effects(&folder.path("effects.csv"), cmp)?;
    write_summary(&folder.path("summary.csv"), cmp, rows)?;
    write_columns(&folder.path("columns.csv"))?;
    output::write_dictionary(&folder.path("dictionary.csv"))?;
    let charts = folder.subfolder("charts")?;
    let pairs = headline_charts(cmp, &charts)?;
    let scenarios = folder.subfolder("scenarios")?;
    for arm in std::iter::once(&cmp.baseline).chain(cmp.policies.iter()) {
        let path = scenarios.join(format!("{}.toml", safe_name(arm.name())));
        std::fs::write(&path, arm.scenario.to_toml())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let meta = ReportMeta {
        command: manifest.command.clone(),
        pasar_version: manifest.pasar_version.clone(),
        generated_utc: manifest.finished_utc.clone(),
        seed: manifest.seed,
        replicate_seeds: manifest.replicate_seeds.clone(),
        replicates_note: manifest
            .replicate_decision
            .sentence
            .lines()
            .next()
            .unwrap_or("")
            .to_string(),
        crn_narrowing: manifest.crn_interval_narrowing,
    };
    folder.write("report.html", report(cmp, rows, &pairs, &meta).as_bytes())?;
    let json =
        serde_json::to_string_pretty(manifest).context("cannot describe the comparison")? + "\n";
    folder.write("manifest.json", json.as_bytes())?;
    Ok(folder.commit()?)
}
