//! `series.csv` (tidy long format) and `dictionary.csv`.

use super::OutputError;
use crate::metrics::{GroupNames, METRICS, Observation};
use crate::runner::ReplicateResult;
use crate::scenario::Scenario;
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

/// One row of `series.csv` as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesRow<'a> {
    pub scenario: &'a str,
    pub replicate: u32,
    pub tick: usize,
    pub metric: &'a str,
    pub by: &'a str,
    pub group: &'a str,
    pub value: f64,
}

/// A row of `series.csv` that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("{path}, line {line}: {message}", path = path.display())]
pub struct SeriesError {
    pub path: std::path::PathBuf,
    pub line: u64,
    pub message: String,
}

/// Read `series.csv` (the columns this module writes), handing each row to
/// `each` in file order; `each` may refuse a row with a message.
pub fn read_series(
    path: &Path,
    mut each: impl FnMut(SeriesRow) -> Result<(), String>,
) -> Result<(), SeriesError> {
    let bad = |line: u64, message: String| SeriesError {
        path: path.to_path_buf(),
        line,
        message,
    };
    let (file, _) = crate::input::open_regular(path).map_err(|e| bad(0, e.to_string()))?;
    let mut reader = csv::Reader::from_reader(std::io::BufReader::with_capacity(1 << 20, file));
    let header = reader.headers().map_err(|e| bad(1, e.to_string()))?.clone();
    if header.iter().ne(SERIES_COLUMNS) {
        return Err(bad(
            1,
            format!(
                "the header is `{}`, expected `{}`",
                header.iter().collect::<Vec<_>>().join(","),
                SERIES_COLUMNS.join(",")
            ),
        ));
    }
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                return Err(bad(line, e.to_string()));
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        let field = |i: usize| record.get(i).unwrap_or("");
        let replicate: u32 = field(1)
            .parse()
            .map_err(|_| bad(line, format!("replicate `{}` is not a number", field(1))))?;
        let tick: usize = field(2)
            .parse()
            .map_err(|_| bad(line, format!("tick `{}` is not a number", field(2))))?;
        let value: f64 = field(7)
            .parse()
            .map_err(|_| bad(line, format!("value `{}` is not a number", field(7))))?;
        each(SeriesRow {
            scenario: field(0),
            replicate,
            tick,
            metric: field(4),
            by: field(5),
            group: field(6),
            value,
        })
        .map_err(|message| bad(line, message))?;
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
