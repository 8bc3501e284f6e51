//! The checkpoint in the library: replicates saved one by one, in any
//! order, assemble into the same `series.csv` as the whole run written at
//! once; damaged or foreign replicate files are not trusted; a value that
//! is not finite never reaches a file.

mod common;

use pasar::metrics::{By, Metric, Observation};
use pasar::output::{
    CHECKPOINT_FORMAT, Checkpoint, CheckpointInfo, OutputError, SeriesRows, StagedFolder,
    series_header,
};
use pasar::runner::Executor;
use std::fs;

fn info(scenario: &pasar::scenario::Scenario) -> CheckpointInfo {
    let seed = scenario.spec.simulation.seed;
    let replicates = scenario.spec.simulation.replicates;
    CheckpointInfo {
        format: CHECKPOINT_FORMAT,
        pasar_version: env!("CARGO_PKG_VERSION").into(),
        scenario: scenario.name().into(),
        scenario_path: "s.toml".into(),
        working_directory: ".".into(),
        overrides: Default::default(),
        command: Vec::new(),
        scenario_files: Vec::new(),
        resolved_toml_sha256: String::new(),
        seed,
        replicates,
        replicate_seeds: (0..replicates)
            .map(|r| pasar::rng::replicate_seed(seed, r))
            .collect(),
        started_utc: String::new(),
        earlier_wall_seconds: 0.0,
        earlier_cpu_seconds: None,
        resumed_utc: Vec::new(),
        status: "running".into(),
        finished: Vec::new(),
        force: false,
    }
}

#[test]
fn replicates_saved_in_any_order_assemble_into_the_same_series() {
    let scenario = common::small(&["simulation.replicates=3", "simulation.ticks=8"]);
    let run = Executor::new(&scenario).threads(2).run().expect("run");
    let dir = tempfile::tempdir().expect("a folder");
    // The whole run's series.csv, written at once: the header, then every
    // replicate's rows in replicate order.
    let mut whole = series_header();
    for rep in &run.replicates {
        whole.extend(SeriesRows::new(&scenario).replicate(rep).expect("rows"));
    }

    let out = dir.path().join("out");
    let info = info(&scenario);
    let checkpoint = Checkpoint::create(&out, false, &info, &scenario.to_toml()).expect("create");
    assert_eq!(checkpoint.path(), dir.path().join("out.partial"));
    let rows = SeriesRows::new(&scenario);
    for rep in run.replicates.iter().rev() {
        checkpoint.save_replicate(&rows, rep).expect("save");
    }
    // A leftover temporary (an aborted write) is cleared, and ignored.
    fs::write(checkpoint.path().join("replicate-000001.csv.tmp"), "half").expect("write");
    let (records, notes) = checkpoint.finished(&info);
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!(
        records.iter().map(|r| r.replicate).collect::<Vec<_>>(),
        [0, 1, 2]
    );
    assert!(!checkpoint.path().join("replicate-000001.csv.tmp").exists());
    for (record, rep) in records.iter().zip(&run.replicates) {
        assert_eq!(record.seed, rep.seed);
        assert_eq!(record.decisions, rep.decisions);
        let last = rep.records.last().expect("a last tick");
        let share = last
            .get(Metric::GmvShare, By::Kind, 0)
            .expect("a UMKM share");
        assert_eq!(record.last_tick.get("gmv_share/kind/umkm"), Some(&share));
    }
    let folder = StagedFolder::create(&out, false).expect("stage");
    assert!(
        checkpoint
            .assemble_series(&folder, &records, &|| false)
            .expect("assemble")
    );
    let assembled = fs::read(folder.path("series.csv")).expect("read");
    assert!(
        assembled == whole,
        "assembled series.csv differs from the whole run's"
    );
    // Asked to stop, it stops.
    assert!(
        !checkpoint
            .assemble_series(&folder, &records, &|| true)
            .expect("assemble")
    );
    drop(folder);

    // Damage one replicate and claim another is from another run's seeds.
    let rows1 = checkpoint.path().join("replicate-000001.csv");
    let mut text = fs::read(&rows1).expect("read");
    text[10] ^= 1;
    fs::write(&rows1, text).expect("write");
    let mut other = info.clone();
    other.replicate_seeds[2] ^= 1;
    let (records, notes) = checkpoint.finished(&other);
    assert_eq!(records.iter().map(|r| r.replicate).collect::<Vec<_>>(), [0]);
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(notes[0].contains("damaged"), "{notes:?}");
    assert!(notes[1].contains("seed"), "{notes:?}");

    // A second checkpoint for the same folder is refused while the first
    // is in use, even with --force, and so is opening it to resume.
    for force in [false, true] {
        let again = Checkpoint::create(&out, force, &info, "");
        assert!(matches!(again, Err(OutputError::Busy { .. })), "{again:?}");
    }
    let again = Checkpoint::open(&out);
    assert!(matches!(again, Err(OutputError::Busy { .. })), "{again:?}");
    assert!(checkpoint.path().join("checkpoint.json").is_file());
    checkpoint.remove().expect("remove");
    assert_eq!(fs::read_dir(dir.path()).expect("read").count(), 0);
}

#[test]
fn a_value_that_is_not_finite_never_reaches_a_file() {
    let scenario = common::small(&["simulation.ticks=2"]);
    let mut run = Executor::new(&scenario).run().expect("run");
    let record = &mut run.replicates[0].records[1];
    record.observations.push(Observation {
        metric: Metric::Hhi,
        by: By::Channel,
        group: 1,
        value: f64::NAN,
    });
    let rows = SeriesRows::new(&scenario);
    let error = rows
        .replicate(&run.replicates[0])
        .expect_err("NaN is refused");
    let message = error.to_string();
    assert!(
        message
            .contains("replicate 0, tick 1: `hhi/channel/marketplace` is NaN, not a finite number"),
        "{message}"
    );
    let dir = tempfile::tempdir().expect("a folder");
    let out = dir.path().join("out");
    let checkpoint =
        Checkpoint::create(&out, false, &info(&scenario), &scenario.to_toml()).expect("create");
    assert!(
        checkpoint
            .save_replicate(&rows, &run.replicates[0])
            .is_err()
    );
    let (records, _) = checkpoint.finished(&info(&scenario));
    assert!(records.is_empty(), "a replicate with a NaN was kept");
    assert!(
        !checkpoint.path().join("replicate-000000.csv").exists(),
        "rows with a NaN were written"
    );
}

#[cfg(unix)]
#[test]
fn a_checkpoint_appears_whole_and_one_never_started_is_named_and_discarded_with_force() {
    let scenario = common::small(&["simulation.replicates=2", "simulation.ticks=2"]);
    let info = info(&scenario);
    let dir = tempfile::tempdir().expect("a folder");
    let out = dir.path().join("out");
    let partial = dir.path().join("out.partial");

    // A checkpoint's folder is built aside: what a killed process left of
    // it is removed, what a live one is building is not.
    let dead = dir.path().join(".out.partial.new-4294000000");
    let live = dir.path().join(format!(
        ".out.partial.new-{}",
        std::os::unix::process::parent_id()
    ));
    fs::create_dir(&dead).expect("create");
    fs::create_dir(&live).expect("create");
    let checkpoint = Checkpoint::create(&out, false, &info, "x = 1\n").expect("create");
    assert_eq!(
        common::names_in(dir.path()),
        [
            format!(".out.partial.new-{}", std::os::unix::process::parent_id()),
            "out.partial".to_string()
        ]
    );
    assert_eq!(
        common::names_in(&partial),
        ["checkpoint.json", "lock", "resolved.toml"]
    );
    drop(checkpoint);
    fs::remove_dir(&live).expect("remove");

    // Not in use any more: refused as an interrupted run, resumable.
    let again = Checkpoint::create(&out, false, &info, "");
    assert!(
        matches!(again, Err(OutputError::Interrupted { .. })),
        "{again:?}"
    );
    let (opened, read) = Checkpoint::open(&out).expect("open");
    assert_eq!(read, info);
    drop(opened);

    // A folder without checkpoint.json (a run stopped as it started, by an
    // earlier pasar): nothing to resume, and --force discards it.
    fs::remove_file(partial.join("checkpoint.json")).expect("remove");
    let again = Checkpoint::create(&out, false, &info, "");
    let Err(e) = again else {
        panic!("a checkpoint without checkpoint.json was replaced without --force")
    };
    assert!(matches!(e, OutputError::Unstarted { .. }), "{e:?}");
    assert!(e.to_string().contains("has no checkpoint.json"), "{e}");
    assert_eq!(e.remedy(), Some(pasar::remedy::Remedy::DiscardAndStart));
    let Err(e) = Checkpoint::open(&out) else {
        panic!("a checkpoint without checkpoint.json was opened")
    };
    assert!(
        e.to_string().contains("has no checkpoint.json")
            && !e.to_string().contains("does not exist"),
        "{e}"
    );
    let replaced = Checkpoint::create(&out, true, &info, "").expect("--force replaces it");
    assert_eq!(
        common::names_in(&partial),
        ["checkpoint.json", "lock", "resolved.toml"]
    );
    drop(replaced);

    // --force removes only what a checkpoint holds.
    fs::remove_file(partial.join("checkpoint.json")).expect("remove");
    fs::write(partial.join("thesis.tex"), "mine").expect("write");
    let again = Checkpoint::create(&out, true, &info, "");
    assert!(
        matches!(again, Err(OutputError::NotCheckpoint { .. })),
        "{again:?}"
    );
    assert!(partial.join("thesis.tex").is_file());
}

#[test]
fn replicates_already_finished_are_skipped_however_listed() {
    let scenario = common::small(&["simulation.replicates=5", "simulation.ticks=2"]);
    let stats = Executor::new(&scenario)
        .skip(&[3, 0, 3])
        .run_each(&|_| Ok(()))
        .expect("run");
    assert_eq!(
        stats
            .finished
            .iter()
            .map(|t| t.replicate)
            .collect::<Vec<_>>(),
        [1, 2, 4]
    );
    assert!(!stats.cancelled);
}
