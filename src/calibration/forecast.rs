//! Forecasts: the forecast quantities of finished replicates, with
//! intervals of simulation noise or, over parameter draws, of noise and
//! the fitted parameters' uncertainty together.

use super::targets::Forecasts;
use super::uncertainty::{VarianceSplit, central95};
use crate::analysis::panel::Panel;
use crate::analysis::stats::{Estimate, t_quantile};
use crate::scenario::Scenario;

/// One forecast quantity over every realisation of a forecast.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastRow {
    pub id: String,
    pub unit: String,
    pub window: String,
    /// The quantity in each realisation, by parameter draw and then
    /// replicate (NaN where it cannot be computed); a forecast without
    /// parameter uncertainty has one draw, the scenario's own values.
    pub values: Vec<Vec<f64>>,
    /// Over every realisation.
    pub estimate: Estimate,
    /// 95% interval of the forecast's mean (Student t: over replicates
    /// without parameter draws, over the draws' means with them).
    pub mean_ci95: Option<(f64, f64)>,
    /// 95% interval for one realisation of the model's market: mean ± t sd
    /// sqrt(1 + 1/n) over replicates without parameter draws; the 2.5% and
    /// 97.5% points of every realisation with them.
    pub prediction95: Option<(f64, f64)>,
    /// With parameter draws: the variance split into noise and parameters
    /// (none if fewer than two draws have two values).
    pub split: Option<VarianceSplit>,
    /// Parameter draws run (0: the scenario's own values only).
    pub parameter_draws: usize,
}

/// Each quantity of `forecasts` in each replicate of `panel` (a run of
/// `scenario`): `[replicate][quantity]`.
pub fn quantity_values(scenario: &Scenario, forecasts: &Forecasts, panel: &Panel) -> Vec<Vec<f64>> {
    let by_quantity: Vec<Vec<f64>> = forecasts
        .quantities
        .iter()
        .map(|q| q.moment.values(scenario, panel))
        .collect();
    (0..panel.replicates().len())
        .map(|r| by_quantity.iter().map(|v| v[r]).collect())
        .collect()
}

/// The rows of a forecast from `values[draw][replicate][quantity]`;
/// `parameter_draws` says whether the draws are of the parameters (one
/// draw of the scenario's own values otherwise).
pub fn rows(
    forecasts: &Forecasts,
    values: &[Vec<Vec<f64>>],
    parameter_draws: bool,
) -> Vec<ForecastRow> {
    forecasts
        .quantities
        .iter()
        .enumerate()
        .map(|(q, quantity)| {
            let by_draw: Vec<Vec<f64>> = values
                .iter()
                .map(|draw| draw.iter().map(|replicate| replicate[q]).collect())
                .collect();
            let finite: Vec<f64> = by_draw
                .iter()
                .flatten()
                .copied()
                .filter(|v| v.is_finite())
                .collect();
            let estimate = Estimate::of(&finite);
            let (split, mean_ci95, prediction95) = if parameter_draws {
                let split = VarianceSplit::of(&by_draw);
                (split, split.map(|s| s.mean_ci95), central95(&finite))
            } else {
                let prediction = (estimate.n >= 2).then(|| {
                    let n = estimate.n as f64;
                    let h = t_quantile(0.975, n - 1.0) * estimate.sd * (1.0 + 1.0 / n).sqrt();
                    (estimate.mean - h, estimate.mean + h)
                });
                (None, estimate.ci95(), prediction)
            };
            let m = &quantity.moment;
            let window = match m.relative_to {
                Some(base) => format!("{} relative to {}", m.window, base),
                None => m.window.to_string(),
            };
            ForecastRow {
                id: m.id.clone(),
                unit: quantity.unit.clone(),
                window,
                values: by_draw,
                estimate,
                mean_ci95,
                prediction95,
                split,
                parameter_draws: if parameter_draws { values.len() } else { 0 },
            }
        })
        .collect()
}
