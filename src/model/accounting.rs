//! Step 5: each seller's profit, per real seller, and its cash.

use super::Model;
use super::eligibility::LandedCosts;
use super::market::Market;
use super::policy::PolicyState;
use super::sellers::{SellerKind, Sellers};
use crate::scenario::ScenarioFile;

/// What a seller's accounting reads besides the seller itself.
struct Books<'a> {
    units_per_sale: f64,
    /// UMKM fixed cost by size class (micro, small, medium).
    umkm_fixed_cost: [f64; 3],
    importer_fixed_cost: f64,
    costs: LandedCosts<'a>,
}

impl Books<'_> {
    fn new<'a>(spec: &ScenarioFile, market: &'a Market, policy: &'a PolicyState) -> Books<'a> {
        Books {
            units_per_sale: market.units_per_sale,
            umkm_fixed_cost: {
                let u = &spec.population.umkm;
                [
                    u.fixed_cost_idr,
                    u.small.fixed_cost_idr,
                    u.medium.fixed_cost_idr,
                ]
            },
            importer_fixed_cost: spec.population.importer.fixed_cost_idr,
            costs: LandedCosts::new(market, policy),
        }
    }

    /// Seller `j`'s revenue and profit this tick, per real seller, IDR:
    /// revenue − landed cost of the units − commissions − the fixed cost.
    /// Revenue and commission are the tally's sums over the listed prices
    /// of its sales, so they hold whatever channels it sold on.
    fn revenue_and_profit(&self, s: &Sellers, j: usize) -> (f64, f64) {
        let tally = &s.tally[j];
        let units = tally.units_sold() * self.units_per_sale;
        let revenue = self.units_per_sale * tally.revenue;
        let commission = self.units_per_sale * tally.commission;
        let fixed = match s.kind[j] {
            SellerKind::Umkm => self.umkm_fixed_cost[s.size_class[j] as usize],
            SellerKind::Importer | SellerKind::Affiliate => self.importer_fixed_cost,
        };
        let landed_cost = f64::from(s.unit_cost[j]) + self.costs.adders(s, j);
        (revenue, revenue - units * landed_cost - commission - fixed)
    }
}

impl Model<'_> {
    /// Seller `j`'s profit this tick per real seller, IDR (subsidies
    /// excluded): what accounting added to its cash, recomputed by the same
    /// arithmetic rather than stored. Valid once the tick is over, until
    /// the next tick's policy events or the slot's reuse by an entrant.
    pub fn profit(&self, j: usize) -> f64 {
        Books::new(&self.scenario.spec, &self.market, &self.policy)
            .revenue_and_profit(&self.sellers, j)
            .1
    }

    pub(super) fn account(&mut self) {
        let books = Books::new(&self.scenario.spec, &self.market, &self.policy);
        let seller_scale = self.market.seller_scale;
        let subsidy = self.policy.umkm_subsidy_idr;
        let s = &mut self.sellers;
        let f = &mut self.flows;
        let (mut importer_profit, mut importer_revenue) = (0.0, 0.0);
        for j in 0..s.len() {
            if !s.alive[j] {
                continue;
            }
            let sales = s.tally[j].units_sold();
            let gmv = s.tally[j].revenue;
            f.gmv_kind[s.kind[j] as usize] += gmv;
            f.units_kind[s.kind[j] as usize] += sales;
            f.gmv_origin[s.imported[j] as usize] += gmv;
            let c = s.category[j] as usize;
            f.gmv_category[c] += gmv;
            if sales > 0.0 {
                f.price_sales_category[c] += s.price[j] * sales;
                f.sales_category[c] += sales;
            }
            f.gmv_squares += gmv * gmv;
            let (revenue, profit) = books.revenue_and_profit(s, j);
            s.cash[j] += profit;
            if s.kind[j] == SellerKind::Importer {
                importer_profit += profit;
                importer_revenue += revenue;
            }
            if s.kind[j] == SellerKind::Umkm {
                s.cash[j] += subsidy;
                f.umkm_revenue_idr += revenue * seller_scale;
                f.umkm_profit_idr += profit * seller_scale;
                let class = s.size_class[j] as usize;
                f.umkm_revenue_class[class] += revenue * seller_scale;
                f.umkm_profit_class[class] += profit * seller_scale;
                let social = s.sold_on_social[j] as usize;
                f.umkm_revenue_social[social] += revenue * seller_scale;
                f.umkm_profit_social[social] += profit * seller_scale;
                f.umkm_subsidy_idr += subsidy * seller_scale;
            }
        }

        // Read by importer entry (step 8): Σ profit / Σ revenue, 0 without revenue.
        self.importer_margin = if importer_revenue > 0.0 {
            importer_profit / importer_revenue
        } else {
            0.0
        };
    }
}
