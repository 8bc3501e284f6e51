//! `series.csv` (tidy long format) and `dictionary.csv`.

use super::OutputError;
use crate::metrics::{GroupNames, METRICS};
use crate::runner::RunResult;
use crate::scenario::Scenario;
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

/// The columns of `series.csv`, in order.
pub const SERIES_COLUMNS: [&str; 8] = [
    "scenario",
    "replicate",
    "tick",
    "date",
    "metric",
    "by",
    "group",
    "value",
];

/// One row per replicate, tick, metric and group. Values are written in
/// Rust's shortest round-trip decimal form, so the file is byte-identical
/// wherever the same numbers were computed.
pub fn write_series(
    path: &Path,
    scenario: &Scenario,
    result: &RunResult,
) -> Result<(), OutputError> {
    let csv_err = |source| OutputError::Csv {
        path: path.to_path_buf(),
        source,
    };
    let file = File::create(path).map_err(|e| OutputError::io(path, e))?;
    let mut w = csv::Writer::from_writer(BufWriter::with_capacity(1 << 20, file));
    w.write_record(SERIES_COLUMNS).map_err(csv_err)?;
    let names = GroupNames {
        channels: scenario.spec.channels.keys().cloned().collect(),
        categories: scenario.spec.categories.keys().cloned().collect(),
    };
    let name = scenario.name();
    let mut replicate = String::new();
    let mut tick = String::new();
    let mut value = String::new();
    for rep in &result.replicates {
        replicate.clear();
        replicate.push_str(&rep.replicate.to_string());
        for record in &rep.records {
            tick.clear();
            tick.push_str(&record.tick.to_string());
            let date = scenario.date_of_tick(record.tick).to_string();
            for o in &record.observations {
                value.clear();
                value.push_str(&o.value.to_string());
                w.write_record([
                    name,
                    &replicate,
                    &tick,
                    &date,
                    o.metric.def().name,
                    o.by.as_str(),
                    names.name(o.by, o.group),
                    &value,
                ])
                .map_err(csv_err)?;
            }
        }
    }
    let inner = w
        .into_inner()
        .map_err(|e| OutputError::io(path, e.into_error()))?;
    let file = inner
        .into_inner()
        .map_err(|e| OutputError::io(path, e.into_error()))?;
    file.sync_all().map_err(|e| OutputError::io(path, e))
}

/// `dictionary.csv`: every metric with its unit, dimensions and meaning,
/// then the columns of `series.csv`.
pub fn write_dictionary(path: &Path) -> Result<(), OutputError> {
    let csv_err = |source| OutputError::Csv {
        path: path.to_path_buf(),
        source,
    };
    let mut w = csv::Writer::from_path(path).map_err(csv_err)?;
    w.write_record(["metric", "unit", "by", "meaning"])
        .map_err(csv_err)?;
    for m in METRICS {
        let by: Vec<&str> = m.by.iter().map(|b| b.as_str()).collect();
        w.write_record([m.name, m.unit, &by.join(" "), m.meaning])
            .map_err(csv_err)?;
    }
    let file = w
        .into_inner()
        .map_err(|e| OutputError::io(path, e.into_error()))?;
    file.sync_all().map_err(|e| OutputError::io(path, e))
}
