//! `pasar sweep` and `pasar merge` from the command line: outputs, results
//! that do not depend on threads or on sharding, resuming a killed sweep,
//! the SLURM script, and refusals.

mod common;

use common::{
    BAN_WINDOW, assert_ok as ok, assert_refused as refused, pasar_args as pasar, path_text as path,
    send_signal, set_flags,
};
use std::fs;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// A small sweep: two factors of the Project S scenario, shrunk.
fn sweep_args(design: &str, replicates: &str) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "sweep".into(),
        common::shipped("project_s.toml"),
        // The strength of Project S's self-preferencing (its second event,
        // after the baseline's eleven fee changes).
        "--vary".into(),
        "events[12].bonus=0:2".into(),
        "--vary".into(),
        "population.umkm.initial_online_share=0.2:0.5".into(),
        "--design".into(),
        design.into(),
        "--replicates".into(),
        replicates.into(),
        "--quiet".into(),
    ];
    // Ten weeks: Project S's events (2023-07-03) fall at tick 5.
    args.extend(set_flags(&common::layered(
        BAN_WINDOW,
        &["simulation.ticks=10"],
    )));
    args
}

const RESULT_FILES: [&str; 3] = ["design.csv", "sweep.csv", "sensitivity.csv"];

fn same_results(a: &Path, b: &Path) {
    for file in RESULT_FILES {
        assert!(
            fs::read(a.join(file)).expect("a") == fs::read(b.join(file)).expect("b"),
            "{file} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

#[test]
fn a_sobol_sweep_writes_one_row_per_run_and_indices_per_parameter() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("sa");
    ok(pasar(&sweep_args("sobol:4", "2"), &["--out", &path(&out)]));
    let sweep = fs::read_to_string(out.join("sweep.csv")).expect("sweep.csv");
    let mut lines = sweep.lines();
    let header = lines.next().expect("a header");
    assert!(header.starts_with(
        "sample,replicate,events[12].bonus,population.umkm.initial_online_share,gmv_idr_last,gmv_idr_last13w,"
    ));
    // Every metric in every group (of the shipped baseline's channels,
    // owners, nests and categories), twice.
    let scenario =
        pasar::scenario::Scenario::load(Path::new(&common::shipped("project_s.toml")), &[])
            .expect("project_s loads");
    let groups = pasar::metrics::GroupNames::of(&scenario);
    let columns: Vec<&str> = header.split(',').collect();
    assert_eq!(
        columns.len(),
        4 + 2 * pasar::metrics::observations_per_tick(&groups)
    );
    // Every metric the scenario records (the segment metrics need a
    // segment date, which project_s.toml does not set).
    let recorded = pasar::metrics::METRICS
        .iter()
        .filter(|m| m.by.iter().any(|&by| groups.count(by) > 0));
    for metric in recorded {
        assert!(
            columns.iter().any(|c| c.starts_with(metric.name)),
            "no indicator of {}",
            metric.name
        );
    }
    assert!(columns.contains(&"gmv_share_channel_tiktok_shop_last13w"));
    assert!(columns.contains(&"gmv_share_owner_bytedance_last13w"));
    // sobol:4 with two factors: 4 (2 + 2) = 16 samples, 2 replicates each.
    assert_eq!(lines.count(), 32);
    let sensitivity = fs::read_to_string(out.join("sensitivity.csv")).expect("sensitivity.csv");
    let indicators = header.split(',').count() - 4;
    assert_eq!(sensitivity.lines().count(), 1 + 2 * indicators);
    assert!(
        sensitivity
            .lines()
            .nth(1)
            .is_some_and(|l| l.contains(",sobol,"))
    );
    assert!(
        !dir.path().join(".sa.sweep-checkpoint").exists(),
        "checkpoint left behind"
    );
}

#[test]
fn shards_merge_into_the_bytes_of_one_machine_whatever_the_threads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let args = sweep_args("morris:3", "2");
    ok(pasar(
        &args,
        &["--out", &path(&d.join("one")), "--threads", "1"],
    ));
    ok(pasar(
        &args,
        &["--out", &path(&d.join("two")), "--threads", "2"],
    ));
    same_results(&d.join("one"), &d.join("two"));
    let mut parts = Vec::new();
    for i in 0..3 {
        let part = d.join(format!("parts/{i}"));
        ok(pasar(
            &args,
            &["--out", &path(&part), "--shard", &format!("{i}/3")],
        ));
        parts.push(path(&part));
    }
    let merged = d.join("merged");
    let mut merge: Vec<String> = vec!["merge".into()];
    merge.extend(parts.iter().cloned());
    merge.extend(["--out".into(), path(&merged)]);
    ok(pasar(&merge, &[]));
    same_results(&d.join("one"), &merged);

    // A missing part, a part given twice, a part of another sweep.
    let out = path(&d.join("bad"));
    refused(
        pasar(
            &[
                "merge".into(),
                parts[0].clone(),
                parts[2].clone(),
                "--out".into(),
                out.clone(),
            ],
            &[],
        ),
        &["shards 1/3 are missing"],
    );
    refused(
        pasar(
            &[
                "merge".into(),
                parts[0].clone(),
                parts[1].clone(),
                parts[1].clone(),
                parts[2].clone(),
                "--out".into(),
                out.clone(),
            ],
            &[],
        ),
        &["are both shard 1/3"],
    );
    let other = d.join("other/1");
    ok(pasar(
        &args,
        &["--out", &path(&other), "--shard", "1/3", "--seed", "99"],
    ));
    refused(
        pasar(
            &[
                "merge".into(),
                parts[0].clone(),
                path(&other),
                parts[2].clone(),
                "--out".into(),
                out,
            ],
            &[],
        ),
        &["are parts of different sweeps"],
    );
    assert!(!d.join("bad").exists());
}

/// Start a sweep into `out` on one thread and return once `saved` runs are
/// in its checkpoint.
fn start_until_saved(args: &[String], out: &Path, saved: usize) -> std::process::Child {
    let name = out
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let tasks = out.with_file_name(format!(".{name}.sweep-checkpoint/records.jsonl"));
    let mut child = common::pasar_command()
        .args(args)
        .args(["--out", &path(out), "--threads", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start pasar");
    let start = Instant::now();
    while fs::read_to_string(&tasks).map_or(0, |t| t.lines().count()) < saved {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no runs saved in a minute"
        );
        assert!(
            child.try_wait().expect("poll").is_none(),
            "the sweep ended too soon"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child
}

#[test]
fn a_killed_sweep_resumes_where_it_stopped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let args = sweep_args("lhs:40", "1");
    let whole = d.join("whole");
    ok(pasar(&args, &["--out", &path(&whole)]));

    let out = d.join("stopped");
    // Kill it (SIGKILL: no chance to clean up) once a few runs are saved.
    let mut child = start_until_saved(&args, &out, 3);
    child.kill().expect("kill the sweep");
    child.wait().expect("reap");
    assert!(!out.exists(), "a killed sweep wrote results");

    let stdout = ok(pasar(&args, &["--out", &path(&out)]));
    assert!(stdout.contains("resumed:"), "{stdout}");
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("manifest.json")).expect("manifest"))
            .expect("JSON");
    let resumed = manifest["runs_resumed"].as_u64().unwrap_or(0);
    assert!((3..40).contains(&resumed), "{resumed} runs resumed");
    for file in ["design.csv", "sweep.csv"] {
        assert!(
            fs::read(whole.join(file)).expect("whole")
                == fs::read(out.join(file)).expect("resumed"),
            "{file}"
        );
    }
    // Another sweep must not pick up a checkpoint that is not its own.
    fs::create_dir_all(d.join(".third.sweep-checkpoint")).expect("mkdir");
    let mut plan = manifest.clone();
    plan["fingerprint"] = serde_json::Value::String("another sweep".into());
    fs::write(
        d.join(".third.sweep-checkpoint/plan.json"),
        plan.to_string(),
    )
    .expect("write");
    refused(
        pasar(&args, &["--out", &path(&d.join("third"))]),
        &["holds the finished work of a different sweep", "--force"],
    );
}

#[test]
fn the_slurm_script_runs_shards_then_a_dependent_merge() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("sa");
    let script = ok(pasar(
        &sweep_args("sobol:4", "1"),
        &["--out", &path(&out), "--slurm", "--shards", "4"],
    ));
    for needle in [
        "#!/bin/bash",
        "#SBATCH --array=0-3",
        "--shard \"$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT\"",
        "--dependency=afterok:\"$SLURM_ARRAY_JOB_ID\"",
        " merge ",
        "sa.parts",
    ] {
        assert!(script.contains(needle), "no `{needle}` in\n{script}");
    }
    assert!(!out.exists(), "--slurm ran the sweep");
}

#[test]
fn bad_sweeps_are_refused_before_anything_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = path(&dir.path().join("x"));
    let base = |design: &str, vary: &str| -> Vec<String> {
        vec![
            "sweep".into(),
            common::shipped("baseline.toml"),
            "--design".into(),
            design.into(),
            "--vary".into(),
            vary.into(),
            "--out".into(),
            out.clone(),
        ]
    };
    refused(
        pasar(&base("sobol:8", "channels.tiktok_shop.take_rat=0:0.1"), &[]),
        &["did you mean", "take_rate"],
    );
    refused(
        pasar(&base("sobol:8", "events[0].lever=0:1"), &[]),
        &["not a numeric scenario parameter", "events[1].bonus"],
    );
    refused(
        pasar(
            &base("sobol:8", "channels.tiktok_shop.take_rate=0:1.5"),
            &[],
        ),
        &["channels.tiktok_shop.take_rate = 1.5"],
    );
    refused(
        pasar(
            &base("sobol:8", "channels.tiktok_shop.take_rate=0.2:0.1"),
            &[],
        ),
        &["LOW < HIGH"],
    );
    refused(
        pasar(
            &base("halton:8", "channels.tiktok_shop.take_rate=0:0.1"),
            &[],
        ),
        &["unknown design `halton:8`"],
    );
    refused(
        pasar(
            &base("lhs:8", "channels.tiktok_shop.take_rate=0.01,0.02"),
            &[],
        ),
        &["only makes sense in a grid"],
    );
    refused(
        pasar(
            &[
                "sweep".into(),
                common::shipped("baseline.toml"),
                "--out".into(),
                out.clone(),
            ],
            &[],
        ),
        &["nothing to vary"],
    );
    let samples = dir.path().join("design.csv");
    fs::write(
        &samples,
        "channels.tiktok_shop.take_rate,population.umkm.count\n0.05,300\n0.07\n",
    )
    .expect("write");
    refused(
        pasar(
            &[
                "sweep".into(),
                common::shipped("baseline.toml"),
                "--samples".into(),
                path(&samples),
                "--out".into(),
                out.clone(),
            ],
            &[],
        ),
        &["samples file, line 3"],
    );
    refused(
        pasar(
            &base("sobol:8", "channels.tiktok_shop.take_rate=0:0.1"),
            &["--shard", "3/3"],
        ),
        &["3/3"],
    );
    assert!(!dir.path().join("x").exists());
}

#[test]
fn ctrl_c_stops_a_sweep_which_the_same_command_resumes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let args = sweep_args("lhs:40", "1");
    let out = d.join("stopped");
    let child = start_until_saved(&args, &out, 2);
    send_signal(&child, "-INT");
    let output = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("run the same command again"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!out.exists());
    let stdout = ok(pasar(&args, &["--out", &path(&out)]));
    assert!(stdout.contains("resumed:"), "{stdout}");
}
