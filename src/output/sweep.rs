//! Sweep files: the append-only task store that makes sweeps resumable and
//! shardable, and the final `design.csv`, `sweep.csv` and `sensitivity.csv`.

use super::{OutputError, csv_writer, finish_csv, number, write_atomic};
use crate::analysis::design::Design;
use crate::sweep::{Indicator, Sensitivity, SensitivityStats, Task, TaskResult};
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Finished tasks, one CSV line each (`sample,replicate,values...`),
/// appended and flushed as they finish. A line cut short by a crash is
/// ignored when the store is read back.
pub struct TaskStore {
    path: PathBuf,
    file: BufWriter<File>,
}

impl TaskStore {
    /// Open (creating) `tasks.csv` in `folder`, returning the results
    /// already in it.
    pub fn open(
        folder: &Path,
        n_values: usize,
    ) -> Result<(TaskStore, Vec<TaskResult>), OutputError> {
        std::fs::create_dir_all(folder).map_err(|e| OutputError::io(folder, e))?;
        let path = folder.join("tasks.csv");
        let done = if path.exists() {
            read_tasks(&path, n_values)?
        } else {
            Vec::new()
        };
        // Rewrite the good lines, dropping a torn last line, before appending.
        let good: String = done.iter().map(task_line).collect();
        write_atomic(&path, good.as_bytes())?;
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|e| OutputError::io(&path, e))?;
        Ok((
            TaskStore {
                path,
                file: BufWriter::new(file),
            },
            done,
        ))
    }

    /// Record a finished task (flushed at once).
    pub fn append(&mut self, r: &TaskResult) -> Result<(), OutputError> {
        self.file
            .write_all(task_line(r).as_bytes())
            .and_then(|_| self.file.flush())
            .map_err(|e| OutputError::io(&self.path, e))
    }
}

fn task_line(r: &TaskResult) -> String {
    let mut line = format!("{},{}", r.task.sample, r.task.replicate);
    for v in &r.values {
        line.push(',');
        line.push_str(&number(*v));
    }
    line.push('\n');
    line
}

/// The complete lines of a `tasks.csv`.
pub fn read_tasks(path: &Path, n_values: usize) -> Result<Vec<TaskResult>, OutputError> {
    let bytes = std::fs::read(path).map_err(|e| OutputError::io(path, e))?;
    let mut out = Vec::new();
    // Only whole lines: a last line without its newline was cut short by a
    // crash, and its last number may be cut short too.
    let whole = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    for line in bytes[..whole].split(|&b| b == b'\n') {
        let Ok(text) = std::str::from_utf8(line) else {
            continue;
        };
        let fields: Vec<&str> = text.split(',').collect();
        if fields.len() != n_values + 2 {
            continue;
        }
        let (Ok(sample), Ok(replicate)) = (fields[0].parse(), fields[1].parse()) else {
            continue;
        };
        let values: Option<Vec<f64>> = fields[2..]
            .iter()
            .map(|f| {
                if f.is_empty() {
                    Some(f64::NAN)
                } else {
                    f.parse().ok()
                }
            })
            .collect();
        if let Some(values) = values {
            out.push(TaskResult {
                task: Task { sample, replicate },
                values,
            });
        }
    }
    Ok(out)
}

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
