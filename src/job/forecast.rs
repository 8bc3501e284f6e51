//! `forecast`: the quantities of a forecast file (2024 shares, growth,
//! import penetration) from a scenario's replicates, with intervals of
//! simulation noise, or of noise and the fitted parameters' uncertainty
//! when a calibration's covariance is given (see
//! [`crate::calibration::uncertainty`]).

use super::{Controls, JobError, TickProgress, run_error};
use crate::analysis::panel::Panel;
use crate::calibration::Forecasts;
use crate::calibration::forecast::{ForecastRow, quantity_values, rows};
use crate::calibration::uncertainty::{FittedParameters, UncertaintyError};
use crate::output::calibration::{write_columns, write_draws, write_forecast};
use crate::output::{self, DestinationLock, JobDetails, Manifest, StagedFolder, Stopwatch};
use crate::runner::Executor;
use crate::scenario::{Overrides, Scenario};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Parameter draws when `--draws` is not given.
pub const DEFAULT_DRAWS: u32 = 40;

/// Most realisations (draws × replicates) a forecast runs.
pub const MAX_REALISATIONS: u64 = 100_000;

/// A forecast with parameter draws that cannot be run as asked.
#[derive(Debug, thiserror::Error)]
pub enum ForecastError {
    #[error(
        "parameter draws need at least 2 replicates a draw to tell noise from parameters; the scenario has {0}\n  help: add --replicates 2 or more"
    )]
    OneReplicate(u32),
    #[error(
        "{draws} parameter draws x {replicates} replicates is {} simulations, more than {MAX_REALISATIONS}\n  help: lower --draws or --replicates",
        u64::from(*draws) * u64::from(*replicates)
    )]
    TooMany { draws: u32, replicates: u32 },
}

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
    /// A `pasar calibrate` folder: its `parameters.csv` and
    /// `covariance.csv` give the parameters' uncertainty. None: the
    /// intervals hold simulation noise only.
    pub parameters: Option<PathBuf>,
    /// Parameter draws (with `parameters`); the scenario's replicates run
    /// at each.
    pub draws: u32,
}

/// What a forecast did.
#[derive(Debug, Clone)]
pub struct ForecastOutcome {
    pub folder: PathBuf,
    pub rows: Vec<ForecastRow>,
    /// Replicates at each parameter draw.
    pub replicates: u32,
    /// Parameter draws (0: none, the scenario's own values).
    pub draws: u32,
    pub wall_seconds: f64,
}

/// The scenarios a forecast runs: the scenario itself, or one per draw of
/// the parameters with the `--set`s that make it.
struct Draws {
    scenarios: Vec<Scenario>,
    assignments: Vec<Vec<String>>,
}

/// One scenario per parameter draw from the calibration in `folder`,
/// centred on `scenario`'s own values.
fn parameter_draws(
    job: &ForecastJob,
    scenario: &Scenario,
    folder: &std::path::Path,
    controls: &Controls,
) -> Result<Draws, JobError> {
    let reading = |e: UncertaintyError| {
        JobError::input(e).context(format!(
            "reading the fitted parameters in {}",
            folder.display()
        ))
    };
    let fitted = FittedParameters::load(folder).map_err(reading)?;
    let centre = fitted
        .parameters
        .iter()
        .map(|p| {
            scenario
                .number_at(&p.free.path)
                .ok_or_else(|| UncertaintyError::NotInScenario {
                    path: p.free.path.clone(),
                    file: fitted.files[0].clone(),
                })
        })
        .collect::<Result<Vec<f64>, _>>()
        .map_err(reading)?;
    let sampler = fitted.sampler(centre.clone()).map_err(reading)?;
    // The draws are centred on the scenario's values; say so where the
    // calibration estimated something else.
    let k = fitted.parameters.len();
    for (i, (p, &own)) in fitted.parameters.iter().zip(&centre).enumerate() {
        let se = fitted.covariance[i * k + i].sqrt();
        if p.identified && (own - p.estimate).abs() > 0.5 * se {
            controls.monitor.warn(&format!(
                "{} is {own} in the scenario and {} in {}, {:.1} standard errors apart: the draws are centred on the scenario's value",
                p.free.path,
                p.estimate,
                fitted.files[0].display(),
                (own - p.estimate).abs() / se
            ));
        }
    }
    let thetas = sampler
        .draws(job.draws as usize, scenario.spec.simulation.seed)
        .map_err(reading)?;
    let mut out = Draws {
        scenarios: Vec::new(),
        assignments: Vec::new(),
    };
    // A user's --set of a drawn parameter is in the centre already: the
    // draw's value replaces it.
    let drawn_paths = sampler.drawn_paths();
    let mut others = job.overrides.clone();
    others
        .sets
        .retain(|set| !drawn_paths.contains(&Overrides::key_of(set)));
    for (s, theta) in thetas.iter().enumerate() {
        let sets = sampler.sets(theta);
        let mut overrides = others.clone();
        overrides.sets.extend(sets.iter().cloned());
        let drawn = Scenario::load_with(&job.scenario, &overrides).map_err(|e| {
            JobError::input(e).context(format!(
                "parameter draw {s} ({}) does not make a valid scenario",
                sets.join(" ")
            ))
        })?;
        out.scenarios.push(drawn);
        out.assignments.push(sampler.assignments(theta));
    }
    Ok(out)
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
    if job.parameters.is_some() {
        if replicates < 2 {
            return Err(JobError::input(ForecastError::OneReplicate(replicates)));
        }
        let realisations = u64::from(job.draws) * u64::from(replicates);
        if realisations > MAX_REALISATIONS {
            return Err(JobError::input(ForecastError::TooMany {
                draws: job.draws,
                replicates,
            }));
        }
        if realisations < 100 {
            controls.monitor.warn(&format!(
                "{realisations} simulations: the interval's 2.5% and 97.5% points rest on few of them and cover less than 95% (about {:.0}%); use more --draws",
                100.0 * (1.0 - 2.0 * (1.0 + 0.025 * (realisations as f64 - 1.0)) / (realisations as f64 + 1.0))
            ));
        }
    }
    let draws = match &job.parameters {
        Some(folder) => Some(parameter_draws(job, &scenario, folder, controls)?),
        None => None,
    };
    let scenarios: Vec<&Scenario> = match &draws {
        Some(d) => d.scenarios.iter().collect(),
        None => vec![&scenario],
    };
    // Draw s runs replicates s R .. (s + 1) R: seeds of its own, so that
    // the draws' means are independent and the variance splits cleanly.
    let first_replicate = |s: usize| s as u32 * replicates;
    let progress = TickProgress(controls.monitor);
    let mut executor = Executor::empty()
        .threads(job.threads)
        .observe(&progress)
        .cancel_on(controls.cancel);
    for (s, drawn) in scenarios.iter().enumerate() {
        executor = executor.add(drawn, first_replicate(s)..first_replicate(s) + replicates);
    }
    executor.check().map_err(|e| {
        run_error(e).context(format!(
            "{} is too large for this machine",
            job.scenario.display()
        ))
    })?;
    let lock = DestinationLock::acquire(&out)?;
    controls.monitor.working();
    controls.monitor.start(
        executor.tasks().len() as u64 * u64::from(scenario.ticks()),
        "replicate-ticks",
    );
    let values = Mutex::new(vec![vec![Vec::new(); replicates as usize]; scenarios.len()]);
    let decisions = AtomicU64::new(0);
    let stats = executor
        .run_each(&|result| {
            let drawn = scenarios[result.scenario];
            let panel = Panel::from_records(drawn, [(result.replicate, result.records.as_slice())]);
            let row = quantity_values(drawn, &quantities, &panel).swap_remove(0);
            let slot = (result.replicate - first_replicate(result.scenario)) as usize;
            crate::runner::lock(&values)[result.scenario][slot] = row;
            decisions.fetch_add(result.decisions, Ordering::Relaxed);
            Ok(())
        })
        .map_err(run_error)?;
    if stats.cancelled {
        return Err(JobError::stopped(
            "the forecast was stopped and nothing was written",
            None,
        ));
    }
    controls.monitor.finish();
    let values = values.into_inner().unwrap_or_else(|p| p.into_inner());
    let rows = rows(&quantities, &values, draws.is_some());
    let mut inputs = super::scenario_entries(&scenario);
    inputs.push(super::input_entry(
        &job.quantities,
        crate::input::caps::TOML,
    ));
    if let Some(folder) = &job.parameters {
        for file in ["parameters.csv", "covariance.csv"] {
            inputs.push(super::input_entry(
                &folder.join(file),
                crate::input::caps::PARAMETERS_CSV,
            ));
        }
    }
    let draw_count = draws.as_ref().map_or(0, |d| d.scenarios.len() as u32);
    let manifest = Manifest::new(
        JobDetails::Forecast {
            scenario: scenario.name().to_string(),
            replicates,
            parameter_draws: draw_count,
        },
        controls.command.clone(),
        inputs,
        stats.threads,
        watch.timing(),
    )
    .with_seeds(
        scenario.spec.simulation.seed,
        (0..first_replicate(scenarios.len()))
            .map(|r| scenario.replicate_seed(r))
            .collect(),
    )
    .with_decisions(decisions.into_inner())
    .with_events([&scenario]);
    let written = (|| -> Result<PathBuf, JobError> {
        let folder = StagedFolder::create(&out, job.force)?;
        write_forecast(&folder.path("forecast.csv"), &rows)?;
        match &draws {
            Some(d) => {
                write_draws(&folder.path("draws.csv"), &d.assignments, replicates)?;
                write_columns(&folder.path("columns.csv"), &["forecast.csv", "draws.csv"])?;
            }
            None => write_columns(&folder.path("columns.csv"), &["forecast.csv"])?,
        }
        folder.write("resolved.toml", scenario.to_toml().as_bytes())?;
        Ok(folder.commit_with_manifest(manifest)?)
    })()
    .map_err(|e| e.context(format!("writing the forecast to {}", out.display())))?;
    drop(lock);
    Ok(ForecastOutcome {
        folder: written,
        rows,
        replicates,
        draws: draw_count,
        wall_seconds: watch.seconds(),
    })
}
