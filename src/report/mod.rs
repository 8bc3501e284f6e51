//! What a comparison looks like to people: charts (SVG and PNG), the
//! self-contained `report.html`, and the terminal table. Built from an
//! [`crate::analysis::Comparison`]; knows nothing of how it was run.

pub mod calibration_charts;
pub mod charts;
pub mod format;
pub mod html;
pub mod sensitivity_charts;
pub mod sweep_report;
pub mod table;

use crate::analysis::Comparison;
use crate::analysis::panel::SeriesKey;
use crate::analysis::summary::{headline_keys, headline_of};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot draw the chart \"{title}\": {message}")]
    Chart { title: String, message: String },
}

/// A name made safe for a file name on any system: ASCII letters, digits
/// and `_`, everything else `_`.
pub fn safe_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A file name for a series: `gmv_share-kind-umkm`.
pub fn file_stem(key: &SeriesKey) -> String {
    format!(
        "{}-{}-{}",
        safe_name(&key.metric),
        safe_name(&key.by),
        safe_name(&key.group)
    )
}

/// Whether a series is one constant in every scenario, tick and
/// replicate: a chart of it would show a flat line and nothing else.
fn is_constant_series(cmp: &Comparison, key: &SeriesKey) -> bool {
    let mut value: Option<f64> = None;
    for arm in std::iter::once(&cmp.baseline).chain(cmp.policies.iter()) {
        for e in crate::analysis::effects::level_by_tick(&arm.panel, key)
            .into_iter()
            .flatten()
        {
            if e.sd != 0.0 || value.is_some_and(|v| v != e.mean) {
                return false;
            }
            value = Some(e.mean);
        }
    }
    true
}

/// The headline charts of a comparison, and the titles of the headline
/// series left uncharted because they do not vary.
pub struct Charts {
    pub pairs: Vec<html::ChartPair>,
    pub constant: Vec<String>,
}

/// Draw the charts of every headline series that varies, in `lang`: SVG
/// text for the report, and SVG and PNG files in `folder`
/// (`<stem>.svg/png`, `<stem>-diff.svg/png`).
pub fn headline_charts(
    cmp: &Comparison,
    folder: &Path,
    lang: crate::lang::Lang,
) -> Result<Charts, ReportError> {
    let mut out = Vec::new();
    let mut constant = Vec::new();
    let charted = headline_keys(&cmp.baseline.panel)
        .into_iter()
        .filter(|k| headline_of(k).is_some_and(|h| h.chart));
    for key in charted {
        if is_constant_series(cmp, &key) {
            constant.push(crate::analysis::summary::title_in(&key, lang));
            continue;
        }
        let stem = file_stem(&key);
        let levels = charts::levels_chart(cmp, &key, lang);
        let diff = charts::diff_chart(cmp, &key, lang);
        let levels_svg = charts::svg(&levels)?;
        let diff_svg = charts::svg(&diff)?;
        let write = |name: String, text: &str| {
            std::fs::write(folder.join(&name), text).map_err(|e| ReportError::Chart {
                title: name.clone(),
                message: e.to_string(),
            })
        };
        write(format!("{stem}.svg"), &levels_svg)?;
        write(format!("{stem}-diff.svg"), &diff_svg)?;
        charts::png(&levels, &folder.join(format!("{stem}.png")))?;
        charts::png(&diff, &folder.join(format!("{stem}-diff.png")))?;
        out.push(html::ChartPair {
            title: levels.title.clone(),
            levels_svg,
            diff_svg,
            file_stem: stem,
            part: headline_of(&key).map(|h| h.part),
        });
    }
    Ok(Charts {
        pairs: out,
        constant,
    })
}
