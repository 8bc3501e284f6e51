//! Step 9: the tick's metrics, in real units.

use super::Model;
use super::sellers::SellerKind;
use crate::metrics::{By, Metric, Observation, TickRecord};

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
        let groups: [(By, Vec<f64>); 5] = [
            (By::Kind, f.gmv_kind.to_vec()),
            (By::Origin, f.gmv_origin.to_vec()),
            (By::Channel, gmv_tx),
            (By::DiscoveryChannel, f.gmv_discovery.clone()),
            (By::Category, f.gmv_category.clone()),
        ];
        for (by, values) in &groups {
            for (g, &v) in values.iter().enumerate() {
                put(Metric::GmvIdr, *by, g, v * cs);
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
        // Sellers.
        let mut alive_kind = [0u64; 3];
        let mut alive_channel = vec![0u64; nk];
        for j in 0..s.len() {
            if s.alive[j] {
                alive_kind[s.kind[j] as usize] += 1;
                for k in m.channels_in(s.listings[j]) {
                    alive_channel[k] += 1;
                }
            }
        }
        put(
            Metric::SellersAlive,
            By::All,
            0,
            alive_kind.iter().sum::<u64>() as f64 * ss,
        );
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
        for (k, &n) in f.purchases_tx.iter().enumerate() {
            put(Metric::Purchases, By::Channel, k, n as f64 * cs);
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
        if f.purchases > 0 {
            put(Metric::AvgPriceIdr, By::All, 0, total / f.purchases as f64);
        }
        for kind in SellerKind::ALL {
            let n = f.purchases_kind[kind as usize];
            if n > 0 {
                put(
                    Metric::AvgPriceIdr,
                    By::Kind,
                    kind as usize,
                    f.gmv_kind[kind as usize] / n as f64,
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
        put(Metric::UmkmSubsidyIdr, By::All, 0, f.umkm_subsidy_idr);
        // Order rows by metric, then dimension, as documented.
        obs.sort_by_key(|o| o.metric as u16);
        TickRecord {
            tick: self.tick,
            observations: obs,
        }
    }
}
