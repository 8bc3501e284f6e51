//! A scenario's results as a dense panel: replicate × series × tick.
//!
//! Built from a run held in memory or read back from a run folder's
//! `series.csv`; either way a series is named as in `series.csv`
//! (metric, by, group), so runs of scenarios with different channel or
//! category lists can still be matched by name.

use super::AnalysisError;
use crate::metrics::{GroupNames, TickRecord};
use crate::output::read_series;
use crate::scenario::Scenario;
use std::collections::HashMap;
use std::path::Path;

/// One series: a metric in one group of one dimension.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeriesKey {
    pub metric: String,
    pub by: String,
    pub group: String,
}

impl SeriesKey {
    pub fn new(metric: &str, by: &str, group: &str) -> SeriesKey {
        SeriesKey {
            metric: metric.to_string(),
            by: by.to_string(),
            group: group.to_string(),
        }
    }
}

impl std::fmt::Display for SeriesKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} by {} = {}", self.metric, self.by, self.group)
    }
}

/// Values of every series of a scenario, per replicate and tick. A value a
/// tick did not record (a ratio with a zero denominator) is NaN here.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    ticks: usize,
    keys: Vec<SeriesKey>,
    index: HashMap<SeriesKey, usize>,
    replicates: Vec<u32>,
    /// Per replicate: `key * ticks + tick`.
    values: Vec<Vec<f64>>,
}

impl Panel {
    pub fn new(ticks: usize) -> Panel {
        Panel {
            ticks,
            keys: Vec::new(),
            index: HashMap::new(),
            replicates: Vec::new(),
            values: Vec::new(),
        }
    }

    /// The records of replicates run in memory.
    pub fn from_records<'a>(
        scenario: &Scenario,
        replicates: impl IntoIterator<Item = (u32, &'a [TickRecord])>,
    ) -> Panel {
        let names = GroupNames::of(scenario);
        let mut panel = Panel::new(scenario.ticks() as usize);
        for (replicate, records) in replicates {
            let r = panel.replicate_slot(replicate);
            for record in records {
                for o in &record.observations {
                    let key = SeriesKey::new(
                        o.metric.def().name,
                        o.by.as_str(),
                        names.name(o.by, o.group),
                    );
                    panel.set(r, key, record.tick as usize, o.value);
                }
            }
        }
        panel
    }

    /// Read a run folder's `series.csv` (as `pasar run` writes it).
    pub fn read_series(path: &Path, ticks: usize) -> Result<Panel, AnalysisError> {
        let mut panel = Panel::new(ticks);
        let mut last_replicate = None;
        let mut slot = 0;
        read_series(path, |row| {
            if row.tick >= ticks {
                return Err(format!(
                    "tick {} is past the horizon of {ticks} ticks in resolved.toml",
                    row.tick
                ));
            }
            if last_replicate != Some(row.replicate) {
                slot = panel.replicate_slot(row.replicate);
                last_replicate = Some(row.replicate);
            }
            panel.set(
                slot,
                SeriesKey::new(row.metric, row.by, row.group),
                row.tick,
                row.value,
            );
            Ok(())
        })?;
        Ok(panel)
    }

    /// Add the replicates of `other` (a later batch of the same scenario).
    pub fn append(&mut self, other: &Panel) {
        for (r, &replicate) in other.replicates.iter().enumerate() {
            let slot = self.replicate_slot(replicate);
            for (k, key) in other.keys.iter().enumerate() {
                for t in 0..other.ticks.min(self.ticks) {
                    let v = other.values[r][k * other.ticks + t];
                    if !v.is_nan() {
                        self.set(slot, key.clone(), t, v);
                    }
                }
            }
        }
    }

    /// Set one value (creating the replicate and the series if new).
    pub fn insert(&mut self, replicate: u32, key: &SeriesKey, tick: usize, value: f64) {
        let slot = self.replicate_slot(replicate);
        self.set(slot, key.clone(), tick, value);
    }

    fn replicate_slot(&mut self, replicate: u32) -> usize {
        if let Some(i) = self.replicates.iter().position(|&r| r == replicate) {
            return i;
        }
        self.replicates.push(replicate);
        self.values
            .push(vec![f64::NAN; self.keys.len() * self.ticks]);
        self.replicates.len() - 1
    }

    fn set(&mut self, slot: usize, key: SeriesKey, tick: usize, value: f64) {
        let k = match self.index.get(&key) {
            Some(&k) => k,
            None => {
                let k = self.keys.len();
                self.index.insert(key.clone(), k);
                self.keys.push(key);
                for values in &mut self.values {
                    values.resize((k + 1) * self.ticks, f64::NAN);
                }
                k
            }
        };
        self.values[slot][k * self.ticks + tick] = value;
    }

    pub fn ticks(&self) -> usize {
        self.ticks
    }

    /// The series, in the order they first appear.
    pub fn keys(&self) -> &[SeriesKey] {
        &self.keys
    }

    pub fn key_index(&self, key: &SeriesKey) -> Option<usize> {
        self.index.get(key).copied()
    }

    /// Replicate numbers, in the order they were added.
    pub fn replicates(&self) -> &[u32] {
        &self.replicates
    }

    /// The position of replicate `replicate`, if present.
    pub fn replicate_position(&self, replicate: u32) -> Option<usize> {
        self.replicates.iter().position(|&r| r == replicate)
    }

    /// One replicate's series (NaN where a tick recorded nothing).
    pub fn series(&self, replicate_position: usize, key: usize) -> &[f64] {
        &self.values[replicate_position][key * self.ticks..(key + 1) * self.ticks]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_adds_replicates_and_new_series() {
        let mut a = Panel::new(2);
        let r = a.replicate_slot(0);
        a.set(r, SeriesKey::new("m", "all", "all"), 1, 3.0);
        let mut b = Panel::new(2);
        let r = b.replicate_slot(1);
        b.set(r, SeriesKey::new("m", "all", "all"), 0, 1.0);
        b.set(r, SeriesKey::new("n", "all", "all"), 1, 2.0);
        a.append(&b);
        assert_eq!(a.replicates(), &[0, 1]);
        assert_eq!(a.keys().len(), 2);
        assert_eq!(a.series(1, 0)[0], 1.0);
        assert!(a.series(1, 0)[1].is_nan());
        assert!(a.series(0, 1).iter().all(|v| v.is_nan()));
        assert_eq!(a.series(1, 1)[1], 2.0);
    }
}
