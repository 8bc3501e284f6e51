//! Global sensitivity estimators: Sobol first-order and total indices from
//! Saltelli's design, with bootstrap intervals, and Morris elementary
//! effects (mu, mu*, sigma).
//!
//! Estimators (Saltelli et al. 2010, "Variance based sensitivity analysis of
//! model output", table 2):
//! - first order, S1_i = mean((f(B) − f0) (f(AB_i) − f(A))) / V, with f0
//!   the mean output (centring, as SALib does by standardising outputs);
//! - total, ST_i = mean((f(A) − f(AB_i))²) / (2 V) (Jansen 1999);
//! - V the variance of f(A) and f(B) together.

use super::design::{Design, DesignKind, morris_delta};
use rand::SeedableRng;

/// A factor's Sobol indices with 95% bootstrap (percentile) intervals; NaN
/// when the output does not vary.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SobolIndex {
    pub s1: f64,
    pub s1_ci95: (f64, f64),
    pub st: f64,
    pub st_ci95: (f64, f64),
}

/// Sobol indices of every factor from outputs `y` in the order of a
/// Saltelli design with `k` factors (blocks of A, AB_1..AB_k, B).
/// `resamples` bootstrap resamples of the base rows, drawn from `seed`.
pub fn sobol_indices(k: usize, y: &[f64], resamples: usize, seed: u64) -> Vec<SobolIndex> {
    let block = k + 2;
    let n = y.len() / block;
    let all: Vec<usize> = (0..n).collect();
    let point = sobol_on(k, y, &all);
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed ^ 0xb007_57a9);
    let mut draws: Vec<Vec<(f64, f64)>> = vec![Vec::with_capacity(resamples); k];
    let mut sample = vec![0; n];
    for _ in 0..resamples {
        for s in sample.iter_mut() {
            *s = crate::dist::index(&mut rng, n);
        }
        for (i, e) in sobol_on(k, y, &sample).into_iter().enumerate() {
            draws[i].push(e);
        }
    }
    point
        .into_iter()
        .zip(draws)
        .map(|((s1, st), d)| {
            let s1s: Vec<f64> = d.iter().map(|x| x.0).collect();
            let sts: Vec<f64> = d.iter().map(|x| x.1).collect();
            SobolIndex {
                s1,
                s1_ci95: percentile_interval(s1s),
                st,
                st_ci95: percentile_interval(sts),
            }
        })
        .collect()
}

/// (S1, ST) of every factor over the base rows `rows` (with repeats).
fn sobol_on(k: usize, y: &[f64], rows: &[usize]) -> Vec<(f64, f64)> {
    let block = k + 2;
    let m = rows.len() as f64;
    let (mut sum, mut sum2) = (0.0, 0.0);
    for &j in rows {
        for v in [y[j * block], y[j * block + k + 1]] {
            sum += v;
            sum2 += v * v;
        }
    }
    let mean = sum / (2.0 * m);
    let variance = sum2 / (2.0 * m) - mean * mean;
    (0..k)
        .map(|i| {
            if variance <= 0.0 {
                return (f64::NAN, f64::NAN);
            }
            let (mut first, mut total) = (0.0, 0.0);
            for &j in rows {
                let a = y[j * block];
                let ab = y[j * block + 1 + i];
                let b = y[j * block + k + 1];
                // Centring f(B) leaves S1's expectation unchanged and removes
                // the noise an output far from zero would multiply in.
                first += (b - mean) * (ab - a);
                total += (a - ab) * (a - ab);
            }
            (first / m / variance, total / (2.0 * m) / variance)
        })
        .collect()
}

/// The 2.5% and 97.5% points of bootstrap estimates (NaN-free ones).
fn percentile_interval(mut values: Vec<f64>) -> (f64, f64) {
    values.retain(|v| v.is_finite());
    if values.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    values.sort_by(f64::total_cmp);
    let at = |p: f64| {
        let i = (p * (values.len() - 1) as f64).round() as usize;
        values[i.min(values.len() - 1)]
    };
    (at(0.025), at(0.975))
}

/// A factor's Morris statistics over elementary effects measured in the
/// unit cube (the factor's range scaled to 0..1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MorrisIndex {
    /// Mean elementary effect.
    pub mu: f64,
    /// Mean absolute elementary effect: the factor's overall importance.
    pub mu_star: f64,
    /// Standard deviation of the effects: interactions and nonlinearity.
    pub sigma: f64,
    /// Elementary effects measured.
    pub effects: usize,
}

/// Morris statistics from outputs `y` in the order of a Morris design.
pub fn morris_indices(design: &Design, y: &[f64]) -> Vec<MorrisIndex> {
    let k = design.factors.len();
    let levels = match design.kind {
        DesignKind::Morris { levels, .. } => levels,
        _ => 4,
    };
    let delta = morris_delta(levels);
    let mut effects: Vec<Vec<f64>> = vec![Vec::new(); k];
    for (t, path) in design.unit_rows.chunks(k + 1).enumerate() {
        for s in 0..path.len().saturating_sub(1) {
            let (from, to) = (&path[s], &path[s + 1]);
            let Some(j) = (0..k).find(|&j| from[j] != to[j]) else {
                continue;
            };
            let step = if to[j] > from[j] { delta } else { -delta };
            let (y0, y1) = (y[t * (k + 1) + s], y[t * (k + 1) + s + 1]);
            if y0.is_finite() && y1.is_finite() {
                effects[j].push((y1 - y0) / step);
            }
        }
    }
    effects
        .into_iter()
        .map(|e| {
            let est = super::stats::Estimate::of(&e);
            let abs: Vec<f64> = e.iter().map(|v| v.abs()).collect();
            MorrisIndex {
                mu: est.mean,
                mu_star: super::stats::Estimate::of(&abs).mean,
                sigma: est.sd,
                effects: e.len(),
            }
        })
        .collect()
}
