//! Numbers for people: shares as percentages and their differences in
//! percentage points, money and counts with k/M/bn/tn suffixes, and as many
//! decimals as the uncertainty deserves.

use crate::analysis::effects::Effect;
use crate::analysis::findings::Quantity;
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

/// A number with three significant digits and a k / M / bn / tn suffix
/// (9.13tn, 136k, 0.0512); "-" for no value.
pub fn significant(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    let (f, suffix) = magnitude_suffix(v);
    let x = v * f;
    let decimals = if x == 0.0 {
        0
    } else {
        (2 - libm::floor(libm::log10(x.abs())) as i64).clamp(0, 6) as usize
    };
    format!("{x:.decimals$}{suffix}")
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

/// Format an effect of `metric` for a table. Levels and differences are
/// scaled separately (a 3.47tn level may change by 131bn).
pub fn effect_text(metric: &str, e: &Effect) -> EffectText {
    let magnitude = e.baseline.mean.abs().max(e.policy.mean.abs());
    let level_scale = Scale::for_metric(metric, magnitude);
    let ci = e.diff.ci95();
    let diff_magnitude = ci.map_or(e.diff.mean.abs(), |(l, h)| l.abs().max(h.abs()));
    let diff_scale = Scale::for_metric(metric, diff_magnitude);
    let level = |v: f64| {
        if v == 0.0 {
            return "0".to_string();
        }
        let f = level_scale.factor;
        format!(
            "{:.*}{}",
            significant_decimals(magnitude * f),
            v * f,
            level_scale.level_suffix
        )
    };
    let f = diff_scale.factor;
    let diff_decimals = match e.diff.half_width95() {
        Some(h) if h > 0.0 => decimals_for(h * f),
        _ if e.diff.mean != 0.0 => decimals_for(e.diff.mean.abs() * f / 10.0),
        _ => 0,
    };
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
    let ci = match ci {
        Some((low, high)) => format!("[{}, {}]", signed(low), signed(high)),
        None => String::new(),
    };
    let diff = signed(e.diff.mean);
    let suffix = if diff_scale.diff_suffix == " pp" || diff != "0" {
        diff_scale.diff_suffix
    } else {
        ""
    };
    EffectText {
        baseline: level(e.baseline.mean),
        policy: level(e.policy.mean),
        diff: format!("{diff}{suffix}"),
        ci,
        verdict: verdict(e),
    }
}

/// Whether an effect has nothing to show: both scenarios exactly 0 in
/// every replicate (e.g. commissions on the offline channel).
pub fn all_zero(e: &Effect) -> bool {
    e.baseline.mean == 0.0 && e.baseline.sd == 0.0 && e.policy.mean == 0.0 && e.policy.sd == 0.0
}

/// "higher", "lower", "no clear change" (95% interval holds 0), or "does
/// not vary in this model" (the same constant in both scenarios).
pub fn verdict(e: &Effect) -> &'static str {
    match crate::output::compare::direction(e) {
        "higher" => "higher",
        "lower" => "lower",
        "does_not_vary" => "does not vary in this model",
        _ => "no clear change",
    }
}

/// A number for people, its suffix spaced: "177 bn", "3.42 M", "0.512".
pub fn human(v: f64) -> String {
    let s = significant(v);
    match s.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => format!("{} {}", &s[..i], &s[i..]),
        None => s,
    }
}

/// "a week" for weekly ticks, "a day", or "per 3-day tick".
pub fn per_tick(days_per_tick: u32) -> String {
    match days_per_tick {
        7 => "a week".into(),
        1 => "a day".into(),
        n => format!("per {n}-day tick"),
    }
}

/// An amount of `metric` in words with its unit: "Rp 177 bn a week",
/// "1.20 percentage points", "3.4 M purchases a week".
fn amount(metric: &str, v: f64, days_per_tick: u32) -> String {
    let per = per_tick(days_per_tick);
    match Quantity::of(metric) {
        Quantity::Share => format!("{:.2} percentage points", 100.0 * v.abs()),
        Quantity::Rupiah => format!("Rp {} {per}", human(v.abs())),
        Quantity::Purchases => format!("{} purchases {per}", human(v.abs())),
        Quantity::Sellers => format!("{} sellers", human(v.abs())),
        Quantity::Other => human(v.abs()),
    }
}

/// The bare number of an amount, for an interval after the amount itself:
/// "Rp 134 bn", "1.54".
fn bare(metric: &str, v: f64) -> String {
    match Quantity::of(metric) {
        Quantity::Share => format!("{:.2}", 100.0 * v.abs()),
        Quantity::Rupiah => format!("Rp {}", human(v.abs())),
        _ => human(v.abs()),
    }
}

/// A level of `metric` for a sentence: "54.6%", "Rp 5.36 tn".
fn level(metric: &str, v: f64) -> String {
    match Quantity::of(metric) {
        Quantity::Share => format!("{:.1}%", 100.0 * v),
        Quantity::Rupiah => format!("Rp {}", human(v)),
        _ => human(v),
    }
}

/// ", 95% interval Rp 52.5 bn to Rp 377 bn less" (one side of zero) or
/// ", 95% interval from 1.2 lower to 3.4 higher" (across it).
fn interval_words(
    metric: &str,
    ci: Option<(f64, f64)>,
    way: impl Fn(f64) -> &'static str,
) -> String {
    match ci {
        Some((lo, hi)) if lo.signum() == hi.signum() && lo != 0.0 => format!(
            ", 95% interval {} to {} {}",
            bare(metric, lo.abs().min(hi.abs())),
            bare(metric, lo.abs().max(hi.abs())),
            way(lo)
        ),
        Some((lo, hi)) => format!(
            ", 95% interval from {} {} to {} {}",
            bare(metric, lo),
            way(lo),
            bare(metric, hi),
            way(hi)
        ),
        None => String::new(),
    }
}

/// A key finding in words, with units and its interval: "UMKM revenue:
/// Rp 177 bn a week less (−6.0%; from Rp 2.95 tn to Rp 2.77 tn), 95%
/// interval Rp 120 bn to Rp 230 bn less."
pub fn finding_sentence(
    f: &crate::analysis::findings::Finding,
    title: &str,
    days_per_tick: u32,
) -> String {
    let e = &f.effect;
    let m = f.key.metric.as_str();
    let share = Quantity::of(m) == Quantity::Share;
    let (up, down) = match Quantity::of(m) {
        Quantity::Share => ("higher", "lower"),
        Quantity::Purchases | Quantity::Sellers => ("more", "fewer"),
        Quantity::Rupiah | Quantity::Other => ("more", "less"),
    };
    let d = e.diff.mean;
    let way = |v: f64| if v >= 0.0 { up } else { down };
    let rel = if share {
        String::new()
    } else {
        e.rel_change()
            .filter(|_| e.baseline.mean.abs() > 0.0)
            .map_or(String::new(), |x| format!("{:+.1}%; ", 100.0 * x))
    };
    let from_to = format!(
        "from {} to {}",
        level(m, e.baseline.mean),
        level(m, e.policy.mean)
    );
    let interval = interval_words(m, e.diff.ci95(), way);
    let mut s = if f.clear {
        format!(
            "{title}: {} {} ({rel}{from_to}){interval}.",
            amount(m, d, days_per_tick),
            way(d)
        )
    } else {
        format!(
            "{title}: no clear change ({from_to}; the difference, {} {}, is within the noise{interval}).",
            amount(m, d, days_per_tick),
            way(d)
        )
    };
    if let Some(net) = &f.net_purchases {
        let n = net.diff.mean;
        let rel = net
            .rel_change()
            .map_or(String::new(), |x| format!(" ({:+.1}%)", 100.0 * x));
        let fewer = |v: f64| if v >= 0.0 { "more" } else { "fewer" };
        let ci = interval_words("purchases", net.diff.ci95(), fewer);
        s.push_str(&format!(
            " Net change in all purchases: {} {}{rel}{ci}. Purchases lost can exceed what the channel sold without the policy: while it cannot take payment its sellers never sell out, so more purchases are chosen there; the net change is what the market loses.",
            amount("purchases", n, days_per_tick),
            if n >= 0.0 { "more" } else { "fewer" }
        ));
    }
    s
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
    fn significant_keeps_three_digits() {
        assert_eq!(significant(9.1345e12), "9.13tn");
        assert_eq!(significant(136476.0), "136k");
        assert_eq!(significant(0.0512), "0.0512");
        assert_eq!(significant(-4.25), "-4.25");
        assert_eq!(significant(f64::NAN), "-");
    }

    #[test]
    fn money_gets_a_suffix_and_zero_has_no_sign() {
        let t = effect_text("umkm_revenue_idr", &effect(2.5e12, 2.5e12, &[0.0, 0.0]));
        assert_eq!(t.baseline, "2.50tn");
        assert_eq!(t.diff, "0");
        // The same constant in both scenarios: nothing could have changed.
        assert_eq!(t.verdict, "does not vary in this model");
        assert_eq!(t.ci, "[0, 0]");
        // A 131bn change on a 3.47tn level reads in billions.
        let t = effect_text(
            "umkm_revenue_idr",
            &effect(3.47e12, 3.34e12, &[-1.30e11, -1.31e11, -1.32e11]),
        );
        assert_eq!(t.baseline, "3.47tn");
        assert_eq!(t.diff, "-131.0bn");
        assert!(t.ci.starts_with("[-133."), "{}", t.ci);
        assert_eq!(
            effect_text("purchases_lost", &effect(0.0, 3.0e6, &[3.0e6, 3.0e6])).baseline,
            "0"
        );
    }
}
