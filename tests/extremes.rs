//! Extreme but valid settings: the run completes, every recorded number is
//! finite, and the outcome is the one the setting implies.

mod common;

use common::{event, small, value, with_events};
use pasar::metrics::{By, Metric, TickRecord};

fn assert_finite(records: &[TickRecord]) {
    for r in records {
        for o in &r.observations {
            assert!(
                o.value.is_finite(),
                "tick {}: {:?} is {}",
                r.tick,
                o.metric,
                o.value
            );
        }
    }
}

fn total(records: &[TickRecord], metric: Metric, by: By, group: usize) -> f64 {
    records.iter().map(|r| value(r, metric, by, group)).sum()
}

#[test]
fn no_consumers_means_no_sales_and_no_ratios() {
    let records = common::run(&small(&["population.consumers.count=0"]));
    assert_finite(&records);
    assert_eq!(total(&records, Metric::GmvIdr, By::All, 0), 0.0);
    for r in &records {
        // Ratios with a zero denominator are left out; shares are 0.
        assert_eq!(r.get(Metric::ImportPenetration, By::All, 0), None);
        assert_eq!(r.get(Metric::AvgPriceIdr, By::All, 0), None);
        assert_eq!(r.get(Metric::GmvShare, By::Kind, 0), Some(0.0));
    }
}

#[test]
fn no_sellers_means_every_attempt_finds_nothing() {
    let records = common::run(&small(&[
        "population.umkm.count=0",
        "population.importer.count=0",
        "behaviour.umkm_entry_rate=0",
    ]));
    assert_finite(&records);
    assert!(total(&records, Metric::PurchaseAttempts, By::All, 0) > 0.0);
    assert_eq!(total(&records, Metric::PurchaseDecisions, By::All, 0), 0.0);
    assert_eq!(total(&records, Metric::Purchases, By::All, 0), 0.0);
}

#[test]
fn every_seller_bankrupt_at_once() {
    // No cash and a fixed cost no sale can cover: all exit in tick 0.
    let records = common::run(&small(&[
        "population.umkm.initial_cash_idr=0",
        "population.umkm.fixed_cost_idr=1e12",
        "population.importer.initial_cash_idr=0",
        "population.importer.fixed_cost_idr=1e12",
        "behaviour.umkm_entry_rate=0",
    ]));
    assert_finite(&records);
    assert!(value(&records[0], Metric::Exits, By::All, 0) > 0.0);
    assert_eq!(value(&records[0], Metric::SellersAlive, By::All, 0), 0.0);
    assert_eq!(total(&records[1..], Metric::Purchases, By::All, 0), 0.0);
}

#[test]
fn a_take_rate_of_one_hands_all_revenue_to_the_channel() {
    let records = common::run(&small(&["channels.marketplace.take_rate=1"]));
    assert_finite(&records);
    let k = 1; // marketplace
    for r in &records {
        let gmv = value(r, Metric::GmvIdr, By::Channel, k);
        let commission = value(r, Metric::CommissionIdr, By::Channel, k);
        assert!(
            (gmv - commission).abs() <= 1e-9 * gmv.max(1.0),
            "tick {}",
            r.tick
        );
    }
}

#[test]
fn a_price_floor_above_every_price_stops_every_importer_sale() {
    let base = small(&["population.importer.count=30"]);
    let scenario = with_events(
        &base,
        vec![
            event(0, "import_price_floor")
                .with("usd", 1e6)
                .with("usd_idr", 15_000.0),
        ],
    );
    let records = common::run(&scenario);
    assert_finite(&records);
    assert_eq!(total(&records, Metric::GmvIdr, By::Kind, 1), 0.0);
    assert!(
        total(&records, Metric::GmvIdr, By::Kind, 0) > 0.0,
        "UMKM still sell"
    );
}

#[test]
fn extreme_tastes_and_prices_stay_finite() {
    // Huge price sensitivity and quality taste push utilities far from 0;
    // the logit weights are computed relative to the best option.
    let records = common::run(&small(&[
        "population.consumers.price_sensitivity_median=1000",
        "population.consumers.quality_taste_mean=100",
        "behaviour.outside_utility=-100",
        "categories.fashion.ref_price_idr=1",
    ]));
    assert_finite(&records);
    assert!(total(&records, Metric::Purchases, By::All, 0) > 0.0);
}

#[test]
fn entry_that_outpaces_exit_is_stopped_with_a_clear_error() {
    // Every UMKM brings one entrant a tick and nobody pays a fixed cost:
    // the sellers double each tick. The runner stops the replicate at the
    // seller limit (set from the memory available by `pasar run`) rather
    // than exhaust the machine.
    let s = common::small(&[
        "behaviour.umkm_entry_rate=1.0",
        "population.umkm.fixed_cost_idr=0",
        "simulation.replicates=2",
    ]);
    let error = pasar::runner::Executor::new(&s)
        .threads(2)
        .seller_limit(5_000)
        .run()
        .expect_err("the sellers outgrow the limit");
    let pasar::runner::RunError::TooManySellers {
        tick,
        sellers,
        initial,
        limit,
        ..
    } = error
    else {
        panic!("expected TooManySellers, got {error:?}");
    };
    assert!(sellers > limit && limit == 5_000);
    assert!(
        initial < 1_000 && tick < 20,
        "tick {tick}, {initial} sellers at first"
    );
    let message = error.to_string();
    assert!(message.contains("entry outpaces exit"), "{message}");
    assert!(
        message.contains("help: lower behaviour.umkm_entry_rate"),
        "{message}"
    );
    // With room enough, the same scenario runs to its horizon.
    let short = common::small(&[
        "behaviour.umkm_entry_rate=1.0",
        "population.umkm.fixed_cost_idr=0",
        "simulation.ticks=3",
    ]);
    let ok = pasar::runner::Executor::new(&short)
        .seller_limit(5_000)
        .run()
        .expect("three doublings fit");
    assert_eq!(ok.replicates[0].records.len(), 3);
}
