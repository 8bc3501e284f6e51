//! Numbers for people: shares as percentages and their differences in
//! percentage points, money and counts with k/M/bn/tn suffixes, and as many
//! decimals as the uncertainty deserves; in English or Indonesian (decimal
//! comma, rb/jt/M/T), see [`crate::lang`].

use crate::analysis::effects::Effect;
use crate::analysis::findings::{Finding, Quantity};
use crate::analysis::summary::{is_share, title_in};
use crate::lang::{Lang, fill};

/// How a metric's values are shown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    /// Values are multiplied by this before printing.
    pub factor: f64,
    /// A share, shown in percent and its differences in points.
    pub share: bool,
    /// The power of a thousand the values are shown in (0 to 4: units,
    /// thousands, millions, billions, trillions).
    pub thousands: usize,
}

impl Scale {
    /// The scale for `metric`, sized to `magnitude` (the largest absolute
    /// value to be shown).
    pub fn for_metric(metric: &str, magnitude: f64) -> Scale {
        if is_share(metric) {
            return Scale {
                factor: 100.0,
                share: true,
                thousands: 0,
            };
        }
        let (factor, thousands) = magnitude_suffix(magnitude);
        Scale {
            factor,
            share: false,
            thousands,
        }
    }

    /// The suffix of levels in table cells: "%", "bn", "M" (miliar).
    pub fn level_suffix(&self, lang: Lang) -> &'static str {
        if self.share {
            "%"
        } else {
            lang.short_suffix(self.thousands)
        }
    }

    /// The suffix of differences in table cells: " pp", " poin", "bn".
    pub fn diff_suffix(&self, lang: Lang) -> &'static str {
        match (self.share, lang) {
            (true, Lang::En) => " pp",
            (true, Lang::Id) => " poin",
            (false, _) => lang.short_suffix(self.thousands),
        }
    }
}

/// 1 and 0, or 1e-3 / 1e-6 / 1e-9 / 1e-12 and the power of a thousand
/// (1 to 4) that k / M / bn / tn name.
fn magnitude_suffix(magnitude: f64) -> (f64, usize) {
    let m = magnitude.abs();
    if m >= 1e12 {
        (1e-12, 4)
    } else if m >= 1e9 {
        (1e-9, 3)
    } else if m >= 1e6 {
        (1e-6, 2)
    } else if m >= 1e4 {
        (1e-3, 1)
    } else {
        (1.0, 0)
    }
}

/// A number with three significant digits and its power of a thousand
/// (9.13 and 4 for 9.13e12); `None` for no value.
fn three_digits(v: f64) -> Option<(String, usize)> {
    if !v.is_finite() {
        return None;
    }
    let (f, thousands) = magnitude_suffix(v);
    let x = v * f;
    let decimals = if x == 0.0 {
        0
    } else {
        (2 - libm::floor(libm::log10(x.abs())) as i64).clamp(0, 6) as usize
    };
    Some((format!("{x:.decimals$}"), thousands))
}

/// A number with three significant digits and a k / M / bn / tn suffix
/// (9.13tn, 136k, 0.0512); "-" for no value.
pub fn significant(v: f64) -> String {
    significant_in(v, Lang::En)
}

/// [`significant`] in `lang`: "9,13T" in Indonesian.
pub fn significant_in(v: f64, lang: Lang) -> String {
    match three_digits(v) {
        Some((x, k)) => format!("{}{}", lang.decimal(&x), lang.short_suffix(k)),
        None => "-".into(),
    }
}

/// A number for people, its suffix spaced: "177 bn", "3.42 M", "0.512".
pub fn human(v: f64) -> String {
    human_in(v, Lang::En)
}

/// [`human`] in `lang`, with the suffix in words in Indonesian: "177
/// miliar", "3,42 juta".
pub fn human_in(v: f64, lang: Lang) -> String {
    match three_digits(v) {
        Some((x, 0)) => lang.decimal(&x),
        Some((x, k)) => format!("{} {}", lang.decimal(&x), lang.word_suffix(k)),
        None => "-".into(),
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
    /// The verdict in the language asked for.
    pub verdict: &'static str,
    /// The verdict for machines and style sheets: `higher`, `lower`,
    /// `no_clear_change` or `does_not_vary`.
    pub direction: &'static str,
}

/// Format an effect of `metric` for a table, in `lang`. Levels and
/// differences are scaled separately (a 3.47tn level may change by 131bn).
pub fn effect_text(metric: &str, e: &Effect, lang: Lang) -> EffectText {
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
        let x = format!("{:.*}", significant_decimals(magnitude * f), v * f);
        format!("{}{}", lang.decimal(&x), level_scale.level_suffix(lang))
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
            lang.decimal(&format!("{:.*}", diff_decimals, 0.0))
        } else {
            lang.decimal(&s)
        }
    };
    let ci = match ci {
        // Indonesian numbers carry commas: their pair is split by a
        // semicolon.
        Some((low, high)) => match lang {
            Lang::En => format!("[{}, {}]", signed(low), signed(high)),
            Lang::Id => format!("[{}; {}]", signed(low), signed(high)),
        },
        None => String::new(),
    };
    let diff = signed(e.diff.mean);
    let suffix = if diff_scale.share || diff != "0" {
        diff_scale.diff_suffix(lang)
    } else {
        ""
    };
    EffectText {
        baseline: level(e.baseline.mean),
        policy: level(e.policy.mean),
        diff: format!("{diff}{suffix}"),
        ci,
        verdict: verdict(e, lang),
        direction: crate::output::compare::direction(e),
    }
}

/// Whether an effect has nothing to show: both scenarios exactly 0 in
/// every replicate (e.g. commissions on the offline channel).
pub fn all_zero(e: &Effect) -> bool {
    e.baseline.mean == 0.0 && e.baseline.sd == 0.0 && e.policy.mean == 0.0 && e.policy.sd == 0.0
}

/// "higher", "lower", "no clear change" (95% interval holds 0), or "does
/// not vary in this model" (the same constant in both scenarios), in
/// `lang`.
pub fn verdict(e: &Effect, lang: Lang) -> &'static str {
    let w = lang.words();
    match crate::output::compare::direction(e) {
        "higher" => w.higher,
        "lower" => w.lower,
        "does_not_vary" => w.does_not_vary,
        _ => w.no_clear_change,
    }
}

/// "a week" for weekly ticks, "a day", or "per 3-day tick".
pub fn per_tick(days_per_tick: u32, lang: Lang) -> String {
    let w = lang.words();
    match days_per_tick {
        7 => w.week.into(),
        1 => w.day.into(),
        n => fill(w.per_n_days, &[&n.to_string()]),
    }
}

/// A percentage with `decimals` decimals, in `lang`: "54.6%", "54,6%".
pub fn percent(v: f64, decimals: usize, lang: Lang) -> String {
    lang.decimal(&format!("{:.*}%", decimals, 100.0 * v))
}

/// A signed relative change: "+3.9%", "-3,9%".
pub fn signed_percent(v: f64, lang: Lang) -> String {
    lang.decimal(&format!("{:+.1}%", 100.0 * v))
}

/// An amount of `metric` in words with its unit: "Rp 177 bn a week",
/// "1.20 percentage points", "3.4 M purchases a week".
fn amount(metric: &str, v: f64, days_per_tick: u32, lang: Lang) -> String {
    let w = lang.words();
    let per = per_tick(days_per_tick, lang);
    let n = human_in(v.abs(), lang);
    match Quantity::of(metric) {
        Quantity::Share => fill(
            w.amount_share,
            &[&lang.decimal(&format!("{:.2}", 100.0 * v.abs()))],
        ),
        Quantity::Rupiah => format!("Rp {n} {per}"),
        Quantity::Purchases => fill(w.amount_purchases, &[&n, &per]),
        Quantity::Sellers => fill(w.amount_sellers, &[&n]),
        Quantity::Other => n,
    }
}

/// The bare number of an amount, for an interval after the amount itself:
/// "Rp 134 bn", "1.54".
fn bare(metric: &str, v: f64, lang: Lang) -> String {
    match Quantity::of(metric) {
        Quantity::Share => lang.decimal(&format!("{:.2}", 100.0 * v.abs())),
        Quantity::Rupiah => format!("Rp {}", human_in(v.abs(), lang)),
        _ => human_in(v.abs(), lang),
    }
}

/// A level of `metric` for a sentence: "54.6%", "Rp 5.36 tn".
fn level(metric: &str, v: f64, lang: Lang) -> String {
    match Quantity::of(metric) {
        Quantity::Share => percent(v, 1, lang),
        Quantity::Rupiah => format!("Rp {}", human_in(v, lang)),
        _ => human_in(v, lang),
    }
}

/// ", 95% interval Rp 52.5 bn to Rp 377 bn less" (one side of zero) or
/// ", 95% interval from 1.2 lower to 3.4 higher" (across it).
fn interval_words(
    metric: &str,
    ci: Option<(f64, f64)>,
    way: impl Fn(f64) -> &'static str,
    lang: Lang,
) -> String {
    let w = lang.words();
    match ci {
        Some((lo, hi)) if lo.signum() == hi.signum() && lo != 0.0 => fill(
            w.interval_one_side,
            &[
                &bare(metric, lo.abs().min(hi.abs()), lang),
                &bare(metric, lo.abs().max(hi.abs()), lang),
                way(lo),
            ],
        ),
        Some((lo, hi)) => fill(
            w.interval_across,
            &[
                &bare(metric, lo, lang),
                way(lo),
                &bare(metric, hi, lang),
                way(hi),
            ],
        ),
        None => String::new(),
    }
}

/// A key finding in words, with units and its interval, in `lang`: "UMKM
/// revenue: Rp 177 bn a week less (−6.0%; from Rp 2.95 tn to Rp 2.77 tn),
/// 95% interval Rp 120 bn to Rp 230 bn less."
pub fn finding_sentence(f: &Finding, days_per_tick: u32, lang: Lang) -> String {
    let w = lang.words();
    let e = &f.effect;
    let m = f.key.metric.as_str();
    let title = title_in(&f.key, lang);
    let (up, down) = match Quantity::of(m) {
        Quantity::Share => (w.share_up, w.share_down),
        Quantity::Purchases | Quantity::Sellers => (w.count_up, w.count_down),
        Quantity::Rupiah | Quantity::Other => (w.money_up, w.money_down),
    };
    let d = e.diff.mean;
    let way = |v: f64| if v >= 0.0 { up } else { down };
    let rel = if Quantity::of(m) == Quantity::Share {
        String::new()
    } else {
        e.rel_change()
            .filter(|_| e.baseline.mean.abs() > 0.0)
            .map_or(String::new(), |x| format!("{}; ", signed_percent(x, lang)))
    };
    let from_to = fill(
        w.from_level_to,
        &[
            &level(m, e.baseline.mean, lang),
            &level(m, e.policy.mean, lang),
        ],
    );
    let interval = interval_words(m, e.diff.ci95(), way, lang);
    let amount_now = amount(m, d, days_per_tick, lang);
    let mut s = if f.clear {
        fill(
            w.finding_clear,
            &[
                &title,
                &amount_now,
                way(d),
                &format!("{rel}{from_to}"),
                &interval,
            ],
        )
    } else {
        fill(
            w.finding_unclear,
            &[&title, &from_to, &amount_now, way(d), &interval],
        )
    };
    if let Some(net) = &f.net_purchases {
        let n = net.diff.mean;
        let rel = net
            .rel_change()
            .map_or(String::new(), |x| format!(" ({})", signed_percent(x, lang)));
        let fewer = |v: f64| if v >= 0.0 { w.count_up } else { w.count_down };
        let ci = interval_words("purchases", net.diff.ci95(), fewer, lang);
        s.push_str(&fill(
            w.net_purchases,
            &[
                &amount("purchases", n, days_per_tick, lang),
                fewer(n),
                &rel,
                &ci,
            ],
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
        let t = effect_text(
            "gmv_share",
            &effect(0.412, 0.430, &[0.017, 0.018, 0.019]),
            Lang::En,
        );
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
        let t = effect_text(
            "umkm_revenue_idr",
            &effect(2.5e12, 2.5e12, &[0.0, 0.0]),
            Lang::En,
        );
        assert_eq!(t.baseline, "2.50tn");
        assert_eq!(t.diff, "0");
        // The same constant in both scenarios: nothing could have changed.
        assert_eq!(t.verdict, "does not vary in this model");
        assert_eq!(t.ci, "[0, 0]");
        // A 131bn change on a 3.47tn level reads in billions.
        let t = effect_text(
            "umkm_revenue_idr",
            &effect(3.47e12, 3.34e12, &[-1.30e11, -1.31e11, -1.32e11]),
            Lang::En,
        );
        assert_eq!(t.baseline, "3.47tn");
        assert_eq!(t.diff, "-131.0bn");
        assert!(t.ci.starts_with("[-133."), "{}", t.ci);
        assert_eq!(
            effect_text(
                "purchases_lost",
                &effect(0.0, 3.0e6, &[3.0e6, 3.0e6]),
                Lang::En
            )
            .baseline,
            "0"
        );
    }

    #[test]
    fn indonesian_numbers_read_as_indonesian() {
        let e = effect(3.47e12, 3.34e12, &[-1.30e11, -1.31e11, -1.32e11]);
        let t = effect_text("umkm_revenue_idr", &e, Lang::Id);
        assert_eq!(t.baseline, "3,47T");
        assert_eq!(t.diff, "-131,0M");
        assert!(
            t.ci.starts_with("[-133,") && t.ci.contains("; "),
            "{}",
            t.ci
        );
        assert_eq!(t.verdict, "turun");
        assert_eq!(t.direction, "lower");
        let t = effect_text(
            "gmv_share",
            &effect(0.412, 0.430, &[0.017, 0.018, 0.019]),
            Lang::Id,
        );
        assert_eq!(
            (t.baseline.as_str(), t.diff.as_str()),
            ("41,2%", "+1,80 poin")
        );
        assert_eq!(human_in(1.77e11, Lang::Id), "177 miliar");
        assert_eq!(human_in(5.45e12, Lang::Id), "5,45 triliun");
        assert_eq!(human_in(1.77e11, Lang::En), "177 bn");
    }

    #[test]
    fn a_finding_reads_in_either_language() {
        use crate::analysis::findings::Finding;
        use crate::analysis::panel::SeriesKey;
        let f = Finding {
            key: SeriesKey::new("umkm_revenue_idr", "all", "all"),
            effect: effect(5.45e12, 5.23e12, &[-2.1e11, -2.2e11, -2.3e11]),
            clear: true,
            focus: false,
            net_purchases: None,
        };
        let en = finding_sentence(&f, 7, Lang::En);
        assert!(en.starts_with("UMKM revenue: Rp 220 bn a week less (-4.0%; from Rp 5.45 tn to Rp 5.23 tn), 95% interval Rp "), "{en}");
        let id = finding_sentence(&f, 7, Lang::Id);
        assert!(id.starts_with("Pendapatan UMKM: Rp 220 miliar per minggu lebih rendah (-4,0%; dari Rp 5,45 triliun menjadi Rp 5,23 triliun), interval 95% Rp "), "{id}");
        assert!(id.ends_with("lebih rendah."), "{id}");
    }
}
