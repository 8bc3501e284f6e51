//! From a merged TOML tree to a validated [`Scenario`]: types, ranges and
//! the rules that span several keys (shares that sum to one, names that
//! exist, dates inside the horizon).

use super::error::{Problem, ScenarioError, did_you_mean};
use super::lever::{
    Arg, ArgKind, ArgValue, Args, DropReason, DroppedEvent, LEVERS, Lever, TimedEvent, lever_def,
};
use super::load::{Horizon, MergedTree, Origins};
use super::params;
use super::params::Range;
use super::schema::{ChannelKind, EventSpec, ScenarioFile};
use super::{MAX_CATEGORIES, MAX_CHANNELS, Scenario};
use toml::{Table, Value};

/// Deserialize and validate a merged tree.
/// `file_horizon` is the horizon the files themselves set (before `--set`).
pub fn validate_tree(
    tree: MergedTree,
    file_horizon: Option<Horizon>,
) -> Result<Scenario, ScenarioError> {
    let MergedTree {
        table,
        origins,
        files,
        event_horizons,
    } = tree;
    let horizons = EventHorizons {
        of_files: event_horizons,
        otherwise: file_horizon,
    };
    let mut problems = Vec::new();
    check_numbers(&Value::Table(table.clone()), "", &origins, &mut problems);
    let mut file = deserialize_reporting_all(table, &origins, &mut problems)?;
    let mut dropped_events = Vec::new();
    let mut timeline = check_rules(
        &file,
        &horizons,
        &origins,
        &mut problems,
        &mut dropped_events,
    );
    // A run whose horizon is not the files' own was shortened or moved by
    // overrides: what it drops, the files' run would apply.
    let sim = &file.simulation;
    let run_horizon = (sim.start_date, sim.ticks, sim.days_per_tick.max(1));
    if horizons.otherwise != Some(run_horizon) {
        for d in &mut dropped_events {
            d.by_overrides = true;
        }
    }
    if problems.is_empty() {
        // Events past a horizon shortened by `--set` never act: leave them
        // out of the resolved scenario too, so it reproduces this run.
        let kept: Vec<usize> = {
            let mut k: Vec<usize> = timeline.iter().map(|e| e.index).collect();
            k.sort_unstable();
            k
        };
        file.events = kept.iter().map(|&i| file.events[i].clone()).collect();
        // An event from before the start is in force from the first tick:
        // say so in the resolved scenario, whose own horizon is this one.
        let start = file.simulation.start_date;
        for e in &mut file.events {
            if e.date.is_some_and(|d| d < start) {
                e.date = Some(start);
            }
            if e.tick.is_some_and(|t| t < 0) {
                e.tick = Some(0);
            }
        }
        for e in &mut timeline {
            e.index = kept.binary_search(&e.index).unwrap_or(e.index);
        }
        // The chain is merged: a resolved scenario extends nothing.
        file.extends = None;
        if dropped_events
            .iter()
            .any(|d| d.key == "segments.social_before")
        {
            file.segments.social_before = None;
        }
        // Every channel's nest by name and every nest's dissimilarity,
        // defaults written out.
        for channel in file.channels.values_mut() {
            if channel.nest.is_empty() {
                channel.nest = channel.kind.as_str().to_string();
            }
        }
        let nests: Vec<String> = file.channels.values().map(|c| c.nest.clone()).collect();
        for nest in nests {
            file.nests.entry(nest).or_default();
        }
        Ok(Scenario {
            spec: file,
            timeline,
            sources: files,
            dropped_events,
        })
    } else {
        Err(ScenarioError { problems })
    }
}

/// Most unknown keys and wrong types reported from one file.
const MAX_TYPE_PROBLEMS: usize = 50;

/// Deserialize, and on an unknown key or a wrong type note the problem,
/// take the key out and try again, so one run reports every such mistake
/// rather than only the first serde meets.
fn deserialize_reporting_all(
    mut table: Table,
    origins: &Origins,
    problems: &mut Vec<Problem>,
) -> Result<ScenarioFile, ScenarioError> {
    let mut type_problems: Vec<Problem> = Vec::new();
    loop {
        match serde_path_to_error::deserialize::<_, ScenarioFile>(Value::Table(table.clone())) {
            Ok(file) if type_problems.is_empty() => return Ok(file),
            Ok(_) => break,
            Err(e) => {
                let problem = type_problem(&e, origins);
                // A key taken out after a type error is then "missing": that
                // is the same mistake, already reported.
                let follow_on = problem.message.contains("is required")
                    && type_problems.iter().any(|t| t.key == problem.key);
                if follow_on {
                    break;
                }
                let removable = problem
                    .key
                    .clone()
                    .filter(|_| !problem.message.contains("is required"))
                    .filter(|k| super::load::remove_path(&mut table, k));
                type_problems.push(problem);
                if removable.is_none() || type_problems.len() >= MAX_TYPE_PROBLEMS {
                    break;
                }
            }
        }
    }
    // A value of the wrong type is reported once, not also as out of range.
    problems.retain(|p| type_problems.iter().all(|t| t.key != p.key));
    type_problems.append(problems);
    Err(ScenarioError {
        problems: type_problems,
    })
}

/// Most distinct owners a scenario may name (codes are a byte; 0 is none).
const MAX_OWNERS: usize = 255;

/// Help for files written for pasar 0.2, where a typed-in share of banned
/// purchases completed elsewhere.
const REDIRECT_SUCCESS_REMOVED: &str = "`redirect_success` was removed in pasar 0.3: a purchase that cannot be paid for completes on the checkout partner when the seller is listed there, or is chosen again (behaviour.switch_friction weighs giving up); delete the key (docs/ODD.md section 9)";

/// Keys earlier versions took, with what replaced them: the help a file
/// written for that version gets instead of a guess at a similar key.
const REMOVED_KEYS: &[(&str, &str)] = &[
    ("redirect_success", REDIRECT_SUCCESS_REMOVED),
    (
        "shipping_idr",
        "`population.importer.shipping_idr` was removed in pasar 0.4: cross-border shipping is a share of each category's reference price, `categories.<name>.shipping_share` (docs/ODD.md section 7); delete the key and set the share per category",
    ),
];

fn type_problem(e: &serde_path_to_error::Error<toml::de::Error>, origins: &Origins) -> Problem {
    let path = e.path().to_string();
    let path = if path == "." { String::new() } else { path };
    let message = e.inner().message().trim().to_string();
    // serde words unknown fields as "unknown field `x`, expected one of `a`, `b`".
    if let Some((unknown, expected)) = super::error::unknown_field(&message) {
        // serde_path_to_error already ends the path with the unknown key.
        let key = if path.is_empty() || path == unknown || path.ends_with(&format!(".{unknown}")) {
            if path.is_empty() {
                unknown.to_string()
            } else {
                path.clone()
            }
        } else {
            format!("{path}.{unknown}")
        };
        let suggestion = did_you_mean(unknown, expected.iter().copied());
        let removed = REMOVED_KEYS.iter().find(|(key, _)| *key == unknown);
        let help = match (removed, suggestion) {
            (Some((_, help)), _) => help.to_string(),
            (None, Some(s)) => format!(
                "did you mean `{s}`? valid keys here: {}",
                expected.join(", ")
            ),
            (None, None) if expected.is_empty() => "this table takes no keys".to_string(),
            (None, None) => format!("valid keys here: {}", expected.join(", ")),
        };
        return origins.problem(&key, format!("unknown key `{unknown}`"), Some(help));
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or_default();
        let key = if path.is_empty() {
            field.to_string()
        } else {
            format!("{path}.{field}")
        };
        let mut problem = origins.problem(
            &key,
            format!("`{field}` is required here but missing"),
            Some(missing_help(&key)),
        );
        problem.source = origins.locate(&path);
        return problem;
    }
    let help = match params::spec_for(&path) {
        Some(s) => format!("expected {} ({}): {}", s.range, s.unit, s.meaning),
        None => format!("see `{path}` in docs/ODD.md for what this key takes"),
    };
    origins.problem(&path, plain_type_message(&message), Some(help))
}

/// serde's type errors name Rust types ("expected u32"); say it in words.
fn plain_type_message(message: &str) -> String {
    let mut out = message.to_string();
    for (rust, words) in [
        ("expected u32", "expected a whole number of at least 0"),
        ("expected u64", "expected a whole number of at least 0"),
        ("expected i64", "expected a whole number"),
        ("expected f64", "expected a number"),
        ("expected a string", "expected text in quotes"),
        ("expected a boolean", "expected true or false"),
        ("expected struct ", "expected a table "),
        (
            "expected a sequence",
            "expected a list in brackets, e.g. [\"a\", \"b\"]",
        ),
        ("expected a map", "expected a table"),
        ("invalid type: map,", "wrong type: a table,"),
        ("invalid type: sequence,", "wrong type: a list,"),
        ("invalid type: ", "wrong type: "),
        ("invalid value: ", "invalid value: "),
        ("floating point", "number"),
    ] {
        out = out.replace(rust, words);
    }
    // "expected a table Simulation": the Rust type's name means nothing here.
    if let Some(i) = out.find("expected a table ") {
        let rest = &out[i + "expected a table ".len()..];
        let name_len = rest
            .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .unwrap_or(rest.len());
        if rest[..name_len].starts_with(|c: char| c.is_ascii_uppercase()) {
            out = format!("{}expected a table{}", &out[..i], &rest[name_len..]);
        }
    }
    out
}

/// A number as a person reads it: 1e308 rather than 309 digits.
pub(crate) fn show_number(x: f64) -> String {
    if x.is_finite() && x != 0.0 && !(1e-6..1e15).contains(&x.abs()) {
        format!("{x:e}")
    } else {
        x.to_string()
    }
}

fn missing_help(key: &str) -> String {
    match params::generic_path(key).as_str() {
        "simulation" => "every scenario needs a [simulation] table with at least `name`, or `extends = \"baseline.toml\"`".into(),
        "simulation.name" => "add name = \"my_scenario\" under [simulation]".into(),
        "categories" => "add [categories.<name>] tables with demand_share and ref_price_idr, or extend a scenario that has them".into(),
        "channels" => "add [channels.<name>] tables with at least `kind`, or extend a scenario that has them".into(),
        "channels.*.kind" => "kind is one of offline, marketplace, social".into(),
        "categories.*.demand_share" => "a share between 0 and 1; all categories' shares sum to 1".into(),
        "categories.*.ref_price_idr" => "the category's reference price in IDR, e.g. 120000".into(),
        _ if key.starts_with("events[") => "each event needs `lever` and either `date` or `tick`".into(),
        _ => "see docs/ODD.md for the parameter".into(),
    }
}

/// Every number must be finite and within its parameter's range.
fn check_numbers(value: &Value, path: &str, origins: &Origins, problems: &mut Vec<Problem>) {
    match value {
        Value::Table(t) => check_table(t, path, origins, problems),
        Value::Float(x) => check_number(*x, path, origins, problems),
        Value::Integer(i) => check_number(*i as f64, path, origins, problems),
        _ => {}
    }
}

fn check_table(table: &Table, path: &str, origins: &Origins, problems: &mut Vec<Problem>) {
    for (key, value) in table {
        if key == "events" {
            continue; // checked per lever
        }
        let child = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        check_numbers(value, &child, origins, problems);
    }
}

fn check_number(x: f64, path: &str, origins: &Origins, problems: &mut Vec<Problem>) {
    let Some(spec) = params::spec_for(path) else {
        return;
    };
    if !spec.range.contains(x) {
        problems.push(origins.problem(
            path,
            format!("{} is out of range", show_number(x)),
            Some(format!(
                "expected {} ({}): {}",
                spec.range, spec.unit, spec.meaning
            )),
        ));
    }
}

fn is_identifier(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The horizon each event was written for.
struct EventHorizons {
    /// Of the file (with its parents) that wrote event `i`.
    of_files: Vec<Option<Horizon>>,
    /// Of the files as a whole (events added by `--set`).
    otherwise: Option<Horizon>,
}

impl EventHorizons {
    fn of(&self, index: usize) -> Option<Horizon> {
        self.of_files
            .get(index)
            .copied()
            .flatten()
            .or(self.otherwise)
    }
}

fn check_rules(
    file: &ScenarioFile,
    horizons: &EventHorizons,
    origins: &Origins,
    problems: &mut Vec<Problem>,
    dropped: &mut Vec<DroppedEvent>,
) -> Vec<TimedEvent> {
    let sim = &file.simulation;
    if !is_identifier(&sim.name) {
        problems.push(origins.problem(
            "simulation.name",
            format!("`{}` cannot name a scenario", sim.name),
            Some("use letters, digits, `_` and `-` only (it names the output folder)".into()),
        ));
    }
    for (name, what) in file
        .categories
        .keys()
        .map(|n| (n, "categories"))
        .chain(file.channels.keys().map(|n| (n, "channels")))
    {
        if !is_identifier(name) {
            problems.push(origins.problem(
                &format!("{what}.{name}"),
                format!("`{name}` cannot be used as a name"),
                Some("use letters, digits, `_` and `-` only".into()),
            ));
        }
    }
    if file.categories.is_empty() {
        problems.push(origins.problem(
            "categories",
            "at least one category is needed",
            Some(missing_help("categories")),
        ));
    } else {
        let total: f64 = file.categories.values().map(|c| c.demand_share).sum();
        if (total - 1.0).abs() > 1e-6 {
            let listed: Vec<String> = file
                .categories
                .iter()
                .map(|(n, c)| format!("{n} = {}", c.demand_share))
                .collect();
            problems.push(origins.problem(
                "categories",
                format!(
                    "demand shares sum to {}, not 1 ({})",
                    (total * 1e9).round() / 1e9,
                    listed.join(", ")
                ),
                Some("make categories.<name>.demand_share add up to exactly 1".into()),
            ));
        }
    }
    if file.channels.is_empty() {
        problems.push(origins.problem(
            "channels",
            "at least one channel is needed",
            Some(missing_help("channels")),
        ));
    }
    for (key, count, max) in [
        ("categories", file.categories.len(), MAX_CATEGORIES),
        ("channels", file.channels.len(), MAX_CHANNELS),
    ] {
        if count > max {
            problems.push(origins.problem(
                key,
                format!("{count} {key} are more than the {max} supported"),
                Some(format!("merge some {key}; at most {max}")),
            ));
        }
    }
    let channel_names: Vec<&str> = file.channels.keys().map(String::as_str).collect();
    for (name, channel) in &file.channels {
        // A taste that drifts and a diffusion of use are two answers to
        // the same question: one at a time.
        if channel.adoption.is_some() && channel.affinity_trend != 0.0 {
            problems.push(origins.problem(
                &format!("channels.{name}.affinity_trend"),
                format!(
                    "channel `{name}` has both an affinity_trend ({}) and an [adoption] diffusion",
                    channel.affinity_trend
                ),
                Some(
                    "its growth is the diffusion's: set affinity_trend = 0 or remove the [adoption] table"
                        .into(),
                ),
            ));
        }
        if channel.adoption.is_some() && channel.kind == ChannelKind::Offline {
            problems.push(origins.problem(
                &format!("channels.{name}.adoption"),
                format!("the offline channel `{name}` cannot diffuse"),
                Some("adoption is for online channels (marketplace or social)".into()),
            ));
        }
        if !channel.checkout_partner.is_empty() {
            let key = format!("channels.{name}.checkout_partner");
            check_partner(
                &channel.checkout_partner,
                name,
                &channel_names,
                &key,
                origins,
                problems,
            );
        }
    }
    let nest_names: Vec<&str> = file.channels.values().map(|c| c.nest_name()).collect();
    for name in file.nests.keys() {
        if !nest_names.contains(&name.as_str()) {
            let mut used = nest_names.clone();
            used.sort_unstable();
            used.dedup();
            problems.push(unknown_name(
                &format!("nests.{name}"),
                "nest",
                name,
                &used,
                origins,
            ));
        }
    }
    let b = &file.behaviour;
    if b.markup_min > b.markup_max {
        problems.push(origins.problem(
            "behaviour.markup_min",
            format!(
                "markup_min ({}) is above markup_max ({})",
                b.markup_min, b.markup_max
            ),
            Some("markup_min must not exceed markup_max".into()),
        ));
    }
    let pop = &file.population;
    let bounds_ok = b.markup_min <= b.markup_max;
    for (key, markup) in [
        ("population.umkm.initial_markup", pop.umkm.initial_markup),
        (
            "population.importer.initial_markup",
            pop.importer.initial_markup,
        ),
        (
            "population.affiliate.initial_markup",
            pop.affiliate.initial_markup,
        ),
    ] {
        if bounds_ok && (markup < b.markup_min || markup > b.markup_max) {
            problems.push(origins.problem(
                key,
                format!(
                    "{markup} lies outside [markup_min, markup_max] = [{}, {}]",
                    b.markup_min, b.markup_max
                ),
                Some("choose a markup inside the behaviour bounds, or widen them".into()),
            ));
        }
    }
    if pop.affiliate.count > 0
        && !file
            .channels
            .values()
            .any(|c| !c.owner.is_empty() && c.owner == pop.affiliate.owner)
    {
        let owners: Vec<&str> = file
            .channels
            .values()
            .map(|c| c.owner.as_str())
            .filter(|o| !o.is_empty())
            .collect();
        problems.push(origins.problem(
            "population.affiliate.owner",
            format!("no channel is owned by `{}`", pop.affiliate.owner),
            Some(format!(
                "affiliates belong to a channel owner; owners here: {}",
                owners.join(", ")
            )),
        ));
    }
    let classes = pop.umkm.small.share + pop.umkm.medium.share;
    if classes > 1.0 {
        problems.push(origins.problem(
            "population.umkm.small.share",
            format!(
                "small ({}) and medium ({}) shares add up to {}, more than all UMKM",
                pop.umkm.small.share,
                pop.umkm.medium.share,
                (classes * 1e9).round() / 1e9
            ),
            Some("the two shares must add up to at most 1; micro UMKM are the rest".into()),
        ));
    }
    check_segments(file, horizons.otherwise, origins, problems, dropped);
    // Owners are numbered in a byte, 0 for none.
    let owners = file.owner_names().len();
    if owners > MAX_OWNERS {
        problems.push(origins.problem(
            "channels",
            format!("the scenario names {owners} owners, more than the {MAX_OWNERS} pasar can tell apart"),
            Some("give channels, affiliates and change_owner events fewer distinct owners".into()),
        ));
    }
    let mut timeline = Vec::new();
    for (index, event) in file.events.iter().enumerate() {
        let horizon = horizons.of(index);
        if let Some(e) = check_event(file, index, event, horizon, origins, problems, dropped) {
            timeline.push(e);
        }
    }
    // Same-tick events keep file order (stable sort).
    timeline.sort_by_key(|e| e.tick);
    end_events(&mut timeline, file, origins, problems);
    timeline
}

/// `segments.social_before` must leave a window before it and start one
/// inside the horizon.
fn check_segments(
    file: &ScenarioFile,
    file_horizon: Option<Horizon>,
    origins: &Origins,
    problems: &mut Vec<Problem>,
    dropped: &mut Vec<DroppedEvent>,
) {
    let sim = &file.simulation;
    let Some(date) = file.segments.social_before else {
        return;
    };
    let days = i64::from(sim.days_per_tick.max(1));
    let end = sim.start_date.add_days(i64::from(sim.ticks) * days - 1);
    let usable = |start: super::Date, ticks: u32, days: i64| {
        let t = date.days_since(start).div_euclid(days);
        t >= 1 && t < i64::from(ticks)
    };
    let in_run = usable(sim.start_date, sim.ticks, days);
    let in_files = file_horizon.is_some_and(|(s, t, d)| usable(s, t, i64::from(d)));
    if !in_run && in_files {
        // A horizon moved by overrides leaves the files' segment out, as
        // it does their events.
        dropped.push(DroppedEvent {
            key: "segments.social_before".into(),
            lever: "segment".into(),
            when: date.to_string(),
            channel: None,
            reason: DropReason::NoWindow,
            by_overrides: false,
        });
        return;
    }
    if !in_run {
        problems.push(origins.problem(
            "segments.social_before",
            format!("{date} leaves no ticks before it or none from it in the horizon"),
            Some(format!(
                "choose a date after the first tick and no later than the last: {} to {}",
                sim.start_date.add_days(days),
                end
            )),
        ));
    }
}

/// An `end` event stops the events of its lever (on its channel) that came
/// before it and are still in force then: their `until` becomes its tick.
fn end_events(
    timeline: &mut [TimedEvent],
    file: &ScenarioFile,
    origins: &Origins,
    problems: &mut Vec<Problem>,
) {
    let ends: Vec<(usize, u32, usize, String, Option<usize>)> = timeline
        .iter()
        .enumerate()
        .filter_map(|(at, e)| match &e.lever {
            Lever::End { lever, channel } => Some((at, e.tick, e.index, lever.clone(), *channel)),
            _ => None,
        })
        .collect();
    for (at, tick, index, lever, channel) in ends {
        let mut ended = 0;
        // Earlier in the timeline: before it, or the same tick and earlier
        // in the files.
        for e in &mut timeline[..at] {
            let same =
                e.lever.name() == lever && channel.is_none_or(|k| e.lever.channel() == Some(k));
            if same && e.until.is_none_or(|u| u > tick) {
                e.until = Some(tick);
                ended += 1;
            }
        }
        if ended == 0 {
            let on = channel
                .and_then(|k| file.channels.get_index(k))
                .map(|(name, _)| format!(" on {name}"))
                .unwrap_or_default();
            problems.push(origins.problem(
                &format!("events[{index}].ends"),
                format!("no {lever} event{on} is in force at tick {tick} to end"),
                Some(
                    "an end event follows the event it ends; check the lever, the channel and the dates"
                        .to_string(),
                ),
            ));
        }
    }
}

fn check_partner(
    partner: &str,
    channel: &str,
    names: &[&str],
    key: &str,
    origins: &Origins,
    problems: &mut Vec<Problem>,
) {
    if partner == channel {
        problems.push(origins.problem(
            key,
            "a channel cannot be its own checkout partner",
            Some("name another channel, e.g. a marketplace".into()),
        ));
    } else if !names.contains(&partner) {
        problems.push(unknown_name(key, "channel", partner, names, origins));
    }
}

fn plural(what: &str) -> String {
    match what.strip_suffix('y') {
        Some(stem) => format!("{stem}ies"),
        None => format!("{what}s"),
    }
}

fn unknown_name(key: &str, what: &str, name: &str, names: &[&str], origins: &Origins) -> Problem {
    let help = match did_you_mean(name, names.iter().copied()) {
        Some(s) => format!(
            "did you mean `{s}`? {} here: {}",
            plural(what),
            names.join(", ")
        ),
        None => format!("{} here: {}", plural(what), names.join(", ")),
    };
    origins.problem(
        key,
        format!("there is no {what} named `{name}`"),
        Some(help),
    )
}

fn check_event(
    file: &ScenarioFile,
    index: usize,
    event: &EventSpec,
    file_horizon: Option<Horizon>,
    origins: &Origins,
    problems: &mut Vec<Problem>,
    dropped: &mut Vec<DroppedEvent>,
) -> Option<TimedEvent> {
    let at = |field: &str| format!("events[{index}].{field}");
    let before = problems.len();
    let Some(def) = lever_def(&event.lever) else {
        let names: Vec<&str> = LEVERS.iter().map(|l| l.name).collect();
        problems.push(unknown_name(
            &at("lever"),
            "lever",
            &event.lever,
            &names,
            origins,
        ));
        return None;
    };
    let takes = || format!("{} takes: {}", def.name, def.arg_names().join(", "));
    // A misspelt argument is reported once, not also as a missing one.
    let mut suggested = Vec::new();
    for name in event.args.keys() {
        if def.arg(name).is_none() {
            let mut known = def.arg_names();
            known.extend(["date", "tick"]);
            let suggestion = did_you_mean(name, known.iter().copied());
            suggested.extend(suggestion);
            let help = match suggestion {
                _ if name == "redirect_success" => {
                    format!("{REDIRECT_SUCCESS_REMOVED}; a partner's reach grows with `onboarding`")
                }
                Some(s) => format!("did you mean `{s}`? {}", takes()),
                None => takes(),
            };
            problems.push(origins.problem(
                &at(name),
                format!("`{name}` is not an argument of {}", def.name),
                Some(help),
            ));
        }
    }
    for arg in def.args.iter().filter(|a| a.required) {
        if !event.args.contains_key(arg.name) && !suggested.contains(&arg.name) {
            problems.push(origins.problem(
                &format!("events[{index}]"),
                format!("{} needs `{}`", def.name, arg.name),
                Some(takes()),
            ));
        }
    }
    let tick = event_tick(file, index, event, file_horizon, origins, problems);
    let mut values = Vec::new();
    for arg in def.args {
        if let Some(value) = event.args.get(arg.name) {
            match check_argument(file, arg, value, &at(arg.name), origins) {
                Ok(v) => values.push((arg.name, v)),
                Err(mut found) => problems.append(&mut found),
            }
        }
    }
    if problems.len() > before {
        return None;
    }
    let lever = match (def.build)(&Args { values, file }) {
        Ok(lever) => lever,
        Err(p) => {
            problems.push(origins.problem(&at(&p.arg), p.message, Some(p.help)));
            return None;
        }
    };
    let drop = |reason| DroppedEvent {
        key: format!("events[{index}]"),
        lever: event.lever.clone(),
        when: match (event.date, event.tick) {
            (Some(date), _) => date.to_string(),
            (None, Some(t)) => format!("tick {t}"),
            (None, None) => String::new(),
        },
        channel: event
            .arg("channel")
            .and_then(|c| c.as_str())
            .map(str::to_string),
        reason,
        by_overrides: false,
    };
    // An event before the start, written for a longer run, is in force
    // from the first tick (a fee changed before the run began).
    let (tick, offset) = match tick {
        EventTime::At(t) => (t, i64::from(t)),
        EventTime::BeforeStart(offset) => (0, offset),
        EventTime::AfterEnd => {
            dropped.push(drop(DropReason::AfterEnd));
            return None;
        }
        EventTime::Invalid => return None,
    };
    let until = event_until(file, index, event, offset, origins, problems)?;
    if until.is_some_and(|u| u <= 0) {
        dropped.push(drop(DropReason::EndedBeforeStart));
        return None;
    }
    // An end past the horizon is an effect that lasts to the end of the run.
    let until = until
        .filter(|&u| u < i64::from(file.simulation.ticks))
        .map(|u| u as u32);
    Some(TimedEvent {
        tick,
        until,
        lever,
        index,
    })
}

/// One argument's value, checked against what it takes: names that exist,
/// numbers in range.
fn check_argument(
    file: &ScenarioFile,
    arg: &Arg,
    value: &Value,
    key: &str,
    origins: &Origins,
) -> Result<ArgValue, Vec<Problem>> {
    let wrong_type = || {
        vec![origins.problem(
            key,
            format!(
                "`{}` takes {}, not `{value}`",
                arg.name,
                arg.kind.describe()
            ),
            Some(format!("{}: {}", arg.name, arg.meaning)),
        )]
    };
    let channel_names: Vec<&str> = file.channels.keys().map(String::as_str).collect();
    let category_names: Vec<&str> = file.categories.keys().map(String::as_str).collect();
    // Names in a list: every unknown one is a problem of its own.
    let resolve = |list: &[Value], what: &str, names: &[&str]| {
        let mut indices = Vec::new();
        let mut found = Vec::new();
        for item in list {
            let Some(name) = item.as_str() else {
                return Err(wrong_type());
            };
            match names.iter().position(|n| *n == name) {
                Some(i) => indices.push(i),
                None => found.push(unknown_name(key, what, name, names, origins)),
            }
        }
        if found.is_empty() {
            Ok(indices)
        } else {
            Err(found)
        }
    };
    let number = |x: f64, range: Range| {
        if range.contains(x) {
            Ok(x)
        } else {
            Err(vec![origins.problem(
                key,
                format!("{} is out of range", show_number(x)),
                Some(format!("expected {range}: {}", arg.meaning)),
            )])
        }
    };
    match (arg.kind, value) {
        (ArgKind::Channel, Value::String(_)) => {
            resolve(std::slice::from_ref(value), "channel", &channel_names)
                .map(|i| ArgValue::Channel(i[0]))
        }
        (ArgKind::Channels, Value::Array(list)) => {
            resolve(list, "channel", &channel_names).map(ArgValue::Channels)
        }
        (ArgKind::Name, Value::String(name)) => Ok(ArgValue::Name(name.clone())),
        (ArgKind::Categories, Value::Array(list)) => {
            resolve(list, "category", &category_names).map(ArgValue::Categories)
        }
        (ArgKind::Number(range), Value::Float(x)) => number(*x, range).map(ArgValue::Number),
        (ArgKind::Number(range), Value::Integer(i)) => {
            number(*i as f64, range).map(ArgValue::Number)
        }
        (ArgKind::Whole(range), Value::Integer(i)) => {
            number(*i as f64, range).map(|_| ArgValue::Whole(*i))
        }
        _ => Err(wrong_type()),
    }
}

/// The tick, counted from the run's start, an event's effect ends at
/// (`Some(None)`: it never ends); `None` on a problem, which is recorded.
/// `start` is the event's own tick, negative if it falls before the run.
fn event_until(
    file: &ScenarioFile,
    index: usize,
    event: &EventSpec,
    start: i64,
    origins: &Origins,
    problems: &mut Vec<Problem>,
) -> Option<Option<i64>> {
    let sim = &file.simulation;
    let days = i64::from(sim.days_per_tick.max(1));
    let (field, until, label) = match (event.until, event.until_tick) {
        (None, None) => return Some(None),
        (Some(_), Some(_)) => {
            problems.push(origins.problem(
                &format!("events[{index}]"),
                "an event has an `until` or an `until_tick`, not both",
                Some("keep one of them".into()),
            ));
            return None;
        }
        (Some(date), None) => (
            "until",
            date.days_since(sim.start_date).div_euclid(days),
            date.to_string(),
        ),
        (None, Some(t)) => ("until_tick", t, format!("tick {t}")),
    };
    if until <= start {
        problems.push(origins.problem(
            &format!("events[{index}].{field}"),
            format!("{label} does not come after the event (tick {start})"),
            Some("an effect ends after it starts: give a later date or tick".into()),
        ));
        return None;
    }
    Some(Some(until))
}

/// When an event happens.
enum EventTime {
    At(u32),
    /// This many ticks (negative) before the start of a horizon moved by
    /// `extends` or `--set`, but inside the horizon of the files that
    /// wrote it: in force from the first tick.
    BeforeStart(i64),
    /// After the end of a horizon shortened by `--set`, but inside the
    /// horizon of the files that wrote it: it never takes effect.
    AfterEnd,
    Invalid,
}

fn event_tick(
    file: &ScenarioFile,
    index: usize,
    event: &EventSpec,
    file_horizon: Option<Horizon>,
    origins: &Origins,
    problems: &mut Vec<Problem>,
) -> EventTime {
    let sim = &file.simulation;
    let valid =
        |path: &str, x: u32| params::spec_for(path).is_some_and(|s| s.range.contains(x as f64));
    if !valid("simulation.ticks", sim.ticks)
        || !valid("simulation.days_per_tick", sim.days_per_tick)
    {
        // The horizon itself is out of range and reported as such.
        return EventTime::Invalid;
    }
    let days = sim.days_per_tick as i64;
    let end = sim.start_date.add_days(sim.ticks as i64 * days - 1);
    let horizon = format!(
        "ticks 0 to {}, dates {} to {}",
        sim.ticks.saturating_sub(1),
        sim.start_date,
        end
    );
    // Ticks of the event counted in the final horizon, and whether it lies
    // inside the files' own horizon (before `--set` shortened it).
    let (field, offset_ticks, label, in_file_horizon) = match (event.date, event.tick) {
        (Some(_), Some(_)) => {
            problems.push(origins.problem(
                &format!("events[{index}]"),
                "an event has a `date` or a `tick`, not both",
                Some("keep one of them".into()),
            ));
            return EventTime::Invalid;
        }
        (None, None) => {
            problems.push(origins.problem(
                &format!("events[{index}]"),
                "an event needs a `date` or a `tick`",
                Some(format!("e.g. date = 2023-10-04; the horizon is {horizon}")),
            ));
            return EventTime::Invalid;
        }
        (Some(date), None) => {
            let offset = date.days_since(sim.start_date);
            let inside = file_horizon.is_some_and(|(start, ticks, d)| {
                let o = date.days_since(start);
                o >= 0 && o / (d as i64) < ticks as i64
            });
            ("date", offset.div_euclid(days), date.to_string(), inside)
        }
        (None, Some(tick)) => {
            let inside = file_horizon.is_some_and(|(_, ticks, _)| tick >= 0 && tick < ticks as i64);
            ("tick", tick, format!("tick {tick}"), inside)
        }
    };
    if offset_ticks >= 0 && offset_ticks < sim.ticks as i64 {
        EventTime::At(offset_ticks as u32)
    } else if offset_ticks >= sim.ticks as i64 && in_file_horizon {
        EventTime::AfterEnd
    } else if offset_ticks < 0 && in_file_horizon {
        EventTime::BeforeStart(offset_ticks)
    } else {
        problems.push(origins.problem(
            &format!("events[{index}].{field}"),
            format!("{label} is outside the simulated horizon"),
            Some(format!("choose a {field} in {horizon}")),
        ));
        EventTime::Invalid
    }
}

/// Every numeric parameter path present in `file` has a spec (used by tests
/// to keep the parameter table complete).
pub fn unspecified_paths(file: &ScenarioFile) -> Vec<String> {
    let Ok(Value::Table(table)) = Value::try_from(file) else {
        return vec!["<scenario does not serialize>".into()];
    };
    let mut out = Vec::new();
    collect_unspecified(&Value::Table(table), "", &mut out);
    out.retain(|p| !p.starts_with("events"));
    out.sort();
    out
}

fn collect_unspecified(value: &Value, path: &str, out: &mut Vec<String>) {
    match value {
        Value::Table(t) => {
            for (k, v) in t {
                let child = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                collect_unspecified(v, &child, out);
            }
        }
        Value::Float(_) | Value::Integer(_) if params::spec_for(path).is_none() => {
            out.push(params::generic_path(path));
        }
        _ => {}
    }
}
