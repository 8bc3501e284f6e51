//! Step 4: consumers shop, one purchase attempt at a time.
//!
//! In two phases, so that the costly part runs in parallel while no number
//! depends on the thread count (docs/ODD.md, section 9):
//!
//! 1. **Draws** (in parallel): each consumer's attempts — category,
//!    channel, consideration set, utilities, logit weights and the uniforms
//!    of the choice and of the redirect — read only the ranking and the
//!    consumer, from the consumer's own stream, and draw the same numbers
//!    whatever capacity is left. So they can be made in any order.
//! 2. **Resolution** (sequential, in the tick's consumer order): capacity is
//!    first come, first served; sold-out sellers are dropped, the stored
//!    uniform picks the seller and the sale is recorded.
//!
//! Consumers pass through both in chunks; the next chunk's draws overlap the
//! resolution of the current one. The hot loops allocate nothing: buffers
//! live in [`Scratch`] and are reused from tick to tick.

use super::Model;
use super::consumers::{Consumers, Record};
use super::flows::TickFlows;
use super::market::Market;
use super::policy::PolicyState;
use super::ranking::{Ranking, ln_rel_price};
use super::sellers::{Sellers, bound_by_cross_border};
use crate::dist;
use crate::rng::{Purpose, Rng, Streams};
use crate::scenario::ChannelKind;
use rayon::prelude::*;

/// Pieces a chunk of consumers is split into for the parallel draws (a
/// constant: how consumers are split never changes a number, only how
/// evenly threads share the work).
const PIECES: usize = 8;
/// About this many attempts per chunk: large enough to amortise the
/// fork-join, small enough that a chunk's draws stay in cache.
const ATTEMPTS_PER_CHUNK: f64 = 16_384.0;

/// Discovery channel of an attempt with nothing on offer anywhere.
const NOTHING_ON_OFFER: u8 = u8::MAX;

/// One attempt's draws, and what resolving it needs.
#[derive(Debug, Clone, Copy, Default)]
struct Drawn {
    /// The consideration set: `len` candidates from `start` in the piece's
    /// candidate arrays.
    start: u32,
    len: u32,
    category: u16,
    /// Channel of discovery, or [`NOTHING_ON_OFFER`].
    channel: u8,
    /// max(u_0, V_j) over the whole set.
    top: f64,
    /// e^{u_0 − top}.
    outside_weight: f64,
    /// outside_weight + Σ e^{V_j − top}, summed in the order the draw walks.
    total: f64,
    /// top + ln(total): the logsum when no candidate is sold out.
    logsum: f64,
    /// P_c / α_i: IDR per unit of utility.
    surplus_units: f64,
    /// The consumer's α_i, β_i, λ_i (to recompute utilities in resolution).
    alpha: f64,
    beta: f64,
    lambda: f64,
    choice_draw: f64,
    redirect_draw: f64,
}

/// The draws of a run of consumers, in their shopping order.
#[derive(Debug, Clone, Default)]
struct Piece {
    drawn: Vec<Drawn>,
    /// Candidates of every attempt: seller slot, e^{V_j − top} and price.
    seller: Vec<u32>,
    weight: Vec<f64>,
    price: Vec<f64>,
    /// Utilities V_j of the attempt being drawn.
    utility: Vec<f64>,
    // Scratch for one attempt.
    ranks: Vec<usize>,
    sorted: Vec<usize>,
    channel_weight: Vec<f64>,
    /// The piece's consumer records, gathered in shopping order.
    records: Vec<f32>,
}

impl Piece {
    fn clear(&mut self) {
        self.drawn.clear();
        self.seller.clear();
        self.weight.clear();
        self.price.clear();
    }
}

/// Reusable buffers of the shopping step.
#[derive(Debug, Clone, Default)]
pub struct Scratch {
    order: Vec<u32>,
    /// The chunk being resolved and the chunk being drawn.
    current: Vec<Piece>,
    next: Vec<Piece>,
    /// Weights recomputed when sold-out sellers leave almost no weight.
    weight: Vec<f64>,
}

impl Scratch {
    /// Bytes held by the buffers (for the memory estimate's test).
    pub fn bytes(&self) -> usize {
        let piece = |p: &Piece| {
            p.drawn.capacity() * size_of::<Drawn>()
                + p.seller.capacity() * 4
                + (p.utility.capacity()
                    + p.weight.capacity()
                    + p.price.capacity()
                    + p.channel_weight.capacity())
                    * 8
                + (p.ranks.capacity() + p.sorted.capacity()) * size_of::<usize>()
                + p.records.capacity() * 4
        };
        self.order.capacity() * 4
            + self.weight.capacity() * 8
            + self
                .current
                .iter()
                .chain(&self.next)
                .map(piece)
                .sum::<usize>()
    }
}

/// The buffers' size bound, for the memory estimate: two chunks of about
/// [`ATTEMPTS_PER_CHUNK`] attempts (a few times more for safety, as the
/// Poisson counts vary), each with `consideration` candidates.
pub fn scratch_bytes_bound(max_consideration: u64) -> u64 {
    let per_attempt = size_of::<Drawn>() as u64 + max_consideration * 20;
    2 * 4 * ATTEMPTS_PER_CHUNK as u64 * per_attempt
}

/// Per-channel settings of this tick, read in every attempt.
#[derive(Debug, Clone)]
struct ChannelNow {
    offline: bool,
    /// μ_k + trend_k · t.
    habit_base: f64,
    consideration: usize,
    ranks: GeometricRanks,
}

/// Everything the draws read.
struct Draws<'a> {
    market: &'a Market,
    ranking: &'a Ranking,
    consumers: &'a Consumers,
    streams: &'a Streams,
    tick: u32,
    channels: Vec<ChannelNow>,
    habit_sd: f64,
    outside_utility: f64,
}

/// Everything the resolution reads and writes.
struct Resolve<'a> {
    market: &'a Market,
    policy: &'a PolicyState,
    outside_utility: f64,
    /// Affiliates are bound by the cross-border rules (population.affiliate.cross_border).
    affiliates_bound: bool,
    sellers: &'a mut Sellers,
    flows: &'a mut TickFlows,
    channel_sales: &'a mut [Vec<u32>],
    weight: &'a mut Vec<f64>,
}

impl Model<'_> {
    pub(super) fn shop(&mut self) {
        let spec = &self.scenario.spec;
        let t = self.tick as f64;
        let channels = spec
            .channels
            .values()
            .map(|c| ChannelNow {
                offline: c.kind == ChannelKind::Offline,
                habit_base: c.affinity + c.affinity_trend * t,
                consideration: c.consideration as usize,
                ranks: GeometricRanks::new(1.0 - 1.0 / c.attention),
            })
            .collect();
        let draws = Draws {
            market: &self.market,
            ranking: &self.ranking,
            consumers: &self.consumers,
            streams: &self.streams,
            tick: self.tick,
            channels,
            habit_sd: spec.population.consumers.habit_sd,
            outside_utility: spec.behaviour.outside_utility,
        };
        let scratch = &mut self.scratch;
        let mut resolve = Resolve {
            market: &self.market,
            policy: &self.policy,
            outside_utility: spec.behaviour.outside_utility,
            affiliates_bound: spec.population.affiliate.cross_border,
            sellers: &mut self.sellers,
            flows: &mut self.flows,
            channel_sales: &mut self.channel_sales,
            weight: &mut scratch.weight,
        };
        // A fresh random order of consumers each tick (Fisher–Yates).
        let n = self.consumers.len();
        let order = &mut scratch.order;
        order.clear();
        order.extend(0..n as u32);
        let mut order_rng = self.streams.stream(Purpose::ShoppingOrder, 0, self.tick);
        for i in (1..n).rev() {
            let j = dist::index(&mut order_rng, i + 1);
            order.swap(i, j);
        }
        let mean_rate = spec.population.consumers.purchase_rate_mean.max(0.5);
        let chunk = ((ATTEMPTS_PER_CHUNK / mean_rate) as usize).clamp(PIECES, 1 << 16);
        scratch.current.resize_with(PIECES, Piece::default);
        scratch.next.resize_with(PIECES, Piece::default);
        let (current, next) = (&mut scratch.current, &mut scratch.next);
        let mut chunks = order.chunks(chunk);
        if let Some(first) = chunks.next() {
            draws.draw_chunk(first, current);
        }
        let mut following = chunks.next();
        loop {
            match following {
                Some(ids) => {
                    rayon::join(
                        || current.iter().for_each(|p| resolve.piece(p)),
                        || draws.draw_chunk(ids, next),
                    );
                    std::mem::swap(current, next);
                    following = chunks.next();
                }
                None => {
                    current.iter().for_each(|p| resolve.piece(p));
                    break;
                }
            }
        }
    }
}

impl Draws<'_> {
    /// The draws of `ids` (consumers in shopping order), split into pieces
    /// drawn in parallel.
    fn draw_chunk(&self, ids: &[u32], pieces: &mut [Piece]) {
        let per_piece = ids.len().div_ceil(pieces.len()).max(1);
        pieces.par_iter_mut().enumerate().for_each(|(p, piece)| {
            piece.clear();
            let from = (p * per_piece).min(ids.len());
            let to = ((p + 1) * per_piece).min(ids.len());
            let ids = &ids[from..to];
            let mut records = std::mem::take(&mut piece.records);
            self.consumers.gather(ids, &mut records);
            for (n, &i) in ids.iter().enumerate() {
                self.consumer(i as usize, self.consumers.gathered(&records, n), piece);
            }
            piece.records = records;
        });
    }

    fn consumer(&self, i: usize, consumer: Record, piece: &mut Piece) {
        let mut rng = self.streams.stream(Purpose::Shopping, i as u64, self.tick);
        let attempts = dist::poisson(&mut rng, consumer.rate() as f64);
        for _ in 0..attempts {
            self.attempt(consumer, &mut rng, piece);
        }
    }

    fn attempt(&self, consumer: Record, rng: &mut Rng, piece: &mut Piece) {
        let market = self.market;
        let nc = market.n_categories;
        // 1. Category by demand share.
        let c = market.category_at(dist::uniform(rng));
        // 2. Channel by logit over the channels with eligible listings in c.
        let habits = consumer.habits();
        piece.channel_weight.clear();
        let mut best = f64::NEG_INFINITY;
        for (k, ch) in self.channels.iter().enumerate() {
            let offered = !self.ranking.bucket(k, c, nc).is_empty();
            let h = if offered {
                ch.habit_base + self.habit_sd * habits[k] as f64
            } else {
                f64::NEG_INFINITY
            };
            best = best.max(h);
            piece.channel_weight.push(h);
        }
        if best == f64::NEG_INFINITY {
            // Nothing on offer in this category anywhere.
            piece.drawn.push(Drawn {
                channel: NOTHING_ON_OFFER,
                ..Drawn::default()
            });
            return;
        }
        let mut sum = 0.0;
        for w in piece.channel_weight.iter_mut() {
            *w = dist::fast_exp(*w - best);
            sum += *w;
        }
        let target = dist::uniform(rng) * sum;
        let k = dist::walk_weights(&piece.channel_weight, 0.0, target).unwrap_or(0);
        // 3. Consideration set.
        let bucket = self.ranking.bucket(k, c, nc);
        let ch = &self.channels[k];
        let size = ch.consideration.min(bucket.len());
        let start = piece.seller.len();
        if size < bucket.len() {
            if ch.offline {
                floyd_sample(rng, bucket.len(), size, &mut piece.ranks);
            } else {
                ch.ranks
                    .draw(rng, bucket.len(), size, &mut piece.ranks, &mut piece.sorted);
            }
        }
        // 4. Multinomial logit over the set and the outside option, drawn by
        // inverse CDF from the closed-form probabilities (the same
        // distribution as the argmax of utilities plus Gumbel draws, with one
        // uniform instead of one logarithm pair per listing).
        let (alpha, beta, lambda) = (
            consumer.alpha() as f64,
            consumer.beta() as f64,
            consumer.lambda() as f64,
        );
        let mut top = self.outside_utility;
        piece.utility.clear();
        // The local-product premium by a table lookup, not a branch: whether
        // a listing is imported is a coin flip the branch predictor cannot
        // learn, and each miss would wait for the card's load, serialising
        // the cache misses of a set's cards.
        let local_premium = [lambda, 0.0];
        let mut consider = |card: &super::ranking::Card| {
            let local = local_premium[card.imported as usize];
            piece
                .utility
                .push(beta * card.quality - alpha * card.ln_rel_price + local);
            piece.seller.push(card.seller);
            piece.price.push(card.price);
        };
        if size == bucket.len() {
            bucket.iter().for_each(consider);
        } else {
            piece.ranks.iter().for_each(|&r| consider(&bucket[r]));
        }
        for &v in &piece.utility {
            top = top.max(v);
        }
        let outside_weight = dist::fast_exp(self.outside_utility - top);
        // Summed in the order the draw walks them, so the walk always ends.
        let mut total = outside_weight;
        for &v in &piece.utility {
            let w = dist::fast_exp(v - top);
            total += w;
            piece.weight.push(w);
        }
        piece.drawn.push(Drawn {
            start: start as u32,
            len: size as u32,
            category: c as u16,
            channel: k as u8,
            top,
            outside_weight,
            total,
            logsum: top + libm::log(total),
            surplus_units: market.ref_price[c] / alpha,
            alpha,
            beta,
            lambda,
            choice_draw: dist::uniform(rng),
            // Made whatever happens next, so that a consumer's draws never
            // depend on capacity or policy.
            redirect_draw: dist::uniform(rng),
        });
    }
}

impl Resolve<'_> {
    fn piece(&mut self, piece: &Piece) {
        for drawn in &piece.drawn {
            self.attempt(drawn, piece);
        }
    }

    fn attempt(&mut self, d: &Drawn, piece: &Piece) {
        let market = self.market;
        let nc = market.n_categories;
        let flows = &mut *self.flows;
        flows.attempts += 1;
        if d.channel == NOTHING_ON_OFFER {
            return;
        }
        flows.decisions += 1;
        let (k, c) = (d.channel as usize, d.category as usize);
        let range = d.start as usize..(d.start + d.len) as usize;
        let seller = &piece.seller[range.clone()];
        let tally = &self.sellers.tally;
        let sold_out = |idx: usize| tally[seller[idx] as usize].remaining == 0;
        // 5. Sold-out sellers are dropped from the set before the draw. This
        // is the same distribution as choosing, dropping a sold-out choice
        // and choosing again over what remains (by IIA), without the redraws.
        let mut weight = &piece.weight[range.clone()];
        let (mut outside_weight, mut total, mut logsum) = (d.outside_weight, d.total, d.logsum);
        if (0..seller.len()).any(sold_out) {
            total = outside_weight;
            for (idx, &w) in weight.iter().enumerate() {
                if !sold_out(idx) {
                    total += w;
                }
            }
            logsum = d.top + libm::log(total);
            // When the sold-out sellers carried nearly all the weight, the
            // weights left lose precision: recompute them from the best
            // utility left (the same arithmetic on the same values as the
            // draws, which read them from the ranking's cards).
            if total < 1e-200 {
                let s = &*self.sellers;
                let utility = |idx: usize| {
                    let j = seller[idx] as usize;
                    let local = if s.imported[j] { 0.0 } else { d.lambda };
                    d.beta * f64::from(s.quality[j]) - d.alpha * ln_rel_price(s, market, j) + local
                };
                let mut top = self.outside_utility;
                for idx in 0..seller.len() {
                    if !sold_out(idx) {
                        top = top.max(utility(idx));
                    }
                }
                outside_weight = libm::exp(self.outside_utility - top);
                total = outside_weight;
                self.weight.clear();
                for idx in 0..seller.len() {
                    let w = if sold_out(idx) {
                        0.0
                    } else {
                        libm::exp(utility(idx) - top)
                    };
                    total += w;
                    self.weight.push(w);
                }
                logsum = top + libm::log(total);
                weight = self.weight.as_slice();
            }
        }
        // The outside option comes first in the walk.
        let target = d.choice_draw * total;
        let chosen = if target < outside_weight {
            None
        } else {
            let mut acc = outside_weight;
            let mut pick = None;
            for (idx, &w) in weight.iter().enumerate() {
                if w > 0.0 && !sold_out(idx) {
                    acc += w;
                    pick = Some(idx);
                    if target < acc {
                        break;
                    }
                }
            }
            pick
        };
        let chosen_price = chosen.map_or(0.0, |idx| piece.price[d.start as usize + idx]);
        let chosen = chosen.map(|idx| seller[idx] as usize);
        // Consumer surplus over the final set: P_c/α · ln(e^{u0} + Σ e^{V}).
        let Some(j) = chosen else {
            flows.consumer_surplus += d.surplus_units * logsum;
            return;
        };
        // 6. Payments: where does the purchase complete?
        let policy = self.policy;
        let sellers = &mut *self.sellers;
        let tx = if policy.payments_allowed[k] {
            Some(k)
        } else if d.redirect_draw < policy.redirect_success[k] {
            // A partner completes the sale if it takes payments and, for a
            // seller bound by the cross-border rules, allows cross-border sales.
            let bound = bound_by_cross_border(sellers.kind[j], self.affiliates_bound);
            let can_complete =
                |m: usize| policy.payments_allowed[m] && (!bound || policy.cross_border_allowed[m]);
            match policy.checkout_partner[k] {
                Some(partner) => Some(partner).filter(|&m| can_complete(m)),
                None => market
                    .channels_in(market.marketplaces & sellers.listings[j] & sellers.eligible[j])
                    .find(|&m| policy.payments_allowed[m]),
            }
        } else {
            None
        };
        let Some(tx) = tx else {
            flows.lost += 1;
            flows.lost_discovery[k] += 1;
            flows.consumer_surplus += d.surplus_units * self.outside_utility;
            return;
        };
        flows.consumer_surplus += d.surplus_units * logsum;
        if tx != k {
            flows.redirected += 1;
        }
        // 7. Record the sale.
        let price = chosen_price;
        let take_rate = policy.take_rate[tx];
        // Sales are capacity − remaining (one memory access less per
        // purchase); the fee sum sits beside the count in the seller's
        // tally, whose cache line the sold-out check has just loaded.
        let tally = &mut sellers.tally[j];
        tally.remaining -= 1;
        tally.fee_rate_sum += take_rate;
        flows.purchases += 1;
        flows.purchases_tx[tx] += 1;
        flows.gmv_tx_category[tx * nc + c] += price;
        flows.gmv_discovery[k] += price;
        flows.commission[tx] += take_rate * price;
        if let Some(sales) = self.channel_sales.get_mut(tx).filter(|s| !s.is_empty()) {
            sales[j] += 1;
        }
    }
}

/// `k` distinct indices from `0..n`, uniformly (Floyd's algorithm: exactly
/// `k` draws).
fn floyd_sample(rng: &mut Rng, n: usize, k: usize, out: &mut Vec<usize>) {
    out.clear();
    for j in n - k..n {
        let t = dist::index(rng, j + 1);
        if out.contains(&t) {
            out.push(j);
        } else {
            out.push(t);
        }
    }
}

/// Consideration-set ranks of one channel: `k` distinct ranks from `0..n`,
/// drawn one after another with weight q^r over the ranks not yet drawn
/// (docs/ODD.md section 9 and section 16, Shopping). A draw from the truncated geometric that hits a
/// rank already taken is redrawn; after a few misses the rank is drawn
/// exactly from the weights left (see [`draw_free_rank`]), so small
/// attention spans cannot stall.
///
/// The truncated geometric is drawn by inversion through a table of the
/// untruncated CDF, 1 − q^{r+1}, with a guide table indexed by the uniform:
/// a multiplication and a comparison or two instead of a logarithm and a
/// division. Ranks past the table (probability below 1e-12 unless the
/// attention span is in the hundreds) use the logarithm.
#[derive(Debug, Clone)]
struct GeometricRanks {
    q: f64,
    ln_q: f64,
    /// cdf[r] = 1 − q^{r+1}, then an infinite sentinel.
    cdf: Vec<f64>,
    /// guide[g] is the smallest r with cdf[r] > g / guide.len().
    guide: Vec<u32>,
}

impl GeometricRanks {
    const MAX_TABLE: usize = 4096;

    fn new(q: f64) -> GeometricRanks {
        if q <= 0.0 {
            return GeometricRanks {
                q,
                ln_q: f64::NEG_INFINITY,
                cdf: Vec::new(),
                guide: Vec::new(),
            };
        }
        let ln_q = libm::log(q);
        // Up to the rank where the tail weight q^R falls below 1e-12.
        let len = ((-27.7 / ln_q).ceil() as usize).clamp(1, Self::MAX_TABLE);
        let mut cdf: Vec<f64> = (0..len)
            .map(|r| 1.0 - libm::exp((r + 1) as f64 * ln_q))
            .collect();
        cdf.push(f64::INFINITY);
        let mut guide = Vec::with_capacity(len);
        let mut r = 0;
        for g in 0..len {
            let x = g as f64 / len as f64;
            while r < len && cdf[r] <= x {
                r += 1;
            }
            guide.push(r as u32);
        }
        GeometricRanks {
            q,
            ln_q,
            cdf,
            guide,
        }
    }

    /// The smallest rank r with 1 − q^{r+1} > x, for x in [0, 1).
    #[inline]
    fn invert(&self, x: f64) -> usize {
        let len = self.guide.len();
        let g = ((x * len as f64) as usize).min(len - 1);
        let mut r = self.guide[g] as usize;
        // Mostly zero or one step: the first without a branch to mispredict
        // (the sentinel stops the walk at `len`).
        r += (self.cdf[r] <= x) as usize;
        while self.cdf[r] <= x {
            r += 1;
        }
        if r < len {
            r
        } else {
            (libm::log(1.0 - x) / self.ln_q) as usize
        }
    }

    /// `k` ranks into `out`; `sorted` is scratch space.
    fn draw(
        &self,
        rng: &mut Rng,
        n: usize,
        k: usize,
        out: &mut Vec<usize>,
        sorted: &mut Vec<usize>,
    ) {
        out.clear();
        if self.q <= 0.0 {
            // L = 1: all the weight is on the best rank left.
            out.extend(0..k);
            return;
        }
        // Truncation to 0..n: the uniform is scaled to the mass below n.
        let mass = 1.0 - dist::fast_exp(n as f64 * self.ln_q);
        // Ranks below 128 taken so far, as bits: most draws land there, and a
        // bit test is cheaper than scanning `out`.
        let mut low_taken: u128 = 0;
        let taken = |r: usize, low: u128, out: &[usize]| {
            if r < 128 {
                low >> r & 1 == 1
            } else {
                out.contains(&r)
            }
        };
        while out.len() < k {
            let mut rank = None;
            for _ in 0..8 {
                let r = self.invert(dist::uniform(rng) * mass).min(n - 1);
                if !taken(r, low_taken, out) {
                    rank = Some(r);
                    break;
                }
            }
            let r = match rank {
                Some(r) => r,
                None => {
                    sorted.clear();
                    sorted.extend_from_slice(out);
                    sorted.sort_unstable();
                    draw_free_rank(rng, n, self.q, self.ln_q, sorted)
                }
            };
            if r < 128 {
                low_taken |= 1 << r;
            }
            out.push(r);
        }
    }
}

/// One rank from `0..n` not in `taken` (sorted, not all of `0..n`), with
/// probability proportional to q^r. The weight of the free ranks is summed
/// directly (never as a total minus what is taken, which loses every digit
/// when the free weight is tiny): ranks below the largest taken one one by
/// one, the ranks above it in closed form.
fn draw_free_rank(rng: &mut Rng, n: usize, q: f64, ln_q: f64, taken: &[usize]) -> usize {
    let m = taken.last().map_or(0, |&t| t + 1);
    let mut head = 0.0;
    let mut weight = 1.0;
    let mut next_taken = taken.iter().peekable();
    let mut lowest_free = None;
    for r in 0..m {
        if next_taken.peek() == Some(&&r) {
            next_taken.next();
        } else {
            head += weight;
            lowest_free.get_or_insert(r);
        }
        weight *= q;
    }
    // Σ_{r=m}^{n-1} q^r.
    let q_m = libm::exp(m as f64 * ln_q);
    let tail = if m < n {
        (q_m - libm::exp(n as f64 * ln_q)) / (1.0 - q)
    } else {
        0.0
    };
    let lowest_free = lowest_free.unwrap_or(m).min(n - 1);
    let total = head + tail;
    if total <= 0.0 || total.is_nan() {
        // Every free weight underflowed: the best free rank is the likeliest.
        return lowest_free;
    }
    let target = dist::uniform(rng) * total;
    if target < head {
        let mut acc = 0.0;
        let mut weight = 1.0;
        let mut next_taken = taken.iter().peekable();
        for r in 0..m {
            if next_taken.peek() == Some(&&r) {
                next_taken.next();
            } else {
                acc += weight;
                if target < acc {
                    return r;
                }
            }
            weight *= q;
        }
        return lowest_free;
    }
    if m >= n {
        return lowest_free;
    }
    // Inside the tail: the smallest r ≥ m with Σ_{m..=r} q^i > target − head.
    let rest = (target - head) * (1.0 - q) / q_m;
    let offset = libm::log(1.0 - rest) / ln_q;
    if offset.is_finite() && offset >= 0.0 {
        (m + offset as usize).min(n - 1)
    } else {
        n - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Streams;

    fn rng() -> Rng {
        Streams::new(3, 0).stream(Purpose::Shopping, 0, 0)
    }

    #[test]
    fn geometric_ranks_are_distinct_and_follow_the_weights() {
        let mut r = rng();
        let mut out = Vec::new();
        let (n, l) = (50usize, 5.0f64);
        let q = 1.0 - 1.0 / l;
        let mut first = vec![0u32; n];
        let trials = 100_000;
        for _ in 0..trials {
            GeometricRanks::new(q).draw(&mut r, n, 20, &mut out, &mut Vec::new());
            let mut sorted = out.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted.len(), 20);
            first[out[0]] += 1;
        }
        // The first draw is the truncated geometric.
        let norm = (1.0 - q.powi(n as i32)) / (1.0 - q);
        for (r, &observed) in first.iter().enumerate().take(5) {
            let expected = q.powi(r as i32) / norm * trials as f64;
            assert!(
                (observed as f64 - expected).abs() < 4.0 * expected.sqrt() + 5.0,
                "rank {r}: {} vs {expected}",
                first[r]
            );
        }
    }

    #[test]
    fn second_draw_is_conditional_on_the_first() {
        // With n = 3 and q = 0.5, P(second = 2 | first = 0) = 0.25/(0.5+0.25) = 1/3.
        let mut r = rng();
        let mut out = Vec::new();
        let (mut first0, mut second2) = (0u32, 0u32);
        for _ in 0..200_000 {
            GeometricRanks::new(0.5).draw(&mut r, 3, 2, &mut out, &mut Vec::new());
            if out[0] == 0 {
                first0 += 1;
                if out[1] == 2 {
                    second2 += 1;
                }
            }
        }
        let p = second2 as f64 / first0 as f64;
        assert!((p - 1.0 / 3.0).abs() < 0.01, "{p}");
    }

    /// Small attention and large sets: the exact fallback must still favour
    /// the best ranks (it once returned the worst rank when the free weight
    /// was below the rounding error of the total).
    #[test]
    fn steep_weights_never_pick_the_tail() {
        let mut r = rng();
        let (mut out, mut sorted) = (Vec::new(), Vec::new());
        for (n, k, l) in [
            (500usize, 20usize, 1.1f64),
            (500, 60, 2.0),
            (2000, 400, 15.0),
        ] {
            let q = 1.0 - 1.0 / l;
            for _ in 0..300 {
                GeometricRanks::new(q).draw(&mut r, n, k, &mut out, &mut sorted);
                let mut ranks = out.clone();
                ranks.sort_unstable();
                ranks.dedup();
                assert_eq!(ranks.len(), k);
                // With these weights the chance of reaching far past k ranks
                // beyond the expected depth is astronomically small.
                let deepest = *ranks.last().unwrap_or(&0);
                let bound = k + (40.0 * l) as usize;
                assert!(deepest < bound, "n={n} k={k} L={l}: rank {deepest}");
            }
        }
    }

    /// The exact fallback alone draws from the weights of the free ranks.
    #[test]
    fn free_rank_draw_matches_its_weights() {
        let mut r = rng();
        let q: f64 = 0.5;
        // Taken: 0 and 2; free: 1, 3, 4, 5 with weights 1/2, 1/8, 1/16, 1/32.
        let taken = [0usize, 2];
        let mut counts = [0u32; 6];
        let trials = 200_000;
        for _ in 0..trials {
            counts[draw_free_rank(&mut r, 6, q, q.ln(), &taken)] += 1;
        }
        let free_total = 0.5 + 0.125 + 0.0625 + 0.03125;
        for (rank, w) in [(1usize, 0.5), (3, 0.125), (4, 0.0625), (5, 0.03125)] {
            let expected = w / free_total * trials as f64;
            let got = counts[rank] as f64;
            assert!(
                (got - expected).abs() < 5.0 * expected.sqrt(),
                "rank {rank}: {got} vs {expected}"
            );
        }
        assert_eq!(counts[0] + counts[2], 0);
    }

    #[test]
    fn floyd_sample_is_uniform() {
        let mut r = rng();
        let mut out = Vec::new();
        let mut counts = [0u32; 10];
        for _ in 0..50_000 {
            floyd_sample(&mut r, 10, 3, &mut out);
            for &x in &out {
                counts[x] += 1;
            }
        }
        for c in counts {
            assert!((c as f64 - 15_000.0).abs() < 500.0, "{counts:?}");
        }
    }
}
