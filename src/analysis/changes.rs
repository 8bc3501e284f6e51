//! What a scenario changes relative to the baseline, read from the resolved
//! scenarios: parameters whose values differ, and events added or removed.
//! This is what a briefing says a scenario *is*.

use crate::scenario::Scenario;
use crate::scenario::load::leaves;
use crate::scenario::schema::EventSpec;

/// A parameter whose resolved value differs (`None`: absent on that side).
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterChange {
    pub path: String,
    pub baseline: Option<String>,
    pub policy: Option<String>,
}

/// The differences between a policy scenario and the baseline.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Changes {
    pub parameters: Vec<ParameterChange>,
    /// Events the policy has and the baseline does not, as "date lever k=v".
    pub events_added: Vec<String>,
    pub events_removed: Vec<String>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.parameters.is_empty() && self.events_added.is_empty() && self.events_removed.is_empty()
    }
}

/// Compare the resolved scenarios (the name is not a change).
pub fn changes(baseline: &Scenario, policy: &Scenario) -> Changes {
    let flat = |s: &Scenario| -> Vec<(String, String)> {
        match toml::Value::try_from(&s.spec) {
            Ok(tree) => leaves(&tree)
                .into_iter()
                .map(|(path, v)| (path, show(v)))
                .collect(),
            Err(_) => Vec::new(),
        }
    };
    let (b, p) = (flat(baseline), flat(policy));
    let mut parameters = Vec::new();
    for (path, value) in &p {
        if path == "simulation.name" || path.starts_with("events") {
            continue;
        }
        match b.iter().find(|(q, _)| q == path) {
            Some((_, old)) if old == value => {}
            old => parameters.push(ParameterChange {
                path: path.clone(),
                baseline: old.map(|(_, v)| v.clone()),
                policy: Some(value.clone()),
            }),
        }
    }
    for (path, value) in &b {
        if path.starts_with("events") || p.iter().any(|(q, _)| q == path) {
            continue;
        }
        parameters.push(ParameterChange {
            path: path.clone(),
            baseline: Some(value.clone()),
            policy: None,
        });
    }
    let describe = |e: &EventSpec| describe_event(e);
    let events_added = policy
        .spec
        .events
        .iter()
        .filter(|e| !baseline.spec.events.contains(e))
        .map(describe)
        .collect();
    let events_removed = baseline
        .spec
        .events
        .iter()
        .filter(|e| !policy.spec.events.contains(e))
        .map(describe)
        .collect();
    Changes {
        parameters,
        events_added,
        events_removed,
    }
}

/// "2023-10-04: payment_ban channel=social".
pub fn describe_event(event: &EventSpec) -> String {
    event.describe()
}

fn show(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
