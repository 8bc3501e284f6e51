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
    /// Owner code of each channel (0: no owner).
    pub channel_owner: Vec<u8>,
    /// Channels of each owner code (index 0: none).
    pub owner_channels: Vec<ChannelSet>,
    /// Owner code of the initial affiliates.
    pub affiliate_owner: u8,
    pub ref_price: Vec<f64>,
    pub cumulative_demand: Vec<f64>,
    pub seller_scale: f64,
    pub consumer_scale: f64,
    /// Real units one simulated sale stands for, per real seller
    /// (consumer_scale / seller_scale).
    pub units_per_sale: f64,
}

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
        let mut owners: Vec<&str> = Vec::new();
        let channel_owner: Vec<u8> = spec
            .channels
            .values()
            .map(|c| {
                if c.owner.is_empty() {
                    return 0;
                }
                let code = match owners.iter().position(|o| *o == c.owner) {
                    Some(i) => i,
                    None => {
                        owners.push(&c.owner);
                        owners.len() - 1
                    }
                };
                (code + 1) as u8
            })
            .collect();
        let mut owner_channels = vec![0 as ChannelSet; owners.len() + 1];
        for (k, &code) in channel_owner.iter().enumerate() {
            if code > 0 {
                owner_channels[code as usize] |= 1 << k;
            }
        }
        let affiliate_owner = owners
            .iter()
            .position(|o| *o == spec.population.affiliate.owner)
            .map_or(0, |i| (i + 1) as u8);
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
        Market {
            n_channels: kinds.len(),
            n_categories: spec.categories.len(),
            offline: set_of(ChannelKind::Offline),
            marketplaces: set_of(ChannelKind::Marketplace),
            socials: set_of(ChannelKind::Social),
            kinds,
            channel_owner,
            owner_channels,
            affiliate_owner,
            ref_price: spec.categories.values().map(|c| c.ref_price_idr).collect(),
            cumulative_demand,
            seller_scale: sim.seller_scale,
            consumer_scale: sim.consumer_scale,
            units_per_sale: sim.consumer_scale / sim.seller_scale,
        }
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

    /// Channels in a set, in file order.
    pub fn channels_in(&self, set: ChannelSet) -> impl Iterator<Item = usize> + '_ {
        (0..self.n_channels).filter(move |k| set & (1 << k) != 0)
    }
}
