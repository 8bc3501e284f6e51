//! The headline table: a policy's effects on the metrics a briefing asks
//! about, at the last tick, over the last 13 weeks, and 4, 13 and 52 weeks
//! after each of the policy's own events.

use super::effects::{Effect, TickRange, paired_effect};
use super::panel::{Panel, SeriesKey};
use crate::lang::{Lang, fill};
use crate::metrics::{By, METRICS, Metric};
use crate::scenario::{Date, Scenario};

/// A headline metric: every group of `by`, or only `group`.
#[derive(Debug, Clone, Copy)]
pub struct Headline {
    pub metric: Metric,
    pub by: By,
    pub group: Option<&'static str>,
    /// The part of the table it belongs to.
    pub part: Part,
    /// Whether the report charts it (the cross-tabulations are tables only).
    pub chart: bool,
}

/// The parts of the headline table, by the question they answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Who wins: platforms, their owners, offline.
    Platforms,
    /// Which sellers: UMKM, importers, affiliates.
    Sellers,
    /// What consumers get: purchases, surplus.
    Consumers,
    /// Who sells what on each platform (kind and origin by channel).
    CrossTabulations,
}

impl Part {
    pub const ALL: [Part; 4] = [
        Part::Platforms,
        Part::Sellers,
        Part::Consumers,
        Part::CrossTabulations,
    ];

    pub fn title(self) -> &'static str {
        self.title_in(Lang::En)
    }

    /// The part's heading in `lang`.
    pub fn title_in(self, lang: Lang) -> &'static str {
        let w = lang.words();
        match self {
            Part::Platforms => w.part_platforms,
            Part::Sellers => w.part_sellers,
            Part::Consumers => w.part_consumers,
            Part::CrossTabulations => w.part_cross,
        }
    }
}

const fn headline(metric: Metric, by: By, part: Part, chart: bool) -> Headline {
    Headline {
        metric,
        by,
        group: None,
        part,
        chart,
    }
}

/// The headline metrics, in the order of the table.
pub const HEADLINES: &[Headline] = &[
    headline(Metric::GmvShare, By::Channel, Part::Platforms, true),
    headline(Metric::GmvShare, By::Owner, Part::Platforms, false),
    headline(Metric::GmvIdr, By::Channel, Part::Platforms, false),
    // GMV found on each channel, wherever it was paid for: what a social
    // channel under a payment ban keeps through its checkout partner.
    headline(Metric::GmvIdr, By::DiscoveryChannel, Part::Platforms, false),
    // Tables only: the shares above chart the same moves.
    headline(Metric::CommissionIdr, By::Channel, Part::Platforms, false),
    headline(Metric::GmvShare, By::Kind, Part::Sellers, true),
    headline(Metric::GmvIdr, By::Kind, Part::Sellers, false),
    headline(Metric::GmvShare, By::Origin, Part::Sellers, true),
    headline(Metric::ImportPenetration, By::All, Part::Sellers, true),
    headline(Metric::ImportPenetration, By::Channel, Part::Sellers, false),
    Headline {
        group: Some("umkm"),
        ..headline(Metric::SellersAlive, By::Kind, Part::Sellers, true)
    },
    headline(Metric::UmkmRevenueIdr, By::All, Part::Sellers, true),
    headline(Metric::UmkmProfitIdr, By::All, Part::Sellers, true),
    // Segments: by size class, and by whether the seller sold on social
    // before the segment date (tables only).
    headline(Metric::UmkmRevenueIdr, By::SizeClass, Part::Sellers, false),
    headline(Metric::SellersAlive, By::SizeClass, Part::Sellers, false),
    headline(Metric::Exits, By::SizeClass, Part::Sellers, false),
    headline(
        Metric::UmkmRevenueIdr,
        By::SocialSegment,
        Part::Sellers,
        false,
    ),
    headline(
        Metric::UmkmProfitIdr,
        By::SocialSegment,
        Part::Sellers,
        false,
    ),
    headline(
        Metric::SellersAlive,
        By::SocialSegment,
        Part::Sellers,
        false,
    ),
    headline(Metric::PurchasesLost, By::All, Part::Consumers, true),
    // Beside purchases lost, the net change in all purchases.
    headline(Metric::Purchases, By::All, Part::Consumers, false),
    headline(Metric::ConsumerSurplusIdr, By::All, Part::Consumers, true),
    headline(
        Metric::GmvIdr,
        By::KindChannel,
        Part::CrossTabulations,
        false,
    ),
    headline(
        Metric::GmvIdr,
        By::OriginChannel,
        Part::CrossTabulations,
        false,
    ),
];

/// The headline entry a series belongs to.
pub fn headline_of(key: &SeriesKey) -> Option<&'static Headline> {
    HEADLINES.iter().find(|h| {
        key.metric == h.metric.def().name
            && key.by == h.by.as_str()
            && h.group.is_none_or(|g| key.group == g)
    })
}

/// The headline series present in `panel`, in table order.
pub fn headline_keys(panel: &Panel) -> Vec<SeriesKey> {
    HEADLINES
        .iter()
        .flat_map(|h| {
            panel.keys().iter().filter(move |k| {
                k.metric == h.metric.def().name
                    && k.by == h.by.as_str()
                    && h.group.is_none_or(|g| k.group == g)
            })
        })
        .cloned()
        .collect()
}

/// The groups of `by` in a scenario, by name.
fn groups(names: &crate::metrics::GroupNames, by: By) -> Vec<String> {
    (0..names.count(by))
        .map(|g| names.name(by, g as u16).to_string())
        .collect()
}

/// Every series a scenario records, in the order of `series.csv`, named
/// from its channels and categories (without running it).
pub fn all_series(scenario: &Scenario) -> Vec<SeriesKey> {
    let names = crate::metrics::GroupNames::of(scenario);
    let mut out = Vec::new();
    for def in METRICS {
        for &by in def.by {
            for group in groups(&names, by) {
                out.push(SeriesKey::new(def.name, by.as_str(), &group));
            }
        }
    }
    out
}

/// The headline series a scenario records, in table order.
pub fn headline_series(scenario: &Scenario) -> Vec<SeriesKey> {
    let names = crate::metrics::GroupNames::of(scenario);
    let mut out = Vec::new();
    for h in HEADLINES {
        for group in groups(&names, h.by) {
            if h.group.is_none_or(|want| want == group) {
                out.push(SeriesKey::new(h.metric.def().name, h.by.as_str(), &group));
            }
        }
    }
    out
}

/// A short human title for a series: "GMV share, kind umkm".
pub fn title(key: &SeriesKey) -> String {
    title_in(key, Lang::En)
}

/// A series' title in `lang`: "GMV share, kind umkm", "Pangsa GMV, jenis
/// umkm". Names the user chose (channels, categories, owners) stay as
/// written.
pub fn title_in(key: &SeriesKey, lang: Lang) -> String {
    let w = lang.words();
    let metric = match key.metric.as_str() {
        "gmv_idr" => w.m_gmv,
        "gmv_share" => w.m_gmv_share,
        "import_penetration" => w.m_import_penetration,
        "sellers_alive" => w.m_sellers_alive,
        "umkm_revenue_idr" => w.m_umkm_revenue,
        "umkm_profit_idr" => w.m_umkm_profit,
        "umkm_subsidy_idr" => w.m_umkm_subsidy,
        "purchases_lost" => w.m_purchases_lost,
        "purchases" => w.m_purchases,
        "consumer_surplus_idr" => w.m_consumer_surplus,
        "commission_idr" => w.m_commissions,
        "purchases_redirected" => w.m_redirected,
        "hhi" => w.m_hhi,
        "exits" => w.m_exits,
        "sellers_by_revenue_change" => w.m_by_revenue_change,
        other => other,
    };
    // The model's own group names (kinds, origins, classes) in words.
    let group_word = |g: &str| -> String {
        match g {
            "domestic" => w.domestic.into(),
            "imported" => w.imported.into(),
            "importer" => w.importer.into(),
            "affiliate" => w.affiliate.into(),
            "umkm" => w.umkm.into(),
            "micro" => w.micro.into(),
            "small" => w.small.into(),
            "medium" => w.medium.into(),
            other => other.to_string(),
        }
    };
    match key.by.as_str() {
        "all" => metric.to_string(),
        // "umkm_on_shopee": the group says it all.
        "kind_channel" | "origin_channel" => match key.group.split_once("_on_") {
            Some((who, channel)) => fill(w.on_channel, &[metric, &group_word(who), channel]),
            None => format!("{metric}, {}", key.group),
        },
        "discovery_channel" => fill(w.found_on, &[metric, &key.group]),
        "size_class" => fill(w.size_class, &[metric, &group_word(&key.group)]),
        "social_segment" => match key.group.as_str() {
            "sold_on_social" => fill(w.sold_on_social, &[metric]),
            _ => fill(w.not_on_social, &[metric]),
        },
        by => {
            let by_word = match by {
                "kind" => w.by_kind.to_string(),
                "origin" => w.by_origin.to_string(),
                "channel" => w.by_channel.to_string(),
                "category" => w.by_category.to_string(),
                "owner" => w.by_owner.to_string(),
                "nest" => w.by_nest.to_string(),
                other => other.replace('_', " "),
            };
            fill(w.by_group, &[metric, &by_word, &group_word(&key.group)])
        }
    }
}

/// The unit of a metric, from the data dictionary.
pub fn unit(metric: &str) -> &'static str {
    METRICS
        .iter()
        .find(|m| m.name == metric)
        .map_or("", |m| m.unit)
}

/// The unit of a metric in `lang`.
pub fn unit_in(metric: &str, lang: Lang) -> &'static str {
    let w = lang.words();
    match unit(metric) {
        "IDR per tick" => w.u_idr_per_tick,
        "IDR per unit" => w.u_idr_per_unit,
        "index (0-1)" => w.u_index,
        "real attempts per tick" => w.u_attempts,
        "real decisions per tick" => w.u_decisions,
        "real purchases per tick" => w.u_purchases,
        "real sellers (by kind) or listings (by channel)" => w.u_sellers_or_listings,
        "real sellers" => w.u_sellers,
        "share (0-1)" => w.u_share,
        // A unit added to the dictionary without its words reads in
        // English until it gets them.
        other => other,
    }
}

/// Whether a metric is a dimensionless share or index (0-1), for which a
/// single `--precision` in its own unit makes sense.
pub fn is_share(metric: &str) -> bool {
    let u = unit(metric);
    u.starts_with("share") || u.starts_with("index")
}

/// An event of the policy scenario that the baseline does not have.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyEvent {
    /// The tick it takes effect in.
    pub tick: usize,
    /// Its date as written in the scenario (else the tick's first day).
    pub date: Date,
    /// "payment_ban social": the lever and the channel it acts on.
    pub label: String,
}

/// The policy's own events: those in its timeline and not in the baseline's.
pub fn policy_events(baseline: &Scenario, policy: &Scenario) -> Vec<PolicyEvent> {
    policy
        .timeline
        .iter()
        .filter(|e| {
            !baseline
                .timeline
                .iter()
                .any(|b| b.tick == e.tick && b.lever == e.lever)
        })
        .map(|e| dated_event(policy, e))
        .collect()
}

/// Every event of a scenario's timeline, dated and labelled.
pub fn scenario_events(s: &Scenario) -> Vec<PolicyEvent> {
    s.timeline.iter().map(|e| dated_event(s, e)).collect()
}

/// An event of `s`'s timeline with its date and its label: the lever and
/// the channel (or channels) it acts on.
fn dated_event(s: &Scenario, e: &crate::scenario::TimedEvent) -> PolicyEvent {
    let spec = s.spec.events.get(e.index);
    let mut label = e.lever.name().to_string();
    if let Some(channel) = spec.and_then(|s| s.arg("channel")?.as_str()) {
        label.push(' ');
        label.push_str(channel);
    } else if let Some(channels) = spec.and_then(|s| s.arg("channels")?.as_array()) {
        let names: Vec<&str> = channels.iter().filter_map(|c| c.as_str()).collect();
        label.push(' ');
        label.push_str(&names.join("+"));
    }
    PolicyEvent {
        tick: e.tick as usize,
        // The date as written, which may fall inside the tick.
        date: spec
            .and_then(|s| s.date)
            .unwrap_or_else(|| s.date_of_tick(e.tick)),
        label,
    }
}

/// Which ticks a row of the headline table summarises.
#[derive(Debug, Clone, PartialEq)]
pub enum Window {
    LastTick,
    Last13Weeks,
    AfterEvent { event: PolicyEvent, weeks: u32 },
}

impl Window {
    /// The `window` column of `summary.csv`.
    pub fn name(&self) -> &'static str {
        match self {
            Window::LastTick => "last_tick",
            Window::Last13Weeks => "last_13_weeks",
            Window::AfterEvent { .. } => "after_event",
        }
    }

    /// A phrase for tables: "4 wk after payment_ban social".
    pub fn describe(&self) -> String {
        self.describe_in(Lang::En)
    }

    /// The phrase in `lang`.
    pub fn describe_in(&self, lang: Lang) -> String {
        let w = lang.words();
        match self {
            Window::LastTick => w.window_last_tick.into(),
            Window::Last13Weeks => w.window_last13.into(),
            Window::AfterEvent { event, weeks } => {
                fill(w.window_after, &[&weeks.to_string(), &event.label])
            }
        }
    }
}

/// Weeks after an event at which effects are reported.
pub const WEEKS_AFTER: [u32; 3] = [4, 13, 52];

/// Ticks needed to cover `days` (at least one).
fn ticks_for_days(days: u32, days_per_tick: u32) -> usize {
    days.div_ceil(days_per_tick.max(1)).max(1) as usize
}

/// The last tick of a scenario's horizon.
pub fn last_tick(scenario: &Scenario) -> TickRange {
    TickRange::tick((scenario.ticks() as usize).saturating_sub(1))
}

/// The last 13 weeks of a scenario's horizon (the whole horizon if shorter).
pub fn last_13_weeks(scenario: &Scenario) -> TickRange {
    let ticks = scenario.ticks() as usize;
    let span = ticks_for_days(91, scenario.spec.simulation.days_per_tick).min(ticks);
    TickRange {
        from: ticks - span,
        to: ticks.saturating_sub(1),
    }
}

/// The windows of the headline table for a policy, with their ticks.
/// Points after an event that fall past the horizon are left out.
pub fn windows(policy: &Scenario, events: &[PolicyEvent]) -> Vec<(Window, TickRange)> {
    let ticks = policy.ticks() as usize;
    let dpt = policy.spec.simulation.days_per_tick;
    let mut out = vec![
        (Window::LastTick, last_tick(policy)),
        (Window::Last13Weeks, last_13_weeks(policy)),
    ];
    for event in events {
        for weeks in WEEKS_AFTER {
            let t = event.tick + ticks_for_days(7 * weeks, dpt);
            if t < ticks {
                out.push((
                    Window::AfterEvent {
                        event: event.clone(),
                        weeks,
                    },
                    TickRange::tick(t),
                ));
            }
        }
    }
    out
}

/// One row of the headline table.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    pub policy: String,
    pub key: SeriesKey,
    pub window: Window,
    pub range: TickRange,
    pub effect: Effect,
}

/// The headline table of one policy against the baseline.
pub fn summary_rows(baseline: (&Scenario, &Panel), policy: (&Scenario, &Panel)) -> Vec<SummaryRow> {
    let events = policy_events(baseline.0, policy.0);
    let windows = windows(policy.0, &events);
    let mut rows = Vec::new();
    for key in headline_keys(baseline.1) {
        for (window, range) in &windows {
            if let Some(effect) = paired_effect(baseline.1, policy.1, &key, *range) {
                rows.push(SummaryRow {
                    policy: policy.0.name().to_string(),
                    key: key.clone(),
                    window: window.clone(),
                    range: *range,
                    effect,
                });
            }
        }
    }
    rows
}

/// How precise each headline effect must be: a default for shares and
/// indices, and targets per metric in the metric's own unit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PrecisionTargets {
    /// Applies to every headline metric measured as a share or index (0-1).
    pub shares: Option<f64>,
    /// Metric name → largest acceptable 95% half-width, in its unit.
    pub per_metric: Vec<(String, f64)>,
}

impl PrecisionTargets {
    pub fn is_empty(&self) -> bool {
        self.shares.is_none() && self.per_metric.is_empty()
    }

    /// The target for `metric`, if it has one.
    pub fn target(&self, metric: &str) -> Option<f64> {
        self.per_metric
            .iter()
            .rev()
            .find(|(m, _)| m == metric)
            .map(|(_, x)| *x)
            .or(self.shares.filter(|_| is_share(metric)))
    }
}

/// A precision target that cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("precision target `{given}`: {message}\n  help: {help}")]
pub struct PrecisionError {
    pub given: String,
    pub message: String,
    pub help: String,
}

impl PrecisionTargets {
    /// `0.005` (shares and indices) and `umkm_revenue_idr=1e9` (a headline
    /// metric in its unit). A target given twice is refused.
    pub fn parse(values: &[String]) -> Result<PrecisionTargets, PrecisionError> {
        let mut targets = PrecisionTargets::default();
        let mut headline: Vec<&str> = Vec::new();
        for h in HEADLINES {
            if !headline.contains(&h.metric.def().name) {
                headline.push(h.metric.def().name);
            }
        }
        for v in values {
            let bad = |message: String, help: String| PrecisionError {
                given: v.clone(),
                message,
                help,
            };
            let (metric, number) = match v.split_once('=') {
                Some((m, x)) => (Some(m.trim()), x.trim()),
                None => (None, v.trim()),
            };
            let x: f64 = number.parse().map_err(|_| {
                bad(
                    format!("`{number}` is not a number"),
                    "write 0.005 (shares) or umkm_revenue_idr=1e9".into(),
                )
            })?;
            if !(x.is_finite() && x > 0.0) {
                return Err(bad(
                    "the half-width must be a positive number".into(),
                    "e.g. 0.005 for half a percentage point".into(),
                ));
            }
            match metric {
                None if targets.shares.is_some() => {
                    return Err(bad(
                        "a target for shares is given twice".into(),
                        "give one".into(),
                    ));
                }
                None => targets.shares = Some(x),
                Some(m) if targets.per_metric.iter().any(|(n, _)| n == m) => {
                    return Err(bad(
                        format!("`{m}` has a target already"),
                        "give each metric one target".into(),
                    ));
                }
                Some(m) if headline.contains(&m) => targets.per_metric.push((m.to_string(), x)),
                Some(m) => {
                    let known = crate::metrics::METRICS.iter().any(|d| d.name == m);
                    let suggestion =
                        crate::scenario::error::did_you_mean(m, headline.iter().copied())
                            .map(|s| format!(" (did you mean {s}?)"))
                            .unwrap_or_default();
                    let why = if known {
                        "is not a headline metric"
                    } else {
                        "is not a metric"
                    };
                    return Err(bad(
                        format!("`{m}` {why}{suggestion}"),
                        format!(
                            "targets can be set for the headline metrics: {}",
                            headline.join(", ")
                        ),
                    ));
                }
            }
        }
        Ok(targets)
    }
}

/// A headline effect whose interval is still too wide.
#[derive(Debug, Clone, PartialEq)]
pub struct Imprecise {
    pub row: usize,
    /// 95% half-width (infinite with fewer than two replicates).
    pub half_width: f64,
    pub target: f64,
}

/// The rows whose 95% half-width is not below their target.
pub fn imprecise(rows: &[SummaryRow], targets: &PrecisionTargets) -> Vec<Imprecise> {
    rows.iter()
        .enumerate()
        .filter_map(|(i, row)| {
            let target = targets.target(&row.key.metric)?;
            let half_width = row.effect.diff.half_width95().unwrap_or(f64::INFINITY);
            (half_width >= target).then_some(Imprecise {
                row: i,
                half_width,
                target,
            })
        })
        .collect()
}

/// Replicates to run next: enough, by the usual 1/sqrt(n) shrinking of the
/// half-width, for the widest effect relative to its target, but at least
/// one batch of `batch` more and at most double (the estimate of the spread
/// from few replicates is itself noisy), never past `max`.
pub fn next_replicates(current: u32, worst_ratio: f64, batch: u32, max: u32) -> u32 {
    let batch = batch.max(1);
    let wanted = if worst_ratio.is_finite() {
        (current as f64 * worst_ratio * worst_ratio)
            .ceil()
            .min(u32::MAX as f64) as u32
    } else {
        current.saturating_mul(2)
    };
    let floor = current.saturating_add(batch);
    let ceiling = current.saturating_mul(2).max(floor);
    // Round up to whole batches so every worker thread has work.
    let n = wanted.clamp(floor, ceiling);
    let n = current + (n - current).div_ceil(batch) * batch;
    n.min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_get_the_default_target_and_others_need_their_own() {
        let t = PrecisionTargets {
            shares: Some(0.005),
            per_metric: vec![("umkm_revenue_idr".into(), 1e9)],
        };
        assert_eq!(t.target("gmv_share"), Some(0.005));
        assert_eq!(t.target("import_penetration"), Some(0.005));
        assert_eq!(t.target("umkm_revenue_idr"), Some(1e9));
        assert_eq!(t.target("consumer_surplus_idr"), None);
    }

    #[test]
    fn next_replicates_grows_in_batches_within_bounds() {
        // Half-width 1.5 times the target at 8 replicates: 18 wanted,
        // at most double, in batches of 4.
        assert_eq!(next_replicates(8, 1.5, 4, 100), 16);
        assert_eq!(next_replicates(8, 1.1, 4, 100), 12);
        assert_eq!(next_replicates(8, 1.1, 4, 10), 10);
        assert_eq!(next_replicates(2, f64::INFINITY, 2, 100), 4);
        assert_eq!(next_replicates(10, 1.01, 3, 100), 13);
    }
}

/// Why a comparison has the replicates it has (`manifest.json`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReplicateDecision {
    /// `fixed`, `precise` or `max_replicates`.
    pub stopped: String,
    pub replicates: u32,
    pub rounds: u32,
    /// Replicates after each round.
    pub history: Vec<u32>,
    /// Headline effects still wider than their target (when stopped at the
    /// maximum).
    pub imprecise: Vec<String>,
    /// Headline metrics without a target.
    pub untargeted: Vec<String>,
    pub sentence: String,
}

impl ReplicateDecision {
    /// A decision; its `sentence` (the manifest's) is
    /// [`ReplicateDecision::sentence_in`] English, so the manifest, the
    /// report and the terminal say the same thing.
    pub fn new(
        stopped: &str,
        history: Vec<u32>,
        imprecise: Vec<String>,
        untargeted: Vec<String>,
        rounds: u32,
    ) -> ReplicateDecision {
        let mut d = ReplicateDecision {
            stopped: stopped.to_string(),
            replicates: history.last().copied().unwrap_or(0),
            rounds,
            history,
            imprecise,
            untargeted,
            sentence: String::new(),
        };
        d.sentence = d.sentence_in(Lang::En);
        d
    }

    /// How the replicate count was decided, in `lang`: one line, then the
    /// effects still too wide and the metrics without a target, if any,
    /// indented.
    pub fn sentence_in(&self, lang: Lang) -> String {
        let w = lang.words();
        let (n, rounds) = (self.replicates.to_string(), self.rounds.to_string());
        let mut out = match self.stopped.as_str() {
            "precise" => fill(w.decided_precise, &[&n, &rounds]),
            "max_replicates" => {
                let shown: Vec<&str> = self.imprecise.iter().take(5).map(String::as_str).collect();
                format!(
                    "{}\n  {}",
                    fill(w.decided_max, &[&n, &self.imprecise.len().to_string()]),
                    shown.join("\n  ")
                )
            }
            // Compared from finished runs: no batch was run.
            _ if self.rounds == 0 => fill(w.decided_finished, &[&n]),
            _ => fill(w.decided_fixed, &[&n]),
        };
        if !self.untargeted.is_empty() && self.stopped != "fixed" {
            out.push_str("\n  ");
            out.push_str(&fill(w.decided_untargeted, &[&self.untargeted.join(", ")]));
        }
        out
    }
}
