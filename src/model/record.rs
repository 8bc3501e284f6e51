//! Step 9: the tick's metrics, in real units.

use super::Model;
use super::sellers::SellerKind;
use crate::metrics::{By, Metric, Observation, SOCIAL_SEGMENTS, TickRecord};

impl Model<'_> {
    pub(super) fn record(&self) -> TickRecord {
        let m = &self.market;
        let f = &self.flows;
        let s = &self.sellers;
        let (nk, nc) = (m.n_channels, m.n_categories);
        let cs = m.consumer_scale;
        let ss = m.seller_scale;
        let mut obs = Vec::with_capacity(128);
        let mut put = |metric: Metric, by: By, group: usize, value: f64| {
            obs.push(Observation {
                metric,
                by,
                group: group as u16,
                value,
            });
        };
        let gmv_tx: Vec<f64> = (0..nk)
            .map(|k| f.gmv_tx_category[k * nc..(k + 1) * nc].iter().sum())
            .collect();
        let total: f64 = f.gmv_kind.iter().sum();
        let share = |x: f64| if total > 0.0 { x / total } else { 0.0 };
        // GMV and shares.
        put(Metric::GmvIdr, By::All, 0, total * cs);
        // By owner of the transaction channel now (group 0: no owner).
        let mut gmv_owner = vec![0.0; m.owners.len() + 1];
        for (k, &v) in gmv_tx.iter().enumerate() {
            gmv_owner[self.policy.channel_owner[k] as usize] += v;
        }
        let mut gmv_nest = vec![0.0; m.nest_lambda.len()];
        for (k, &v) in gmv_tx.iter().enumerate() {
            gmv_nest[m.nest_of[k]] += v;
        }
        let groups: [(By, Vec<f64>); 7] = [
            (By::Kind, f.gmv_kind.to_vec()),
            (By::Origin, f.gmv_origin.to_vec()),
            (By::Channel, gmv_tx.clone()),
            (By::DiscoveryChannel, f.gmv_discovery.clone()),
            (By::Category, f.gmv_category.clone()),
            (By::Owner, gmv_owner),
            (By::Nest, gmv_nest),
        ];
        for (by, values) in &groups {
            for (g, &v) in values.iter().enumerate() {
                put(Metric::GmvIdr, *by, g, v * cs);
            }
        }
        for (by, values) in [
            (By::KindChannel, &f.gmv_kind_tx),
            (By::OriginChannel, &f.gmv_origin_tx),
        ] {
            for (g, &v) in values.iter().enumerate() {
                put(Metric::GmvIdr, by, g, v * cs);
            }
        }
        for (by, values) in &groups {
            for (g, &v) in values.iter().enumerate() {
                put(Metric::GmvShare, *by, g, share(v));
            }
        }
        if total > 0.0 {
            put(
                Metric::ImportPenetration,
                By::All,
                0,
                f.gmv_origin[1] / total,
            );
        }
        for (k, &v) in gmv_tx.iter().enumerate() {
            if v > 0.0 {
                put(
                    Metric::ImportPenetration,
                    By::Channel,
                    k,
                    f.gmv_origin_tx[nk + k] / v,
                );
            }
        }
        // Sellers.
        let mut alive_kind = [0u64; 3];
        let mut alive_channel = vec![0u64; nk];
        let mut alive_nest = vec![0u64; m.nest_members.len()];
        // UMKM by size class and by social segment.
        let mut alive_class = [0u64; 3];
        let mut alive_social = [0u64; SOCIAL_SEGMENTS.len()];
        for j in 0..s.len() {
            if s.alive[j] {
                alive_kind[s.kind[j] as usize] += 1;
                for k in m.channels_in(s.listings[j]) {
                    alive_channel[k] += 1;
                }
                for (n, &members) in m.nest_members.iter().enumerate() {
                    if s.listings[j] & members != 0 {
                        alive_nest[n] += 1;
                    }
                }
                if s.kind[j] == SellerKind::Umkm {
                    alive_class[s.size_class[j] as usize] += 1;
                    alive_social[s.sold_on_social[j] as usize] += 1;
                }
            }
        }
        put(
            Metric::SellersAlive,
            By::All,
            0,
            alive_kind.iter().sum::<u64>() as f64 * ss,
        );
        // The social segment's groups exist only with a segment date.
        let social_groups = if self.windows.is_some() {
            SOCIAL_SEGMENTS.len()
        } else {
            0
        };

        for kind in SellerKind::ALL {
            put(
                Metric::SellersAlive,
                By::Kind,
                kind as usize,
                alive_kind[kind as usize] as f64 * ss,
            );
        }
        for (k, &n) in alive_channel.iter().enumerate() {
            put(Metric::SellersAlive, By::Channel, k, n as f64 * ss);
        }
        for (n, &count) in alive_nest.iter().enumerate() {
            put(Metric::SellersAlive, By::Nest, n, count as f64 * ss);
        }
        for (c, &n) in alive_class.iter().enumerate() {
            put(Metric::SellersAlive, By::SizeClass, c, n as f64 * ss);
        }
        for (g, &n) in alive_social.iter().enumerate().take(social_groups) {
            put(Metric::SellersAlive, By::SocialSegment, g, n as f64 * ss);
        }
        for (metric, by_kind, by_channel) in [
            (Metric::Entries, &f.entries_kind, &f.entries_channel),
            (Metric::Exits, &f.exits_kind, &f.exits_channel),
        ] {
            put(metric, By::All, 0, by_kind.iter().sum::<u64>() as f64 * ss);
            for kind in SellerKind::ALL {
                put(
                    metric,
                    By::Kind,
                    kind as usize,
                    by_kind[kind as usize] as f64 * ss,
                );
            }
            for (k, &n) in by_channel.iter().enumerate() {
                put(metric, By::Channel, k, n as f64 * ss);
            }
            if metric == Metric::Exits {
                for (c, &n) in f.exits_class.iter().enumerate() {
                    put(metric, By::SizeClass, c, n as f64 * ss);
                }
            }
        }
        // Purchases.
        put(Metric::PurchaseAttempts, By::All, 0, f.attempts as f64 * cs);
        put(
            Metric::PurchaseDecisions,
            By::All,
            0,
            f.decisions as f64 * cs,
        );
        put(Metric::Purchases, By::All, 0, f.purchases as f64 * cs);
        let mut purchases_nest = vec![0u64; m.nest_members.len()];
        for (k, &n) in f.purchases_tx.iter().enumerate() {
            put(Metric::Purchases, By::Channel, k, n as f64 * cs);
            purchases_nest[m.nest_of[k]] += n;
        }
        for (n, &count) in purchases_nest.iter().enumerate() {
            put(Metric::Purchases, By::Nest, n, count as f64 * cs);
        }
        put(Metric::PurchasesLost, By::All, 0, f.lost as f64 * cs);
        for (k, &n) in f.lost_discovery.iter().enumerate() {
            put(
                Metric::PurchasesLost,
                By::DiscoveryChannel,
                k,
                n as f64 * cs,
            );
        }
        put(
            Metric::PurchasesRedirected,
            By::All,
            0,
            f.redirected as f64 * cs,
        );
        for (k, &n) in f.redirected_tx.iter().enumerate() {
            put(Metric::PurchasesRedirected, By::Channel, k, n as f64 * cs);
        }
        // A unit's price, not an order's: GMV over the units in the orders.
        if f.units > 0.0 {
            put(Metric::AvgPriceIdr, By::All, 0, total / f.units);
        }
        for kind in SellerKind::ALL {
            let n = f.units_kind[kind as usize];
            if n > 0.0 {
                put(
                    Metric::AvgPriceIdr,
                    By::Kind,
                    kind as usize,
                    f.gmv_kind[kind as usize] / n,
                );
            }
        }
        put(
            Metric::ConsumerSurplusIdr,
            By::All,
            0,
            f.consumer_surplus * cs,
        );
        put(
            Metric::CommissionIdr,
            By::All,
            0,
            f.commission.iter().sum::<f64>() * cs,
        );
        for (k, &v) in f.commission.iter().enumerate() {
            put(Metric::CommissionIdr, By::Channel, k, v * cs);
        }
        if total > 0.0 {
            put(
                Metric::Hhi,
                By::All,
                0,
                f.gmv_squares / (total * total * ss),
            );
        }
        put(Metric::UmkmRevenueIdr, By::All, 0, f.umkm_revenue_idr);
        put(Metric::UmkmProfitIdr, By::All, 0, f.umkm_profit_idr);
        for (metric, by_class, by_social) in [
            (
                Metric::UmkmRevenueIdr,
                &f.umkm_revenue_class,
                &f.umkm_revenue_social,
            ),
            (
                Metric::UmkmProfitIdr,
                &f.umkm_profit_class,
                &f.umkm_profit_social,
            ),
        ] {
            for (c, &v) in by_class.iter().enumerate() {
                put(metric, By::SizeClass, c, v);
            }
            for (g, &v) in by_social.iter().enumerate().take(social_groups) {
                put(metric, By::SocialSegment, g, v);
            }
        }
        put(Metric::UmkmSubsidyIdr, By::All, 0, f.umkm_subsidy_idr);
        for (&k, &n) in self.market.adopting.iter().zip(&f.adopters) {
            put(Metric::Adopters, By::Channel, k, n as f64 * cs);
        }
        if let Some(bands) = self.revenue_bands() {
            for (b, &n) in bands.iter().enumerate() {
                put(Metric::SellersByRevenueChange, By::RevenueChange, b, n);
            }
        }
        // Order rows by metric, then dimension, as documented.
        obs.sort_by_key(|o| o.metric as u16);
        TickRecord {
            tick: self.tick,
            observations: obs,
        }
    }
}
