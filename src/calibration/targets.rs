//! The files of observed facts (`calibration/targets.toml`) and of forecast
//! quantities (`calibration/forecast.toml`): reading, checking, and errors
//! that name the file, line and column.
//!
//! Both files list moments in one grammar (see `targets.toml`'s header):
//! `metric`/`by`/`group` for one series, or `ratio = { numerator = [...],
//! denominator = [...] }`, over `window_start`..`window_end`, optionally as
//! growth `relative_to = { window_start, window_end }`. A target adds the
//! `observed` value and its `sd`; a forecast quantity has neither.

use super::moments::{Moment, Quantity, Window};
use crate::analysis::panel::SeriesKey;
use crate::analysis::summary::all_series;
use crate::metrics::METRICS;
use crate::scenario::error::did_you_mean;
use crate::scenario::load::{Origins, read_toml_file};
use crate::scenario::{Date, Problem, Scenario, ScenarioError, Source};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// An observed fact the model is fitted to.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub moment: Moment,
    pub observed: f64,
    /// The tolerance: errors are measured in units of it.
    pub sd: f64,
    /// Whether the target is in the objective (`fit = false`: a
    /// cross-check shown in `fit.csv` but not fitted).
    pub fitted: bool,
    pub unit: String,
    pub source: Vec<String>,
    pub note: String,
    /// Where the target is written (for errors).
    pub place: Source,
}

/// A quantity to forecast.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastQuantity {
    pub moment: Moment,
    pub unit: String,
    pub note: String,
    pub place: Source,
}

/// A targets file.
#[derive(Debug, Clone, PartialEq)]
pub struct Targets {
    pub path: PathBuf,
    /// No window may end after this date (data after it are not fitted).
    pub fit_until: Option<Date>,
    pub targets: Vec<Target>,
}

/// A forecast file.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecasts {
    pub path: PathBuf,
    pub quantities: Vec<ForecastQuantity>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    fit_until: Option<Date>,
    #[serde(default)]
    targets: Vec<EntrySpec>,
    #[serde(default)]
    quantities: Vec<EntrySpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntrySpec {
    id: String,
    metric: Option<String>,
    by: Option<String>,
    group: Option<String>,
    ratio: Option<RatioSpec>,
    window_start: Date,
    window_end: Date,
    relative_to: Option<WindowSpec>,
    /// Multiplies a level (a forecast's year total, a dollar amount).
    scale: Option<f64>,
    observed: Option<f64>,
    sd: Option<f64>,
    fit: Option<bool>,
    unit: Option<String>,
    #[serde(default)]
    source: Vec<String>,
    #[serde(default)]
    note: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RatioSpec {
    numerator: Vec<TermSpec>,
    denominator: Vec<TermSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TermSpec {
    metric: String,
    #[serde(default = "all")]
    by: String,
    #[serde(default = "all")]
    group: String,
}

fn all() -> String {
    "all".into()
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
struct WindowSpec {
    window_start: Date,
    window_end: Date,
}

/// Which list a file must hold.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Targets,
    Forecasts,
}

impl Kind {
    fn list(self) -> &'static str {
        match self {
            Kind::Targets => "targets",
            Kind::Forecasts => "quantities",
        }
    }
}

/// An entry read and checked on its own (before any scenario is known).
struct Entry {
    moment: Moment,
    observed: Option<f64>,
    sd: Option<f64>,
    fit: Option<bool>,
    unit: String,
    source: Vec<String>,
    note: String,
    place: Source,
}

impl Targets {
    /// Read and check a targets file.
    pub fn load(path: &Path) -> Result<Targets, ScenarioError> {
        let (spec, entries) = read_entries(path, Kind::Targets)?;
        let mut problems = Vec::new();
        let mut targets = Vec::new();
        for (i, e) in entries.into_iter().enumerate() {
            let key = format!("targets[{i}]");
            let at = |field: &str| Problem {
                source: e.place.clone(),
                key: Some(format!("{key}.{field}")),
                message: String::new(),
                help: None,
            };
            let observed = match e.observed {
                Some(v) if v.is_finite() => v,
                Some(v) => {
                    problems.push(Problem {
                        message: format!("observed = {v} is not a finite number"),
                        help: Some("write the observed value in the model's unit".into()),
                        ..at("observed")
                    });
                    continue;
                }
                None => {
                    problems.push(Problem {
                        message: "a target needs `observed`, the value seen in the data".into(),
                        help: Some("add observed = <value in the model's unit>".into()),
                        ..at("observed")
                    });
                    continue;
                }
            };
            let sd = match e.sd {
                Some(v) if v.is_finite() && v > 0.0 => v,
                other => {
                    problems.push(Problem {
                        message: match other {
                            Some(v) => format!("sd = {v} must be a positive number"),
                            None => "a target needs `sd`, its tolerance".into(),
                        },
                        help: Some(
                            "sd is the uncertainty of the observed value, in its unit (> 0); errors are counted in units of it".into(),
                        ),
                        ..at("sd")
                    });
                    continue;
                }
            };
            if let Some(limit) = spec.fit_until {
                let last = e
                    .moment
                    .relative_to
                    .map_or(e.moment.window.end, |w| w.end.max(e.moment.window.end));
                if last > limit {
                    problems.push(Problem {
                        message: format!(
                            "the window ends {last}, after fit_until = {limit}: data after that date may not be fitted"
                        ),
                        help: Some(format!(
                            "end the window by {limit}, or move this fact to the forecast file"
                        )),
                        ..at("window_end")
                    });
                    continue;
                }
            }
            targets.push(Target {
                moment: e.moment,
                observed,
                sd,
                fitted: e.fit.unwrap_or(true),
                unit: e.unit,
                source: e.source,
                note: e.note,
                place: e.place,
            });
        }
        if problems.is_empty() && !targets.iter().any(|t| t.fitted) {
            problems.push(Problem {
                source: Source::File {
                    path: path.to_path_buf(),
                    line_col: None,
                },
                key: None,
                message: "every target has fit = false: there is nothing to fit".into(),
                help: Some("let at least one target be fitted (remove its fit = false)".into()),
            });
        }
        if !problems.is_empty() {
            return Err(ScenarioError { problems });
        }
        Ok(Targets {
            path: path.to_path_buf(),
            fit_until: spec.fit_until,
            targets,
        })
    }

    /// Check every target against the scenario that will be fitted: its
    /// windows hold ticks of the scenario, its series are recorded, and
    /// with `fit_until` no tick it reads ends after that date (a tick that
    /// starts before it may run past it).
    pub fn check(&self, scenario: &Scenario) -> Result<(), ScenarioError> {
        check_moments(
            scenario,
            self.targets.iter().map(|t| (&t.moment, &t.place)),
            Kind::Targets,
        )?;
        let Some(limit) = self.fit_until else {
            return Ok(());
        };
        let days = i64::from(scenario.spec.simulation.days_per_tick.max(1));
        let problems: Vec<Problem> = self
            .targets
            .iter()
            .enumerate()
            .filter_map(|(i, t)| {
                let last = t.moment.last_tick(scenario)? as u32;
                let end = scenario.date_of_tick(last).add_days(days - 1);
                (end > limit).then(|| Problem {
                    source: t.place.clone(),
                    key: Some(format!("targets[{i}].window_end")),
                    message: format!(
                        "the window's last tick starts {} and ends {end}, after fit_until = {limit}: it holds data after that date",
                        scenario.date_of_tick(last)
                    ),
                    help: Some(format!(
                        "end the window before the tick that runs past {limit}"
                    )),
                })
            })
            .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ScenarioError { problems })
        }
    }
}

impl Forecasts {
    /// Read and check a forecast file.
    pub fn load(path: &Path) -> Result<Forecasts, ScenarioError> {
        let (_, entries) = read_entries(path, Kind::Forecasts)?;
        let mut problems = Vec::new();
        let mut quantities = Vec::new();
        for (i, e) in entries.into_iter().enumerate() {
            if e.observed.is_some() || e.sd.is_some() || e.fit.is_some() {
                problems.push(Problem {
                    source: e.place.clone(),
                    key: Some(format!("quantities[{i}]")),
                    message: "a forecast quantity has no `observed`, `sd` or `fit`".into(),
                    help: Some(
                        "outcomes are kept out of the project; put fitted facts in the targets file".into(),
                    ),
                });
                continue;
            }
            quantities.push(ForecastQuantity {
                moment: e.moment,
                unit: e.unit,
                note: e.note,
                place: e.place,
            });
        }
        if !problems.is_empty() {
            return Err(ScenarioError { problems });
        }
        Ok(Forecasts {
            path: path.to_path_buf(),
            quantities,
        })
    }

    /// Check every quantity against the scenario that will be run.
    pub fn check(&self, scenario: &Scenario) -> Result<(), ScenarioError> {
        check_moments(
            scenario,
            self.quantities.iter().map(|q| (&q.moment, &q.place)),
            Kind::Forecasts,
        )
    }
}

fn check_moments<'a>(
    scenario: &Scenario,
    moments: impl Iterator<Item = (&'a Moment, &'a Source)>,
    kind: Kind,
) -> Result<(), ScenarioError> {
    let recorded = all_series(scenario);
    let problems: Vec<Problem> = moments
        .enumerate()
        .filter_map(|(i, (m, place))| {
            m.check(scenario, &recorded).err().map(|e| Problem {
                source: place.clone(),
                key: Some(format!("{}[{i}]", kind.list())),
                message: e.to_string(),
                help: Some(match e {
                    super::moments::MomentError::EmptyWindow { .. } => {
                        "choose dates inside the scenario's horizon (simulation.start_date and ticks)".into()
                    }
                    super::moments::MomentError::UnknownSeries { .. } => {
                        "name a series of series.csv: metric, by and group as in dictionary.csv and the scenario's channel and category names".into()
                    }
                }),
            })
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ScenarioError { problems })
    }
}

/// Read the file, check every entry on its own, and return the entries of
/// the list `kind` names.
fn read_entries(path: &Path, kind: Kind) -> Result<(FileSpec, Vec<Entry>), ScenarioError> {
    let (table, origins) = read_toml_file(path)?;
    let spec: FileSpec = serde_path_to_error::deserialize(toml::Value::Table(table))
        .map_err(|e| ScenarioError::single(type_problem(&e, &origins)))?;
    let (wanted, other) = match kind {
        Kind::Targets => (&spec.targets, &spec.quantities),
        Kind::Forecasts => (&spec.quantities, &spec.targets),
    };
    let other_list = match kind {
        Kind::Targets => Kind::Forecasts.list(),
        Kind::Forecasts => Kind::Targets.list(),
    };
    let file_problem = |message: String, help: String| {
        ScenarioError::single(Problem {
            source: origins.locate(""),
            key: None,
            message,
            help: Some(help),
        })
    };
    if !other.is_empty() {
        return Err(file_problem(
            format!(
                "this file lists [[{other_list}]], but a {} file is expected",
                kind.list()
            ),
            format!("a {} file lists [[{}]] entries", kind.list(), kind.list()),
        ));
    }
    if wanted.is_empty() {
        return Err(file_problem(
            format!("the file lists no [[{}]]", kind.list()),
            format!(
                "add at least one [[{}]] table (see calibration/targets.toml for the format)",
                kind.list()
            ),
        ));
    }
    let mut problems = Vec::new();
    let mut entries = Vec::new();
    for (i, e) in wanted.iter().enumerate() {
        let key = format!("{}[{i}]", kind.list());
        match entry(e, &key, &origins) {
            Ok(entry) => {
                if entries
                    .iter()
                    .any(|x: &Entry| x.moment.id == entry.moment.id)
                {
                    problems.push(origins.problem(
                        &format!("{key}.id"),
                        format!("the id `{}` is used twice", e.id),
                        Some("give every entry its own id".to_string()),
                    ));
                }
                entries.push(entry);
            }
            Err(p) => problems.push(p),
        }
    }
    if !problems.is_empty() {
        return Err(ScenarioError { problems });
    }
    Ok((spec, entries))
}

fn entry(e: &EntrySpec, key: &str, origins: &Origins) -> Result<Entry, Problem> {
    let problem = |field: &str, message: String, help: &str| {
        let path = if field.is_empty() {
            key.to_string()
        } else {
            format!("{key}.{field}")
        };
        origins.problem(&path, message, Some(help.to_string()))
    };
    if e.id.trim().is_empty() {
        return Err(problem(
            "id",
            "the id is empty".into(),
            "write a short name, e.g. id = \"social_share_2022\"",
        ));
    }
    let one_of = "write either metric (with by and group) or ratio = { numerator = [...], denominator = [...] }";
    let quantity = match (&e.metric, &e.ratio) {
        (Some(metric), None) => {
            let term = TermSpec {
                metric: metric.clone(),
                by: e.by.clone().unwrap_or_else(all),
                group: e.group.clone().unwrap_or_else(all),
            };
            Quantity::Level(vec![series_key(&term, &format!("{key}.metric"), origins)?])
        }
        (None, Some(ratio)) => {
            if e.by.is_some() || e.group.is_some() {
                return Err(problem(
                    if e.by.is_some() { "by" } else { "group" },
                    "`by` and `group` belong inside the ratio's terms".into(),
                    "write each term as { metric = \"...\", by = \"...\", group = \"...\" }",
                ));
            }
            let terms = |list: &[TermSpec], name: &str| -> Result<Vec<SeriesKey>, Problem> {
                list.iter()
                    .enumerate()
                    .map(|(j, t)| series_key(t, &format!("{key}.ratio.{name}[{j}]"), origins))
                    .collect()
            };
            let numerator = terms(&ratio.numerator, "numerator")?;
            let denominator = terms(&ratio.denominator, "denominator")?;
            if numerator.is_empty() {
                return Err(problem(
                    "ratio.numerator",
                    "the numerator is empty".into(),
                    "list at least one term",
                ));
            }
            if denominator.is_empty() {
                Quantity::Level(numerator)
            } else {
                Quantity::Ratio {
                    numerator,
                    denominator,
                }
            }
        }
        (Some(_), Some(_)) => {
            return Err(problem(
                "ratio",
                "both `metric` and `ratio` are given".into(),
                one_of,
            ));
        }
        (None, None) => {
            return Err(problem(
                "",
                "neither `metric` nor `ratio` is given".into(),
                one_of,
            ));
        }
    };
    let window = |start: Date, end: Date, field: &str| -> Result<Window, Problem> {
        if start > end {
            return Err(problem(
                field,
                format!("the window starts {start}, after it ends {end}"),
                "write window_start <= window_end",
            ));
        }
        Ok(Window { start, end })
    };
    let main = window(e.window_start, e.window_end, "window_end")?;
    let relative_to = match e.relative_to {
        Some(w) => Some(window(w.window_start, w.window_end, "relative_to")?),
        None => None,
    };
    let scale = match (e.scale, relative_to) {
        (None, _) => 1.0,
        (Some(_), Some(_)) => {
            return Err(problem(
                "scale",
                "a growth (relative_to) takes no scale".into(),
                "delete `scale`: growth is a ratio, the same in any unit",
            ));
        }
        (Some(x), None) if x.is_finite() && x > 0.0 => x,
        (Some(x), None) => {
            return Err(problem(
                "scale",
                format!("scale {x} is not a positive number"),
                "write a factor > 0, e.g. 366 / 7 for a year of weekly ticks",
            ));
        }
    };
    let moment = Moment {
        id: e.id.clone(),
        quantity,
        window: main,
        relative_to,
        scale,
    };
    let unit = e.unit.clone().unwrap_or_else(|| moment.unit());
    Ok(Entry {
        moment,
        observed: e.observed,
        sd: e.sd,
        fit: e.fit,
        unit,
        source: e.source.clone(),
        note: e.note.clone(),
        place: origins.locate(key),
    })
}

/// A term → its series key, checking the metric and its dimension (the
/// group is checked against the scenario later).
fn series_key(t: &TermSpec, key: &str, origins: &Origins) -> Result<SeriesKey, Problem> {
    let Some(def) = METRICS.iter().find(|m| m.name == t.metric) else {
        let names = METRICS.iter().map(|m| m.name);
        let help = match did_you_mean(&t.metric, names) {
            Some(s) => format!("did you mean `{s}`? the metrics are listed in dictionary.csv"),
            None => "name a metric of dictionary.csv, e.g. gmv_idr".into(),
        };
        return Err(origins.problem(key, format!("unknown metric `{}`", t.metric), Some(help)));
    };
    if !def.by.iter().any(|b| b.as_str() == t.by) {
        let valid: Vec<&str> = def.by.iter().map(|b| b.as_str()).collect();
        return Err(origins.problem(
            key,
            format!("{} is not broken down by `{}`", def.name, t.by),
            Some(format!("by is one of: {}", valid.join(", "))),
        ));
    }
    Ok(SeriesKey::new(&t.metric, &t.by, &t.group))
}

/// serde's error → a problem at the key it names.
fn type_problem(e: &serde_path_to_error::Error<toml::de::Error>, origins: &Origins) -> Problem {
    let path = e.path().to_string();
    let path = if path == "." { String::new() } else { path };
    let message = e.inner().message().trim().to_string();
    if let Some((unknown, expected)) = crate::scenario::error::unknown_field(&message) {
        let help = match did_you_mean(unknown, expected.iter().copied()) {
            Some(s) => format!(
                "did you mean `{s}`? valid keys here: {}",
                expected.join(", ")
            ),
            None => format!("valid keys here: {}", expected.join(", ")),
        };
        return origins.problem(&path, format!("unknown key `{unknown}`"), Some(help));
    }
    origins.problem(
        &path,
        message,
        Some("see the header of calibration/targets.toml for the format".into()),
    )
}
