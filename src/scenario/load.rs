//! Reading scenario files: TOML syntax, `extends` chains, `--set` overrides,
//! and a map from every key path to the file, line and column it came from.
//!
//! Files are merged as TOML trees (a child's keys override its parent's,
//! `events` are concatenated parent first) and only then deserialized, so a
//! policy scenario can be a few lines over the baseline.

use super::error::{Problem, ScenarioError, Source, did_you_mean};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use toml::{Table, Value};

/// A scenario file that was read, with its SHA-256 (for the manifest).
pub type SourceFile = crate::input::FileEntry;

/// The merged TOML tree of a scenario and where each key came from.
#[derive(Debug, Clone)]
pub struct MergedTree {
    pub table: Table,
    pub origins: Origins,
    /// Files read, the named one first, then its ancestors.
    pub files: Vec<SourceFile>,
    /// For each event from the files, the horizon of the file that wrote
    /// it (with what it extends): an event a child's shorter horizon cuts
    /// off was still meant, and is placed at the start or dropped rather
    /// than refused.
    pub event_horizons: Vec<Option<Horizon>>,
}

/// Start, ticks and days per tick.
pub type Horizon = (super::Date, u32, u32);

/// The horizon a merged tree sets, if its simulation table is readable.
pub fn horizon_of(table: &Table) -> Option<Horizon> {
    let sim = table.get("simulation")?.clone();
    let sim: super::schema::Simulation = sim.try_into().ok()?;
    Some((sim.start_date, sim.ticks, sim.days_per_tick.max(1)))
}

/// Key path → where it was written.
#[derive(Debug, Clone, Default)]
pub struct Origins {
    map: HashMap<String, Source>,
    /// The file that was named on the command line (fallback location).
    root: Option<PathBuf>,
}

impl Origins {
    /// Where `path` (or its nearest written ancestor) came from.
    pub fn locate(&self, path: &str) -> Source {
        let mut current = path.to_string();
        loop {
            if let Some(source) = self.map.get(&current) {
                return source.clone();
            }
            match parent_path(&current) {
                Some(parent) => current = parent,
                None => break,
            }
        }
        Source::File {
            path: self.root.clone().unwrap_or_default(),
            line_col: None,
        }
    }

    pub fn problem(
        &self,
        key: &str,
        message: impl Into<String>,
        help: impl Into<Option<String>>,
    ) -> Problem {
        Problem {
            source: self.locate(key),
            key: if key.is_empty() {
                None
            } else {
                Some(key.to_string())
            },
            message: message.into(),
            help: help.into(),
        }
    }
}

fn parent_path(path: &str) -> Option<String> {
    if path.is_empty() {
        return None;
    }
    let cut = path.rfind(['.', '['])?;
    Some(path[..cut].to_string())
}

/// Read `path` and the chain of files it extends, merged into one tree.
pub fn read_tree(path: &Path) -> Result<MergedTree, ScenarioError> {
    let mut chain: Vec<PathBuf> = Vec::new();
    let mut files = Vec::new();
    let mut layers: Vec<(Table, HashMap<String, Source>)> = Vec::new();
    let mut next = Some((path.to_path_buf(), None::<Source>));
    while let Some((file, referenced_from)) = next.take() {
        let canonical = file.canonicalize().unwrap_or_else(|_| file.clone());
        if chain.contains(&canonical) {
            let names: Vec<String> = chain.iter().map(|p| p.display().to_string()).collect();
            return Err(ScenarioError::single(Problem {
                source: referenced_from.unwrap_or(Source::File {
                    path: file.clone(),
                    line_col: None,
                }),
                key: Some("extends".into()),
                message: format!(
                    "`extends` makes a cycle: {} -> {}",
                    names.join(" -> "),
                    canonical.display()
                ),
                help: Some(
                    "a scenario may extend its parent, never itself or its own descendants".into(),
                ),
            }));
        }
        chain.push(canonical);
        let text = read_text(&file, referenced_from)?;
        files.push(SourceFile::of_bytes(
            file.display().to_string(),
            text.as_bytes(),
        ));
        let (mut table, origins) = parse_text(&file, &text)?;
        if let Some(parent) = table.remove("extends") {
            let origin = origins.get("extends").cloned();
            let Value::String(parent) = parent else {
                return Err(ScenarioError::single(Problem {
                    source: origin.unwrap_or(Source::File {
                        path: file.clone(),
                        line_col: None,
                    }),
                    key: Some("extends".into()),
                    message: "`extends` must be a file name in quotes".into(),
                    help: Some("e.g. extends = \"baseline.toml\" (relative to this file)".into()),
                }));
            };
            let base = file.parent().unwrap_or(Path::new("."));
            next = Some((base.join(parent), origin));
        }
        layers.push((table, origins));
    }
    // Merge from the oldest ancestor down to the named file.
    let mut merged = Table::new();
    let mut origins = Origins {
        map: HashMap::new(),
        root: Some(path.to_path_buf()),
    };
    let mut event_horizons = Vec::new();
    for (table, layer_origins) in layers.into_iter().rev() {
        let event_offset = match merged.get("events") {
            Some(Value::Array(a)) => a.len(),
            _ => 0,
        };
        for (key, source) in layer_origins {
            origins
                .map
                .insert(shift_event_index(&key, event_offset), source);
        }
        merge_into(&mut merged, table);
        let events = match merged.get("events") {
            Some(Value::Array(a)) => a.len(),
            _ => 0,
        };
        let horizon = horizon_of(&merged);
        event_horizons.resize(events.max(event_offset), horizon);
    }
    Ok(MergedTree {
        table: merged,
        origins,
        files,
        event_horizons,
    })
}

/// Read one TOML file that is not a scenario (calibration targets, say)
/// with the same checks as a scenario file (size, UTF-8, syntax) and the
/// place of every key, so its errors can name file, line and column.
pub fn read_toml_file(path: &Path) -> Result<(Table, Origins), ScenarioError> {
    let text = read_text(path, None)?;
    let (table, map) = parse_text(path, &text)?;
    Ok((
        table,
        Origins {
            map,
            root: Some(path.to_path_buf()),
        },
    ))
}

/// `events[2].channel` → `events[2+offset].channel`.
fn shift_event_index(key: &str, offset: usize) -> String {
    if offset == 0 {
        return key.to_string();
    }
    if let Some(rest) = key.strip_prefix("events[")
        && let Some(end) = rest.find(']')
        && let Ok(index) = rest[..end].parse::<usize>()
    {
        return format!("events[{}]{}", index + offset, &rest[end + 1..]);
    }
    key.to_string()
}

/// Largest scenario file read (the shipped ones are a few KiB).
pub const MAX_FILE_BYTES: u64 = crate::input::caps::TOML;

fn read_text(file: &Path, referenced_from: Option<Source>) -> Result<String, ScenarioError> {
    let fail = |message: String, help: &str| {
        let (source, key) = match &referenced_from {
            Some(s) => (s.clone(), Some("extends".to_string())),
            None => (
                Source::File {
                    path: file.to_path_buf(),
                    line_col: None,
                },
                None,
            ),
        };
        ScenarioError::single(Problem {
            source,
            key,
            message,
            help: Some(help.to_string()),
        })
    };
    // A regular file, read up to the cap: a folder, a device or an endless
    // pipe named by mistake is refused rather than read forever.
    let bytes = crate::input::read_capped(file, MAX_FILE_BYTES).map_err(|e| match e {
        crate::input::InputError::NotAFile { what, .. } => fail(
            format!("{} is {what}, not a scenario file", file.display()),
            "name a .toml scenario file, e.g. scenarios/baseline.toml",
        ),
        crate::input::InputError::TooLarge { .. } => fail(
            format!(
                "{} is larger than {} MiB: not a scenario file",
                file.display(),
                MAX_FILE_BYTES >> 20
            ),
            "name a .toml scenario file, e.g. scenarios/baseline.toml",
        ),
        crate::input::InputError::Unreadable { source, .. } => fail(
            format!("cannot read {}: {source}", file.display()),
            "check the path; `extends` paths are relative to the file that names them",
        ),
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let valid = &e.as_bytes()[..offset];
        let text = String::from_utf8_lossy(valid);
        ScenarioError::single(Problem {
            source: Source::File {
                path: file.to_path_buf(),
                line_col: Some(line_col(&text, text.len())),
            },
            key: None,
            message: format!("the file is not valid UTF-8 (bad byte at offset {offset})"),
            help: Some("save the scenario as UTF-8 text".into()),
        })
    })
}

fn parse_text(file: &Path, text: &str) -> Result<(Table, HashMap<String, Source>), ScenarioError> {
    let syntax_error = |message: &str, offset: Option<usize>| {
        ScenarioError::single(Problem {
            source: Source::File {
                path: file.to_path_buf(),
                line_col: offset.map(|o| line_col(text, o)),
            },
            key: None,
            message: format!("TOML syntax error: {}", message.trim()),
            help: Some("see https://toml.io for the syntax; strings need quotes, dates are written 2023-10-04".into()),
        })
    };
    if let Some((offset, depth)) = deepest_key(text) {
        return Err(ScenarioError::single(Problem {
            source: Source::File {
                path: file.to_path_buf(),
                line_col: Some(line_col(text, offset)),
            },
            key: None,
            message: format!(
                "a key nested {depth} levels deep; scenario keys are a few levels deep ({MAX_FILE_KEY_DEPTH} at most)"
            ),
            help: Some("see docs/ODD.md for the keys a scenario takes".into()),
        }));
    }
    // Parsed once, with spans: the spans give every key's line and column,
    // then the same document becomes the plain table that is merged.
    let doc = toml_edit::ImDocument::parse(text.to_string())
        .map_err(|e| syntax_error(e.message(), e.span().map(|s| s.start)))?;
    let mut origins = HashMap::new();
    record_origins(file, text, doc.as_table(), "", &mut origins);
    let table: Table = toml_edit::de::from_document(doc)
        .map_err(|e| syntax_error(e.message(), e.span().map(|s| s.start)))?;
    Ok((table, origins))
}

/// Deepest dotted key a file may write (`[a.b.c]` or `a.b.c = 1`): far
/// more than any scenario key, far less than what would exhaust the stack
/// of the recursive steps that follow parsing (nested inline tables and
/// arrays are bounded by the parser itself).
pub const MAX_FILE_KEY_DEPTH: usize = 64;

/// The first line whose key (a table header or the key of `key = value`)
/// has more than [`MAX_FILE_KEY_DEPTH`] parts: its offset and depth.
/// Quoted parts may hold dots; they count once.
fn deepest_key(text: &str) -> Option<(usize, usize)> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim_start();
        let key = match trimmed.strip_prefix('[') {
            Some(header) => header.split(']').next().unwrap_or(""),
            None => match trimmed.find('=') {
                Some(i) => &trimmed[..i],
                None => continue,
            },
        };
        let mut parts = 1;
        let mut quote: Option<char> = None;
        for c in key.chars() {
            match (quote, c) {
                (None, '"' | '\'') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (None, '.') => parts += 1,
                (None, '#') => break,
                _ => {}
            }
        }
        if parts > MAX_FILE_KEY_DEPTH {
            return Some((start, parts));
        }
    }
    None
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

fn record_origins(
    file: &Path,
    text: &str,
    table: &toml_edit::Table,
    prefix: &str,
    out: &mut HashMap<String, Source>,
) {
    for (name, _) in table.iter() {
        let Some((key, item)) = table.get_key_value(name) else {
            continue;
        };
        let path = join(prefix, name);
        let span = key.span().or_else(|| item.span());
        if let Some(span) = span {
            out.insert(
                path.clone(),
                Source::File {
                    path: file.to_path_buf(),
                    line_col: Some(line_col(text, span.start)),
                },
            );
        }
        record_item(file, text, item, &path, out);
    }
}

fn record_item(
    file: &Path,
    text: &str,
    item: &toml_edit::Item,
    path: &str,
    out: &mut HashMap<String, Source>,
) {
    let put =
        |out: &mut HashMap<String, Source>, p: String, span: Option<std::ops::Range<usize>>| {
            if let Some(span) = span {
                out.entry(p).or_insert(Source::File {
                    path: file.to_path_buf(),
                    line_col: Some(line_col(text, span.start)),
                });
            }
        };
    match item {
        toml_edit::Item::Table(t) => record_origins(file, text, t, path, out),
        toml_edit::Item::ArrayOfTables(array) => {
            for (i, t) in array.iter().enumerate() {
                let p = format!("{path}[{i}]");
                put(out, p.clone(), t.span());
                record_origins(file, text, t, &p, out);
            }
        }
        toml_edit::Item::Value(toml_edit::Value::InlineTable(t)) => {
            for (name, _) in t.iter() {
                if let Some((key, value)) = t.get_key_value(name) {
                    let p = join(path, name);
                    put(out, p.clone(), key.span().or_else(|| value.span()));
                    record_item(file, text, value, &p, out);
                }
            }
        }
        toml_edit::Item::Value(toml_edit::Value::Array(a)) => {
            for (i, v) in a.iter().enumerate() {
                let p = format!("{path}[{i}]");
                put(out, p.clone(), v.span());
                if let toml_edit::Value::InlineTable(_) = v {
                    record_item(file, text, &toml_edit::Item::Value(v.clone()), &p, out);
                }
            }
        }
        _ => {}
    }
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let col = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, col)
}

fn merge_into(base: &mut Table, over: Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(Value::Table(b)), Value::Table(o)) => merge_into(b, o),
            (Some(Value::Array(b)), Value::Array(o)) if key == "events" => b.extend(o),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// Deepest key path an override may name: scenario keys are a few levels
/// deep (`events[0].categories[1]`), and a deeper path would only build
/// nested tables that later recursive steps cannot handle.
pub const MAX_KEY_DEPTH: usize = 16;

/// Apply `key.path=value` overrides to the merged tree, in order (a key
/// set twice takes the later value: scenarios built in code layer their
/// overrides so).
pub fn apply_sets(tree: &mut MergedTree, sets: &[String]) -> Result<(), ScenarioError> {
    let problems: Vec<Problem> = sets
        .iter()
        .filter_map(|argument| apply_set(tree, argument).err())
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ScenarioError { problems })
    }
}

/// Apply the overrides as a user gave them: every `key.path=value`, then
/// the seed and the replicate count as typed values. A key given twice
/// (two overrides, or an override and a control) is refused: which one was
/// meant is a guess.
pub fn apply_overrides(
    tree: &mut MergedTree,
    overrides: &super::Overrides,
) -> Result<(), ScenarioError> {
    let mut problems = Vec::new();
    let mut seen: Vec<(String, &str)> = Vec::new();
    for argument in &overrides.sets {
        let key = argument
            .split_once('=')
            .map(|(k, _)| k.trim().to_string())
            .unwrap_or_default();
        if !key.is_empty() {
            if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
                problems.push(Problem {
                    source: Source::CommandLine {
                        argument: argument.clone(),
                    },
                    key: Some(key.clone()),
                    message: format!("`{key}` is overridden twice (first by `{first}`)"),
                    help: Some("give each key once".into()),
                });
                continue;
            }
            seen.push((key, argument));
        }
        if let Err(p) = apply_set(tree, argument) {
            problems.push(p);
        }
    }
    let controls = [
        ("seed", "simulation.seed", overrides.seed.map(|s| s as i64)),
        (
            "replicates",
            "simulation.replicates",
            overrides.replicates.map(i64::from),
        ),
    ];
    for (name, path, value) in controls {
        let Some(value) = value else { continue };
        if let Some((_, argument)) = seen.iter().find(|(k, _)| k == path) {
            problems.push(Problem {
                source: Source::Control { name },
                key: Some(path.to_string()),
                message: format!(
                    "the {name} is given twice: as {value} and by the override `{argument}`"
                ),
                help: Some(format!("give the {name} once")),
            });
            continue;
        }
        let simulation = tree
            .table
            .entry("simulation")
            .or_insert_with(|| Value::Table(Table::new()));
        if let Value::Table(t) = simulation {
            t.insert(name.to_string(), Value::Integer(value));
            tree.origins
                .map
                .insert(path.to_string(), Source::Control { name });
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ScenarioError { problems })
    }
}

fn apply_set(tree: &mut MergedTree, argument: &str) -> Result<(), Problem> {
    let source = Source::CommandLine {
        argument: argument.to_string(),
    };
    let fail = |key: Option<&str>, message: String, help: &str| Problem {
        source: source.clone(),
        key: key.map(str::to_string),
        message,
        help: Some(help.to_string()),
    };
    let Some((path, raw)) = argument.split_once('=') else {
        return Err(fail(
            None,
            "an override must be written key.path=value".into(),
            "e.g. channels.social.take_rate=0.08",
        ));
    };
    let path = path.trim();
    if path.is_empty() {
        return Err(fail(
            None,
            "the key path before `=` is empty".into(),
            "e.g. channels.social.take_rate=0.08",
        ));
    }
    if path == "extends" || path.starts_with("extends.") || path.starts_with("extends[") {
        return Err(fail(
            Some("extends"),
            "`extends` cannot be overridden: it names the file a scenario file builds on".into(),
            "write extends = \"baseline.toml\" in a scenario file and run that file",
        ));
    }
    let segments = parse_key_path(path).ok_or_else(|| {
        fail(
            Some(path),
            format!("`{path}` is not a key path"),
            "write the path with dots and [index] as in the file, e.g. channels.social.take_rate or events[0].date",
        )
    })?;
    if segments.len() > MAX_KEY_DEPTH {
        return Err(fail(
            None,
            format!(
                "the key path has {} parts, more than any scenario key ({MAX_KEY_DEPTH} at most)",
                segments.len()
            ),
            "use the same paths as the scenario file, e.g. channels.social.take_rate or events[0].date",
        ));
    }
    if let Some(problem) = unknown_entry(&tree.table, &segments, &fail) {
        return Err(problem);
    }
    let value = parse_set_value(raw.trim());
    let mut root = Value::Table(std::mem::take(&mut tree.table));
    let result = set_in(&mut root, &segments, value).map_err(|message| {
        fail(
            Some(path),
            message,
            "use the same paths as the scenario file, e.g. channels.social.take_rate or events[0].date",
        )
    });
    if let Value::Table(table) = root {
        tree.table = table;
    }
    if result.is_ok() {
        // The key and every table it created come from this argument.
        let mut prefix = Some(path.to_string());
        while let Some(p) = prefix {
            let first_time = !tree.origins.map.contains_key(&p);
            if first_time || p == path {
                tree.origins.map.insert(p.clone(), source.clone());
            }
            if !first_time && p != path {
                break;
            }
            prefix = parent_path(&p);
        }
    }
    result
}

/// Put `value` at `segments` under `node`, creating tables on the way.
fn set_in(mut node: &mut Value, segments: &[PathSegment], value: Value) -> Result<(), String> {
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        node = match (segment, node) {
            (PathSegment::Key(k), Value::Table(t)) => {
                if last {
                    t.insert(k.clone(), value);
                    return Ok(());
                }
                t.entry(k.clone())
                    .or_insert_with(|| Value::Table(Table::new()))
            }
            (PathSegment::Index(n), Value::Array(a)) => {
                let len = a.len();
                let slot = a
                    .get_mut(*n)
                    .ok_or_else(|| format!("index {n} is past the end of the list (it has {len} items, counted from 0, parent file first)"))?;
                if last {
                    *slot = value;
                    return Ok(());
                }
                slot
            }
            (PathSegment::Key(k), _) => {
                return Err(format!(
                    "cannot set `{k}`: what comes before it is not a table"
                ));
            }
            (PathSegment::Index(n), _) => {
                return Err(format!(
                    "cannot set [{n}]: what comes before it is not a list"
                ));
            }
        };
    }
    Ok(())
}

/// Remove the value at a key path (`events[2].rate`); false if absent.
pub fn remove_path(table: &mut Table, path: &str) -> bool {
    let Some(segments) = parse_key_path(path) else {
        return false;
    };
    let mut root = Value::Table(std::mem::take(table));
    let removed = remove_in(&mut root, &segments);
    if let Value::Table(t) = root {
        *table = t;
    }
    removed
}

fn remove_in(node: &mut Value, segments: &[PathSegment]) -> bool {
    match segments {
        [] => false,
        [last] => match (last, node) {
            (PathSegment::Key(k), Value::Table(t)) => t.remove(k).is_some(),
            (PathSegment::Index(i), Value::Array(a)) if *i < a.len() => {
                a.remove(*i);
                true
            }
            _ => false,
        },
        [first, rest @ ..] => {
            let child = match (first, node) {
                (PathSegment::Key(k), Value::Table(t)) => t.get_mut(k),
                (PathSegment::Index(i), Value::Array(a)) => a.get_mut(*i),
                _ => None,
            };
            child.is_some_and(|c| remove_in(c, rest))
        }
    }
}

enum PathSegment {
    Key(String),
    Index(usize),
}

/// An override of a key inside a channel, category or nest that the
/// scenario does not have is a misspelt or stale name (`channels.social`
/// in a scenario whose social channel is `tiktok_shop`), not a new entry:
/// say which names there are. A new channel is made by giving its `kind`,
/// a new nest by giving its `dissimilarity`.
fn unknown_entry(
    table: &Table,
    segments: &[PathSegment],
    fail: &dyn Fn(Option<&str>, String, &str) -> Problem,
) -> Option<Problem> {
    let [
        PathSegment::Key(section),
        PathSegment::Key(name),
        PathSegment::Key(field),
        ..,
    ] = segments
    else {
        return None;
    };
    let (what, creates) = match section.as_str() {
        "channels" => ("channel", "kind"),
        "categories" => ("category", ""),
        "nests" => ("nest", "dissimilarity"),
        _ => return None,
    };
    let names: Vec<&str> = match table.get(section) {
        Some(Value::Table(t)) => t.keys().map(String::as_str).collect(),
        _ => Vec::new(),
    };
    if names.contains(&name.as_str()) || (field == creates && segments.len() == 3) {
        return None;
    }
    let listed = if names.is_empty() {
        format!("the scenario has no {section}")
    } else {
        format!("{section} here: {}", names.join(", "))
    };
    // `channels.social` where the social channel has a name of its own.
    let of_kind: Vec<&str> = match table.get(section) {
        Some(Value::Table(t)) if section == "channels" => t
            .iter()
            .filter(|(_, c)| c.get("kind").and_then(Value::as_str) == Some(name.as_str()))
            .map(|(n, _)| n.as_str())
            .collect(),
        _ => Vec::new(),
    };
    let help = match did_you_mean(name, names.iter().copied()) {
        Some(s) => format!("did you mean `{section}.{s}`? {listed}"),
        None if !of_kind.is_empty() => format!(
            "the {name} channels here are named {}; {listed}",
            of_kind.join(", ")
        ),
        None => listed,
    };
    Some(fail(
        Some(&format!("{section}.{name}")),
        format!("there is no {what} named `{name}`"),
        &help,
    ))
}

fn parse_key_path(path: &str) -> Option<Vec<PathSegment>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (name, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if name.is_empty() && out.is_empty() {
            return None;
        }
        if !name.is_empty() {
            out.push(PathSegment::Key(name.to_string()));
        }
        while let Some(stripped) = rest.strip_prefix('[') {
            let end = stripped.find(']')?;
            out.push(PathSegment::Index(stripped[..end].parse().ok()?));
            rest = &stripped[end + 1..];
        }
        if !rest.is_empty() {
            return None;
        }
    }
    if out.is_empty() { None } else { Some(out) }
}

/// The number at key path `path` (`channels.social.take_rate`,
/// `events[3].rate`) in `root`, if there is one.
pub fn number_at(root: &Value, path: &str) -> Option<f64> {
    let mut node = root;
    for segment in parse_key_path(path)? {
        node = match (segment, node) {
            (PathSegment::Key(k), Value::Table(t)) => t.get(&k)?,
            (PathSegment::Index(n), Value::Array(a)) => a.get(n)?,
            _ => return None,
        };
    }
    match node {
        Value::Float(x) => Some(*x),
        Value::Integer(i) => Some(*i as f64),
        _ => None,
    }
}

/// A `--set` value is read as TOML (numbers, booleans, dates, arrays,
/// quoted strings); anything else is taken as a bare string.
fn parse_set_value(raw: &str) -> Value {
    match toml::from_str::<Table>(&format!("v = {raw}")) {
        Ok(mut t) => t.remove("v").unwrap_or(Value::String(raw.to_string())),
        Err(_) => Value::String(raw.to_string()),
    }
}

/// Every leaf of a TOML tree with its key path (`channels.social.take_rate`,
/// `events[0].date`), in file order; tables and arrays of tables are walked
/// (iteratively), other values are leaves.
pub fn leaves(value: &Value) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    let mut todo: Vec<(String, &Value)> = vec![(String::new(), value)];
    while let Some((prefix, value)) = todo.pop() {
        let children: Vec<(String, &Value)> = match value {
            Value::Table(t) => t.iter().map(|(k, v)| (join(&prefix, k), v)).collect(),
            Value::Array(a) if !a.is_empty() && a.iter().all(Value::is_table) => a
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("{prefix}[{i}]"), v))
                .collect(),
            leaf => {
                out.push((prefix, leaf));
                continue;
            }
        };
        // Pushed in reverse, so they come off the stack in file order.
        todo.extend(children.into_iter().rev());
    }
    out
}
