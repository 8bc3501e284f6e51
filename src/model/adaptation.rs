//! Step 6: popularity, markups, and UMKM going online and onto social.

use super::Model;
use super::sellers::SellerKind;
use crate::dist;
use crate::rng::Purpose;

impl Model<'_> {
    pub(super) fn adapt(&mut self) {
        let b = &self.scenario.spec.behaviour;
        let market = &self.market;
        let nc = market.n_categories;
        // Each social channel's share of this tick's category GMV (all channels).
        let category_gmv: Vec<f64> = (0..nc)
            .map(|c| {
                (0..market.n_channels)
                    .map(|k| self.flows.gmv_tx_category[k * nc + c])
                    .sum()
            })
            .collect();
        let socials: Vec<usize> = market.channels_in(market.socials).collect();
        // share[i * nc + c]: social channel socials[i]'s share of category c.
        let share: Vec<f64> = socials
            .iter()
            .flat_map(|&k| {
                let gmv = &self.flows.gmv_tx_category;
                let totals = &category_gmv;
                (0..nc).map(move |c| {
                    if totals[c] > 0.0 {
                        gmv[k * nc + c] / totals[c]
                    } else {
                        0.0
                    }
                })
            })
            .collect();
        let digitalization = self.policy.digitalization_rate;
        // Checkout partners that onboard sellers: (channel, partner, chance).
        let onboarding: Vec<(usize, usize, f64)> = (0..market.n_channels)
            .filter_map(|k| {
                let partner = self.policy.checkout_partner[k]?;
                let rate = self.policy.onboarding[k];
                (rate > 0.0).then_some((k, partner, rate))
            })
            .collect();
        let factory = super::sellers::SellerFactory {
            spec: &self.scenario.spec,
            market,
        };
        let (streams, tick) = (&self.streams, self.tick);
        let s = &mut self.sellers;
        let f = &mut self.flows;
        for j in 0..s.len() {
            if !s.alive[j] {
                continue;
            }
            let units = s.tally[j].sales() as f64 * market.units_per_sale;
            // In f64, stored rounded to f32 (see `Sellers`).
            let popularity = f64::from(s.popularity[j]);
            s.popularity[j] =
                ((1.0 - b.popularity_decay) * popularity + b.popularity_decay * units) as f32;
            let markup = f64::from(s.markup[j]);
            if s.tally[j].remaining == 0 {
                s.markup[j] = (markup + b.markup_step).min(b.markup_max) as f32;
            } else if s.tally[j].sales() == 0 {
                s.markup[j] = (markup - b.markup_step).max(b.markup_min) as f32;
            }
            // Draws that only some sellers need come from a stream of their
            // own, opened when needed, so that the draws of others stay
            // aligned.
            let id = u64::from(s.id[j]);
            let mut listing_rng: Option<crate::rng::Rng> = None;
            let new_stream = || streams.stream(Purpose::Listing, id, tick);
            if s.kind[j] == SellerKind::Umkm {
                // Always the same draws per UMKM, whatever its state, so
                // common random numbers stay aligned across scenarios.
                let mut rng = streams.stream(Purpose::Adaptation, id, tick);
                let go_online = dist::uniform(&mut rng) < digitalization;
                let online = s.listings[j] & market.marketplaces != 0;
                let c = s.category[j] as usize;
                for (i, &k) in socials.iter().enumerate() {
                    let u = dist::uniform(&mut rng);
                    if !online || s.listings[j] & (1 << k) != 0 {
                        continue;
                    }
                    if u < b.social_adoption * share[i * nc + c] {
                        s.listings[j] |= 1 << k;
                        f.entries_channel[k] += 1;
                    }
                }
                if !online && go_online {
                    let rng = listing_rng.get_or_insert_with(new_stream);
                    let new = factory.marketplace_subset(rng) & !s.listings[j];
                    s.listings[j] |= new;
                    for k in market.channels_in(new) {
                        f.entries_channel[k] += 1;
                    }
                }
            }
            // Sellers of every kind on a channel with a checkout partner
            // list on the partner at the partner's onboarding rate.
            for &(k, partner, rate) in &onboarding {
                let listed = s.listings[j];
                if listed & (1 << k) == 0 || listed & (1 << partner) != 0 {
                    continue;
                }
                if dist::uniform(listing_rng.get_or_insert_with(new_stream)) < rate {
                    s.listings[j] |= 1 << partner;
                    f.entries_channel[partner] += 1;
                }
            }
        }
    }
}
