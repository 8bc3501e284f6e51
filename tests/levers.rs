//! Each policy lever of docs/ODD.md section 11 moves the outputs in the
//! expected direction and by the expected size. A scenario is compared with
//! the same scenario plus the event, same seed (common random numbers): the
//! two runs agree bit for bit before the event, and where the lever cannot
//! yet have changed behaviour the difference is exactly the lever's.

mod common;

use common::{
    DECODABLE_RATES, category_index, channel_index, close, event, sales_by_channel, small,
    with_events,
};
use pasar::metrics::{By, Metric, TickRecord};
use pasar::model::Model;
use pasar::model::sellers::{SellerKind, Sellers};
use pasar::scenario::Scenario;
use pasar::scenario::schema::EventSpec;

/// `s` with the marketplace's take rate set to `rate` from tick 3.
fn marketplace_take_rate_from_tick_3(s: &Scenario, rate: f64) -> Scenario {
    with_events(
        s,
        vec![
            event(3, "take_rate")
                .with("channel", "marketplace")
                .with("rate", rate),
        ],
    )
}

/// The small baseline with a social channel worth using.
fn base(extra: &[&str]) -> Scenario {
    let mut sets = vec![
        "simulation.ticks=14",
        "channels.social.affinity=-0.5",
        "channels.social.affinity_trend=0.0",
        "population.umkm.initial_social_share=0.4",
    ];
    sets.extend_from_slice(extra);
    small(&sets)
}

/// Seller state before a step.
struct Before {
    id: Vec<u32>,
    alive: Vec<bool>,
    cash: Vec<f64>,
    listings: Vec<u16>,
}

impl Before {
    fn of(m: &Model) -> Before {
        let s = m.sellers();
        Before {
            id: s.id.clone(),
            alive: s.alive.clone(),
            cash: s.cash.clone(),
            listings: s.listings.clone(),
        }
    }

    /// Slots alive before the step and still held by the same seller.
    fn kept<'a>(&'a self, s: &'a Sellers) -> impl Iterator<Item = usize> + 'a {
        (0..self.id.len()).filter(move |&j| self.alive[j] && s.id[j] == self.id[j])
    }
}

/// One tick of two runs side by side.
struct Pair<'a> {
    tick: u32,
    base: &'a Model<'a>,
    with: &'a Model<'a>,
    base_rec: &'a TickRecord,
    with_rec: &'a TickRecord,
    base_before: &'a Before,
    with_before: &'a Before,
}

/// Step the scenario without and with the event together; the records
/// must agree bit for bit before `event_tick`.
fn lockstep(
    without: &Scenario,
    with: &Scenario,
    event_tick: u32,
    mut check: impl FnMut(&Pair),
) -> (Vec<TickRecord>, Vec<TickRecord>) {
    let mut a = Model::new(without, 0);
    let mut b = Model::new(with, 0);
    let (mut ra, mut rb) = (Vec::new(), Vec::new());
    for t in 0..without.ticks() {
        let (before_a, before_b) = (Before::of(&a), Before::of(&b));
        let rec_a = a.step();
        let rec_b = b.step();
        if t < event_tick {
            assert_eq!(rec_a, rec_b, "tick {t}: the runs differ before the event");
        }
        check(&Pair {
            tick: t,
            base: &a,
            with: &b,
            base_rec: &rec_a,
            with_rec: &rec_b,
            base_before: &before_a,
            with_before: &before_b,
        });
        ra.push(rec_a);
        rb.push(rec_b);
    }
    (ra, rb)
}

/// Run a scenario alone, handing each tick's state to `check`.
fn trace(
    scenario: &Scenario,
    mut check: impl FnMut(u32, &Model, &Before, &TickRecord),
) -> Vec<TickRecord> {
    let mut m = Model::new(scenario, 0);
    (0..scenario.ticks())
        .map(|t| {
            let before = Before::of(&m);
            let rec = m.step();
            check(t, &m, &before, &rec);
            rec
        })
        .collect()
}

/// Common random numbers: two runs agree bit for bit before `tick`.
fn assert_same_until(a: &[TickRecord], b: &[TickRecord], tick: u32) {
    for (x, y) in a.iter().zip(b).take_while(|(x, _)| x.tick < tick) {
        assert_eq!(x, y, "tick {}: the runs differ before the event", x.tick);
    }
}

fn v(rec: &TickRecord, metric: Metric, by: By, group: usize) -> f64 {
    common::value(rec, metric, by, group)
}

fn total(records: &[TickRecord], from: u32, metric: Metric, by: By, group: usize) -> f64 {
    records
        .iter()
        .filter(|r| r.tick >= from)
        .map(|r| v(r, metric, by, group))
        .sum()
}

/// |observed − n·p| within four binomial standard errors.
fn assert_binomial(observed: f64, n: f64, p: f64, what: &str) {
    let sd = (n * p * (1.0 - p)).sqrt();
    let z = (observed - n * p) / sd.max(1e-9);
    assert!(
        z.abs() < 4.0,
        "{what}: {observed} of {n}, expected {:.1} (z = {z:.2})",
        n * p
    );
}

const UMKM: usize = SellerKind::Umkm as usize;
const IMPORTER: usize = SellerKind::Importer as usize;
const AFFILIATE: usize = SellerKind::Affiliate as usize;

#[test]
fn payment_ban_ends_social_transactions() {
    let without = base(&[]);
    let with = with_events(
        &without,
        vec![event(5, "payment_ban").with("channel", "social")],
    );
    let social = channel_index(&without, "social");
    let (a, b) = (common::run(&without), common::run(&with));
    assert_same_until(&a, &b, 5);
    assert!(
        total(&a, 0, Metric::Purchases, By::Channel, social) > 0.0,
        "social sells without the ban"
    );
    for r in b.iter().filter(|r| r.tick >= 5) {
        assert_eq!(
            v(r, Metric::Purchases, By::Channel, social),
            0.0,
            "tick {}",
            r.tick
        );
        assert_eq!(v(r, Metric::GmvIdr, By::Channel, social), 0.0);
        assert_eq!(v(r, Metric::CommissionIdr, By::Channel, social), 0.0);
        // Without a partner a purchase found on social is found again on
        // the channel chosen next, or lost.
        assert_eq!(v(r, Metric::GmvIdr, By::DiscoveryChannel, social), 0.0);
        assert_eq!(v(r, Metric::PurchasesRedirected, By::Channel, social), 0.0);
        let by_channel: f64 = (0..3)
            .map(|k| v(r, Metric::PurchasesRedirected, By::Channel, k))
            .sum();
        assert!(close(
            by_channel,
            v(r, Metric::PurchasesRedirected, By::All, 0),
            1e-12
        ));
    }
    assert!(total(&b, 5, Metric::PurchasesLost, By::DiscoveryChannel, social) > 0.0);
    // The choice made again reaches both offline and the marketplace.
    for name in ["offline", "marketplace"] {
        let k = channel_index(&with, name);
        assert!(
            total(&b, 5, Metric::PurchasesRedirected, By::Channel, k) > 0.0,
            "nothing chosen again on {name}"
        );
    }
    assert_eq!(total(&a, 0, Metric::PurchasesLost, By::All, 0), 0.0);
    // Leakage: fewer purchases in all.
    assert!(
        total(&b, 5, Metric::Purchases, By::All, 0) < total(&a, 5, Metric::Purchases, By::All, 0)
    );
}

/// The switching friction φ moves purchases from choosing again to giving
/// up: in the ban's first tick, on the same draws, every purchase lost at
/// a lower φ is lost at a higher one; over the run, more φ, more lost.
#[test]
fn the_switch_friction_decides_between_giving_up_and_choosing_again() {
    let run = |phi: &str| {
        let set = format!("behaviour.switch_friction={phi}");
        let scenario = with_events(
            &base(&[set.as_str(), "population.consumers.purchase_rate_mean=3.0"]),
            vec![event(0, "payment_ban").with("channel", "social")],
        );
        let mut first = None;
        let records = trace(&scenario, |t, m, _, _| {
            if t == 0 {
                first = Some((m.flows().lost, m.flows().redirected));
            }
        });
        let lost = total(&records, 0, Metric::PurchasesLost, By::All, 0);
        let redirected = total(&records, 0, Metric::PurchasesRedirected, By::All, 0);
        (first.expect("a first tick"), lost, redirected)
    };
    let (low, mid, high) = (run("-2.0"), run("0.0"), run("2.0"));
    assert!(
        low.0.0 <= mid.0.0 && mid.0.0 <= high.0.0,
        "{low:?} {mid:?} {high:?}"
    );
    assert!(
        low.1 < mid.1 && mid.1 < high.1,
        "lost: {low:?} {mid:?} {high:?}"
    );
    assert!(
        low.2 > mid.2 && mid.2 > high.2,
        "chosen again: {low:?} {mid:?} {high:?}"
    );
    // Share given up among failed checkouts: e^{φ} weights the channel
    // left, so the share rises steeply with φ.
    let share = |r: &((u64, u64), f64, f64)| r.1 / (r.1 + r.2);
    assert!(
        share(&low) < 0.25 && share(&high) > 0.5,
        "{} {}",
        share(&low),
        share(&high)
    );
}

/// With a checkout partner a purchase found on social completes on the
/// partner when its seller is listed there; affiliates listed only on
/// social cannot, until onboarding lists them on the partner.
#[test]
fn checkout_partner_completes_purchases_of_sellers_listed_on_it() {
    let mut sets = vec![
        "population.affiliate.count=8",
        "population.consumers.purchase_rate_mean=3.0",
        "behaviour.umkm_entry_rate=0.0",
        "behaviour.importer_entry_rate=0.0",
    ];
    sets.extend_from_slice(DECODABLE_RATES);
    let banned = with_events(
        &base(&sets),
        vec![event(0, "payment_ban").with("channel", "social")],
    );
    let partner_of = |banned: &Scenario, onboarding: f64| {
        with_events(
            banned,
            vec![
                event(0, "checkout_partner")
                    .with("channel", "social")
                    .with("partner", "marketplace")
                    .with("onboarding", onboarding),
            ],
        )
    };
    let partner = |onboarding: f64| partner_of(&banned, onboarding);
    let social = channel_index(&banned, "social");
    let mp = channel_index(&banned, "marketplace");
    let (social_bit, mp_bit) = (1u16 << social, 1u16 << mp);
    // Without onboarding: affiliates never sell; sellers on both channels
    // sell social's discoveries on the marketplace.
    let mut affiliate_sales = 0;
    let records = trace(&partner(0.0), |_, m, before, _| {
        let s = m.sellers();
        for j in before.kept(s) {
            if s.kind[j] == SellerKind::Affiliate {
                affiliate_sales += s.tally[j].units_sold() as u32;
                assert_eq!(s.listings[j] & mp_bit, 0, "affiliate {j} onboarded");
            }
        }
        assert_eq!(m.flows().purchases_tx[social], 0);
    });
    assert_eq!(
        affiliate_sales, 0,
        "affiliates sold without a listing on the partner"
    );
    assert!(total(&records, 0, Metric::GmvIdr, By::DiscoveryChannel, social) > 0.0);
    assert!(total(&records, 0, Metric::PurchasesLost, By::All, 0) > 0.0);
    // Onboarding 1: every seller of social is on the partner from the
    // second tick, so nothing found on social is lost after it, and
    // affiliates sell, paying the partner's commission.
    let mut affiliate_on_mp = 0;
    trace(&partner(1.0), |t, m, before, _| {
        let s = m.sellers();
        for j in before.kept(s) {
            if s.kind[j] == SellerKind::Affiliate {
                let (off, on_mp, on_social) = sales_by_channel(s, j);
                assert_eq!((off, on_social), (0, 0), "affiliate {j}");
                affiliate_on_mp += on_mp;
            }
            if s.listings[j] & social_bit != 0 {
                assert_ne!(
                    s.listings[j] & mp_bit,
                    0,
                    "tick {t}: seller {j} not onboarded"
                );
            }
        }
        if t >= 1 {
            assert_eq!(m.flows().lost, 0, "tick {t}");
        }
    });
    assert!(affiliate_on_mp > 0, "affiliates sell through the partner");
    // Onboarding 0.1: of social's sellers not on the partner (here its
    // many affiliates), 10% a tick join it.
    let mut many = sets.clone();
    many.push("population.affiliate.count=80");
    let banned = with_events(
        &base(&many),
        vec![event(0, "payment_ban").with("channel", "social")],
    );
    let (mut joined, mut could) = (0u64, 0u64);
    trace(&partner_of(&banned, 0.1), |_, m, before, _| {
        let s = m.sellers();
        for j in before.kept(s) {
            let was = before.listings[j];
            if was & social_bit != 0 && was & mp_bit == 0 {
                could += 1;
                joined += u64::from(s.listings[j] & mp_bit != 0);
            }
        }
    });
    assert!(could > 100, "{could} sellers could join");
    assert_binomial(joined as f64, could as f64, 0.1, "sellers onboarded");
}

/// `until` ends a lever: a ban lifted, a commission restored.
#[test]
fn an_event_with_until_stops_at_its_end() {
    let without = base(&[]);
    let social = channel_index(&without, "social");
    let ban = |e: EventSpec| EventSpec {
        until_tick: Some(9),
        ..e
    };
    let with = with_events(
        &without,
        vec![
            ban(event(4, "payment_ban").with("channel", "social")),
            ban(event(4, "take_rate")
                .with("channel", "marketplace")
                .with("rate", 0.2)),
        ],
    );
    let rate = without.spec.channels["marketplace"].take_rate;
    let mp = channel_index(&without, "marketplace");
    let records = trace(&with, |t, m, _, _| {
        let banned = (4..9).contains(&t);
        assert_eq!(m.policy().payments_allowed[social], !banned, "tick {t}");
        let expected = if banned { 0.2 } else { rate };
        assert_eq!(m.policy().take_rate[mp], expected, "tick {t}");
    });
    assert!(total(&records, 9, Metric::Purchases, By::Channel, social) > 0.0);
    assert_eq!(
        records
            .iter()
            .filter(|r| (4..9).contains(&r.tick))
            .map(|r| v(r, Metric::Purchases, By::Channel, social))
            .sum::<f64>(),
        0.0
    );
}

/// An `end` event stops what it names, as an `until` would: the same run.
#[test]
fn an_end_event_is_an_until() {
    let without = base(&[]);
    let with_until = with_events(
        &without,
        vec![EventSpec {
            until_tick: Some(9),
            ..event(4, "payment_ban").with("channel", "social")
        }],
    );
    let with_end = with_events(
        &without,
        vec![
            event(4, "payment_ban").with("channel", "social"),
            event(9, "end")
                .with("ends", "payment_ban")
                .with("channel", "social"),
        ],
    );
    assert_eq!(with_end.timeline[0].until, Some(9));
    let (a, b) = (common::run(&with_until), common::run(&with_end));
    assert_eq!(a, b);
    // An end with nothing to end is refused.
    let mut spec = without.spec.clone();
    spec.events
        .push(event(9, "end").with("ends", "payment_ban"));
    let refused = Scenario::from_spec(&spec).expect_err("nothing to end");
    assert!(
        format!("{refused}").contains("no payment_ban event is in force at tick 9"),
        "{refused}"
    );
}

/// `change_owner`: the acquired channel's GMV moves to its new owner's
/// series, the new owner's affiliates list there, and its self-preference
/// now favours them.
#[test]
fn change_owner_moves_a_channel_to_its_new_owner() {
    let without = base(&[
        "population.affiliate.count=10",
        "channels.marketplace.self_preference=3.0",
    ]);
    let acquired = |owner: &str| {
        with_events(
            &without,
            vec![
                event(4, "change_owner")
                    .with("channel", "marketplace")
                    .with("owner", owner),
            ],
        )
    };
    let scenario = acquired("bytedance");
    let names = pasar::metrics::GroupNames::of(&scenario);
    let owner = |name: &str| {
        (0..names.count(By::Owner))
            .find(|&o| names.name(By::Owner, o as u16) == name)
            .unwrap_or_else(|| panic!("no owner {name}"))
    };
    let (bytedance, marketplaces) = (owner("bytedance"), owner("marketplaces"));
    let (social, mp) = (
        channel_index(&scenario, "social"),
        channel_index(&scenario, "marketplace"),
    );
    let mp_bit = 1u16 << mp;
    let mut affiliate_mp_sales = 0u32;
    let records = trace(&scenario, |t, m, _, rec| {
        let s = m.sellers();
        let listed = (0..s.len())
            .filter(|&j| s.alive[j] && s.kind[j] == SellerKind::Affiliate)
            .all(|j| s.listings[j] & mp_bit != 0);
        assert_eq!(listed, t >= 4, "tick {t}: affiliates on the marketplace");
        if t >= 4 {
            affiliate_mp_sales += (0..s.len())
                .filter(|&j| s.kind[j] == SellerKind::Affiliate && s.eligible[j] & mp_bit != 0)
                .map(|j| s.tally[j].units_sold() as u32)
                .sum::<u32>();
        }
        let expected = if t >= 4 {
            v(rec, Metric::GmvIdr, By::Channel, social) + v(rec, Metric::GmvIdr, By::Channel, mp)
        } else {
            v(rec, Metric::GmvIdr, By::Channel, social)
        };
        assert!(
            close(
                v(rec, Metric::GmvIdr, By::Owner, bytedance),
                expected,
                1e-12
            ),
            "tick {t}"
        );
        let left = if t >= 4 {
            0.0
        } else {
            v(rec, Metric::GmvIdr, By::Channel, mp)
        };
        assert!(
            close(v(rec, Metric::GmvIdr, By::Owner, marketplaces), left, 1e-12),
            "tick {t}"
        );
    });
    assert!(
        affiliate_mp_sales > 0,
        "affiliates sell on the acquired channel"
    );
    assert!(total(&records, 4, Metric::GmvShare, By::Owner, bytedance) > 0.0);
    // Given to someone else, the marketplace lists no affiliate.
    trace(&acquired("newco"), |t, m, _, _| {
        let s = m.sellers();
        assert!(
            (0..s.len())
                .filter(|&j| s.kind[j] == SellerKind::Affiliate)
                .all(|j| s.listings[j] & mp_bit == 0),
            "tick {t}"
        );
    });
}

#[test]
fn cross_border_ban_removes_importers_from_the_marketplace() {
    let mut sets = vec!["population.importer.count=30"];
    sets.extend_from_slice(DECODABLE_RATES);
    let without = base(&sets);
    let with = with_events(
        &without,
        vec![event(4, "cross_border_ban").with("channels", vec!["marketplace"])],
    );
    let mp_bit = 1u16 << channel_index(&without, "marketplace");
    let (mut before_mp, mut after_mp, mut after_social, mut umkm_mp) = (0, 0, 0, 0);
    let (a, b) = lockstep(&without, &with, 4, |p| {
        let s = p.with.sellers();
        for j in p.with_before.kept(s) {
            let (_, on_mp, on_social) = sales_by_channel(s, j);
            match s.kind[j] {
                SellerKind::Importer if p.tick < 4 => before_mp += on_mp,
                SellerKind::Importer => {
                    assert_eq!(
                        s.eligible[j] & mp_bit,
                        0,
                        "tick {}: importer {j} eligible on the marketplace",
                        p.tick
                    );
                    after_mp += on_mp;
                    after_social += on_social;
                }
                SellerKind::Umkm if p.tick >= 4 => umkm_mp += on_mp,
                _ => {}
            }
        }
    });
    assert!(
        before_mp > 0,
        "importers sold on the marketplace before the ban"
    );
    assert_eq!(
        after_mp, 0,
        "importers sold on the marketplace after the ban"
    );
    assert!(after_social > 0, "importers still sell on social");
    assert!(umkm_mp > 0, "UMKM still sell on the marketplace");
    assert!(
        total(&b, 4, Metric::GmvIdr, By::Kind, IMPORTER)
            < total(&a, 4, Metric::GmvIdr, By::Kind, IMPORTER)
    );
    assert!(
        total(&b, 4, Metric::GmvIdr, By::Kind, UMKM) > total(&a, 4, Metric::GmvIdr, By::Kind, UMKM)
    );
}

/// The goods' value a floor is tested on: the price without shipping and
/// duty (FOB, Permendag 31/2023 Art. 19(2)).
fn fob(m: &Model, j: usize) -> f64 {
    let s = m.sellers();
    s.price[j] - (m.landed_cost(j) - f64::from(s.unit_cost[j]))
}

#[test]
fn import_price_floor_tests_the_goods_value_without_shipping() {
    let without = base(&["population.importer.count=30"]);
    // A floor at the median importer FOB value of the first tick.
    let mut m = Model::new(&without, 0);
    m.step();
    let s = m.sellers();
    let mut values: Vec<f64> = (0..s.len())
        .filter(|&j| s.kind[j] == SellerKind::Importer)
        .map(|j| fob(&m, j))
        .collect();
    values.sort_by(f64::total_cmp);
    let usd_idr = 15_000.0;
    let usd = values[values.len() / 2] / usd_idr;
    let with = with_events(
        &without,
        vec![
            event(0, "import_price_floor")
                .with("usd", usd)
                .with("usd_idr", usd_idr),
        ],
    );
    let floor = usd * usd_idr;
    let (mut below, mut above_sold, mut shipping_would_clear) = (0, 0, 0);
    let (a, b) = lockstep(&without, &with, 0, |p| {
        let s = p.with.sellers();
        for j in p.with_before.kept(s) {
            if s.kind[j] != SellerKind::Importer {
                continue;
            }
            if fob(p.with, j) < floor {
                below += 1;
                // Priced over the floor only with shipping counted: the
                // regulation's FOB test still binds.
                shipping_would_clear += usize::from(s.price[j] >= floor);
                assert_eq!(
                    s.eligible[j],
                    0,
                    "tick {}: importer {j} with goods at {} under {floor}",
                    p.tick,
                    fob(p.with, j)
                );
                assert_eq!(
                    s.tally[j].units_sold() as u32,
                    0,
                    "tick {}: importer {j} sold under the floor",
                    p.tick
                );
            } else {
                assert_eq!(
                    s.eligible[j],
                    s.listings[j]
                        & p.with
                            .policy()
                            .cross_border_allowed
                            .iter()
                            .enumerate()
                            .fold(0u16, |m, (k, &a)| if a { m | (1 << k) } else { m })
                );
                above_sold += s.tally[j].units_sold() as u32;
            }
        }
    });
    assert!(
        below > 0 && above_sold > 0,
        "{below} below the floor, {above_sold} sales above"
    );
    assert!(
        shipping_would_clear > 0,
        "no importer whose price with shipping clears the floor and whose goods do not"
    );
    assert!(
        total(&b, 0, Metric::GmvIdr, By::Kind, IMPORTER)
            < total(&a, 0, Metric::GmvIdr, By::Kind, IMPORTER)
    );
}

/// Art. 19(4): positive-list goods are exempt from the floor. Under a floor
/// no importer clears, importers sell in the listed categories only; a
/// positive list without a floor changes nothing.
#[test]
fn positive_list_exempts_listed_categories_from_the_floor() {
    let without = base(&["population.importer.count=30"]);
    let floor = event(0, "import_price_floor")
        .with("usd", 1e6)
        .with("usd_idr", 15_000.0);
    let listed = event(2, "positive_list").with("categories", vec!["fashion", "food"]);
    let with = with_events(&without, vec![floor, listed.clone()]);
    let open = [
        category_index(&without, "fashion"),
        category_index(&without, "food"),
    ];
    let (mut outside, mut inside, mut before_list) = (0, 0, 0);
    trace(&with, |t, m, before, _| {
        let s = m.sellers();
        for j in before.kept(s) {
            if s.kind[j] != SellerKind::Importer {
                continue;
            }
            if t < 2 {
                before_list += s.tally[j].units_sold() as u32;
            } else if open.contains(&(s.category[j] as usize)) {
                inside += s.tally[j].units_sold() as u32;
            } else {
                assert_eq!(s.eligible[j], 0);
                outside += s.tally[j].units_sold() as u32;
            }
        }
    });
    assert_eq!(before_list, 0, "the floor binds everywhere before the list");
    assert_eq!(outside, 0, "importers sold outside the positive list");
    assert!(inside > 0, "listed categories are exempt from the floor");

    // Without a floor, the list alone leaves every number as it was.
    let list_only = with_events(&without, vec![listed]);
    let runs = |scenario| {
        let mut m = Model::new(scenario, 0);
        (0..6).map(|_| m.step()).collect::<Vec<_>>()
    };
    assert_eq!(runs(&without), runs(&list_only));
}

#[test]
fn self_preference_raises_affiliates_share() {
    // Few listings compared, so the ranking decides what is seen.
    let without = base(&[
        "population.affiliate.count=12",
        "channels.social.consideration=3",
        "channels.social.attention=2.0",
    ]);
    let bonus = |b: f64| {
        with_events(
            &without,
            vec![
                event(2, "self_preference")
                    .with("channel", "social")
                    .with("bonus", b),
            ],
        )
    };
    let affiliate_share = |r: &[TickRecord]| {
        total(r, 2, Metric::GmvIdr, By::Kind, AFFILIATE) / total(r, 2, Metric::GmvIdr, By::All, 0)
    };
    let a = common::run(&without);
    let b = common::run(&bonus(3.0));
    assert_same_until(&a, &b, 2);
    let (share_a, share_b) = (affiliate_share(&a), affiliate_share(&b));
    assert!(share_a > 0.0, "affiliates sell without the bonus");
    assert!(
        share_b > 1.5 * share_a,
        "affiliate GMV share {share_a} without, {share_b} with the bonus"
    );
    // A bonus of 0 is the default: banning self-preferencing changes nothing here.
    assert_eq!(common::run(&bonus(0.0)), a);
    // A ban after a bonus brings the share down again.
    let on_off = with_events(
        &bonus(3.0),
        vec![
            event(8, "self_preference")
                .with("channel", "social")
                .with("bonus", 0.0),
        ],
    );
    let c = common::run(&on_off);
    assert_same_until(&b, &c, 8);
    let late = |r: &[TickRecord]| {
        total(r, 9, Metric::GmvIdr, By::Kind, AFFILIATE) / total(r, 9, Metric::GmvIdr, By::All, 0)
    };
    assert!(
        late(&c) < late(&b),
        "{} after the ban vs {} with the bonus",
        late(&c),
        late(&b)
    );
}

/// Project S: every `every` ticks the social channel's owner places
/// `entrants` affiliates in each of its `top` categories by social GMV this
/// tick, copying the quality of the category's best seller on social.
#[test]
fn project_s_places_affiliates_in_the_top_categories() {
    let mut sets = vec![
        // No exits: every seller that sold is still readable after the step.
        "population.umkm.fixed_cost_idr=0.0",
        "population.importer.fixed_cost_idr=0.0",
        "behaviour.umkm_entry_rate=0.0",
        "behaviour.importer_entry_rate=0.0",
    ];
    sets.extend_from_slice(DECODABLE_RATES);
    let without = base(&sets);
    let (every, top, entrants) = (3u32, 2usize, 3usize);
    let with = with_events(
        &without,
        vec![
            event(2, "project_s")
                .with("channel", "social")
                .with("every", every as i64)
                .with("top", top as i64)
                .with("entrants", entrants as i64)
                .with("cost_factor", 0.8),
        ],
    );
    let social = channel_index(&without, "social");
    let nc = without.spec.categories.len();
    let owner_channels = 1u16 << social;
    let mut rounds = 0;
    let b = trace(&with, |tick, m, before, rec| {
        let s = m.sellers();
        let max_id = before.id.iter().copied().max().unwrap_or(0);
        let new: Vec<usize> = (0..s.len()).filter(|&j| s.id[j] > max_id).collect();
        assert!(before.kept(s).all(|j| s.alive[j]), "no exits here");
        let round = tick >= 2 && (tick - 2) % every == 0;
        if !round {
            assert!(new.is_empty(), "tick {}: entrants outside a round", tick);
            return;
        }
        rounds += 1;
        // Social GMV by category and each category's best seller on social.
        let gmv = &m.flows().gmv_tx_category[social * nc..(social + 1) * nc];
        let mut ranked: Vec<usize> = (0..nc).filter(|&c| gmv[c] > 0.0).collect();
        ranked.sort_by(|&x, &y| gmv[y].total_cmp(&gmv[x]).then(x.cmp(&y)));
        ranked.truncate(top);
        assert_eq!(
            ranked.len(),
            top,
            "social sells in at least {top} categories"
        );
        let mut best: Vec<Option<(f64, usize)>> = vec![None; nc];
        for j in before.kept(s) {
            let (_, _, on_social) = sales_by_channel(s, j);
            let c = s.category[j] as usize;
            let g = on_social as f64 * s.price[j];
            if on_social > 0 && best[c].is_none_or(|(b, _)| g > b) {
                best[c] = Some((g, j));
            }
        }
        assert_eq!(
            new.len(),
            top * entrants,
            "tick {}: {} entrants",
            tick,
            new.len()
        );
        assert_eq!(
            v(rec, Metric::Entries, By::Kind, AFFILIATE),
            (top * entrants) as f64 * without.spec.simulation.seller_scale
        );
        for &c in &ranked {
            let placed: Vec<usize> = new
                .iter()
                .copied()
                .filter(|&j| s.category[j] as usize == c)
                .collect();
            assert_eq!(placed.len(), entrants, "tick {}: category {c}", tick);
            let (_, champion) = best[c].expect("a best seller");
            for &j in &placed {
                assert_eq!(s.kind[j], SellerKind::Affiliate);
                assert_eq!(
                    s.listings[j], owner_channels,
                    "affiliates list on their owner's channels"
                );
                assert_eq!(
                    s.quality[j], s.quality[champion],
                    "tick {}: affiliate copies the best seller's quality",
                    tick
                );
            }
        }
    });
    assert_eq!(rounds, (without.ticks() - 2).div_ceil(every));
    assert!(
        total(&b, 3, Metric::GmvIdr, By::Kind, AFFILIATE) > 0.0,
        "affiliates sell"
    );
}

/// docs/ODD.md sections 10.3 and 10.4: an exiting seller's sales still
/// count in its last tick, and Project S's best seller in a category is the
/// one with the largest GMV there in that tick. Here every UMKM goes bankrupt in tick 0, when the
/// round runs: the affiliates of the first top category must not take the
/// slots of the second category's sellers before its best seller is read.
#[test]
fn project_s_reads_the_best_seller_even_when_it_exits() {
    let mut sets = vec![
        "population.importer.count=0",
        "population.umkm.initial_cash_idr=0.0",
        "population.umkm.fixed_cost_idr=1e9",
        "behaviour.umkm_entry_rate=0.0",
        "behaviour.importer_entry_rate=0.0",
        "population.umkm.count=200",
    ];
    sets.extend_from_slice(DECODABLE_RATES);
    let without = base(&sets);
    // As many entrants as there were UMKM: the first category's affiliates
    // fill every slot freed this tick.
    let (top, entrants) = (2usize, 200usize);
    let with = with_events(
        &without,
        vec![
            event(0, "project_s")
                .with("channel", "social")
                .with("every", 100)
                .with("top", top as i64)
                .with("entrants", entrants as i64)
                .with("cost_factor", 1.0),
        ],
    );
    let social = channel_index(&with, "social");
    let nc = with.spec.categories.len();
    let mut model = Model::new(&with, 0);
    let rec = model.step();
    let flows = model.flows();
    let gmv = &flows.gmv_tx_category[social * nc..(social + 1) * nc];
    let selling = gmv.iter().filter(|&&g| g > 0.0).count();
    assert!(selling >= top, "social sells in {selling} categories");
    assert_eq!(
        v(&rec, Metric::Exits, By::Kind, UMKM),
        200.0 * with.spec.simulation.seller_scale,
        "every UMKM exits"
    );
    let placed = v(&rec, Metric::Entries, By::Kind, AFFILIATE) / with.spec.simulation.seller_scale;
    assert_eq!(
        placed,
        (top * entrants) as f64,
        "affiliates in each of the {top} top categories"
    );
    // The twin run without Project S has the same tick 0 and nobody takes
    // the freed slots, so its sellers tell who the best sellers were.
    let mut twin = Model::new(&without, 0);
    twin.step();
    assert_eq!(
        twin.flows().gmv_tx_category,
        flows.gmv_tx_category,
        "same tick 0"
    );
    let t = twin.sellers();
    let mut ranked: Vec<usize> = (0..nc).filter(|&c| gmv[c] > 0.0).collect();
    ranked.sort_by(|&x, &y| gmv[y].total_cmp(&gmv[x]).then(x.cmp(&y)));
    let s = model.sellers();
    for &c in &ranked[..top] {
        let mut best: Option<(f64, usize)> = None;
        for j in 0..t.len() {
            let (_, _, on_social) = sales_by_channel(t, j);
            let g = on_social as f64 * t.price[j];
            if on_social > 0 && t.category[j] as usize == c && best.is_none_or(|(b, _)| g > b) {
                best = Some((g, j));
            }
        }
        let (_, champion) = best.expect("a best seller");
        assert!(!t.alive[champion], "the best seller exited");
        let copies: Vec<usize> = (0..s.len())
            .filter(|&j| s.kind[j] == SellerKind::Affiliate && s.category[j] as usize == c)
            .collect();
        assert_eq!(copies.len(), entrants, "category {c}");
        for j in copies {
            assert_eq!(
                s.quality[j], t.quality[champion],
                "category {c}: quality of the best seller"
            );
        }
    }
}

#[test]
fn take_rate_scales_commissions_that_sellers_absorb_without_pass_through() {
    // ρ = 0: listed prices do not carry the commission.
    let without = base(&["behaviour.fee_pass_through=0.0"]);
    let mp = channel_index(&without, "marketplace");
    let old = without.spec.channels["marketplace"].take_rate;
    let new = 2.5 * old;
    let with = marketplace_take_rate_from_tick_3(&without, new);
    let (a, b) = lockstep(&without, &with, 3, |p| {
        if p.tick == 3 {
            // With no pass-through consumers do not see commissions: this
            // tick's sales are the same.
            for metric in [Metric::GmvIdr, Metric::Purchases] {
                for o in p
                    .base_rec
                    .observations
                    .iter()
                    .filter(|o| o.metric == metric)
                {
                    assert_eq!(Some(o.value), p.with_rec.get(metric, o.by, o.group));
                }
            }
        }
    });
    let r = 3;
    let (ca, cb) = (
        v(&a[r], Metric::CommissionIdr, By::Channel, mp),
        v(&b[r], Metric::CommissionIdr, By::Channel, mp),
    );
    assert!(ca > 0.0);
    assert!(
        close(cb, ca * new / old, 1e-12),
        "commission {cb} vs {ca} × {}",
        new / old
    );
    for k in (0..without.spec.channels.len()).filter(|&k| k != mp) {
        assert_eq!(
            v(&a[r], Metric::CommissionIdr, By::Channel, k),
            v(&b[r], Metric::CommissionIdr, By::Channel, k)
        );
    }
    // UMKM pay the difference out of profit.
    assert!(
        v(&b[r], Metric::UmkmProfitIdr, By::All, 0) < v(&a[r], Metric::UmkmProfitIdr, By::All, 0)
    );
    // And afterwards the commission stays 2.5 times the GMV-weighted old one.
    for (x, y) in a.iter().zip(&b).skip(3) {
        let ratio =
            v(y, Metric::CommissionIdr, By::Channel, mp) / v(y, Metric::GmvIdr, By::Channel, mp);
        assert!(close(ratio, new, 1e-9));
        assert!(close(
            v(x, Metric::CommissionIdr, By::Channel, mp) / v(x, Metric::GmvIdr, By::Channel, mp),
            old,
            1e-9
        ));
    }
}

#[test]
fn import_tariff_adds_the_rate_on_landed_cost() {
    let without = base(&[
        "population.importer.count=30",
        "population.affiliate.count=6",
    ]);
    let rate = 0.2;
    let tariffed = [
        category_index(&without, "fashion"),
        category_index(&without, "electronics_accessories"),
    ];
    let with = with_events(
        &without,
        vec![
            event(2, "import_tariff")
                .with("rate", rate)
                .with("categories", vec!["fashion", "electronics_accessories"]),
        ],
    );
    let mut checked = [0usize; 3];
    let (a, b) = lockstep(&without, &with, 2, |p| {
        if p.tick != 2 {
            return;
        }
        // Same sellers, same markups: only the tariff differs.
        let (sa, sb) = (p.base.sellers(), p.with.sellers());
        for j in p.with_before.kept(sb) {
            assert_eq!(sa.id[j], sb.id[j]);
            let taxed = sb.imported[j] && tariffed.contains(&(sb.category[j] as usize));
            if taxed {
                checked[sb.kind[j] as usize] += 1;
                assert!(
                    close(
                        p.with.landed_cost(j),
                        (1.0 + rate) * p.base.landed_cost(j),
                        1e-12
                    ),
                    "seller {j} landed cost"
                );
                assert!(
                    close(
                        sb.price[j] - sa.price[j],
                        rate * p.base.landed_cost(j),
                        1e-9
                    ),
                    "seller {j} price"
                );
            } else {
                assert_eq!(
                    (sb.price[j], p.with.landed_cost(j)),
                    (sa.price[j], p.base.landed_cost(j)),
                    "seller {j}"
                );
            }
        }
    });
    assert!(
        checked.iter().all(|&n| n > 0),
        "importers, affiliates and reselling UMKM taxed: {checked:?}"
    );
    let pen = |r: &[TickRecord]| {
        r.iter()
            .skip(2)
            .map(|r| v(r, Metric::ImportPenetration, By::All, 0))
            .sum::<f64>()
    };
    assert!(
        pen(&b) < pen(&a),
        "import penetration {} with, {} without",
        pen(&b),
        pen(&a)
    );
}

#[test]
fn digitalization_brings_umkm_online() {
    let without = base(&["population.umkm.initial_online_share=0.3"]);
    let rate = 0.25;
    let with = with_events(
        &without,
        vec![event(0, "digitalization").with("rate", rate)],
    );
    let mp_bit = 1u16 << channel_index(&without, "marketplace");
    let (mut offline_only, mut went_online) = (0usize, 0usize);
    let (a, b) = lockstep(&without, &with, 0, |p| {
        let going = |m: &Model, before: &Before| -> Vec<u32> {
            let s = m.sellers();
            before
                .kept(s)
                .filter(|&j| {
                    s.kind[j] == SellerKind::Umkm
                        && before.listings[j] & mp_bit == 0
                        && s.listings[j] & mp_bit != 0
                })
                .map(|j| s.id[j])
                .collect()
        };
        let with_going = going(p.with, p.with_before);
        if p.tick == 0 {
            // Same draws: whoever goes online at the low rate goes at the high one.
            for id in going(p.base, p.base_before) {
                assert!(
                    with_going.contains(&id),
                    "UMKM {id} went online only at the lower rate"
                );
            }
        }
        let s = p.with.sellers();
        offline_only += p
            .with_before
            .kept(s)
            .filter(|&j| s.kind[j] == SellerKind::Umkm && p.with_before.listings[j] & mp_bit == 0)
            .count();
        went_online += with_going.len();
    });
    assert_binomial(
        went_online as f64,
        offline_only as f64,
        rate,
        "UMKM going online",
    );
    let mp = channel_index(&without, "marketplace");
    let last = without.ticks() as usize - 1;
    assert!(
        v(&b[last], Metric::SellersAlive, By::Channel, mp)
            > 1.5 * v(&a[last], Metric::SellersAlive, By::Channel, mp)
    );
}

#[test]
fn umkm_subsidy_adds_exactly_the_transfer_to_umkm_cash() {
    let without = base(&[]);
    let idr = 25_000.0;
    let with = with_events(
        &without,
        vec![event(3, "umkm_subsidy").with("idr_per_tick", idr)],
    );
    let ss = without.spec.simulation.seller_scale;
    let mut paid = 0;
    lockstep(&without, &with, 3, |p| {
        let (sa, sb) = (p.base.sellers(), p.with.sellers());
        if p.tick == 3 {
            for j in p.with_before.kept(sb) {
                assert_eq!(p.base_before.cash[j], p.with_before.cash[j]);
                assert_eq!(
                    p.base.profit(j),
                    p.with.profit(j),
                    "the subsidy is not profit"
                );
                let gain = sb.cash[j] - sa.cash[j];
                let expected = if sb.kind[j] == SellerKind::Umkm {
                    idr
                } else {
                    0.0
                };
                assert!(
                    (gain - expected).abs() <= 1e-9 * sa.cash[j].abs().max(1.0),
                    "seller {j}: gain {gain}"
                );
                paid += usize::from(sb.kind[j] == SellerKind::Umkm);
            }
            assert_eq!(
                v(p.base_rec, Metric::UmkmProfitIdr, By::All, 0),
                v(p.with_rec, Metric::UmkmProfitIdr, By::All, 0)
            );
        }
        if p.tick >= 3 {
            let umkm = p
                .with_before
                .kept(sb)
                .filter(|&j| sb.kind[j] == SellerKind::Umkm)
                .count();
            let reused = (0..p.with_before.id.len())
                .any(|j| p.with_before.alive[j] && sb.id[j] != p.with_before.id[j]);
            if !reused {
                assert!(close(
                    v(p.with_rec, Metric::UmkmSubsidyIdr, By::All, 0),
                    idr * umkm as f64 * ss,
                    1e-12
                ));
            }
        } else {
            assert_eq!(v(p.with_rec, Metric::UmkmSubsidyIdr, By::All, 0), 0.0);
        }
    });
    assert!(paid > 200);
}

/// docs/ODD.md section 16, Time: a dated event applies in the tick whose days
/// contain the date (2023-10-04 is tick 91 from 2022-01-03); same-tick
/// events apply in file order, a parent file's first; levels last.
#[test]
fn events_apply_in_file_order_parent_first_and_dates_map_to_ticks() {
    let child = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/order/child.toml");
    let full = match Scenario::load(&child, &[]) {
        Ok(s) => s,
        Err(e) => panic!("{e:?}"),
    };
    let ticks: Vec<(u32, &str)> = full
        .timeline
        .iter()
        .map(|e| (e.tick, e.lever.name()))
        .collect();
    assert!(ticks.contains(&(91, "payment_ban")), "{ticks:?}");
    let ban = full
        .timeline
        .iter()
        .find(|e| e.lever.name() == "payment_ban")
        .expect("ban");
    assert_eq!(ban.tick, 91);
    // Tick 91 covers 2023-10-02 to 2023-10-08.
    assert_eq!(full.date_of_tick(91).to_string(), "2023-10-02");
    assert_eq!(full.date_of_tick(92).to_string(), "2023-10-09");
    // Run the first ticks of it, small.
    let sets: Vec<String> = [
        "simulation.ticks=5",
        "population.umkm.count=60",
        "population.importer.count=4",
        "population.consumers.count=60",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let scenario = match Scenario::load(&child, &sets) {
        Ok(s) => s,
        Err(e) => panic!("{e:?}"),
    };
    let social = channel_index(&scenario, "social");
    let mp = channel_index(&scenario, "marketplace");
    let base_social = scenario.spec.channels["social"].take_rate;
    let base_mp = scenario.spec.channels["marketplace"].take_rate;
    let expected = [
        (base_social, base_mp),
        (base_social, base_mp),
        (0.30, base_mp),
        (0.40, 0.07),
        (0.40, 0.07),
    ];
    let mut model = Model::new(&scenario, 0);
    for (t, &(s_rate, m_rate)) in expected.iter().enumerate() {
        model.step();
        let p = model.policy();
        assert_eq!(
            (p.take_rate[social], p.take_rate[mp]),
            (s_rate, m_rate),
            "tick {t}"
        );
        assert!(
            p.payments_allowed[social],
            "the ban lies beyond the shortened horizon"
        );
    }
}

/// A take-rate change on one channel, in both directions, for pass-through
/// shares ρ of 0.5 and 1: in the tick of the change (same state, same
/// draws) the prices listed on that channel move by ρ times the change in
/// the commission they carry, `p1 − p0 = ρ (τ1 p1 − τ0 p0)`, exactly;
/// prices elsewhere do not move; the channel's purchases move against its
/// prices over the following ticks. (Channel choice reads habits, not
/// prices: a dearer channel loses buyers to the outside option, section 9.)
#[test]
fn take_rate_passes_the_parameter_share_of_the_commission_to_prices() {
    for rho in [0.5, 1.0] {
        let pass = format!("behaviour.fee_pass_through={rho}");
        let without = base(&[&pass]);
        let mp = channel_index(&without, "marketplace");
        let offline = channel_index(&without, "offline");
        let old = without.spec.channels["marketplace"].take_rate;
        assert!(old > 0.0);
        for new in [3.0 * old, 0.2 * old] {
            let with = marketplace_take_rate_from_tick_3(&without, new);
            let mut checked = 0;
            let (a, b) = lockstep(&without, &with, 3, |p| {
                if p.tick != 3 {
                    return;
                }
                let s = p.with.sellers();
                for j in p.with_before.kept(s) {
                    if s.listings[j] & (1 << mp) == 0 {
                        continue;
                    }
                    // The seller's own price is the same in both runs.
                    assert_eq!(s.price[j], p.base.sellers().price[j]);
                    let (p0, p1) = (p.base.listed_price(j, mp), p.with.listed_price(j, mp));
                    let passed = rho * (new * p1 - old * p0);
                    assert!(
                        ((p1 - p0) - passed).abs() <= 1e-12 * p1,
                        "ρ {rho}, τ {old} → {new}: seller {j} listed {p0} → {p1}, passed {passed}"
                    );
                    assert_eq!(
                        p.base.listed_price(j, offline),
                        p.with.listed_price(j, offline)
                    );
                    checked += 1;
                }
            });
            assert!(checked > 10, "{checked} listings checked");
            let purchases =
                |r: &[TickRecord], k: usize| total(r, 3, Metric::Purchases, By::Channel, k);
            let (mp_a, mp_b) = (purchases(&a, mp), purchases(&b, mp));
            if new > old {
                assert!(mp_b < mp_a, "ρ {rho}: a higher fee sold {mp_b} vs {mp_a}");
            } else {
                assert!(mp_b > mp_a, "ρ {rho}: a lower fee sold {mp_b} vs {mp_a}");
            }
        }
    }
}
