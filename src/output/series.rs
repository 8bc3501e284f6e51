//! `series.csv` (tidy long format) and `dictionary.csv`.

use super::OutputError;
use crate::metrics::{GroupNames, METRICS, Observation};
use crate::runner::{ReplicateResult, RunResult};
use crate::scenario::Scenario;
use std::fs::File;
use std::io::{BufWriter, Write};
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
    let file = File::create(path).map_err(|e| OutputError::io(path, e))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    w.write_all(&series_header())
        .map_err(|e| OutputError::io(path, e))?;
    let rows = SeriesRows::new(scenario);
    for rep in &result.replicates {
        let chunk = rows.replicate(rep)?;
        w.write_all(&chunk).map_err(|e| OutputError::io(path, e))?;
    }
    let file = w
        .into_inner()
        .map_err(|e| OutputError::io(path, e.into_error()))?;
    file.sync_all().map_err(|e| OutputError::io(path, e))
}

/// The header line of `series.csv`.
pub fn series_header() -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    // Writing to memory cannot fail.
    let _ = w.write_record(SERIES_COLUMNS);
    w.into_inner().unwrap_or_default()
}

/// Turns a replicate's records into its rows of `series.csv`. The file is
/// the header followed by each replicate's rows in replicate order, so rows
/// written replicate by replicate (checkpoints) assemble into the same bytes.
pub struct SeriesRows<'a> {
    scenario: &'a Scenario,
    names: GroupNames,
}

impl<'a> SeriesRows<'a> {
    pub fn new(scenario: &'a Scenario) -> SeriesRows<'a> {
        SeriesRows {
            scenario,
            names: GroupNames::of(scenario),
        }
    }

    /// The `metric/by/group` name of an observation (as in `series.csv`).
    pub fn key(&self, o: &Observation) -> String {
        format!(
            "{}/{}/{}",
            o.metric.def().name,
            o.by.as_str(),
            self.names.name(o.by, o.group)
        )
    }

    /// The rows of one replicate, without header. A value that is not a
    /// finite number is refused: no NaN or infinity reaches an output.
    pub fn replicate(&self, rep: &ReplicateResult) -> Result<Vec<u8>, OutputError> {
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        let name = self.scenario.name();
        let replicate = rep.replicate.to_string();
        let mut tick = String::new();
        let mut value = String::new();
        for record in &rep.records {
            tick.clear();
            tick.push_str(&record.tick.to_string());
            let date = self.scenario.date_of_tick(record.tick).to_string();
            for o in &record.observations {
                if !o.value.is_finite() {
                    return Err(OutputError::NotFinite {
                        replicate: rep.replicate,
                        tick: record.tick,
                        what: self.key(o),
                        value: o.value,
                    });
                }
                value.clear();
                value.push_str(&o.value.to_string());
                w.write_record([
                    name,
                    &replicate,
                    &tick,
                    &date,
                    o.metric.def().name,
                    o.by.as_str(),
                    self.names.name(o.by, o.group),
                    &value,
                ])
                .map_err(|source| OutputError::Memory { source })?;
            }
        }
        w.into_inner().map_err(|e| OutputError::Memory {
            source: csv::Error::from(e.into_error()),
        })
    }
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
