//! `pasar run` on good input: a small version of the baseline, checked for
//! the files it writes and what they hold.

mod common;

use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::process::Output;

const TICKS: u32 = 12;
const REPLICATES: u32 = 2;
const OUTPUT_FILES: [&str; 4] = [
    "dictionary.csv",
    "manifest.json",
    "resolved.toml",
    "series.csv",
];

fn pasar(scenario: &Path, out: &Path, extra: &[&str]) -> Output {
    common::pasar_command()
        .current_dir(out.parent().expect("out has a parent"))
        .arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .args(extra)
        .output()
        .expect("start pasar")
}

/// Run and insist on success.
fn run_ok(scenario: &Path, out: &Path, extra: &[&str]) -> String {
    let output = pasar(scenario, out, extra);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(0),
        "pasar run {} {extra:?} failed:\n{stderr}",
        scenario.display()
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    String::from_utf8(output.stdout).expect("stdout is UTF-8")
}

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader =
        csv::Reader::from_path(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let header = reader
        .headers()
        .expect("a header")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| {
            r.expect("a well-formed CSV row")
                .iter()
                .map(str::to_string)
                .collect()
        })
        .collect();
    (header, rows)
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `YYYY-MM-DD` with plausible month and day.
fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if !(digits(0..4) && digits(5..7) && digits(8..10)) {
        return false;
    }
    let month: u32 = s[5..7].parse().unwrap_or(0);
    let day: u32 = s[8..10].parse().unwrap_or(0);
    (1..=12).contains(&month) && (1..=31).contains(&day)
}

/// The ISO dates of the 12 weekly ticks from 2023-04-03.
fn tick_dates() -> Vec<&'static str> {
    vec![
        "2023-04-03",
        "2023-04-10",
        "2023-04-17",
        "2023-04-24",
        "2023-05-01",
        "2023-05-08",
        "2023-05-15",
        "2023-05-22",
        "2023-05-29",
        "2023-06-05",
        "2023-06-12",
        "2023-06-19",
    ]
}

#[test]
fn a_small_baseline_run_writes_complete_consistent_results() {
    let scratch = tempfile::tempdir().expect("create a scratch folder");
    let out = scratch.path().join("small");
    let mut args = common::SMALL_RUN_FLAGS.to_vec();
    args.extend(["--seed", "424242", "--threads", "2"]);
    let stdout = run_ok(&common::baseline_path(), &out, &args);

    // Exactly the four files, and nothing else beside the folder.
    assert_eq!(
        common::names_in(&out),
        OUTPUT_FILES,
        "files in the out folder"
    );
    assert_eq!(
        common::names_in(scratch.path()),
        ["small"],
        "a staging folder was left behind"
    );

    // The summary.
    assert!(
        stdout.contains("GMV share"),
        "no summary on stdout:\n{stdout}"
    );
    assert!(stdout.contains("2 replicates x 12 ticks"), "{stdout}");
    assert!(
        stdout.contains(&out.display().to_string()),
        "the summary should say where the results are:\n{stdout}"
    );

    // dictionary.csv: metric, unit, by, meaning.
    let (dict_header, dict_rows) = read_csv(&out.join("dictionary.csv"));
    assert_eq!(dict_header, ["metric", "unit", "by", "meaning"]);
    let dims: BTreeMap<String, BTreeSet<String>> = dict_rows
        .iter()
        .map(|r| {
            (
                r[0].clone(),
                r[2].split_whitespace().map(str::to_string).collect(),
            )
        })
        .collect();
    assert_eq!(
        dims.len(),
        dict_rows.len(),
        "a metric is listed twice in dictionary.csv"
    );
    for row in &dict_rows {
        assert!(
            row.iter().all(|f| !f.is_empty()),
            "dictionary row with an empty field: {row:?}"
        );
    }

    // series.csv.
    let series_path = out.join("series.csv");
    let (header, rows) = read_csv(&series_path);
    assert_eq!(
        header.join(","),
        "scenario,replicate,tick,date,metric,by,group,value"
    );
    assert!(!rows.is_empty(), "series.csv has no rows");
    let dates = tick_dates();
    let mut seen_metrics = BTreeSet::new();
    let mut seen = BTreeSet::new();
    let mut bad = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let line = i + 2;
        assert_eq!(row.len(), 8, "line {line}: {row:?}");
        let [scenario, replicate, tick, date, metric, by, group, value] = [
            &row[0], &row[1], &row[2], &row[3], &row[4], &row[5], &row[6], &row[7],
        ];
        if scenario != "baseline" {
            bad.push(format!("line {line}: scenario `{scenario}`"));
        }
        let replicate: u32 = replicate.parse().unwrap_or(u32::MAX);
        let tick: u32 = tick.parse().unwrap_or(u32::MAX);
        if replicate >= REPLICATES {
            bad.push(format!("line {line}: replicate `{}`", row[1]));
        }
        if tick >= TICKS {
            bad.push(format!("line {line}: tick `{}`", row[2]));
        }
        if !is_iso_date(date) {
            bad.push(format!("line {line}: date `{date}` is not YYYY-MM-DD"));
        } else if tick < TICKS && date != dates[tick as usize] {
            bad.push(format!(
                "line {line}: tick {tick} has date {date}, expected {}",
                dates[tick as usize]
            ));
        }
        match dims.get(metric) {
            None => bad.push(format!("line {line}: metric `{metric}` is not in dictionary.csv")),
            Some(allowed) if !allowed.contains(by) => {
                bad.push(format!("line {line}: metric `{metric}` by `{by}`, but dictionary.csv lists only {allowed:?}"))
            }
            Some(_) => {}
        }
        if group.is_empty() {
            bad.push(format!("line {line}: empty group"));
        }
        match value.parse::<f64>() {
            Ok(v) if v.is_finite() => {}
            _ => bad.push(format!(
                "line {line}: value `{value}` is not a finite number"
            )),
        }
        seen_metrics.insert(metric.clone());
        if !seen.insert((replicate, tick, metric.clone(), by.clone(), group.clone())) {
            bad.push(format!(
                "line {line}: duplicate row for {metric}/{by}/{group}"
            ));
        }
        if bad.len() > 20 {
            break;
        }
    }
    assert!(bad.is_empty(), "series.csv problems:\n{}", bad.join("\n"));
    let ticks_seen: BTreeSet<(u32, u32)> = seen.iter().map(|(r, t, ..)| (*r, *t)).collect();
    assert_eq!(
        ticks_seen.len() as u32,
        REPLICATES * TICKS,
        "every replicate should have every tick"
    );
    for name in ["gmv_share", "import_penetration"] {
        assert!(seen_metrics.contains(name), "series.csv has no `{name}`");
    }
    let text = fs::read_to_string(&series_path).expect("read series.csv");
    for word in ["NaN", "nan", "inf"] {
        assert!(!text.contains(word), "series.csv contains `{word}`");
    }

    // manifest.json.
    let manifest: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(out.join("manifest.json")).expect("read manifest.json"),
    )
    .expect("manifest.json is JSON");
    assert_eq!(manifest["scenario"], "baseline");
    assert_eq!(manifest["seed"], 424242);
    assert_eq!(manifest["replicates"], 2);
    assert_eq!(manifest["threads"], 2);
    let seeds = manifest["replicate_seeds"]
        .as_array()
        .expect("replicate_seeds is a list");
    assert_eq!(seeds.len(), 2, "replicate_seeds: {seeds:?}");
    assert!(
        seeds.iter().all(serde_json::Value::is_u64),
        "replicate_seeds: {seeds:?}"
    );
    assert_ne!(seeds[0], seeds[1], "replicates share a seed");
    assert_eq!(manifest["kind"], "run");
    let files = manifest["inputs"].as_array().expect("inputs is a list");
    assert_eq!(files.len(), 1, "inputs: {files:?}");
    let baseline_sha = sha256_hex(&fs::read(common::baseline_path()).expect("read baseline.toml"));
    assert_eq!(
        files[0]["sha256"],
        baseline_sha.as_str(),
        "sha256 of baseline.toml"
    );
    assert!(
        files[0]["path"]
            .as_str()
            .is_some_and(|p| p.ends_with("three_channels.toml")),
        "{files:?}"
    );
    let resolved = fs::read(out.join("resolved.toml")).expect("read resolved.toml");
    assert_eq!(
        manifest["resolved_toml_sha256"],
        sha256_hex(&resolved).as_str()
    );
    // Every file written is listed with its SHA-256, size and rows.
    let written = manifest["files"].as_array().expect("files is a list");
    let names: Vec<&str> = written.iter().filter_map(|f| f["path"].as_str()).collect();
    assert_eq!(
        names,
        ["dictionary.csv", "resolved.toml", "series.csv"],
        "files: {written:?}"
    );
    for f in written {
        let bytes = fs::read(out.join(f["path"].as_str().unwrap_or(""))).expect("a listed file");
        assert_eq!(f["sha256"], sha256_hex(&bytes).as_str(), "{f}");
        assert_eq!(f["bytes"], bytes.len() as u64, "{f}");
    }
    let series_rows = fs::read_to_string(&series_path)
        .expect("series")
        .lines()
        .count()
        - 1;
    assert_eq!(written[2]["rows"], series_rows as u64);
    // CPU time beside wall time, and decisions per CPU-second from it.
    let cpu = manifest["cpu_seconds"].as_f64().expect("cpu_seconds");
    let decisions = manifest["purchase_decisions"].as_f64().expect("decisions");
    let per_cpu = manifest["decisions_per_core_second"]
        .as_f64()
        .expect("decisions_per_core_second");
    assert!(cpu > 0.0, "cpu_seconds {cpu}");
    assert!((per_cpu * cpu / decisions - 1.0).abs() < 1e-9);
    assert!(
        manifest["command"]
            .as_array()
            .is_some_and(|c| !c.is_empty()),
        "command: {}",
        manifest["command"]
    );
    for key in ["started_utc", "finished_utc"] {
        let stamp = manifest[key].as_str().unwrap_or_default();
        assert!(
            stamp.len() == 20 && is_iso_date(&stamp[..10]) && stamp.ends_with('Z'),
            "{key}: {stamp}"
        );
    }

    // resolved.toml records the overrides.
    let resolved: toml::Table =
        toml::from_str(std::str::from_utf8(&resolved).expect("resolved.toml is UTF-8"))
            .expect("resolved.toml is TOML");
    let get = |path: &str| -> toml::Value {
        let mut node = toml::Value::Table(resolved.clone());
        for part in path.split('.') {
            node = node
                .get(part)
                .unwrap_or_else(|| panic!("resolved.toml lacks {path}"))
                .clone();
        }
        node
    };
    assert_eq!(get("simulation.ticks").as_integer(), Some(12));
    assert_eq!(get("simulation.replicates").as_integer(), Some(2));
    assert_eq!(get("simulation.seed").as_integer(), Some(424242));
    assert_eq!(get("population.umkm.count").as_integer(), Some(300));
    assert_eq!(get("population.consumers.count").as_integer(), Some(400));
    assert_eq!(
        get("simulation.start_date")
            .as_datetime()
            .map(ToString::to_string)
            .as_deref(),
        Some("2023-04-03")
    );
}

#[test]
fn resolved_toml_reproduces_the_run_with_any_thread_count() {
    let scratch = tempfile::tempdir().expect("create a scratch folder");
    let first = scratch.path().join("first");
    let again = scratch.path().join("again");
    let mut args = common::SMALL_RUN_FLAGS.to_vec();
    args.extend(["--threads", "2"]);
    run_ok(&common::baseline_path(), &first, &args);
    run_ok(&first.join("resolved.toml"), &again, &["--threads", "1"]);
    let a = fs::read(first.join("series.csv")).expect("read the first series.csv");
    let b = fs::read(again.join("series.csv")).expect("read the second series.csv");
    assert!(
        a == b,
        "running resolved.toml with --threads 1 gave a different series.csv"
    );
    assert_eq!(
        fs::read(first.join("resolved.toml")).expect("read resolved.toml"),
        fs::read(again.join("resolved.toml")).expect("read resolved.toml"),
        "resolved.toml does not resolve to itself"
    );
}

#[test]
fn force_replaces_an_existing_folder() {
    let scratch = tempfile::tempdir().expect("create a scratch folder");
    let out = scratch.path().join("out");
    fs::create_dir(&out).expect("create the out folder");
    // Earlier results: --force replaces a folder with a pasar manifest.
    fs::write(out.join("manifest.json"), "{}").expect("write a manifest");
    fs::write(out.join("marker.txt"), "old results").expect("write the marker");
    // The horizon is shortened without moving the start: the baseline's
    // 2023-06-01 event falls after it, never acts and is left out.
    let args = [
        "--set",
        "population.umkm.count=300",
        "--set",
        "population.importer.count=5",
        "--set",
        "population.consumers.count=400",
        "--set",
        "simulation.ticks=12",
        common::ALLOW_DROPPED,
        "--replicates",
        "2",
        "--force",
    ];
    let stdout = run_ok(&common::baseline_path(), &out, &args);
    assert!(stdout.contains("GMV share"), "{stdout}");
    // The run says which event it left out.
    assert!(
        stdout.contains("events dropped by the horizon (1)")
            && stdout.contains("at 2023-06-01) starts after the run ends"),
        "{stdout}"
    );
    assert_eq!(
        common::names_in(&out),
        OUTPUT_FILES,
        "the old folder's content should be gone"
    );
    assert_eq!(
        common::names_in(scratch.path()),
        ["out"],
        "a staging or old folder was left behind"
    );
    let resolved: toml::Table =
        toml::from_str(&fs::read_to_string(out.join("resolved.toml")).expect("read resolved.toml"))
            .expect("resolved.toml is TOML");
    let events = resolved
        .get("events")
        .and_then(toml::Value::as_array)
        .map_or(0, Vec::len);
    assert_eq!(
        events, 0,
        "an event past the shortened horizon is kept in resolved.toml"
    );
}
