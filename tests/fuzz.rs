//! Fuzzing the scenario reader and validator with proptest (so it runs in
//! plain `cargo test`, no nightly): the shipped scenarios mutated byte by
//! byte and key by key (in the file and through `--set`). For every case:
//!
//! - no panic and no hang (a watchdog aborts a case that runs 60 s);
//! - a refusal names a place (the file, with line and column where the
//!   file has the problem, or the `--set` argument) and says what is wrong;
//! - an accepted scenario runs: shrunk to a few ticks and a few hundred
//!   agents (its events moved into those ticks, its other parameters kept),
//!   it simulates without a panic, every value is finite, and its rows of
//!   `series.csv` are written.
//!
//! `PASAR_FUZZ_CASES` sets the number of cases of the byte and key tests
//! (default 1000; the random valid scenarios get a quarter of it): about
//! half a minute for all three in a debug build on two cores; e.g. `PASAR_FUZZ_CASES=20000
//! cargo test --release --test fuzz -- --nocapture` for a long local run.
//! The seed is fixed, so CI tries the same cases every time; set
//! `PASAR_FUZZ_SEED` to try others, and `PASAR_FUZZ_VERBOSE` to print every
//! refusal and shrunk run of the random valid scenarios.

mod common;

use pasar::output::SeriesRows;
use pasar::runner::run_replicate;
use pasar::scenario::params::{Range, spec_for};
use pasar::scenario::{Scenario, ScenarioError, Source};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Ticks and agents of the shrunk run of an accepted scenario.
const RUN_TICKS: u32 = 6;

fn cases() -> u32 {
    std::env::var("PASAR_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

fn seed() -> u64 {
    std::env::var("PASAR_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20231004)
}

/// The shipped scenarios, copied to a folder where mutants are written
/// beside them (so `extends = "baseline.toml"` still resolves).
struct Corpus {
    dir: tempfile::TempDir,
    files: Vec<(String, String)>,
}

fn corpus() -> Corpus {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let dir = tempfile::tempdir().expect("create a folder");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&shipped).expect("read scenarios/") {
        let path = entry.expect("an entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let name = path
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        let text = std::fs::read_to_string(&path).expect("read a scenario");
        std::fs::write(dir.path().join(&name), &text).expect("copy a scenario");
        files.push((name, text));
    }
    files.sort();
    assert!(files.len() >= 5, "shipped scenarios: {files:?}");
    Corpus { dir, files }
}

/// What happened to the cases, for the report.
#[derive(Default)]
struct Tally {
    tried: AtomicU64,
    refused: AtomicU64,
    ran: AtomicU64,
    /// Accepted, but the shrunk copy was refused (e.g. an event moved onto
    /// a tick that the original scenario's rules forbid); not run.
    not_shrinkable: AtomicU64,
}

impl Tally {
    fn report(&self, what: &str, took: Duration) {
        eprintln!(
            "fuzz {what}: {} cases in {:.1} s: {} refused cleanly, {} accepted and run, {} accepted but not shrinkable",
            self.tried.load(Ordering::Relaxed),
            took.as_secs_f64(),
            self.refused.load(Ordering::Relaxed),
            self.ran.load(Ordering::Relaxed),
            self.not_shrinkable.load(Ordering::Relaxed),
        );
    }
}

/// Aborts the process when a case runs longer than a minute (a hang), after
/// printing it.
struct Watchdog {
    current: std::sync::Arc<Mutex<Option<(Instant, String)>>>,
}

impl Watchdog {
    fn start() -> Watchdog {
        let current: std::sync::Arc<Mutex<Option<(Instant, String)>>> = Default::default();
        let watched = current.clone();
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(Duration::from_secs(1));
                let guard = watched.lock().unwrap_or_else(|p| p.into_inner());
                if let Some((since, case)) = guard.as_ref()
                    && since.elapsed() > Duration::from_secs(60)
                {
                    eprintln!("fuzz: a case hangs (over 60 s):\n{case}");
                    std::process::abort();
                }
            }
        });
        Watchdog { current }
    }

    fn watch(&self, case: String) {
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), case));
    }

    fn done(&self) {
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

/// A refusal must say where and what: every problem has a message, and a
/// place that is the mutant file (or one it extends) or the `--set` argument.
fn check_refusal(error: &ScenarioError, folder: &Path) -> Result<(), TestCaseError> {
    prop_assert!(!error.problems.is_empty());
    let shown = error.to_string();
    prop_assert!(!shown.contains("panicked"));
    for p in &error.problems {
        prop_assert!(!p.message.trim().is_empty(), "empty message: {shown}");
        match &p.source {
            Source::File { path, .. } => prop_assert!(
                path.starts_with(folder),
                "a problem placed outside the scenario files: {}\n{shown}",
                path.display()
            ),
            Source::CommandLine { argument } => prop_assert!(!argument.is_empty()),
            Source::Control { name } => prop_assert!(!name.is_empty()),
        }
        // Either a line and column or a key path says where in the file.
        let placed = matches!(
            &p.source,
            Source::File {
                line_col: Some(_),
                ..
            } | Source::CommandLine { .. }
                | Source::Control { .. }
        ) || p.key.is_some()
            || p.message.contains("UTF-8")
            || p.message.contains("cannot read")
            || p.message.contains("directory")
            || p.message.contains("folder");
        prop_assert!(placed, "a problem without a place: {p}");
    }
    Ok(())
}

/// The first day of each event's tick under the scenario's calendar, as a
/// tick number.
fn event_tick(s: &Scenario, e: &pasar::scenario::schema::EventSpec) -> i64 {
    let sim = &s.spec.simulation;
    match (e.tick, e.date) {
        (Some(t), _) => t,
        (None, Some(d)) => d.days_since(sim.start_date) / sim.days_per_tick.max(1) as i64,
        (None, None) => 0,
    }
}

/// The accepted scenario, shrunk: a few ticks and agents, its events moved
/// proportionally into those ticks. `None` if validation refuses the
/// shrunk copy.
fn shrink(s: &Scenario) -> Option<Scenario> {
    let mut spec = s.spec.clone();
    let horizon = s.ticks().max(1) as i64;
    for e in &mut spec.events {
        let t = event_tick(s, e).clamp(0, horizon - 1);
        e.tick = Some(t * RUN_TICKS as i64 / horizon);
        e.date = None;
    }
    spec.simulation.ticks = RUN_TICKS;
    spec.simulation.replicates = 1;
    // Entry can double the sellers every tick: start with fewer then.
    let growth = |rate: f64| (1.0 + rate.clamp(0.0, 10.0)).powi(RUN_TICKS as i32);
    let b = &spec.behaviour;
    let (umkm_growth, importer_growth) = (growth(b.umkm_entry_rate), growth(b.importer_entry_rate));
    let p = &mut spec.population;
    p.umkm.count = p.umkm.count.min((150.0 / umkm_growth).ceil() as u64);
    p.importer.count = p.importer.count.min((20.0 / importer_growth).ceil() as u64);
    p.affiliate.count = p.affiliate.count.min(20);
    // About 3,000 purchase attempts a tick at most, whatever the rate.
    let rate = p.consumers.purchase_rate_mean.max(1.0);
    p.consumers.count = p
        .consumers
        .count
        .min((3000.0 / rate).ceil() as u64)
        .min(300);
    Scenario::from_spec(&spec).ok()
}

/// Run the shrunk scenario and check what reaches the output.
fn check_run(s: &Scenario) -> Result<(), TestCaseError> {
    let result = run_replicate(s, 0).expect("replicate 0 runs");
    prop_assert_eq!(result.records.len(), s.ticks() as usize);
    for record in &result.records {
        for o in &record.observations {
            prop_assert!(
                o.value.is_finite(),
                "tick {}: {:?} {:?} group {} is {}",
                record.tick,
                o.metric,
                o.by,
                o.group,
                o.value
            );
        }
    }
    let rows = SeriesRows::new(s).replicate(&result);
    prop_assert!(rows.is_ok(), "series rows refused: {:?}", rows.err());
    Ok(())
}

/// Load a mutant (file plus `--set` arguments) and check the outcome.
fn check_mutant(
    corpus: &Corpus,
    tally: &Tally,
    text: &[u8],
    sets: &[String],
) -> Result<(), TestCaseError> {
    tally.tried.fetch_add(1, Ordering::Relaxed);
    let path: PathBuf = corpus.dir.path().join("mutant.toml");
    std::fs::write(&path, text).map_err(|e| TestCaseError::fail(e.to_string()))?;
    match Scenario::load(&path, sets) {
        Err(error) => {
            tally.refused.fetch_add(1, Ordering::Relaxed);
            check_refusal(&error, corpus.dir.path())
        }
        Ok(scenario) => {
            // What resolved.toml would hold reloads to the same scenario.
            let resolved = corpus.dir.path().join("mutant_resolved.toml");
            std::fs::write(&resolved, scenario.to_toml())
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            match Scenario::load(&resolved, &[]) {
                Ok(again) => prop_assert!(again.spec == scenario.spec, "resolved.toml differs"),
                Err(e) => prop_assert!(
                    false,
                    "resolved.toml of an accepted scenario is refused: {e}"
                ),
            }
            match shrink(&scenario) {
                Some(small) => {
                    tally.ran.fetch_add(1, Ordering::Relaxed);
                    check_run(&small)
                }
                None => {
                    tally.not_shrinkable.fetch_add(1, Ordering::Relaxed);
                    Ok(())
                }
            }
        }
    }
}

/// Bytes and words that tend to break parsers and validators.
const TOKENS: &[&str] = &[
    "nan",
    "inf",
    "-inf",
    "-0",
    "0",
    "-1",
    "1e308",
    "1e-320",
    "99999999999999999999",
    "18446744073709551615",
    "4294967296",
    "2000000000",
    "0.5",
    "1.0000001",
    "\"\"",
    "\"x\"",
    "true",
    "[]",
    "{}",
    "[[events]]",
    "[simulation]",
    "[channels.x]",
    "=",
    "\n",
    "\"",
    "'''",
    "#",
    ".",
    "[",
    "]",
    "2023-02-30",
    "1999-01-01",
    "2099-12-31",
    "9999-12-31",
    "\u{0}",
    "\u{feff}",
    "é",
    "\r\n",
    "extends = \"baseline.toml\"",
    "extends = \"mutant.toml\"",
    "extends = \"nowhere.toml\"",
    "extends = \".\"",
    "lever = \"payment_ban\"",
    "lever = \"project_s\"",
    "tick = 0",
    "tick = -5",
    "date = 2023-10-04",
    "channel = \"nope\"",
    "categories = [\"nope\"]",
    "kind = \"social\"",
];

/// One byte-level edit of a text.
#[derive(Debug, Clone)]
enum ByteEdit {
    /// Replace the byte at a position (fraction of the length) with a byte.
    Set(f64, u8),
    /// Delete a span.
    Delete(f64, usize),
    /// Insert a token.
    Insert(f64, usize),
    /// Duplicate a line.
    DuplicateLine(f64),
    /// Cut the file short.
    Truncate(f64),
}

fn byte_edit() -> impl Strategy<Value = ByteEdit> {
    prop_oneof![
        (0.0..1.0f64, any::<u8>()).prop_map(|(at, b)| ByteEdit::Set(at, b)),
        (0.0..1.0f64, 1usize..40).prop_map(|(at, n)| ByteEdit::Delete(at, n)),
        (0.0..1.0f64, 0..TOKENS.len()).prop_map(|(at, t)| ByteEdit::Insert(at, t)),
        (0.0..1.0f64).prop_map(ByteEdit::DuplicateLine),
        (0.0..1.0f64).prop_map(ByteEdit::Truncate),
    ]
}

fn apply_byte_edit(text: &mut Vec<u8>, edit: &ByteEdit) {
    let at = |f: f64, len: usize| ((f * len as f64) as usize).min(len);
    match *edit {
        ByteEdit::Set(f, b) => {
            if !text.is_empty() {
                let i = at(f, text.len() - 1);
                text[i] = b;
            }
        }
        ByteEdit::Delete(f, n) => {
            let i = at(f, text.len());
            let end = (i + n).min(text.len());
            text.drain(i..end);
        }
        ByteEdit::Insert(f, t) => {
            let i = at(f, text.len());
            text.splice(i..i, TOKENS[t].bytes());
        }
        ByteEdit::DuplicateLine(f) => {
            let i = at(f, text.len());
            let start = text[..i]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1);
            let end = text[i..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(text.len(), |p| i + p + 1);
            let line: Vec<u8> = text[start..end].to_vec();
            text.splice(end..end, line);
        }
        ByteEdit::Truncate(f) => {
            let i = at(f, text.len());
            text.truncate(i);
        }
    }
}

#[test]
fn byte_mutants_of_the_shipped_scenarios_never_panic_and_run_if_accepted() {
    let corpus = corpus();
    let tally = Tally::default();
    let watchdog = Watchdog::start();
    let started = Instant::now();
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed()),
        max_shrink_iters: 512,
        ..Config::default()
    });
    let n = corpus.files.len();
    let strategy = (0..n, prop::collection::vec(byte_edit(), 1..4));
    let result = runner.run(&strategy, |(file, edits)| {
        let mut text = corpus.files[file].1.clone().into_bytes();
        for e in &edits {
            apply_byte_edit(&mut text, e);
        }
        watchdog.watch(format!(
            "{} with {edits:?}:\n{}",
            corpus.files[file].0,
            String::from_utf8_lossy(&text)
        ));
        let outcome = check_mutant(&corpus, &tally, &text, &[]);
        watchdog.done();
        outcome
    });
    tally.report("byte by byte", started.elapsed());
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(tally.refused.load(Ordering::Relaxed) > 0);
    assert!(tally.ran.load(Ordering::Relaxed) > 0);
}

/// Values put in place of a key's value.
const VALUES: &[&str] = &[
    "nan",
    "inf",
    "-inf",
    "-0.0",
    "0",
    "-1",
    "1",
    "2",
    "0.5",
    "1e308",
    "-1e308",
    "1e-320",
    "9223372036854775807",
    "-9223372036854775808",
    "2000000000",
    "100000",
    "10001",
    "\"\"",
    "\"social\"",
    "\"nope\"",
    "\"baseline.toml\"",
    "true",
    "false",
    "[]",
    "[\"social\"]",
    "[\"nope\"]",
    "{}",
    "{ x = 1 }",
    "2023-10-04",
    "1900-01-01",
    "2200-01-01",
    "2023-10-04T10:00:00",
    "10:00:00",
];

/// One key-level edit of a scenario.
#[derive(Debug, Clone)]
enum KeyEdit {
    /// Put a value at an existing key path (by index among the paths).
    Replace(usize, usize),
    /// Remove the key.
    Remove(usize),
    /// Rename the key by dropping its last letter (a typo).
    Typo(usize),
    /// Add a key beside it, named `extra`.
    AddUnknown(usize),
    /// The same replacement given as `--set path=value`.
    Set(usize, usize),
    /// A value inside the parameter's documented range, often an extreme
    /// one (numeric keys only): valid, so the scenario should run.
    InRange(usize, usize, f64),
}

fn key_edit() -> impl Strategy<Value = KeyEdit> {
    prop_oneof![
        3 => (any::<usize>(), 0..VALUES.len()).prop_map(|(k, v)| KeyEdit::Replace(k, v)),
        1 => any::<usize>().prop_map(KeyEdit::Remove),
        1 => any::<usize>().prop_map(KeyEdit::Typo),
        1 => any::<usize>().prop_map(KeyEdit::AddUnknown),
        3 => (any::<usize>(), 0..VALUES.len()).prop_map(|(k, v)| KeyEdit::Set(k, v)),
        6 => (any::<usize>(), 0..EXTREMES.len() + 3, 0.0..=1.0f64)
            .prop_map(|(k, e, f)| KeyEdit::InRange(k, e, f)),
    ]
}

/// Magnitudes tried for unbounded ranges.
const EXTREMES: &[f64] = &[
    0.0,
    5e-324,
    1e-300,
    1e-12,
    1e-6,
    0.001,
    1.0,
    7.0,
    1e6,
    1e12,
    1e15,
    1e100,
    1e300,
    f64::MAX,
];

/// A value of `range` chosen by `e` (an extreme, or one of the three below
/// past the extremes: the low end, the high end, or the fraction `f` of the
/// way) as TOML; `None` for a range that has no such value.
fn in_range(range: Range, e: usize, f: f64) -> Option<String> {
    let float = |x: f64| {
        let t = format!("{x:?}");
        if t.contains('.') || t.contains('e') {
            t
        } else {
            format!("{t}.0")
        }
    };
    let bounded = |lo: f64, hi: f64| match e.checked_sub(EXTREMES.len()) {
        Some(0) => lo,
        Some(1) => hi,
        Some(_) => lo + f * (hi - lo),
        None => (lo + EXTREMES[e].min(hi - lo)).min(hi),
    };
    let magnitude = || EXTREMES.get(e).copied().unwrap_or(f * 100.0);
    Some(match range {
        Range::Unit => float(bounded(0.0, 1.0)),
        Range::Closed(lo, hi) => float(bounded(lo, hi)),
        Range::Integer(lo, hi) => {
            let x = bounded(lo as f64, hi as f64).round() as i64;
            x.clamp(lo, hi).to_string()
        }
        Range::NonNegative => float(magnitude()),
        Range::Positive => float(magnitude().max(5e-324)),
        Range::Finite => {
            let m = magnitude();
            float(if f < 0.5 { -m } else { m })
        }
    })
}

/// Every key path of a document, tables and arrays of tables included
/// (`channels.social.take_rate`, `events[1].lever`).
fn key_paths(item: &toml_edit::Item, prefix: &str, out: &mut Vec<String>) {
    match item {
        toml_edit::Item::Table(t) => {
            for (k, v) in t.iter() {
                let p = if prefix.is_empty() {
                    k.to_string()
                } else {
                    format!("{prefix}.{k}")
                };
                out.push(p.clone());
                key_paths(v, &p, out);
            }
        }
        toml_edit::Item::ArrayOfTables(a) => {
            for (i, t) in a.iter().enumerate() {
                let p = format!("{prefix}[{i}]");
                for (k, v) in t.iter() {
                    let q = format!("{p}.{k}");
                    out.push(q.clone());
                    key_paths(v, &q, out);
                }
            }
        }
        _ => {}
    }
}

/// The table that holds the last segment of `path`, and that segment.
fn parent_of<'a>(
    doc: &'a mut toml_edit::DocumentMut,
    path: &str,
) -> Option<(&'a mut toml_edit::Table, String)> {
    let segments: Vec<&str> = path.split('.').collect();
    let (last, parents) = segments.split_last()?;
    let mut table = doc.as_table_mut();
    for seg in parents {
        let (name, index) = match seg.find('[') {
            Some(i) => (&seg[..i], seg[i + 1..seg.len() - 1].parse::<usize>().ok()),
            None => (*seg, None),
        };
        let item = table.get_mut(name)?;
        table = match (item, index) {
            (toml_edit::Item::Table(t), None) => t,
            (toml_edit::Item::ArrayOfTables(a), Some(i)) => a.get_mut(i)?,
            _ => return None,
        };
    }
    Some((table, last.to_string()))
}

fn parse_value(v: &str) -> toml_edit::Value {
    format!("v = {v}")
        .parse::<toml_edit::DocumentMut>()
        .ok()
        .and_then(|d| d.get("v").and_then(|i| i.as_value()).cloned())
        .unwrap_or_else(|| toml_edit::Value::from(v))
}

/// Apply key edits to a scenario's text; the `--set` arguments they make.
fn apply_key_edits(text: &str, edits: &[KeyEdit]) -> (String, Vec<String>) {
    let Ok(mut doc) = text.parse::<toml_edit::DocumentMut>() else {
        return (text.to_string(), Vec::new());
    };
    let mut sets = Vec::new();
    for edit in edits {
        let mut paths = Vec::new();
        key_paths(doc.as_item(), "", &mut paths);
        if paths.is_empty() {
            continue;
        }
        let pick = |k: usize| paths[k % paths.len()].clone();
        match *edit {
            KeyEdit::Set(k, v) => sets.push(format!("{}={}", pick(k), VALUES[v])),
            KeyEdit::Replace(k, v) => {
                if let Some((t, key)) = parent_of(&mut doc, &pick(k)) {
                    t.insert(&key, toml_edit::Item::Value(parse_value(VALUES[v])));
                }
            }
            KeyEdit::Remove(k) => {
                if let Some((t, key)) = parent_of(&mut doc, &pick(k)) {
                    t.remove(&key);
                }
            }
            KeyEdit::Typo(k) => {
                if let Some((t, key)) = parent_of(&mut doc, &pick(k))
                    && let Some(item) = t.remove(&key)
                {
                    let mut typo = key.clone();
                    typo.pop();
                    if typo.is_empty() {
                        typo.push('x');
                    }
                    t.insert(&typo, item);
                }
            }
            KeyEdit::InRange(k, e, f) => {
                let numeric: Vec<(&String, Range)> = paths
                    .iter()
                    .filter_map(|p| spec_for(p).map(|s| (p, s.range)))
                    .collect();
                if numeric.is_empty() {
                    continue;
                }
                let (path, range) = numeric[k % numeric.len()];
                if let Some(v) = in_range(range, e, f)
                    && let Some((t, key)) = parent_of(&mut doc, &path.clone())
                {
                    t.insert(&key, toml_edit::Item::Value(parse_value(&v)));
                }
            }
            KeyEdit::AddUnknown(k) => {
                if let Some((t, _)) = parent_of(&mut doc, &pick(k)) {
                    t.insert("extra", toml_edit::value(1));
                }
            }
        }
    }
    (doc.to_string(), sets)
}

#[test]
fn key_mutants_of_the_shipped_scenarios_never_panic_and_run_if_accepted() {
    let corpus = corpus();
    let tally = Tally::default();
    let watchdog = Watchdog::start();
    let started = Instant::now();
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed() ^ 0x5eed),
        max_shrink_iters: 512,
        ..Config::default()
    });
    let n = corpus.files.len();
    let strategy = (0..n, prop::collection::vec(key_edit(), 1..4));
    let result = runner.run(&strategy, |(file, edits)| {
        let (text, sets) = apply_key_edits(&corpus.files[file].1, &edits);
        watchdog.watch(format!(
            "{} with {edits:?}, --set {sets:?}:\n{text}",
            corpus.files[file].0
        ));
        let outcome = check_mutant(&corpus, &tally, text.as_bytes(), &sets);
        watchdog.done();
        outcome
    });
    tally.report("key by key", started.elapsed());
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(tally.refused.load(Ordering::Relaxed) > 0);
    assert!(tally.ran.load(Ordering::Relaxed) > 0);
}

/// Every numeric leaf of the resolved baseline (`channels.social.take_rate`,
/// `categories.food.demand_share`, ...) with its documented range.
fn numeric_leaves() -> Vec<(String, Range)> {
    let text = common::load(&[]).to_toml();
    let doc: toml_edit::DocumentMut = text.parse().expect("resolved.toml parses");
    let mut paths = Vec::new();
    key_paths(doc.as_item(), "", &mut paths);
    paths
        .into_iter()
        .filter(|p| !p.starts_with("events"))
        .filter_map(|p| spec_for(&p).map(|s| (p, s.range)))
        .collect()
}

#[test]
fn random_valid_scenarios_never_put_nan_or_infinity_in_an_output() {
    // Many parameters at once, each anywhere in its documented range
    // (extremes included); the combinations that break a cross-key rule
    // (shares summing to one, min below max) are refused and skipped.
    let leaves = numeric_leaves();
    assert!(leaves.len() > 50, "{} numeric parameters", leaves.len());
    let base = common::baseline_path();
    let base_shares: Vec<(String, f64)> = common::load(&[])
        .spec
        .categories
        .iter()
        .map(|(name, c)| (format!("categories.{name}.demand_share"), c.demand_share))
        .collect();
    let tally = Tally::default();
    let started = Instant::now();
    let mut runner = TestRunner::new(Config {
        cases: (cases() / 4).max(1),
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed() ^ 0xface),
        max_shrink_iters: 512,
        ..Config::default()
    });
    let pick = (any::<usize>(), 0..EXTREMES.len() + 3, 0.0..=1.0f64);
    let strategy = prop::collection::vec(pick, 1..40);
    let result = runner.run(&strategy, |picks| {
        tally.tried.fetch_add(1, Ordering::Relaxed);
        let mut sets: Vec<String> = Vec::new();
        // Demand shares must sum to one: the drawn ones are rescaled with
        // the others so that they do.
        let mut shares: Vec<(String, f64)> = base_shares.clone();
        for &(k, e, f) in &picks {
            let (path, range) = &leaves[k % leaves.len()];
            let Some(v) = in_range(*range, e, f) else {
                continue;
            };
            match shares.iter_mut().find(|(p, _)| p == path) {
                Some(share) => share.1 = v.parse().unwrap_or(share.1),
                None => sets.push(format!("{path}={v}")),
            }
        }
        let total: f64 = shares.iter().map(|s| s.1).sum();
        if total > 0.0 && shares != base_shares {
            sets.extend(shares.iter().map(|(p, v)| format!("{p}={:?}", v / total)));
        }
        let scenario = match Scenario::load(&base, &sets) {
            Ok(s) => s,
            Err(error) => {
                tally.refused.fetch_add(1, Ordering::Relaxed);
                if std::env::var("PASAR_FUZZ_VERBOSE").is_ok() {
                    eprintln!("refused: {error}");
                }
                // Only cross-key rules may refuse values inside their ranges.
                for p in &error.problems {
                    prop_assert!(
                        !p.message.contains("out of range") && !p.message.contains("wrong type"),
                        "an in-range value was refused: {p}\n{sets:?}"
                    );
                }
                return Ok(());
            }
        };
        match shrink(&scenario) {
            Some(small) => {
                tally.ran.fetch_add(1, Ordering::Relaxed);
                let t = Instant::now();
                let r = check_run(&small);
                if std::env::var("PASAR_FUZZ_VERBOSE").is_ok() {
                    eprintln!("ran in {:?}: {sets:?}", t.elapsed());
                }
                r
            }
            None => {
                tally.not_shrinkable.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
        }
    });
    tally.report("random valid scenarios", started.elapsed());
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(tally.ran.load(Ordering::Relaxed) > 0);
}
