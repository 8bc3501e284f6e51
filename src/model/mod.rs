//! The simulation of one replicate, pure: handed a [`Scenario`] and a
//! replicate's random streams, it returns a [`TickRecord`] per tick. It
//! reads no file and prints nothing; the shopping step spreads its draws
//! over the caller's rayon pool, in a way that changes no number
//! (`shopping.rs`).
//!
//! State is a struct of arrays ([`sellers::Sellers`], [`consumers::Consumers`]);
//! each step of docs/ODD.md section 3 is one module, run in order by
//! [`Model::step`].

mod accounting;
mod adaptation;
pub mod consumers;
mod eligibility;
pub mod flows;
pub mod footprint;
mod heap;
mod lifecycle;
pub mod market;
pub mod policy;
pub mod ranking;
mod record;
pub mod segments;
pub mod sellers;
mod shopping;

use crate::metrics::TickRecord;
use crate::rng::{Purpose, Streams};
use crate::scenario::Scenario;
use consumers::Consumers;
use flows::TickFlows;
use market::Market;
use policy::PolicyState;
use ranking::Ranking;
use sellers::Tally;
use sellers::{SellerFactory, Sellers};

/// One replicate's world.
pub struct Model<'s> {
    scenario: &'s Scenario,
    market: Market,
    streams: Streams,
    policy: PolicyState,
    sellers: Sellers,
    consumers: Consumers,
    ranking: Ranking,
    flows: TickFlows,
    /// This tick's factors from a seller's price to its listed prices.
    listed: eligibility::ListedPrices,
    /// Sales per seller slot on channels with a Project S rule (empty otherwise).
    channel_sales: Vec<Vec<u32>>,
    /// Importers' Σ profit / Σ revenue this tick (read by importer entry).
    importer_margin: f64,
    /// The segment windows, when `segments.social_before` is set.
    windows: Option<segments::Windows>,
    /// Sellers of the segment that exited from its date on (simulated).
    segment_exits: u64,
    scratch: shopping::Scratch,
    /// The tick `step` runs next.
    tick: u32,
}

impl<'s> Model<'s> {
    /// Build the initial population of replicate `replicate`.
    pub fn new(scenario: &'s Scenario, replicate: u32) -> Model<'s> {
        let spec = &scenario.spec;
        let market = Market::new(spec);
        let streams = Streams::new(spec.simulation.seed, replicate);
        let policy = PolicyState::new(spec, &market);
        let mut model = Model {
            scenario,
            flows: TickFlows::new(market.n_channels, market.n_categories),
            listed: eligibility::ListedPrices::new(&policy, spec.behaviour.fee_pass_through),
            channel_sales: vec![Vec::new(); market.n_channels],
            market,
            streams,
            policy,
            sellers: Sellers::new(scenario.spec.segments.social_before.is_some()),
            consumers: Consumers::default(),
            ranking: Ranking::default(),
            importer_margin: 0.0,
            windows: scenario.segment_tick().map(|date| {
                segments::Windows::of(date, spec.segments.window_ticks, spec.simulation.ticks)
            }),
            segment_exits: 0,
            scratch: Default::default(),
            tick: 0,
        };
        model.populate();
        model
    }

    fn factory(&self) -> SellerFactory<'_> {
        SellerFactory {
            spec: &self.scenario.spec,
            market: &self.market,
        }
    }

    /// The initial sellers and consumers, each kind from its own stream so
    /// that changing one population's size leaves the others' draws alone.
    fn populate(&mut self) {
        let spec = &self.scenario.spec;
        let pop = &spec.population;
        let factory = self.factory();
        let mut new = Vec::new();
        let mut rng = self.streams.stream(Purpose::Population, 0, 0);
        for _ in 0..pop.umkm.count {
            new.push(factory.new_umkm(&mut rng));
        }
        let mut rng = self.streams.stream(Purpose::Population, 1, 0);
        let cross_border = self.cross_border_channels();
        // Stratified: every replicate starts with the same spread of
        // categories and qualities, in a random pairing, so that a few
        // draws from the quality tail do not decide the importers' share.
        let n = pop.importer.count as usize;
        let categories = crate::dist::permutation(&mut rng, n);
        let qualities = crate::dist::permutation(&mut rng, n);
        for i in 0..n {
            let at = |rank: usize| (rank as f64 + 0.5) / n as f64;
            let stratum = (
                at(categories[i]),
                crate::dist::normal_quantile(at(qualities[i])),
            );
            new.push(factory.importer_in(&mut rng, cross_border, Some(stratum)));
        }
        let mut rng = self.streams.stream(Purpose::Population, 2, 0);
        for _ in 0..pop.affiliate.count {
            let c = factory.category(&mut rng);
            let quality = pop.affiliate.quality_mean;
            new.push(factory.affiliate(
                &mut rng,
                self.market.affiliate_owner,
                c,
                quality,
                pop.affiliate.cost_factor,
                self.policy.owner_channels(self.market.affiliate_owner),
            ));
        }
        let mut rng = self.streams.stream(Purpose::Population, 3, 0);
        self.consumers = Consumers::generate(
            &pop.consumers,
            self.market.n_channels,
            self.market.adopting.len(),
            &mut rng,
        );
        self.consumers
            .correlate_within_nests(&self.market, &self.streams);
        self.consumers.draw_thresholds(&self.streams);
        // Room for the entrants the memory estimate allows for (footprint.rs):
        // pages never written take no physical memory.
        self.sellers.reserve(new.len() + new.len() / 4);
        for s in new {
            self.sellers.add(s);
        }
    }

    /// The tick the next `step` simulates.
    pub fn tick(&self) -> u32 {
        self.tick
    }

    /// Simulate one tick (docs/ODD.md section 3) and return its record.
    pub fn step(&mut self) -> TickRecord {
        self.flows.reset();
        // 1. Policy: the events in force this tick, when one starts or ends.
        self.update_policy();
        self.prepare_channel_sales();
        // 2.–4.
        self.update_prices_and_eligibility();
        self.rank_listings();
        self.shop();
        // 5.–8.
        self.account();
        self.follow_segments();
        self.adapt();
        self.exit_bankrupt();
        self.enter();
        // 9.
        let record = self.record();
        self.tick += 1;
        record
    }

    /// Step 1: when an event starts or ends this tick, the policy state
    /// becomes the scenario's settings with every event in force applied
    /// in timeline order. A channel that changed owner gets the new
    /// owner's affiliates listed on it.
    fn update_policy(&mut self) {
        let t = self.tick;
        let changes = self
            .scenario
            .timeline
            .iter()
            .any(|e| e.tick == t || e.until == Some(t));
        if !changes {
            return;
        }
        let spec = &self.scenario.spec;
        let state = PolicyState::at(spec, &self.market, &self.scenario.timeline, t);
        let before = std::mem::replace(&mut self.policy, state);
        for k in 0..self.market.n_channels {
            let owner = self.policy.channel_owner[k];
            if owner == before.channel_owner[k] || owner == 0 {
                continue;
            }
            let s = &mut self.sellers;
            for j in 0..s.len() {
                let joins = s.alive[j]
                    && s.kind[j] == sellers::SellerKind::Affiliate
                    && s.owner[j] == owner
                    && s.listings[j] & (1 << k) == 0;
                if joins {
                    s.listings[j] |= 1 << k;
                    self.flows.entries_channel[k] += 1;
                }
            }
        }
    }

    /// Benchmark hook, not part of the model's interface: steps 2 and 3
    /// (prices, eligibility, ranking) of the next tick, without advancing it.
    #[doc(hidden)]
    pub fn bench_rank(&mut self) {
        self.prepare_channel_sales();
        self.update_prices_and_eligibility();
        self.rank_listings();
    }

    /// Benchmark hook, not part of the model's interface: step 4 (shopping)
    /// of the next tick on the current ranking, with capacity and flows
    /// reset first so that every call does the same work. Call
    /// [`Model::bench_rank`] once before.
    #[doc(hidden)]
    pub fn bench_shop(&mut self) -> u64 {
        self.flows.reset();
        let s = &mut self.sellers;
        for j in 0..s.len() {
            s.tally[j] = Tally::open(if s.alive[j] { s.tally[j].capacity } else { 0 });
        }
        self.shop();
        self.flows.decisions
    }

    /// Per-seller sales on channels that Project S reads.
    fn prepare_channel_sales(&mut self) {
        for (k, sales) in self.channel_sales.iter_mut().enumerate() {
            sales.clear();
            let reads = self.policy.project_s.iter().any(|r| r.channel == k)
                || self.windows.is_some_and(|w| {
                    w.at(self.tick) == Some(0) && self.market.socials & (1 << k) != 0
                });
            if reads {
                sales.resize(self.sellers.len(), 0);
            }
        }
    }

    /// Read-only view of the sellers (tests check invariants on it).
    pub fn sellers(&self) -> &Sellers {
        &self.sellers
    }

    pub fn consumers(&self) -> &Consumers {
        &self.consumers
    }

    pub fn policy(&self) -> &PolicyState {
        &self.policy
    }

    pub fn market(&self) -> &Market {
        &self.market
    }

    /// Bytes this replicate's state holds on the heap (vector capacities),
    /// to check the memory estimate of `footprint.rs` against.
    pub fn heap_bytes(&self) -> usize {
        self.sellers.heap_bytes()
            + self.consumers.heap_bytes()
            + self.ranking.heap_bytes()
            + self.population_heap_extra()
            + self.scratch.bytes()
    }

    /// The shopping step's buffers alone (bounded, whatever the population).
    pub fn scratch_bytes(&self) -> usize {
        self.scratch.bytes()
    }

    fn population_heap_extra(&self) -> usize {
        self.channel_sales
            .iter()
            .map(heap::vec_bytes)
            .sum::<usize>()
    }

    /// This tick's flows (simulated units), for invariant checks.
    pub fn flows(&self) -> &TickFlows {
        &self.flows
    }
}
