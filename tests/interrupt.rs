//! Crash safety and `--resume`, on the real binary: a run is killed mid-way
//! with SIGINT or SIGTERM, must stop promptly with its finished replicates
//! and a checkpoint on disk and nothing half-written, and a resumed run must
//! write the same bytes as one that was never interrupted. A second Ctrl-C
//! aborts at once; a full disk fails cleanly.
//!
//! Time bounds here are deliberately generous (the machine may be loaded):
//! "stops within a second" is checked as "within 5 seconds".

#![cfg(unix)]

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

/// Replicates of the resumable run: enough that several are still to run
/// when the first one is on disk.
const REPLICATES: usize = 12;

/// A small baseline whose replicates each take a fraction of a second in a
/// debug build (the 2023-06-01 event stays inside the horizon).
const FLAGS: &[&str] = &[
    "--set",
    "population.umkm.count=300",
    "--set",
    "population.importer.count=5",
    "--set",
    "population.consumers.count=400",
    "--set",
    "simulation.ticks=40",
    "--set",
    "simulation.start_date=2023-04-03",
    common::ALLOW_DROPPED,
    "--replicates",
    "12",
    "--quiet",
];

/// The seed of the run whose `series.csv` is pinned by [`SERIES_SHA256`].
const PINNED_SEED: &[&str] = &["--seed", "20231004"];

/// SHA-256 of `series.csv` for `run s.toml` with [`FLAGS`] and
/// [`PINNED_SEED`] (any thread count), computed once with pasar and kept
/// here as a literal: an independent check that an uninterrupted run and an
/// interrupted, resumed one write exactly these bytes (comparing the two
/// runs with each other would not notice both changing). If the model's
/// numbers change on purpose, update this together with the reference
/// fingerprint in tests/determinism.rs.
const SERIES_SHA256: &str = "26dca145ee01c9664da421bde5a9a55f3f7ce383a88bbf74823060fcf49c7852";

/// SHA-256 of a file, in hex (sha2 directly, not pasar's own helper).
fn sha256_of(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// How long a stop may take after a signal (the issue asks for a second).
const STOP_BOUND: Duration = Duration::from_secs(5);

/// A scratch folder holding a copy of the baseline as `s.toml`; pasar runs
/// there with `--out out`, so two scratch folders give the same command line.
fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("create a scratch folder");
    fs::copy(common::baseline_path(), dir.path().join("s.toml")).expect("copy the baseline");
    dir
}

fn pasar(dir: &Path) -> Command {
    let mut cmd = common::pasar_command();
    cmd.current_dir(dir).env("RUST_BACKTRACE", "0");
    cmd
}

fn run_args(threads: &str) -> Vec<&str> {
    let mut args = vec!["run", "s.toml", "--out", "out", "--threads", threads];
    args.extend_from_slice(FLAGS);
    args
}

/// Replicates with a finished record in the checkpoint folder.
fn finished_in(checkpoint: &Path) -> Vec<u32> {
    let Ok(entries) = fs::read_dir(checkpoint) else {
        return Vec::new();
    };
    let mut found: Vec<u32> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_prefix("replicate-")?
                .strip_suffix(".json")?
                .parse()
                .ok()
        })
        .collect();
    found.sort_unstable();
    found
}

fn send(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args(["-s", signal, &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -s {signal} failed");
}

/// Wait until `done()` or the child exits; false if it exited first.
fn wait_until(child: &mut Child, done: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(300);
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        if child.try_wait().expect("poll pasar").is_some() {
            return done();
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("pasar made no progress in 300 s");
}

/// Wait for the child to exit (killing it after 120 s); its status, stderr
/// and how long it took.
fn wait_exit(mut child: Child, since: Instant) -> (ExitStatus, String, Duration) {
    let deadline = since + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().expect("poll pasar") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("pasar did not stop within 120 s of the signal");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let took = since.elapsed();
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    (status, stderr, took)
}

/// Start a run, wait until at least one replicate is checkpointed, send
/// `signal`, and return the exit status, stderr and time to stop.
fn interrupt_run(
    dir: &Path,
    threads: &str,
    extra: &[&str],
    signal: &str,
) -> (ExitStatus, String, Duration) {
    let mut child = pasar(dir)
        .args(run_args(threads))
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start pasar");
    let checkpoint = dir.join("out.partial");
    let started = wait_until(&mut child, || !finished_in(&checkpoint).is_empty());
    assert!(
        started,
        "pasar exited before a replicate was checkpointed: {:?}",
        child.wait()
    );
    send(&child, signal);
    wait_exit(child, Instant::now())
}

fn ok(output: Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(0), "pasar failed:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Everything in a checkpoint folder is whole: no temporaries, every
/// replicate's rows beside its record, and the checkpoint description.
fn assert_checkpoint_whole(checkpoint: &Path, replicates: u64) -> Vec<u32> {
    let names = common::names_in(checkpoint);
    assert!(
        names.iter().all(|n| !n.ends_with(".tmp")),
        "a temporary was left: {names:?}"
    );
    assert!(names.contains(&"checkpoint.json".to_string()), "{names:?}");
    assert!(names.contains(&"resolved.toml".to_string()), "{names:?}");
    let finished = finished_in(checkpoint);
    for r in &finished {
        assert!(
            names.contains(&format!("replicate-{r:06}.csv")),
            "replicate {r} has a record but no rows: {names:?}"
        );
    }
    for n in names.iter().filter(|n| n.ends_with(".csv")) {
        let r: u32 = n["replicate-".len()..n.len() - 4]
            .parse()
            .expect("a replicate number");
        assert!(
            finished.contains(&r),
            "rows of replicate {r} without a record"
        );
    }
    let info: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(checkpoint.join("checkpoint.json")).expect("read checkpoint.json"),
    )
    .expect("checkpoint.json is JSON");
    assert_eq!(info["replicates"], replicates);
    finished
}

/// manifest.json without the fields that record timing.
fn manifest_without_timing(path: &Path) -> BTreeMap<String, serde_json::Value> {
    let mut m: BTreeMap<String, serde_json::Value> =
        serde_json::from_str(&fs::read_to_string(path).expect("read manifest.json"))
            .expect("manifest.json is a JSON object");
    for timing in [
        "started_utc",
        "resumed_utc",
        "finished_utc",
        "wall_seconds",
        "cpu_seconds",
        "decisions_per_second",
        "decisions_per_core_second",
    ] {
        m.remove(timing);
    }
    m
}

/// The rows of `series.csv` for one replicate (column 2), as bytes.
fn rows_of(series: &str, replicate: u32) -> String {
    series
        .lines()
        .skip(1)
        .filter(|l| l.split(',').nth(1) == Some(&replicate.to_string()))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn sigint_keeps_finished_replicates_and_resume_gives_the_same_bytes() {
    // The reference: the same command, never interrupted.
    let whole = scratch();
    ok(pasar(whole.path())
        .args(run_args("1"))
        .args(PINNED_SEED)
        .output()
        .expect("start pasar"));
    let reference = whole.path().join("out");
    assert_eq!(
        sha256_of(&reference.join("series.csv")),
        SERIES_SHA256,
        "series.csv of the uninterrupted run is not the pinned one"
    );
    let reference_series =
        fs::read_to_string(reference.join("series.csv")).expect("read series.csv");

    let cut = scratch();
    let (status, stderr, took) = interrupt_run(cut.path(), "1", PINNED_SEED, "INT");
    eprintln!("SIGINT: pasar stopped {took:?} after the signal");
    assert_eq!(
        status.code(),
        Some(130),
        "exit code after SIGINT:\n{stderr}"
    );
    assert!(took < STOP_BOUND, "stopping took {took:?}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("error: interrupted by SIGINT"), "{stderr}");
    assert!(
        stderr.contains("help: resume with `pasar run --resume out`"),
        "{stderr}"
    );
    // No results folder, no staging folder: only the checkpoint.
    assert_eq!(common::names_in(cut.path()), ["out.partial", "s.toml"]);
    let checkpoint = cut.path().join("out.partial");
    let kept = assert_checkpoint_whole(&checkpoint, REPLICATES as u64);
    assert!(
        !kept.is_empty() && kept.len() < REPLICATES,
        "kept replicates {kept:?}: the run should have been cut mid-way"
    );
    let info: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(checkpoint.join("checkpoint.json")).unwrap())
            .expect("checkpoint.json is JSON");
    assert_eq!(info["status"], "interrupted by SIGINT (Ctrl-C)");
    let listed: Vec<u32> = serde_json::from_value(info["finished"].clone()).expect("a list");
    assert_eq!(listed, kept);
    assert!(
        stderr.contains(&format!("{} of {REPLICATES} replicates", kept.len())),
        "{stderr}"
    );
    // What was kept is exactly what the uninterrupted run wrote for them.
    for &r in &kept {
        let rows = fs::read_to_string(checkpoint.join(format!("replicate-{r:06}.csv")))
            .expect("read a replicate's rows");
        assert!(
            rows == rows_of(&reference_series, r),
            "replicate {r} differs"
        );
    }

    // Resume (with another thread count: results do not depend on it).
    let stdout = ok(pasar(cut.path())
        .args(["run", "--resume", "out", "--quiet", "--threads", "2"])
        .output()
        .expect("start pasar"));
    assert!(stdout.contains("12 replicates x 40 ticks"), "{stdout}");
    assert_eq!(common::names_in(cut.path()), ["out", "s.toml"]);
    let resumed = cut.path().join("out");
    assert_eq!(
        sha256_of(&resumed.join("series.csv")),
        SERIES_SHA256,
        "series.csv of the interrupted and resumed run is not the pinned one"
    );
    for file in ["series.csv", "dictionary.csv", "resolved.toml"] {
        let a = fs::read(reference.join(file)).expect("read the reference");
        let b = fs::read(resumed.join(file)).expect("read the resumed file");
        assert!(
            a == b,
            "{file} of the resumed run differs from an uninterrupted run"
        );
    }
    let mut a = manifest_without_timing(&reference.join("manifest.json"));
    let mut b = manifest_without_timing(&resumed.join("manifest.json"));
    // The thread count was changed on purpose.
    assert_eq!(a.remove("threads"), Some(1.into()));
    assert_eq!(b.remove("threads"), Some(2.into()));
    assert_eq!(a, b, "manifest.json differs beyond timing");
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(resumed.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        manifest["resumed_utc"].as_array().map(Vec::len),
        Some(1),
        "the manifest records the resume"
    );
}

#[test]
fn sigterm_stops_and_a_changed_scenario_is_not_resumed() {
    let dir = scratch();
    let (status, stderr, took) = interrupt_run(dir.path(), "2", &[], "TERM");
    eprintln!("SIGTERM: pasar stopped {took:?} after the signal");
    assert_eq!(
        status.code(),
        Some(143),
        "exit code after SIGTERM:\n{stderr}"
    );
    assert!(took < STOP_BOUND, "stopping took {took:?}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("interrupted by SIGTERM"), "{stderr}");
    let checkpoint = dir.path().join("out.partial");
    let kept = assert_checkpoint_whole(&checkpoint, REPLICATES as u64);
    assert!(!kept.is_empty());

    // A fresh run into the same folder is refused: the interrupted one is kept.
    let again = pasar(dir.path())
        .args(run_args("1"))
        .output()
        .expect("start pasar");
    let err = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(2), "{err}");
    assert!(
        err.contains("an interrupted run is kept in out.partial")
            && err.contains("pasar run --resume out")
            && err.contains("--force"),
        "{err}"
    );

    // Edit the scenario: the resume is refused, naming the file and the parameter.
    let scenario = dir.path().join("s.toml");
    let original = fs::read_to_string(&scenario).expect("read s.toml");
    assert!(original.contains("seed = 20231004"));
    fs::write(&scenario, original.replace("seed = 20231004", "seed = 7")).expect("edit s.toml");
    let before: Vec<(String, Vec<u8>)> = common::names_in(&checkpoint)
        .into_iter()
        .map(|n| (n.clone(), fs::read(checkpoint.join(&n)).expect("read")))
        .collect();
    let refused = pasar(dir.path())
        .args(["run", "--resume", "out", "--quiet"])
        .output()
        .expect("start pasar");
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.contains("the scenario changed since the run started"),
        "{err}"
    );
    assert!(err.contains("s.toml was edited (SHA-256"), "{err}");
    assert!(
        err.contains("`simulation.seed`: 20231004 then, 7 now"),
        "{err}"
    );
    assert!(err.contains("help: put the files back"), "{err}");
    let after: Vec<(String, Vec<u8>)> = common::names_in(&checkpoint)
        .into_iter()
        .map(|n| (n.clone(), fs::read(checkpoint.join(&n)).expect("read")))
        .collect();
    assert!(before == after, "a refused resume changed the checkpoint");
    assert_eq!(common::names_in(dir.path()), ["out.partial", "s.toml"]);

    // Put it back: the resume goes through.
    fs::write(&scenario, &original).expect("restore s.toml");
    ok(pasar(dir.path())
        .args(["run", "--resume", "out", "--quiet"])
        .output()
        .expect("start pasar"));
    assert_eq!(common::names_in(dir.path()), ["out", "s.toml"]);
    assert_eq!(
        common::names_in(&dir.path().join("out")),
        [
            "dictionary.csv",
            "manifest.json",
            "resolved.toml",
            "series.csv"
        ]
    );
}

/// A run whose ticks take about a second each in a debug build, so that a
/// second signal arrives while the first is still waiting for a tick to end.
const SLOW: &[&str] = &[
    "--set",
    "population.umkm.count=40000",
    "--set",
    "population.importer.count=500",
    "--set",
    "population.consumers.count=150000",
    "--set",
    "simulation.ticks=6",
    common::ALLOW_DROPPED,
    "--replicates",
    "2",
    "--threads",
    "1",
    "--quiet",
];

#[test]
fn a_second_ctrl_c_aborts_at_once_and_leaves_nothing_half_written() {
    // The second signal must land while the first waits for the tick to
    // end; if the run stopped in between (a tick boundary fell there), try
    // again.
    for attempt in 1..=3 {
        let dir = scratch();
        let mut child = pasar(dir.path())
            .args(["run", "s.toml", "--out", "out"])
            .args(SLOW)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start pasar");
        let info = dir.path().join("out.partial/checkpoint.json");
        assert!(
            wait_until(&mut child, || info.is_file()),
            "pasar exited before it started"
        );
        // Let it get into the simulation.
        std::thread::sleep(Duration::from_millis(300));
        send(&child, "INT");
        // Wait for the first signal's message, then send the second.
        let mut pipe = child.stderr.take().expect("stderr");
        let mut seen = Vec::new();
        let mut byte = [0u8; 1];
        while !String::from_utf8_lossy(&seen).contains("stopping") {
            match pipe.read(&mut byte) {
                Ok(1) => seen.push(byte[0]),
                _ => break,
            }
        }
        let second = Instant::now();
        if child.try_wait().expect("poll").is_none() {
            let _ = Command::new("kill")
                .args(["-s", "INT", &child.id().to_string()])
                .status();
        }
        let (status, rest, took) = wait_exit(child, second);
        let mut stderr = String::from_utf8_lossy(&seen).into_owned();
        let mut tail = String::new();
        let _ = pipe.read_to_string(&mut tail);
        stderr.push_str(&rest);
        stderr.push_str(&tail);
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(status.code(), Some(130), "{stderr}");
        // Nothing half-written, whichever way it stopped.
        assert_eq!(
            common::names_in(dir.path()),
            ["out.partial", "s.toml"],
            "{stderr}"
        );
        assert_checkpoint_whole(&dir.path().join("out.partial"), 2);
        if !stderr.contains("aborted") {
            eprintln!("attempt {attempt}: the run stopped before the second signal; again");
            continue;
        }
        eprintln!("second SIGINT: pasar exited {took:?} after it");
        assert!(took < STOP_BOUND, "aborting took {took:?}");
        return;
    }
    panic!("the second signal never found the run still stopping");
}

/// Run `pasar` with file writes limited to `kib` KiB (RLIMIT_FSIZE, as a full
/// disk would stop them; SIGXFSZ ignored so that writes fail with EFBIG).
fn run_with_file_limit(dir: &Path, kib: u32, args: &[&str]) -> Output {
    Command::new("bash")
        .current_dir(dir)
        .arg("-c")
        .arg(format!("trap '' XFSZ; ulimit -f {kib}; exec \"$0\" \"$@\""))
        .arg(common::PASAR)
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("start bash")
}

/// Copy a flat folder; returns the copy's path.
fn copy_folder(from: &Path, to: &Path) -> PathBuf {
    fs::create_dir(to).expect("create a folder");
    for name in common::names_in(from) {
        fs::copy(from.join(&name), to.join(&name)).expect("copy a file");
    }
    to.to_path_buf()
}

/// No file of `dir`'s tree is a temporary or a staging folder.
fn no_temporaries(dir: &Path) -> Vec<PathBuf> {
    let mut bad = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).expect("read a folder").flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".tmp") || name.starts_with(".out.") {
                bad.push(e.path());
            }
            if e.path().is_dir() {
                stack.push(e.path());
            }
        }
    }
    bad
}

#[test]
fn a_full_disk_gives_a_clear_error_and_no_partial_csv() {
    let dir = scratch();
    let small: Vec<&str> = {
        let mut a = vec!["run", "s.toml", "--out", "out", "--threads", "1"];
        a.extend_from_slice(common::SMALL_RUN_FLAGS);
        a.push("--quiet");
        a
    };
    // 8 KiB: not even one replicate's rows fit. Nothing is kept.
    let output = run_with_file_limit(dir.path(), 8, &small);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(
        stderr.contains("cannot write") && stderr.contains("File too large"),
        "the error should name the file and the cause:\n{stderr}"
    );
    assert_eq!(common::names_in(dir.path()), ["s.toml"], "{stderr}");

    // Room for each replicate's rows (about 100 KiB) but not for series.csv
    // (about 200 KiB): the replicates are kept, no series.csv appears, and
    // a resume with room writes the results.
    let output = run_with_file_limit(dir.path(), 150, &small);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("series.csv"), "{stderr}");
    assert!(stderr.contains("File too large"), "{stderr}");
    assert!(
        stderr.contains("pasar run --resume out"),
        "the error should say how to finish:\n{stderr}"
    );
    assert_eq!(
        common::names_in(dir.path()),
        ["out.partial", "s.toml"],
        "{stderr}"
    );
    assert!(no_temporaries(dir.path()).is_empty());
    let checkpoint = dir.path().join("out.partial");
    let kept = finished_in(&checkpoint);
    assert_eq!(kept, [0, 1]);

    // A checkpoint from another version of pasar is not resumed.
    let info_path = checkpoint.join("checkpoint.json");
    let info = fs::read_to_string(&info_path).expect("read checkpoint.json");
    let version = format!("\"pasar_version\": \"{}\"", env!("CARGO_PKG_VERSION"));
    assert!(info.contains(&version), "{info}");
    fs::write(
        &info_path,
        info.replace(&version, "\"pasar_version\": \"0.0.1\""),
    )
    .expect("write checkpoint.json");
    let refused = pasar(dir.path())
        .args(["run", "--resume", "out"])
        .output()
        .expect("start pasar");
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{err}");
    assert!(
        err.contains("was started by pasar 0.0.1 and this is pasar"),
        "{err}"
    );
    fs::write(&info_path, &info).expect("restore checkpoint.json");

    // A damaged replicate is run again, with a warning.
    let rows = checkpoint.join("replicate-000001.csv");
    let mut damaged = fs::read(&rows).expect("read rows");
    damaged.truncate(damaged.len() / 2);
    fs::write(&rows, damaged).expect("damage the rows");
    let saved = copy_folder(&checkpoint, &dir.path().join("saved"));
    let resumed = pasar(dir.path())
        .args(["run", "--resume", "out.partial", "--quiet"])
        .output()
        .expect("start pasar");
    let err = String::from_utf8_lossy(&resumed.stderr);
    assert!(
        err.contains("warning: replicate-000001.json: its rows are damaged"),
        "{err}"
    );
    ok(resumed);

    // A checkpoint left beside finished results (a crash just before its
    // removal) is not resumed over them.
    fs::rename(&saved, &checkpoint).expect("put the old checkpoint back");
    let refused = pasar(dir.path())
        .args(["run", "--resume", "out"])
        .output()
        .expect("start pasar");
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{err}");
    assert!(
        err.contains("cannot resume into out: out already exists"),
        "{err}"
    );
    assert!(err.contains("is a leftover and can be removed"), "{err}");
    fs::remove_dir_all(&checkpoint).expect("remove the leftover");
    let whole = scratch();
    ok(pasar(whole.path())
        .args(&small)
        .output()
        .expect("start pasar"));
    assert!(
        fs::read(dir.path().join("out/series.csv")).expect("read")
            == fs::read(whole.path().join("out/series.csv")).expect("read"),
        "series.csv after a full disk and a resume differs"
    );
}

#[test]
fn a_named_pipe_as_the_scenario_is_refused_at_once_not_waited_on() {
    // A named pipe nobody writes to: reading it would wait forever.
    let dir = tempfile::tempdir().expect("create a scratch folder");
    common::mkfifo(&dir.path().join("pipe.toml"));
    let child = pasar(dir.path())
        .args(["run", "pipe.toml", "--out", "out", "--quiet"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start pasar");
    let (status, stderr, took) = wait_exit(child, Instant::now());
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(took < STOP_BOUND, "refusing took {took:?}");
    assert!(
        stderr.contains("pipe.toml is a named pipe, not a scenario file"),
        "{stderr}"
    );
    assert_eq!(common::names_in(dir.path()), ["pipe.toml"]);
}

/// `run s.toml --out out --threads 1` with the small run's flags and `extra`.
fn small_run(extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = ["run", "s.toml", "--out", "out", "--threads", "1", "--quiet"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    a.extend(common::SMALL_RUN_FLAGS.iter().map(|s| s.to_string()));
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

fn refused(output: Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn a_run_in_progress_is_neither_resumed_nor_replaced_meanwhile() {
    let dir = scratch();
    // Many replicates, so that the run is still going on, even on a loaded
    // machine, when the others are refused (it is stopped long before the end).
    let args: Vec<&str> = run_args("1")
        .into_iter()
        .map(|a| if a == "12" { "400" } else { a })
        .collect();
    assert!(args.contains(&"400"));
    let mut child = pasar(dir.path())
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start pasar");
    let checkpoint = dir.path().join("out.partial");
    assert!(
        wait_until(&mut child, || checkpoint.join("checkpoint.json").is_file()),
        "pasar exited before its checkpoint was written: {:?}",
        child.wait()
    );
    // A resume and a --force run while the first run goes on: both refused,
    // whether given the results folder or the checkpoint itself.
    for args in [
        vec!["run", "--resume", "out", "--quiet"],
        vec!["run", "--resume", "out.partial", "--quiet"],
        ["run", "s.toml", "--out", "out", "--force"]
            .into_iter()
            .chain(FLAGS.iter().copied())
            .collect(),
    ] {
        let err = refused(pasar(dir.path()).args(&args).output().expect("start pasar"));
        assert!(
            err.contains("out.partial is in use by another pasar"),
            "{args:?}:\n{err}"
        );
    }
    // The first run is undisturbed: stopped (by a closed terminal, which
    // is handled as SIGTERM is), its checkpoint is whole.
    assert!(wait_until(&mut child, || !finished_in(&checkpoint).is_empty()));
    send(&child, "HUP");
    let (status, stderr, _) = wait_exit(child, Instant::now());
    assert_eq!(status.code(), Some(129), "{stderr}");
    assert!(stderr.contains("interrupted by SIGHUP"), "{stderr}");
    assert_checkpoint_whole(&checkpoint, 400);
    assert_eq!(common::names_in(dir.path()), ["out.partial", "s.toml"]);
}

#[test]
fn a_checkpoint_without_its_description_is_named_and_force_discards_it() {
    let dir = scratch();
    // What a run stopped as it started left (before pasar built the
    // checkpoint aside): the folder and its resolved scenario only.
    let checkpoint = dir.path().join("out.partial");
    fs::create_dir(&checkpoint).expect("create");
    fs::write(checkpoint.join("resolved.toml"), "name = \"x\"\n").expect("write");
    // Staging folders of killed runs are cleared; a live process's are not.
    let live = format!(".out.partial-{}", std::process::id());
    for stale in [".out.partial-4294000000", ".out.old-4294000001", &live] {
        fs::create_dir(dir.path().join(stale)).expect("create");
        fs::write(dir.path().join(stale).join("series.csv"), "x").expect("write");
    }

    let err = refused(
        pasar(dir.path())
            .args(small_run(&[]))
            .output()
            .expect("start pasar"),
    );
    assert!(
        err.contains("out.partial is left by a run that was stopped before it started")
            && err.contains("nothing to resume")
            && err.contains("--force")
            && !err.contains("an interrupted run is kept"),
        "{err}"
    );
    let err = refused(
        pasar(dir.path())
            .args(["run", "--resume", "out"])
            .output()
            .expect("start pasar"),
    );
    assert!(
        err.contains("out.partial has no checkpoint.json") && !err.contains("does not exist"),
        "{err}"
    );
    let err = refused(
        pasar(dir.path())
            .args(["run", "--resume", "out.partial"])
            .output()
            .expect("start pasar"),
    );
    assert!(
        err.contains("out.partial has no checkpoint.json") && !err.contains("does not exist"),
        "{err}"
    );
    ok(pasar(dir.path())
        .args(small_run(&["--force"]))
        .output()
        .expect("start pasar"));
    assert_eq!(
        common::names_in(dir.path()),
        [live.as_str(), "out", "s.toml"]
    );
}

/// Keep the replicates of a small run in a checkpoint without finishing it
/// (file writes are limited so that series.csv cannot be written).
fn kept_checkpoint(dir: &Path) -> PathBuf {
    let args = small_run(&[]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = run_with_file_limit(dir, 150, &args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let checkpoint = dir.join("out.partial");
    assert_eq!(finished_in(&checkpoint), [0, 1], "{stderr}");
    checkpoint
}

#[test]
fn a_checkpoint_whose_counts_or_seeds_were_edited_is_refused_as_damaged() {
    let dir = scratch();
    let checkpoint = kept_checkpoint(dir.path());
    let info_path = checkpoint.join("checkpoint.json");
    let original = fs::read_to_string(&info_path).expect("read checkpoint.json");
    let info: serde_json::Value = serde_json::from_str(&original).expect("JSON");
    let edits: [(&str, serde_json::Value, &str); 4] = [
        (
            "replicates",
            1.into(),
            "it lists 1 replicates but its scenario has 2",
        ),
        (
            "replicates",
            7.into(),
            "it lists 7 replicates but its scenario has 2",
        ),
        ("seed", 5.into(), "it lists seed 5 but its scenario has"),
        (
            "replicate_seeds",
            serde_json::json!([info["replicate_seeds"][0], 3]),
            "its replicate seeds are not those of its seed",
        ),
    ];
    for (key, value, says) in edits {
        let mut edited = info.clone();
        edited[key] = value;
        fs::write(
            &info_path,
            serde_json::to_string_pretty(&edited).expect("JSON"),
        )
        .expect("write checkpoint.json");
        let err = refused(
            pasar(dir.path())
                .args(["run", "--resume", "out", "--quiet"])
                .output()
                .expect("start pasar"),
        );
        assert!(
            err.contains("the checkpoint is damaged") && err.contains(says),
            "{key}:\n{err}"
        );
        assert_eq!(common::names_in(dir.path()), ["out.partial", "s.toml"]);
    }
    fs::write(&info_path, original).expect("restore checkpoint.json");
    ok(pasar(dir.path())
        .args(["run", "--resume", "out", "--quiet"])
        .output()
        .expect("start pasar"));
    assert_eq!(common::names_in(dir.path()), ["out", "s.toml"]);
}

#[test]
fn a_signal_as_the_run_starts_leaves_a_whole_checkpoint_or_none() {
    // Signals at moments spread over the start (reading, checking, building
    // the checkpoint, the first ticks): whatever the moment, out.partial is
    // either absent or holds checkpoint.json, and nothing else is left.
    for attempt in 0..16u64 {
        let dir = scratch();
        let mut child = pasar(dir.path())
            .args(small_run(&[]))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start pasar");
        std::thread::sleep(Duration::from_millis(5 * attempt));
        if child.try_wait().expect("poll pasar").is_none() {
            send(&child, "INT");
        }
        let (status, stderr, _) = wait_exit(child, Instant::now());
        assert!(!stderr.contains("panicked"), "{stderr}");
        let names = common::names_in(dir.path());
        match names.iter().map(String::as_str).collect::<Vec<_>>()[..] {
            ["s.toml"] | ["out", "s.toml"] => {}
            ["out.partial", "s.toml"] => {
                assert_checkpoint_whole(&dir.path().join("out.partial"), 2);
            }
            _ => panic!("attempt {attempt}, exit {status:?}: left {names:?}\n{stderr}"),
        }
    }
}
