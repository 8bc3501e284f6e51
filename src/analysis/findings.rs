//! Key findings and caveats of a comparison: which effects a briefing
//! leads with, and what a reader must know before quoting them. Pure: the
//! report and the terminal word them.
//!
//! Findings cover the metrics a policy question touches (UMKM revenue and
//! share, import penetration, each platform's share, purchases lost beside
//! the net change in purchases), then the other clear effects. They are
//! ranked by clarity and by absolute size on a common scale (a share of the
//! market's GMV, purchases or sellers), never by relative change, which a
//! near-zero base inflates.

use super::Comparison;
use super::effects::{Effect, TickRange, range_mean};
use super::panel::SeriesKey;
use super::summary::{SummaryRow, Window, is_share};
use crate::scenario::Scenario;

/// The metrics every policy's findings cover, when the run records them.
pub const COVERED: &[(&str, &str, Option<&str>)] = &[
    ("umkm_revenue_idr", "all", None),
    ("gmv_share", "kind", Some("umkm")),
    ("import_penetration", "all", None),
    ("gmv_share", "channel", None),
    ("purchases_lost", "all", None),
];

/// Whether a series is one of the [`COVERED`] metrics.
pub fn is_covered(key: &SeriesKey) -> bool {
    COVERED.iter().any(|(m, by, group)| {
        key.metric == *m && key.by == *by && group.is_none_or(|g| key.group == g)
    })
}

/// One finding: a headline effect over the last 13 weeks.
#[derive(Debug, Clone)]
pub struct Finding {
    pub key: SeriesKey,
    pub effect: Effect,
    /// Named by `--focus`.
    pub focus: bool,
    /// Its 95% interval excludes zero.
    pub clear: bool,
    /// For purchases lost: the net change in all purchases.
    pub net_purchases: Option<Effect>,
}

/// Whether a series is the same constant in both scenarios and every
/// replicate: it does not vary in this model.
pub fn is_constant(e: &Effect) -> bool {
    e.baseline.sd == 0.0 && e.policy.sd == 0.0 && e.diff.sd == 0.0 && e.diff.mean == 0.0
}

/// Whether `key` matches a `--focus` item: a metric name (its `all` series,
/// or every group when it has none), or `metric/by/group`.
pub fn matches_focus(key: &SeriesKey, item: &str, has_all: bool) -> bool {
    let mut parts = item.split('/');
    let metric = parts.next().unwrap_or("");
    match (parts.next(), parts.next()) {
        (Some(by), Some(group)) => key.metric == metric && key.by == by && key.group == group,
        (Some(by), None) => key.metric == metric && key.by == by,
        _ => key.metric == metric && (!has_all || key.by == "all"),
    }
}

/// What a metric counts, for comparing and wording its effects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantity {
    /// A share or index in [0, 1].
    Share,
    /// Rupiah (`*_idr`).
    Rupiah,
    /// Purchases (attempts, decisions, completed, lost, chosen again).
    Purchases,
    /// Sellers (alive, entering, exiting).
    Sellers,
    Other,
}

impl Quantity {
    pub fn of(metric: &str) -> Quantity {
        if is_share(metric) {
            Quantity::Share
        } else if metric.ends_with("_idr") {
            Quantity::Rupiah
        } else if metric.starts_with("purchase") {
            Quantity::Purchases
        } else if metric.starts_with("sellers") || metric == "entries" || metric == "exits" {
            Quantity::Sellers
        } else {
            Quantity::Other
        }
    }
}

/// The scale an effect is compared on across metrics: shares as they are,
/// rupiah over the baseline's total GMV, purchases over all purchases,
/// sellers over all sellers.
fn common_scale(metric: &str, totals: &Totals) -> Option<f64> {
    let total = match Quantity::of(metric) {
        Quantity::Share => return Some(1.0),
        Quantity::Rupiah => totals.gmv,
        Quantity::Purchases => totals.purchases,
        Quantity::Sellers => totals.sellers,
        Quantity::Other => None,
    }?;
    (total > 0.0).then_some(total)
}

#[derive(Debug, Default)]
struct Totals {
    gmv: Option<f64>,
    purchases: Option<f64>,
    sellers: Option<f64>,
}

/// A policy's findings, focus first, then the covered metrics, then the
/// other clear effects; constant series left out.
pub fn key_findings(rows: &[SummaryRow], policy: &str, focus: &[String]) -> Vec<Finding> {
    let mine: Vec<&SummaryRow> = rows
        .iter()
        .filter(|r| r.policy == policy && r.window == Window::Last13Weeks)
        .collect();
    let base_of = |metric: &str, by: &str| {
        mine.iter()
            .find(|r| r.key.metric == metric && r.key.by == by)
            .map(|r| r.effect.baseline.mean)
    };
    let totals = Totals {
        gmv: base_of("gmv_idr", "all"),
        purchases: base_of("purchases", "all"),
        sellers: base_of("sellers_alive", "all"),
    };
    let has_all = |metric: &str| {
        mine.iter()
            .any(|r| r.key.metric == metric && r.key.by == "all")
    };
    let net = mine
        .iter()
        .find(|r| r.key.metric == "purchases" && r.key.by == "all")
        .map(|r| r.effect);
    let finding = |r: &SummaryRow, focus: bool| Finding {
        key: r.key.clone(),
        effect: r.effect,
        focus,
        clear: r.effect.diff.significant(),
        net_purchases: net.filter(|_| r.key.metric == "purchases_lost"),
    };
    // Clearer first, then larger on the common scale.
    let rank = |f: &Finding| {
        let t = f
            .effect
            .diff
            .se()
            .filter(|&se| se > 0.0)
            .map_or(0.0, |se| (f.effect.diff.mean / se).abs());
        let size = common_scale(&f.key.metric, &totals)
            .map_or(0.0, |scale| f.effect.diff.mean.abs() / scale);
        (f.clear, size, t)
    };
    let by_rank = |a: &Finding, b: &Finding| {
        let (ca, sa, ta) = rank(a);
        let (cb, sb, tb) = rank(b);
        cb.cmp(&ca).then(sb.total_cmp(&sa)).then(tb.total_cmp(&ta))
    };
    let mut taken: Vec<SeriesKey> = Vec::new();
    let mut out = Vec::new();
    let push_group = |group: Vec<Finding>, out: &mut Vec<Finding>, taken: &mut Vec<SeriesKey>| {
        let mut group: Vec<Finding> = group
            .into_iter()
            .filter(|f| !taken.contains(&f.key) && !is_constant(&f.effect))
            .collect();
        group.sort_by(by_rank);
        for f in group {
            taken.push(f.key.clone());
            out.push(f);
        }
    };
    for item in focus {
        let group = mine
            .iter()
            .filter(|r| matches_focus(&r.key, item, has_all(item.split('/').next().unwrap_or(""))))
            .map(|r| finding(r, true))
            .collect();
        push_group(group, &mut out, &mut taken);
    }
    let covered = mine
        .iter()
        .filter(|r| is_covered(&r.key))
        .map(|r| finding(r, false))
        .collect();
    push_group(covered, &mut out, &mut taken);
    let others = mine
        .iter()
        .filter(|r| r.effect.diff.significant())
        .map(|r| finding(r, false))
        .collect();
    push_group(others, &mut out, &mut taken);
    out
}

/// Every policy's findings, by policy name in the comparison's order.
pub fn all_findings(
    cmp: &Comparison,
    rows: &[SummaryRow],
    focus: &[String],
) -> Vec<(String, Vec<Finding>)> {
    cmp.policies
        .iter()
        .map(|p| (p.name().to_string(), key_findings(rows, p.name(), focus)))
        .collect()
}

/// What a reader must know about a comparison, computed from it.
#[derive(Debug, Clone)]
pub struct Caveats {
    pub replicates: usize,
    /// Covered or focus effects whose interval holds zero, with the
    /// replicates that would make an effect of that size clear, and the
    /// `--precision` target that would settle it.
    pub unsettled: Vec<Unsettled>,
    /// Headline series that are the same constant in both scenarios.
    pub constant: Vec<SeriesKey>,
    /// The baseline's online GMV a week over 2022, when its horizon
    /// covers that year (the rupiah benchmark's period).
    pub online_gmv_2022: Option<f64>,
    /// Each scenario's events left out by its horizon.
    pub dropped: Vec<(String, Vec<crate::scenario::DroppedEvent>)>,
}

#[derive(Debug, Clone)]
pub struct Unsettled {
    pub key: SeriesKey,
    /// About how many paired replicates would put zero outside the 95%
    /// interval, if the mean difference stayed the same.
    pub replicates_needed: Option<u64>,
    /// A `--precision METRIC=X` half-width that would settle it.
    pub precision: Option<f64>,
}

/// Bank Indonesia's e-commerce value in 2022, Rp476.3 tn (S23), a week:
/// the benchmark that fixes pasar's rupiah level (docs/CALIBRATION.md).
pub const BI_ONLINE_GMV_2022_WEEK_IDR: f64 = 9.13e12;
/// The tolerance of that benchmark in the fit (its `sd`).
pub const BI_ONLINE_GMV_2022_SD_IDR: f64 = 2.3e12;

/// Bank Indonesia's e-commerce transactions in 2022, a week: 3.49 bn ×
/// 7 / 365 (S23), and the fit's tolerance (25%).
pub const BI_ONLINE_ORDERS_2022_WEEK: f64 = 66.93e6;
pub const BI_ONLINE_ORDERS_2022_SD: f64 = 16.7e6;

pub fn caveats(
    cmp: &Comparison,
    rows: &[SummaryRow],
    findings: &[(String, Vec<Finding>)],
) -> Caveats {
    let replicates = cmp.paired_replicates();
    let mut unsettled = Vec::new();
    for (_, list) in findings {
        for f in list.iter().filter(|f| !f.clear) {
            let d = &f.effect.diff;
            let needed = (d.mean != 0.0 && d.sd > 0.0)
                .then(|| (1.96 * d.sd / d.mean.abs()).powi(2).ceil() as u64 + 1);
            unsettled.push(Unsettled {
                key: f.key.clone(),
                replicates_needed: needed,
                precision: (d.mean != 0.0).then(|| d.mean.abs() / 2.0),
            });
        }
    }
    // The cross-tabulations' constant cells (affiliates on every channel
    // of a run without Project S) would bury the rest.
    let mut constant: Vec<SeriesKey> = rows
        .iter()
        .filter(|r| r.window == Window::Last13Weeks && is_constant(&r.effect))
        .filter(|r| {
            super::summary::headline_of(&r.key)
                .is_none_or(|h| h.part != super::summary::Part::CrossTabulations)
        })
        .map(|r| r.key.clone())
        .collect();
    constant.sort();
    constant.dedup();
    let dropped = std::iter::once(&cmp.baseline)
        .chain(cmp.policies.iter())
        .map(|a| (a.name().to_string(), a.scenario.dropped_events.clone()))
        .filter(|(_, d)| !d.is_empty())
        .collect();
    Caveats {
        replicates,
        unsettled,
        constant,
        online_gmv_2022: online_gmv_2022(&cmp.baseline.scenario, &cmp.baseline.panel),
        dropped,
    }
}

/// The baseline's mean weekly online GMV over 2022 (all GMV less the
/// offline channels'), when the run covers the whole year.
fn online_gmv_2022(s: &Scenario, panel: &super::panel::Panel) -> Option<f64> {
    let first = s.tick_of_date("2022-01-03".parse().ok()?)?;
    let last = s.tick_of_date("2022-12-26".parse().ok()?)?;
    let range = TickRange {
        from: first as usize,
        to: last as usize,
    };
    let offline = s
        .spec
        .channels_of_kind(crate::scenario::ChannelKind::Offline);
    let mean_of = |key: &SeriesKey| -> Option<f64> {
        let k = panel.key_index(key)?;
        let values: Vec<f64> = (0..panel.replicates().len())
            .filter_map(|r| range_mean(panel.series(r, k), range))
            .collect();
        (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
    };
    let all = mean_of(&SeriesKey::new("gmv_idr", "all", "all"))?;
    let off: f64 = offline
        .iter()
        .map(|k| mean_of(&SeriesKey::new("gmv_idr", "channel", k)).unwrap_or(0.0))
        .sum();
    // A weekly run only: the benchmark is a week's value.
    (s.spec.simulation.days_per_tick == 7).then_some(all - off)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::stats::Estimate;

    fn est(mean: f64, sd: f64) -> Estimate {
        Estimate { mean, sd, n: 8 }
    }

    fn row(metric: &str, by: &str, group: &str, base: f64, diff: f64, sd: f64) -> SummaryRow {
        SummaryRow {
            policy: "p".into(),
            key: SeriesKey::new(metric, by, group),
            window: Window::Last13Weeks,
            range: TickRange { from: 0, to: 12 },
            effect: Effect {
                baseline: est(base, sd),
                policy: est(base + diff, sd),
                diff: est(diff, sd),
            },
        }
    }

    fn rows() -> Vec<SummaryRow> {
        vec![
            row("gmv_idr", "all", "all", 1e13, -2e11, 1e10),
            row("purchases", "all", "all", 8e7, -2e6, 5e5),
            // A near-zero base: −131% but a tiny amount of the market.
            row("umkm_profit_idr", "all", "all", 1e9, -1.31e9, 1e8),
            // A large clear effect: 2% of all GMV.
            row("gmv_idr", "channel", "shopee", 4e11, 2e11, 1e10),
            row("umkm_revenue_idr", "all", "all", 5e12, -1e10, 5e10),
            row("import_penetration", "all", "all", 0.5, 0.001, 0.01),
            row("purchases_lost", "all", "all", 0.0, 1e7, 1e5),
            row("exits", "size_class", "medium", 0.0, 0.0, 0.0),
        ]
    }

    #[test]
    fn covered_metrics_come_first_then_clear_effects_by_absolute_size() {
        let list = key_findings(&rows(), "p", &[]);
        let names: Vec<&str> = list.iter().map(|f| f.key.metric.as_str()).collect();
        // The covered metrics, clear before unclear.
        assert_eq!(
            &names[..3],
            ["purchases_lost", "umkm_revenue_idr", "import_penetration"]
        );
        // Then the others that are clear, larger on the common scale first:
        // Shopee's Rp200 bn (2% of GMV) before the profit's −131% of a
        // near-zero base (0.01% of GMV).
        let shopee = names.iter().position(|&n| n == "gmv_idr").unwrap_or(99);
        let profit = names
            .iter()
            .position(|&n| n == "umkm_profit_idr")
            .unwrap_or(99);
        assert!(shopee < profit, "{names:?}");
        assert!(!list[1].clear && !list[2].clear);
        // Purchases lost come with the net change in all purchases.
        assert!(list[0].net_purchases.is_some());
        // A constant series is never a finding.
        assert!(list.iter().all(|f| f.key.metric != "exits"));
    }

    #[test]
    fn focus_leads_and_matches_metric_names_or_full_keys() {
        let focus = vec![
            "umkm_profit_idr".to_string(),
            "gmv_idr/channel/shopee".to_string(),
        ];
        let list = key_findings(&rows(), "p", &focus);
        assert_eq!(list[0].key.metric, "umkm_profit_idr");
        assert_eq!(list[1].key, SeriesKey::new("gmv_idr", "channel", "shopee"));
        assert!(list[0].focus && list[1].focus && !list[2].focus);
        // A metric name picks its `all` series when it has one.
        let all = SeriesKey::new("gmv_idr", "all", "all");
        let shopee = SeriesKey::new("gmv_idr", "channel", "shopee");
        assert!(matches_focus(&all, "gmv_idr", true));
        assert!(!matches_focus(&shopee, "gmv_idr", true));
        assert!(matches_focus(&shopee, "gmv_idr", false));
        assert!(matches_focus(&shopee, "gmv_idr/channel", true));
    }

    #[test]
    fn constant_series_are_told_apart_from_unclear_ones() {
        let r = rows();
        assert!(is_constant(&r[7].effect));
        assert!(!is_constant(&r[5].effect));
        assert_eq!(
            crate::output::compare::direction(&r[7].effect),
            "does_not_vary"
        );
    }
}
