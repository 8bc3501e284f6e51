//! Segments of the UMKM that outputs follow: the sellers that sold on a
//! social channel in the weeks before a date, and the change of each one's revenue
//! between the window before that date and the window from it, in bands
//! comparable to the survey of sellers after the October 2023 closure
//! (S93; docs/ODD.md section 10).

use super::Model;
use super::sellers::{SellerKind, Sellers};

/// Bands of a seller's revenue change `r = after / before − 1`, in the
/// order of the `revenue_change` groups. The four falls are the survey's
/// (less than 25%, 26–50%, 51–75%, 76–100%); sellers whose revenue did not
/// fall are split at +50% (the survey's "up to +50%" after the return).
pub const BANDS: [&str; 7] = [
    "exited",
    "down_over_75_pct",
    "down_50_to_75_pct",
    "down_25_to_50_pct",
    "down_under_25_pct",
    "up_under_50_pct",
    "up_over_50_pct",
];

/// The band of a surviving seller whose revenue changed by `r`.
pub fn band_of(r: f64) -> usize {
    if r <= -0.75 {
        1
    } else if r <= -0.5 {
        2
    } else if r <= -0.25 {
        3
    } else if r < 0.0 {
        4
    } else if r < 0.5 {
        5
    } else {
        6
    }
}

/// The segment windows of a run: ticks `[date − w, date)` and
/// `[date, date + w)`, cut at the run's ends.
#[derive(Debug, Clone, Copy)]
pub struct Windows {
    /// The tick of `segments.social_before`.
    pub date: u32,
    pub before: (u32, u32),
    pub after: (u32, u32),
}

impl Windows {
    pub fn of(date: u32, window: u32, ticks: u32) -> Windows {
        Windows {
            date,
            before: (date.saturating_sub(window), date),
            after: (date, date.saturating_add(window).min(ticks)),
        }
    }

    /// 0 in the window before, 1 in the window after, else none.
    pub fn at(&self, tick: u32) -> Option<usize> {
        if (self.before.0..self.before.1).contains(&tick) {
            Some(0)
        } else if (self.after.0..self.after.1).contains(&tick) {
            Some(1)
        } else {
            None
        }
    }

    /// The tick whose record carries the bands: the last of the window after.
    pub fn closing(&self) -> u32 {
        self.after.1 - 1
    }

    /// Revenue change per tick from the window before to the one after
    /// (the after window may be cut short by the end of the run).
    pub fn change(&self, revenue: [f32; 2]) -> f64 {
        let per_tick = |sum: f32, (a, b): (u32, u32)| f64::from(sum) / f64::from((b - a).max(1));
        per_tick(revenue[1], self.after) / per_tick(revenue[0], self.before) - 1.0
    }
}

/// Whether seller `j` is in the surveyed segment: a UMKM that sold on a
/// social channel in the window before the date (and so had revenue there).
pub fn in_scope(s: &Sellers, j: usize) -> bool {
    s.kind[j] == SellerKind::Umkm && s.sold_on_social[j] && s.window_revenue[j][0] > 0.0
}

impl Model<'_> {
    /// Step 5's part for segments: mark the sellers that sold on a social
    /// channel this tick (in the window before the date), and add this
    /// tick's revenue to each seller's window.
    pub(super) fn follow_segments(&mut self) {
        let Some(w) = self.windows else {
            return;
        };
        let s = &mut self.sellers;
        if w.at(self.tick) == Some(0) {
            for k in self.market.channels_in(self.market.socials) {
                for (j, &n) in self.channel_sales[k].iter().enumerate() {
                    if n > 0 && s.alive[j] {
                        s.sold_on_social[j] = true;
                    }
                }
            }
        }
        if let Some(i) = w.at(self.tick) {
            let units_per_sale = self.market.units_per_sale;
            for j in 0..s.len() {
                if s.alive[j] {
                    let revenue = units_per_sale * s.tally[j].revenue;
                    s.window_revenue[j][i] += revenue as f32;
                }
            }
        }
    }

    /// Counts by band (real sellers) at the closing tick: survivors by
    /// their change, and the segment's sellers that exited since the date.
    pub(super) fn revenue_bands(&self) -> Option<[f64; 7]> {
        let w = self.windows?;
        if self.tick != w.closing() {
            return None;
        }
        let s = &self.sellers;
        let mut bands = [0u64; 7];
        bands[0] = self.segment_exits;
        for j in 0..s.len() {
            if s.alive[j] && in_scope(s, j) {
                bands[band_of(w.change(s.window_revenue[j]))] += 1;
            }
        }
        Some(bands.map(|n| n as f64 * self.market.seller_scale))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_split_at_the_survey_thresholds() {
        assert_eq!(band_of(-1.0), 1);
        assert_eq!(band_of(-0.75), 1);
        assert_eq!(band_of(-0.6), 2);
        assert_eq!(band_of(-0.5), 2);
        assert_eq!(band_of(-0.3), 3);
        assert_eq!(band_of(-0.1), 4);
        assert_eq!(band_of(0.0), 5);
        assert_eq!(band_of(0.49), 5);
        assert_eq!(band_of(0.5), 6);
    }

    #[test]
    fn windows_are_cut_at_the_ends_and_compared_per_tick() {
        let w = Windows::of(10, 8, 14);
        assert_eq!((w.before, w.after), ((2, 10), (10, 14)));
        assert_eq!(w.at(1), None);
        assert_eq!(w.at(2), Some(0));
        assert_eq!(w.at(13), Some(1));
        assert_eq!(w.closing(), 13);
        // 80 over 8 ticks before, 20 over 4 after: half the revenue a tick.
        assert!((w.change([80.0, 20.0]) + 0.5).abs() < 1e-12);
        let w = Windows::of(3, 8, 100);
        assert_eq!(w.before, (0, 3));
    }
}
