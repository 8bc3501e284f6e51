//! Sellers' economics (docs/ODD.md sections 5, 10.2 and 10.3): UMKM exit
//! at the rate the baseline was set to, importers hold a stable share,
//! size classes are drawn in their shares, markups follow rivals' prices,
//! and a payment ban cuts the revenue of the sellers who sold on social
//! commerce, in bands comparable with the survey of sellers (S93).

mod common;

use common::{close, value};
use pasar::metrics::{By, Metric, TickRecord};
use pasar::model::Model;
use pasar::model::segments::BANDS;
use pasar::model::sellers::{SellerKind, SizeClass};
use pasar::scenario::Scenario;
use std::path::Path;

/// The shipped baseline (or a scenario extending it) at a quarter of its
/// sample: every population a quarter, every simulated agent standing for
/// four times as many real ones, so real totals keep their level.
fn quarter(file: &str, extra: &[&str]) -> Scenario {
    let path = Path::new(&common::shipped(file)).to_path_buf();
    let full = Scenario::load(&path, &[]).unwrap_or_else(|e| panic!("{e}"));
    let sim = &full.spec.simulation;
    let pop = &full.spec.population;
    let mut sets = vec![
        format!("population.umkm.count={}", pop.umkm.count / 4),
        format!("population.importer.count={}", pop.importer.count / 4),
        format!("population.consumers.count={}", pop.consumers.count / 4),
        format!("simulation.seller_scale={}", sim.seller_scale * 4.0),
        format!("simulation.consumer_scale={}", sim.consumer_scale * 4.0),
    ];
    sets.extend(extra.iter().map(|s| s.to_string()));
    Scenario::load(&path, &sets).unwrap_or_else(|e| panic!("{e}"))
}

fn run(scenario: &Scenario, replicate: u32) -> Vec<TickRecord> {
    let mut m = Model::new(scenario, replicate);
    (0..scenario.ticks()).map(|_| m.step()).collect()
}

fn sum(records: &[TickRecord], metric: Metric, by: By, group: usize) -> f64 {
    records.iter().map(|r| value(r, metric, by, group)).sum()
}

/// The baseline was set so that about 8.2% of UMKM close a year
/// (McKenzie and Paffhausen 2017) and their number grows by about 1.5% a
/// year (S48); margins stay well above the 1.3% of markups at their floor.
#[test]
fn umkm_exit_at_a_plausible_rate_and_their_number_grows_slowly() {
    let s = quarter("baseline.toml", &["simulation.ticks=52"]);
    let umkm = SellerKind::Umkm as usize;
    for replicate in 0..2 {
        let records = run(&s, replicate);
        let alive = |r: &TickRecord| value(r, Metric::SellersAlive, By::Kind, umkm);
        let mean_alive = records.iter().map(alive).sum::<f64>() / records.len() as f64;
        let exits = sum(&records, Metric::Exits, By::Kind, umkm);
        let exit_rate = exits / mean_alive;
        let growth = alive(&records[51]) / alive(&records[0]) - 1.0;
        let margin = sum(&records, Metric::UmkmProfitIdr, By::All, 0)
            / sum(&records, Metric::UmkmRevenueIdr, By::All, 0);
        println!(
            "replicate {replicate}: exits {:.1}% a year, growth {:+.1}%, margin {:.1}%",
            100.0 * exit_rate,
            100.0 * growth,
            100.0 * margin
        );
        assert!((0.05..=0.12).contains(&exit_rate), "exit rate {exit_rate}");
        assert!((-0.02..=0.05).contains(&growth), "growth {growth}");
        assert!((0.05..=0.30).contains(&margin), "margin {margin}");
        // Exits by size class add up to the UMKM's, and micro firms
        // account for nearly all of them.
        let micro = sum(
            &records,
            Metric::Exits,
            By::SizeClass,
            SizeClass::Micro as usize,
        );
        assert!(micro > 0.95 * exits && micro <= exits);
    }
}

/// Direct cross-border sellers held about 3% of the largest marketplace's
/// sales in 2021 (S89). Drawn by strata, every replicate lands near it:
/// none sells nothing and none takes a tenth of online GMV.
#[test]
fn importer_share_of_online_gmv_stays_in_its_band_across_replicates() {
    let s = quarter("baseline.toml", &["simulation.ticks=52"]);
    let offline = common::channel_index(&s, "offline");
    let importer = SellerKind::Importer as usize;
    let shares: Vec<f64> = (0..4)
        .map(|replicate| {
            let records = run(&s, replicate);
            let online = sum(&records, Metric::GmvIdr, By::All, 0)
                - sum(&records, Metric::GmvIdr, By::Channel, offline);
            sum(&records, Metric::GmvIdr, By::Kind, importer) / online
        })
        .collect();
    println!("importers' share of online GMV in 2022 by replicate: {shares:?}");
    // At the shipped sample size the baseline gives 2.8-3.8%
    // (docs/CALIBRATION.md); this quarter-size sample gives more (4.7-6.4%
    // in pasar 0.5): the share depends on the sample size, a dependence
    // docs/CALIBRATION.md reports. Its band is therefore 1.5-7%.
    for &share in &shares {
        assert!((0.015..=0.07).contains(&share), "{shares:?}");
    }
    let (lo, hi) = shares.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &x| {
        (lo.min(x), hi.max(x))
    });
    assert!(hi / lo < 2.0, "replicates disagree: {shares:?}");
}

/// Size classes are drawn in their shares, each with its own capacity.
#[test]
fn size_classes_are_drawn_in_their_shares_with_their_capacities() {
    let s = common::small(&[
        "population.umkm.count=4000",
        "population.umkm.small.share=0.2",
        "population.umkm.medium.share=0.05",
        "population.umkm.capacity_sd=0.0",
    ]);
    let m = Model::new(&s, 0);
    let sellers = m.sellers();
    let n = s.spec.population.umkm.count as f64;
    let mut counts = [0.0; 3];
    let mut capacity = [0u32; 3];
    for j in 0..sellers.len() {
        if sellers.kind[j] == SellerKind::Umkm {
            let class = sellers.size_class[j] as usize;
            counts[class] += 1.0;
            capacity[class] = sellers.tally[j].capacity;
        }
    }
    for (class, p) in [(SizeClass::Small, 0.2), (SizeClass::Medium, 0.05)] {
        let k = counts[class as usize];
        let sd = (n * p * (1.0 - p)).sqrt();
        assert!((k - n * p).abs() < 4.0 * sd, "{class:?}: {k} of {n}");
    }
    let u = &s.spec.population.umkm;
    let per_sale = s.spec.simulation.consumer_scale / s.spec.simulation.seller_scale;
    for (class, median) in [
        (SizeClass::Micro, u.capacity_median),
        (SizeClass::Small, u.small.capacity_median),
        (SizeClass::Medium, u.medium.capacity_median),
    ] {
        // Whole simulated units, kept in hundredths (the grain of baskets).
        let expected = (median / per_sale).round().max(1.0) as u32 * 100;
        assert_eq!(capacity[class as usize], expected, "{class:?}");
    }
}

/// With the rivals' price in the target, importers price up to the UMKM
/// they compete with: make the UMKM's goods dearer and the importers'
/// markups rise, by far more than through their own sales alone.
#[test]
fn markups_follow_rivals_prices() {
    let importer_markup = |weight: &str, umkm_cost: &str| {
        let s = common::small(&[
            "simulation.ticks=30",
            weight,
            umkm_cost,
            "population.importer.count=40",
        ]);
        let mut m = Model::new(&s, 0);
        for _ in 0..s.ticks() {
            m.step();
        }
        let sellers = m.sellers();
        let markups: Vec<f64> = (0..sellers.len())
            .filter(|&j| sellers.alive[j] && sellers.kind[j] == SellerKind::Importer)
            .map(|j| f64::from(sellers.markup[j]))
            .collect();
        markups.iter().sum::<f64>() / markups.len() as f64
    };
    let cheap = "population.umkm.unit_cost_ratio=0.5";
    let dear = "population.umkm.unit_cost_ratio=0.8";
    let pulled = importer_markup("behaviour.rival_price_weight=0.8", dear)
        - importer_markup("behaviour.rival_price_weight=0.8", cheap);
    let alone = importer_markup("behaviour.rival_price_weight=0.0", dear)
        - importer_markup("behaviour.rival_price_weight=0.0", cheap);
    println!("importers' markup rise: {pulled:.3} with rivals' prices, {alone:.3} without");
    assert!(pulled > 0.2, "{pulled}");
    assert!(pulled > 3.0 * alone.abs(), "{pulled} vs {alone}");
}

/// The payment ban of 4 October 2023 (S77) against the baseline, same
/// seeds: the UMKM that sold on TikTok Shop in the eight weeks before it
/// lose revenue, more of them report a fall than without the ban, and the
/// bands count every seller of the segment once.
#[test]
fn a_payment_ban_cuts_the_revenue_of_sellers_who_sold_on_social() {
    // To the end of the bands' window: 4 October 2023 is tick 91, the
    // window from it ends at tick 98.
    let sets = ["simulation.ticks=99", "segments.social_before=2023-10-04"];
    let base = quarter("baseline.toml", &sets);
    let ban = quarter("payment_ban.toml", &sets);
    let sold = 1; // social_segment group `sold_on_social`
    let mut lower = [0.0; 2];
    for replicate in 0..2 {
        let (b, p) = (run(&base, replicate), run(&ban, replicate));
        // The same until the ban.
        assert_eq!(b[..91], p[..91]);
        let after = |r: &[TickRecord]| -> f64 {
            r[91..99]
                .iter()
                .map(|t| value(t, Metric::UmkmRevenueIdr, By::SocialSegment, sold))
                .sum()
        };
        assert!(
            after(&p) < 0.8 * after(&b),
            "segment revenue {} under the ban vs {}",
            after(&p),
            after(&b)
        );
        for (side, records) in [&b, &p].into_iter().enumerate() {
            let closing = &records[98];
            let bands: Vec<f64> = (0..BANDS.len())
                .map(|g| {
                    value(
                        closing,
                        Metric::SellersByRevenueChange,
                        By::RevenueChange,
                        g,
                    )
                })
                .collect();
            // Every seller of the segment in one band: the bands add up to
            // at most the segment's sellers alive when the window from the
            // date opens (the end of the tick before it), exits of the
            // window's ticks included (slots are not counted twice).
            let in_segment = value(&records[90], Metric::SellersAlive, By::SocialSegment, sold);
            let total: f64 = bands.iter().sum();
            assert!(
                total <= in_segment + 1e-9 && total > 0.5 * in_segment,
                "bands {total} of a segment of {in_segment}"
            );
            let survivors: f64 = bands[1..].iter().sum();
            lower[side] += bands[1..5].iter().sum::<f64>() / survivors;
        }
        // No band series outside the closing tick.
        assert!(
            b[97]
                .get(Metric::SellersByRevenueChange, By::RevenueChange, 0)
                .is_none()
        );
    }
    let (baseline, banned) = (lower[0] / 2.0, lower[1] / 2.0);
    println!("share with lower revenue: {banned:.2} under the ban, {baseline:.2} without");
    assert!(banned > baseline + 0.05, "{banned} vs {baseline}");
    assert!(
        close(banned, 0.84, 0.25),
        "far from the survey's 84%: {banned}"
    );
}

/// A ban closes the sellers who depended on the channel it shuts when
/// they hold little cash: with thin buffers and most sales on social
/// commerce, more of the segment exits under the payment ban than without
/// it, and the bands count them.
#[test]
fn a_ban_closes_sellers_who_depended_on_the_lost_channel() {
    let sets = [
        "simulation.ticks=16",
        "channels.social.affinity=1.5",
        "channels.social.affinity_trend=0.0",
        "population.umkm.initial_online_share=0.9",
        "population.umkm.initial_social_share=0.9",
        "population.umkm.fixed_cost_idr=40000",
        "population.umkm.initial_cash_idr=150000",
        "population.umkm.initial_cash_sd=0.3",
        "population.umkm.social_only_share=0.2",
        "population.umkm.count=600",
        "population.consumers.count=800",
        "behaviour.umkm_entry_rate=0.0",
        "segments.social_before=2022-02-28",
        "segments.window_ticks=8",
    ];
    let base = common::small(&sets);
    let ban = common::with_events(
        &base,
        vec![common::event(8, "payment_ban").with("channel", "social")],
    );
    let exited = |s: &Scenario| -> f64 {
        (0..3)
            .map(|replicate| {
                let records = run(s, replicate);
                // The window from tick 8 ends at tick 15.
                value(
                    &records[15],
                    Metric::SellersByRevenueChange,
                    By::RevenueChange,
                    0,
                )
            })
            .sum()
    };
    let (without, with) = (exited(&base), exited(&ban));
    println!("segment sellers closed in the window: {with} under the ban, {without} without");
    assert!(
        with > without + 10.0 * base.spec.simulation.seller_scale,
        "{with} vs {without}"
    );
}
