//! `forecast`: the quantities of a forecast file (2024 shares, growth,
//! import penetration) from a scenario's replicates, with intervals.

use super::{Controls, JobError, TickProgress, run_error};
use crate::analysis::panel::Panel;
use crate::calibration::Forecasts;
use crate::calibration::forecast::{ForecastRow, forecast};
use crate::output::calibration::{write_columns, write_forecast};
use crate::output::{self, DestinationLock, JobDetails, Manifest, StagedFolder, Stopwatch};
use crate::runner::{Executor, RunError};
use crate::scenario::{Overrides, Scenario};
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct ForecastJob {
    /// The scenario to forecast with.
    pub scenario: PathBuf,
    /// The quantities to forecast.
    pub quantities: PathBuf,
    /// Overrides (the seed and replicates among them).
    pub overrides: Overrides,
    /// [default: `results/forecast-<scenario name>`]
    pub out: Option<PathBuf>,
    pub force: bool,
    pub threads: usize,
}

/// What a forecast did.
#[derive(Debug, Clone)]
pub struct ForecastOutcome {
    pub folder: PathBuf,
    pub rows: Vec<ForecastRow>,
    pub replicates: u32,
    pub wall_seconds: f64,
}

/// Forecast: check everything, run the replicates, write the folder.
pub fn forecast_job(job: &ForecastJob, controls: &Controls) -> Result<ForecastOutcome, JobError> {
    let watch = Stopwatch::start();
    let quantities = Forecasts::load(&job.quantities).map_err(|e| {
        JobError::input(e).context(format!(
            "reading the forecast quantities {}",
            job.quantities.display()
        ))
    })?;
    let scenario = Scenario::load_with(&job.scenario, &job.overrides).map_err(|e| {
        JobError::input(e).context(format!("invalid scenario {}", job.scenario.display()))
    })?;
    quantities.check(&scenario).map_err(|p| {
        JobError::input(p).context(format!(
            "the quantities in {} do not fit {}",
            job.quantities.display(),
            job.scenario.display()
        ))
    })?;
    let out = job
        .out
        .clone()
        .unwrap_or_else(|| super::default_out(&format!("forecast-{}", scenario.name())));
    output::check_destination(&out, job.force)?;
    let replicates = scenario.spec.simulation.replicates;
    let progress = TickProgress(controls.monitor);
    let executor = Executor::new(&scenario)
        .threads(job.threads)
        .observe(&progress)
        .cancel_on(controls.cancel);
    executor.check().map_err(|e| {
        run_error(e).context(format!(
            "{} is too large for this machine",
            job.scenario.display()
        ))
    })?;
    let lock = DestinationLock::acquire(&out)?;
    controls.monitor.working();
    controls.monitor.start(
        u64::from(replicates) * u64::from(scenario.ticks()),
        "replicate-ticks",
    );
    let result = executor.run().map_err(|e| match e {
        RunError::Cancelled { .. } => {
            JobError::stopped("the forecast was stopped and nothing was written", None)
        }
        e => run_error(e),
    })?;
    controls.monitor.finish();
    let panel = Panel::from_records(&scenario, result.records_of(0));
    let rows = forecast(&scenario, &quantities, &panel);
    let mut inputs = super::scenario_entries(&scenario);
    inputs.push(super::input_entry(
        &job.quantities,
        crate::input::caps::TOML,
    ));
    let manifest = Manifest::new(
        JobDetails::Forecast {
            scenario: scenario.name().to_string(),
            replicates,
        },
        controls.command.clone(),
        inputs,
        result.threads,
        watch.timing(),
    )
    .with_seeds(
        scenario.spec.simulation.seed,
        (0..replicates)
            .map(|r| scenario.replicate_seed(r))
            .collect(),
    )
    .with_decisions(result.decisions())
    .with_events([&scenario]);
    let written = (|| -> Result<PathBuf, JobError> {
        let folder = StagedFolder::create(&out, job.force)?;
        write_forecast(&folder.path("forecast.csv"), &rows)?;
        write_columns(&folder.path("columns.csv"), &["forecast.csv"])?;
        folder.write("resolved.toml", scenario.to_toml().as_bytes())?;
        Ok(folder.commit_with_manifest(manifest)?)
    })()
    .map_err(|e| e.context(format!("writing the forecast to {}", out.display())))?;
    drop(lock);
    Ok(ForecastOutcome {
        folder: written,
        rows,
        replicates,
        wall_seconds: watch.seconds(),
    })
}
