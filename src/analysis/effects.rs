//! Paired policy effects: for each replicate, the policy's value minus the
//! baseline's in the same replicate (same seeds, so the same consumers,
//! sellers and shocks), then the mean of those differences with its
//! Student-t interval.

use super::panel::{Panel, SeriesKey};
use super::stats::{Estimate, unpaired_half_width95};

/// Ticks `from..=to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TickRange {
    pub from: usize,
    pub to: usize,
}

impl TickRange {
    pub fn tick(t: usize) -> TickRange {
        TickRange { from: t, to: t }
    }
}

/// A policy's effect on one series over one range of ticks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Effect {
    /// Per-replicate means over the range, in the baseline.
    pub baseline: Estimate,
    /// The same in the policy scenario.
    pub policy: Estimate,
    /// The paired differences (policy - baseline).
    pub diff: Estimate,
}

impl Effect {
    /// The difference relative to the baseline mean; `None` when the
    /// baseline mean is 0.
    pub fn rel_change(&self) -> Option<f64> {
        (self.baseline.mean != 0.0 && self.baseline.mean.is_finite())
            .then(|| self.diff.mean / self.baseline.mean.abs())
    }

    /// Half-width the interval would have if the two scenarios had been run
    /// with independent draws (no common random numbers).
    pub fn unpaired_half_width95(&self) -> Option<f64> {
        unpaired_half_width95(&self.baseline, &self.policy)
    }
}

/// The mean of a series over `range`, skipping ticks that recorded nothing;
/// `None` when no tick in the range recorded a value.
pub fn range_mean(series: &[f64], range: TickRange) -> Option<f64> {
    let to = range.to.min(series.len().saturating_sub(1));
    if range.from > to {
        return None;
    }
    let (sum, n) = series[range.from..=to]
        .iter()
        .filter(|v| !v.is_nan())
        .fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

/// The paired effect on `key` over `range`, over the replicates both panels
/// hold (in the baseline's replicate order). `None` when the series is
/// missing from either panel or no replicate has values in both.
pub fn paired_effect(
    baseline: &Panel,
    policy: &Panel,
    key: &SeriesKey,
    range: TickRange,
) -> Option<Effect> {
    let kb = baseline.key_index(key)?;
    let kp = policy.key_index(key)?;
    let mut b = Vec::with_capacity(baseline.replicates().len());
    let mut p = Vec::with_capacity(b.capacity());
    let mut d = Vec::with_capacity(b.capacity());
    for (rb, &replicate) in baseline.replicates().iter().enumerate() {
        let Some(rp) = policy.replicate_position(replicate) else {
            continue;
        };
        let (Some(vb), Some(vp)) = (
            range_mean(baseline.series(rb, kb), range),
            range_mean(policy.series(rp, kp), range),
        ) else {
            continue;
        };
        b.push(vb);
        p.push(vp);
        d.push(vp - vb);
    }
    if d.is_empty() {
        return None;
    }
    Some(Effect {
        baseline: Estimate::of(&b),
        policy: Estimate::of(&p),
        diff: Estimate::of(&d),
    })
}

/// The mean over replicates of one panel's series at every tick, with the
/// 95% interval of that mean (for charts of levels).
pub fn level_by_tick(panel: &Panel, key: &SeriesKey) -> Vec<Option<Estimate>> {
    let Some(k) = panel.key_index(key) else {
        return vec![None; panel.ticks()];
    };
    let mut values = Vec::with_capacity(panel.replicates().len());
    (0..panel.ticks())
        .map(|t| {
            values.clear();
            values.extend(
                (0..panel.replicates().len())
                    .map(|r| panel.series(r, k)[t])
                    .filter(|v| !v.is_nan()),
            );
            (!values.is_empty()).then(|| Estimate::of(&values))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::panel::Panel;

    fn panel(rows: &[(u32, &[f64])]) -> Panel {
        let key = SeriesKey::new("m", "all", "all");
        let mut p = Panel::new(rows[0].1.len());
        for (replicate, values) in rows {
            for (t, v) in values.iter().enumerate() {
                if !v.is_nan() {
                    p.insert(*replicate, &key, t, *v);
                }
            }
        }
        p
    }

    #[test]
    fn paired_difference_of_known_values() {
        let b = panel(&[(0, &[1.0, 2.0]), (1, &[3.0, 4.0]), (2, &[5.0, f64::NAN])]);
        let p = panel(&[(2, &[6.0, 9.0]), (0, &[2.0, 2.5]), (1, &[3.5, 5.0])]);
        let key = SeriesKey::new("m", "all", "all");
        let e = paired_effect(&b, &p, &key, TickRange::tick(0)).unwrap_or_else(|| panic!());
        assert_eq!(e.diff.n, 3);
        assert_eq!(e.diff.mean, (1.0 + 0.5 + 1.0) / 3.0);
        assert_eq!(e.baseline.mean, 3.0);
        // Tick 1: replicate 2's baseline recorded nothing, so it drops out.
        let e = paired_effect(&b, &p, &key, TickRange::tick(1)).unwrap_or_else(|| panic!());
        assert_eq!(e.diff.n, 2);
        assert_eq!(e.diff.mean, 0.75);
        // Over both ticks: per-replicate means first, skipping the gap.
        let e =
            paired_effect(&b, &p, &key, TickRange { from: 0, to: 1 }).unwrap_or_else(|| panic!());
        assert_eq!(e.diff.n, 3);
        assert_eq!(e.baseline.mean, (1.5 + 3.5 + 5.0) / 3.0);
        assert_eq!(e.rel_change(), Some(e.diff.mean / e.baseline.mean));
    }

    #[test]
    fn range_mean_skips_gaps() {
        assert_eq!(
            range_mean(&[1.0, f64::NAN, 3.0], TickRange { from: 0, to: 2 }),
            Some(2.0)
        );
        assert_eq!(range_mean(&[f64::NAN], TickRange::tick(0)), None);
        assert_eq!(range_mean(&[1.0], TickRange { from: 1, to: 3 }), None);
    }
}
