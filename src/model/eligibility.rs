//! Step 2: this tick's prices and which listings may sell.
//!
//! Prices are set here (not during adaptation) because the landed-cost
//! adders depend on the tariffs, and the listed prices on the take rates,
//! that step 1 may just have changed.

use super::Model;
use super::market::Market;
use super::policy::PolicyState;
use super::sellers::{SellerKind, Sellers, Tally, bound_by_cross_border};

impl Model<'_> {
    pub(super) fn update_prices_and_eligibility(&mut self) {
        let affiliates_bound = self.scenario.spec.population.affiliate.cross_border;
        let policy = &self.policy;
        self.listed = ListedPrices::new(policy, self.scenario.spec.behaviour.fee_pass_through);
        let costs = LandedCosts::new(&self.market, policy);
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
            let goods = f64::from(s.unit_cost[j]) * (1.0 + f64::from(s.markup[j]));
            s.price[j] = goods + costs.adders(s, j);
            s.tally[j] = Tally::open(s.tally[j].capacity);
            let mut eligible = s.listings[j];
            if bound_by_cross_border(kind, affiliates_bound) {
                // Permendag 31/2023 Art. 19 (S75): a floor on the FOB price
                // of a unit, the goods without shipping and duty, from
                // which positive-list goods are exempt (Art. 19(4); S72).
                let exempt = policy
                    .positive_list
                    .as_ref()
                    .is_some_and(|listed| listed[c]);
                let under_floor = policy.price_floor_idr.is_some_and(|floor| goods < floor);
                if under_floor && !exempt {
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
        LandedCosts::new(&self.market, &self.policy)
    }

    /// Seller `j`'s landed unit cost m_j + shipping + tariff in IDR, under
    /// the current tariffs (what this tick's accounting charged, until the
    /// next tick's policy events).
    pub fn landed_cost(&self, j: usize) -> f64 {
        f64::from(self.sellers.unit_cost[j]) + self.landed_costs().adders(&self.sellers, j)
    }

    /// The price seller `j` lists on channel `k` this tick, IDR: its price
    /// p_j with the passed-through share of k's commission added.
    pub fn listed_price(&self, j: usize, k: usize) -> f64 {
        self.sellers.price[j] * self.listed.factor[k]
    }

    /// Each channel's factor from a seller's price to its listed price this
    /// tick (1 where the channel takes no commission).
    pub fn listed_price_factors(&self) -> &[f64] {
        &self.listed.factor
    }
}

/// From a seller's price p_j to the price it lists on channel k:
/// `p_jk = p_j / (1 − ρ τ_k)`, so that the buyer pays the share ρ of the
/// commission `τ_k p_jk` (docs/ODD.md section 7). One factor a channel,
/// set each tick from the take rates in force.
#[derive(Debug, Clone, Default)]
pub(super) struct ListedPrices {
    pub(super) factor: Vec<f64>,
    /// ln of `factor`: added to a listing's ln(p_j / P_c).
    pub(super) ln_factor: Vec<f64>,
}

impl ListedPrices {
    pub(super) fn new(policy: &PolicyState, pass_through: f64) -> ListedPrices {
        let factor: Vec<f64> = policy
            .take_rate
            .iter()
            .map(|&tau| 1.0 / (1.0 - pass_through * tau))
            .collect();
        let ln_factor = factor.iter().map(|&f| libm::log(f)).collect();
        ListedPrices { factor, ln_factor }
    }
}

/// Cross-border shipping and tariffs: the adders of a landed unit cost.
/// Computed where needed rather than stored per seller (one f64 less per
/// seller), always by this one expression, so prices and accounting agree
/// to the bit.
pub(super) struct LandedCosts<'a> {
    /// Cross-border shipping per unit in each category, IDR.
    shipping: &'a [f64],
    tariff: &'a [f64],
}

impl LandedCosts<'_> {
    pub(super) fn new<'a>(market: &'a Market, policy: &'a PolicyState) -> LandedCosts<'a> {
        LandedCosts {
            shipping: &market.import_shipping,
            tariff: &policy.tariff,
        }
    }

    /// Shipping for goods shipped by importers and affiliates, plus the
    /// category's tariff on imported goods' cost and shipping.
    #[inline]
    pub(super) fn adders(&self, s: &Sellers, j: usize) -> f64 {
        let m = f64::from(s.unit_cost[j]);
        let c = s.category[j] as usize;
        let ship = if s.kind[j] == SellerKind::Umkm {
            0.0
        } else {
            self.shipping[c]
        };
        let tariff = if s.imported[j] {
            self.tariff[c] * (m + ship)
        } else {
            0.0
        };
        ship + tariff
    }
}
