//! Moments: numbers a run can be summarised by and compared with data.
//!
//! A moment is a quantity (one series, a sum of series, or a ratio of sums)
//! over a window of dates, optionally as growth relative to another window.
//! The same grammar serves calibration targets (`calibration/targets.toml`)
//! and forecast quantities (`calibration/forecast.toml`), so what is fitted
//! and what is forecast are computed by one piece of code.

use crate::analysis::panel::{Panel, SeriesKey};
use crate::metrics::METRICS;
use crate::scenario::{Date, Scenario};

/// Which ticks a window covers: those whose first day lies in
/// `[start, end]`, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: Date,
    pub end: Date,
}

impl Window {
    /// The ticks of `scenario` in the window (possibly none).
    pub fn ticks(&self, scenario: &Scenario) -> std::ops::Range<usize> {
        let inside = |t: u32| {
            let d = scenario.date_of_tick(t);
            d >= self.start && d <= self.end
        };
        let n = scenario.ticks();
        let first = (0..n).find(|&t| inside(t));
        match first {
            Some(first) => {
                let last = (first..n)
                    .take_while(|&t| inside(t))
                    .last()
                    .unwrap_or(first);
                first as usize..last as usize + 1
            }
            None => 0..0,
        }
    }
}

impl std::fmt::Display for Window {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} to {}", self.start, self.end)
    }
}

/// What is measured in each tick of a window.
#[derive(Debug, Clone, PartialEq)]
pub enum Quantity {
    /// The sum of these series, averaged over the window's ticks.
    Level(Vec<SeriesKey>),
    /// Window total of the numerator series over window total of the
    /// denominator series (a ratio of totals, not a mean of ratios).
    Ratio {
        numerator: Vec<SeriesKey>,
        denominator: Vec<SeriesKey>,
    },
}

impl Quantity {
    /// Every series the quantity reads.
    pub fn series(&self) -> impl Iterator<Item = &SeriesKey> {
        let (a, b): (&[SeriesKey], &[SeriesKey]) = match self {
            Quantity::Level(terms) => (terms, &[]),
            Quantity::Ratio {
                numerator,
                denominator,
            } => (numerator, denominator),
        };
        a.iter().chain(b)
    }

    /// The unit of the quantity, from its metrics.
    pub fn unit(&self) -> String {
        let unit_of = |k: &SeriesKey| {
            METRICS
                .iter()
                .find(|m| m.name == k.metric)
                .map_or("", |m| m.unit)
        };
        match self {
            Quantity::Level(terms) => terms.first().map(unit_of).unwrap_or_default().into(),
            Quantity::Ratio {
                numerator,
                denominator,
            } => {
                let same = numerator
                    .iter()
                    .chain(denominator)
                    .all(|k| numerator.first().is_some_and(|n| n.metric == k.metric));
                if same {
                    "share (0-1)".into()
                } else {
                    let (n, d) = (
                        numerator.first().map(unit_of).unwrap_or_default(),
                        denominator.first().map(unit_of).unwrap_or_default(),
                    );
                    format!("({n}) / ({d})")
                }
            }
        }
    }

    /// (numerator, denominator) at one tick; `None` when a series recorded
    /// nothing there. A level's denominator is 1.
    fn parts(
        &self,
        panel: &Panel,
        replicate: usize,
        index: &[usize],
        tick: usize,
    ) -> Option<(f64, f64)> {
        let sum = |keys: std::ops::Range<usize>| -> Option<f64> {
            let mut total = 0.0;
            for &k in &index[keys] {
                let v = panel.series(replicate, k)[tick];
                if !v.is_finite() {
                    return None;
                }
                total += v;
            }
            Some(total)
        };
        match self {
            Quantity::Level(terms) => Some((sum(0..terms.len())?, 1.0)),
            Quantity::Ratio {
                numerator,
                denominator,
            } => {
                let n = numerator.len();
                Some((sum(0..n)?, sum(n..n + denominator.len())?))
            }
        }
    }
}

/// A quantity over a window, as a level or as growth over a base window.
#[derive(Debug, Clone, PartialEq)]
pub struct Moment {
    pub id: String,
    pub quantity: Quantity,
    pub window: Window,
    /// When set, the moment is value(window) / value(relative_to) - 1.
    pub relative_to: Option<Window>,
    /// A level's value is multiplied by this (1 by default): weeks to a
    /// year, rupiah to dollars. Growth takes none.
    pub scale: f64,
}

/// Why a moment cannot be computed from a scenario's output.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MomentError {
    #[error("`{id}`: the window {window} holds no tick of {scenario} (it runs {first} to {last})")]
    EmptyWindow {
        id: String,
        window: Window,
        scenario: String,
        first: Date,
        last: Date,
    },
    #[error("`{id}`: {scenario} records no series {key}")]
    UnknownSeries {
        id: String,
        key: SeriesKey,
        scenario: String,
    },
}

impl Moment {
    /// The unit of the moment's value.
    pub fn unit(&self) -> String {
        match self.relative_to {
            Some(_) => "growth (ratio - 1)".into(),
            None => self.quantity.unit(),
        }
    }

    /// The last tick the moment reads, for truncating runs.
    pub fn last_tick(&self, scenario: &Scenario) -> Option<usize> {
        let a = self.window.ticks(scenario).last();
        let b = self.relative_to.and_then(|w| w.ticks(scenario).last());
        a.max(b)
    }

    /// Check that the scenario's output can give this moment.
    pub fn check(&self, scenario: &Scenario, recorded: &[SeriesKey]) -> Result<(), MomentError> {
        for window in std::iter::once(self.window).chain(self.relative_to) {
            if window.ticks(scenario).is_empty() {
                return Err(MomentError::EmptyWindow {
                    id: self.id.clone(),
                    window,
                    scenario: scenario.name().to_string(),
                    first: scenario.date_of_tick(0),
                    last: scenario.date_of_tick(scenario.ticks().saturating_sub(1)),
                });
            }
        }
        for key in self.quantity.series() {
            if !recorded.contains(key) {
                return Err(MomentError::UnknownSeries {
                    id: self.id.clone(),
                    key: key.clone(),
                    scenario: scenario.name().to_string(),
                });
            }
        }
        Ok(())
    }

    /// The moment in each replicate of `panel` (in panel order); NaN where
    /// the window recorded nothing usable or a denominator is zero.
    pub fn values(&self, scenario: &Scenario, panel: &Panel) -> Vec<f64> {
        let Some(index) = self.index(panel) else {
            return vec![f64::NAN; panel.replicates().len()];
        };
        (0..panel.replicates().len())
            .map(|r| {
                let value = self.window_value(scenario, panel, r, &index, self.window);
                match self.relative_to {
                    Some(base) => value / self.window_value(scenario, panel, r, &index, base) - 1.0,
                    None => value * self.scale,
                }
            })
            .map(|v| if v.is_finite() { v } else { f64::NAN })
            .collect()
    }

    /// The quantity tick by tick in one replicate (a growth moment shows
    /// its quantity's level), NaN where a tick recorded nothing or a
    /// denominator is zero: what the fit chart draws.
    pub fn per_tick(&self, panel: &Panel, replicate: usize) -> Vec<f64> {
        let Some(index) = self.index(panel) else {
            return vec![f64::NAN; panel.ticks()];
        };
        (0..panel.ticks())
            .map(|t| match self.quantity.parts(panel, replicate, &index, t) {
                Some((n, d)) if d != 0.0 => n / d,
                _ => f64::NAN,
            })
            .collect()
    }

    fn index(&self, panel: &Panel) -> Option<Vec<usize>> {
        self.quantity.series().map(|k| panel.key_index(k)).collect()
    }

    fn window_value(
        &self,
        scenario: &Scenario,
        panel: &Panel,
        replicate: usize,
        index: &[usize],
        window: Window,
    ) -> f64 {
        let (mut numerator, mut denominator) = (0.0, 0.0);
        for t in window.ticks(scenario) {
            // A tick that recorded nothing for one of the series is left
            // out of both totals.
            if let Some((n, d)) = self.quantity.parts(panel, replicate, index, t) {
                numerator += n;
                denominator += d;
            }
        }
        numerator / denominator
    }
}
