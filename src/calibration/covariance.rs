//! The uncertainty of fitted parameters: the asymptotic covariance of the
//! simulated-method-of-moments estimator at the optimum,
//!
//! ```text
//! V = (G' W G)^{-1},   W = diag(1 / sd_j²)
//! ```
//!
//! with G the Jacobian of the fitted targets' moments (mean over the
//! replicates) in the parameters, by central differences (one-sided at a
//! bound). Each target's sd is read as the standard error of its observed
//! value, as the objective weighs it; with the common random numbers of
//! every evaluation the Jacobian carries no simulation noise of its own
//! (Gourieroux and Monfort 1996, ch. 2; McFadden 1989). A direction in
//! which no fitted moment moves makes G'WG singular: that parameter, or
//! that combination, is not identified, and its standard error is
//! reported as missing rather than as a number.

use super::smm::{Calibration, CalibrationError, Evaluation, EvaluationStore, mean};
use std::sync::atomic::AtomicBool;

/// The step of the central differences, as a share of each range.
pub const STEP_SHARE: f64 = 0.02;

/// The parameters' covariance at a point, and what it rests on.
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterCovariance {
    /// V, row-major, k × k, over the parameters some fitted moment moves
    /// (the rows and columns of the others are NaN); `None` when G'WG is
    /// singular even without them (a combination is not identified).
    pub covariance: Option<Vec<f64>>,
    /// ∂(moment j)/∂(parameter i), fitted targets only, `jacobian[j * k + i]`.
    pub jacobian: Vec<f64>,
    /// The ids of the fitted targets, in the Jacobian's row order.
    pub targets: Vec<String>,
    /// The points evaluated for the differences.
    pub evaluations: Vec<Evaluation>,
}

impl ParameterCovariance {
    /// The standard error of parameter `i` (none when not identified).
    pub fn standard_error(&self, i: usize) -> Option<f64> {
        let k = self.dimension();
        let v = self.covariance.as_ref()?[i * k + i];
        (v.is_finite() && v >= 0.0).then(|| v.sqrt())
    }

    pub fn dimension(&self) -> usize {
        let rows = self.targets.len().max(1);
        self.jacobian.len() / rows
    }
}

/// The covariance of the parameters at `best`, evaluating (through
/// `store`, so that a resumed calibration reuses them) the 2k points of
/// the central differences.
pub fn at_optimum(
    calibration: &Calibration,
    best: &Evaluation,
    store: &dyn EvaluationStore,
    cancel: &AtomicBool,
) -> Result<ParameterCovariance, CalibrationError> {
    let k = calibration.free.len();
    let fitted: Vec<usize> = (0..calibration.targets.targets.len())
        .filter(|&j| calibration.targets.targets[j].fitted)
        .collect();
    let moment_means = |e: &Evaluation| -> Vec<Option<f64>> {
        fitted.iter().map(|&j| mean(&e.moments[j])).collect()
    };
    let mut evaluations = Vec::new();
    let mut jacobian = vec![0.0; fitted.len() * k];
    for (i, f) in calibration.free.iter().enumerate() {
        let h = STEP_SHARE * (f.high - f.low);
        let x = best.params[i];
        let (lo, hi) = ((x - h).max(f.low), (x + h).min(f.high));
        let point = |v: f64| {
            let mut p = best.params.clone();
            p[i] = f.used(v);
            p
        };
        let (down, up) = (point(lo), point(hi));
        let (a, b) = (
            calibration.evaluate_stored(&down, store, cancel)?.0,
            calibration.evaluate_stored(&up, store, cancel)?.0,
        );
        let dx = up[i] - down[i];
        for (row, (ma, mb)) in moment_means(&a)
            .into_iter()
            .zip(moment_means(&b))
            .enumerate()
        {
            jacobian[row * k + i] = match (ma, mb) {
                (Some(ma), Some(mb)) if dx != 0.0 => (mb - ma) / dx,
                _ => f64::NAN,
            };
        }
        evaluations.push(a);
        evaluations.push(b);
    }
    let weights: Vec<f64> = fitted
        .iter()
        .map(|&j| 1.0 / calibration.targets.targets[j].sd.powi(2))
        .collect();
    Ok(ParameterCovariance {
        covariance: identified_covariance(&jacobian, &weights, k),
        jacobian,
        targets: fitted
            .iter()
            .map(|&j| calibration.targets.targets[j].moment.id.clone())
            .collect(),
        evaluations,
    })
}

/// [`smm_covariance`] over the parameters whose column of the Jacobian
/// has a non-zero entry, with NaN rows and columns for the others: a
/// parameter no moment moves is reported as not identified without
/// taking the others' standard errors with it.
pub fn identified_covariance(jacobian: &[f64], weights: &[f64], k: usize) -> Option<Vec<f64>> {
    let rows = jacobian.len() / k.max(1);
    let moved: Vec<usize> = (0..k)
        .filter(|&i| (0..rows).any(|r| jacobian[r * k + i] != 0.0))
        .collect();
    let kept: Vec<f64> = (0..rows)
        .flat_map(|r| moved.iter().map(move |&i| (r, i)))
        .map(|(r, i)| jacobian[r * k + i])
        .collect();
    let small = smm_covariance(&kept, weights, moved.len())?;
    let mut v = vec![f64::NAN; k * k];
    for (a, &i) in moved.iter().enumerate() {
        for (b, &j) in moved.iter().enumerate() {
            v[i * k + j] = small[a * moved.len() + b];
        }
    }
    Some(v)
}

/// (G' W G)^{-1} for a Jacobian of `k` columns (row-major) and the
/// weights of its rows; `None` when a Jacobian entry is missing or the
/// matrix is singular (a pivot below 1e-12 of the largest diagonal).
pub fn smm_covariance(jacobian: &[f64], weights: &[f64], k: usize) -> Option<Vec<f64>> {
    if k == 0 || jacobian.iter().any(|g| !g.is_finite()) {
        return None;
    }
    let mut info = vec![0.0; k * k];
    for (row, w) in jacobian.chunks(k).zip(weights) {
        for a in 0..k {
            for b in 0..k {
                info[a * k + b] += row[a] * w * row[b];
            }
        }
    }
    invert(&info, k)
}

/// The inverse of a symmetric positive semi-definite `k × k` matrix by
/// Gauss–Jordan elimination with partial pivoting; `None` when singular.
fn invert(m: &[f64], k: usize) -> Option<Vec<f64>> {
    let scale = (0..k).map(|i| m[i * k + i].abs()).fold(0.0, f64::max);
    if scale == 0.0 {
        return None;
    }
    let mut a = m.to_vec();
    let mut inv: Vec<f64> = (0..k * k)
        .map(|x| if x / k == x % k { 1.0 } else { 0.0 })
        .collect();
    for col in 0..k {
        let pivot =
            (col..k).max_by(|&r, &s| a[r * k + col].abs().total_cmp(&a[s * k + col].abs()))?;
        if a[pivot * k + col].abs() < 1e-12 * scale {
            return None;
        }
        for c in 0..k {
            a.swap(col * k + c, pivot * k + c);
            inv.swap(col * k + c, pivot * k + c);
        }
        let p = a[col * k + col];
        for c in 0..k {
            a[col * k + c] /= p;
            inv[col * k + c] /= p;
        }
        for r in 0..k {
            if r != col {
                let factor = a[r * k + col];
                if factor != 0.0 {
                    for c in 0..k {
                        a[r * k + c] -= factor * a[col * k + c];
                        inv[r * k + c] -= factor * inv[col * k + c];
                    }
                }
            }
        }
    }
    Some(inv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_moments_give_the_least_squares_covariance() {
        // Moments m1 = a, m2 = a + b, m3 = b with sd 1, 2, 1: the
        // covariance is the inverse of G'WG, checked by V (G'WG) = I.
        let g = [1.0, 0.0, 1.0, 1.0, 0.0, 1.0];
        let w = [1.0, 0.25, 1.0];
        let v = smm_covariance(&g, &w, 2).expect("identified");
        let info = [1.25, 0.25, 0.25, 1.25];
        for r in 0..2 {
            for c in 0..2 {
                let x: f64 = (0..2).map(|t| v[r * 2 + t] * info[t * 2 + c]).sum();
                assert!((x - if r == c { 1.0 } else { 0.0 }).abs() < 1e-12);
            }
        }
        // One moment, one parameter: the delta method, sd / |slope|.
        let v = smm_covariance(&[4.0], &[1.0 / 9.0], 1).expect("identified");
        assert!((v[0].sqrt() - 0.75).abs() < 1e-12);
    }

    #[test]
    fn a_parameter_no_moment_moves_is_not_identified() {
        // The second parameter moves nothing.
        assert_eq!(smm_covariance(&[1.0, 0.0, 2.0, 0.0], &[1.0, 1.0], 2), None);
        // Two parameters that move the moments only together.
        assert_eq!(smm_covariance(&[1.0, 2.0, 3.0, 6.0], &[1.0, 1.0], 2), None);
        // A missing derivative is not a zero.
        assert_eq!(smm_covariance(&[f64::NAN], &[1.0], 1), None);
        // Without it, the parameter no moment moves is dropped and the
        // other keeps its standard error (sd 1, slopes 1 and 2: 1/5).
        let v =
            identified_covariance(&[1.0, 0.0, 2.0, 0.0], &[1.0, 1.0], 2).expect("one identified");
        assert!((v[0] - 0.2).abs() < 1e-12);
        assert!(v[3].is_nan() && v[1].is_nan());
        // A combination still makes it singular.
        assert_eq!(
            identified_covariance(&[1.0, 2.0, 3.0, 6.0], &[1.0, 1.0], 2),
            None
        );
    }
}
