//! The analytic case: frozen markups, unlimited capacity, full
//! consideration, no ranking noise, no entry or exit, one consumer type.
//! Then shopping is a nested logit with a closed form (docs/ODD.md section 9,
//! steps 4.2 and 4.4): channel k of nest n with probability
//! P(n)·P(k | n), P(k | n) = e^{μ_k/λ_n} / Σ_{l ∈ n} e^{μ_l/λ_n} and
//! P(n) = e^{IV_n} / Σ_m e^{IV_m}, IV_n = λ_n ln Σ_{l ∈ n} e^{μ_l/λ_n}, over
//! the channels offering the category (the plain logit e^{μ_k} / Σ e^{μ_l}
//! when every λ is 1); seller j in it with e^{V_j} / (e^{u_0} + Σ_l e^{V_l});
//! and a consumer surplus per decision of P_c/α · ln(e^{u_0} + Σ e^{V}).

mod common;

use common::{DECODABLE_RATES, channel_index, event, sales_by_channel};
use pasar::metrics::{By, Metric};
use pasar::model::Model;
use pasar::model::sellers::SellerKind;
use pasar::scenario::schema::Nest;
use pasar::scenario::{Scenario, ScenarioFile};

const OUTSIDE: f64 = 4.0;

/// The analytic scenario over the named channels and (category, share)s.
fn analytic(channels: &[&str], categories: &[(&str, f64)], extra: &[&str]) -> Scenario {
    common::from_spec(&analytic_spec(channels, categories, extra))
}

/// The analytic scenario's spec, to edit further.
fn analytic_spec(channels: &[&str], categories: &[(&str, f64)], extra: &[&str]) -> ScenarioFile {
    let mut sets = vec![
        "events=[]",
        "simulation.ticks=20",
        "population.umkm.count=80",
        "population.umkm.initial_online_share=0.5",
        "population.umkm.initial_social_share=0.5",
        "population.importer.count=10",
        "population.affiliate.count=0",
        "population.consumers.count=400",
        "population.consumers.purchase_rate_mean=6.0",
        // One consumer type.
        "population.consumers.price_sensitivity_sd=0.0",
        "population.consumers.quality_taste_sd=0.0",
        "population.consumers.local_preference_sd=0.0",
        "population.consumers.habit_sd=0.0",
        "population.consumers.quality_taste_mean=1.5",
        "population.consumers.local_preference_mean=0.6",
        // Unlimited capacity, no entry or exit, frozen markups and listings.
        "population.umkm.capacity_median=1e12",
        "population.umkm.capacity_sd=0.0",
        "population.importer.capacity_median=1e12",
        "population.importer.capacity_sd=0.0",
        "population.umkm.fixed_cost_idr=0.0",
        "population.importer.fixed_cost_idr=0.0",
        "population.umkm.initial_cash_idr=1e9",
        "population.importer.initial_cash_idr=1e9",
        "behaviour.markup_step=0.0",
        "behaviour.markup_adjustment=0.0",
        "behaviour.umkm_entry_rate=0.0",
        "behaviour.importer_entry_rate=0.0",
        "behaviour.digitalization_rate=0.0",
        "behaviour.social_adoption=0.0",
        "behaviour.outside_utility=4.0",
        // Channel tastes without trends; every listing considered, no noise.
        "channels.offline.affinity=0.0",
        "channels.marketplace.affinity=-0.2",
        "channels.marketplace.affinity_trend=0.0",
        "channels.social.affinity=-0.5",
        "channels.social.affinity_trend=0.0",
        "channels.offline.consideration=1000",
        "channels.marketplace.consideration=1000",
        "channels.social.consideration=1000",
        "channels.marketplace.rank_noise=0.0",
        "channels.social.rank_noise=0.0",
    ];
    sets.extend_from_slice(extra);
    let mut spec = common::load(&sets).spec;
    spec.channels
        .retain(|name, _| channels.contains(&name.as_str()));
    let nests: Vec<String> = spec
        .channels
        .values()
        .map(|c| c.nest_name().to_string())
        .collect();
    spec.nests.retain(|name, _| nests.contains(name));
    spec.categories
        .retain(|name, _| categories.iter().any(|(n, _)| n == name));
    for (name, share) in categories {
        spec.categories[*name].demand_share = *share;
    }
    assert_eq!(spec.behaviour.outside_utility, OUTSIDE);
    spec
}

/// `spec` with a copy of the marketplace named `name`, of taste `affinity`
/// and listing share `listing_share`, in the marketplace nest of
/// dissimilarity `lambda`.
fn with_second_marketplace(
    mut spec: ScenarioFile,
    name: &str,
    affinity: f64,
    listing_share: f64,
    lambda: f64,
) -> ScenarioFile {
    let mut copy = spec.channels["marketplace"].clone();
    copy.affinity = affinity;
    copy.listing_share = listing_share;
    spec.channels.insert(name.to_string(), copy);
    spec.nests.insert(
        "marketplace".into(),
        Nest {
            dissimilarity: lambda,
        },
    );
    spec
}

/// The one consumer type's (α, β, λ), as the model stores them.
fn consumer_type(model: &Model) -> (f64, f64, f64) {
    let c = model.consumers();
    assert!(!c.is_empty());
    let first = (c.alpha(0), c.beta(0), c.lambda(0));
    for i in 0..c.len() {
        assert_eq!(
            (c.alpha(i), c.beta(i), c.lambda(i)),
            first,
            "consumer {i} differs"
        );
        assert!(c.habits(i).iter().all(|z| z.is_finite()));
    }
    (first.0 as f64, first.1 as f64, first.2 as f64)
}

/// Closed-form probabilities for one tick's state.
struct Logit {
    /// P(decision buys from seller j) per seller slot.
    seller: Vec<f64>,
    /// P(decision transacts on channel k).
    channel: Vec<f64>,
    /// E[consumer surplus per decision] and E[its square], IDR.
    surplus: (f64, f64),
    /// Per (category, channel): P(channel | category) and the logsum.
    nests: Vec<(usize, usize, f64, f64)>,
}

fn logit(scenario: &Scenario, model: &Model) -> Logit {
    let (alpha, beta, lambda) = consumer_type(model);
    let s = model.sellers();
    let market = model.market();
    let nk = market.n_channels;
    let shares: Vec<f64> = scenario
        .spec
        .categories
        .values()
        .map(|c| c.demand_share)
        .collect();
    // Channel tastes h_k(t) = μ_k + trend_k·t in the tick just simulated.
    let t = model.tick() as f64 - 1.0;
    let affinity: Vec<f64> = scenario
        .spec
        .channels
        .values()
        .map(|c| c.affinity + c.affinity_trend * t)
        .collect();
    let u0 = scenario.spec.behaviour.outside_utility;
    // V_jk = V_j − α ln f_k: the listed price on k is p_j·f_k (section 7).
    let ln_factor: Vec<f64> = model
        .listed_price_factors()
        .iter()
        .map(|f| f.ln())
        .collect();
    let v: Vec<f64> = (0..s.len())
        .map(|j| {
            let local = if s.imported[j] { 0.0 } else { lambda };
            beta * f64::from(s.quality[j])
                - alpha * (s.price[j] / market.ref_price[s.category[j] as usize]).ln()
                + local
        })
        .collect();
    let mut out = Logit {
        seller: vec![0.0; s.len()],
        channel: vec![0.0; nk],
        surplus: (0.0, 0.0),
        nests: Vec::new(),
    };
    for (c, &share) in shares.iter().enumerate() {
        let listed = |k: usize| {
            (0..s.len()).filter(move |&j| {
                s.alive[j] && s.category[j] as usize == c && s.eligible[j] & (1 << k) != 0
            })
        };
        let offered: Vec<usize> = (0..nk).filter(|&k| listed(k).next().is_some()).collect();
        let p_channels = nested_logit(scenario, &affinity, &offered);
        for (&k, &p_channel) in offered.iter().zip(&p_channels) {
            let vk = |j: usize| v[j] - alpha * ln_factor[k];
            let inclusive: f64 = u0.exp() + listed(k).map(|j| vk(j).exp()).sum::<f64>();
            for j in listed(k) {
                let p = share * p_channel * vk(j).exp() / inclusive;
                out.seller[j] += p;
                out.channel[k] += p;
            }
            let surplus = market.ref_price[c] / alpha * inclusive.ln();
            out.surplus.0 += share * p_channel * surplus;
            out.surplus.1 += share * p_channel * surplus * surplus;
            out.nests.push((c, k, p_channel, inclusive.ln()));
        }
    }
    out
}

/// The textbook nested logit over the channels `offered`, with tastes
/// `affinity`: P(k) = P(n) P(k | n), from the scenario's nests.
fn nested_logit(scenario: &Scenario, affinity: &[f64], offered: &[usize]) -> Vec<f64> {
    nested_logit_with_total(scenario, affinity, offered).0
}

/// The nested logit's probabilities and Σ_n e^{IV_n}.
fn nested_logit_with_total(
    scenario: &Scenario,
    affinity: &[f64],
    offered: &[usize],
) -> (Vec<f64>, f64) {
    let spec = &scenario.spec;
    let nest_of = |k: usize| spec.channels[k].nest_name().to_string();
    let lambda = |nest: &str| spec.nests.get(nest).map_or(1.0, |n| n.dissimilarity);
    let members = |nest: &str| -> Vec<usize> {
        offered
            .iter()
            .copied()
            .filter(|&k| nest_of(k) == nest)
            .collect()
    };
    let inclusive = |nest: &str| {
        let l = lambda(nest);
        l * members(nest)
            .iter()
            .map(|&k| (affinity[k] / l).exp())
            .sum::<f64>()
            .ln()
    };
    let mut nests: Vec<String> = offered.iter().map(|&k| nest_of(k)).collect();
    nests.dedup();
    nests.sort();
    nests.dedup();
    let denominator: f64 = nests.iter().map(|n| inclusive(n).exp()).sum();
    let probabilities = offered
        .iter()
        .map(|&k| {
            let n = nest_of(k);
            let l = lambda(&n);
            let within: f64 = members(&n).iter().map(|&m| (affinity[m] / l).exp()).sum();
            inclusive(&n).exp() / denominator * (affinity[k] / l).exp() / within
        })
        .collect();
    (probabilities, denominator)
}

/// Channel tastes h_k = μ_k (no trends in these scenarios).
fn tastes(scenario: &Scenario) -> Vec<f64> {
    scenario
        .spec
        .channels
        .values()
        .map(|c| c.affinity)
        .collect()
}

/// Observed counts against Binomial(D, π) expectations, summed over ticks.
#[derive(Default)]
struct Tally {
    observed: f64,
    expected: f64,
    variance: f64,
}

impl Tally {
    fn add(&mut self, observed: f64, decisions: f64, p: f64) {
        self.observed += observed;
        self.expected += decisions * p;
        self.variance += decisions * p * (1.0 - p);
    }

    fn z(&self) -> f64 {
        (self.observed - self.expected) / self.variance.sqrt().max(1e-12)
    }

    /// Observed within 4 standard errors of expected.
    fn assert_close(&self, what: &str) {
        assert!(
            self.z().abs() < 4.0,
            "{what}: {} observed, expected {:.1} (z = {:.2})",
            self.observed,
            self.expected,
            self.z()
        );
    }
}

/// Sellers by origin, by quality and by relative price (above or below
/// the median), named for messages.
fn seller_groups(model: &Model) -> Vec<(&'static str, Vec<usize>)> {
    let s = model.sellers();
    let market = model.market();
    let n = s.len();
    let rel_price: Vec<f64> = (0..n)
        .map(|j| s.price[j] / market.ref_price[s.category[j] as usize])
        .collect();
    let median = |x: &[f64]| {
        let mut v = x.to_vec();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let quality: Vec<f64> = s.quality.iter().map(|&q| f64::from(q)).collect();
    let q_mid = median(&quality);
    let p_mid = median(&rel_price);
    let pick = |f: &dyn Fn(usize) -> bool| (0..n).filter(|&j| f(j)).collect::<Vec<_>>();
    vec![
        ("domestic", pick(&|j| !s.imported[j])),
        ("imported", pick(&|j| s.imported[j])),
        ("high quality", pick(&|j| quality[j] >= q_mid)),
        ("low quality", pick(&|j| quality[j] < q_mid)),
        ("dear", pick(&|j| rel_price[j] >= p_mid)),
        ("cheap", pick(&|j| rel_price[j] < p_mid)),
    ]
}

#[test]
fn channel_and_seller_shares_follow_the_closed_form_logit() {
    let scenario = analytic(
        &["offline", "marketplace", "social"],
        &[("fashion", 0.6), ("beauty", 0.4)],
        &["channels.social.affinity_trend=0.03"],
    );
    let mut model = Model::new(&scenario, 0);
    let nk = model.market().n_channels;
    let n = model.sellers().len();
    let mut sellers: Vec<Tally> = (0..n).map(|_| Tally::default()).collect();
    let mut channels: Vec<Tally> = (0..nk).map(|_| Tally::default()).collect();
    // Sellers grouped by origin, quality and relative price: sums over many
    // sellers detect a misweighted term of V that single sellers would not.
    // (Prices are set in the first step.)
    let mut groups = Vec::new();
    let mut grouped: Vec<Tally> = Vec::new();
    let mut outside = Tally::default();
    let mut surplus = Tally::default();
    let cs = scenario.spec.simulation.consumer_scale;
    let mut total_decisions = 0.0;
    for _ in 0..scenario.ticks() {
        let rec = model.step();
        let f = model.flows();
        assert_eq!(f.decisions, f.attempts, "every category is on offer");
        assert_eq!(model.sellers().len(), n, "no entry");
        assert!(model.sellers().alive.iter().all(|&a| a), "no exit");
        assert!(
            model.sellers().tally.iter().all(|t| t.remaining > 0),
            "unlimited capacity"
        );
        let d = f.decisions as f64;
        total_decisions += d;
        let l = logit(&scenario, &model);
        if groups.is_empty() {
            groups = seller_groups(&model);
            grouped = groups.iter().map(|_| Tally::default()).collect();
        }
        for (j, tally) in sellers.iter_mut().enumerate() {
            tally.add(model.sellers().tally[j].units_sold(), d, l.seller[j]);
        }
        for ((_, members), tally) in groups.iter().zip(grouped.iter_mut()) {
            let observed: u32 = members
                .iter()
                .map(|&j| model.sellers().tally[j].units_sold() as u32)
                .sum();
            let p: f64 = members.iter().map(|&j| l.seller[j]).sum();
            tally.add(observed as f64, d, p);
        }
        for (k, tally) in channels.iter_mut().enumerate() {
            tally.add(f.purchases_tx[k] as f64, d, l.channel[k]);
        }
        let p_buy: f64 = l.channel.iter().sum();
        outside.add((f.decisions - f.purchases) as f64, d, 1.0 - p_buy);
        // Surplus per decision is a categorical over (category, channel).
        let observed = rec
            .get(Metric::ConsumerSurplusIdr, By::All, 0)
            .expect("surplus")
            / cs;
        surplus.observed += observed;
        surplus.expected += d * l.surplus.0;
        surplus.variance += d * (l.surplus.1 - l.surplus.0 * l.surplus.0);
        // All three channels offer both categories; shares are not trivial.
        assert_eq!(l.nests.len(), 2 * nk);
        for &(_, _, p_channel, _) in &l.nests {
            assert!(p_channel > 0.2 && p_channel < 0.5);
        }
    }
    assert!(total_decisions > 15_000.0, "{total_decisions} decisions");
    for (k, t) in channels.iter().enumerate() {
        t.assert_close(&format!("channel {k} purchases"));
        assert!(t.expected > 1000.0);
    }
    outside.assert_close("outside option");
    assert!(outside.expected > 1000.0, "the outside option matters");
    surplus.assert_close("consumer surplus");
    for ((name, members), t) in groups.iter().zip(&grouped) {
        assert!(
            members.len() >= 5,
            "group {name} has {} sellers",
            members.len()
        );
        t.assert_close(&format!("{name} sales"));
    }
    // Each seller within 4 standard errors, and all together by χ².
    let mut chi2 = 0.0;
    for (j, t) in sellers.iter().enumerate() {
        t.assert_close(&format!("seller {j} sales"));
        chi2 += t.z() * t.z();
    }
    let well_sold = sellers.iter().filter(|t| t.expected > 50.0).count();
    assert!(
        well_sold > n / 2,
        "only {well_sold} of {n} sellers expect 50 sales"
    );
    let df = n as f64;
    assert!(
        chi2 < df + 4.0 * (2.0 * df).sqrt(),
        "χ² = {chi2:.1} over {n} sellers"
    );
    assert!(
        chi2 > df - 4.0 * (2.0 * df).sqrt(),
        "χ² = {chi2:.1} over {n} sellers: too good to be true"
    );
}

/// Purchases per channel over a run of `scenario`, each tick against the
/// closed form of `reference` (the same scenario, or one with other nests)
/// in the state the run reached.
fn channel_purchases(scenario: &Scenario, reference: &Scenario) -> Vec<Tally> {
    let mut model = Model::new(scenario, 0);
    let nk = model.market().n_channels;
    let mut channels: Vec<Tally> = (0..nk).map(|_| Tally::default()).collect();
    for _ in 0..scenario.ticks() {
        model.step();
        let f = model.flows();
        assert_eq!(f.decisions, f.attempts, "every category is on offer");
        let l = logit(reference, &model);
        for (k, t) in channels.iter_mut().enumerate() {
            t.add(f.purchases_tx[k] as f64, f.decisions as f64, l.channel[k]);
        }
    }
    channels
}

/// Two marketplaces in a nest of dissimilarity 0.4: channel shares are
/// P(n)·P(k | n), and far from what the plain logit would give.
#[test]
fn channel_shares_follow_the_closed_form_nested_logit() {
    let spec = analytic_spec(
        &["offline", "marketplace", "social"],
        &[("fashion", 0.6), ("beauty", 0.4)],
        &[],
    );
    let nested = with_second_marketplace(spec, "mp2", -0.6, 0.7, 0.4);
    let mut plain = nested.clone();
    plain.nests["marketplace"].dissimilarity = 1.0;
    let (nested, plain) = (common::from_spec(&nested), common::from_spec(&plain));
    for (k, t) in channel_purchases(&nested, &nested).iter().enumerate() {
        t.assert_close(&format!("channel {k} purchases"));
        assert!(t.expected > 1000.0, "channel {k}: {}", t.expected);
    }
    // The same run judged by the plain logit misses by far: the test can
    // tell the nest from no nest.
    let worst = channel_purchases(&nested, &plain)
        .iter()
        .map(|t| t.z().abs())
        .fold(0.0, f64::max);
    assert!(worst > 10.0, "the plain logit fits too (|z| ≤ {worst:.1})");
}

/// The red-bus/blue-bus case: an identical copy of the marketplace in a
/// tight nest takes its share from the original, not from offline and
/// social; without a nest the two copies together nearly double it.
#[test]
fn a_cloned_marketplace_does_not_double_online_when_the_nest_is_tight() {
    let spec = analytic_spec(
        &["offline", "marketplace", "social"],
        &[("household", 1.0)],
        &["population.umkm.initial_online_share=0.6"],
    );
    let online = |spec: &ScenarioFile| {
        let scenario = common::from_spec(spec);
        let nk = scenario.spec.channels.len();
        let marketplaces: Vec<usize> = (0..nk)
            .filter(|&k| {
                scenario.spec.channels[k].kind == pasar::scenario::ChannelKind::Marketplace
            })
            .collect();
        let (mut on, mut all) = (0u64, 0u64);
        let mut model = Model::new(&scenario, 0);
        for _ in 0..scenario.ticks() {
            model.step();
            let f = model.flows();
            on += marketplaces.iter().map(|&k| f.purchases_tx[k]).sum::<u64>();
            all += f.purchases;
        }
        on as f64 / all as f64
    };
    let marketplace = spec.channels["marketplace"].affinity;
    let single = online(&spec);
    let tight = online(&with_second_marketplace(
        spec.clone(),
        "clone",
        marketplace,
        1.0,
        0.05,
    ));
    let loose = online(&with_second_marketplace(
        spec.clone(),
        "clone",
        marketplace,
        1.0,
        1.0,
    ));
    assert!(single > 0.2 && single < 0.5, "one marketplace: {single:.3}");
    // Closed form: the nest's odds grow by 2^λ, 1.035 at λ = 0.05.
    assert!(
        tight / single > 0.98 && tight / single < 1.06,
        "a tight clone moves online from {single:.3} to {tight:.3}"
    );
    assert!(
        loose / single > 1.3,
        "without a nest the clone lifts online only from {single:.3} to {loose:.3}"
    );
}

/// Dissimilarity 1 is the plain logit: two marketplaces sharing a nest of
/// λ = 1 choose exactly as when each is a nest of its own (whose λ cannot
/// matter, a nest of one channel being that channel), draw for draw.
#[test]
fn dissimilarity_one_gives_the_plain_logit_choices() {
    let spec = analytic_spec(
        &["offline", "marketplace", "social"],
        &[("fashion", 0.6), ("beauty", 0.4)],
        // Habits that differ between consumers, so that a nest's λ could
        // show through them.
        &["simulation.ticks=6", "population.consumers.habit_sd=1.0"],
    );
    let shared = with_second_marketplace(spec, "mp2", -0.6, 0.7, 1.0);
    let mut apart = shared.clone();
    apart.channels["mp2"].nest = "mp2_alone".into();
    apart
        .nests
        .insert("mp2_alone".into(), Nest { dissimilarity: 0.3 });
    let records = |spec: &ScenarioFile| {
        let scenario = common::from_spec(spec);
        let mut model = Model::new(&scenario, 0);
        let mut out = Vec::new();
        for _ in 0..scenario.ticks() {
            let mut rec = model.step();
            // Nest-level series name different nests; everything else must agree.
            rec.observations.retain(|o| o.by != By::Nest);
            out.push((rec, model.sellers().tally.clone()));
        }
        out
    };
    let (a, b) = (records(&shared), records(&apart));
    assert!(
        a.iter()
            .any(|(r, _)| r.get(Metric::Purchases, By::Channel, 3).unwrap_or(0.0) > 0.0)
    );
    assert_eq!(a, b);
}

/// A purchase found on a channel that cannot take payments, with no checkout
/// partner, is chosen again: give up with weight e^{h_s + φ}, or channel k
/// of what takes payments and offers the category with the nested-logit
/// weight (Σ_n e^{IV_n} over that set), then buy there by the logit over
/// its listings.
#[test]
fn choosing_again_after_a_failed_checkout_follows_the_closed_form() {
    let phi = 0.7;
    let spec = analytic_spec(
        &["offline", "marketplace", "social"],
        &[("fashion", 0.6), ("beauty", 0.4)],
        &["channels.social.affinity=0.4"],
    );
    let mut spec = with_second_marketplace(spec, "mp2", -0.6, 0.7, 0.5);
    spec.behaviour.switch_friction = phi;
    spec.events
        .push(event(0, "payment_ban").with("channel", "social"));
    let scenario = common::from_spec(&spec);
    let social = channel_index(&scenario, "social");
    let h = tastes(&scenario);
    let nk = h.len();
    let mut model = Model::new(&scenario, 0);
    let mut redirected: Vec<Tally> = (0..nk).map(|_| Tally::default()).collect();
    let mut lost = Tally::default();
    let mut lost_without_friction = Tally::default();
    for _ in 0..scenario.ticks() {
        model.step();
        let f = model.flows();
        assert_eq!(f.purchases_tx[social], 0);
        let d = f.decisions as f64;
        let l = logit(&scenario, &model);
        let (mut p_redirected, mut p_lost, mut p_lost_0) = (vec![0.0; nk], 0.0, 0.0);
        for (c, category) in scenario.spec.categories.values().enumerate() {
            let here: Vec<_> = l.nests.iter().filter(|n| n.0 == c).collect();
            let buys = |k: usize| {
                here.iter()
                    .find(|n| n.1 == k)
                    .map_or(0.0, |n| 1.0 - (OUTSIDE - n.3).exp())
            };
            let Some(found) = here.iter().find(|n| n.1 == social) else {
                continue;
            };
            // A social purchase chosen: the choice made again.
            let chosen = category.demand_share * found.2 * buys(social);
            let again: Vec<usize> = here.iter().map(|n| n.1).filter(|&k| k != social).collect();
            let (p_again, total) = nested_logit_with_total(&scenario, &h, &again);
            let switch = |phi: f64| total / (total + (h[social] + phi).exp());
            let completes: f64 = again.iter().zip(&p_again).map(|(&k, p)| p * buys(k)).sum();
            for (&k, p) in again.iter().zip(&p_again) {
                p_redirected[k] += chosen * switch(phi) * p * buys(k);
            }
            p_lost += chosen * (1.0 - switch(phi) * completes);
            p_lost_0 += chosen * (1.0 - switch(0.0) * completes);
        }
        for (k, t) in redirected.iter_mut().enumerate() {
            t.add(f.redirected_tx[k] as f64, d, p_redirected[k]);
        }
        lost.add(f.lost as f64, d, p_lost);
        lost_without_friction.add(f.lost as f64, d, p_lost_0);
    }
    for (k, t) in redirected.iter().enumerate() {
        t.assert_close(&format!("purchases chosen again on channel {k}"));
        if k != social {
            assert!(t.expected > 300.0, "channel {k}: {}", t.expected);
        }
    }
    lost.assert_close("lost purchases");
    assert!(lost.expected > 1000.0);
    assert!(
        lost_without_friction.z().abs() > 8.0,
        "the friction does not show (z = {:.1})",
        lost_without_friction.z()
    );
}

/// With one channel and one category every decision faces the same set,
/// so the recorded surplus is exactly decisions × P_c/α · ln(e^{u_0} + Σ e^{V}).
#[test]
fn consumer_surplus_per_decision_is_the_logsum() {
    let scenario = analytic(
        &["marketplace"],
        &[("household", 1.0)],
        &["population.umkm.initial_online_share=1.0"],
    );
    let mut model = Model::new(&scenario, 0);
    let cs = scenario.spec.simulation.consumer_scale;
    let mut checked = 0;
    for _ in 0..4 {
        let rec = model.step();
        let l = logit(&scenario, &model);
        assert_eq!(l.nests.len(), 1);
        let (c, _, p_channel, logsum) = l.nests[0];
        assert_eq!(p_channel, 1.0);
        let (alpha, _, _) = consumer_type(&model);
        let per_decision = model.market().ref_price[c] / alpha * logsum;
        let d = model.flows().decisions as f64;
        assert!(d > 1000.0);
        let recorded = rec
            .get(Metric::ConsumerSurplusIdr, By::All, 0)
            .expect("surplus");
        let expected = d * per_decision * cs;
        assert!(
            (recorded - expected).abs() <= 1e-9 * expected.abs(),
            "tick {}: surplus {recorded} vs {expected} ({} decisions of {per_decision})",
            rec.tick,
            d
        );
        checked += 1;
    }
    assert_eq!(checked, 4);
}

/// A purchase lost to a payment ban counts the outside option P_c·u_0/α
/// (section 7), so with the ban and no way to complete the surplus is
/// exactly (decisions − lost)·logsum + lost·u_0, times P_c/α.
#[test]
fn lost_purchases_count_the_outside_option() {
    let base = analytic(
        &["marketplace"],
        &[("household", 1.0)],
        &["population.umkm.initial_online_share=1.0"],
    );
    let scenario = common::with_events(
        &base,
        vec![event(0, "payment_ban").with("channel", "marketplace")],
    );
    let mut model = Model::new(&scenario, 0);
    let cs = scenario.spec.simulation.consumer_scale;
    for _ in 0..3 {
        let rec = model.step();
        let f = model.flows();
        assert_eq!(f.purchases, 0);
        assert!(f.lost > 500, "{} lost", f.lost);
        let l = logit(&scenario, &model);
        let (c, _, _, logsum) = l.nests[0];
        let (alpha, _, _) = consumer_type(&model);
        let unit = model.market().ref_price[c] / alpha;
        let expected =
            ((f.decisions - f.lost) as f64 * logsum + f.lost as f64 * OUTSIDE) * unit * cs;
        let recorded = rec
            .get(Metric::ConsumerSurplusIdr, By::All, 0)
            .expect("surplus");
        assert!(
            (recorded - expected).abs() <= 1e-9 * expected.abs(),
            "tick {}: {recorded} vs {expected}",
            rec.tick
        );
        // And the lost count itself follows the logit: P(buy) = 1 − e^{u0}/inclusive.
        let p_buy = 1.0 - OUTSIDE.exp() / logsum.exp();
        let d = f.decisions as f64;
        let z = (f.lost as f64 - d * p_buy) / (d * p_buy * (1.0 - p_buy)).sqrt();
        assert!(z.abs() < 4.0, "lost {} vs {:.1}", f.lost, d * p_buy);
    }
}

/// Ranking (section 3, step 3): with K = 1 and L = 1 and no ranking noise a
/// consumer on a ranked channel sees only the listing with the best score
/// w_price·(−ln(p/P_c)) + w_quality·q + w_popularity·ln(1+s) + b·[affiliate
/// of the channel's owner], so in each category only that seller sells
/// there. Per-channel sales are read from the commissions.
#[test]
fn ranked_channels_sell_only_their_best_scored_listing_when_attention_is_one() {
    let mut extra = vec![
        "channels.marketplace.consideration=1",
        "channels.marketplace.attention=1.0",
        "channels.social.consideration=1",
        "channels.social.attention=1.0",
        "channels.social.self_preference=0.4",
        "population.affiliate.count=8",
        "population.importer.count=16",
        "population.consumers.count=200",
        "simulation.ticks=8",
        // Close scores, so that a misweighted term would change the top.
        "population.umkm.quality_sd=0.15",
        "population.umkm.unit_cost_sd=0.08",
        "population.importer.quality_sd=0.15",
        "population.importer.unit_cost_sd=0.08",
    ];
    extra.extend_from_slice(DECODABLE_RATES);
    let scenario = analytic(
        &["offline", "marketplace", "social"],
        &[
            ("fashion", 0.25),
            ("beauty", 0.25),
            ("household", 0.25),
            ("food", 0.25),
        ],
        &extra,
    );
    let ranked = [
        channel_index(&scenario, "marketplace"),
        channel_index(&scenario, "social"),
    ];
    let mut model = Model::new(&scenario, 0);
    let (mut tops_selling, mut affiliate_tops) = (0, 0);
    for _ in 0..scenario.ticks() {
        let popularity = model.sellers().popularity.clone();
        model.step();
        let s = model.sellers();
        let market = model.market();
        for (&k, channel) in ranked.iter().zip(["marketplace", "social"]) {
            let ch = &scenario.spec.channels[channel];
            let owner = market.channel_owner[k];
            for c in 0..market.n_categories {
                let listed: Vec<usize> = (0..s.len())
                    .filter(|&j| {
                        s.alive[j] && s.category[j] as usize == c && s.eligible[j] & (1 << k) != 0
                    })
                    .collect();
                let score = |j: usize| {
                    let affiliated =
                        s.kind[j] == SellerKind::Affiliate && owner != 0 && s.owner[j] == owner;
                    ch.w_price * -(model.listed_price(j, k) / market.ref_price[c]).ln()
                        + ch.w_quality * f64::from(s.quality[j])
                        + ch.w_popularity * f64::from(popularity[j]).ln_1p()
                        + if affiliated { ch.self_preference } else { 0.0 }
                };
                let mut scores: Vec<(f64, usize)> = listed.iter().map(|&j| (score(j), j)).collect();
                scores.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
                assert!(scores.len() >= 2, "channel {k} category {c}");
                assert!(scores[0].0 - scores[1].0 > 1e-9, "a near tie");
                let top = scores[0].1;
                for &j in &listed {
                    let (_, on_mp, on_social) = sales_by_channel(s, j);
                    let here = if channel == "social" {
                        on_social
                    } else {
                        on_mp
                    };
                    if j == top {
                        tops_selling += usize::from(here > 0);
                        affiliate_tops +=
                            usize::from(here > 0 && s.kind[j] == SellerKind::Affiliate);
                    } else {
                        assert_eq!(
                            here,
                            0,
                            "channel {channel}, category {c}: seller {j} (score {}) sold below the top {top} ({})",
                            score(j),
                            scores[0].0
                        );
                    }
                }
            }
        }
    }
    let buckets = scenario.ticks() as usize * 2 * 4;
    assert!(
        tops_selling > buckets * 3 / 4,
        "{tops_selling} of {buckets}"
    );
    assert!(
        affiliate_tops > 0,
        "the self-preference bonus puts affiliates on top"
    );
}

// The other random steps have closed-form rates too.

/// Attempts are Poisson(ρ_i) per consumer and tick, with ρ_i drawn once
/// from a gamma of the scenario's mean and shape (section 2).
#[test]
fn purchase_attempts_follow_the_consumers_rates() {
    let (n, mean, shape) = (2_000.0, 1.5, 2.0);
    let scenario = common::small(&[
        "simulation.ticks=6",
        "population.consumers.count=2000",
        "population.consumers.purchase_rate_mean=1.5",
        "population.consumers.purchase_rate_shape=2.0",
    ]);
    let mut model = Model::new(&scenario, 0);
    let consumers = model.consumers();
    let rates: Vec<f64> = (0..consumers.len())
        .map(|i| consumers.rate(i) as f64)
        .collect();
    assert_eq!(rates.len(), n as usize);
    let sum: f64 = rates.iter().sum();
    let z = (sum - n * mean) / (n * mean * mean / shape).sqrt();
    assert!(
        z.abs() < 4.0,
        "Σρ = {sum}, expected {} (z = {z:.2})",
        n * mean
    );
    let var = rates.iter().map(|r| (r - sum / n).powi(2)).sum::<f64>() / (n - 1.0);
    assert!(
        (var / (mean * mean / shape) - 1.0).abs() < 0.25,
        "variance of ρ {var}"
    );
    let mut attempts = 0u64;
    for _ in 0..scenario.ticks() {
        model.step();
        attempts += model.flows().attempts;
    }
    let expected = sum * scenario.ticks() as f64;
    let z = (attempts as f64 - expected) / expected.sqrt();
    assert!(
        z.abs() < 4.0,
        "{attempts} attempts, expected {expected:.0} (z = {z:.2})"
    );
}

/// Step 6: an online UMKM not yet on social joins it with probability
/// social_adoption × (social's share of its category's GMV this tick).
#[test]
fn social_adoption_follows_the_social_share_of_category_gmv() {
    let adoption = 0.5;
    let scenario = common::small(&[
        "behaviour.social_adoption=0.5",
        "behaviour.digitalization_rate=0.0",
        "behaviour.umkm_entry_rate=0.0",
        "channels.social.affinity=-0.5",
        "channels.social.affinity_trend=0.0",
        "population.umkm.initial_online_share=0.8",
        "population.umkm.initial_social_share=0.1",
        "simulation.ticks=8",
    ]);
    let social = channel_index(&scenario, "social");
    let mut model = Model::new(&scenario, 0);
    let nc = model.market().n_categories;
    let nk = model.market().n_channels;
    let (mut joined, mut expected, mut variance) = (0.0, 0.0, 0.0);
    for _ in 0..scenario.ticks() {
        let listings = model.sellers().listings.clone();
        let ids = model.sellers().id.clone();
        model.step();
        let s = model.sellers();
        let g = &model.flows().gmv_tx_category;
        let mp = model.market().marketplaces;
        for j in 0..listings.len() {
            if s.id[j] != ids[j]
                || s.kind[j] != SellerKind::Umkm
                || listings[j] & mp == 0
                || listings[j] & (1 << social) != 0
            {
                continue;
            }
            let c = s.category[j] as usize;
            let total: f64 = (0..nk).map(|k| g[k * nc + c]).sum();
            let p = if total > 0.0 {
                adoption * g[social * nc + c] / total
            } else {
                0.0
            };
            expected += p;
            variance += p * (1.0 - p);
            joined += f64::from(u8::from(s.listings[j] & (1 << social) != 0));
        }
    }
    let z = (joined - expected) / variance.sqrt();
    assert!(expected > 50.0, "expected only {expected} joins");
    assert!(
        z.abs() < 4.0,
        "{joined} UMKM joined social, expected {expected:.1} (z = {z:.2})"
    );
}

/// Step 8: new UMKM ~ Poisson(rate × alive UMKM); new importers ~
/// Poisson(rate × alive importers × max(0, Σ importer profit / Σ importer
/// revenue)).
#[test]
fn entry_follows_its_rates() {
    let scenario = common::small(&[
        "behaviour.umkm_entry_rate=0.02",
        "behaviour.importer_entry_rate=2.0",
        // No exits, so that alive counts are simple.
        "population.umkm.fixed_cost_idr=0.0",
        "population.importer.fixed_cost_idr=0.0",
        "simulation.ticks=12",
    ]);
    let ups = scenario.spec.simulation.consumer_scale / scenario.spec.simulation.seller_scale;
    let ss = scenario.spec.simulation.seller_scale;
    let mut model = Model::new(&scenario, 0);
    let (mut umkm, mut umkm_expected, mut importers, mut importers_expected) = (0.0, 0.0, 0.0, 0.0);
    for _ in 0..scenario.ticks() {
        let n_before = model.sellers().len();
        let rec = model.step();
        let s = model.sellers();
        assert!(s.alive.iter().all(|&a| a), "no exits");
        let alive = |kind: SellerKind| (0..n_before).filter(|&j| s.kind[j] == kind).count() as f64;
        let (mut profit, mut revenue) = (0.0, 0.0);
        for j in (0..n_before).filter(|&j| s.kind[j] == SellerKind::Importer) {
            profit += model.profit(j);
            revenue += ups * s.tally[j].revenue;
        }
        let margin = if revenue > 0.0 { profit / revenue } else { 0.0 };
        umkm_expected += 0.02 * alive(SellerKind::Umkm);
        importers_expected += 2.0 * alive(SellerKind::Importer) * margin.max(0.0);
        umkm += rec
            .get(Metric::Entries, By::Kind, SellerKind::Umkm as u16)
            .expect("entries")
            / ss;
        importers += rec
            .get(Metric::Entries, By::Kind, SellerKind::Importer as u16)
            .expect("entries")
            / ss;
    }
    for (what, observed, expected) in [
        ("UMKM", umkm, umkm_expected),
        ("importers", importers, importers_expected),
    ] {
        assert!(expected > 20.0, "{what}: expected only {expected}");
        let z = (observed - expected) / expected.sqrt();
        assert!(
            z.abs() < 4.0,
            "{what}: {observed} entered, expected {expected:.1} (z = {z:.2})"
        );
    }
}
