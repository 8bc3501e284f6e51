//! Sweep tables: `design.csv`, `sweep.csv` and `sensitivity.csv` (finished
//! runs are kept in the resumable store, `store.rs`, until then).

use super::{OutputError, csv_writer, finish_csv, number};
use crate::analysis::design::Design;
use crate::sweep::{Indicator, Sensitivity, SensitivityStats, TaskResult};
use std::path::Path;

fn csv_err(path: &Path) -> impl Fn(csv::Error) -> OutputError + '_ {
    move |source| OutputError::Csv {
        path: path.to_path_buf(),
        source,
    }
}

/// `design.csv`: one row per sample, parameter paths as the header (the
/// format SALib and `--samples` read).
pub fn write_design(path: &Path, design: &Design) -> Result<(), OutputError> {
    let mut w = csv_writer(path)?;
    let mut header = vec!["sample".to_string()];
    header.extend(design.factors.iter().map(|f| f.path.clone()));
    w.write_record(&header).map_err(csv_err(path))?;
    for (i, row) in design.rows.iter().enumerate() {
        let mut record = vec![i.to_string()];
        record.extend(row.iter().map(|v| number(*v)));
        w.write_record(&record).map_err(csv_err(path))?;
    }
    finish_csv(path, w)
}

/// `sweep.csv`: one row per sample and replicate, with the varied
/// parameters and every indicator. `results` may be in any order.
pub fn write_sweep(
    path: &Path,
    design: &Design,
    indicators: &[Indicator],
    results: &[TaskResult],
) -> Result<(), OutputError> {
    let mut sorted: Vec<&TaskResult> = results.iter().collect();
    sorted.sort_by_key(|r| r.task);
    let mut w = csv_writer(path)?;
    let mut header = vec!["sample".to_string(), "replicate".to_string()];
    header.extend(design.factors.iter().map(|f| f.path.clone()));
    header.extend(indicators.iter().map(|i| i.name.clone()));
    w.write_record(&header).map_err(csv_err(path))?;
    for r in sorted {
        let mut record = vec![r.task.sample.to_string(), r.task.replicate.to_string()];
        record.extend(
            design.rows[r.task.sample as usize]
                .iter()
                .map(|v| number(*v)),
        );
        record.extend(r.values.iter().map(|v| number(*v)));
        w.write_record(&record).map_err(csv_err(path))?;
    }
    finish_csv(path, w)
}

/// The columns of `sensitivity.csv`.
pub const SENSITIVITY_COLUMNS: [&str; 12] = [
    "indicator",
    "parameter",
    "method",
    "mu",
    "mu_star",
    "sigma",
    "s1",
    "s1_ci95_low",
    "s1_ci95_high",
    "st",
    "st_ci95_low",
    "st_ci95_high",
];

/// `sensitivity.csv`: per indicator and parameter, Morris mu, mu* and
/// sigma, or Sobol S1 and ST with their 95% bootstrap intervals.
pub fn write_sensitivity(
    path: &Path,
    design: &Design,
    indicators: &[Indicator],
    sensitivity: &Sensitivity,
) -> Result<(), OutputError> {
    let mut w = csv_writer(path)?;
    w.write_record(SENSITIVITY_COLUMNS).map_err(csv_err(path))?;
    for (indicator, per_factor) in indicators.iter().zip(&sensitivity.stats) {
        for (factor, stats) in design.factors.iter().zip(per_factor) {
            let e = String::new;
            let fields: [String; 9] = match stats {
                SensitivityStats::Morris(m) => [
                    number(m.mu),
                    number(m.mu_star),
                    number(m.sigma),
                    e(),
                    e(),
                    e(),
                    e(),
                    e(),
                    e(),
                ],
                SensitivityStats::Sobol(s) => [
                    e(),
                    e(),
                    e(),
                    number(s.s1),
                    number(s.s1_ci95.0),
                    number(s.s1_ci95.1),
                    number(s.st),
                    number(s.st_ci95.0),
                    number(s.st_ci95.1),
                ],
            };
            let mut record = vec![
                indicator.name.clone(),
                factor.path.clone(),
                sensitivity.method.to_string(),
            ];
            record.extend(fields);
            w.write_record(&record).map_err(csv_err(path))?;
        }
    }
    finish_csv(path, w)
}
