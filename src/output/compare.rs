//! The tables of `pasar compare`: `effects.csv` (every series, every tick),
//! `summary.csv` (the headline table) and `columns.csv` (what their columns
//! mean, with units).

use super::{OutputError, csv_writer, finish_csv};
use crate::analysis::Comparison;
use crate::analysis::effects::{Effect, TickRange, level_by_tick, paired_effect};
use crate::analysis::segments::{BandRow, segment_of};
use crate::analysis::summary::{SummaryRow, Window, unit};
use std::path::Path;

/// The columns of `effects.csv`, in order.
pub const EFFECTS_COLUMNS: [&str; 14] = [
    "policy",
    "metric",
    "by",
    "group",
    "tick",
    "date",
    "baseline_mean",
    "policy_mean",
    "diff_mean",
    "diff_se",
    "diff_ci95_low",
    "diff_ci95_high",
    "rel_change",
    "replicates",
];

/// The columns of `summary.csv`, in order.
pub const SUMMARY_COLUMNS: [&str; 22] = [
    "policy",
    "metric",
    "by",
    "group",
    "unit",
    "window",
    "event",
    "event_date",
    "weeks_after",
    "tick_from",
    "tick_to",
    "date_from",
    "date_to",
    "baseline_mean",
    "policy_mean",
    "diff_mean",
    "diff_se",
    "diff_ci95_low",
    "diff_ci95_high",
    "rel_change",
    "direction",
    "replicates",
];

/// Shortest round-trip decimal; empty (missing in R, pandas, Stata, Excel)
/// for no value.
fn number(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => v.to_string(),
        _ => String::new(),
    }
}

/// The statistics columns shared by both tables.
fn effect_fields(e: &Effect) -> [String; 7] {
    let ci = e.diff.ci95();
    [
        number(Some(e.baseline.mean)),
        number(Some(e.policy.mean)),
        number(Some(e.diff.mean)),
        number(e.diff.se()),
        number(ci.map(|c| c.0)),
        number(ci.map(|c| c.1)),
        number(e.rel_change()),
    ]
}

/// `higher`, `lower`, `no_clear_change` when the 95% interval holds 0, or
/// `does_not_vary` when the series is the same constant in both scenarios
/// and every replicate (no effect can show there).
pub fn direction(e: &Effect) -> &'static str {
    if crate::analysis::findings::is_constant(e) {
        return "does_not_vary";
    }
    match e.diff.ci95() {
        Some((low, _)) if low > 0.0 => "higher",
        Some((_, high)) if high < 0.0 => "lower",
        _ => "no_clear_change",
    }
}

/// Every series of the baseline or a policy, at every tick, policy by
/// policy. A series that only one side has (a channel only the policy
/// defines, say) gets that side's mean and empty cells for the rest, so
/// nothing is dropped without a trace ([`Comparison::one_sided`] lists them).
pub fn write_effects(path: &Path, comparison: &Comparison) -> Result<(), OutputError> {
    let csv_err = |source| OutputError::Csv {
        path: path.to_path_buf(),
        source,
    };
    let mut w = csv_writer(path)?;
    w.write_record(EFFECTS_COLUMNS).map_err(csv_err)?;
    let base = &comparison.baseline;
    let dates: Vec<String> = (0..base.scenario.ticks())
        .map(|t| base.scenario.date_of_tick(t).to_string())
        .collect();
    for policy in &comparison.policies {
        let keys = base.panel.keys().iter().chain(
            policy
                .panel
                .keys()
                .iter()
                .filter(|k| base.panel.key_index(k).is_none()),
        );
        for key in keys {
            let one_sided =
                base.panel.key_index(key).is_none() || policy.panel.key_index(key).is_none();
            let levels = one_sided.then(|| {
                (
                    level_by_tick(&base.panel, key),
                    level_by_tick(&policy.panel, key),
                )
            });
            for (tick, date) in dates.iter().enumerate() {
                let fields: [String; 8] = match &levels {
                    None => {
                        let Some(e) =
                            paired_effect(&base.panel, &policy.panel, key, TickRange::tick(tick))
                        else {
                            continue;
                        };
                        let [b, p, d, se, low, high, rel] = effect_fields(&e);
                        [b, p, d, se, low, high, rel, e.diff.n.to_string()]
                    }
                    Some((b, p)) => {
                        let (b, p) = (
                            b.get(tick).copied().flatten(),
                            p.get(tick).copied().flatten(),
                        );
                        let Some(present) = b.or(p) else { continue };
                        [
                            number(b.map(|e| e.mean)),
                            number(p.map(|e| e.mean)),
                            String::new(),
                            String::new(),
                            String::new(),
                            String::new(),
                            String::new(),
                            present.n.to_string(),
                        ]
                    }
                };
                let mut record = vec![
                    policy.name().to_string(),
                    key.metric.clone(),
                    key.by.clone(),
                    key.group.clone(),
                    tick.to_string(),
                    date.clone(),
                ];
                record.extend(fields);
                w.write_record(&record).map_err(csv_err)?;
            }
        }
    }
    finish_csv(path, w)
}

/// The headline table.
pub fn write_summary(
    path: &Path,
    comparison: &Comparison,
    rows: &[SummaryRow],
) -> Result<(), OutputError> {
    let csv_err = |source| OutputError::Csv {
        path: path.to_path_buf(),
        source,
    };
    let scenario = &comparison.baseline.scenario;
    let date = |t: usize| scenario.date_of_tick(t as u32).to_string();
    let mut w = csv_writer(path)?;
    w.write_record(SUMMARY_COLUMNS).map_err(csv_err)?;
    for row in rows {
        let (event, event_date, weeks) = match &row.window {
            Window::AfterEvent { event, weeks } => (
                event.label.clone(),
                event.date.to_string(),
                weeks.to_string(),
            ),
            _ => Default::default(),
        };
        let [b, p, d, se, low, high, rel] = effect_fields(&row.effect);
        w.write_record([
            row.policy.as_str(),
            &row.key.metric,
            &row.key.by,
            &row.key.group,
            unit(&row.key.metric),
            row.window.name(),
            &event,
            &event_date,
            &weeks,
            &row.range.from.to_string(),
            &row.range.to.to_string(),
            &date(row.range.from),
            &date(row.range.to),
            &b,
            &p,
            &d,
            &se,
            &low,
            &high,
            &rel,
            direction(&row.effect),
            &row.effect.diff.n.to_string(),
        ])
        .map_err(csv_err)?;
    }
    finish_csv(path, w)
}

/// The columns of `segments.csv`, in order.
pub const SEGMENTS_COLUMNS: [&str; 13] = [
    "policy",
    "segment_date",
    "window_weeks",
    "band",
    "tick",
    "baseline_sellers",
    "policy_sellers",
    "diff_sellers",
    "diff_ci95_low",
    "diff_ci95_high",
    "baseline_share",
    "policy_share",
    "replicates",
];

/// The revenue-change bands of the segment (written only when the
/// scenarios follow one).
pub fn write_segments(
    path: &Path,
    comparison: &Comparison,
    rows: &[BandRow],
) -> Result<(), OutputError> {
    let csv_err = |source| OutputError::Csv {
        path: path.to_path_buf(),
        source,
    };
    let Some((date, closing, window)) = segment_of(&comparison.baseline.scenario) else {
        return Ok(());
    };
    let weeks =
        f64::from(window * comparison.baseline.scenario.spec.simulation.days_per_tick) / 7.0;
    let mut w = csv_writer(path)?;
    w.write_record(SEGMENTS_COLUMNS).map_err(csv_err)?;
    for r in rows {
        let ci = r.effect.diff.ci95();
        w.write_record([
            r.policy.as_str(),
            &date.to_string(),
            &weeks.to_string(),
            r.band,
            &closing.to_string(),
            &number(Some(r.effect.baseline.mean)),
            &number(Some(r.effect.policy.mean)),
            &number(Some(r.effect.diff.mean)),
            &number(ci.map(|c| c.0)),
            &number(ci.map(|c| c.1)),
            &number(Some(r.baseline_share)),
            &number(Some(r.policy_share)),
            &r.effect.diff.n.to_string(),
        ])
        .map_err(csv_err)?;
    }
    finish_csv(path, w)
}

/// What every column of `effects.csv`, `summary.csv` and `segments.csv`
/// holds.
const COLUMN_MEANINGS: &[(&str, &str, &str, &str)] = &[
    (
        "both",
        "policy",
        "",
        "the policy scenario's name (simulation.name); every row compares it with the baseline",
    ),
    (
        "both",
        "metric",
        "",
        "metric name, as in series.csv; units in dictionary.csv",
    ),
    (
        "both",
        "by",
        "",
        "dimension the metric is broken down by (all, kind, origin, channel, discovery_channel, category)",
    ),
    (
        "both",
        "group",
        "",
        "group within the dimension (e.g. umkm, imported, social)",
    ),
    (
        "effects.csv",
        "tick",
        "tick",
        "tick number, 0 = simulation.start_date",
    ),
    (
        "segments.csv",
        "policy",
        "",
        "the policy scenario's name; every row compares it with the baseline",
    ),
    (
        "segments.csv",
        "segment_date",
        "ISO 8601 date",
        "segments.social_before: the segment is the UMKM that sold on a social channel in the window before it",
    ),
    (
        "segments.csv",
        "window_weeks",
        "weeks",
        "length of each of the two windows compared, before the date and from it",
    ),
    (
        "segments.csv",
        "band",
        "",
        "change of a seller's revenue per week from the window before to the window from the date: exited (since the date), down_over_75_pct, down_50_to_75_pct, down_25_to_50_pct, down_under_25_pct, up_under_50_pct (unchanged included), up_over_50_pct",
    ),
    (
        "segments.csv",
        "tick",
        "tick",
        "the tick the bands are counted at: the last of the window from the date",
    ),
    (
        "segments.csv",
        "baseline_sellers",
        "real sellers",
        "mean over replicates of the sellers in the band in the baseline",
    ),
    (
        "segments.csv",
        "policy_sellers",
        "real sellers",
        "the same under the policy",
    ),
    (
        "segments.csv",
        "diff_sellers",
        "real sellers",
        "mean over replicates of (policy - baseline) in the same replicate",
    ),
    (
        "segments.csv",
        "diff_ci95_low",
        "real sellers",
        "lower end of the 95% Student-t interval of diff_sellers",
    ),
    (
        "segments.csv",
        "diff_ci95_high",
        "real sellers",
        "upper end of that interval",
    ),
    (
        "segments.csv",
        "baseline_share",
        "share (0-1)",
        "the band's share of the segment in the baseline (mean counts; bands sum to 1)",
    ),
    (
        "segments.csv",
        "policy_share",
        "share (0-1)",
        "the same under the policy",
    ),
    (
        "segments.csv",
        "replicates",
        "count",
        "paired replicates behind the row",
    ),
    (
        "effects.csv",
        "date",
        "ISO 8601 date",
        "first day of the tick",
    ),
    (
        "summary.csv",
        "unit",
        "",
        "the metric's unit; the mean and difference columns are in this unit",
    ),
    (
        "summary.csv",
        "window",
        "",
        "last_tick, last_13_weeks (mean over the last 13 weeks of the horizon), or after_event (the tick weeks_after weeks after the event)",
    ),
    (
        "summary.csv",
        "event",
        "",
        "for after_event rows: the policy's event (lever and channel)",
    ),
    (
        "summary.csv",
        "event_date",
        "ISO 8601 date",
        "for after_event rows: the date the event takes effect",
    ),
    (
        "summary.csv",
        "weeks_after",
        "weeks",
        "for after_event rows: 4, 13 or 52",
    ),
    (
        "summary.csv",
        "tick_from",
        "tick",
        "first tick of the window",
    ),
    (
        "summary.csv",
        "tick_to",
        "tick",
        "last tick of the window (inclusive)",
    ),
    (
        "summary.csv",
        "date_from",
        "ISO 8601 date",
        "first day of tick_from",
    ),
    (
        "summary.csv",
        "date_to",
        "ISO 8601 date",
        "first day of tick_to",
    ),
    (
        "both",
        "baseline_mean",
        "metric unit",
        "mean over replicates of the baseline's value (window: per-replicate mean over the window's ticks first)",
    ),
    (
        "both",
        "policy_mean",
        "metric unit",
        "the same for the policy scenario",
    ),
    (
        "both",
        "diff_mean",
        "metric unit",
        "mean over replicates of (policy - baseline) in the same replicate (common random numbers)",
    ),
    (
        "both",
        "diff_se",
        "metric unit",
        "standard error of diff_mean (sample sd / sqrt(replicates)); empty with one replicate",
    ),
    (
        "both",
        "diff_ci95_low",
        "metric unit",
        "lower end of the 95% Student-t interval of diff_mean (replicates - 1 degrees of freedom)",
    ),
    (
        "both",
        "diff_ci95_high",
        "metric unit",
        "upper end of the same interval",
    ),
    (
        "both",
        "rel_change",
        "fraction",
        "diff_mean / |baseline_mean|; empty when baseline_mean is 0",
    ),
    (
        "summary.csv",
        "direction",
        "",
        "higher or lower when the 95% interval excludes 0, does_not_vary when the series is the same constant in both scenarios and every replicate, otherwise no_clear_change",
    ),
    (
        "both",
        "replicates",
        "replicates",
        "paired replicates with a value in both scenarios",
    ),
];

/// `columns.csv`: the data dictionary of the comparison tables.
pub fn write_columns(path: &Path) -> Result<(), OutputError> {
    let csv_err = |source| OutputError::Csv {
        path: path.to_path_buf(),
        source,
    };
    let mut w = csv_writer(path)?;
    w.write_record(["file", "column", "unit", "meaning"])
        .map_err(csv_err)?;
    for file in ["effects.csv", "summary.csv", "segments.csv"] {
        let columns: &[&str] = match file {
            "effects.csv" => &EFFECTS_COLUMNS,
            "summary.csv" => &SUMMARY_COLUMNS,
            _ => &SEGMENTS_COLUMNS,
        };
        for column in columns {
            if let Some((_, _, unit, meaning)) = COLUMN_MEANINGS
                .iter()
                .find(|(f, c, _, _)| c == column && (*f == file || *f == "both"))
            {
                w.write_record([file, column, unit, meaning])
                    .map_err(csv_err)?;
            }
        }
    }
    finish_csv(path, w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_has_a_meaning() {
        let files = [
            ("effects.csv", &EFFECTS_COLUMNS[..]),
            ("summary.csv", &SUMMARY_COLUMNS[..]),
            ("segments.csv", &SEGMENTS_COLUMNS[..]),
        ];
        for (file, columns) in files {
            for column in columns {
                assert!(
                    COLUMN_MEANINGS
                        .iter()
                        .any(|(f, c, _, _)| c == column && (*f == file || *f == "both")),
                    "{file}: {column} has no meaning in columns.csv"
                );
            }
        }
    }
}
