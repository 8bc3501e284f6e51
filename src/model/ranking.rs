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
    /// ln(p_jk / P_c): the listed price relative to the category's.
    pub ln_rel_price: f64,
    /// p_jk, the price listed on the card's channel, carried so that a
    /// purchase reads it from the shopping step's own buffers rather than
    /// from the sellers' array (a cache miss at national scale).
    pub price: f64,
    /// q_j as the seller stores it (f32; widened where it is used).
    pub quality: f32,
    pub seller: u32,
    /// The seller's id, which keys its ranking noise: carried so that
    /// scoring reads the cards in order, not the sellers' arrays.
    pub id: u32,
    /// The seller's kind · 2 + imported (0 or 1): what a purchase records
    /// and the local premium read, without touching the sellers' arrays.
    pub tag: u8,
}

impl Card {
    /// Whether the good is imported.
    pub fn imported(&self) -> bool {
        self.tag & 1 == 1
    }
}

/// Eligible listings per (channel, category), best first, in one flat buffer.
#[derive(Debug, Clone, Default)]
pub struct Ranking {
    /// Every eligible listing's card, bucket by bucket, best first.
    pub cards: Vec<Card>,
    /// Start of bucket `k * n_categories + c` in `cards`; one extra at the end.
    pub start: Vec<usize>,
    /// Sort key of each card: its score and its place in its bucket (see
    /// [`sort_key`]; scratch for sorting).
    scores: Vec<u128>,
    /// Per seller slot: ln(p_j / P_c) and ln(1 + popularity), taken once
    /// a seller rather than once a listing (a seller on several
    /// marketplaces has several listings).
    logs: Vec<(f64, f64)>,
}

impl Ranking {
    /// Bytes the vectors hold (their capacity).
    pub fn heap_bytes(&self) -> usize {
        use super::heap::vec_bytes as b;
        b(&self.cards) + b(&self.start) + b(&self.scores) + b(&self.logs)
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
        // The logarithms every listing of a seller reads, in parallel
        // (popularity only counts on ranked channels).
        let ranked = market.all_channels() & !market.offline;
        r.logs.resize(s.len(), (0.0, 0.0));
        r.logs
            .par_chunks_mut(SELLERS_PER_TASK)
            .enumerate()
            .for_each(|(task, logs)| {
                let first = task * SELLERS_PER_TASK;
                for (offset, log) in logs.iter_mut().enumerate() {
                    let j = first + offset;
                    let eligible = s.eligible[j];
                    if eligible != 0 {
                        log.0 = ln_rel_price(s, market, j);
                    }
                    if eligible & ranked != 0 {
                        log.1 = libm::log1p(f64::from(s.popularity[j]));
                    }
                }
            });
        let logs = &r.logs;
        // Count, then place: a counting sort by bucket, slot order within
        // a bucket. Placing walks the sellers in slot order and writes each
        // listing's card as it goes, so that every seller's attributes are
        // read once (a bucket-by-bucket walk would stream the sellers'
        // arrays once per bucket).
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
        let total = counts[nk * nc];
        r.cards.clear();
        reserve_with_margin(&mut r.cards, total);
        r.cards.resize(total, Card::default());
        // Scores: the part without noise is added up here, where the
        // seller's attributes are read in slot order, and kept in the
        // listing's key slot; the noise is added below, in parallel over
        // the listings, reading only cards and keys in order.
        r.scores.clear();
        reserve_with_margin(&mut r.scores, total);
        r.scores.resize(total, 0);
        let channels: Vec<_> = self.scenario.spec.channels.values().collect();
        let policy = &self.policy;
        let listed = &self.listed;
        let mut fill = counts;
        for (j, log) in logs.iter().enumerate() {
            let eligible = s.eligible[j];
            if eligible == 0 {
                continue;
            }
            let c = s.category[j] as usize;
            let seller = Card {
                ln_rel_price: log.0,
                price: s.price[j],
                quality: s.quality[j],
                seller: j as u32,
                id: s.id[j],
                tag: (s.kind[j] as u8) << 1 | u8::from(s.imported[j]),
            };
            for k in market.channels_in(eligible) {
                let b = k * nc + c;
                let position = fill[b];
                fill[b] += 1;
                // The price listed on k: the seller's price with k's
                // passed-through commission (eligibility.rs).
                let card = Card {
                    ln_rel_price: seller.ln_rel_price + listed.ln_factor[k],
                    price: seller.price * listed.factor[k],
                    ..seller
                };
                r.cards[position] = card;
                if ranked & (1 << k) == 0 {
                    continue;
                }
                let channel = channels[k];
                let owner = policy.channel_owner[k];
                let affiliated =
                    s.kind[j] == SellerKind::Affiliate && owner != 0 && s.owner[j] == owner;
                let partial = channel.w_price * -card.ln_rel_price
                    + channel.w_quality * f64::from(card.quality)
                    + channel.w_popularity * log.1
                    + if affiliated {
                        policy.self_preference[k]
                    } else {
                        0.0
                    };
                r.scores[position] = u128::from(partial.to_bits());
            }
        }
        // The noise, and the sort key, of every ranked listing, in
        // parallel over even runs of the listings whatever their buckets.
        // The key's second field is the listing's place in its bucket,
        // which follows the slot: equal scores are ordered by slot.
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
                    if ranked & (1 << k) == 0 {
                        continue;
                    }
                    // One noise draw per listing and tick from a stream of
                    // its own (seller id × channel): a seller's draw on one
                    // channel never shifts when it joins another, so the
                    // draws line up across scenarios.
                    let listing = u64::from(card.id) * MAX_CHANNELS as u64 + k as u64;
                    let noise =
                        dist::standard_normal(&mut streams.stream(Purpose::Ranking, listing, tick));
                    let value = f64::from_bits(*score as u64) + channels[k].rank_noise * noise;
                    *score = sort_key(value, (position - start[b]) as u32);
                }
            });
        // Sort every online bucket, buckets in parallel (and large buckets
        // with a parallel sort): the order is total, so the result does not
        // depend on how the work is split. Then put the bucket's cards in
        // that order.
        let mut buckets = Vec::with_capacity(nk * nc);
        let (mut scores, mut cards) = (r.scores.as_mut_slice(), r.cards.as_mut_slice());
        for b in 0..nk * nc {
            let len = r.start[b + 1] - r.start[b];
            let (scores_b, scores_rest) = scores.split_at_mut(len);
            let (cards_b, cards_rest) = cards.split_at_mut(len);
            (scores, cards) = (scores_rest, cards_rest);
            buckets.push((b / nc, scores_b, cards_b));
        }
        buckets.into_par_iter().for_each(|(k, scores, cards)| {
            if channels[k].kind == ChannelKind::Offline {
                return;
            }
            // Best first; equal scores by place, so the order is total.
            if scores.len() > PARALLEL_SORT {
                scores.par_sort_unstable();
            } else {
                scores.sort_unstable();
            }
            permute(cards, scores);
        });
    }
}

/// A listing's sort key: the higher score first (in the order of
/// `f64::total_cmp`), then the lower place in its bucket, as one integer
/// whose ascending order is that order (cheaper to sort than a pair
/// compared field by field).
fn sort_key(score: f64, place: u32) -> u128 {
    let bits = score.to_bits() as i64;
    // total_cmp's order as a signed integer, then as an unsigned one.
    let ordered = ((bits ^ (((bits >> 63) as u64) >> 1) as i64) as u64) ^ (1 << 63);
    (u128::from(!ordered) << 64) | u128::from(place)
}

/// The place a sort key carries.
fn place_of(key: u128) -> u32 {
    key as u32
}

/// Put `cards` in the order of `keys`: afterwards `cards[i]` is the card
/// that was at `place_of(keys[i])`. In place, cycle by cycle (each card
/// moves once); the keys' places are overwritten as they are used.
fn permute(cards: &mut [Card], keys: &mut [u128]) {
    const DONE: u32 = u32::MAX;
    for i in 0..cards.len() {
        if place_of(keys[i]) == DONE {
            continue;
        }
        let held = cards[i];
        let mut at = i;
        loop {
            let from = place_of(keys[at]) as usize;
            keys[at] |= u128::from(DONE);
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

    /// The integer key orders as the pair did: score by `total_cmp`,
    /// highest first, then place, lowest first.
    #[test]
    fn sort_keys_order_best_score_first_then_place() {
        let scores = [
            f64::NEG_INFINITY,
            -1e300,
            -2.5,
            -f64::MIN_POSITIVE,
            -0.0,
            0.0,
            f64::MIN_POSITIVE,
            1.0,
            1.0 + f64::EPSILON,
            3e250,
            f64::INFINITY,
        ];
        let mut pairs = Vec::new();
        for (i, &a) in scores.iter().enumerate() {
            for place in [0u32, 1, 7, u32::MAX - 1] {
                pairs.push((a, place ^ (i as u32 % 3)));
            }
        }
        let by_pair = |a: &(f64, u32), b: &(f64, u32)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
        for x in &pairs {
            for y in &pairs {
                assert_eq!(
                    sort_key(x.0, x.1).cmp(&sort_key(y.0, y.1)),
                    by_pair(x, y),
                    "{x:?} {y:?}"
                );
            }
        }
    }

    #[test]
    fn permute_puts_each_card_where_its_key_says() {
        let card = |seller: u32| Card {
            seller,
            ..Card::default()
        };
        // Two cycles (0 → 3 → 1 → 0 and 2 → 4 → 2) and a fixed point (5).
        let mut cards: Vec<Card> = (0..6).map(card).collect();
        let from = [3u32, 0, 4, 1, 2, 5];
        let mut keys: Vec<u128> = from.iter().map(|&f| sort_key(0.0, f)).collect();
        permute(&mut cards, &mut keys);
        let got: Vec<u32> = cards.iter().map(|c| c.seller).collect();
        assert_eq!(got, from);
    }
}
