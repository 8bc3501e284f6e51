//! Steps 7 and 8: bankrupt sellers exit; UMKM, importers and (Project S)
//! affiliates enter. Entrants sell from the next tick.

use super::Model;
use super::sellers::{ChannelSet, SellerKind};
use crate::dist;
use crate::rng::Purpose;

impl Model<'_> {
    pub(super) fn exit_bankrupt(&mut self) {
        let market = &self.market;
        let s = &mut self.sellers;
        let f = &mut self.flows;
        // The segment's sellers that exit between its date and the tick
        // its bands are counted.
        let counts_segment = self
            .windows
            .is_some_and(|w| (w.date..=w.closing()).contains(&self.tick));
        for j in 0..s.len() {
            if s.alive[j] && s.cash[j] < 0.0 {
                f.exits_kind[s.kind[j] as usize] += 1;
                if s.kind[j] == SellerKind::Umkm {
                    f.exits_class[s.size_class[j] as usize] += 1;
                }
                if counts_segment && super::segments::in_scope(s, j) {
                    self.segment_exits += 1;
                }
                for k in market.channels_in(s.listings[j]) {
                    f.exits_channel[k] += 1;
                }
                s.remove(j);
            }
        }
        s.sort_free_slots();
    }

    pub(super) fn enter(&mut self) {
        let spec = &self.scenario.spec;
        let b = &spec.behaviour;
        // Affiliates first, while this tick's best sellers still hold their slots.
        self.project_s_round();
        // UMKM and importers enter from streams of their own, so a policy
        // that stops one kind's entry leaves the other's draws alone.
        let mut rng = self.streams.stream(Purpose::Entry, 0, self.tick);
        let mut importer_rng = self.streams.stream(Purpose::Entry, 1, self.tick);
        let (alive_umkm, alive_importers) = {
            let s = &self.sellers;
            let count = |kind| {
                (0..s.len())
                    .filter(|&j| s.alive[j] && s.kind[j] == kind)
                    .count()
            };
            (count(SellerKind::Umkm), count(SellerKind::Importer))
        };
        let margin = self.importer_margin;
        let new_umkm = dist::poisson(&mut rng, b.umkm_entry_rate * alive_umkm as f64);
        let cross_border: ChannelSet = self.cross_border_channels();
        let new_importers = if cross_border != 0 {
            dist::poisson(
                &mut importer_rng,
                b.importer_entry_rate * alive_importers as f64 * margin.max(0.0),
            )
        } else {
            0
        };
        for _ in 0..new_umkm {
            let new = self.factory().new_umkm(&mut rng);
            self.admit(new);
        }
        for _ in 0..new_importers {
            let new = self.factory().importer(&mut importer_rng, cross_border);
            self.admit(new);
        }
    }

    /// Online channels that allow cross-border sales now: where a new
    /// importer lists.
    pub(super) fn cross_border_channels(&self) -> ChannelSet {
        self.policy.cross_border_open() & !self.market.offline
    }

    fn admit(&mut self, new: super::sellers::NewSeller) {
        self.flows.entries_kind[new.kind as usize] += 1;
        for k in self.market.channels_in(new.listings) {
            self.flows.entries_channel[k] += 1;
        }
        self.sellers.add(new);
    }

    /// Project S: every `every` ticks from its event, the owner of the
    /// channel reads its category GMV this tick and places affiliates in
    /// its `top` categories, copying the quality of each category's best
    /// seller on the channel.
    fn project_s_round(&mut self) {
        let nc = self.market.n_categories;
        // Read every rule's targets (and each category's best seller) before
        // placing anyone: an entrant may take the slot of a seller that
        // exited this tick.
        let mut placements: Vec<(usize, u32, f64, usize, f64)> = Vec::new();
        for rule in &self.policy.project_s {
            if !(self.tick - rule.since).is_multiple_of(rule.every) {
                continue;
            }
            let k = rule.channel;
            let gmv = &self.flows.gmv_tx_category[k * nc..(k + 1) * nc];
            let mut categories: Vec<usize> = (0..nc).filter(|&c| gmv[c] > 0.0).collect();
            // Largest GMV first; ties by category order.
            categories.sort_by(|&a, &b| gmv[b].total_cmp(&gmv[a]).then(a.cmp(&b)));
            categories.truncate(rule.top as usize);
            for c in categories {
                if let Some(best) = self.best_seller_on(k, c) {
                    placements.push((
                        k,
                        rule.entrants,
                        rule.cost_factor,
                        c,
                        f64::from(self.sellers.quality[best]),
                    ));
                }
            }
        }
        let mut current: Option<(usize, crate::rng::Rng)> = None;
        for (k, entrants, cost_factor, c, quality) in placements {
            // One policy stream per channel and tick.
            if current.as_ref().is_none_or(|(channel, _)| *channel != k) {
                current = Some((k, self.streams.stream(Purpose::Policy, k as u64, self.tick)));
            }
            let Some((_, rng)) = current.as_mut() else {
                continue;
            };
            let owner = self.policy.channel_owner[k];
            if owner == 0 {
                // Not (yet) acquired: no one to place affiliates.
                continue;
            }
            let listings = self.policy.owner_channels(owner);
            for _ in 0..entrants {
                let new =
                    self.factory()
                        .affiliate(rng, owner, c as u16, quality, cost_factor, listings);
                self.admit(new);
            }
        }
    }

    /// The seller with the largest GMV on channel `k` in category `c` this
    /// tick (lowest slot on ties).
    fn best_seller_on(&self, k: usize, c: usize) -> Option<usize> {
        let sales = self.channel_sales.get(k)?;
        let s = &self.sellers;
        let mut best: Option<(f64, usize)> = None;
        for (j, &n) in sales.iter().enumerate() {
            if n == 0 || s.category[j] as usize != c {
                continue;
            }
            let gmv = n as f64 * s.price[j] * self.listed.factor[k];
            if best.is_none_or(|(g, _)| gmv > g) {
                best = Some((gmv, j));
            }
        }
        best.map(|(_, j)| j)
    }
}
