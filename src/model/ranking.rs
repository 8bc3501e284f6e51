//! Step 3: every channel but offline ranks its eligible listings in each
//! category. Offline keeps its listings in seller order (consumers pick
//! uniformly there).

use super::Model;
use super::market::Market;
use super::sellers::{SellerKind, Sellers};
use crate::dist;
use crate::rng::Purpose;
use crate::scenario::{ChannelKind, MAX_CHANNELS};
use rayon::prelude::*;

/// Sellers (or listings) per parallel task in the ranking step.
const SELLERS_PER_TASK: usize = 16_384;
/// Buckets longer than this are sorted with a parallel sort.
const PARALLEL_SORT: usize = 200_000;

/// What a consumer reads about a listing, packed together so that looking
/// at a listing touches one cache line rather than one per attribute.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Card {
    pub ln_rel_price: f64,
    /// p_j, carried so that a purchase reads it from the shopping step's
    /// own buffers rather than from the sellers' array (a cache miss at
    /// national scale).
    pub price: f64,
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
    /// Score and slot of each entry of `order` (scratch for sorting).
    scores: Vec<(f64, u32)>,
}

impl Ranking {
    /// Bytes the vectors hold (their capacity).
    pub fn heap_bytes(&self) -> usize {
        use super::heap::vec_bytes as b;
        b(&self.cards) + b(&self.order) + b(&self.start) + b(&self.scores)
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
        reserve_with_margin(&mut r.order, counts[nk * nc]);
        r.order.resize(counts[nk * nc], 0);
        let mut fill = counts;
        for j in 0..s.len() {
            for k in market.channels_in(s.eligible[j]) {
                let b = k * nc + s.category[j] as usize;
                r.order[fill[b]] = j as u32;
                fill[b] += 1;
            }
        }
        // Every listing's card, in bucket order (slot order within a
        // bucket), in parallel: the relative price's logarithm is taken
        // once a listing, and scoring reads the card.
        r.cards.clear();
        reserve_with_margin(&mut r.cards, r.order.len());
        r.cards.resize(r.order.len(), Card::default());
        r.cards
            .par_chunks_mut(SELLERS_PER_TASK)
            .zip(r.order.par_chunks(SELLERS_PER_TASK))
            .for_each(|(cards, order)| {
                for (card, &j) in cards.iter_mut().zip(order) {
                    let j = j as usize;
                    *card = Card {
                        ln_rel_price: ln_rel_price(s, market, j),
                        price: s.price[j],
                        quality: f64::from(s.quality[j]),
                        seller: j as u32,
                        imported: s.imported[j],
                    };
                }
            });
        // Score every online listing, in parallel over even runs of the
        // listings whatever their buckets. The key's second field is the
        // listing's place in its bucket, which within a bucket follows the
        // slot: equal scores are ordered by slot.
        r.scores.clear();
        reserve_with_margin(&mut r.scores, r.order.len());
        r.scores.resize(r.order.len(), (0.0, 0));
        let channels: Vec<_> = self.scenario.spec.channels.values().collect();
        let policy = &self.policy;
        let streams = &self.streams;
        let tick = self.tick;
        let start = &r.start;
        r.scores
            .par_chunks_mut(SELLERS_PER_TASK)
            .zip(r.cards.par_chunks(SELLERS_PER_TASK))
            .enumerate()
            .for_each(|(task, (scores, cards))| {
                let first = task * SELLERS_PER_TASK;
                // The bucket of the run's first listing (the last bucket
                // starting at or before it; empty buckets share a start).
                let mut b = start.partition_point(|&p| p <= first) - 1;
                for (offset, (score, card)) in scores.iter_mut().zip(cards).enumerate() {
                    let position = first + offset;
                    while start[b + 1] <= position {
                        b += 1;
                    }
                    let k = b / nc;
                    let channel = channels[k];
                    if channel.kind == ChannelKind::Offline {
                        continue;
                    }
                    let j = card.seller as usize;
                    // One noise draw per listing and tick from a stream of
                    // its own (seller id × channel): a seller's draw on one
                    // channel never shifts when it joins another, so the
                    // draws line up across scenarios.
                    let listing = u64::from(s.id[j]) * MAX_CHANNELS as u64 + k as u64;
                    let noise =
                        dist::standard_normal(&mut streams.stream(Purpose::Ranking, listing, tick));
                    let owner = market.channel_owner[k];
                    let affiliated =
                        s.kind[j] == SellerKind::Affiliate && owner != 0 && s.owner[j] == owner;
                    let value = channel.w_price * -card.ln_rel_price
                        + channel.w_quality * card.quality
                        + channel.w_popularity * libm::log1p(f64::from(s.popularity[j]))
                        + if affiliated {
                            policy.self_preference[k]
                        } else {
                            0.0
                        }
                        + channel.rank_noise * noise;
                    *score = (value, (position - start[b]) as u32);
                }
            });
        // Sort every online bucket, buckets in parallel (and large buckets
        // with a parallel sort): the order is total, so the result does not
        // depend on how the work is split. Then put the bucket's cards and
        // slots in that order.
        let mut buckets = Vec::with_capacity(nk * nc);
        let (mut order, mut scores, mut cards) = (
            r.order.as_mut_slice(),
            r.scores.as_mut_slice(),
            r.cards.as_mut_slice(),
        );
        for b in 0..nk * nc {
            let len = r.start[b + 1] - r.start[b];
            let (order_b, order_rest) = order.split_at_mut(len);
            let (scores_b, scores_rest) = scores.split_at_mut(len);
            let (cards_b, cards_rest) = cards.split_at_mut(len);
            (order, scores, cards) = (order_rest, scores_rest, cards_rest);
            buckets.push((b / nc, order_b, scores_b, cards_b));
        }
        buckets
            .into_par_iter()
            .for_each(|(k, bucket, scores, cards)| {
                if channels[k].kind == ChannelKind::Offline {
                    return;
                }
                // Best first; equal scores by place, so the order is total.
                let best_first =
                    |a: &(f64, u32), b: &(f64, u32)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
                if scores.len() > PARALLEL_SORT {
                    scores.par_sort_unstable_by(best_first);
                } else {
                    scores.sort_unstable_by(best_first);
                }
                permute(cards, scores);
                for (slot, card) in bucket.iter_mut().zip(cards.iter()) {
                    *slot = card.seller;
                }
            });
    }
}

/// Put `cards` in the order of `keys`: afterwards `cards[i]` is the card
/// that was at `keys[i].1`. In place, cycle by cycle (each card moves once);
/// the keys' places are overwritten as they are used.
fn permute(cards: &mut [Card], keys: &mut [(f64, u32)]) {
    const DONE: u32 = u32::MAX;
    for i in 0..cards.len() {
        if keys[i].1 == DONE {
            continue;
        }
        let held = cards[i];
        let mut at = i;
        loop {
            let from = keys[at].1 as usize;
            keys[at].1 = DONE;
            if from == i {
                cards[at] = held;
                break;
            }
            cards[at] = cards[from];
            at = from;
        }
    }
}

/// ln(p_j / P_c): the relative price the ranking and the utilities read,
/// computed where needed rather than stored per seller.
pub(super) fn ln_rel_price(s: &Sellers, market: &Market, j: usize) -> f64 {
    libm::log(s.price[j] / market.ref_price[s.category[j] as usize])
}

/// Room for `needed` elements in an emptied vector, with an eighth more
/// when it must grow: listings grow a little from tick to tick, and the
/// default doubling would double these large buffers for a few more
/// listings.
fn reserve_with_margin<T>(v: &mut Vec<T>, needed: usize) {
    if needed > v.capacity() {
        v.reserve_exact(needed + needed / 8);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permute_puts_each_card_where_its_key_says() {
        let card = |seller: u32| Card {
            seller,
            ..Card::default()
        };
        // Two cycles (0 → 3 → 1 → 0 and 2 → 4 → 2) and a fixed point (5).
        let mut cards: Vec<Card> = (0..6).map(card).collect();
        let from = [3u32, 0, 4, 1, 2, 5];
        let mut keys: Vec<(f64, u32)> = from.iter().map(|&f| (0.0, f)).collect();
        permute(&mut cards, &mut keys);
        let got: Vec<u32> = cards.iter().map(|c| c.seller).collect();
        assert_eq!(got, from);
    }
}
