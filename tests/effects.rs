//! The statistics of `pasar compare`, checked against known answers:
//! intervals that cover a known mean at their nominal rate, exact zeros for
//! a scenario compared with itself, and common random numbers that narrow
//! the intervals of a shipped policy pair.

mod common;

use pasar::analysis::effects::{TickRange, paired_effect};
use pasar::analysis::panel::{Panel, SeriesKey};
use pasar::analysis::summary::{Window, summary_rows};
use pasar::analysis::{Arm, Comparison, crn_narrowing};
use pasar::dist::standard_normal;
use pasar::runner::Executor;
use pasar::scenario::Scenario;
use rand::SeedableRng;
use std::path::PathBuf;

fn scenario(file: &str, extra: &[&str]) -> Scenario {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(file);
    let sets: Vec<String> = common::BAN_WINDOW
        .iter()
        .chain(extra)
        .map(|s| s.to_string())
        .collect();
    Scenario::load(&path, &sets).unwrap_or_else(|e| panic!("{file}: {e:?}"))
}

fn arm(scenario: Scenario, replicates: u32) -> Arm {
    let result = Executor::new(&scenario)
        .replicates(replicates)
        .threads(2)
        .run()
        .unwrap_or_else(|e| panic!("{e}"));
    let panel = Panel::from_records(&scenario, result.records_of(0));
    Arm {
        panel,
        input: PathBuf::from(scenario.name()),
        files: Vec::new(),
        scenario,
    }
}

#[test]
fn intervals_cover_a_known_mean_at_their_nominal_rate() {
    // 2,000 synthetic comparisons of five replicates each: the baseline's
    // values vary a lot between replicates, the paired differences little,
    // around a true effect of 0.3. A normal-theory interval (1.96 standard
    // errors) would cover only about 88% of the time at five replicates.
    let key = SeriesKey::new("gmv_share", "kind", "umkm");
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(20_231_004);
    let (cases, replicates, effect) = (2_000, 5, 0.3);
    let mut covered = 0;
    for _ in 0..cases {
        let mut baseline = Panel::new(1);
        let mut policy = Panel::new(1);
        for r in 0..replicates {
            let b = 10.0 + 2.0 * standard_normal(&mut rng);
            let d = effect + 0.5 * standard_normal(&mut rng);
            baseline.insert(r, &key, 0, b);
            policy.insert(r, &key, 0, b + d);
        }
        let e = paired_effect(&baseline, &policy, &key, TickRange::tick(0))
            .unwrap_or_else(|| panic!("no effect"));
        let (low, high) = e.diff.ci95().unwrap_or_else(|| panic!("no interval"));
        if low <= effect && effect <= high {
            covered += 1;
        }
    }
    let rate = covered as f64 / cases as f64;
    println!("95% intervals covered the true effect in {covered} of {cases} cases ({rate:.3})");
    assert!((0.93..=0.97).contains(&rate), "coverage {rate}");
}

#[test]
fn a_scenario_compared_with_itself_differs_by_exactly_zero() {
    let base = arm(scenario("baseline.toml", &[]), 3);
    let mut same = base.clone();
    same.scenario.spec.simulation.name = "baseline_again".into();
    // Run it again rather than copy: the zeros must come from the seeds.
    let same = Arm {
        panel: arm(same.scenario.clone(), 3).panel,
        ..same
    };
    let cmp = Comparison {
        baseline: base,
        policies: vec![same],
    };
    let (b, p) = (&cmp.baseline.panel, &cmp.policies[0].panel);
    let mut checked = 0;
    for key in b.keys() {
        for t in 0..b.ticks() {
            if let Some(e) = paired_effect(b, p, key, TickRange::tick(t)) {
                assert_eq!(e.diff.mean, 0.0, "{key} tick {t}");
                assert_eq!(e.diff.sd, 0.0, "{key} tick {t}");
                // An interval needs two replicates with a value.
                let interval = (e.diff.n > 1).then_some((0.0, 0.0));
                assert_eq!(e.diff.ci95(), interval, "{key} tick {t}");
                checked += 1;
            }
        }
    }
    assert!(checked > 1000, "only {checked} effects");
    // No events of its own, so only the last tick and the last 13 weeks.
    let rows = cmp.summary();
    assert!(
        rows.iter()
            .all(|r| r.effect.diff.half_width95() == Some(0.0))
    );
    assert!(
        rows.iter()
            .all(|r| r.window != Window::LastTick || r.range.from == 23)
    );
}

#[test]
fn common_random_numbers_narrow_the_payment_ban_intervals() {
    let replicates = 6;
    let base = arm(scenario("baseline.toml", &[]), replicates);
    let ban = arm(scenario("payment_ban.toml", &[]), replicates);
    let rows = summary_rows((&base.scenario, &base.panel), (&ban.scenario, &ban.panel));
    // Before the ban (tick 18) the two scenarios are the same simulation.
    for key in base.panel.keys() {
        for t in 0..18 {
            if let Some(e) = paired_effect(&base.panel, &ban.panel, key, TickRange::tick(t)) {
                assert_eq!(e.diff.sd, 0.0, "{key} differs at tick {t}, before the ban");
            }
        }
    }
    let mut narrower = 0;
    let mut compared = 0;
    for row in rows.iter().filter(|r| r.window == Window::Last13Weeks) {
        let (Some(paired), Some(unpaired)) = (
            row.effect.diff.half_width95(),
            row.effect.unpaired_half_width95(),
        ) else {
            continue;
        };
        if unpaired == 0.0 {
            continue;
        }
        compared += 1;
        if paired < unpaired {
            narrower += 1;
        }
        println!(
            "{:<45} paired ±{paired:.4e}  unpaired ±{unpaired:.4e}  ratio {:.1}",
            row.key.to_string(),
            unpaired / paired.max(f64::MIN_POSITIVE)
        );
    }
    let ratio = crn_narrowing(&rows).unwrap_or(0.0);
    println!("median narrowing over headline effects: {ratio:.2}x");
    assert!(compared >= 8, "only {compared} effects had intervals");
    assert!(
        narrower * 10 >= compared * 8,
        "paired intervals narrower in only {narrower} of {compared}"
    );
    assert!(ratio > 1.5, "median narrowing {ratio}");
    // Four weeks into the ban social sells nothing: its share is down, and
    // significantly.
    let social = rows
        .iter()
        .find(|r| {
            matches!(r.window, Window::AfterEvent { weeks: 4, .. })
                && r.key == SeriesKey::new("gmv_share", "channel", "tiktok_shop")
        })
        .unwrap_or_else(|| panic!("no social row"));
    assert!(social.effect.policy.mean == 0.0 && social.effect.diff.mean < 0.0);
    assert!(social.effect.diff.significant());
}

#[test]
fn windows_after_events_sit_where_the_calendar_says() {
    let base = scenario("baseline.toml", &["simulation.ticks=40"]);
    let ban = scenario("payment_ban.toml", &["simulation.ticks=40"]);
    let events = pasar::analysis::summary::policy_events(&base, &ban);
    // Only the ban is the policy's own; the take-rate event is shared.
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].tick, 18);
    assert_eq!(events[0].date.to_string(), "2023-10-04");
    assert_eq!(events[0].label, "payment_ban tiktok_shop");
    let windows = pasar::analysis::summary::windows(&ban, &events);
    let after: Vec<(u32, usize)> = windows
        .iter()
        .filter_map(|(w, r)| match w {
            Window::AfterEvent { weeks, .. } => Some((*weeks, r.from)),
            _ => None,
        })
        .collect();
    // 4 and 13 weeks after tick 18 fit in 40 ticks; 52 weeks do not.
    assert_eq!(after, vec![(4, 22), (13, 31)]);
    let last13 = windows
        .iter()
        .find(|(w, _)| *w == Window::Last13Weeks)
        .map(|(_, r)| *r);
    assert_eq!(last13, Some(TickRange { from: 27, to: 39 }));
}
