//! Orders and adoption (pasar 0.5): a purchase is an order of a basket of
//! units, counted in money, stock and surplus as that many units; and
//! consumers take a diffusing channel up on the Bass curve, never shopping
//! there before they have.

mod common;

use common::{close, from_spec, run, small, value};
use pasar::metrics::{By, Metric};
use pasar::model::Model;
use pasar::scenario::schema::{Adoption, bass_share};
use pasar::scenario::{Date, Scenario};

fn date(s: &str) -> Date {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e:?}"))
}

/// The small scenario with the social channel taken up from `launch` at
/// innovation `p`, imitation `q` and potential `m`.
fn diffusing(extra: &[&str], launch: &str, p: f64, q: f64, m: f64) -> Scenario {
    let base = small(extra);
    let mut spec = base.spec.clone();
    let social = spec.channels.get_mut("social").expect("a social channel");
    social.affinity_trend = 0.0;
    social.adoption = Some(Adoption {
        launch: date(launch),
        innovation: p,
        imitation: q,
        potential: m,
    });
    from_spec(&spec)
}

#[test]
fn the_bass_curve_starts_at_zero_rises_and_levels_off_at_its_potential() {
    let (p, q) = (0.003, 0.08);
    assert_eq!(bass_share(-1.0, p, q), 0.0);
    assert_eq!(bass_share(0.0, p, q), 0.0);
    let path: Vec<f64> = (1..400).map(|t| bass_share(t as f64, p, q)).collect();
    assert!(path.windows(2).all(|w| w[1] > w[0]), "not increasing");
    assert!((path[398] - 1.0).abs() < 1e-9, "no plateau: {}", path[398]);
    // Fastest growth at the inflection t* = ln(q/p) / (p + q), where the
    // curve stands at (1 - p/q) / 2 (Bass 1969).
    let inflection = (q / p).ln() / (p + q);
    let at = bass_share(inflection, p, q);
    assert!((at - (1.0 - p / q) / 2.0).abs() < 1e-12, "{at}");
    let slope = |t: f64| bass_share(t + 0.5, p, q) - bass_share(t - 0.5, p, q);
    assert!(slope(inflection) > slope(inflection - 10.0));
    assert!(slope(inflection) > slope(inflection + 10.0));
    // With no imitation it is the exponential 1 - e^{-pt}.
    assert!((bass_share(100.0, 0.01, 0.0) - (1.0 - (-1.0f64).exp())).abs() < 1e-12);
    // The potential scales it.
    let a = Adoption {
        launch: date("2022-01-03"),
        innovation: p,
        imitation: q,
        potential: 0.4,
    };
    assert!((a.share_at(date("2030-01-07")) - 0.4).abs() < 1e-9);
}

#[test]
fn the_share_of_adopters_follows_the_bass_curve_and_only_adopters_buy_there() {
    let (p, q, m) = (0.01, 0.1, 0.7);
    let scenario = diffusing(
        &["population.consumers.count=3000", "simulation.ticks=30"],
        "2021-12-01",
        p,
        q,
        m,
    );
    let social = common::channel_index(&scenario, "social");
    let n = scenario.spec.population.consumers.count as f64;
    let scale = scenario.spec.simulation.consumer_scale;
    let records = run(&scenario);
    for (t, rec) in records.iter().enumerate() {
        let f = scenario.spec.channels["social"]
            .adoption
            .as_ref()
            .expect("adoption")
            .share_at(scenario.date_of_tick(t as u32));
        let share = value(rec, Metric::Adopters, By::Channel, social) / scale / n;
        // Each consumer's threshold is uniform: the count is binomial.
        let sd = (f * (1.0 - f) / n).sqrt();
        assert!(
            (share - f).abs() <= 4.0 * sd + 1.0 / n,
            "tick {t}: {share} of consumers adopted, Bass gives {f}"
        );
    }
    // The same consumers adopt in every tick after they first do: the
    // count never falls.
    let counts: Vec<f64> = records
        .iter()
        .map(|r| value(r, Metric::Adopters, By::Channel, social))
        .collect();
    assert!(counts.windows(2).all(|w| w[1] >= w[0]), "{counts:?}");

    // Launched after the run ends: nobody adopts and nobody buys there,
    // while the other channels sell as before.
    let later = diffusing(&["simulation.ticks=10"], "2030-01-01", p, q, m);
    for (t, rec) in run(&later).iter().enumerate() {
        assert_eq!(value(rec, Metric::Adopters, By::Channel, social), 0.0);
        assert_eq!(
            value(rec, Metric::Purchases, By::Channel, social),
            0.0,
            "tick {t}: a purchase on a channel no consumer has taken up"
        );
        assert!(value(rec, Metric::Purchases, By::All, 0) > 0.0);
    }
}

#[test]
fn a_payment_ban_stops_purchases_not_adoption() {
    // A taste for the social channel that makes it sell without a trend.
    let scenario = diffusing(
        &["simulation.ticks=12", "channels.social.affinity=-1"],
        "2021-06-01",
        0.01,
        0.1,
        0.9,
    );
    let social = common::channel_index(&scenario, "social");
    let mut ban = common::event(4, "payment_ban");
    ban.args
        .insert("channel".into(), toml::Value::String("social".into()));
    let banned = common::with_events(&scenario, vec![ban]);
    let (free, stopped) = (run(&scenario), run(&banned));
    for t in 0..12 {
        let adopters =
            |r: &[pasar::metrics::TickRecord]| value(&r[t], Metric::Adopters, By::Channel, social);
        assert_eq!(adopters(&free), adopters(&stopped), "tick {t}");
        let found = |r: &pasar::metrics::TickRecord| {
            value(r, Metric::GmvIdr, By::DiscoveryChannel, social)
                + value(r, Metric::PurchasesLost, By::DiscoveryChannel, social)
        };
        // Adopters go on finding goods there: bought before the ban, lost
        // (or bought elsewhere) after it.
        assert!(
            found(&stopped[t]) > 0.0,
            "tick {t}: nothing found on the channel"
        );
        if t >= 4 {
            assert_eq!(
                value(&stopped[t], Metric::Purchases, By::Channel, social),
                0.0
            );
            assert!(
                value(
                    &stopped[t],
                    Metric::PurchasesLost,
                    By::DiscoveryChannel,
                    social
                ) > 0.0
            );
        }
    }
}

/// The small scenario with baskets `marketplace` and `social` (offline 1).
fn baskets(marketplace: f64, social: f64, extra: &[&str]) -> Scenario {
    let mut sets: Vec<String> = vec![
        format!("channels.marketplace.units_per_order={marketplace}"),
        format!("channels.social.units_per_order={social}"),
    ];
    sets.extend(extra.iter().map(|s| s.to_string()));
    let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
    small(&sets)
}

#[test]
fn money_counts_every_unit_of_an_order_and_orders_count_once() {
    let scenario = baskets(2.5, 1.5, &[]);
    let ch = |name| common::channel_index(&scenario, name);
    let b = [1.0, 2.5, 1.5];
    for (t, rec) in run(&scenario).iter().enumerate() {
        // GMV over the units at their mean unit price: units are the
        // orders of each channel times its basket.
        let gmv = value(rec, Metric::GmvIdr, By::All, 0);
        let unit_price = value(rec, Metric::AvgPriceIdr, By::All, 0);
        let units: f64 = ["offline", "marketplace", "social"]
            .iter()
            .zip(b)
            .map(|(name, b)| b * value(rec, Metric::Purchases, By::Channel, ch(name)))
            .sum();
        assert!(
            close(gmv / unit_price, units, 1e-9),
            "tick {t}: GMV / unit price = {} units, orders x baskets = {units}",
            gmv / unit_price
        );
    }
}

#[test]
fn stock_is_counted_in_units_and_a_seller_short_of_a_basket_is_sold_out() {
    // Every UMKM holds 3 units a week (capacity exactly 3 at this scale),
    // and every order on every channel is 2 units: a seller serves one
    // order a week, and the unit left can serve none.
    let scale = common::small(&[]).spec.simulation.consumer_scale / 1000.0;
    let capacity = format!("population.umkm.capacity_median={}", 3.0 * scale);
    let scenario = baskets(
        2.0,
        2.0,
        &[
            "channels.offline.units_per_order=2",
            &capacity,
            "population.umkm.capacity_sd=0",
            "population.importer.count=0",
            "simulation.ticks=3",
        ],
    );
    let mut model = Model::new(&scenario, 0);
    for t in 0..3 {
        model.step();
        let s = model.sellers();
        let mut sold_out = 0;
        for j in (0..s.len()).filter(|&j| s.alive[j]) {
            let tally = s.tally[j];
            assert_eq!(tally.capacity, 300, "tick {t}: capacity in hundredths");
            let sold = tally.units_sold();
            assert!(
                sold == 0.0 || sold == 2.0,
                "tick {t}: seller {j} sold {sold} units"
            );
            sold_out += usize::from(sold == 2.0);
        }
        assert!(sold_out > 0, "tick {t}: no seller filled an order");
    }
}

#[test]
fn doubling_every_basket_doubles_money_and_leaves_orders_alone() {
    // Nothing reads units but money, stock and popularity: with ample
    // stock, no popularity in the ranking and no closures, orders are the
    // same and every rupiah doubles.
    let frozen = [
        "channels.offline.w_popularity=0",
        "channels.marketplace.w_popularity=0",
        "channels.social.w_popularity=0",
        "population.umkm.capacity_median=1e9",
        "population.importer.capacity_median=1e9",
        "population.umkm.fixed_cost_idr=0",
        "population.importer.fixed_cost_idr=0",
        "simulation.ticks=8",
    ];
    let one = baskets(1.0, 1.0, &frozen);
    let mut sets = frozen.to_vec();
    sets.push("channels.offline.units_per_order=2");
    let two = baskets(2.0, 2.0, &sets);
    for (t, (a, b)) in run(&one).iter().zip(run(&two).iter()).enumerate() {
        assert_eq!(
            value(a, Metric::Purchases, By::All, 0),
            value(b, Metric::Purchases, By::All, 0),
            "tick {t}: orders"
        );
        for metric in [
            Metric::GmvIdr,
            Metric::CommissionIdr,
            Metric::ConsumerSurplusIdr,
        ] {
            let (x, y) = (value(a, metric, By::All, 0), value(b, metric, By::All, 0));
            assert!(close(2.0 * x, y, 1e-9), "tick {t}: {metric:?} {x} then {y}");
        }
        assert!(close(
            value(a, Metric::AvgPriceIdr, By::All, 0),
            value(b, Metric::AvgPriceIdr, By::All, 0),
            1e-9
        ));
    }
}

#[test]
fn a_drifting_taste_and_a_diffusion_on_one_channel_are_refused() {
    let scenario = diffusing(&[], "2021-06-01", 0.01, 0.1, 0.9);
    let mut spec = scenario.spec.clone();
    spec.channels
        .get_mut("social")
        .expect("social")
        .affinity_trend = 0.01;
    let err = Scenario::from_spec(&spec).expect_err("both were accepted");
    let text = format!("{err}");
    assert!(
        text.contains("channels.social.affinity_trend") && text.contains("[adoption]"),
        "{text}"
    );
}
