//! The segment tables of a comparison: how the revenue of the UMKM that
//! sold on social commerce before the segment date changed across it, in
//! bands, in the baseline and under each policy (comparable with the
//! survey of sellers after the October 2023 closure, S93).

use super::Comparison;
use super::effects::{Effect, TickRange, paired_effect};
use super::panel::SeriesKey;
use crate::metrics::{By, Metric};
use crate::model::segments::{BANDS, Windows};
use crate::scenario::{Date, Scenario};

/// One band of one policy.
#[derive(Debug, Clone)]
pub struct BandRow {
    pub policy: String,
    pub band: &'static str,
    /// Real sellers in the band: baseline, policy and paired difference.
    pub effect: Effect,
    /// The band's share of the segment (every band, exits included), from
    /// the mean counts.
    pub baseline_share: f64,
    pub policy_share: f64,
}

/// The segment date, the tick the bands are counted at and the window
/// length, when the scenario follows a segment.
pub fn segment_of(scenario: &Scenario) -> Option<(Date, u32, u32)> {
    let date = scenario.spec.segments.social_before?;
    let window = scenario.spec.segments.window_ticks;
    let w = Windows::of(scenario.segment_tick()?, window, scenario.ticks());
    Some((date, w.closing(), window))
}

/// Every policy's bands, in band order; empty when the baseline follows no
/// segment.
pub fn revenue_bands(cmp: &Comparison) -> Vec<BandRow> {
    let Some((_, closing, _)) = segment_of(&cmp.baseline.scenario) else {
        return Vec::new();
    };
    let metric = Metric::SellersByRevenueChange.def().name;
    let by = By::RevenueChange.as_str();
    let mut rows = Vec::new();
    for p in &cmp.policies {
        let effects: Vec<Option<Effect>> = BANDS
            .iter()
            .map(|band| {
                let key = SeriesKey::new(metric, by, band);
                let at = TickRange::tick(closing as usize);
                paired_effect(&cmp.baseline.panel, &p.panel, &key, at)
            })
            .collect();
        let total = |side: fn(&Effect) -> f64| -> f64 { effects.iter().flatten().map(side).sum() };
        let (base_total, policy_total) = (total(|e| e.baseline.mean), total(|e| e.policy.mean));
        let share = |x: f64, total: f64| if total > 0.0 { x / total } else { f64::NAN };
        for (band, effect) in BANDS.iter().zip(effects) {
            let Some(effect) = effect else { continue };
            rows.push(BandRow {
                policy: p.name().to_string(),
                band,
                baseline_share: share(effect.baseline.mean, base_total),
                policy_share: share(effect.policy.mean, policy_total),
                effect,
            });
        }
    }
    rows
}

/// Of the segment's sellers that survived, the share whose revenue fell
/// (the survey's "reported lower revenue"), for one side of the rows of a
/// policy.
pub fn share_lower(rows: &[BandRow], policy: &str, side: fn(&BandRow) -> f64) -> Option<f64> {
    let mine: Vec<&BandRow> = rows.iter().filter(|r| r.policy == policy).collect();
    let survivors: f64 = mine
        .iter()
        .filter(|r| r.band != "exited")
        .map(|r| side(r))
        .sum();
    let lower: f64 = mine
        .iter()
        .filter(|r| r.band.starts_with("down_"))
        .map(|r| side(r))
        .sum();
    (survivors > 0.0).then(|| lower / survivors)
}
