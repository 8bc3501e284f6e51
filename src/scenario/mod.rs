//! Scenario files: format, `extends` and `--set` resolution, validation.
//!
//! The result is a [`Scenario`] the model can trust: every value typed and
//! in range, names resolved, events placed on ticks.

pub mod date;
pub mod error;
pub mod lever;
pub mod load;
pub mod params;
pub mod schema;
mod validate;

pub use date::Date;
pub use error::{Problem, ScenarioError, Source};
pub use lever::{DropReason, DroppedEvent, Lever, TimedEvent};
pub use load::SourceFile;
pub use schema::{ChannelKind, ScenarioFile, SellerKind};
pub use validate::unspecified_paths;

use std::path::Path;

/// Most channels a scenario may have (listings are kept as a bit set).
pub const MAX_CHANNELS: usize = 16;
/// Most categories a scenario may have (a seller's category is a `u16`).
pub const MAX_CATEGORIES: usize = 4096;

/// A validated scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Every parameter, defaults filled in; what `resolved.toml` holds.
    pub spec: ScenarioFile,
    /// The events on their ticks, in the order they apply.
    pub timeline: Vec<TimedEvent>,
    /// The files read (empty when built in memory).
    pub sources: Vec<SourceFile>,
    /// Events the files wrote that fall outside this run's horizon.
    pub dropped_events: Vec<DroppedEvent>,
}

/// What a command changes in a scenario besides its files: `key.path=value`
/// overrides, and the run controls given as typed values (the seed and the
/// replicate count), which land in `simulation.seed` and
/// `simulation.replicates` without passing through text.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Overrides {
    pub sets: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicates: Option<u32>,
    /// Run even if the overrides' horizon drops events the files define
    /// (`--allow-dropped-events`); otherwise that is an error.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_dropped_events: bool,
}

impl Overrides {
    /// The key path of a `key.path=value` override (the whole argument,
    /// trimmed, when it has no `=`).
    pub fn key_of(set: &str) -> &str {
        set.split_once('=').map_or(set, |(k, _)| k).trim()
    }

    /// Only `key.path=value` overrides.
    pub fn sets(sets: &[String]) -> Overrides {
        Overrides {
            sets: sets.to_vec(),
            ..Overrides::default()
        }
    }

    /// These overrides with the seed and replicate count replaced.
    pub fn with_controls(&self, seed: Option<u64>, replicates: Option<u32>) -> Overrides {
        Overrides {
            sets: self.sets.clone(),
            seed: seed.or(self.seed),
            replicates: replicates.or(self.replicates),
            allow_dropped_events: self.allow_dropped_events,
        }
    }
}

impl Scenario {
    /// Read a scenario file, its `extends` chain and `key.path=value`
    /// overrides.
    /// A key set twice takes the later value (see [`Scenario::load_with`]
    /// for overrides as a user gives them).
    pub fn load(path: &Path, sets: &[String]) -> Result<Scenario, ScenarioError> {
        Scenario::from_tree(load::read_tree(path)?, sets)
    }

    /// Read a scenario file, its `extends` chain and the overrides a user
    /// gave (each key once).
    pub fn load_with(path: &Path, overrides: &Overrides) -> Result<Scenario, ScenarioError> {
        Scenario::from_tree_with(load::read_tree(path)?, overrides)
    }

    /// A scenario from files already read (see [`load::read_tree`]) with
    /// `key.path=value` overrides: many variants of one scenario without
    /// reading its files again.
    pub fn from_tree(
        mut tree: load::MergedTree,
        sets: &[String],
    ) -> Result<Scenario, ScenarioError> {
        let file_horizon = load::horizon_of(&tree.table);
        load::apply_sets(&mut tree, sets)?;
        validate::validate_tree(tree, file_horizon)
    }

    /// A scenario from files already read, with the overrides a user gave
    /// (each key once).
    pub fn from_tree_with(
        mut tree: load::MergedTree,
        overrides: &Overrides,
    ) -> Result<Scenario, ScenarioError> {
        let file_horizon = load::horizon_of(&tree.table);
        load::apply_overrides(&mut tree, overrides)?;
        let scenario = validate::validate_tree(tree, file_horizon)?;
        if overrides.allow_dropped_events {
            return Ok(scenario);
        }
        let dropped: Vec<String> = scenario
            .dropped_events
            .iter()
            .filter(|d| d.by_overrides)
            .map(|d| d.to_string())
            .collect();
        if dropped.is_empty() {
            return Ok(scenario);
        }
        // Name the override that moved the horizon.
        let horizon_keys = [
            "simulation.ticks",
            "simulation.start_date",
            "simulation.days_per_tick",
        ];
        let argument = overrides
            .sets
            .iter()
            .find(|s| horizon_keys.contains(&Overrides::key_of(s)))
            .cloned()
            .unwrap_or_else(|| "--set".to_string());
        let (start, end) = (
            scenario.date_of_tick(0),
            scenario.date_of_tick(scenario.ticks().saturating_sub(1)),
        );
        Err(ScenarioError {
            problems: vec![Problem {
                source: Source::CommandLine { argument },
                key: None,
                message: format!(
                    "the run from {start} to {end} drops {} of the scenario's events:\n    {}",
                    dropped.len(),
                    dropped.join("\n    ")
                ),
                help: Some(
                    "lengthen the run to cover them, or give --allow-dropped-events to run without them \
                     (they are then listed in the run's summary, manifest.json and the report)"
                        .into(),
                ),
            }],
        })
    }

    /// Validate a scenario built in memory (tests, sweeps, calibration).
    pub fn from_spec(spec: &ScenarioFile) -> Result<Scenario, ScenarioError> {
        let table = match toml::Value::try_from(spec) {
            Ok(toml::Value::Table(t)) => t,
            _ => toml::Table::new(),
        };
        let file_horizon = load::horizon_of(&table);
        validate::validate_tree(
            load::MergedTree {
                table,
                origins: Default::default(),
                files: Vec::new(),
                event_horizons: Vec::new(),
            },
            file_horizon,
        )
    }

    pub fn name(&self) -> &str {
        &self.spec.simulation.name
    }

    pub fn ticks(&self) -> u32 {
        self.spec.simulation.ticks
    }

    /// Every event this run applies, in timeline order, in words with its
    /// tick: "2023-10-04: payment_ban channel=tiktok_shop (tick 91)".
    pub fn applied_events(&self) -> Vec<String> {
        self.applied_events_in(crate::lang::Lang::En)
    }

    /// [`Scenario::applied_events`] in `lang` (the tick's word).
    pub fn applied_events_in(&self, lang: crate::lang::Lang) -> Vec<String> {
        let at_tick = lang.words().at_tick;
        self.timeline
            .iter()
            .filter_map(|e| {
                let spec = self.spec.events.get(e.index)?;
                let tick = crate::lang::fill(at_tick, &[&e.tick.to_string()]);
                Some(format!("{} ({tick})", spec.describe()))
            })
            .collect()
    }

    /// Every event the files define that this run leaves out, in words.
    pub fn dropped_event_lines(&self) -> Vec<String> {
        self.dropped_events.iter().map(|d| d.to_string()).collect()
    }

    /// The tick of `segments.social_before`, if set (validated to lie in
    /// ticks 1 to the last).
    pub fn segment_tick(&self) -> Option<u32> {
        self.tick_of_date(self.spec.segments.social_before?)
    }

    /// The number this scenario uses at key path `path` (as `--set` and
    /// `--free` write it), if the path names a number.
    pub fn number_at(&self, path: &str) -> Option<f64> {
        let tree = toml::Value::try_from(&self.spec).ok()?;
        load::number_at(&tree, path)
    }

    /// The seed of replicate `replicate`'s random streams (derived from the
    /// master seed; see [`crate::rng`]).
    pub fn replicate_seed(&self, replicate: u32) -> u64 {
        crate::rng::replicate_seed(self.spec.simulation.seed, replicate)
    }

    /// The first day of tick `t`.
    /// The tick whose days hold `date`, if inside the run.
    pub fn tick_of_date(&self, date: Date) -> Option<u32> {
        let sim = &self.spec.simulation;
        let days = i64::from(sim.days_per_tick.max(1));
        let tick = date.days_since(sim.start_date).div_euclid(days);
        u32::try_from(tick).ok().filter(|&t| t < sim.ticks)
    }

    pub fn date_of_tick(&self, tick: u32) -> Date {
        let sim = &self.spec.simulation;
        sim.start_date
            .add_days(tick as i64 * sim.days_per_tick as i64)
    }

    /// The fully resolved scenario as TOML: running it again reproduces the
    /// same numbers.
    pub fn to_toml(&self) -> String {
        let body =
            toml::to_string(&self.spec).unwrap_or_else(|e| format!("# cannot serialize: {e}\n"));
        format!(
            "# Resolved by pasar {}: every parameter with its default filled in.\n\
             # `pasar run` on this file reproduces the run bit for bit.\n\n{body}",
            env!("CARGO_PKG_VERSION")
        )
    }
}
