//! Step 3: every channel but offline ranks its eligible listings in each
//! category. Offline keeps its listings in seller order (consumers pick
//! uniformly there).

use super::Model;
use super::sellers::SellerKind;
use crate::dist;
use crate::rng::Purpose;
use crate::scenario::{ChannelKind, MAX_CHANNELS};

/// What a consumer reads about a listing, packed together so that looking
/// at a listing touches one cache line rather than one per attribute.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Card {
    pub ln_rel_price: f64,
    pub quality: f64,
    pub seller: u32,
    pub imported: bool,
}

/// Eligible listings per (channel, category), best first, in one flat buffer.
#[derive(Debug, Clone, Default)]
pub struct Ranking {
    /// The listings of `order`, position by position.
    pub cards: Vec<Card>,
    /// Seller slots, bucket by bucket.
    pub order: Vec<u32>,
    /// Start of bucket `k * n_categories + c` in `order`; one extra at the end.
    pub start: Vec<usize>,
    /// Score of each entry of `order` (scratch for sorting).
    scores: Vec<(f64, u32)>,
    /// Noise drawn for each seller's listings this tick, `n_channels` per slot.
    noise: Vec<f64>,
}

impl Ranking {
    /// Bytes the vectors hold (their capacity).
    pub fn heap_bytes(&self) -> usize {
        use super::footprint::vec_bytes as b;
        b(&self.cards) + b(&self.order) + b(&self.start) + b(&self.scores) + b(&self.noise)
    }

    pub fn bucket(&self, channel: usize, category: usize, n_categories: usize) -> &[Card] {
        let b = channel * n_categories + category;
        &self.cards[self.start[b]..self.start[b + 1]]
    }
}

impl Model<'_> {
    pub(super) fn rank_listings(&mut self) {
        let market = &self.market;
        let (nk, nc) = (market.n_channels, market.n_categories);
        let s = &self.sellers;
        let r = &mut self.ranking;
        // One noise draw per listing per tick, eligible or not, each from a
        // stream of its own (seller id × channel), so a seller's draw on one
        // channel never shifts when it joins another: the draws line up
        // across scenarios.
        r.noise.clear();
        r.noise.resize(s.len() * nk, 0.0);
        for j in 0..s.len() {
            if !s.alive[j] {
                continue;
            }
            for k in market.channels_in(s.listings[j] & !market.offline) {
                let listing = s.id[j] * MAX_CHANNELS as u64 + k as u64;
                let mut rng = self.streams.stream(Purpose::Ranking, listing, self.tick);
                r.noise[j * nk + k] = dist::standard_normal(&mut rng);
            }
        }
        // Count, then place: a counting sort by bucket.
        let mut counts = vec![0usize; nk * nc + 1];
        for j in 0..s.len() {
            for k in market.channels_in(s.eligible[j]) {
                counts[k * nc + s.category[j] as usize + 1] += 1;
            }
        }
        for b in 1..counts.len() {
            counts[b] += counts[b - 1];
        }
        r.start.clone_from(&counts);
        r.order.clear();
        r.order.resize(counts[nk * nc], 0);
        let mut fill = counts;
        for j in 0..s.len() {
            for k in market.channels_in(s.eligible[j]) {
                let b = k * nc + s.category[j] as usize;
                r.order[fill[b]] = j as u32;
                fill[b] += 1;
            }
        }
        for (k, channel) in self.scenario.spec.channels.values().enumerate() {
            if channel.kind == ChannelKind::Offline {
                continue;
            }
            let bonus = self.policy.self_preference[k];
            let owner = market.channel_owner[k];
            for c in 0..nc {
                let b = k * nc + c;
                let bucket = &mut r.order[r.start[b]..r.start[b + 1]];
                r.scores.clear();
                for &j in bucket.iter() {
                    let j = j as usize;
                    let affiliated =
                        s.kind[j] == SellerKind::Affiliate && owner != 0 && s.owner[j] == owner;
                    let score = channel.w_price * -s.ln_rel_price[j]
                        + channel.w_quality * s.quality[j]
                        + channel.w_popularity * libm::log1p(s.popularity[j])
                        + if affiliated { bonus } else { 0.0 }
                        + channel.rank_noise * r.noise[j * nk + k];
                    r.scores.push((score, j as u32));
                }
                // Best first; equal scores by slot, so the order is total.
                r.scores
                    .sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
                for (slot, (_, j)) in bucket.iter_mut().zip(&r.scores) {
                    *slot = *j;
                }
            }
        }
        r.cards.clear();
        r.cards.extend(r.order.iter().map(|&j| {
            let j = j as usize;
            Card {
                ln_rel_price: s.ln_rel_price[j],
                quality: s.quality[j],
                seller: j as u32,
                imported: s.imported[j],
            }
        }));
    }
}
