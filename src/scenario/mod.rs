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
pub use lever::{Lever, TimedEvent};
pub use load::SourceFile;
pub use schema::{ChannelKind, ScenarioFile};
pub use validate::unspecified_paths;

use std::path::Path;

/// The horizon a merged tree sets, if its simulation table is readable.
fn horizon_of(table: &toml::Table) -> Option<validate::Horizon> {
    let sim = table.get("simulation")?.clone();
    let sim: schema::Simulation = sim.try_into().ok()?;
    Some((sim.start_date, sim.ticks, sim.days_per_tick.max(1)))
}

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
}

impl Scenario {
    /// Read a scenario file, its `extends` chain and `--set` overrides.
    pub fn load(path: &Path, sets: &[String]) -> Result<Scenario, ScenarioError> {
        Scenario::from_tree(load::read_tree(path)?, sets)
    }

    /// A scenario from files already read (see [`load::read_tree`]) with
    /// `--set` overrides: many variants of one scenario without reading
    /// its files again.
    pub fn from_tree(
        mut tree: load::MergedTree,
        sets: &[String],
    ) -> Result<Scenario, ScenarioError> {
        let file_horizon = horizon_of(&tree.table);
        load::apply_sets(&mut tree, sets)?;
        validate::validate_tree(tree, file_horizon)
    }

    /// Validate a scenario built in memory (tests, sweeps, calibration).
    pub fn from_spec(spec: &ScenarioFile) -> Result<Scenario, ScenarioError> {
        let table = match toml::Value::try_from(spec) {
            Ok(toml::Value::Table(t)) => t,
            _ => toml::Table::new(),
        };
        let file_horizon = horizon_of(&table);
        validate::validate_tree(
            load::MergedTree {
                table,
                origins: Default::default(),
                files: Vec::new(),
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

    /// The first day of tick `t`.
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
