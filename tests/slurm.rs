//! A sharded sweep on a real SLURM cluster: the script `pasar sweep --slurm`
//! writes is submitted with sbatch, its array tasks run the shards, its
//! merge job (queued with a dependency) merges them, and the result is
//! byte-identical to the same sweep run here in one process.
//!
//! It needs a cluster, so a plain `cargo test` lists it as ignored (never
//! as passed); `.ci/run` brings up a single-node cluster
//! (`.ci/slurm/up.sh`) and runs it with `--ignored`, and then it fails
//! if no cluster answers.

mod common;

use common::{BAN_WINDOW, set_flags};
use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// A cluster answers: sbatch is installed and the controller responds.
fn cluster_up() -> bool {
    let ok = |cmd: &str, arg: &str| {
        Command::new(cmd)
            .arg(arg)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    ok("sbatch", "--version") && ok("sinfo", "-h")
}

#[test]
#[ignore = "needs a SLURM cluster: .ci/run brings one up (.ci/slurm/up.sh) and runs this with --ignored"]
fn a_sweep_on_slurm_merges_to_the_bytes_of_a_local_run() {
    assert!(
        cluster_up(),
        "no SLURM cluster answers: run .ci/slurm/up.sh as root to bring one up"
    );
    // The jobs run as this user on this host; a folder under the target
    // directory is visible to them (a private /tmp might not be).
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("slurm-sweep");
    let _ = fs::remove_dir_all(&root);
    fs::create_dir_all(&root).expect("create a work folder");
    let scenario = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/project_s.toml");
    let mut args: Vec<String> = vec![
        "sweep".into(),
        scenario.display().to_string(),
        "--vary".into(),
        "channels.tiktok_shop.self_preference=0:2".into(),
        "--vary".into(),
        "population.umkm.initial_online_share=0.2:0.5".into(),
        "--design".into(),
        "sobol:4".into(),
        "--replicates".into(),
        "2".into(),
        "--quiet".into(),
    ];
    // Ten weeks: Project S's events (2023-07-03) fall at tick 5.
    args.extend(set_flags(&common::layered(
        BAN_WINDOW,
        &["simulation.ticks=10"],
    )));
    let pasar = |extra: &[&str]| {
        let output = common::pasar_command()
            .current_dir(&root)
            .args(&args)
            .args(extra)
            .output()
            .expect("start pasar");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        output.stdout
    };
    let local = root.join("local");
    pasar(&["--out", &local.display().to_string()]);

    let cluster = root.join("cluster");
    let script = pasar(&[
        "--out",
        &cluster.display().to_string(),
        "--slurm",
        "--shards",
        "3",
    ]);
    let script_path = root.join("sweep.sbatch");
    fs::write(&script_path, script).expect("write the script");
    let start = Instant::now();
    let submitted = Command::new("sbatch")
        .current_dir(&root)
        .arg("--wait")
        .arg(&script_path)
        .output()
        .expect("run sbatch");
    assert!(
        submitted.status.success(),
        "sbatch failed: {}{}",
        String::from_utf8_lossy(&submitted.stdout),
        String::from_utf8_lossy(&submitted.stderr)
    );
    // The array is done; the merge job it queued runs next.
    while !cluster.join("manifest.json").exists() {
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "the merge job did not finish; see {}",
            root.join("cluster.parts/slurm").display()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    println!(
        "SLURM array of 3 shards and merge: {:.1} s",
        start.elapsed().as_secs_f64()
    );
    for file in ["design.csv", "sweep.csv", "sensitivity.csv"] {
        assert!(
            fs::read(local.join(file)).expect("local")
                == fs::read(cluster.join(file)).expect("cluster"),
            "{file} from SLURM differs from the local run"
        );
    }
    for shard in 0..3 {
        assert!(
            root.join(format!("cluster.parts/{shard}/manifest.json"))
                .exists()
        );
    }
}
