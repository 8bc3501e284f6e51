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
        // Rivals' price in each category: this tick's mean price p_j over
        // sales (the sellers' own prices, before commissions are added),
        // summed in accounting.
        let f = &self.flows;
        let rival_price: Vec<Option<f64>> = f
            .price_sales_category
            .iter()
            .zip(&f.sales_category)
            .map(|(&sum, &n)| (n > 0.0).then(|| sum / n))
            .collect();
        let pricing = Pricing::new(&self.scenario.spec, market);
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
            let units = s.tally[j].units_sold() * market.units_per_sale;
            // In f64, stored rounded to f32 (see `Sellers`).
            let popularity = f64::from(s.popularity[j]);
            s.popularity[j] =
                ((1.0 - b.popularity_decay) * popularity + b.popularity_decay * units) as f32;
            s.markup[j] = pricing.next_markup(s, j, rival_price[s.category[j] as usize]) as f32;
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

/// The markup rule (docs/ODD.md section 3, step 6): each tick a seller
/// closes the share κ of the gap between its markup and a target, a blend
/// of the markup the consumers' price sensitivity implies and the markup
/// that would price it at its rivals' mean price, and steps by δ up when
/// it sold out or down when it sold nothing.
struct Pricing<'a> {
    /// μ_L = 1 / (α̃ − 1): the logit Lerner markup at the median price
    /// sensitivity α̃ (the highest markup when α̃ ≤ 1).
    lerner: f64,
    weight: f64,
    speed: f64,
    step: f64,
    min: f64,
    max: f64,
    /// The smallest order of each category, hundredths of a unit: with
    /// less stock left a seller is sold out.
    min_basket: &'a [u32],
}

impl<'a> Pricing<'a> {
    fn new(spec: &crate::scenario::ScenarioFile, market: &'a super::market::Market) -> Pricing<'a> {
        let b = &spec.behaviour;
        let alpha = spec.population.consumers.price_sensitivity_median;
        Pricing {
            lerner: if alpha > 1.0 {
                (1.0 / (alpha - 1.0)).min(b.markup_max)
            } else {
                b.markup_max
            },
            weight: b.rival_price_weight,
            speed: b.markup_adjustment,
            step: b.markup_step,
            min: b.markup_min,
            max: b.markup_max,
            min_basket: &market.min_basket,
        }
    }

    /// Seller `j`'s markup for the next tick, given its category's mean
    /// price this tick (none when the category sold nothing).
    fn next_markup(&self, s: &super::sellers::Sellers, j: usize, rival_price: Option<f64>) -> f64 {
        let markup = f64::from(s.markup[j]);
        let cost = f64::from(s.unit_cost[j]);
        // What the price adds to the goods: shipping and tariffs.
        let adders = s.price[j] - cost * (1.0 + markup);
        let target = match rival_price {
            Some(p) if cost > 0.0 => {
                let rivals = (p - adders) / cost - 1.0;
                (1.0 - self.weight) * self.lerner + self.weight * rivals
            }
            _ => self.lerner,
        };
        let tally = &s.tally[j];
        let signal = if tally.remaining < self.min_basket[s.category[j] as usize] {
            self.step
        } else if tally.sold_nothing() {
            -self.step
        } else {
            0.0
        };
        (markup + self.speed * (target - markup) + signal).clamp(self.min, self.max)
    }
}
