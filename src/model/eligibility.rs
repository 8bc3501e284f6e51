//! Step 2: this tick's prices and which listings may sell.
//!
//! Prices are set here (not during adaptation) because the landed-cost
//! adders depend on the tariffs that step 1 may just have changed.

use super::Model;
use super::policy::PolicyState;
use super::sellers::{SellerKind, Sellers, Tally, bound_by_cross_border};
use crate::scenario::ScenarioFile;

impl Model<'_> {
    pub(super) fn update_prices_and_eligibility(&mut self) {
        let affiliates_bound = self.scenario.spec.population.affiliate.cross_border;
        let policy = &self.policy;
        let costs = LandedCosts::new(&self.scenario.spec, policy);
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
            let adders = costs.adders(s, j);
            let price = f64::from(s.unit_cost[j]) * (1.0 + f64::from(s.markup[j])) + adders;
            s.price[j] = price;
            s.tally[j] = Tally::open(s.tally[j].capacity);
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

    /// What the landed unit cost adds to the base cost under the current
    /// tariffs.
    pub(super) fn landed_costs(&self) -> LandedCosts<'_> {
        LandedCosts::new(&self.scenario.spec, &self.policy)
    }

    /// Seller `j`'s landed unit cost m_j + shipping + tariff in IDR, under
    /// the current tariffs (what this tick's accounting charged, until the
    /// next tick's policy events).
    pub fn landed_cost(&self, j: usize) -> f64 {
        f64::from(self.sellers.unit_cost[j]) + self.landed_costs().adders(&self.sellers, j)
    }
}

/// Cross-border shipping and tariffs: the adders of a landed unit cost.
/// Computed where needed rather than stored per seller (one f64 less per
/// seller), always by this one expression, so prices and accounting agree
/// to the bit.
pub(super) struct LandedCosts<'a> {
    shipping: f64,
    tariff: &'a [f64],
}

impl LandedCosts<'_> {
    pub(super) fn new<'a>(spec: &ScenarioFile, policy: &'a PolicyState) -> LandedCosts<'a> {
        LandedCosts {
            shipping: spec.population.importer.shipping_idr,
            tariff: &policy.tariff,
        }
    }

    /// Shipping for goods shipped by importers and affiliates, plus the
    /// category's tariff on imported goods' cost and shipping.
    #[inline]
    pub(super) fn adders(&self, s: &Sellers, j: usize) -> f64 {
        let m = f64::from(s.unit_cost[j]);
        let ship = if s.kind[j] == SellerKind::Umkm {
            0.0
        } else {
            self.shipping
        };
        let tariff = if s.imported[j] {
            self.tariff[s.category[j] as usize] * (m + ship)
        } else {
            0.0
        };
        ship + tariff
    }
}
