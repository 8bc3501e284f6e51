//! Step 5: each seller's profit, per real seller, and its cash.

use super::Model;
use super::sellers::SellerKind;

impl Model<'_> {
    pub(super) fn account(&mut self) {
        let spec = &self.scenario.spec;
        let units_per_sale = self.market.units_per_sale;
        let seller_scale = self.market.seller_scale;
        let subsidy = self.policy.umkm_subsidy_idr;
        let s = &mut self.sellers;
        let f = &mut self.flows;
        let (mut importer_profit, mut importer_revenue) = (0.0, 0.0);
        for j in 0..s.len() {
            if !s.alive[j] {
                continue;
            }
            let gmv = s.tally[j].sales as f64 * s.price[j];
            f.gmv_kind[s.kind[j] as usize] += gmv;
            f.purchases_kind[s.kind[j] as usize] += s.tally[j].sales as u64;
            f.gmv_origin[s.imported[j] as usize] += gmv;
            f.gmv_category[s.category[j] as usize] += gmv;
            f.gmv_squares += gmv * gmv;
            let units = s.tally[j].sales as f64 * units_per_sale;
            let revenue = units * s.price[j];
            // Σ over sales of take rate × price, per real seller.
            let commission = units_per_sale * s.price[j] * s.tally[j].fee_rate_sum;
            let fixed = match s.kind[j] {
                SellerKind::Umkm => spec.population.umkm.fixed_cost_idr,
                SellerKind::Importer | SellerKind::Affiliate => {
                    spec.population.importer.fixed_cost_idr
                }
            };
            let profit = revenue - units * s.landed_cost[j] - commission - fixed;
            s.profit[j] = profit;
            s.cash_before[j] = s.cash[j];
            s.cash[j] += profit;
            if s.kind[j] == SellerKind::Importer {
                importer_profit += profit;
                importer_revenue += revenue;
            }
            if s.kind[j] == SellerKind::Umkm {
                s.cash[j] += subsidy;
                f.umkm_revenue_idr += revenue * seller_scale;
                f.umkm_profit_idr += profit * seller_scale;
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
