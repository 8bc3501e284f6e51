//! `calibrate`: fit free parameters to observed targets by the simulated
//! method of moments (Nelder–Mead from several starts). Evaluations are
//! kept in a store beside the output as they finish, so the same job run
//! again after a stop only computes what is missing.

use super::{Controls, JobError, Monitor, beside, run_error};
use crate::calibration::fit::{FitRow, fit_table, per_tick_band};
use crate::calibration::optimise::{SearchObserver, Settings, Termination, minimise};
use crate::calibration::smm::{Evaluation, MISSING_MOMENT_PENALTY, run_panel};
use crate::calibration::{Calibration, CalibrationError, Fit, FreeParam, Targets};
use crate::output::calibration::{
    EvaluationCache, calibrated_toml, write_columns, write_fit, write_history, write_starts,
};
use crate::output::{
    self, DestinationLock, JobDetails, Manifest, StagedFolder, Stopwatch, StorePlan,
};
use crate::remedy::Remedy;
use crate::report::calibration_charts::{fit_chart, write_fit_charts};
use crate::runner::Executor;
use crate::scenario::{Overrides, Scenario};
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct CalibrationJob {
    /// The scenario file fitted (its other parameters stay as they are).
    pub scenario: PathBuf,
    /// The observed facts to fit.
    pub targets: PathBuf,
    pub free: Vec<FreeParam>,
    /// The free parameters as given (for the manifest).
    pub free_given: Vec<String>,
    /// Nelder–Mead starts: the scenario's own values, then Sobol points.
    pub starts: u32,
    /// Objective evaluations allowed per start.
    pub max_evaluations: u32,
    /// A start has converged when the standard deviation of the objective
    /// over its simplex falls below this.
    pub tolerance: f64,
    /// Replicates per evaluation (the same seeds at every evaluation).
    pub replicates: u32,
    /// Overrides at every evaluation (the seed among them).
    pub overrides: Overrides,
    /// [default: `results/calibrate-<scenario name>`]
    pub out: Option<PathBuf>,
    pub force: bool,
    pub threads: usize,
}

/// What a calibration did.
#[derive(Debug, Clone)]
pub struct CalibrationOutcome {
    pub folder: PathBuf,
    pub free: Vec<FreeParam>,
    pub fit: Fit,
    pub rows: Vec<FitRow>,
    /// The fitted parameters' SMM covariance at the best point.
    pub covariance: crate::calibration::covariance::ParameterCovariance,
    /// Evaluations found in the store from an earlier, stopped attempt.
    pub resumed: usize,
    pub wall_seconds: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum CalibrateError {
    #[error("the tolerance {0} must be a number of at least 0 (e.g. 0.01)")]
    Tolerance(f64),
    #[error(
        "no point was found where every fitted target can be computed (the best objective is {objective}: infeasible points or zero denominators), so there is no fit to write\n  help: widen or move the free parameters' ranges, or check the targets' windows"
    )]
    NoFiniteObjective { objective: f64 },
}

/// A progress bar over evaluations: each start's budget, shortened when a
/// start ends early.
struct EvaluationProgress<'a>(&'a dyn Monitor);

impl SearchObserver for EvaluationProgress<'_> {
    fn evaluation_done(&self, _start: usize, _e: &Evaluation, _cached: bool) {
        self.0.advance(1);
    }
    fn start_done(&self, _start: usize, used: usize, budget: usize) {
        self.0.shrink(budget.saturating_sub(used) as u64);
    }
}

fn calibration_error(e: CalibrationError, job: &CalibrationJob) -> JobError {
    match e {
        CalibrationError::Targets(problems) => JobError::input(problems).context(format!(
            "the targets in {} do not fit {}",
            job.targets.display(),
            job.scenario.display()
        )),
        CalibrationError::Run(e) => run_error(e),
        other => JobError::input(other),
    }
}

/// Fit: check everything, search, write the folder.
pub fn calibrate(
    job: &CalibrationJob,
    controls: &Controls,
) -> Result<CalibrationOutcome, JobError> {
    let watch = Stopwatch::start();
    if !(job.tolerance.is_finite() && job.tolerance >= 0.0) {
        return Err(JobError::input(CalibrateError::Tolerance(job.tolerance)));
    }
    let targets = Targets::load(&job.targets).map_err(|e| {
        JobError::input(e).context(format!("reading the targets {}", job.targets.display()))
    })?;
    let scenario_path = std::path::absolute(&job.scenario).map_err(|e| {
        JobError::input(output::OutputError::io(&job.scenario, e))
            .context(format!("cannot resolve {}", job.scenario.display()))
    })?;
    let calibration = Calibration::new(
        scenario_path,
        job.overrides.clone(),
        job.free.clone(),
        targets,
        job.replicates,
    )
    .map_err(|e| calibration_error(e, job))?;
    let base = calibration.base().map_err(|e| calibration_error(e, job))?;
    let out = job
        .out
        .clone()
        .unwrap_or_else(|| super::default_out(&format!("calibrate-{}", base.name())));
    output::check_destination(&out, job.force)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(job.threads)
        .build()
        .map_err(|e| JobError::work(format!("cannot start {} worker threads: {e}", job.threads)))?;
    let threads = pool.current_num_threads();
    Executor::empty()
        .add(&base, 0..calibration.replicates)
        .threads(threads)
        .check()
        .map_err(|e| {
            run_error(e).context(format!(
                "{} is too large for this machine",
                job.scenario.display()
            ))
        })?;
    let fingerprint = calibration
        .fingerprint()
        .map_err(|e| calibration_error(e, job))?;
    let own = calibration
        .own_values()
        .map_err(|e| calibration_error(e, job))?;
    let lock = DestinationLock::acquire(&out)?;
    let cache_plan = StorePlan::new(
        "calibration",
        &fingerprint,
        serde_json::json!({
            "scenario": calibration.scenario,
            "targets": job.targets,
            "free": job.free_given,
            "overrides": calibration.overrides,
            "replicates": calibration.replicates,
        }),
    );
    let cache = EvaluationCache::open(&beside(&out, "calibrate-cache"), &cache_plan, job.force)?;
    let resumed = cache.resumed;
    for (f, v) in calibration.free.iter().zip(&own) {
        if *v < f.low || *v > f.high {
            controls.monitor.warn(&format!(
                "{} is {} in the scenario, outside its range {}:{}; the first start begins at the nearest bound",
                f.path, v, f.low, f.high
            ));
        }
    }
    let settings = Settings {
        starts: job.starts as usize,
        max_evaluations: job.max_evaluations as usize,
        tolerance: job.tolerance,
        seed: base.spec.simulation.seed,
        ..Settings::default()
    };
    // Without free parameters: one evaluation, the scenario as it is.
    let (settings, budget) = if calibration.free.is_empty() {
        (
            Settings {
                starts: 1,
                ..settings
            },
            1,
        )
    } else {
        let budget = settings.max_evaluations.max(calibration.free.len() + 1);
        (settings, budget)
    };
    controls.monitor.working();
    controls
        .monitor
        .start((settings.starts * budget) as u64, "evaluations");
    let progress = EvaluationProgress(controls.monitor);
    let kept = format!(
        "the evaluations made so far are kept in {}",
        cache.path().display()
    );
    let result =
        pool.install(|| minimise(&calibration, &settings, &cache, &progress, controls.cancel));
    controls.monitor.finish();
    let fit = match result {
        Ok(fit) => fit,
        Err(CalibrationError::Cancelled) => {
            return Err(JobError::stopped(kept, Some(Remedy::RunAgain)));
        }
        Err(e) => {
            return Err(calibration_error(e, job)
                .context(kept)
                .with_remedy(Remedy::RunAgain));
        }
    };
    let best = fit.best().clone();
    if !best.objective.is_finite() || best.objective >= MISSING_MOMENT_PENALTY {
        return Err(JobError::work(CalibrateError::NoFiniteObjective {
            objective: best.objective,
        })
        .context(kept));
    }
    let rows = fit_table(&calibration, &best);
    // The standard errors of the fitted values: 2k more evaluations at the
    // optimum (cached like the search's).
    let covariance = pool
        .install(|| {
            crate::calibration::covariance::at_optimum(&calibration, &best, &cache, controls.cancel)
        })
        .map_err(|e| match e {
            CalibrationError::Cancelled => JobError::stopped(kept.clone(), Some(Remedy::RunAgain)),
            e => calibration_error(e, job).context(kept.clone()),
        })?;
    // The fitted series for the chart: the best point, run once more.
    let fitted = calibration
        .scenario_at(&best.params, calibration.horizon)
        .map_err(|e| calibration_error(e, job))?;
    let panel = pool
        .install(|| run_panel(&fitted, calibration.replicates, controls.cancel))
        .map_err(|e| match e {
            CalibrationError::Cancelled => JobError::stopped(
                format!("the search is finished and {kept}; running it again writes the results without searching again"),
                Some(Remedy::RunAgain),
            ),
            e => calibration_error(e, job),
        })?;
    let charts: Vec<_> = calibration
        .targets
        .targets
        .iter()
        .map(|t| fit_chart(&fitted, t, per_tick_band(&t.moment, &panel)))
        .collect();
    let inputs = {
        let mut inputs = super::scenario_entries(&base);
        inputs.push(super::input_entry(&job.targets, crate::input::caps::TOML));
        inputs
    };
    let manifest = Manifest::new(
        JobDetails::Calibrate {
            fingerprint,
            free: job.free_given.clone(),
            sets: calibration.overrides.sets.clone(),
            replicates: calibration.replicates,
            horizon_ticks: calibration.horizon,
            starts: job.starts,
            max_evaluations: job.max_evaluations,
            tolerance: job.tolerance,
            objective: best.objective,
            best_start: fit.best_start,
            converged_starts: fit
                .starts
                .iter()
                .filter(|s| s.termination == Termination::Converged)
                .count(),
            evaluations: fit.history.len(),
            evaluations_resumed: resumed,
        },
        controls.command.clone(),
        inputs,
        threads,
        watch.timing(),
    )
    .with_seeds(base.spec.simulation.seed, Vec::new())
    .with_events([&base]);
    let header = format!(
        "# Calibrated by pasar {} (objective {:.4}, start {} of {}).\n# {}\n# Fitted: {}. See fit.csv.\n\n",
        env!("CARGO_PKG_VERSION"),
        best.objective,
        fit.best_start,
        fit.starts.len(),
        controls.command.join(" "),
        calibration
            .free
            .iter()
            .map(|f| f.path.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let writing = |e: JobError| {
        e.context(format!(
            "writing the calibration to {} ({kept})",
            out.display()
        ))
        .with_remedy(Remedy::RunAgain)
    };
    let folder = StagedFolder::create(&out, job.force).map_err(|e| writing(e.into()))?;
    let final_path = std::path::absolute(&out).unwrap_or_else(|_| out.clone());
    let toml = calibrated_toml(&calibration, &best.params, &final_path, &header);
    folder
        .write("calibrated.toml", toml.as_bytes())
        .map_err(|e| writing(e.into()))?;
    // It must load (the staging folder sits beside the final one, so its
    // relative `extends` resolves the same): check before anything is
    // moved into place.
    Scenario::load(&folder.path("calibrated.toml"), &[]).map_err(|e| {
        writing(JobError::work(e).context(
            "the calibrated.toml written does not load (a bug in pasar: please report it)",
        ))
    })?;
    (|| -> Result<(), JobError> {
        write_fit(&folder.path("fit.csv"), &rows)?;
        write_starts(&folder.path("starts.csv"), &calibration.free, &fit)?;
        write_history(&folder.path("history.csv"), &calibration.free, &fit)?;
        crate::output::calibration::write_parameters(
            &folder.path("parameters.csv"),
            &folder.path("covariance.csv"),
            &calibration.free,
            &best.params,
            &covariance,
        )?;
        write_columns(
            &folder.path("columns.csv"),
            &[
                "fit.csv",
                "starts.csv",
                "history.csv",
                "parameters.csv",
                "covariance.csv",
            ],
        )?;
        let chart_folder = folder.subfolder("charts")?;
        let ids: Vec<String> = calibration
            .targets
            .targets
            .iter()
            .map(|t| t.moment.id.clone())
            .collect();
        write_fit_charts(&charts, &ids, &chart_folder).map_err(JobError::work)?;
        Ok(())
    })()
    .map_err(writing)?;
    let written = folder
        .commit_with_manifest(manifest)
        .map_err(|e| writing(e.into()))?;
    if let Err(e) = cache.remove() {
        controls.monitor.warn(&format!(
            "the results are complete but the evaluations kept for resuming could not be removed: {e}"
        ));
    }
    drop(lock);
    Ok(CalibrationOutcome {
        folder: written,
        free: calibration.free.clone(),
        fit,
        rows,
        covariance,
        resumed,
        wall_seconds: watch.seconds(),
    })
}
