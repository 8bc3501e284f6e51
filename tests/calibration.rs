//! Calibration: moments computed as documented, targets files checked with
//! places, the search resumable and independent of threads, and the
//! method's proof: parameters used to make the data are recovered.

mod common;

use common::baseline_path;
use pasar::analysis::panel::{Panel, SeriesKey};
use pasar::calibration::moments::{Moment, Quantity, Window};
use pasar::calibration::optimise::{SearchObserver, Settings, Termination, minimise};
use pasar::calibration::smm::Evaluation;
use pasar::calibration::{Calibration, FreeParam, MemoryStore, Targets};
use pasar::scenario::Overrides;
use pasar::scenario::{Date, Scenario};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The baseline shrunk to a second or two per replicate in a debug build,
/// from 2022-01-03 for 30 weekly ticks (to 2022-07-25).
const TINY: &[&str] = &[
    "population.umkm.count=1000",
    "population.importer.count=3",
    "population.consumers.count=600",
    "simulation.ticks=30",
    "events=[]",
];

/// TINY with `extra` (a key in both takes extra's value: overrides as a
/// user gives them name each key once).
fn sets(extra: &[&str]) -> Vec<String> {
    let key = |s: &str| s.split_once('=').map_or(s, |(k, _)| k).to_string();
    TINY.iter()
        .filter(|t| extra.iter().all(|e| key(e) != key(t)))
        .chain(extra)
        .map(|s| s.to_string())
        .collect()
}

fn date(s: &str) -> Date {
    match s.parse() {
        Ok(d) => d,
        Err(e) => panic!("{s}: {e:?}"),
    }
}

/// Two targets that identify the two free parameters: social commerce's
/// share of online GMV (social affinity) and the number of sellers listed
/// on the marketplace (the initial online share of UMKM).
fn targets_text(social_share: f64, online_sellers: f64, sd_share: f64, sd_sellers: f64) -> String {
    format!(
        r#"fit_until = 2022-12-31

[[targets]]
id = "social_share"
ratio = {{ numerator = [ {{ metric = "gmv_idr", by = "channel", group = "social" }} ], denominator = [ {{ metric = "gmv_idr", by = "channel", group = "social" }}, {{ metric = "gmv_idr", by = "channel", group = "marketplace" }} ] }}
window_start = 2022-03-01
window_end = 2022-07-31
observed = {social_share:?}
sd = {sd_share:?}

[[targets]]
id = "online_sellers"
metric = "sellers_alive"
by = "channel"
group = "marketplace"
window_start = 2022-01-01
window_end = 2022-02-28
observed = {online_sellers:?}
sd = {sd_sellers:?}
"#
    )
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Err(e) = std::fs::write(&path, text) {
        panic!("cannot write {}: {e}", path.display());
    }
    path
}

fn free() -> Vec<FreeParam> {
    vec![
        FreeParam {
            path: "channels.social.affinity".into(),
            low: -7.0,
            high: -1.0,
        },
        FreeParam {
            path: "population.umkm.initial_online_share".into(),
            low: 0.1,
            high: 0.7,
        },
    ]
}

fn calibration(targets: &Path, extra: &[&str], replicates: u32) -> Calibration {
    let targets = match Targets::load(targets) {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    };
    match Calibration::new(
        baseline_path(),
        Overrides::sets(&sets(extra)),
        free(),
        targets,
        replicates,
    ) {
        Ok(c) => c,
        Err(e) => panic!("{e:?}"),
    }
}

/// A cancellation flag that is never set.
static NEVER: AtomicBool = AtomicBool::new(false);

#[test]
fn parameters_that_made_the_data_are_recovered() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The "truth": data made by the model at known parameters, with its own
    // seed (another realisation than the one the calibration simulates).
    let truth = [-3.5, 0.45];
    let placeholder = write(
        dir.path(),
        "placeholder.toml",
        &targets_text(0.1, 1e6, 0.01, 1e5),
    );
    // PASAR_RECOVERY_SEED tries other realisations of the data.
    let seed = std::env::var("PASAR_RECOVERY_SEED").unwrap_or_else(|_| "777".into());
    let seed_set = format!("simulation.seed={seed}");
    let maker = calibration(&placeholder, &[seed_set.as_str()], 8);
    let observed = data_at(&maker, &truth);
    // Tolerances of 5% of the observed values.
    let targets = write(
        dir.path(),
        "targets.toml",
        &targets_text(
            observed[0],
            observed[1],
            0.05 * observed[0],
            0.05 * observed[1],
        ),
    );
    // Calibrate with the default seed from the scenario's own values
    // (set here to affinity -5.0, online share 0.5), one start.
    let fit_problem = calibration(
        &targets,
        &[
            "channels.social.affinity=-5.0",
            "population.umkm.initial_online_share=0.5",
        ],
        3,
    );
    let own = fit_problem.own_values().expect("own values");
    assert_eq!(own, vec![-5.0, 0.5]);
    let fit = recover(&fit_problem, &truth, 40, 0.05);
    assert_eq!(fit.starts[0].termination, Termination::Converged);
    assert!(fit.starts[0].evaluations < 40);
    // The standard errors of the SMM covariance: finite, and the truth
    // within four of them of the estimate.
    let cov = pasar::calibration::covariance::at_optimum(
        &fit_problem,
        fit.best(),
        &MemoryStore::default(),
        &NEVER,
    )
    .expect("covariance");
    for (i, want) in truth.iter().enumerate() {
        let se = cov.standard_error(i).expect("identified");
        let got = fit.best().params[i];
        eprintln!("parameter {i}: {got} ± {se} (true {want})");
        assert!(
            se > 0.0 && (got - want).abs() <= 4.0 * se,
            "{got} ± {se}, true {want}"
        );
    }
}

/// A parameter that no target reads has no standard error: it is
/// reported as not identified, and the others keep theirs.
#[test]
fn a_parameter_no_target_reads_is_not_identified() {
    let dir = tempfile::tempdir().expect("temp dir");
    let targets = write(
        dir.path(),
        "targets.toml",
        &targets_text(0.1, 1e6, 0.01, 1e5),
    );
    let targets = Targets::load(&targets).unwrap_or_else(|e| panic!("{e}"));
    let free = vec![
        free()[0].clone(),
        // The offline channel has no owner: a bonus for its owner's
        // affiliates changes nothing.
        FreeParam {
            path: "channels.offline.self_preference".into(),
            low: 0.0,
            high: 1.0,
        },
    ];
    let problem = Calibration::new(
        baseline_path(),
        Overrides::sets(&sets(&[])),
        free,
        targets,
        2,
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    let at = problem.evaluate(&[-3.5, 0.5], &NEVER).expect("evaluation");
    let cov =
        pasar::calibration::covariance::at_optimum(&problem, &at, &MemoryStore::default(), &NEVER)
            .expect("covariance");
    assert!(
        cov.standard_error(0)
            .is_some_and(|se| se > 0.0 && se.is_finite())
    );
    assert_eq!(cov.standard_error(1), None);
}

/// Targets that identify the diffusion of the social channel and its
/// basket: its share of online GMV in three windows of 2022 (the path of
/// adoption) and its value per order.
fn diffusion_targets(observed: &[f64], sd: &[f64]) -> String {
    let share = |id: &str, from: &str, to: &str, i: usize| {
        format!(
            r#"
[[targets]]
id = "{id}"
ratio = {{ numerator = [ {{ metric = "gmv_idr", by = "channel", group = "social" }} ], denominator = [ {{ metric = "gmv_idr", by = "channel", group = "social" }}, {{ metric = "gmv_idr", by = "channel", group = "marketplace" }} ] }}
window_start = {from}
window_end = {to}
observed = {:?}
sd = {:?}
"#,
            observed[i], sd[i]
        )
    };
    format!(
        r#"fit_until = 2022-12-31
{}{}{}
[[targets]]
id = "social_order_value"
ratio = {{ numerator = [ {{ metric = "gmv_idr", by = "channel", group = "social" }} ], denominator = [ {{ metric = "purchases", by = "channel", group = "social" }} ] }}
window_start = 2022-01-01
window_end = 2022-07-31
observed = {:?}
sd = {:?}
"#,
        share("early", "2022-01-01", "2022-02-28", 0),
        share("middle", "2022-03-01", "2022-04-30", 1),
        share("late", "2022-05-01", "2022-07-31", 2),
        observed[3],
        sd[3]
    )
}

/// The social channel diffusing from the run's first day, with a taste that
/// makes its adopters buy there.
const DIFFUSING: &[&str] = &[
    "channels.social.affinity_trend=0",
    "channels.social.affinity=-1",
    "channels.social.adoption.launch=2022-01-03",
    "channels.social.adoption.potential=1",
    "population.consumers.count=3000",
];

fn diffusion_calibration(targets: &Path, extra: &[&str], replicates: u32) -> Calibration {
    let targets = Targets::load(targets).unwrap_or_else(|e| panic!("{e}"));
    let mut all: Vec<&str> = DIFFUSING.to_vec();
    all.extend_from_slice(extra);
    let free = vec![
        FreeParam {
            path: "channels.social.adoption.innovation".into(),
            low: 0.001,
            high: 0.03,
        },
        FreeParam {
            path: "channels.social.adoption.imitation".into(),
            low: 0.0,
            high: 0.3,
        },
        FreeParam {
            path: "channels.social.units_per_order".into(),
            low: 1.0,
            high: 3.0,
        },
    ];
    Calibration::new(
        baseline_path(),
        Overrides::sets(&sets(&all)),
        free,
        targets,
        replicates,
    )
    .unwrap_or_else(|e| panic!("{e:?}"))
}

/// The new parameters of pasar 0.5, recovered as the old ones are: the
/// Bass innovation and imitation of the social channel and its basket,
/// from data the model made at known values with another seed.
#[test]
fn diffusion_and_basket_that_made_the_data_are_recovered() {
    let dir = tempfile::tempdir().expect("temp dir");
    let truth = [0.008, 0.12, 1.8];
    let placeholder = write(
        dir.path(),
        "placeholder.toml",
        &diffusion_targets(&[0.1, 0.1, 0.1, 1e5], &[0.01, 0.01, 0.01, 1e4]),
    );
    let seed = std::env::var("PASAR_RECOVERY_SEED").unwrap_or_else(|_| "777".into());
    let seed_set = format!("simulation.seed={seed}");
    let truth_sets = [
        "channels.social.adoption.innovation=0.008".to_string(),
        "channels.social.adoption.imitation=0.12".to_string(),
        "channels.social.units_per_order=1.8".to_string(),
        seed_set,
    ];
    let truth_sets: Vec<&str> = truth_sets.iter().map(String::as_str).collect();
    let maker = diffusion_calibration(&placeholder, &truth_sets, 8);
    let observed = data_at(&maker, &truth);
    eprintln!("data: {observed:?}");
    // The path must rise: otherwise it says nothing of imitation.
    assert!(
        observed[0] < observed[1] && observed[1] < observed[2],
        "{observed:?}"
    );
    let sd: Vec<f64> = observed.iter().map(|o| 0.05 * o).collect();
    let targets = write(
        dir.path(),
        "targets.toml",
        &diffusion_targets(&observed, &sd),
    );
    let fit_problem = diffusion_calibration(
        &targets,
        &[
            "channels.social.adoption.innovation=0.004",
            "channels.social.adoption.imitation=0.05",
            "channels.social.units_per_order=1.2",
        ],
        3,
    );
    recover(&fit_problem, &truth, 60, 0.1);
}

/// The moments the model makes at `truth` (the data a recovery fits).
fn data_at(maker: &Calibration, truth: &[f64]) -> Vec<f64> {
    let data = maker.evaluate(truth, &NEVER).expect("evaluation");
    data.moments
        .iter()
        .map(|m| pasar::calibration::smm::mean(m).expect("moment"))
        .collect()
}

/// One start of Nelder–Mead from the scenario's own values, at most
/// `evaluations`: each parameter must land within `share` of its range of
/// `truth`, and the objective fall tenfold.
fn recover(
    fit_problem: &Calibration,
    truth: &[f64],
    evaluations: usize,
    share: f64,
) -> pasar::calibration::Fit {
    let settings = Settings {
        starts: 1,
        max_evaluations: evaluations,
        tolerance: 0.05,
        ..Settings::default()
    };
    let fit = minimise(
        fit_problem,
        &settings,
        &MemoryStore::default(),
        &pasar::calibration::optimise::Silent,
        &NEVER,
    )
    .expect("calibration");
    let best = fit.best();
    let start_objective = fit.history[0].objective;
    eprintln!(
        "recovered {:?} (true {truth:?}); objective {start_objective} at the start, {} after {} evaluations",
        best.params,
        best.objective,
        fit.history.len()
    );
    for ((f, got), want) in fit_problem.free.iter().zip(&best.params).zip(truth) {
        let tolerance = share * (f.high - f.low);
        assert!(
            (got - want).abs() <= tolerance,
            "{}: recovered {got}, true {want} (tolerance {tolerance}); start objective {start_objective}, final {}; history {:?}",
            f.path,
            best.objective,
            fit.history
                .iter()
                .map(|h| (h.params.clone(), h.objective))
                .collect::<Vec<_>>()
        );
    }
    assert!(best.objective < start_objective / 10.0);
    fit
}

/// Counts fresh and cached evaluations.
#[derive(Default)]
struct Counter {
    fresh: AtomicUsize,
    cached: AtomicUsize,
}

impl SearchObserver for Counter {
    fn evaluation_done(&self, _start: usize, _e: &Evaluation, cached: bool) {
        if cached {
            self.cached.fetch_add(1, Ordering::SeqCst);
        } else {
            self.fresh.fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[test]
fn a_resumed_search_reuses_every_evaluation_and_threads_change_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let targets = write(
        dir.path(),
        "t.toml",
        &targets_text(0.08, 3.0e7, 0.01, 3.0e6),
    );
    let problem = calibration(&targets, &["simulation.ticks=20"], 1);
    let settings = Settings {
        starts: 2,
        max_evaluations: 8,
        ..Settings::default()
    };
    let store = MemoryStore::default();
    let run = |threads: usize, counter: &Counter| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        pool.install(|| minimise(&problem, &settings, &store, counter, &NEVER))
            .expect("calibration")
    };
    let first_counter = Counter::default();
    let first = run(1, &first_counter);
    let fresh = first_counter.fresh.load(Ordering::SeqCst);
    assert!(fresh > 0);
    assert_eq!(first.starts.len(), 2);
    assert!(first.starts.iter().all(|s| s.evaluations == 8));
    assert!(
        first
            .starts
            .iter()
            .all(|s| s.termination == Termination::Budget)
    );
    // Again, on two threads, with the same store: nothing is simulated
    // again and the result is identical.
    let second_counter = Counter::default();
    let second = run(2, &second_counter);
    assert_eq!(second_counter.fresh.load(Ordering::SeqCst), 0);
    assert_eq!(second_counter.cached.load(Ordering::SeqCst), 16);
    assert_eq!(first, second);
    // And from scratch on two threads.
    let fresh_store = MemoryStore::default();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("pool");
    let third = pool
        .install(|| {
            minimise(
                &problem,
                &settings,
                &fresh_store,
                &Counter::default(),
                &NEVER,
            )
        })
        .expect("calibration");
    assert_eq!(first, third);
}

#[test]
fn cached_moments_serve_new_tolerances_and_infeasible_points_cost_the_penalty() {
    let dir = tempfile::tempdir().expect("temp dir");
    let a = write(
        dir.path(),
        "a.toml",
        &targets_text(0.08, 3.0e7, 0.01, 3.0e6),
    );
    let b = write(
        dir.path(),
        "b.toml",
        &targets_text(0.08, 3.0e7, 0.02, 1.0e6),
    );
    let first = calibration(&a, &["simulation.ticks=20"], 1);
    let second = calibration(&b, &["simulation.ticks=20"], 1);
    // Tolerances are not part of what the cache is kept under.
    assert_eq!(
        first.fingerprint().expect("fingerprint"),
        second.fingerprint().expect("fingerprint")
    );
    let settings = Settings {
        starts: 1,
        max_evaluations: 5,
        ..Settings::default()
    };
    let store = MemoryStore::default();
    minimise(&first, &settings, &store, &Counter::default(), &NEVER).expect("first");
    let counter = Counter::default();
    let fit = minimise(&second, &settings, &store, &counter, &NEVER).expect("second");
    // The same first point, found in the cache, with the objective of the
    // new tolerances.
    assert!(counter.cached.load(Ordering::SeqCst) >= 3);
    let row = &fit.history[0];
    let evaluation = second.evaluate(&row.params, &NEVER).expect("evaluation");
    assert_eq!(row.objective, evaluation.objective);
    // A point where the scenario is invalid (the UMKM's initial markup
    // below markup_min) has no moments and costs the penalty for every
    // fitted target.
    let targets = Targets::load(&a).expect("targets");
    let markups = Calibration::new(
        baseline_path(),
        Overrides::sets(&sets(&["simulation.ticks=20"])),
        vec![
            FreeParam {
                path: "population.umkm.initial_markup".into(),
                low: 0.1,
                high: 0.4,
            },
            FreeParam {
                path: "behaviour.markup_min".into(),
                low: 0.05,
                high: 0.2,
            },
        ],
        targets,
        1,
    )
    .expect("each bound is valid on its own");
    let e = markups.evaluate(&[0.15, 0.2], &NEVER).expect("evaluation");
    assert!(e.moments.iter().flatten().all(Option::is_none));
    assert_eq!(
        e.objective,
        2.0 * pasar::calibration::smm::MISSING_MOMENT_PENALTY
    );
}

#[test]
fn a_target_reading_a_tick_that_ends_after_fit_until_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The tick of 2022-07-25 ends 2022-07-31, after 2022-07-27.
    let text = targets_text(0.08, 3.0e7, 0.01, 3.0e6)
        .replace("fit_until = 2022-12-31", "fit_until = 2022-07-27")
        .replace("window_end = 2022-07-31", "window_end = 2022-07-26");
    let path = write(dir.path(), "t.toml", &text);
    let targets = Targets::load(&path).expect("the dates alone are before fit_until");
    let scenario = Scenario::load(&baseline_path(), &sets(&[])).expect("scenario");
    let e = targets.check(&scenario).expect_err("runs past").to_string();
    assert!(
        e.contains("targets[0].window_end") && e.contains("ends 2022-07-31"),
        "{e}"
    );
}

#[test]
fn a_shortened_run_gives_the_moments_of_the_full_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let targets = write(
        dir.path(),
        "t.toml",
        &targets_text(0.08, 3.0e7, 0.01, 3.0e6),
    );
    // The targets end by 2022-07-31: tick 29 (2022-07-25) is the last read.
    let problem = calibration(&targets, &["simulation.ticks=45"], 2);
    assert_eq!(problem.horizon, 30);
    let params = [-4.0, 0.3];
    let evaluation = problem.evaluate(&params, &NEVER).expect("evaluation");
    let full = problem.scenario_at(&params, 45).expect("scenario");
    let panel = pasar::calibration::smm::run_panel(&full, 2, &NEVER).expect("run");
    for (target, values) in problem.targets.targets.iter().zip(&evaluation.moments) {
        let from_full: Vec<Option<f64>> = target
            .moment
            .values(&full, &panel)
            .into_iter()
            .map(Some)
            .collect();
        assert_eq!(&from_full, values, "{}", target.moment.id);
    }
    let expected: f64 = problem
        .targets
        .targets
        .iter()
        .zip(&evaluation.moments)
        .map(|(t, m)| {
            let mean = pasar::calibration::smm::mean(m).expect("mean");
            ((mean - t.observed) / t.sd).powi(2)
        })
        .sum();
    assert_eq!(evaluation.objective, expected);
}

#[test]
fn moments_are_window_means_ratios_of_totals_and_growth() {
    // A hand-made panel of 4 weekly ticks from 2022-01-03.
    let scenario = match Scenario::load(&baseline_path(), &sets(&["simulation.ticks=4"])) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    let mut panel = Panel::new(4);
    let a = SeriesKey::new("gmv_idr", "channel", "social");
    let b = SeriesKey::new("gmv_idr", "channel", "marketplace");
    for (t, (x, y)) in [(1.0, 9.0), (3.0, 7.0), (2.0, 2.0), (f64::NAN, 5.0)]
        .into_iter()
        .enumerate()
    {
        panel.insert(0, &a, t, x);
        panel.insert(0, &b, t, y);
    }
    let window = |from: &str, to: &str| Window {
        start: date(from),
        end: date(to),
    };
    // Ticks 0-2 start 2022-01-03, -10, -17.
    let first3 = window("2022-01-01", "2022-01-20");
    let level = Moment {
        id: "level".into(),
        quantity: Quantity::Level(vec![a.clone(), b.clone()]),
        window: first3,
        relative_to: None,
        scale: 1.0,
    };
    assert_eq!(
        level.values(&scenario, &panel),
        vec![(10.0 + 10.0 + 4.0) / 3.0]
    );
    // A scale multiplies a level: three weeks' total.
    let total = Moment {
        scale: 3.0,
        ..level.clone()
    };
    assert_eq!(total.values(&scenario, &panel), vec![10.0 + 10.0 + 4.0]);
    let share = Moment {
        id: "share".into(),
        quantity: Quantity::Ratio {
            numerator: vec![a.clone()],
            denominator: vec![a.clone(), b.clone()],
        },
        window: first3,
        relative_to: None,
        scale: 1.0,
    };
    // A ratio of totals (6 / 24), not a mean of weekly ratios.
    assert_eq!(share.values(&scenario, &panel), vec![6.0 / 24.0]);
    assert_eq!(share.unit(), "share (0-1)");
    // A tick where a series recorded nothing is left out of both totals.
    let all4 = Moment {
        window: window("2022-01-01", "2022-01-31"),
        ..share.clone()
    };
    assert_eq!(all4.values(&scenario, &panel), vec![6.0 / 24.0]);
    let growth = Moment {
        id: "growth".into(),
        quantity: Quantity::Level(vec![b.clone()]),
        window: window("2022-01-15", "2022-01-31"),
        relative_to: Some(window("2022-01-01", "2022-01-14")),
        scale: 1.0,
    };
    // (2 + 5) / 2 over (9 + 7) / 2, minus 1.
    assert_eq!(growth.values(&scenario, &panel), vec![3.5 / 8.0 - 1.0]);
    assert_eq!(growth.unit(), "growth (ratio - 1)");
    assert_eq!(share.per_tick(&panel, 0)[..3], [0.1, 0.3, 0.5]);
    // A tick starting on the window's last day is in it; the last tick a
    // growth moment reads may be in its base window.
    assert_eq!(window("2022-01-01", "2022-01-17").ticks(&scenario), 0..3);
    assert_eq!(window("2022-01-04", "2022-01-09").ticks(&scenario), 0..0);
    let backwards = Moment {
        window: window("2022-01-01", "2022-01-04"),
        relative_to: Some(window("2022-01-10", "2022-01-24")),
        ..growth.clone()
    };
    assert_eq!(backwards.last_tick(&scenario), Some(3));
}

/// Load a targets file and return its error text.
fn error_of(text: &str) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(dir.path(), "targets.toml", text);
    match Targets::load(&path) {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_targets_files_name_the_place_and_the_fix() {
    let good = targets_text(0.08, 3.0e7, 0.01, 3.0e6);
    let e = error_of(&good.replace("observed = 0.08", "observd = 0.08"));
    assert!(
        e.contains("targets.toml:") && e.contains("unknown key `observd`"),
        "{e}"
    );
    assert!(e.contains("did you mean `observed`"), "{e}");
    let e = error_of(&good.replace("observed = 0.08", "observed = 0.08\nscale = -2"));
    assert!(
        e.contains("scale -2 is not a positive number") && e.contains("366 / 7"),
        "{e}"
    );
    let e = error_of(&good.replace(
        "observed = 0.08",
        "observed = 0.08\nscale = 2\nrelative_to = { window_start = 2022-01-01, window_end = 2022-02-28 }",
    ));
    assert!(e.contains("a growth (relative_to) takes no scale"), "{e}");
    let e = error_of(&good.replace("window_end = 2022-07-31", "window_end = 2023-01-31"));
    assert!(
        e.contains("targets[0].window_end") && e.contains("after fit_until = 2022-12-31"),
        "{e}"
    );
    let e = error_of(&good.replace("metric = \"sellers_alive\"", "metric = \"seller_alive\""));
    assert!(e.contains("did you mean `sellers_alive`"), "{e}");
    let e = error_of(&good.replace("sd = 0.01", "sd = -0.01"));
    assert!(e.contains("targets[0].sd") && e.contains("positive"), "{e}");
    let e = error_of(&good.replace("by = \"channel\"\n", "by = \"category\"\n"));
    assert!(e.contains("not broken down by `category`"), "{e}");
    let e = error_of(&good.replace("id = \"online_sellers\"", "id = \"social_share\""));
    assert!(e.contains("used twice"), "{e}");
    let both_off = good
        .replace("sd = 0.01\n", "sd = 0.01\nfit = false\n")
        .replace("sd = 3000000.0\n", "sd = 3000000.0\nfit = false\n");
    let e = error_of(&both_off);
    assert!(e.contains("nothing to fit"), "{e}");
    // A syntax error names line and column.
    let e = error_of("[[targets]\nid = 1\n");
    assert!(e.contains("targets.toml:1:"), "{e}");
    // A group the scenario does not have is caught against the scenario.
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(
        dir.path(),
        "t.toml",
        &good.replace(
            "group = \"marketplace\"\nwindow",
            "group = \"tiktok\"\nwindow",
        ),
    );
    let targets = Targets::load(&path).expect("loads");
    let scenario = Scenario::load(&baseline_path(), &sets(&[])).expect("scenario");
    let e = targets
        .check(&scenario)
        .expect_err("unknown group")
        .to_string();
    assert!(e.contains("t.toml:") && e.contains("tiktok"), "{e}");
}

#[test]
fn the_shipped_targets_and_forecast_files_load_and_fit_the_shipped_scenarios() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let targets = Targets::load(&root.join("calibration/targets.toml")).expect("targets");
    assert!(targets.targets.len() >= 7);
    assert_eq!(targets.fit_until, Some(date("2023-09-24")));
    let baseline = Scenario::load(&root.join("scenarios/baseline.toml"), &[]).expect("baseline");
    targets.check(&baseline).expect("targets fit the baseline");
    let forecasts = pasar::calibration::Forecasts::load(&root.join("calibration/forecast.toml"))
        .expect("forecast quantities");
    let scenario =
        Scenario::load(&root.join("scenarios/indonesia_2023.toml"), &[]).expect("indonesia_2023");
    forecasts
        .check(&scenario)
        .expect("quantities fit the 2023 scenario");
    let ids: Vec<&str> = forecasts
        .quantities
        .iter()
        .map(|q| q.moment.id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "social_share_online_2024",
            "shopee_share_online_2024",
            "tokopedia_share_online_2024",
            "lazada_share_online_2024",
            "bukalapak_share_online_2024",
            "blibli_share_online_2024",
            "bytedance_share_online_2024",
            "online_gmv_growth_2023_2024",
            "import_penetration_2024",
            "online_gmv_2024_idr",
            "online_gmv_2024_usd",
            "tiktok_shop_gmv_2024_usd"
        ]
    );
    // The money levels are year totals, in rupiah and at Rp15,255 per US$.
    let scale = |id: &str| {
        forecasts
            .quantities
            .iter()
            .find(|q| q.moment.id == id)
            .map(|q| q.moment.scale)
    };
    assert_eq!(scale("online_gmv_2024_idr"), Some(366.0 / 7.0));
    assert_eq!(scale("online_gmv_2024_usd"), Some(366.0 / 7.0 / 15255.0));
}
