//! Reproducibility (docs/ODD.md section 13): a scenario and a seed give the
//! same numbers to the last bit, whatever the thread count, the number of
//! replicates run, or whether the scenario went through `resolved.toml`.

mod common;

use common::{event, small, with_events};
use pasar::metrics::TickRecord;
use pasar::model::Model;
use pasar::runner::{Executor, ReplicateResult, RunResult, run_replicate};
use pasar::scenario::Scenario;

/// A small scenario with a few levers, so that policy code runs too.
fn scenario() -> Scenario {
    let base = small(&[
        "simulation.ticks=12",
        "population.umkm.count=200",
        "population.consumers.count=300",
        "population.affiliate.count=4",
        "behaviour.digitalization_rate=0.05",
    ]);
    with_events(
        &base,
        vec![
            event(2, "project_s")
                .with("channel", "social")
                .with("every", 3)
                .with("top", 2)
                .with("entrants", 1)
                .with("cost_factor", 0.9),
            event(4, "import_tariff").with("rate", 0.1),
            event(6, "payment_ban").with("channel", "social"),
            event(8, "umkm_subsidy").with("idr_per_tick", 10_000.0),
        ],
    )
}

/// The shipped platforms around the ban, small: nests, multi-homing, the
/// choice made again, a checkout partner onboarding sellers, an
/// acquisition, events from before the start in force from the first tick
/// and later ones dropped, an event with an end and an `end` event.
fn platforms() -> Scenario {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/indonesia_2023.toml");
    let sets: Vec<String> = [
        "simulation.ticks=24",
        "simulation.start_date=2023-09-04",
        "population.umkm.count=400",
        "population.importer.count=10",
        "population.consumers.count=500",
        "population.affiliate.count=4",
        "behaviour.digitalization_rate=0.05",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let base = Scenario::load(&path, &sets).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !base.dropped_events.is_empty(),
        "the 2024 fee changes fall after the end"
    );
    with_events(
        &base,
        vec![
            event(2, "project_s")
                .with("channel", "tiktok_shop")
                .with("every", 3)
                .with("top", 2)
                .with("entrants", 1)
                .with("cost_factor", 0.9),
            pasar::scenario::schema::EventSpec {
                until_tick: Some(12),
                ..event(3, "umkm_subsidy").with("idr_per_tick", 10_000.0)
            },
            event(20, "end").with("ends", "cross_border_ban"),
        ],
    )
}

fn records(scenario: &Scenario, replicate: u32) -> Vec<TickRecord> {
    let mut model = Model::new(scenario, replicate);
    (0..scenario.ticks()).map(|_| model.step()).collect()
}

/// The parts of a run that must not depend on scheduling (not timings or
/// thread counts).
fn outcome(run: &RunResult) -> Vec<(u32, u64, u64, &[TickRecord])> {
    run.replicates
        .iter()
        .map(|r| (r.replicate, r.seed, r.decisions, r.records.as_slice()))
        .collect()
}

fn assert_bitwise_equal(a: &[TickRecord], b: &[TickRecord]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert_eq!(x.tick, y.tick);
        assert_eq!(
            x.observations.len(),
            y.observations.len(),
            "tick {}",
            x.tick
        );
        for (o, p) in x.observations.iter().zip(&y.observations) {
            assert_eq!(
                (o.metric, o.by, o.group),
                (p.metric, p.by, p.group),
                "tick {}",
                x.tick
            );
            assert_eq!(
                o.value.to_bits(),
                p.value.to_bits(),
                "tick {} {:?} {:?} {}: {} vs {}",
                x.tick,
                o.metric,
                o.by,
                o.group,
                o.value,
                p.value
            );
        }
    }
}

#[test]
fn same_scenario_and_seed_give_identical_records() {
    let s = scenario();
    let a = records(&s, 0);
    let b = records(&s, 0);
    assert!(a.iter().any(|r| !r.observations.is_empty()));
    assert_bitwise_equal(&a, &b);
    assert_eq!(a, b);
}

#[test]
fn thread_count_does_not_change_results() {
    let s = scenario();
    let one = Executor::new(&s)
        .replicates(3)
        .threads(1)
        .run()
        .expect("1 thread");
    let two = Executor::new(&s)
        .replicates(3)
        .threads(2)
        .run()
        .expect("2 threads");
    assert_eq!(one.replicates.len(), 3);
    assert_eq!(two.replicates.len(), 3);
    assert_eq!(one.threads, 1);
    assert_eq!(two.threads, 2);
    assert_eq!(outcome(&one), outcome(&two));
    for (a, b) in one.replicates.iter().zip(&two.replicates) {
        assert_bitwise_equal(&a.records, &b.records);
    }
    // Replicates are returned in order and differ from one another.
    for (r, rep) in one.replicates.iter().enumerate() {
        assert_eq!(rep.replicate, r as u32);
    }
    assert_ne!(one.replicates[0].records, one.replicates[1].records);
    assert_ne!(one.replicates[1].records, one.replicates[2].records);
    assert_ne!(one.replicates[0].seed, one.replicates[1].seed);
}

/// One replicate on one thread and on several: the shopping step's draws
/// run in parallel inside the replicate, and no number may depend on it.
#[test]
fn threads_inside_one_replicate_do_not_change_results() {
    // More attempts than one chunk of the shopping step holds (about
    // 16,000), so that chunks overlap and pieces are spread over threads,
    // and sellers sell out.
    let base = small(&[
        "simulation.ticks=4",
        "population.umkm.count=300",
        "population.consumers.count=1500",
        "population.consumers.purchase_rate_mean=30",
        "population.affiliate.count=4",
    ]);
    let runs: Vec<RunResult> = [1, 2, 3]
        .into_iter()
        .map(|threads| {
            Executor::new(&base)
                .replicates(1)
                .threads(threads)
                .run()
                .expect("threads")
        })
        .collect();
    assert!(runs[0].decisions() > 0);
    for run in &runs[1..] {
        assert_eq!(outcome(&runs[0]), outcome(run));
        assert_bitwise_equal(&runs[0].replicates[0].records, &run.replicates[0].records);
    }
}

#[test]
fn resolved_toml_reproduces_the_run() {
    let s = scenario();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("resolved.toml");
    std::fs::write(&path, s.to_toml()).expect("write resolved.toml");
    let reloaded = match Scenario::load(&path, &[]) {
        Ok(r) => r,
        Err(e) => panic!("resolved.toml does not load: {e:?}\n{}", s.to_toml()),
    };
    assert_eq!(reloaded.spec, s.spec);
    assert_eq!(reloaded.timeline, s.timeline);
    // And once more: resolving a resolved file changes nothing.
    assert_eq!(reloaded.to_toml(), s.to_toml());
    assert_bitwise_equal(&records(&reloaded, 0), &records(&s, 0));
}

#[test]
fn different_seeds_give_different_records() {
    let s = scenario();
    let mut spec = s.spec.clone();
    spec.simulation.seed += 1;
    let other = common::from_spec(&spec);
    let a = records(&s, 0);
    let b = records(&other, 0);
    assert_ne!(a, b);
    // Not just somewhere: already the first tick differs.
    assert_ne!(a[0], b[0]);
}

#[test]
fn a_replicate_does_not_depend_on_how_many_are_run() {
    let s = scenario();
    let one = Executor::new(&s)
        .replicates(1)
        .threads(1)
        .run()
        .expect("run");
    let three = Executor::new(&s)
        .replicates(3)
        .threads(2)
        .run()
        .expect("run");
    assert_eq!(
        one.replicates[0],
        timed_like(&three.replicates[0], &one.replicates[0])
    );
    assert_bitwise_equal(&one.replicates[0].records, &three.replicates[0].records);
    let alone = run_replicate(&s, 2).expect("replicate 2 runs");
    assert_eq!(alone.seed, three.replicates[2].seed);
    assert_eq!(alone.decisions, three.replicates[2].decisions);
    assert_bitwise_equal(&alone.records, &three.replicates[2].records);
    // And the model driven by hand agrees with the runner.
    assert_bitwise_equal(&records(&s, 2), &alone.records);
}

/// `r` with the timing of `like`, to compare everything else.
fn timed_like(r: &ReplicateResult, like: &ReplicateResult) -> ReplicateResult {
    ReplicateResult {
        seconds: like.seconds,
        ..r.clone()
    }
}

/// A fingerprint of every recorded value, bit for bit.
fn fingerprint(records: &[TickRecord]) -> String {
    let mut bytes = Vec::new();
    for record in records {
        bytes.extend_from_slice(&record.tick.to_le_bytes());
        for o in &record.observations {
            bytes.extend_from_slice(&(o.metric as u16).to_le_bytes());
            bytes.extend_from_slice(o.by.as_str().as_bytes());
            bytes.extend_from_slice(&o.group.to_le_bytes());
            bytes.extend_from_slice(&o.value.to_bits().to_le_bytes());
        }
    }
    pasar::input::hex_sha256(&bytes)
}

/// The platforms' run is the same with one thread and with two, and its
/// `resolved.toml` (where events from before the start are written at the
/// start) reproduces it.
#[test]
fn platforms_do_not_depend_on_threads_and_resolve_to_themselves() {
    let s = platforms();
    let run = |threads| {
        Executor::new(&s)
            .replicates(2)
            .threads(threads)
            .run()
            .expect("run")
    };
    let (one, two) = (run(1), run(2));
    assert_eq!(outcome(&one), outcome(&two));
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("resolved.toml");
    std::fs::write(&path, s.to_toml()).expect("write resolved.toml");
    let reloaded = Scenario::load(&path, &[]).unwrap_or_else(|e| panic!("{e}\n{}", s.to_toml()));
    assert_eq!(reloaded.spec, s.spec);
    assert_eq!(reloaded.timeline, s.timeline);
    assert_bitwise_equal(&records(&reloaded, 1), &one.replicates[1].records);
}

/// The same numbers on every platform: a literal fingerprint of a small run
/// that exercises every step and several levers. It changes only when the
/// model does on purpose (then update it, and say so in the commit).
#[test]
fn results_match_the_reference_fingerprint() {
    let got = fingerprint(&records(&scenario(), 0));
    assert_eq!(
        got,
        "7359a853283bc28644208534838bd729541f02edf5d9dcd115c4381dc39d2ec2"
    );
}

/// The same for the platforms (pasar 0.6.0: the potential of TikTok Shop sourced, its diffusion refitted; 0.4.0: listed prices with the commission passed through, FOB floor, shipping by category, spread starting cash, rounded capacity; markups pulled toward rivals and the Lerner markup, size classes, importers by strata).
#[test]
fn platforms_match_the_reference_fingerprint() {
    let got = fingerprint(&records(&platforms(), 0));
    assert_eq!(
        got,
        "aae3e6e20e1143f27ea0f86a7ae4d64e961f8a09497b0402fa620368b2904653"
    );
}
