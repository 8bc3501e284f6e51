//! How well the fitted parameters reproduce each target.

use super::moments::Moment;
use super::smm::{Calibration, Evaluation};
use crate::analysis::panel::Panel;
use crate::analysis::stats::Estimate;

/// One row of `fit.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct FitRow {
    pub id: String,
    pub window: String,
    pub unit: String,
    pub observed: f64,
    pub sd: f64,
    /// The simulated moment over the replicates.
    pub simulated: Estimate,
    /// (simulated mean - observed) / sd; NaN when the moment is missing.
    pub error_sd: f64,
    /// In the objective (false: a cross-check).
    pub fitted: bool,
    pub source: String,
}

/// The fit table of an evaluation.
pub fn fit_table(calibration: &Calibration, evaluation: &Evaluation) -> Vec<FitRow> {
    calibration
        .targets
        .targets
        .iter()
        .zip(&evaluation.moments)
        .map(|(t, values)| {
            let present: Vec<f64> = values.iter().flatten().copied().collect();
            let simulated = Estimate::of(&present);
            FitRow {
                id: t.moment.id.clone(),
                window: window_text(&t.moment),
                unit: t.unit.clone(),
                observed: t.observed,
                sd: t.sd,
                simulated,
                error_sd: (simulated.mean - t.observed) / t.sd,
                fitted: t.fitted,
                source: t.source.join(" "),
            }
        })
        .collect()
}

/// `2022-01-01 to 2022-12-31`, or with `relative to` for growth.
pub fn window_text(m: &Moment) -> String {
    match m.relative_to {
        Some(base) => format!("{} relative to {}", m.window, base),
        None => m.window.to_string(),
    }
}

/// A target's quantity tick by tick: (mean, 95% low, 95% high) over the
/// replicates of `panel`, `None` where fewer than one replicate has it.
pub fn per_tick_band(moment: &Moment, panel: &Panel) -> Vec<Option<(f64, f64, f64)>> {
    let series: Vec<Vec<f64>> = (0..panel.replicates().len())
        .map(|r| moment.per_tick(panel, r))
        .collect();
    (0..panel.ticks())
        .map(|t| {
            let values: Vec<f64> = series
                .iter()
                .map(|s| s[t])
                .filter(|v| v.is_finite())
                .collect();
            let e = Estimate::of(&values);
            if e.n == 0 {
                return None;
            }
            let (low, high) = e.ci95().unwrap_or((e.mean, e.mean));
            Some((e.mean, low, high))
        })
        .collect()
}
