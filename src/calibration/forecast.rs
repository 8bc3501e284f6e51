//! Forecasts: the forecast quantities of a finished run, with intervals.

use super::targets::Forecasts;
use crate::analysis::panel::Panel;
use crate::analysis::stats::{Estimate, t_quantile};
use crate::scenario::Scenario;

/// One forecast quantity over the replicates of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastRow {
    pub id: String,
    pub unit: String,
    pub window: String,
    /// The quantity in each replicate (NaN where it cannot be computed).
    pub values: Vec<f64>,
    pub estimate: Estimate,
    /// 95% Student-t interval for the model's mean (simulation noise of
    /// the replicates' average).
    pub mean_ci95: Option<(f64, f64)>,
    /// 95% prediction interval for one more replicate: where a single
    /// realisation of the model's market falls, mean +- t sd sqrt(1 + 1/n).
    pub prediction95: Option<(f64, f64)>,
}

/// Every quantity of `forecasts` from the run's `panel`.
pub fn forecast(scenario: &Scenario, forecasts: &Forecasts, panel: &Panel) -> Vec<ForecastRow> {
    forecasts
        .quantities
        .iter()
        .map(|q| {
            let values = q.moment.values(scenario, panel);
            let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
            let estimate = Estimate::of(&finite);
            let prediction95 = (estimate.n >= 2).then(|| {
                let n = estimate.n as f64;
                let h = t_quantile(0.975, n - 1.0) * estimate.sd * (1.0 + 1.0 / n).sqrt();
                (estimate.mean - h, estimate.mean + h)
            });
            let window = match q.moment.relative_to {
                Some(base) => format!("{} relative to {}", q.moment.window, base),
                None => q.moment.window.to_string(),
            };
            ForecastRow {
                id: q.moment.id.clone(),
                unit: q.unit.clone(),
                window,
                values,
                estimate,
                mean_ci95: estimate.ci95(),
                prediction95,
            }
        })
        .collect()
}
