//! How much memory a scenario needs, estimated from the state's layout
//! before anything is allocated, so that an impossible size is refused with
//! a clear message instead of exhausting the machine.

use super::ranking::Card;
use super::sellers::Tally;
use crate::scenario::ScenarioFile;
use std::mem::size_of;

/// Bytes one seller slot takes in [`super::sellers::Sellers`] (every
/// per-seller vector) plus its ranking state, for a scenario whose sellers
/// hold at most [`listings_per_seller`] listings each.
pub fn bytes_per_seller(spec: &ScenarioFile) -> u64 {
    let ranking = RANKING_SELLER_BYTES as f64 + listings_per_seller(spec) * LISTING_BYTES as f64;
    // With a segment date: the two windows, and a sales counter per social
    // channel until the date (to know who sold there).
    let windows = if spec.segments.social_before.is_some() {
        let social = spec
            .channels
            .values()
            .filter(|c| c.kind == crate::scenario::ChannelKind::Social)
            .count();
        WINDOW_BYTES + social * size_of::<u32>()
    } else {
        0
    };
    ((SELLER_BYTES + windows) as f64 + ranking).ceil() as u64
}

/// Listings a seller holds at most, on average over sellers: an offline
/// shop, the marketplaces an online UMKM draws (Σ listing shares, plus the
/// widest one when the draws pick none), every social channel, and every
/// channel a checkout partner onboards sellers onto. Every UMKM is counted
/// as online, which none of the shipped runs reaches; importers and
/// affiliates, listed on every online channel at most, are few.
pub fn listings_per_seller(spec: &ScenarioFile) -> f64 {
    use crate::scenario::ChannelKind;
    let of = |kind: ChannelKind| spec.channels.values().filter(move |c| c.kind == kind);
    let offline = of(ChannelKind::Offline).count() as f64;
    let social = of(ChannelKind::Social).count() as f64;
    let shares: Vec<f64> = of(ChannelKind::Marketplace)
        .map(|c| c.listing_share)
        .collect();
    let none = shares.iter().map(|s| 1.0 - s).product::<f64>();
    let marketplaces = if shares.is_empty() {
        0.0
    } else {
        shares.iter().sum::<f64>() + none
    };
    let mut partners: Vec<&str> = spec
        .events
        .iter()
        .filter(|e| e.lever == "checkout_partner")
        .filter_map(|e| e.arg("partner").and_then(|p| p.as_str()))
        .collect();
    partners.sort_unstable();
    partners.dedup();
    let all = spec.channels.len() as f64;
    (offline + marketplaces + social + partners.len() as f64).min(all)
}

/// One slot of every per-seller vector: the id, unit cost, quality, markup
/// and popularity (5 × 4 bytes); cash and price (2 × 8); the tally
/// (fee-rate sum, remaining and capacity: 16); category, listings and
/// eligibility (3 × 2); kind, size class, sold-on-social, imported, owner
/// and alive (6 × 1).
pub const SELLER_BYTES: usize = 5 * 4 + 2 * 8 + size_of::<Tally>() + 3 * 2 + 6;

/// Each seller's revenue in the two segment windows, kept only when
/// `segments.social_before` is set.
pub const WINDOW_BYTES: usize = 2 * size_of::<f32>();

/// Ranking state of one eligible listing: its card and its sort key.
pub const LISTING_BYTES: usize = size_of::<Card>() + size_of::<u128>();

/// Ranking state of one seller slot: the two logarithms its listings read.
pub const RANKING_SELLER_BYTES: usize = 2 * size_of::<f64>();

/// Bytes one consumer takes: four `f32` attributes, a habit shock per
/// channel, an adoption threshold per diffusing channel, and its place in
/// the shopping order.
pub fn bytes_per_consumer(n_channels: usize, n_adopting: usize) -> u64 {
    (4 * size_of::<f32>() + (n_channels + n_adopting) * size_of::<f32>() + size_of::<u32>()) as u64
}

/// Estimated peak bytes of one replicate's model. Sellers get room to grow
/// by a quarter through entry (the baseline's slots grow by 18% in its
/// three years: exits free slots that entrants reuse); the shopping step's
/// buffers are bounded by
/// its chunk size, whatever the population.
pub fn bytes_per_replicate(spec: &ScenarioFile) -> u64 {
    let max_consideration = spec
        .channels
        .values()
        .map(|c| c.consideration as u64)
        .max()
        .unwrap_or(0);
    population_bytes(spec).saturating_add(super::shopping::scratch_bytes_bound(max_consideration))
}

/// The part of [`bytes_per_replicate`] that grows with the population
/// (without the shopping step's bounded buffers).
pub fn population_bytes(spec: &ScenarioFile) -> u64 {
    let nk = spec.channels.len();
    let adopting = spec
        .channels
        .values()
        .filter(|c| c.adoption.is_some())
        .count();
    let pop = &spec.population;
    let sellers = pop.umkm.count + pop.importer.count + pop.affiliate.count;
    let sellers = sellers.saturating_add(sellers / 4);
    sellers
        .saturating_mul(bytes_per_seller(spec))
        .saturating_add(
            pop.consumers
                .count
                .saturating_mul(bytes_per_consumer(nk, adopting)),
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::sellers::Sellers;

    /// The per-slot figure is what the seller vectors really take.
    #[test]
    fn a_slot_takes_the_bytes_the_footprint_counts() {
        let mut s = Sellers::default();
        s.reserve(1000);
        assert_eq!(s.heap_bytes(), 1000 * SELLER_BYTES);
    }
}
