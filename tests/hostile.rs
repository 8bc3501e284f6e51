//! Hostile and careless input, refused before the first tick, in every
//! command: destinations that are links or cannot be written or are in use,
//! inputs that are pipes, folders damaged or edited since pasar wrote them,
//! options given twice or contradicting each other, paths and keys deeper
//! than any scenario's, memory limits set on the process, calibrations that
//! cannot reach a finite objective, and a reader that stops listening.
//! Each refusal exits 2 (or, for a closed output, 0), names the place and
//! the fix, and leaves nothing written.

mod common;

use common::{
    BAN_WINDOW, PASAR, assert_ok as ok, assert_refused as refused, baseline_path, pasar_args,
    pasar_command, path_text as path, set_flags,
};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `pasar` with `args` (strings) and then `extra`.
fn pasar(args: &[&str], extra: &[String]) -> std::process::Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    pasar_args(&args, &extra)
}

/// The small settings as `--set` flags.
fn small() -> Vec<String> {
    set_flags(BAN_WINDOW)
}

/// Run and expect a refusal within a few seconds (a pipe must not be
/// waited on).
fn refused_quickly(args: &[&str], extra: &[String], needles: &[&str]) {
    let start = Instant::now();
    refused(pasar(args, extra), needles);
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "refusing {args:?} took {:?}",
        start.elapsed()
    );
}

#[cfg(unix)]
#[test]
fn destinations_that_are_links_or_cannot_be_written_are_refused_before_running() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    // A dangling link, and a link to a real folder: the rename would
    // replace the link, not what it names.
    let dangling = d.join("dangling");
    std::os::unix::fs::symlink(d.join("nowhere"), &dangling).expect("link");
    let real = d.join("real");
    fs::create_dir(&real).expect("mkdir");
    let linked = d.join("linked");
    std::os::unix::fs::symlink(&real, &linked).expect("link");
    let base = baseline_path().display().to_string();
    for out in [&dangling, &linked] {
        let o = path(out);
        refused(
            pasar(&["run", &base, "--quiet", "--out", &o], &small()),
            &["is a symbolic link", "--out"],
        );
        refused(
            pasar(
                &[
                    "compare",
                    &base,
                    &common::shipped("payment_ban.toml"),
                    "--quiet",
                    "--out",
                    &o,
                ],
                &small(),
            ),
            &["is a symbolic link"],
        );
    }
    assert!(fs::symlink_metadata(&dangling).is_ok() && !dangling.exists());
    assert!(common::names_in(&real).is_empty());
    // Folders nobody may create files in: every simulating command says so
    // before its first tick (nothing on stdout, quickly).
    let Some(locked) = common::unwritable_folder(d) else {
        panic!("found no folder this test cannot write to");
    };
    let out = path(&locked.join("results"));
    let quantities = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("calibration/forecast.toml");
    let q = path(&quantities);
    let ban = common::shipped("payment_ban.toml");
    let indonesia = common::shipped("indonesia_2023.toml");
    for (args, extra) in [
        (vec!["run", &base], small()),
        (vec!["compare", &base, &ban], small()),
        (vec!["forecast", &indonesia, "--quantities", &q], Vec::new()),
        (
            vec![
                "sweep",
                &base,
                "--vary",
                "channels.social.take_rate=0.02:0.08",
                "--design",
                "lhs:2",
            ],
            small(),
        ),
    ] {
        let mut args = args;
        args.extend(["--quiet", "--out", &out]);
        let output = pasar(&args, &extra);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("cannot write in"), "{args:?}: {stderr}");
        assert!(
            stderr.contains("choose another folder with --out"),
            "{stderr}"
        );
        assert!(output.stdout.is_empty(), "{args:?} ran: {stderr}");
    }
}

#[test]
fn a_destination_in_use_by_another_job_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("busy");
    // A long run holds the destination (its lock) until it is stopped.
    let mut args: Vec<String> = vec![
        "run".into(),
        baseline_path().display().to_string(),
        "--quiet".into(),
        "--threads".into(),
        "1".into(),
        "--out".into(),
        path(&out),
    ];
    args.extend(set_flags(&common::layered(
        BAN_WINDOW,
        &["simulation.ticks=2000", "simulation.replicates=1"],
    )));
    let mut child = pasar_command()
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start pasar");
    let start = Instant::now();
    while !out
        .with_file_name("busy.partial")
        .join("checkpoint.json")
        .exists()
    {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the run never started"
        );
        assert!(child.try_wait().expect("poll").is_none(), "ended too soon");
        std::thread::sleep(Duration::from_millis(10));
    }
    // A sweep (or another run) writing the same folder is refused.
    let sweep = pasar(
        &[
            "sweep",
            &baseline_path().display().to_string(),
            "--vary",
            "channels.social.take_rate=0.02:0.08",
            "--design",
            "lhs:2",
            "--quiet",
            "--out",
            &path(&out),
        ],
        &small(),
    );
    refused(sweep, &["in use by another pasar"]);
    let run = pasar(
        &[
            "run",
            &baseline_path().display().to_string(),
            "--quiet",
            "--force",
            "--out",
            &path(&out),
        ],
        &small(),
    );
    refused(run, &["in use by another pasar"]);
    let _ = child.kill();
    let _ = child.wait();
}

/// A finished run of the small baseline (or of `file`) in `out`.
fn finished_run(file: &str, out: &Path, seed: &str) {
    let mut extra = small();
    extra.extend([
        "--replicates".into(),
        "2".into(),
        "--seed".into(),
        seed.into(),
    ]);
    ok(pasar(
        &["run", file, "--quiet", "--out", &path(out)],
        &extra,
    ));
}

#[test]
fn run_folders_damaged_or_edited_are_refused_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let base = d.join("base");
    let ban = d.join("ban");
    finished_run(&common::shipped("baseline.toml"), &base, "5");
    finished_run(&common::shipped("payment_ban.toml"), &ban, "5");
    let cmp = path(&d.join("cmp"));
    // As written: compared.
    ok(pasar(
        &["compare", &path(&base), &path(&ban), "--out", &cmp],
        &[],
    ));
    fs::remove_dir_all(d.join("cmp")).expect("remove");
    // series.csv cut short: refused, naming it.
    let series = ban.join("series.csv");
    let whole = fs::read(&series).expect("read");
    fs::write(&series, &whole[..whole.len() / 2]).expect("truncate");
    refused(
        pasar(&["compare", &path(&base), &path(&ban), "--out", &cmp], &[]),
        &["series.csv has", "damaged or edited"],
    );
    // A value edited (same size): refused.
    let mut edited = whole.clone();
    let last = edited.len() - 2;
    edited[last] = if edited[last] == b'1' { b'2' } else { b'1' };
    fs::write(&series, &edited).expect("edit");
    refused(
        pasar(&["compare", &path(&base), &path(&ban), "--out", &cmp], &[]),
        &["series.csv differs from what was written"],
    );
    fs::write(&series, &whole).expect("restore");
    // resolved.toml edited: refused.
    let resolved = ban.join("resolved.toml");
    let text = fs::read_to_string(&resolved).expect("read");
    fs::write(&resolved, text.replace("ticks = 24", "ticks = 25")).expect("edit");
    refused(
        pasar(&["compare", &path(&base), &path(&ban), "--out", &cmp], &[]),
        &["resolved.toml"],
    );
    fs::write(&resolved, text).expect("restore");
    // A manifest that lists no files (an older pasar's): cannot be checked.
    let manifest = ban.join("manifest.json");
    let mut m: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&manifest).expect("read")).expect("JSON");
    m["files"] = serde_json::Value::Array(Vec::new());
    fs::write(&manifest, m.to_string()).expect("write");
    refused(
        pasar(&["compare", &path(&base), &path(&ban), "--out", &cmp], &[]),
        &["lists no files"],
    );
    assert!(!d.join("cmp").exists());
}

#[test]
fn series_only_one_side_has_are_compared_with_empty_cells_and_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    // The policy adds a marketplace the baseline does not have.
    let policy = d.join("more.toml");
    fs::write(
        &policy,
        format!(
            "extends = {:?}\n\n[simulation]\nname = \"more\"\n\n[channels.bazaar]\nkind = \"marketplace\"\n",
            common::shipped("baseline.toml")
        ),
    )
    .expect("write");
    let out = d.join("cmp");
    let output = pasar(
        &[
            "compare",
            &common::shipped("baseline.toml"),
            &path(&policy),
            "--quiet",
            "--replicates",
            "2",
            "--out",
            &path(&out),
        ],
        &small(),
    );
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    ok(output);
    assert!(
        stderr.contains("exists only in the policy of `more`"),
        "{stderr}"
    );
    let effects = fs::read_to_string(out.join("effects.csv")).expect("effects.csv");
    let rows: Vec<&str> = effects
        .lines()
        .filter(|l| l.starts_with("more,gmv_share,channel,bazaar,"))
        .collect();
    assert_eq!(rows.len(), 24, "one row a tick");
    for row in rows {
        let cells: Vec<&str> = row.split(',').collect();
        // baseline_mean and the difference are empty; the policy's mean is there.
        assert_eq!(cells[6], "", "{row}");
        assert!(cells[7].parse::<f64>().is_ok(), "{row}");
        assert!(cells[8..13].iter().all(|c| c.is_empty()), "{row}");
    }
}

/// A small sharded sweep: its two part folders.
fn two_parts(d: &Path) -> (PathBuf, PathBuf) {
    let parts = (d.join("p0"), d.join("p1"));
    for (i, p) in [&parts.0, &parts.1].into_iter().enumerate() {
        let mut extra = small();
        extra.extend(["--shard".into(), format!("{i}/2"), "--out".into(), path(p)]);
        ok(pasar(
            &[
                "sweep",
                &common::shipped("baseline.toml"),
                "--vary",
                "channels.tiktok_shop.take_rate=0.02:0.08",
                "--design",
                "lhs:2",
                "--quiet",
            ],
            &extra,
        ));
    }
    parts
}

#[test]
fn merge_refuses_parts_that_are_edited_damaged_or_misnumbered() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let (p0, p1) = two_parts(d);
    let out = path(&d.join("merged"));
    let merge = |a: &Path, b: &Path| pasar(&["merge", &path(a), &path(b), "--out", &out], &[]);
    // A shard number past the count: refused, no panic.
    let manifest = p1.join("manifest.json");
    let text = fs::read_to_string(&manifest).expect("read");
    let mut m: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    m["shard"] = 99.into();
    fs::write(&manifest, m.to_string()).expect("write");
    refused(merge(&p0, &p1), &["shard 99 of 2, which is not a shard"]);
    m["shards"] = 0.into();
    fs::write(&manifest, m.to_string()).expect("write");
    refused(merge(&p0, &p1), &["which is not a shard"]);
    fs::write(&manifest, &text).expect("restore");
    // Its records cut short: refused, naming the file.
    let records = p1.join("records.jsonl");
    let whole = fs::read(&records).expect("read");
    fs::write(&records, &whole[..whole.len() / 2]).expect("truncate");
    refused(merge(&p0, &p1), &["records.jsonl", "damaged or edited"]);
    fs::write(&records, &whole).expect("restore");
    // The same part twice, and a folder that is not a part.
    refused(merge(&p0, &p0), &["both shard 0/2"]);
    let stray = d.join("stray");
    fs::create_dir(&stray).expect("mkdir");
    refused(merge(&p0, &stray), &["not a finished part of a sweep"]);
    ok(merge(&p0, &p1));
}

#[cfg(unix)]
#[test]
fn named_pipes_as_inputs_are_refused_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let pipe = d.join("pipe");
    common::mkfifo(&pipe);
    let p = path(&pipe);
    let base = baseline_path().display().to_string();
    let out = path(&d.join("out"));
    refused_quickly(
        &[
            "calibrate",
            &base,
            "--targets",
            &p,
            "--free",
            "channels.social.affinity=-7:-3",
            "--out",
            &out,
        ],
        &[],
        &["is a named pipe"],
    );
    refused_quickly(
        &["forecast", &base, "--quantities", &p, "--out", &out],
        &[],
        &["is a named pipe"],
    );
    refused_quickly(
        &["sweep", &base, "--samples", &p, "--out", &out],
        &[],
        &["is a named pipe"],
    );
    refused_quickly(&["run", &p, "--out", &out], &[], &["is a named pipe"]);
    assert_eq!(common::names_in(d), ["pipe"]);
}

#[cfg(unix)]
#[test]
fn a_memory_limit_on_the_process_is_read_before_allocating() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The national population needs several GiB; 1.5 GiB of address space
    // cannot hold it. Refused up front, naming the limit, not killed
    // mid-allocation.
    let out = dir.path().join("national");
    let output = Command::new("bash")
        .current_dir(dir.path())
        .arg("-c")
        .arg("ulimit -v 1500000; exec \"$0\" \"$@\"")
        .arg(PASAR)
        .args([
            "run",
            &common::shipped("national.toml"),
            "--quiet",
            "--threads",
            "2",
            "--out",
        ])
        .arg(&out)
        .output()
        .expect("start bash");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("address-space limit (ulimit -v)"),
        "{stderr}"
    );
    assert!(stderr.contains("too large for this machine"), "{stderr}");
    assert!(
        common::names_in(dir.path()).is_empty(),
        "{:?}",
        common::names_in(dir.path())
    );
}

#[test]
fn key_paths_deeper_than_any_scenario_key_are_refused_not_overflowing() {
    let dir = tempfile::tempdir().expect("tempdir");
    // (One argument may hold 128 KiB on Linux.)
    let deep = format!("{}=1", vec!["a"; 50_000].join("."));
    refused(
        pasar(
            &["run", &common::shipped("baseline.toml"), "--set", &deep],
            &[],
        ),
        &["the key path has 50000 parts"],
    );
    // The same in a file, as a table header and as a dotted key.
    for (name, text) in [
        (
            "header.toml",
            format!("[{}]\nx = 1\n", vec!["a"; 100_000].join(".")),
        ),
        (
            "dotted.toml",
            format!("{} = 1\n", vec!["a"; 100_000].join(".")),
        ),
    ] {
        let file = dir.path().join(name);
        fs::write(&file, text).expect("write");
        refused(
            pasar(&["run", &path(&file)], &[]),
            &["nested 100000 levels deep", &format!("{name}:1:1")],
        );
    }
}

#[test]
fn a_closed_output_pipe_ends_the_command_quietly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = pasar_command()
        .args(["run", &common::shipped("baseline.toml"), "--quiet", "--out"])
        .arg(dir.path().join("out"))
        .args(common::SMALL_RUN_FLAGS)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start pasar");
    // Whoever reads stdout has gone away before pasar prints.
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(dir.path().join("out/series.csv").is_file());
}

#[test]
fn options_given_twice_or_contradicting_each_other_are_refused() {
    let base = common::shipped("baseline.toml");
    let ban = common::shipped("payment_ban.toml");
    // The same key twice, and a key given both as a flag and as --set.
    refused(
        pasar(
            &[
                "run",
                &base,
                "--set",
                "simulation.ticks=5",
                "--set",
                "simulation.ticks=6",
            ],
            &[],
        ),
        &["`simulation.ticks` is overridden twice"],
    );
    refused(
        pasar(
            &["run", &base, "--seed", "3", "--set", "simulation.seed=4"],
            &[],
        ),
        &["--seed", "the seed is given twice"],
    );
    refused(
        pasar(
            &[
                "run",
                &base,
                "--replicates",
                "3",
                "--set",
                "simulation.replicates=4",
            ],
            &[],
        ),
        &["the replicates is given twice"],
    );
    // Sweeps: a parameter varied twice, varied and set, no replicate.
    let sweep = |extra: &[&str]| {
        let mut args = vec!["sweep", base.as_str(), "--design", "lhs:2", "--quiet"];
        args.extend(extra);
        pasar(&args, &[])
    };
    refused(
        sweep(&[
            "--vary",
            "channels.tiktok_shop.take_rate=0.02:0.08",
            "--vary",
            "channels.tiktok_shop.take_rate=0.01:0.05",
        ]),
        &["`channels.tiktok_shop.take_rate` is varied twice"],
    );
    refused(
        sweep(&[
            "--vary",
            "channels.tiktok_shop.take_rate=0.02:0.08",
            "--set",
            "channels.tiktok_shop.take_rate=0.05",
        ]),
        &["both varied and set"],
    );
    refused(
        sweep(&[
            "--vary",
            "channels.tiktok_shop.take_rate=0.02:0.08",
            "--replicates",
            "0",
        ]),
        &["--replicates", "0 is not in 1.."],
    );
    refused(
        sweep(&[
            "--vary",
            "channels.tiktok_shop.take_rate=0.02:0.08",
            "--shards",
            "4",
        ]),
        &["--slurm"],
    );
    // Compare: a precision target twice, a maximum below the first batch.
    refused(
        pasar(
            &[
                "compare",
                &base,
                &ban,
                "--precision",
                "0.01",
                "--precision",
                "0.02",
            ],
            &[],
        ),
        &["--precision", "a target for shares is given twice"],
    );
    refused(
        pasar(
            &[
                "compare",
                &base,
                &ban,
                "--precision",
                "umkm_revenue_idr=1e9",
                "--precision",
                "umkm_revenue_idr=2e9",
            ],
            &[],
        ),
        &["`umkm_revenue_idr` has a target already"],
    );
    refused(
        pasar(
            &[
                "compare",
                &base,
                &ban,
                "--precision",
                "0.01",
                "--replicates",
                "8",
                "--max-replicates",
                "4",
            ],
            &[],
        ),
        &["the maximum of 4 replicates is below the first batch of 8"],
    );
}

#[test]
fn whole_number_factors_are_run_and_written_rounded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("sw");
    let mut extra = set_flags(&common::layered(BAN_WINDOW, &["simulation.ticks=10"]));
    extra.extend(["--out".into(), path(&out)]);
    ok(pasar(
        &[
            "sweep",
            &common::shipped("project_s.toml"),
            "--vary",
            // Project S's `every`, a whole number of ticks.
            "events[11].every=1:4",
            "--design",
            "lhs:5",
            "--replicates",
            "1",
            "--quiet",
        ],
        &extra,
    ));
    for file in ["design.csv", "sweep.csv"] {
        let text = fs::read_to_string(out.join(file)).expect("read");
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().expect("header").split(',').collect();
        let column = header
            .iter()
            .position(|h| *h == "events[11].every")
            .expect("the factor's column");
        for line in lines {
            let value: f64 = line
                .split(',')
                .nth(column)
                .expect("a cell")
                .parse()
                .expect("a number");
            assert_eq!(value, value.round(), "{file}: {line}");
            assert!((1.0..=4.0).contains(&value), "{file}: {line}");
        }
    }
}

/// A tiny scenario and targets for calibrations.
fn tiny(d: &Path, targets: &str) -> (String, String) {
    let scenario_path = d.join("tiny.toml");
    fs::write(
        &scenario_path,
        format!(
            "extends = {:?}\n\n[simulation]\nreplicates = 2\n\n[population.umkm]\ncount = 300\n\n[population.importer]\ncount = 3\n\n[population.consumers]\ncount = 300\n",
            baseline_path().display().to_string()
        ),
    )
    .expect("write");
    let targets_path = d.join("targets.toml");
    fs::write(&targets_path, targets).expect("write");
    (path(&scenario_path), path(&targets_path))
}

#[test]
fn calibrations_that_cannot_reach_a_finite_objective_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    // A tolerance so small that any error overflows: refused up front.
    let (s, t) = tiny(
        d,
        r#"[[targets]]
id = "online_sellers"
metric = "sellers_alive"
by = "channel"
group = "marketplace"
window_start = 2022-01-01
window_end = 2022-01-31
observed = 150000
sd = 1e-300
"#,
    );
    let out = path(&d.join("fit"));
    let args = |t: &str| {
        vec![
            "calibrate".to_string(),
            s.clone(),
            "--targets".into(),
            t.to_string(),
            "--free".into(),
            "channels.social.affinity=-7:-3".into(),
            "--starts".into(),
            "1".into(),
            "--max-evaluations".into(),
            "3".into(),
            "--replicates".into(),
            "1".into(),
            "--set".into(),
            "simulation.ticks=12".into(),
            common::ALLOW_DROPPED.into(),
            "--quiet".into(),
            "--out".into(),
            out.clone(),
        ]
    };
    refused(
        pasar_args(&args(&t), &[]),
        &["target `online_sellers`", "the objective cannot be finite"],
    );
    // A ratio whose denominator is always zero (a channel nobody sells on):
    // no point can be computed, so no calibrated.toml is written.
    let zero = d.join("zero.toml");
    fs::write(
        &zero,
        r#"[[targets]]
id = "nothing"
ratio = { numerator = [ { metric = "gmv_idr", by = "kind", group = "affiliate" } ], denominator = [ { metric = "gmv_idr", by = "kind", group = "affiliate" } ] }
window_start = 2022-01-01
window_end = 2022-02-28
observed = 0.5
sd = 0.1
"#,
    )
    .expect("write");
    let output = pasar_args(&args(&path(&zero)), &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no point was found"), "{stderr}");
    assert!(!d.join("fit").exists(), "a calibration was written");
}
