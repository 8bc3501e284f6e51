//! Calibration and forecast files: the evaluation cache that makes a
//! calibration resumable, `fit.csv`, `starts.csv`, `history.csv`,
//! `forecast.csv`, their data dictionary, and `calibrated.toml`.

use super::{OutputError, Store, StorePlan, csv_writer, finish_csv, number};
use crate::calibration::fit::FitRow;
use crate::calibration::forecast::ForecastRow;
use crate::calibration::optimise::Fit;
use crate::calibration::smm::{CalibrationError, Evaluation, EvaluationStore, params_key};
use crate::calibration::{Calibration, FreeParam};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The calibration's evaluations, kept in a resumable [`Store`] (one
/// JSON line each, synced as they finish) and in memory for look-up.
pub struct EvaluationCache {
    store: Store<Evaluation>,
    map: Mutex<HashMap<Vec<u64>, Evaluation>>,
    /// Evaluations found in the store when opened.
    pub resumed: usize,
}

impl EvaluationCache {
    /// Open the store at `dir` for the calibration described by `plan`.
    pub fn open(dir: &Path, plan: &StorePlan, force: bool) -> Result<EvaluationCache, OutputError> {
        let (store, found) = Store::open(dir, plan, force, "calibration")?;
        let map: HashMap<Vec<u64>, Evaluation> = found
            .into_iter()
            .map(|e: Evaluation| (params_key(&e.params), e))
            .collect();
        Ok(EvaluationCache {
            store,
            resumed: map.len(),
            map: Mutex::new(map),
        })
    }

    pub fn path(&self) -> &Path {
        self.store.path()
    }

    /// Remove the store (the results are in place).
    pub fn remove(self) -> Result<(), OutputError> {
        self.store.remove()
    }
}

impl EvaluationStore for EvaluationCache {
    fn get(&self, params: &[f64]) -> Option<Evaluation> {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&params_key(params)).cloned()
    }

    fn put(&self, evaluation: &Evaluation) -> Result<(), CalibrationError> {
        self.store
            .append(evaluation)
            .map_err(|e| CalibrationError::Store(e.to_string()))?;
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.insert(params_key(&evaluation.params), evaluation.clone());
        Ok(())
    }
}

pub const FIT_COLUMNS: [&str; 12] = [
    "target",
    "window",
    "unit",
    "observed",
    "sd",
    "simulated_mean",
    "simulated_low95",
    "simulated_high95",
    "replicates",
    "error_sd",
    "fitted",
    "source",
];

pub const FORECAST_COLUMNS: [&str; 14] = [
    "quantity",
    "window",
    "unit",
    "mean",
    "low95",
    "high95",
    "mean_low95",
    "mean_high95",
    "sd",
    "replicates",
    "noise_sd",
    "parameter_sd",
    "parameter_share",
    "parameter_draws",
];

/// What the columns of the calibration and forecast tables hold:
/// (file, column, unit, meaning); `<parameter>` stands for each free
/// parameter's path.
const COLUMN_MEANINGS: &[(&str, &str, &str, &str)] = &[
    ("fit.csv", "target", "-", "target id in the targets file"),
    (
        "fit.csv",
        "window",
        "dates",
        "ticks whose first day lies in this range (a growth target: relative to the second range)",
    ),
    (
        "fit.csv",
        "unit",
        "-",
        "unit of observed, sd and simulated values",
    ),
    (
        "fit.csv",
        "observed",
        "unit",
        "the observed value (targets file)",
    ),
    (
        "fit.csv",
        "sd",
        "unit",
        "the target's tolerance; errors are counted in units of it",
    ),
    (
        "fit.csv",
        "simulated_mean",
        "unit",
        "the fitted model's value, mean over replicates",
    ),
    (
        "fit.csv",
        "simulated_low95",
        "unit",
        "lower end of the Student-t 95% interval of that mean (simulation noise)",
    ),
    (
        "fit.csv",
        "simulated_high95",
        "unit",
        "upper end of that interval",
    ),
    (
        "fit.csv",
        "replicates",
        "replicates",
        "replicates with a value",
    ),
    (
        "fit.csv",
        "error_sd",
        "sd",
        "(simulated_mean - observed) / sd; the objective is the sum of its squares",
    ),
    (
        "fit.csv",
        "fitted",
        "-",
        "true if the target is in the objective; false for a cross-check (fit = false in the targets file)",
    ),
    ("fit.csv", "source", "-", "source ids (docs/SOURCES.md)"),
    (
        "parameters.csv",
        "parameter",
        "-",
        "the free parameter's scenario path",
    ),
    (
        "parameters.csv",
        "estimate",
        "the parameter's unit",
        "the fitted value (the best evaluation)",
    ),
    (
        "parameters.csv",
        "standard_error",
        "the parameter's unit",
        "square root of the diagonal of the SMM covariance (G'WG)^-1, G the Jacobian of the fitted moments by central differences of 2% of the range, W = 1/sd^2; empty when not identified",
    ),
    (
        "parameters.csv",
        "low95",
        "the parameter's unit",
        "estimate - 1.96 standard errors (normal approximation; may cross the range)",
    ),
    (
        "parameters.csv",
        "high95",
        "the parameter's unit",
        "estimate + 1.96 standard errors",
    ),
    (
        "parameters.csv",
        "low",
        "the parameter's unit",
        "the lower end of the --free range",
    ),
    (
        "parameters.csv",
        "high",
        "the parameter's unit",
        "the upper end of the --free range",
    ),
    (
        "parameters.csv",
        "identified",
        "-",
        "false when no fitted moment moves the parameter (or a combination of parameters): the covariance is singular",
    ),
    ("covariance.csv", "parameter_a", "-", "a free parameter"),
    ("covariance.csv", "parameter_b", "-", "a free parameter"),
    (
        "covariance.csv",
        "covariance",
        "product of the two parameters' units",
        "their SMM covariance; no rows when it is singular",
    ),
    (
        "starts.csv",
        "start",
        "-",
        "start number (0 = the scenario's own values, then Sobol points)",
    ),
    (
        "starts.csv",
        "evaluations",
        "evaluations",
        "objective evaluations made from this start (cached ones included)",
    ),
    (
        "starts.csv",
        "termination",
        "-",
        "converged (the simplex's objective values agree within the tolerance), evaluation budget reached, or no free parameter (the scenario evaluated as it is)",
    ),
    (
        "starts.csv",
        "objective",
        "sum of squared sd errors",
        "best objective reached from this start",
    ),
    (
        "starts.csv",
        "best",
        "-",
        "true for the start whose result is calibrated.toml",
    ),
    (
        "starts.csv",
        "<parameter>_start",
        "parameter unit",
        "the parameter's value at the start",
    ),
    (
        "starts.csv",
        "<parameter>",
        "parameter unit",
        "the parameter's value at the start's best point",
    ),
    ("history.csv", "start", "-", "start number"),
    (
        "history.csv",
        "evaluation",
        "-",
        "evaluation number within the start, from 1",
    ),
    (
        "history.csv",
        "objective",
        "sum of squared sd errors",
        "objective at this point",
    ),
    (
        "history.csv",
        "best_so_far",
        "sum of squared sd errors",
        "lowest objective of the start so far",
    ),
    (
        "history.csv",
        "<parameter>",
        "parameter unit",
        "the parameter's value at this point",
    ),
    (
        "forecast.csv",
        "quantity",
        "-",
        "quantity id in the forecast file",
    ),
    (
        "forecast.csv",
        "window",
        "dates",
        "ticks whose first day lies in this range (growth: relative to the second range)",
    ),
    ("forecast.csv", "unit", "-", "unit of the values"),
    (
        "forecast.csv",
        "mean",
        "unit",
        "mean over every realisation (replicates, times parameter draws when --parameters is given)",
    ),
    (
        "forecast.csv",
        "low95",
        "unit",
        "lower end of the 95% interval for one realisation of the model's market: without --parameters mean - t sd sqrt(1 + 1/n) (simulation noise); with it the 2.5% point of every realisation over the parameter draws (noise and parameters)",
    ),
    (
        "forecast.csv",
        "high95",
        "unit",
        "upper end of that interval (the 97.5% point with --parameters)",
    ),
    (
        "forecast.csv",
        "mean_low95",
        "unit",
        "lower end of the Student-t 95% interval of the mean (over replicates; over the draws' means with --parameters)",
    ),
    (
        "forecast.csv",
        "mean_high95",
        "unit",
        "upper end of that interval",
    ),
    (
        "forecast.csv",
        "sd",
        "unit",
        "standard deviation over every realisation",
    ),
    (
        "forecast.csv",
        "replicates",
        "realisations",
        "realisations with a value (replicates x parameter draws with --parameters, counting only draws with two values or more, as the split does)",
    ),
    (
        "forecast.csv",
        "noise_sd",
        "unit",
        "simulation noise: square root of the pooled variance within a parameter draw (the sd over replicates without --parameters)",
    ),
    (
        "forecast.csv",
        "parameter_sd",
        "unit",
        "the fitted parameters' uncertainty: square root of the variance of the draws' means less noise / replicates (floored at 0); empty without --parameters",
    ),
    (
        "forecast.csv",
        "parameter_share",
        "share (0 to 1)",
        "parameter_sd^2 / (noise_sd^2 + parameter_sd^2): the part of a realisation's variance due to the parameters; empty without --parameters",
    ),
    (
        "forecast.csv",
        "parameter_draws",
        "draws",
        "parameter vectors drawn from the calibration's covariance (0: the scenario's own values only)",
    ),
    (
        "draws.csv",
        "draw",
        "-",
        "parameter draw, from 0; draw d runs replicates d x R to d x R + R - 1 of the master seed (R the replicates column)",
    ),
    (
        "draws.csv",
        "replicates",
        "replicates",
        "replicates run at the draw",
    ),
    (
        "draws.csv",
        "parameter",
        "-",
        "the parameter's scenario path",
    ),
    (
        "draws.csv",
        "value",
        "the parameter's unit",
        "its value in the draw (pasar run --set parameter=value for each row reproduces the draw)",
    ),
];

fn csv_err(path: &Path) -> impl Fn(csv::Error) -> OutputError + '_ {
    move |source| OutputError::Csv {
        path: path.to_path_buf(),
        source,
    }
}

/// `fit.csv`.
pub fn write_fit(path: &Path, rows: &[FitRow]) -> Result<(), OutputError> {
    let mut w = csv_writer(path)?;
    w.write_record(FIT_COLUMNS).map_err(csv_err(path))?;
    for r in rows {
        let (low, high) = r.simulated.ci95().unwrap_or((f64::NAN, f64::NAN));
        w.write_record([
            r.id.clone(),
            r.window.clone(),
            r.unit.clone(),
            number(r.observed),
            number(r.sd),
            number(r.simulated.mean),
            number(low),
            number(high),
            r.simulated.n.to_string(),
            number(r.error_sd),
            r.fitted.to_string(),
            r.source.clone(),
        ])
        .map_err(csv_err(path))?;
    }
    finish_csv(path, w)
}

/// `parameters.csv`: each fitted parameter with its standard error and
/// 95% interval (normal, from the SMM covariance; empty where the
/// parameter is not identified), and the covariance in long form
/// (`covariance.csv`: parameter_a, parameter_b, covariance).
pub fn write_parameters(
    parameters: &Path,
    covariance: &Path,
    free: &[FreeParam],
    best: &[f64],
    cov: &crate::calibration::covariance::ParameterCovariance,
) -> Result<(), OutputError> {
    let path = parameters.to_path_buf();
    let mut w = csv_writer(&path)?;
    w.write_record([
        "parameter",
        "estimate",
        "standard_error",
        "low95",
        "high95",
        "low",
        "high",
        "identified",
    ])
    .map_err(csv_err(&path))?;
    for (i, (f, &x)) in free.iter().zip(best).enumerate() {
        let se = cov.standard_error(i);
        let show = |v: Option<f64>| v.map_or(String::new(), number);
        w.write_record([
            f.path.clone(),
            number(x),
            show(se),
            show(se.map(|s| x - 1.96 * s)),
            show(se.map(|s| x + 1.96 * s)),
            number(f.low),
            number(f.high),
            se.is_some().to_string(),
        ])
        .map_err(csv_err(&path))?;
    }
    finish_csv(&path, w)?;
    let path = covariance.to_path_buf();
    let mut w = csv_writer(&path)?;
    w.write_record(["parameter_a", "parameter_b", "covariance"])
        .map_err(csv_err(&path))?;
    let k = free.len();
    if let Some(v) = &cov.covariance {
        for (a, fa) in free.iter().enumerate() {
            for (b, fb) in free.iter().enumerate() {
                w.write_record([fa.path.clone(), fb.path.clone(), number(v[a * k + b])])
                    .map_err(csv_err(&path))?;
            }
        }
    }
    finish_csv(&path, w)
}

/// `starts.csv`: how each start ended.
pub fn write_starts(path: &Path, free: &[FreeParam], fit: &Fit) -> Result<(), OutputError> {
    let mut w = csv_writer(path)?;
    let mut header: Vec<String> = ["start", "evaluations", "termination", "objective", "best"]
        .map(String::from)
        .to_vec();
    header.extend(free.iter().map(|f| format!("{}_start", f.path)));
    header.extend(free.iter().map(|f| f.path.clone()));
    w.write_record(&header).map_err(csv_err(path))?;
    for (i, s) in fit.starts.iter().enumerate() {
        let mut row = vec![
            s.start.to_string(),
            s.evaluations.to_string(),
            s.termination.as_str().to_string(),
            number(s.best.objective),
            (i == fit.best_start).to_string(),
        ];
        row.extend(s.initial.iter().map(|v| number(*v)));
        row.extend(s.best.params.iter().map(|v| number(*v)));
        w.write_record(&row).map_err(csv_err(path))?;
    }
    finish_csv(path, w)
}

/// `history.csv`: every evaluation of every start, in order.
pub fn write_history(path: &Path, free: &[FreeParam], fit: &Fit) -> Result<(), OutputError> {
    let mut w = csv_writer(path)?;
    let mut header: Vec<String> = ["start", "evaluation", "objective", "best_so_far"]
        .map(String::from)
        .to_vec();
    header.extend(free.iter().map(|f| f.path.clone()));
    w.write_record(&header).map_err(csv_err(path))?;
    for h in &fit.history {
        let mut row = vec![
            h.start.to_string(),
            h.evaluation.to_string(),
            number(h.objective),
            number(h.best_so_far),
        ];
        row.extend(h.params.iter().map(|v| number(*v)));
        w.write_record(&row).map_err(csv_err(path))?;
    }
    finish_csv(path, w)
}

/// `forecast.csv`.
pub fn write_forecast(path: &Path, rows: &[ForecastRow]) -> Result<(), OutputError> {
    let mut w = csv_writer(path)?;
    w.write_record(FORECAST_COLUMNS).map_err(csv_err(path))?;
    for r in rows {
        let (low, high) = r.prediction95.unwrap_or((f64::NAN, f64::NAN));
        let (mean_low, mean_high) = r.mean_ci95.unwrap_or((f64::NAN, f64::NAN));
        let (noise_sd, parameter_sd, share) = match &r.split {
            Some(s) => (s.noise.sqrt(), s.parameters.sqrt(), s.parameter_share()),
            None => (r.estimate.sd, f64::NAN, f64::NAN),
        };
        w.write_record([
            r.id.clone(),
            r.window.clone(),
            r.unit.clone(),
            number(r.estimate.mean),
            number(low),
            number(high),
            number(mean_low),
            number(mean_high),
            number(r.estimate.sd),
            r.estimate.n.to_string(),
            number(noise_sd),
            number(parameter_sd),
            number(share),
            r.parameter_draws.to_string(),
        ])
        .map_err(csv_err(path))?;
    }
    finish_csv(path, w)
}

/// `draws.csv`: each parameter draw's values, one row per parameter.
pub fn write_draws(
    path: &Path,
    assignments: &[Vec<String>],
    replicates: u32,
) -> Result<(), OutputError> {
    let mut w = csv_writer(path)?;
    w.write_record(["draw", "replicates", "parameter", "value"])
        .map_err(csv_err(path))?;
    for (d, sets) in assignments.iter().enumerate() {
        for set in sets {
            let (parameter, value) = set.split_once('=').unwrap_or((set, ""));
            w.write_record([
                d.to_string(),
                replicates.to_string(),
                parameter.into(),
                value.into(),
            ])
            .map_err(csv_err(path))?;
        }
    }
    finish_csv(path, w)
}

/// `columns.csv`: the data dictionary of `files`.
pub fn write_columns(path: &Path, files: &[&str]) -> Result<(), OutputError> {
    let mut w = csv_writer(path)?;
    w.write_record(["file", "column", "unit", "meaning"])
        .map_err(csv_err(path))?;
    for (file, column, unit, meaning) in COLUMN_MEANINGS {
        if files.contains(file) {
            w.write_record([file, column, unit, meaning])
                .map_err(csv_err(path))?;
        }
    }
    finish_csv(path, w)
}

/// `--set` paths of a calibration that calibrated.toml does not keep.
pub const RUN_CONTROLS: [&str; 3] = [
    "simulation.ticks",
    "simulation.replicates",
    "simulation.seed",
];

/// `calibrated.toml`: the input scenario (by `extends`, relative to
/// `folder`) with the fitted values and the `--set`s of the calibration.
pub fn calibrated_toml(
    calibration: &Calibration,
    params: &[f64],
    folder: &Path,
    header: &str,
) -> String {
    let parent = relative_path(&calibration.scenario, folder);
    let mut table = toml::Table::new();
    table.insert("extends".into(), toml::Value::String(parent));
    // Run controls (horizon, replicates, seed) are left to whoever runs
    // the calibrated scenario; every other `--set` shaped the fit and
    // stays.
    let user_sets = calibration
        .overrides
        .sets
        .iter()
        .filter_map(|s| s.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), literal(v.trim())))
        .filter(|(k, _)| !RUN_CONTROLS.contains(&k.as_str()));
    let fitted = calibration.free.iter().zip(params).map(|(f, v)| {
        let used = f.used(*v);
        let value = if crate::sweep::is_integer_path(&f.path) {
            toml::Value::Integer(used as i64)
        } else {
            toml::Value::Float(used)
        };
        (f.path.clone(), value)
    });
    for (path, value) in user_sets.chain(fitted) {
        insert_path(&mut table, &path, value);
    }
    let body = toml::to_string(&table).unwrap_or_default();
    format!("{header}{body}")
}

/// A `--set` value as TOML (a number, boolean, date or string).
fn literal(text: &str) -> toml::Value {
    let doc = format!("v = {text}");
    match doc.parse::<toml::Table>() {
        Ok(mut t) => t.remove("v").unwrap_or(toml::Value::String(text.into())),
        Err(_) => toml::Value::String(text.into()),
    }
}

fn insert_path(table: &mut toml::Table, path: &str, value: toml::Value) {
    let mut parts: Vec<&str> = path.split('.').collect();
    let Some(last) = parts.pop() else { return };
    let mut current = table;
    for part in parts {
        let entry = current
            .entry(part.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !entry.is_table() {
            *entry = toml::Value::Table(toml::Table::new());
        }
        let Some(t) = entry.as_table_mut() else {
            return;
        };
        current = t;
    }
    current.insert(last.to_string(), value);
}

/// `target` relative to `from` (a folder), when both resolve; else the
/// absolute path of `target`.
fn relative_path(target: &Path, from: &Path) -> String {
    let target = std::path::absolute(target).unwrap_or_else(|_| target.to_path_buf());
    let from = std::path::absolute(from).unwrap_or_else(|_| from.to_path_buf());
    let t: Vec<_> = target.components().collect();
    let f: Vec<_> = from.components().collect();
    let common = t.iter().zip(&f).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return target.display().to_string();
    }
    let mut rel = PathBuf::new();
    for _ in common..f.len() {
        rel.push("..");
    }
    for c in &t[common..] {
        rel.push(c);
    }
    rel.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_to_the_common_folder() {
        assert_eq!(
            relative_path(
                Path::new("/a/scenarios/b.toml"),
                Path::new("/a/results/calib")
            ),
            "../../scenarios/b.toml"
        );
    }

    #[test]
    fn dotted_paths_become_nested_tables() {
        let mut t = toml::Table::new();
        insert_path(&mut t, "channels.social.affinity", toml::Value::Float(-4.5));
        insert_path(
            &mut t,
            "channels.social.take_rate",
            toml::Value::Float(0.04),
        );
        let text = toml::to_string(&t).unwrap_or_default();
        assert!(text.contains("[channels.social]"), "{text}");
        assert!(text.contains("affinity = -4.5"), "{text}");
    }
}
