//! Portable samplers for the distributions the model draws from.
//!
//! Written here rather than taken from `rand_distr` because bit-for-bit
//! reproducibility across platforms needs every transcendental function to
//! be the same code everywhere: these use `libm` (a pure-Rust port of musl's
//! maths library) instead of the platform's `ln`/`exp`. The tests check them
//! against `rand_distr` statistically.

use rand::RngCore;

/// Uniform on [0, 1), 53 random bits.
#[inline]
pub fn uniform(rng: &mut impl RngCore) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Uniform on (0, 1): safe to take the logarithm of.
#[inline]
pub fn uniform_open(rng: &mut impl RngCore) -> f64 {
    ((rng.next_u64() >> 12) as f64 + 0.5) * (1.0 / (1u64 << 52) as f64)
}

/// Uniform integer in [0, n), n > 0 (Lemire's multiply-and-reject; exact).
#[inline]
pub fn index(rng: &mut impl RngCore, n: usize) -> usize {
    debug_assert!(n > 0);
    let n = n as u64;
    let mut m = (rng.next_u64() as u128) * (n as u128);
    if (m as u64) < n {
        let threshold = n.wrapping_neg() % n;
        while (m as u64) < threshold {
            m = (rng.next_u64() as u128) * (n as u128);
        }
    }
    (m >> 64) as usize
}

/// Inverse-CDF pick over weights that follow a mass of `start`: the first
/// positive weight at which `start + Σ weights` passes `target` (the last
/// positive one if rounding leaves `target` beyond the sum); `None` when no
/// weight is positive. `target` is a uniform draw times the total.
pub fn walk_weights(weights: &[f64], start: f64, target: f64) -> Option<usize> {
    let mut acc = start;
    let mut pick = None;
    for (i, &w) in weights.iter().enumerate() {
        if w > 0.0 {
            acc += w;
            pick = Some(i);
            if target < acc {
                break;
            }
        }
    }
    pick
}

/// True with probability `p`.
#[inline]
pub fn bernoulli(rng: &mut impl RngCore, p: f64) -> bool {
    uniform(rng) < p
}

/// Standard normal (Marsaglia's polar method; the second value is dropped
/// so that a draw is a pure function of the stream position).
pub fn standard_normal(rng: &mut impl RngCore) -> f64 {
    loop {
        let u = 2.0 * uniform(rng) - 1.0;
        let v = 2.0 * uniform(rng) - 1.0;
        let s = u * u + v * v;
        if s > 0.0 && s < 1.0 {
            return u * libm::sqrt(-2.0 * libm::log(s) / s);
        }
    }
}

/// Log-normal with the given median and log-standard-deviation.
pub fn lognormal(rng: &mut impl RngCore, median: f64, sd: f64) -> f64 {
    median * libm::exp(sd * standard_normal(rng))
}

/// Gamma(shape, scale) by Marsaglia and Tsang (2000), with the boost
/// U^(1/shape) for shape < 1.
pub fn gamma(rng: &mut impl RngCore, shape: f64, scale: f64) -> f64 {
    if shape < 1.0 {
        let u = uniform_open(rng);
        return gamma(rng, shape + 1.0, scale) * libm::pow(u, 1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / libm::sqrt(9.0 * d);
    loop {
        let x = standard_normal(rng);
        let v = 1.0 + c * x;
        if v <= 0.0 {
            continue;
        }
        let v = v * v * v;
        let u = uniform_open(rng);
        if u < 1.0 - 0.0331 * x * x * x * x
            || libm::log(u) < 0.5 * x * x + d * (1.0 - v + libm::log(v))
        {
            return d * v * scale;
        }
    }
}

/// Poisson(mean): inversion for small means, Hörmann's PTRS (1993) above.
pub fn poisson(rng: &mut impl RngCore, mean: f64) -> u64 {
    if mean <= 0.0 || !mean.is_finite() {
        return 0;
    }
    if mean < 10.0 {
        let mut p = libm::exp(-mean);
        let mut cumulative = p;
        let u = uniform(rng);
        let mut k = 0u64;
        while u > cumulative && k < 1000 {
            k += 1;
            p *= mean / k as f64;
            cumulative += p;
        }
        return k;
    }
    let slam = libm::sqrt(mean);
    let loglam = libm::log(mean);
    let b = 0.931 + 2.53 * slam;
    let a = -0.059 + 0.02483 * b;
    let inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
    let vr = 0.9277 - 3.6224 / (b - 2.0);
    loop {
        let u = uniform(rng) - 0.5;
        let v = uniform(rng);
        let us = 0.5 - u.abs();
        let k = libm::floor((2.0 * a / us + b) * u + mean + 0.43);
        if us >= 0.07 && v <= vr {
            return k as u64;
        }
        if k < 0.0 || (us < 0.013 && v > us) {
            continue;
        }
        let lhs = libm::log(v) + libm::log(inv_alpha) - libm::log(a / (us * us) + b);
        let rhs = -mean + k * loglam - libm::lgamma(k + 1.0);
        if lhs <= rhs {
            return k as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, Streams};

    fn moments(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (mean, var)
    }

    fn rng() -> crate::rng::Rng {
        Streams::new(1, 0).stream(Purpose::Population, 0, 0)
    }

    #[test]
    fn index_is_uniform_and_in_range() {
        let mut r = rng();
        let mut counts = [0u32; 7];
        for _ in 0..70_000 {
            counts[index(&mut r, 7)] += 1;
        }
        for c in counts {
            assert!((c as f64 - 10_000.0).abs() < 400.0, "{counts:?}");
        }
    }

    #[test]
    fn normal_gamma_poisson_moments() {
        let mut r = rng();
        let n = 200_000;
        let (m, v) = moments(&(0..n).map(|_| standard_normal(&mut r)).collect::<Vec<_>>());
        assert!(m.abs() < 0.01 && (v - 1.0).abs() < 0.015, "normal {m} {v}");
        for (shape, scale) in [(0.5, 2.0), (2.0, 0.75), (9.0, 1.0)] {
            let (m, v) = moments(
                &(0..n)
                    .map(|_| gamma(&mut r, shape, scale))
                    .collect::<Vec<_>>(),
            );
            let (em, ev) = (shape * scale, shape * scale * scale);
            assert!(
                (m - em).abs() < 0.02 * em && (v - ev).abs() < 0.05 * ev,
                "gamma {shape} {m} {v}"
            );
        }
        for mean in [0.3, 4.0, 25.0, 3000.0] {
            let (m, v) = moments(
                &(0..n)
                    .map(|_| poisson(&mut r, mean) as f64)
                    .collect::<Vec<_>>(),
            );
            assert!(
                (m - mean).abs() < 0.01 * mean + 0.01 && (v - mean).abs() < 0.03 * mean + 0.01,
                "poisson {mean} {m} {v}"
            );
        }
    }

    /// Compare with rand_distr's samplers: the same distributions, to within
    /// sampling error of their quantiles.
    #[test]
    fn agrees_with_rand_distr_quantiles() {
        use rand_distr::Distribution;
        let mut r = rng();
        let n = 100_000;
        let mut ours: Vec<f64> = (0..n).map(|_| gamma(&mut r, 2.0, 1.5)).collect();
        let theirs_dist = rand_distr::Gamma::new(2.0, 1.5).unwrap();
        let mut theirs: Vec<f64> = (0..n).map(|_| theirs_dist.sample(&mut r)).collect();
        ours.sort_by(f64::total_cmp);
        theirs.sort_by(f64::total_cmp);
        for q in [0.1, 0.25, 0.5, 0.75, 0.9] {
            let i = (q * n as f64) as usize;
            assert!(
                (ours[i] - theirs[i]).abs() < 0.05 * theirs[i],
                "q{q}: {} vs {}",
                ours[i],
                theirs[i]
            );
        }
    }
}
