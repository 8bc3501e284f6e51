//! `pasar run --resume`: continue an interrupted run from its checkpoint,
//! after checking that the scenario is still the one it started with.

use super::Failure;
use super::run::{Job, check_memory, file_entries};
use anyhow::anyhow;
use pasar::output::{self, Checkpoint, CheckpointInfo};
use pasar::scenario::Scenario;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// An interrupted run: its checkpoint, and the scenario read again and
/// compared with what the run started with.
pub(super) fn resume(out: &Path, threads: usize) -> Result<Job, Failure> {
    // `--resume results/x.partial` names the checkpoint itself.
    let out = match out.file_name().and_then(|n| n.to_str()) {
        Some(name)
            if name.ends_with(".partial")
                && out.is_dir()
                && !out.join("manifest.json").is_file() =>
        {
            out.with_file_name(name.trim_end_matches(".partial"))
        }
        _ => out.to_path_buf(),
    };
    let (checkpoint, mut info) = Checkpoint::open(&out).map_err(|e| Failure::Input(anyhow!(e)))?;
    // The results must still be free to write (they are, unless the run
    // finished and only the checkpoint's removal was cut short).
    if let Err(e) = output::check_destination(&out, info.force) {
        return Err(Failure::Input(anyhow!(
            "cannot resume into {}: {e}\n  help: if {} holds the finished results, the checkpoint {} is a leftover and can be removed",
            out.display(),
            out.display(),
            checkpoint.path().display()
        )));
    }
    let this = env!("CARGO_PKG_VERSION");
    if info.pasar_version != this {
        return Err(Failure::Input(anyhow!(
            "the interrupted run in {} was started by pasar {} and this is pasar {this}: the numbers could differ\n  \
             help: finish it with pasar {}, or start again with --force",
            checkpoint.path().display(),
            info.pasar_version,
            info.pasar_version
        )));
    }
    let path = Path::new(&info.working_directory).join(&info.scenario_path);
    let mut scenario = Scenario::load(&path, &info.sets).map_err(|e| {
        Failure::Input(anyhow!(e).context(format!(
            "cannot resume {}: its scenario {} no longer loads",
            out.display(),
            path.display()
        )))
    })?;
    let changes = changes_since(&checkpoint, &info, &scenario);
    if !changes.is_empty() {
        return Err(Failure::Input(anyhow!(
            "cannot resume {}: the scenario changed since the run started:\n  - {}\n  \
             help: put the files back as they were to resume, or start the edited scenario afresh with --force (without --resume)",
            out.display(),
            changes.join("\n  - ")
        )));
    }
    check_consistent(&checkpoint, &info, &scenario).map_err(Failure::Input)?;
    // The files as the first session named them, so the manifest is the same.
    for (source, entry) in scenario.sources.iter_mut().zip(&info.scenario_files) {
        source.path = PathBuf::from(&entry.path);
    }
    let (done, notes) = checkpoint.finished(&info);
    for note in notes {
        eprintln!("warning: {note}");
    }
    let left = info.replicates.saturating_sub(done.len() as u32);
    check_memory(&scenario, left, threads).map_err(|e| {
        Failure::Input(e.context(format!("{} is too large for this machine", path.display())))
    })?;
    info.resumed_utc
        .push(output::utc_timestamp(SystemTime::now()));
    info.status = "running".into();
    checkpoint
        .save_info(&info)
        .map_err(|e| Failure::Runtime(anyhow!(e)))?;
    Ok(Job {
        scenario,
        out,
        checkpoint,
        info,
        done,
    })
}

/// The replicate count and seeds in `checkpoint.json` are those of the
/// scenario read again (it records them for people and to check replicate
/// files; a hand-edited or damaged file must not steer the run).
fn check_consistent(
    checkpoint: &Checkpoint,
    info: &CheckpointInfo,
    scenario: &Scenario,
) -> anyhow::Result<()> {
    let sim = &scenario.spec.simulation;
    let problem = if info.replicates != sim.replicates {
        Some(format!(
            "it lists {} replicates but its scenario has {}",
            info.replicates, sim.replicates
        ))
    } else if info.seed != sim.seed {
        Some(format!(
            "it lists seed {} but its scenario has {}",
            info.seed, sim.seed
        ))
    } else if !info
        .replicate_seeds
        .iter()
        .copied()
        .eq((0..sim.replicates).map(|r| pasar::rng::replicate_seed(sim.seed, r)))
    {
        Some("its replicate seeds are not those of its seed".to_string())
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(problem) => Err(anyhow!(
            "the checkpoint is damaged: {}: {problem}\n  \
             help: it cannot be resumed; start the run again with --force",
            checkpoint.path().join("checkpoint.json").display()
        )),
    }
}

/// What differs between the run in the checkpoint and the scenario now:
/// files whose SHA-256 changed, files added to or dropped from the
/// `extends` chain, and the parameter paths whose resolved value differs.
fn changes_since(checkpoint: &Checkpoint, info: &CheckpointInfo, now: &Scenario) -> Vec<String> {
    let short = |h: &str| h.chars().take(12).collect::<String>();
    let mut changes = Vec::new();
    let then = &info.scenario_files;
    let now_files = file_entries(now);
    for (i, old) in then.iter().enumerate() {
        match now_files.get(i) {
            Some(new) if new.sha256 != old.sha256 => changes.push(format!(
                "{} was edited (SHA-256 {}... then, {}... now)",
                old.path,
                short(&old.sha256),
                short(&new.sha256)
            )),
            Some(_) => {}
            None => changes.push(format!("{} is no longer read", old.path)),
        }
    }
    for new in now_files.iter().skip(then.len()) {
        changes.push(format!("{} is now read as well", new.path));
    }
    let resolved_now = now.to_toml();
    if pasar::scenario::load::hex_sha256(resolved_now.as_bytes()) != info.resolved_toml_sha256 {
        match checkpoint.resolved_toml() {
            Ok(resolved_then) => {
                let diff = parameter_changes(&resolved_then, &resolved_now);
                if diff.is_empty() {
                    changes.push("the resolved scenario differs".into());
                }
                changes.extend(diff);
            }
            Err(e) => changes.push(format!("the resolved scenario differs ({e})")),
        }
    }
    changes
}

/// `simulation.ticks: 12 then, 14 now` for every path whose value differs.
fn parameter_changes(then: &str, now: &str) -> Vec<String> {
    let flat = |text: &str| {
        let mut out = BTreeMap::new();
        if let Ok(table) = toml::from_str::<toml::Table>(text) {
            flatten("", &toml::Value::Table(table), &mut out);
        }
        out
    };
    let (a, b) = (flat(then), flat(now));
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    let show = |v: Option<&String>| v.cloned().unwrap_or_else(|| "(absent)".into());
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| format!("`{k}`: {} then, {} now", show(a.get(k)), show(b.get(k))))
        .collect()
}

fn flatten(prefix: &str, value: &toml::Value, out: &mut BTreeMap<String, String>) {
    match value {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&p, v, out);
            }
        }
        toml::Value::Array(a) if a.iter().any(|v| v.is_table()) => {
            for (i, v) in a.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), v, out);
            }
        }
        v => {
            out.insert(prefix.to_string(), v.to_string());
        }
    }
}
