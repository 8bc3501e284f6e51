//! Forecasts: the forecast quantities of finished replicates, with
//! intervals of simulation noise or, over parameter draws, of noise and
//! the fitted parameters' uncertainty together.

use super::targets::Forecasts;
use super::uncertainty::{VarianceSplit, central95, usable_draws};
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
            // Over parameter draws, the realisations of the draws the split
            // can use, so that the mean, the interval and the split describe
            // the same ones.
            let finite: Vec<f64> = if parameter_draws {
                usable_draws(&by_draw).concat()
            } else {
                by_draw
                    .iter()
                    .flatten()
                    .copied()
                    .filter(|v| v.is_finite())
                    .collect()
            };
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A draw whose quantity is undefined in a replicate (one value left)
    /// is left out of the mean, the interval and the split alike.
    #[test]
    fn draws_the_split_cannot_use_are_left_out_everywhere() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("q.toml");
        std::fs::write(
            &path,
            "[[quantities]]\nid = \"x\"\nmetric = \"gmv_idr\"\nby = \"all\"\ngroup = \"all\"\nwindow_start = 2022-01-01\nwindow_end = 2022-01-31\n",
        )
        .expect("write");
        let forecasts = Forecasts::load(&path).expect("quantities");
        let values = vec![
            vec![vec![1.0], vec![2.0]],
            vec![vec![f64::NAN], vec![500.0]],
            vec![vec![3.0], vec![4.0]],
        ];
        let row = &rows(&forecasts, &values, true)[0];
        assert_eq!(row.estimate.n, 4);
        assert_eq!(row.estimate.mean, 2.5);
        let split = row.split.expect("two draws");
        assert_eq!(split.draws, 2);
        assert_eq!(split.mean, row.estimate.mean);
        let (low, high) = row.prediction95.expect("an interval");
        assert!(low >= 1.0 && high <= 4.0, "{low} {high}");
        assert_eq!(row.parameter_draws, 3);
        // Without parameter draws every finite value counts.
        let plain = &rows(&forecasts, &values, false)[0];
        assert_eq!(plain.estimate.n, 5);
    }
}
