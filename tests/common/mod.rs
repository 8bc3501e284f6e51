//! Helpers shared by the integration tests: small scenarios built from
//! `scenarios/baseline.toml` with `key.path=value` overrides, and runs.

#![allow(dead_code)]

use pasar::metrics::{By, Metric, TickRecord};
use pasar::model::Model;
use pasar::model::sellers::Sellers;
use pasar::scenario::schema::EventSpec;
use pasar::scenario::{Scenario, ScenarioFile};
use std::path::PathBuf;

/// The tests' scenario: three channels (offline, one marketplace, one
/// social), plain logit (tests/fixtures/three_channels.toml).
pub fn baseline_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/three_channels.toml")
}

/// `pasar run` flags that shrink the baseline to a couple of seconds in a
/// debug build. The start date moves so the baseline's 2023-06-01 take-rate
/// event stays inside the 12-tick horizon (at tick 8).
pub const SMALL_RUN_FLAGS: &[&str] = &[
    "--set",
    "population.umkm.count=300",
    "--set",
    "population.importer.count=5",
    "--set",
    "population.consumers.count=400",
    "--set",
    "simulation.ticks=12",
    "--set",
    "simulation.start_date=2023-04-03",
    ALLOW_DROPPED,
    "--replicates",
    "2",
];

/// The baseline shrunk for comparisons and sweeps (`key=value`): a couple
/// of seconds in a debug build, with the payment ban of 2023-10-04 at tick
/// 18 and Project S's events of 2023-07-03 at tick 5 inside the horizon.
pub const BAN_WINDOW: &[&str] = &[
    "population.umkm.count=300",
    "population.importer.count=5",
    "population.consumers.count=400",
    "simulation.ticks=24",
    "simulation.start_date=2023-05-29",
];

/// `base` with the keys of `later` set to `later`'s values (overrides as a
/// user gives them name each key once).
pub fn layered(base: &[&'static str], later: &[&'static str]) -> Vec<&'static str> {
    let key = |s: &str| s.split_once('=').map_or(s, |(k, _)| k).to_string();
    base.iter()
        .copied()
        .filter(|b| later.iter().all(|l| key(l) != key(b)))
        .chain(later.iter().copied())
        .collect()
}

/// `--set` flags for `sets`.
/// `--set` flags for `key=value` overrides. Overrides that move the horizon
/// (the small settings cut the shipped scenarios' three years short on
/// purpose) also allow the events past the cut to drop, as a user who
/// shortens a run says with `--allow-dropped-events`.
pub fn set_flags(sets: &[&str]) -> Vec<String> {
    let mut flags: Vec<String> = sets
        .iter()
        .flat_map(|s| ["--set".to_string(), s.to_string()])
        .collect();
    let horizon = [
        "simulation.ticks",
        "simulation.start_date",
        "simulation.days_per_tick",
    ];
    if sets
        .iter()
        .any(|s| horizon.iter().any(|k| s.starts_with(&format!("{k}="))))
    {
        flags.push(ALLOW_DROPPED.to_string());
    }
    flags
}

/// The flag that lets a shortened run leave events out.
pub const ALLOW_DROPPED: &str = "--allow-dropped-events";

/// Baseline with `sets` applied (panics with the scenario error otherwise).
pub fn load(sets: &[&str]) -> Scenario {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    match Scenario::load(&baseline_path(), &sets) {
        Ok(s) => s,
        Err(e) => panic!("invalid scenario: {e:?}"),
    }
}

/// A laptop-in-a-second version of the baseline: 20 ticks, 300 UMKM, 20
/// importers, 400 consumers, no events.
pub const SMALL: &[&str] = &[
    "simulation.ticks=20",
    "simulation.replicates=1",
    "population.umkm.count=300",
    "population.importer.count=20",
    "population.consumers.count=400",
    "events=[]",
];

/// The small scenario with more overrides (later ones win).
pub fn small(extra: &[&str]) -> Scenario {
    let mut sets: Vec<&str> = SMALL.to_vec();
    sets.extend_from_slice(extra);
    load(&sets)
}

/// Validate an edited spec.
pub fn from_spec(spec: &ScenarioFile) -> Scenario {
    match Scenario::from_spec(spec) {
        Ok(s) => s,
        Err(e) => panic!("invalid scenario: {e:?}"),
    }
}

/// `base` with `events` appended.
pub fn with_events(base: &Scenario, events: Vec<EventSpec>) -> Scenario {
    let mut spec = base.spec.clone();
    spec.events.extend(events);
    from_spec(&spec)
}

/// An event at `tick` of lever `lever`; fill in the arguments with
/// struct-update syntax.
pub fn event(tick: i64, lever: &str) -> EventSpec {
    EventSpec {
        tick: Some(tick),
        lever: lever.to_string(),
        ..EventSpec::default()
    }
}

/// All records of replicate 0.
pub fn run(scenario: &Scenario) -> Vec<TickRecord> {
    let mut model = Model::new(scenario, 0);
    (0..scenario.ticks()).map(|_| model.step()).collect()
}

/// A recorded value, 0 when it was left out.
pub fn value(record: &TickRecord, metric: Metric, by: By, group: usize) -> f64 {
    record.get(metric, by, group as u16).unwrap_or(0.0)
}

/// Relative closeness with an absolute floor.
pub fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-300) || (a - b).abs() < 1e-300
}

pub fn channel_index(scenario: &Scenario, name: &str) -> usize {
    scenario
        .spec
        .channels
        .get_index_of(name)
        .unwrap_or_else(|| panic!("no channel {name}"))
}

pub fn category_index(scenario: &Scenario, name: &str) -> usize {
    scenario
        .spec
        .categories
        .get_index_of(name)
        .unwrap_or_else(|| panic!("no category {name}"))
}

/// Take rates that let a seller's sales be split by channel: offline 0,
/// marketplace 2^-2, social 2^-20, with no commission passed through to
/// prices (so a seller lists one price everywhere). A seller's commission
/// over its price is then Σ take rates over its sales, 2^-20 ·
/// (2^18·n_marketplace + n_social), which decodes while a seller makes
/// fewer than 2^18 social sales a tick.
pub const DECODABLE_RATES: &[&str] = &[
    "channels.offline.take_rate=0.0",
    "channels.marketplace.take_rate=0.25",
    "channels.social.take_rate=9.5367431640625e-7",
    "behaviour.fee_pass_through=0.0",
];

/// (offline, marketplace, social) sales of seller `j` this tick, under
/// [`DECODABLE_RATES`].
pub fn sales_by_channel(s: &Sellers, j: usize) -> (u32, u32, u32) {
    let tally = s.tally[j];
    // The tests' scenarios keep one unit an order: units are orders.
    let sold = tally.units_sold() as u32;
    let exact = tally.commission / s.price[j] * (1u64 << 20) as f64;
    let code = exact.round();
    assert!(
        (exact - code).abs() < 1e-6 * code.max(1.0),
        "commission {} at price {} not decodable",
        tally.commission,
        s.price[j]
    );
    let code = code as u64;
    let (mp, social) = ((code >> 18) as u32, (code & ((1 << 18) - 1)) as u32);
    assert!(mp + social <= sold, "seller {j}: {code} vs {sold} sales");
    (sold - mp - social, mp, social)
}

/// Send `signal` (e.g. "-INT") to a child process, with `kill`.
pub fn send_signal(child: &std::process::Child, signal: &str) {
    let status = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
}

/// The `pasar` binary built for these tests, ready for arguments: every
/// test that runs the binary starts it here.
pub fn pasar_command() -> std::process::Command {
    std::process::Command::new(PASAR)
}

/// The path of the `pasar` binary (for wrappers such as `bash -c`).
pub const PASAR: &str = env!("CARGO_BIN_EXE_pasar");

/// Run the `pasar` binary with `args` and then `extra`.
pub fn pasar_args(args: &[String], extra: &[&str]) -> std::process::Output {
    pasar_command()
        .args(args)
        .args(extra)
        .output()
        .expect("start pasar")
}

/// The stdout of a run that must have succeeded without a panic.
pub fn assert_ok(output: std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "pasar failed:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A run refused as bad input (exit 2), without a panic, whose error
/// contains each of `needles`.
pub fn assert_refused(output: std::process::Output, needles: &[&str]) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(2),
        "{stderr}{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    for n in needles {
        assert!(stderr.contains(n), "no `{n}` in\n{stderr}");
    }
}

/// A path as a command-line argument.
pub fn path_text(p: &std::path::Path) -> String {
    p.display().to_string()
}

/// A folder this process cannot create anything in: a read-only folder
/// for an ordinary user; for root (who may write anywhere) a place in
/// /sys, which nobody may create files in. `None` if there is neither.
#[cfg(unix)]
pub fn unwritable_folder(scratch: &std::path::Path) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let locked = scratch.join("locked");
    std::fs::create_dir(&locked).expect("create a folder");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o555)).expect("chmod");
    if std::fs::create_dir(locked.join("probe")).is_err() {
        return Some(locked);
    }
    let _ = std::fs::remove_dir(locked.join("probe"));
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::remove_dir(&locked).expect("remove the folder");
    let sys = std::path::Path::new("/sys/fs");
    (sys.is_dir() && std::fs::create_dir(sys.join("pasar-probe")).is_err())
        .then(|| sys.to_path_buf())
}

/// A shipped scenario's path, as a command-line argument.
pub fn shipped(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name)
        .display()
        .to_string()
}

/// The names in a folder, sorted.
pub fn names_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read a folder")
        .map(|e| {
            e.expect("a folder entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// Make a named pipe at `path` (nobody writes to it: reading it waits).
pub fn mkfifo(path: &std::path::Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(status.success());
}

/// The text of every heading, table header, folded summary and chart
/// caption of an HTML page (tags stripped, entities left as written).
pub fn headings(page: &str) -> Vec<String> {
    let mut out = Vec::new();
    for tag in ["h1", "h2", "h3", "h4", "th", "summary", "figcaption"] {
        let open = format!("<{tag}");
        let close = format!("</{tag}>");
        let mut rest = page;
        while let Some(i) = rest.find(&open) {
            let after = &rest[i + open.len()..];
            // `<th` must not match `<thead`, nor `<h1` a longer tag.
            if !after.starts_with(['>', ' ']) {
                rest = after;
                continue;
            }
            let Some(start) = after.find('>') else { break };
            let body = &after[start + 1..];
            let end = body.find(&close).unwrap_or(body.len());
            let mut text = String::new();
            let mut in_tag = false;
            for c in body[..end].chars() {
                match c {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => text.push(c),
                    _ => {}
                }
            }
            out.push(text);
            rest = &body[end..];
        }
    }
    out
}

/// The English phrases of the report (those its Indonesian differs from)
/// that `headings` carry, as whole words: an Indonesian page must have
/// none.
pub fn english_in(headings: &[String]) -> Vec<String> {
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let mut found = Vec::new();
    for (name, en, id) in pasar::lang::PHRASES {
        if en.eq_ignore_ascii_case(id) || en.contains('{') || en.contains('<') {
            continue;
        }
        let phrase = words(en);
        // Abbreviations ("n/a") are too short to tell a language by.
        if phrase.iter().all(|w| w.len() <= 2) {
            continue;
        }
        for h in headings {
            // File names (charts/x.png) are names, not English.
            let prose: Vec<&str> = h.split_whitespace().filter(|t| !t.contains('/')).collect();
            let text = words(&prose.join(" "));
            if text.windows(phrase.len()).any(|w| w == phrase.as_slice()) {
                found.push(format!("{name} (\"{en}\") in \"{h}\""));
            }
        }
    }
    found
}
