//! What does not change during a run: channel kinds and owners, category
//! prices, scale factors. Derived once from the scenario.

use super::sellers::ChannelSet;
use crate::scenario::{ChannelKind, ScenarioFile};

#[derive(Debug, Clone)]
pub struct Market {
    pub n_channels: usize,
    pub n_categories: usize,
    pub kinds: Vec<ChannelKind>,
    pub offline: ChannelSet,
    pub marketplaces: ChannelSet,
    pub socials: ChannelSet,
    /// Every owner a scenario names (channels' owners, the affiliates'
    /// owner, new owners of `change_owner` events), in that order: owner
    /// code c is `owners[c − 1]`, code 0 is no owner.
    pub owners: Vec<String>,
    /// Owner code of each channel at the start (0: no owner).
    pub channel_owner: Vec<u8>,
    /// Owner code of the initial affiliates.
    pub affiliate_owner: u8,
    /// Nest of each channel in the channel choice (index into `nest_lambda`).
    pub nest_of: Vec<usize>,
    /// Dissimilarity λ_n of each nest, nests in order of first channel.
    pub nest_lambda: Vec<f64>,
    /// Channels of each nest.
    pub nest_members: Vec<ChannelSet>,
    pub ref_price: Vec<f64>,
    /// Cross-border shipping per unit in each category (importers and
    /// affiliates), IDR: the category's shipping share of P_c.
    pub import_shipping: Vec<f64>,
    pub cumulative_demand: Vec<f64>,
    pub seller_scale: f64,
    pub consumer_scale: f64,
    /// Real units one simulated unit sold stands for, per real seller
    /// (consumer_scale / seller_scale).
    pub units_per_sale: f64,
    /// Units in an order of category c found on channel k, in hundredths
    /// of a unit (`basket[c * n_channels + k]`): the category's
    /// units_per_order times the channel's, rounded to the hundredth.
    /// Capacity is kept in hundredths too, so that stock and orders count
    /// exactly in whole numbers.
    pub basket: Vec<u32>,
    /// The smallest order of each category on any channel, hundredths: a
    /// seller with less stock left cannot serve any order.
    pub min_basket: Vec<u32>,
    /// The channels consumers take up over time (Bass diffusion), in file
    /// order: the consumer record holds one adoption threshold for each.
    pub adopting: Vec<usize>,
}

/// Hundredths of a unit: the grain of stock and baskets.
pub const CENTI: u32 = 100;

impl Market {
    pub fn new(spec: &ScenarioFile) -> Market {
        let kinds: Vec<ChannelKind> = spec.channels.values().map(|c| c.kind).collect();
        let set_of = |kind: ChannelKind| -> ChannelSet {
            kinds
                .iter()
                .enumerate()
                .filter(|(_, k)| **k == kind)
                .fold(0, |acc, (i, _)| acc | (1 << i))
        };
        let owners = spec.owner_names();
        let code = |name: &str| -> u8 {
            owners
                .iter()
                .position(|o| o == name)
                .map_or(0, |i| (i + 1).min(u8::MAX as usize) as u8)
        };
        let channel_owner: Vec<u8> = spec.channels.values().map(|c| code(&c.owner)).collect();
        let affiliate_owner = code(&spec.population.affiliate.owner);
        let mut nest_names: Vec<&str> = Vec::new();
        let nest_of: Vec<usize> = spec
            .channels
            .values()
            .map(
                |c| match nest_names.iter().position(|n| *n == c.nest_name()) {
                    Some(i) => i,
                    None => {
                        nest_names.push(c.nest_name());
                        nest_names.len() - 1
                    }
                },
            )
            .collect();
        let nest_lambda: Vec<f64> = nest_names
            .iter()
            .map(|n| spec.nests.get(*n).map_or(1.0, |nest| nest.dissimilarity))
            .collect();
        let mut nest_members = vec![0 as ChannelSet; nest_names.len()];
        for (k, &n) in nest_of.iter().enumerate() {
            nest_members[n] |= 1 << k;
        }
        let mut total = 0.0;
        let cumulative_demand = spec
            .categories
            .values()
            .map(|c| {
                total += c.demand_share;
                total
            })
            .collect();
        let sim = &spec.simulation;
        let basket: Vec<u32> = spec
            .categories
            .values()
            .flat_map(|cat| {
                spec.channels.values().map(move |ch| {
                    (f64::from(CENTI) * cat.units_per_order * ch.units_per_order)
                        .round()
                        .max(1.0) as u32
                })
            })
            .collect();
        let nk = kinds.len();
        let min_basket = basket
            .chunks(nk.max(1))
            .map(|row| row.iter().copied().min().unwrap_or(CENTI))
            .collect();
        let adopting = spec
            .channels
            .values()
            .enumerate()
            .filter(|(_, c)| c.adoption.is_some())
            .map(|(k, _)| k)
            .collect();
        Market {
            n_channels: kinds.len(),
            n_categories: spec.categories.len(),
            offline: set_of(ChannelKind::Offline),
            marketplaces: set_of(ChannelKind::Marketplace),
            socials: set_of(ChannelKind::Social),
            kinds,
            owners,
            channel_owner,
            affiliate_owner,
            nest_of,
            nest_lambda,
            nest_members,
            ref_price: spec.categories.values().map(|c| c.ref_price_idr).collect(),
            import_shipping: spec
                .categories
                .values()
                .map(|c| c.shipping_share * c.ref_price_idr)
                .collect(),
            cumulative_demand,
            seller_scale: sim.seller_scale,
            consumer_scale: sim.consumer_scale,
            units_per_sale: sim.consumer_scale / sim.seller_scale,
            basket,
            min_basket,
            adopting,
        }
    }

    /// Units in an order of category `c` found on channel `k`, hundredths.
    pub fn basket(&self, c: usize, k: usize) -> u32 {
        self.basket[c * self.n_channels + k]
    }

    /// The category whose cumulative demand share first exceeds `u` (a
    /// uniform draw): a category drawn by demand share.
    pub fn category_at(&self, u: f64) -> usize {
        self.cumulative_demand
            .iter()
            .position(|&c| u < c)
            .unwrap_or(self.n_categories - 1)
    }

    /// Every channel.
    pub fn all_channels(&self) -> ChannelSet {
        ((1u32 << self.n_channels) - 1) as ChannelSet
    }

    /// Channels in a set, in file order (bit by bit: no test of the
    /// channels outside the set).
    pub fn channels_in(&self, set: ChannelSet) -> Channels {
        Channels(set & self.all_channels())
    }
}

/// The channels of a set, lowest index first.
#[derive(Debug, Clone, Copy)]
pub struct Channels(ChannelSet);

impl Iterator for Channels {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.0 == 0 {
            return None;
        }
        let k = self.0.trailing_zeros() as usize;
        self.0 &= self.0 - 1;
        Some(k)
    }
}
