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

/// e^x to within about one unit in the last place, faster than
/// `libm::exp` (no division): x = (k + i/128)·ln 2 + r with |r| ≤ ln 2/256,
/// e^x = 2^k · 2^(i/128) · e^r, the 128 powers of two tabulated and e^r
/// by a degree-5 Taylor polynomial (error below 2^-60). Only IEEE operations on f64 in a fixed order, so the result is
/// the same on every platform. Outside [−700, 700] (and for NaN) it is
/// `libm::exp`, so underflow, overflow and special values behave alike.
#[inline]
pub fn fast_exp(x: f64) -> f64 {
    if !(-700.0..=700.0).contains(&x) {
        return libm::exp(x);
    }
    const N: f64 = 128.0;
    const INV_LN2_N: f64 = N / core::f64::consts::LN_2;
    // ln 2 / 128 split so that k · LN2_HI is exact for |k| < 2^17.
    // fdlibm's ln2_hi (trailing 21 bits zero) and ln2_lo.
    const LN2_HI_N: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000) / N;
    const LN2_LO_N: f64 = f64::from_bits(0x3dea_39ef_3579_3c76) / N;
    // Adding 1.5·2^52 rounds to the nearest integer in the low bits.
    const SHIFT: f64 = 6_755_399_441_055_744.0;
    let kd = (x * INV_LN2_N + SHIFT) - SHIFT;
    let ki = kd as i64;
    let r = (x - kd * LN2_HI_N) - kd * LN2_LO_N;
    let i = (ki & 127) as usize;
    // 2^(ki / 128) = table[i] · 2^floor(ki / 128), built in the exponent bits.
    let scale = f64::from_bits(EXP2_TABLE[i].wrapping_add(((ki >> 7) as u64) << 52));
    let r2 = r * r;
    let tail = r + r2 * (0.5 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0))));
    scale + scale * tail
}

/// Bits of 2^(i/128), i in 0..128, correctly rounded (computed to 60
/// digits with Python's `decimal`; literals, so the same everywhere).
const EXP2_TABLE: [u64; 128] = [
    0x3ff0000000000000,
    0x3ff0163da9fb3335,
    0x3ff02c9a3e778061,
    0x3ff04315e86e7f85,
    0x3ff059b0d3158574,
    0x3ff0706b29ddf6de,
    0x3ff0874518759bc8,
    0x3ff09e3ecac6f383,
    0x3ff0b5586cf9890f,
    0x3ff0cc922b7247f7,
    0x3ff0e3ec32d3d1a2,
    0x3ff0fb66affed31b,
    0x3ff11301d0125b51,
    0x3ff12abdc06c31cc,
    0x3ff1429aaea92de0,
    0x3ff15a98c8a58e51,
    0x3ff172b83c7d517b,
    0x3ff18af9388c8dea,
    0x3ff1a35beb6fcb75,
    0x3ff1bbe084045cd4,
    0x3ff1d4873168b9aa,
    0x3ff1ed5022fcd91d,
    0x3ff2063b88628cd6,
    0x3ff21f49917ddc96,
    0x3ff2387a6e756238,
    0x3ff251ce4fb2a63f,
    0x3ff26b4565e27cdd,
    0x3ff284dfe1f56381,
    0x3ff29e9df51fdee1,
    0x3ff2b87fd0dad990,
    0x3ff2d285a6e4030b,
    0x3ff2ecafa93e2f56,
    0x3ff306fe0a31b715,
    0x3ff32170fc4cd831,
    0x3ff33c08b26416ff,
    0x3ff356c55f929ff1,
    0x3ff371a7373aa9cb,
    0x3ff38cae6d05d866,
    0x3ff3a7db34e59ff7,
    0x3ff3c32dc313a8e5,
    0x3ff3dea64c123422,
    0x3ff3fa4504ac801c,
    0x3ff4160a21f72e2a,
    0x3ff431f5d950a897,
    0x3ff44e086061892d,
    0x3ff46a41ed1d0057,
    0x3ff486a2b5c13cd0,
    0x3ff4a32af0d7d3de,
    0x3ff4bfdad5362a27,
    0x3ff4dcb299fddd0d,
    0x3ff4f9b2769d2ca7,
    0x3ff516daa2cf6642,
    0x3ff5342b569d4f82,
    0x3ff551a4ca5d920f,
    0x3ff56f4736b527da,
    0x3ff58d12d497c7fd,
    0x3ff5ab07dd485429,
    0x3ff5c9268a5946b7,
    0x3ff5e76f15ad2148,
    0x3ff605e1b976dc09,
    0x3ff6247eb03a5585,
    0x3ff6434634ccc320,
    0x3ff6623882552225,
    0x3ff68155d44ca973,
    0x3ff6a09e667f3bcd,
    0x3ff6c012750bdabf,
    0x3ff6dfb23c651a2f,
    0x3ff6ff7df9519484,
    0x3ff71f75e8ec5f74,
    0x3ff73f9a48a58174,
    0x3ff75feb564267c9,
    0x3ff780694fde5d3f,
    0x3ff7a11473eb0187,
    0x3ff7c1ed0130c132,
    0x3ff7e2f336cf4e62,
    0x3ff80427543e1a12,
    0x3ff82589994cce13,
    0x3ff8471a4623c7ad,
    0x3ff868d99b4492ed,
    0x3ff88ac7d98a6699,
    0x3ff8ace5422aa0db,
    0x3ff8cf3216b5448c,
    0x3ff8f1ae99157736,
    0x3ff9145b0b91ffc6,
    0x3ff93737b0cdc5e5,
    0x3ff95a44cbc8520f,
    0x3ff97d829fde4e50,
    0x3ff9a0f170ca07ba,
    0x3ff9c49182a3f090,
    0x3ff9e86319e32323,
    0x3ffa0c667b5de565,
    0x3ffa309bec4a2d33,
    0x3ffa5503b23e255d,
    0x3ffa799e1330b358,
    0x3ffa9e6b5579fdbf,
    0x3ffac36bbfd3f37a,
    0x3ffae89f995ad3ad,
    0x3ffb0e07298db666,
    0x3ffb33a2b84f15fb,
    0x3ffb59728de5593a,
    0x3ffb7f76f2fb5e47,
    0x3ffba5b030a1064a,
    0x3ffbcc1e904bc1d2,
    0x3ffbf2c25bd71e09,
    0x3ffc199bdd85529c,
    0x3ffc40ab5fffd07a,
    0x3ffc67f12e57d14b,
    0x3ffc8f6d9406e7b5,
    0x3ffcb720dcef9069,
    0x3ffcdf0b555dc3fa,
    0x3ffd072d4a07897c,
    0x3ffd2f87080d89f2,
    0x3ffd5818dcfba487,
    0x3ffd80e316c98398,
    0x3ffda9e603db3285,
    0x3ffdd321f301b460,
    0x3ffdfc97337b9b5f,
    0x3ffe264614f5a129,
    0x3ffe502ee78b3ff6,
    0x3ffe7a51fbc74c83,
    0x3ffea4afa2a490da,
    0x3ffecf482d8e67f1,
    0x3ffefa1bee615a27,
    0x3fff252b376bba97,
    0x3fff50765b6e4540,
    0x3fff7bfdad9cbe14,
    0x3fffa7c1819e90d8,
    0x3fffd3c22b8f71f1,
];

/// True with probability `p`.
#[inline]
pub fn bernoulli(rng: &mut impl RngCore, p: f64) -> bool {
    uniform(rng) < p
}

/// The standard normal quantile Φ⁻¹(p) for p in (0, 1), by Acklam's
/// rational approximation (relative error below 1.2e-9) in `libm`, so every
/// machine gets the same value. Used for stratified draws: n values at the
/// quantiles (i + 0.5)/n have the same spread in every replicate.
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const LOW: f64 = 0.02425;
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p <= 0.0 {
        f64::NEG_INFINITY
    } else if p >= 1.0 {
        f64::INFINITY
    } else if p < LOW {
        tail(libm::sqrt(-2.0 * libm::log(p)))
    } else if p > 1.0 - LOW {
        -tail(libm::sqrt(-2.0 * libm::log(1.0 - p)))
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// Shuffle `items` uniformly in place (Fisher–Yates, last position first:
/// one `index` draw per position from n − 1 down to 1).
pub fn shuffle<T>(rng: &mut impl RngCore, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        items.swap(i, index(rng, i + 1));
    }
}

/// A uniformly random permutation of `0..n`.
pub fn permutation(rng: &mut impl RngCore, n: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    shuffle(rng, &mut order);
    order
}

/// Standard normal by the ziggurat method in Doornik's (2005) form
/// (ZIGNOR: 128 layers of equal area, Marsaglia's tail): one 64-bit draw
/// gives the layer (its low 7 bits) and a uniform on (−1, 1) (its top 53),
/// and about 99% of draws end there, without a logarithm. The table is
/// built from `libm`, so every machine draws the same values.
pub fn standard_normal(rng: &mut impl RngCore) -> f64 {
    let z = ziggurat();
    loop {
        let bits = rng.next_u64();
        let i = (bits & 0x7f) as usize;
        let u = 2.0 * ((bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64)) - 1.0;
        if u.abs() < z.ratio[i] {
            return u * z.x[i];
        }
        if i == 0 {
            return normal_tail(rng, u < 0.0);
        }
        // The wedge between layer i's rectangle and the density.
        let x = u * z.x[i];
        let f0 = libm::exp(-0.5 * (z.x[i] * z.x[i] - x * x));
        let f1 = libm::exp(-0.5 * (z.x[i + 1] * z.x[i + 1] - x * x));
        if f1 + uniform(rng) * (f0 - f1) < 1.0 {
            return x;
        }
    }
}

/// Layers of the ziggurat.
const ZIGGURAT_LAYERS: usize = 128;
/// Where the base layer's tail starts, and the area of each layer.
const ZIGGURAT_R: f64 = 3.442619855899;
const ZIGGURAT_AREA: f64 = 9.91256303526217e-3;

/// The layers' right edges `x` (x[1] = R, x[128] = 0; x[0] is the base
/// layer's width, tail included) and the share `ratio[i] = x[i+1]/x[i]`
/// of layer i lying wholly under the density.
struct Ziggurat {
    x: [f64; ZIGGURAT_LAYERS + 1],
    ratio: [f64; ZIGGURAT_LAYERS],
}

fn ziggurat() -> &'static Ziggurat {
    static TABLE: std::sync::OnceLock<Ziggurat> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut x = [0.0; ZIGGURAT_LAYERS + 1];
        let mut f = libm::exp(-0.5 * ZIGGURAT_R * ZIGGURAT_R);
        x[0] = ZIGGURAT_AREA / f;
        x[1] = ZIGGURAT_R;
        for i in 2..ZIGGURAT_LAYERS {
            x[i] = libm::sqrt(-2.0 * libm::log(ZIGGURAT_AREA / x[i - 1] + f));
            f = libm::exp(-0.5 * x[i] * x[i]);
        }
        let mut ratio = [0.0; ZIGGURAT_LAYERS];
        for i in 0..ZIGGURAT_LAYERS {
            ratio[i] = x[i + 1] / x[i];
        }
        Ziggurat { x, ratio }
    })
}

/// A draw from the normal tail beyond R (Marsaglia 1964), with its sign.
fn normal_tail(rng: &mut impl RngCore, negative: bool) -> f64 {
    loop {
        let x = libm::log(uniform_open(rng)) / ZIGGURAT_R;
        let y = libm::log(uniform_open(rng));
        if -2.0 * y >= x * x {
            return if negative {
                x - ZIGGURAT_R
            } else {
                ZIGGURAT_R - x
            };
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

    #[test]
    fn normal_quantiles_match_tabled_values() {
        for (p, z) in [
            (0.5, 0.0),
            (0.975, 1.959_963_984_540_054),
            (0.841_344_746_068_542_9, 1.0),
            (0.01, -2.326_347_874_040_841),
            (1e-6, -4.753_424_308_822_899),
        ] {
            let got = normal_quantile(p);
            assert!(
                (got - z).abs() < 1e-8 * z.abs().max(1.0),
                "p={p}: {got} vs {z}"
            );
            assert!((normal_quantile(1.0 - p) + z).abs() < 1e-8 * z.abs().max(1.0));
        }
    }

    #[test]
    fn permutations_hold_every_index_once() {
        let mut rng = crate::rng::Streams::new(1, 0).stream(crate::rng::Purpose::Population, 9, 0);
        let mut p = permutation(&mut rng, 100);
        assert_ne!(p, (0..100).collect::<Vec<_>>());
        p.sort_unstable();
        assert_eq!(p, (0..100).collect::<Vec<_>>());
    }

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

    /// The ziggurat's draws follow the normal CDF (Kolmogorov–Smirnov on a
    /// million draws), in the body and in the tails beyond its base layer.
    #[test]
    fn standard_normal_follows_the_normal_cdf() {
        let mut r = rng();
        let n = 1_000_000;
        let mut xs: Vec<f64> = (0..n).map(|_| standard_normal(&mut r)).collect();
        xs.sort_by(f64::total_cmp);
        let cdf = |x: f64| 0.5 * (1.0 + libm::erf(x / std::f64::consts::SQRT_2));
        let d = xs
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                let f = cdf(x);
                (f - i as f64 / n as f64)
                    .abs()
                    .max(((i + 1) as f64 / n as f64 - f).abs())
            })
            .fold(0.0, f64::max);
        // The 0.1% critical value of the KS statistic is 1.95/sqrt(n).
        assert!(d < 1.95 / (n as f64).sqrt(), "KS distance {d}");
        // And bin by bin (width 0.05 from -4 to 4, plus the two tails): a
        // wedge accepted too often shows as an excess near its layer's edge.
        let edges: Vec<f64> = (0..=160).map(|b| -4.0 + 0.05 * b as f64).collect();
        let mut chi2 = 0.0;
        let mut below = 0usize;
        for b in 0..=edges.len() {
            let lo = if b == 0 {
                f64::NEG_INFINITY
            } else {
                edges[b - 1]
            };
            let hi = edges.get(b).copied().unwrap_or(f64::INFINITY);
            let above = xs.partition_point(|&x| x < hi);
            let observed = (above - below) as f64;
            below = above;
            let expected = n as f64 * (cdf(hi) - cdf(lo));
            chi2 += (observed - expected).powi(2) / expected;
        }
        let df = edges.len() as f64;
        assert!(
            chi2 < df + 4.0 * (2.0 * df).sqrt(),
            "χ² = {chi2:.1} over {df} bins"
        );
        // Beyond the base layer (|x| > R), and far out.
        for (beyond, label) in [(ZIGGURAT_R, "R"), (4.0, "4")] {
            let p = 2.0 * (1.0 - cdf(beyond));
            let observed = xs.iter().filter(|x| x.abs() > beyond).count() as f64;
            let sd = (n as f64 * p * (1.0 - p)).sqrt();
            assert!(
                (observed - n as f64 * p).abs() < 4.0 * sd,
                "|x| > {label}: {observed} vs {:.1}",
                n as f64 * p
            );
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

    #[test]
    fn fast_exp_agrees_with_libm() {
        let mut r = rng();
        let mut worst: f64 = 0.0;
        for _ in 0..200_000 {
            let x = (uniform(&mut r) - 0.9) * 800.0;
            let (a, b) = (fast_exp(x), libm::exp(x));
            worst = worst.max(((a - b) / b).abs());
        }
        assert!(worst < 4.0 * f64::EPSILON, "relative error {worst}");
        for x in [0.0, -0.0, 1.0, -1.0, -700.0, 700.0, -745.5, -800.0, 710.0] {
            let (a, b) = (fast_exp(x), libm::exp(x));
            assert!(
                a == b || ((a - b) / b).abs() < 4.0 * f64::EPSILON,
                "{x}: {a} {b}"
            );
        }
        assert_eq!(fast_exp(0.0), 1.0);
        assert!(fast_exp(f64::NAN).is_nan());
        assert_eq!(fast_exp(f64::NEG_INFINITY), 0.0);
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
