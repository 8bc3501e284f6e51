//! `pasar calibrate` (fit free parameters to observed targets by the
//! simulated method of moments, resumable) and `pasar forecast` (forecast
//! quantities of a scenario with intervals).

use super::Failure;
use super::progress::ProgressObserver;
use super::signals::{self, Interrupts};
use anyhow::{Context, anyhow, bail};
use clap::Args;
use pasar::calibration::fit::{fit_table, per_tick_band};
use pasar::calibration::forecast::forecast;
use pasar::calibration::optimise::{SearchObserver, Settings, minimise};
use pasar::calibration::smm::{Evaluation, run_panel};
use pasar::calibration::{Calibration, CalibrationError, Forecasts, FreeParam, Targets};
use pasar::output::calibration::{
    FileStore, calibrated_toml, write_columns, write_fit, write_forecast, write_history,
    write_starts,
};
use pasar::output::{self, StagedFolder, utc_timestamp};
use pasar::report::calibration_charts::{fit_chart, write_fit_charts};
use pasar::report::format::significant;
use pasar::scenario::Scenario;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Instant, SystemTime};

#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// The scenario file to fit (its other parameters stay as they are).
    pub scenario: PathBuf,
    /// The observed facts to fit.
    #[arg(long, default_value = "calibration/targets.toml")]
    pub targets: PathBuf,
    /// A parameter to fit and its bounds, PATH=LOW:HIGH (repeatable). Paths
    /// are those of scenario files and --set.
    #[arg(long, value_name = "PATH=LOW:HIGH", required = true)]
    pub free: Vec<String>,
    /// Nelder–Mead starts: the scenario's own values, then Sobol points.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub starts: u32,
    /// Objective evaluations allowed per start.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(2..=100_000))]
    pub max_evaluations: u32,
    /// A start has converged when the standard deviation of the objective
    /// over its simplex falls below this.
    #[arg(long, default_value_t = 0.01)]
    pub tolerance: f64,
    /// Replicates per evaluation (the same seeds at every evaluation).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub replicates: u32,
    /// Output folder [default: results/calibrate-<scenario name>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace the output folder if it holds earlier results, and discard
    /// cached evaluations of a different calibration.
    #[arg(long)]
    pub force: bool,
    /// Seed, overrides (kept in calibrated.toml but for ticks, replicates
    /// and seed), threads, quiet.
    #[command(flatten)]
    pub sim: super::SimulationOptions,
}

#[derive(Debug, Args)]
pub struct ForecastArgs {
    /// The scenario to forecast with (e.g. scenarios/indonesia_2023.toml).
    pub scenario: PathBuf,
    /// The quantities to forecast.
    #[arg(long, default_value = "calibration/forecast.toml")]
    pub quantities: PathBuf,
    /// Replicates [default: the scenario's].
    #[arg(long, value_parser = clap::value_parser!(u32).range(2..=10_000))]
    pub replicates: Option<u32>,
    /// Output folder [default: results/forecast-<scenario name>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace the output folder if it holds earlier results.
    #[arg(long)]
    pub force: bool,
    /// Seed, overrides, threads, quiet.
    #[command(flatten)]
    pub sim: super::SimulationOptions,
}

/// `plan.json` of the evaluation cache.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct CachePlan {
    pasar_version: String,
    fingerprint: String,
}

#[derive(Debug, Serialize)]
struct CalibrationManifest {
    pasar_version: String,
    kind: &'static str,
    command: Vec<String>,
    fingerprint: String,
    scenario: PathBuf,
    scenario_sha256: String,
    targets: PathBuf,
    targets_sha256: String,
    free: Vec<String>,
    sets: Vec<String>,
    replicates: u32,
    horizon_ticks: u32,
    starts: u32,
    max_evaluations: u32,
    tolerance: f64,
    objective: f64,
    best_start: usize,
    converged_starts: usize,
    evaluations: usize,
    evaluations_resumed: usize,
    threads: usize,
    started_utc: String,
    finished_utc: String,
    wall_seconds: f64,
}

#[derive(Debug, Serialize)]
struct ForecastManifest {
    pasar_version: String,
    kind: &'static str,
    command: Vec<String>,
    scenario: PathBuf,
    quantities: PathBuf,
    quantities_sha256: String,
    seed: u64,
    replicates: u32,
    threads: usize,
    started_utc: String,
    finished_utc: String,
    wall_seconds: f64,
}

fn input(e: impl Into<anyhow::Error>) -> Failure {
    Failure::Input(e.into())
}

fn file_sha256(path: &Path) -> String {
    std::fs::read(path)
        .map(|b| pasar::scenario::load::hex_sha256(&b))
        .unwrap_or_default()
}

/// A progress bar over evaluations: each start's budget, shortened when a
/// start ends early.
struct EvaluationBar(ProgressObserver);

impl SearchObserver for EvaluationBar {
    fn evaluation_done(&self, _start: usize, _e: &Evaluation, _cached: bool) {
        self.0.inc();
    }
    fn start_done(&self, _start: usize, used: usize, budget: usize) {
        self.0.shrink(budget.saturating_sub(used) as u64);
    }
}

fn cache_folder(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map_or_else(|| "calibrate".into(), |n| n.to_string_lossy().into_owned());
    out.with_file_name(format!(".{name}.calibrate-cache"))
}

/// Cached evaluations of another calibration must not be reused.
fn check_cache(folder: &Path, mine: &CachePlan, force: bool) -> anyhow::Result<()> {
    let path = folder.join("plan.json");
    if !folder.exists() {
        return Ok(());
    }
    let theirs: Option<CachePlan> = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    if theirs.as_ref().is_some_and(|t| t == mine) {
        return Ok(());
    }
    if force {
        std::fs::remove_dir_all(folder)
            .with_context(|| format!("cannot remove {}", folder.display()))?;
        return Ok(());
    }
    bail!(
        "{} holds the evaluations of a different calibration (another scenario, targets, free parameters, replicates or pasar version)\n  help: run the same command as before to resume it, or pass --force to discard them",
        folder.display()
    )
}

fn pool(threads: u16) -> Result<rayon::ThreadPool, Failure> {
    let n = usize::from(threads);
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .map_err(|e| Failure::Runtime(anyhow!("cannot start {n} worker threads: {e}")))
}

fn with_seed(sets: &[String], seed: Option<u64>) -> Vec<String> {
    let mut sets = sets.to_vec();
    if let Some(seed) = seed {
        sets.push(format!("simulation.seed={seed}"));
    }
    sets
}

pub fn calibrate(args: CalibrateArgs) -> Result<(), Failure> {
    let interrupts = Interrupts::install()
        .map_err(|e| Failure::Runtime(anyhow!("cannot watch for Ctrl-C: {e}")))?;
    let started = SystemTime::now();
    let clock = Instant::now();
    if !(args.tolerance.is_finite() && args.tolerance >= 0.0) {
        return Err(input(anyhow!(
            "--tolerance {} must be a number >= 0 (e.g. 0.01)",
            args.tolerance
        )));
    }
    let targets = Targets::load(&args.targets)
        .with_context(|| format!("reading the targets {}", args.targets.display()))
        .map_err(input)?;
    let free = args
        .free
        .iter()
        .map(|f| FreeParam::parse(f))
        .collect::<Result<Vec<_>, _>>()
        .map_err(input)?;
    let scenario_path = std::path::absolute(&args.scenario)
        .with_context(|| format!("cannot resolve {}", args.scenario.display()))
        .map_err(input)?;
    let sets = with_seed(&args.sim.sets, args.sim.seed);
    let calibration = Calibration::new(scenario_path, sets, free, targets, args.replicates)
        .map_err(|e| match e {
            CalibrationError::Targets(problems) => input(anyhow!(problems).context(format!(
                "the targets in {} do not fit {}",
                args.targets.display(),
                args.scenario.display()
            ))),
            other => input(anyhow!(other)),
        })?;
    let base = calibration.base().map_err(input)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("results").join(format!("calibrate-{}", base.name())));
    output::check_destination(&out, args.force).map_err(|e| input(anyhow!(e)))?;
    let fingerprint = calibration.fingerprint().map_err(input)?;
    let plan = CachePlan {
        pasar_version: env!("CARGO_PKG_VERSION").into(),
        fingerprint: fingerprint.clone(),
    };
    let cache = cache_folder(&out);
    check_cache(&cache, &plan, args.force).map_err(input)?;
    // plan.json first: a cache folder is never without it.
    std::fs::create_dir_all(&cache)
        .with_context(|| format!("cannot create {}", cache.display()))
        .map_err(Failure::Runtime)?;
    output::write_atomic(
        &cache.join("plan.json"),
        (serde_json::to_string_pretty(&plan).map_err(|e| Failure::Runtime(anyhow!(e)))? + "\n")
            .as_bytes(),
    )
    .map_err(|e| Failure::Runtime(anyhow!(e)))?;
    let store = FileStore::open(&cache).map_err(|e| Failure::Runtime(anyhow!(e)))?;
    let resumed = store.resumed;
    let settings = Settings {
        starts: args.starts as usize,
        max_evaluations: args.max_evaluations as usize,
        tolerance: args.tolerance,
        seed: base.spec.simulation.seed,
        ..Settings::default()
    };
    let budget = settings.max_evaluations.max(calibration.free.len() + 1);
    let bar = EvaluationBar(ProgressObserver::counting(
        (settings.starts * budget) as u64,
        args.sim.quiet,
        "evaluations",
    ));
    let pool = pool(args.sim.threads)?;
    let threads = pool.current_num_threads();
    let mut calibration = calibration;
    calibration.seller_limit = super::run::available_memory().map_or(u64::MAX, |bytes| {
        pasar::runner::seller_limit(&base, calibration.replicates, threads, bytes)
    });
    let own = calibration.own_values().map_err(input)?;
    for (f, v) in calibration.free.iter().zip(&own) {
        if *v < f.low || *v > f.high {
            eprintln!(
                "warning: {} is {} in the scenario, outside --free {}={}:{}; the first start begins at the nearest bound",
                f.path, v, f.path, f.low, f.high
            );
        }
    }
    let stop = || interrupts.flag().load(Ordering::SeqCst);
    interrupts.arm();
    let result = pool.install(|| minimise(&calibration, &settings, &store, &bar, &stop));
    bar.0.finish();
    let fit = match result {
        Ok(fit) => fit,
        Err(e) => {
            return Err(signals::failure(
                &interrupts,
                e,
                &format!(
                    "the evaluations made so far are kept in {}\n  help: run the same command again to resume; cached points are not simulated again",
                    cache.display()
                ),
            ));
        }
    };
    let best = fit.best();
    let rows = fit_table(&calibration, best);
    // The fitted series for the chart: the best point, run once more.
    let fitted = calibration
        .scenario_at(&best.params, calibration.horizon)
        .map_err(|e| Failure::Runtime(anyhow!(e)))?;
    let panel = pool
        .install(|| run_panel(&fitted, calibration.replicates, &stop))
        .map_err(|e| {
            signals::failure(
                &interrupts,
                e,
                &format!(
                    "the search is finished and its evaluations are kept in {}\n  help: run the same command again to write the results without searching again",
                    cache.display()
                ),
            )
        })?;
    let charts: Vec<_> = calibration
        .targets
        .targets
        .iter()
        .map(|t| fit_chart(&fitted, t, per_tick_band(&t.moment, &panel)))
        .collect();
    let manifest = CalibrationManifest {
        pasar_version: env!("CARGO_PKG_VERSION").into(),
        kind: "calibrate",
        command: std::env::args().collect(),
        fingerprint,
        scenario: calibration.scenario.clone(),
        scenario_sha256: file_sha256(&calibration.scenario),
        targets: args.targets.clone(),
        targets_sha256: file_sha256(&args.targets),
        free: args.free.clone(),
        sets: calibration.sets.clone(),
        replicates: calibration.replicates,
        horizon_ticks: calibration.horizon,
        starts: args.starts,
        max_evaluations: args.max_evaluations,
        tolerance: args.tolerance,
        objective: best.objective,
        best_start: fit.best_start,
        converged_starts: fit
            .starts
            .iter()
            .filter(|s| s.termination == pasar::calibration::optimise::Termination::Converged)
            .count(),
        evaluations: fit.history.len(),
        evaluations_resumed: resumed,
        threads,
        started_utc: utc_timestamp(started),
        finished_utc: utc_timestamp(SystemTime::now()),
        wall_seconds: clock.elapsed().as_secs_f64(),
    };
    let header = format!(
        "# Calibrated by pasar {} (objective {:.4}, start {} of {}).\n# {}\n# Fitted: {}. See fit.csv.\n\n",
        env!("CARGO_PKG_VERSION"),
        best.objective,
        fit.best_start,
        fit.starts.len(),
        manifest.command.join(" "),
        calibration
            .free
            .iter()
            .map(|f| f.path.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let written = (|| -> anyhow::Result<PathBuf> {
        let folder = StagedFolder::create(&out, args.force)?;
        let final_path = std::path::absolute(&out).unwrap_or_else(|_| out.clone());
        let toml = calibrated_toml(&calibration, &best.params, &final_path, &header);
        folder.write("calibrated.toml", toml.as_bytes())?;
        // It must load (the staging folder sits beside the final one, so
        // its relative `extends` resolves the same): check before anything
        // is moved into place.
        Scenario::load(&folder.path("calibrated.toml"), &[]).context(
            "the calibrated.toml written does not load (a bug in pasar: please report it)",
        )?;
        write_fit(&folder.path("fit.csv"), &rows)?;
        write_starts(&folder.path("starts.csv"), &calibration.free, &fit)?;
        write_history(&folder.path("history.csv"), &calibration.free, &fit)?;
        write_columns(
            &folder.path("columns.csv"),
            &["fit.csv", "starts.csv", "history.csv"],
        )?;
        let chart_folder = folder.subfolder("charts")?;
        let ids: Vec<String> = calibration
            .targets
            .targets
            .iter()
            .map(|t| t.moment.id.clone())
            .collect();
        write_fit_charts(&charts, &ids, &chart_folder)?;
        let json = serde_json::to_string_pretty(&manifest)? + "\n";
        folder.write("manifest.json", json.as_bytes())?;
        Ok(folder.commit()?)
    })()
    .with_context(|| format!("writing the calibration to {}", out.display()))
    .map_err(Failure::Runtime)?;
    let _ = std::fs::remove_dir_all(&cache);
    print_summary(&calibration, &fit, &rows, resumed, &written, clock);
    Ok(())
}

fn print_summary(
    calibration: &Calibration,
    fit: &pasar::calibration::Fit,
    rows: &[pasar::calibration::fit::FitRow],
    resumed: usize,
    written: &Path,
    clock: Instant,
) {
    println!(
        "{:<32} {:>12} {:>12} {:>9}",
        "target", "observed", "model", "error/sd"
    );
    for r in rows {
        println!(
            "{:<32} {:>12} {:>12} {:>9.2}{}",
            r.id,
            significant(r.observed),
            significant(r.simulated.mean),
            r.error_sd,
            if r.fitted {
                ""
            } else {
                "  (cross-check, not fitted)"
            }
        );
    }
    println!();
    for s in &fit.starts {
        let values: Vec<String> = calibration
            .free
            .iter()
            .zip(&s.best.params)
            .map(|(f, v)| format!("{}={}", f.path, significant(*v)))
            .collect();
        println!(
            "start {}{}: objective {:.3} after {} evaluations ({}); {}",
            s.start,
            if s.start == fit.starts[fit.best_start].start {
                " (best)"
            } else {
                ""
            },
            s.best.objective,
            s.evaluations,
            s.termination.as_str(),
            values.join(", ")
        );
    }
    if resumed > 0 {
        println!("resumed: {resumed} evaluations were cached");
    }
    if fit.best().objective >= pasar::calibration::smm::MISSING_MOMENT_PENALTY {
        println!(
            "warning: no point found where every fitted target can be computed (infeasible points or zero denominators); widen or move the --free ranges"
        );
    }
    println!(
        "{} evaluations in {:.1} s; results in {}/ (calibrated.toml, fit.csv, starts.csv, history.csv, charts/)",
        fit.history.len(),
        clock.elapsed().as_secs_f64(),
        written.display()
    );
}

pub fn forecast_command(args: ForecastArgs) -> Result<(), Failure> {
    let interrupts = Interrupts::install()
        .map_err(|e| Failure::Runtime(anyhow!("cannot watch for Ctrl-C: {e}")))?;
    let started = SystemTime::now();
    let clock = Instant::now();
    let quantities = Forecasts::load(&args.quantities)
        .with_context(|| {
            format!(
                "reading the forecast quantities {}",
                args.quantities.display()
            )
        })
        .map_err(input)?;
    let mut sets = with_seed(&args.sim.sets, args.sim.seed);
    if let Some(r) = args.replicates {
        sets.push(format!("simulation.replicates={r}"));
    }
    let scenario = Scenario::load(&args.scenario, &sets).map_err(input)?;
    quantities.check(&scenario).map_err(|p| {
        input(anyhow!(p).context(format!(
            "the quantities in {} do not fit {}",
            args.quantities.display(),
            args.scenario.display()
        )))
    })?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("results").join(format!("forecast-{}", scenario.name())));
    output::check_destination(&out, args.force).map_err(|e| input(anyhow!(e)))?;
    let replicates = scenario.spec.simulation.replicates;
    let progress = ProgressObserver::new(
        u64::from(replicates) * u64::from(scenario.ticks()),
        args.sim.quiet,
    );
    interrupts.arm();
    let result = pasar::runner::Executor::new(&scenario)
        .threads(usize::from(args.sim.threads))
        .observe(&progress)
        .cancel_on(interrupts.flag())
        .run()
        .map_err(|e| {
            signals::failure(
                &interrupts,
                e,
                "the forecast was stopped and nothing was written",
            )
        })?;
    progress.finish();
    let panel = pasar::analysis::panel::Panel::from_records(
        &scenario,
        result
            .replicates
            .iter()
            .map(|r| (r.replicate, r.records.as_slice())),
    );
    let rows = forecast(&scenario, &quantities, &panel);
    let manifest = ForecastManifest {
        pasar_version: env!("CARGO_PKG_VERSION").into(),
        kind: "forecast",
        command: std::env::args().collect(),
        scenario: args.scenario.clone(),
        quantities: args.quantities.clone(),
        quantities_sha256: file_sha256(&args.quantities),
        seed: scenario.spec.simulation.seed,
        replicates,
        threads: result.threads,
        started_utc: utc_timestamp(started),
        finished_utc: utc_timestamp(SystemTime::now()),
        wall_seconds: clock.elapsed().as_secs_f64(),
    };
    let written = (|| -> anyhow::Result<PathBuf> {
        let folder = StagedFolder::create(&out, args.force)?;
        write_forecast(&folder.path("forecast.csv"), &rows)?;
        write_columns(&folder.path("columns.csv"), &["forecast.csv"])?;
        folder.write("resolved.toml", scenario.to_toml().as_bytes())?;
        let json = serde_json::to_string_pretty(&manifest)? + "\n";
        folder.write("manifest.json", json.as_bytes())?;
        Ok(folder.commit()?)
    })()
    .with_context(|| format!("writing the forecast to {}", out.display()))
    .map_err(Failure::Runtime)?;
    println!(
        "{:<36} {:>12} {:>25}",
        "quantity", "mean", "95% prediction interval"
    );
    for r in &rows {
        let interval = r
            .prediction95
            .map(|(l, h)| format!("{} to {}", significant(l), significant(h)))
            .unwrap_or_default();
        println!(
            "{:<36} {:>12} {:>25}",
            r.id,
            significant(r.estimate.mean),
            interval
        );
    }
    println!(
        "{} replicates in {:.1} s; results in {}/ (forecast.csv)",
        replicates,
        clock.elapsed().as_secs_f64(),
        written.display()
    );
    Ok(())
}
