//! Step 2: this tick's prices and which listings may sell.
//!
//! Prices are set here (not during adaptation) because the landed-cost
//! adders depend on the tariffs that step 1 may just have changed.

use super::Model;
use super::sellers::{SellerKind, Tally, bound_by_cross_border};

impl Model<'_> {
    pub(super) fn update_prices_and_eligibility(&mut self) {
        let spec = &self.scenario.spec;
        let shipping = spec.population.importer.shipping_idr;
        let affiliates_bound = spec.population.affiliate.cross_border;
        let policy = &self.policy;
        let market = &self.market;
        let cross_border_open = policy.cross_border_open();
        let s = &mut self.sellers;
        for j in 0..s.len() {
            // Every slot starts the tick with no sales; a dead slot also
            // with no capacity.
            if !s.alive[j] {
                s.tally[j] = Tally::open(0);
                s.eligible[j] = 0;
                continue;
            }
            let c = s.category[j] as usize;
            let kind = s.kind[j];
            let m = s.unit_cost[j];
            // Cross-border shipping for goods shipped by importers and affiliates.
            let ship = if kind == SellerKind::Umkm {
                0.0
            } else {
                shipping
            };
            let tariff = if s.imported[j] {
                policy.tariff[c] * (m + ship)
            } else {
                0.0
            };
            let adders = ship + tariff;
            let price = m * (1.0 + s.markup[j]) + adders;
            s.price[j] = price;
            s.landed_cost[j] = m + adders;
            s.ln_rel_price[j] = libm::log(price / market.ref_price[c]);
            s.tally[j] = Tally::open(s.capacity[j]);
            let bound = bound_by_cross_border(kind, affiliates_bound);
            let mut eligible = s.listings[j];
            if bound {
                let listed_category = policy.positive_list.as_ref().is_none_or(|open| open[c]);
                let above_floor = policy.price_floor_idr.is_none_or(|floor| price >= floor);
                if !(listed_category && above_floor) {
                    eligible = 0;
                }
                eligible &= cross_border_open;
            }
            s.eligible[j] = eligible;
        }
    }
}
