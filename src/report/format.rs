//! Numbers for people: shares as percentages and their differences in
//! percentage points, money and counts with k/M/bn/tn suffixes, and as many
//! decimals as the uncertainty deserves.

use crate::analysis::effects::Effect;
use crate::analysis::summary::is_share;

/// How a metric's values are shown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    /// Values are multiplied by this before printing.
    pub factor: f64,
    /// Suffix of levels ("%", "bn", "").
    pub level_suffix: &'static str,
    /// Suffix of differences ("pp", "bn", "").
    pub diff_suffix: &'static str,
}

impl Scale {
    /// The scale for `metric`, sized to `magnitude` (the largest absolute
    /// value to be shown).
    pub fn for_metric(metric: &str, magnitude: f64) -> Scale {
        if is_share(metric) {
            return Scale {
                factor: 100.0,
                level_suffix: "%",
                diff_suffix: " pp",
            };
        }
        let (factor, suffix) = magnitude_suffix(magnitude);
        Scale {
            factor,
            level_suffix: suffix,
            diff_suffix: suffix,
        }
    }

    /// The axis label suffix for charts: "(%)", "(billions)".
    pub fn axis_words(&self, diff: bool) -> &'static str {
        match (self.level_suffix, diff) {
            ("%", false) => "%",
            ("%", true) => "percentage points",
            ("k", _) => "thousands",
            ("M", _) => "millions",
            ("bn", _) => "billions",
            ("tn", _) => "trillions",
            _ => "",
        }
    }
}

/// 1, or 1e3 / 1e6 / 1e9 / 1e12 with k / M / bn / tn.
fn magnitude_suffix(magnitude: f64) -> (f64, &'static str) {
    let m = magnitude.abs();
    if m >= 1e12 {
        (1e-12, "tn")
    } else if m >= 1e9 {
        (1e-9, "bn")
    } else if m >= 1e6 {
        (1e-6, "M")
    } else if m >= 1e4 {
        (1e-3, "k")
    } else {
        (1.0, "")
    }
}

/// Decimals that show about two significant digits of `precision`.
fn decimals_for(precision: f64) -> usize {
    if !(precision.is_finite() && precision > 0.0) {
        return 1;
    }
    (1 - libm::floor(libm::log10(precision)) as i64).clamp(0, 4) as usize
}

/// Decimals that show three significant digits of a level (at most two).
fn significant_decimals(level: f64) -> usize {
    if !(level.is_finite() && level > 0.0) {
        return 1;
    }
    (2 - libm::floor(libm::log10(level)) as i64).clamp(0, 2) as usize
}

/// An effect formatted for a table row.
#[derive(Debug, Clone, PartialEq)]
pub struct EffectText {
    pub baseline: String,
    pub policy: String,
    pub diff: String,
    /// "[+1.5, +2.1]", or empty with one replicate.
    pub ci: String,
    pub verdict: &'static str,
}

/// Format an effect of `metric` for a table.
pub fn effect_text(metric: &str, e: &Effect) -> EffectText {
    let magnitude = e.baseline.mean.abs().max(e.policy.mean.abs());
    let scale = Scale::for_metric(metric, magnitude);
    let f = scale.factor;
    let level_decimals = significant_decimals(magnitude * f);
    let hw = e.diff.half_width95();
    let diff_decimals = match hw {
        Some(h) if h > 0.0 => decimals_for(h * f),
        _ => decimals_for((e.diff.mean.abs() * f).max(magnitude * f / 100.0)),
    };
    let level = |v: f64| format!("{:.*}{}", level_decimals, v * f, scale.level_suffix);
    let signed = |v: f64| {
        let s = format!("{:+.*}", diff_decimals, v * f);
        // "-0.0" and "+0.0" both read as no change.
        if s.trim_start_matches(['+', '-'])
            .chars()
            .all(|c| c == '0' || c == '.')
        {
            format!("{:.*}", diff_decimals, 0.0)
        } else {
            s
        }
    };
    let ci = match e.diff.ci95() {
        Some((low, high)) => format!("[{}, {}]", signed(low), signed(high)),
        None => String::new(),
    };
    EffectText {
        baseline: level(e.baseline.mean),
        policy: level(e.policy.mean),
        diff: format!("{}{}", signed(e.diff.mean), scale.diff_suffix),
        ci,
        verdict: verdict(e),
    }
}

/// "higher", "lower" or "no clear change" (95% interval holds 0).
pub fn verdict(e: &Effect) -> &'static str {
    match crate::output::compare::direction(e) {
        "higher" => "higher",
        "lower" => "lower",
        _ => "no clear change",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::stats::Estimate;

    fn effect(b: f64, p: f64, diffs: &[f64]) -> Effect {
        Effect {
            baseline: Estimate {
                mean: b,
                sd: 0.0,
                n: diffs.len(),
            },
            policy: Estimate {
                mean: p,
                sd: 0.0,
                n: diffs.len(),
            },
            diff: Estimate::of(diffs),
        }
    }

    #[test]
    fn shares_print_as_percent_and_points() {
        let t = effect_text("gmv_share", &effect(0.412, 0.430, &[0.017, 0.018, 0.019]));
        assert_eq!(t.baseline, "41.2%");
        assert_eq!(t.policy, "43.0%");
        assert_eq!(t.diff, "+1.80 pp");
        assert_eq!(t.verdict, "higher");
        assert!(t.ci.starts_with("[+1.55, "), "{}", t.ci);
    }

    #[test]
    fn money_gets_a_suffix_and_zero_has_no_sign() {
        let t = effect_text("umkm_revenue_idr", &effect(2.5e12, 2.5e12, &[0.0, 0.0]));
        assert_eq!(t.baseline, "2.50tn");
        assert_eq!(t.diff, "0.000tn");
        assert_eq!(t.verdict, "no clear change");
        assert_eq!(t.ci, "[0.000, 0.000]");
    }
}
