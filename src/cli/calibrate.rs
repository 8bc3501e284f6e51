//! `pasar calibrate`: arguments into a [`CalibrationJob`], and the fit.

use super::{Failure, Session, SimulationOptions, sayln};
use clap::Args;
use pasar::calibration::FreeParam;
use pasar::calibration::optimise::Termination;
use pasar::job::calibrate::{CalibrationJob, CalibrationOutcome, calibrate as calibrate_job};
use pasar::report::format::significant;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// The scenario file to fit (its other parameters stay as they are).
    pub scenario: PathBuf,
    /// The observed facts to fit.
    #[arg(long, default_value = "calibration/targets.toml")]
    pub targets: PathBuf,
    /// A parameter to fit and its bounds, PATH=LOW:HIGH (repeatable, each
    /// path once). Paths are those of scenario files and --set. Without
    /// any, the scenario is evaluated as it is: its fit table, no search.
    #[arg(long, value_name = "PATH=LOW:HIGH")]
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
    pub sim: SimulationOptions,
}

pub fn calibrate(args: CalibrateArgs) -> Result<(), Failure> {
    let free = args
        .free
        .iter()
        .map(|f| FreeParam::parse(f))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Failure::Input(format!("--free: {e}")))?;
    let session = Session::start(args.sim.quiet)?;
    let job = CalibrationJob {
        scenario: args.scenario.clone(),
        targets: args.targets.clone(),
        free,
        free_given: args.free.clone(),
        starts: args.starts,
        max_evaluations: args.max_evaluations,
        tolerance: args.tolerance,
        replicates: args.replicates,
        overrides: args.sim.overrides(None),
        out: args.out.clone(),
        force: args.force,
        threads: usize::from(args.sim.threads),
    };
    let outcome = calibrate_job(&job, &session.controls()).map_err(|e| session.failure(e))?;
    print_summary(&outcome)
}

fn print_summary(o: &CalibrationOutcome) -> Result<(), Failure> {
    sayln(&format!(
        "{:<32} {:>12} {:>12} {:>9}",
        "target", "observed", "model", "error/sd"
    ))?;
    for r in &o.rows {
        sayln(&format!(
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
        ))?;
    }
    sayln("")?;
    let fit = &o.fit;
    for s in &fit.starts {
        let values: Vec<String> = o
            .free
            .iter()
            .zip(&s.best.params)
            .map(|(f, v)| format!("{}={}", f.path, significant(*v)))
            .collect();
        sayln(&format!(
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
        ))?;
    }
    if !fit.starts.iter().any(|s| {
        matches!(
            s.termination,
            Termination::Converged | Termination::NothingFree
        )
    }) {
        sayln(
            "no start converged within its evaluation budget: raise --max-evaluations, or loosen --tolerance",
        )?;
    }
    // Each fitted value with its standard error (SMM covariance).
    let best = &fit.starts[fit.best_start].best.params;
    for (i, (f, v)) in o.free.iter().zip(best).enumerate() {
        sayln(&match o.covariance.standard_error(i) {
            Some(se) => format!(
                "  {} = {} (standard error {})",
                f.path,
                significant(*v),
                significant(se)
            ),
            None if o.covariance.covariance.is_none() => format!(
                "  {} = {} (no standard error: the free parameters are not identified together)",
                f.path,
                significant(*v)
            ),
            None => format!(
                "  {} = {} (not identified: no fitted target moves it)",
                f.path,
                significant(*v)
            ),
        })?;
    }
    if o.resumed > 0 {
        sayln(&format!("resumed: {} evaluations were cached", o.resumed))?;
    }
    sayln(&format!(
        "{} evaluations in {:.1} s; results in {}/ (calibrated.toml, fit.csv, parameters.csv, covariance.csv, starts.csv, history.csv, charts/)",
        fit.history.len(),
        o.wall_seconds,
        o.folder.display()
    ))
}
