//! The fit chart of a calibration: for each target, the fitted model's
//! quantity tick by tick (mean and 95% band over replicates) and the
//! observed value with its tolerance (± sd) over the target's window.

use super::charts::{self, BandLine, ChartSpec, colour};
use super::{ReportError, safe_name};
use crate::calibration::targets::Target;
use crate::scenario::Scenario;
use std::path::Path;

/// The chart of one target. `simulated` holds (mean, low, high) per tick of
/// `scenario`.
pub fn fit_chart(
    scenario: &Scenario,
    target: &Target,
    simulated: Vec<charts::BandPoint>,
) -> ChartSpec {
    let dates: Vec<String> = (0..scenario.ticks())
        .map(|t| scenario.date_of_tick(t).to_string())
        .collect();
    let window = target.moment.window.ticks(scenario);
    // A share is drawn in percent, like the comparison charts.
    // What is drawn is the quantity per tick, in the quantity's unit.
    let unit = if target.moment.relative_to.is_some() {
        target.moment.quantity.unit()
    } else {
        target.unit.clone()
    };
    let share = unit.starts_with("share");
    let f = if share { 100.0 } else { 1.0 };
    let observed = (0..dates.len())
        .map(|t| {
            window.contains(&t).then_some((
                target.observed * f,
                (target.observed - target.sd) * f,
                (target.observed + target.sd) * f,
            ))
        })
        .collect();
    let simulated = simulated
        .into_iter()
        .map(|p| p.map(|(m, l, h)| (m * f, l * f, h * f)))
        .collect();
    let growth = target.moment.relative_to.is_some();
    let mut lines = vec![BandLine {
        label: "fitted model (mean, 95% band)".into(),
        colour: colour(0),
        points: simulated,
    }];
    // A growth target's observed value is not a level: it is in fit.csv,
    // not on this axis.
    if !growth {
        lines.push(BandLine {
            label: "observed (± sd) over the target's window".into(),
            colour: colour(1),
            points: observed,
        });
    }
    let per_tick = if growth {
        " (level per tick; the target is its growth, see fit.csv)"
    } else {
        ""
    };
    ChartSpec {
        title: format!("{}: observed and fitted{per_tick}", target.moment.id),
        y_label: if share { "percent".into() } else { unit },
        lang: crate::lang::Lang::En,
        dates,
        lines,
        events: Vec::new(),
        zero_line: false,
    }
}

/// Write `fit-<target>.svg` and `.png` for each chart into `folder`.
pub fn write_fit_charts(
    charts_: &[ChartSpec],
    ids: &[String],
    folder: &Path,
) -> Result<(), ReportError> {
    for (chart, id) in charts_.iter().zip(ids) {
        let stem = format!("fit-{}", safe_name(id));
        let svg = charts::svg(chart)?;
        std::fs::write(folder.join(format!("{stem}.svg")), svg).map_err(|e| {
            ReportError::Chart {
                title: chart.title.clone(),
                message: e.to_string(),
            }
        })?;
        charts::png(chart, &folder.join(format!("{stem}.png")))?;
    }
    Ok(())
}
