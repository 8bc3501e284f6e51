//! Step 1: the policy state that levers set, and applying an event to it.
//!
//! The state in force at a tick is the channels' settings with every event
//! in force at that tick applied in timeline order (an event is in force
//! from its tick until its `until`). It is rebuilt that way whenever an
//! event starts or ends, so that ending a lever restores what the others
//! make of the state.

use super::market::Market;
use super::sellers::ChannelSet;
use crate::scenario::{Lever, ScenarioFile, TimedEvent};

/// A Project S rule in force on a channel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProjectSRule {
    pub channel: usize,
    pub every: u32,
    pub top: u32,
    pub entrants: u32,
    pub cost_factor: f64,
    /// The tick the rule was set; rounds happen every `every` ticks from it.
    pub since: u32,
}

/// The levels the levers set. Starts from the scenario's channel settings.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyState {
    pub payments_allowed: Vec<bool>,
    pub cross_border_allowed: Vec<bool>,
    pub take_rate: Vec<f64>,
    pub self_preference: Vec<f64>,
    pub checkout_partner: Vec<Option<usize>>,
    /// Chance per tick that a seller listed on the channel lists on its
    /// checkout partner.
    pub onboarding: Vec<f64>,
    /// Owner code of each channel now (0: none; see [`Market::owners`]).
    pub channel_owner: Vec<u8>,
    /// Minimum FOB price of a unit of cross-border goods in IDR, when a
    /// floor is in force.
    pub price_floor_idr: Option<f64>,
    /// Categories exempt from the floor, when a positive list is in force.
    pub positive_list: Option<Vec<bool>>,
    /// Tariff rate per category.
    pub tariff: Vec<f64>,
    pub digitalization_rate: f64,
    pub umkm_subsidy_idr: f64,
    pub project_s: Vec<ProjectSRule>,
    /// Owner names by code − 1 (for `change_owner`).
    owners: Vec<String>,
}

impl PolicyState {
    pub fn new(spec: &ScenarioFile, market: &Market) -> PolicyState {
        let ch = || spec.channels.values();
        PolicyState {
            payments_allowed: ch().map(|c| c.payments_allowed).collect(),
            cross_border_allowed: ch().map(|c| c.cross_border_allowed).collect(),
            take_rate: ch().map(|c| c.take_rate).collect(),
            self_preference: ch().map(|c| c.self_preference).collect(),
            checkout_partner: ch()
                .map(|c| spec.channels.get_index_of(&c.checkout_partner))
                .collect(),
            onboarding: vec![0.0; spec.channels.len()],
            channel_owner: market.channel_owner.clone(),
            price_floor_idr: None,
            positive_list: None,
            tariff: vec![0.0; spec.categories.len()],
            digitalization_rate: spec.behaviour.digitalization_rate,
            umkm_subsidy_idr: 0.0,
            project_s: Vec::new(),
            owners: market.owners.clone(),
        }
    }

    /// The state at tick `tick`: the scenario's settings with every event
    /// of `timeline` in force then applied, in timeline order.
    pub fn at(spec: &ScenarioFile, market: &Market, timeline: &[TimedEvent], tick: u32) -> Self {
        let mut state = PolicyState::new(spec, market);
        for e in timeline {
            if e.tick <= tick && e.until.is_none_or(|u| tick < u) {
                state.apply(&e.lever, e.tick);
            }
        }
        state
    }

    /// Channels that allow cross-border sales now, as a bit set.
    pub fn cross_border_open(&self) -> ChannelSet {
        self.cross_border_allowed
            .iter()
            .enumerate()
            .filter(|(_, open)| **open)
            .fold(0, |acc, (k, _)| acc | (1 << k))
    }

    /// The channels owner `code` owns now.
    pub fn owner_channels(&self, code: u8) -> ChannelSet {
        if code == 0 {
            return 0;
        }
        self.channel_owner
            .iter()
            .enumerate()
            .filter(|(_, o)| **o == code)
            .fold(0, |acc, (k, _)| acc | (1 << k))
    }

    /// Apply one lever set at `tick`.
    pub fn apply(&mut self, lever: &Lever, tick: u32) {
        match lever {
            Lever::PaymentBan { channel } => self.payments_allowed[*channel] = false,
            Lever::CrossBorderBan { channels } => {
                for &k in channels {
                    self.cross_border_allowed[k] = false;
                }
            }
            Lever::ImportPriceFloor { usd, usd_idr } => self.price_floor_idr = Some(usd * usd_idr),
            Lever::PositiveList { categories } => {
                let mut open = vec![false; self.tariff.len()];
                for &c in categories {
                    open[c] = true;
                }
                self.positive_list = Some(open);
            }
            Lever::ImportTariff { rate, categories } => {
                for &c in categories {
                    self.tariff[c] = *rate;
                }
            }
            Lever::SelfPreference { channel, bonus } => self.self_preference[*channel] = *bonus,
            Lever::ProjectS {
                channel,
                every,
                top,
                entrants,
                cost_factor,
            } => {
                self.project_s.retain(|r| r.channel != *channel);
                self.project_s.push(ProjectSRule {
                    channel: *channel,
                    every: *every,
                    top: *top,
                    entrants: *entrants,
                    cost_factor: *cost_factor,
                    since: tick,
                });
            }
            Lever::CheckoutPartner {
                channel,
                partner,
                onboarding,
            } => {
                self.checkout_partner[*channel] = Some(*partner);
                self.onboarding[*channel] = *onboarding;
            }
            Lever::ChangeOwner { channel, owner } => {
                // Every owner a scenario names has a code (Market::owners).
                if let Some(i) = self.owners.iter().position(|o| o == owner) {
                    self.channel_owner[*channel] = (i + 1) as u8;
                }
            }
            Lever::TakeRate { channel, rate } => self.take_rate[*channel] = *rate,
            Lever::Digitalization { rate } => self.digitalization_rate = *rate,
            Lever::UmkmSubsidy { idr_per_tick } => self.umkm_subsidy_idr = *idr_per_tick,
            // Validation turned it into the `until` of what it ends.
            Lever::End { .. } => {}
        }
    }
}
