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
use super::market::{CENTI, Market};
use super::policy::PolicyState;
use super::ranking::{Ranking, ln_rel_price};
use super::sellers::{ChannelSet, Sellers};
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

/// What happens to a purchase chosen on a channel that takes no payments
/// when its checkout partner cannot complete it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum OnFailedCheckout {
    /// The channel takes payments: nothing can fail.
    #[default]
    Nothing,
    /// The consumer gives up.
    GiveUp,
    /// The consumer chooses again: the next entry of the piece is that
    /// decision, on another channel.
    ChooseAgain,
}

/// One decision's draws, and what resolving it needs.
#[derive(Debug, Clone, Copy, Default)]
struct Drawn {
    /// The consideration set: `len` candidates from `start` in the piece's
    /// candidate arrays.
    start: u32,
    len: u32,
    category: u16,
    /// Channel of discovery, or [`NOTHING_ON_OFFER`].
    channel: u8,
    /// A decision made again after a failed checkout (resolved only through
    /// the decision before it, never on its own).
    again: bool,
    on_failed_checkout: OnFailedCheckout,
    /// max(u_0, V_j) over the whole set.
    top: f64,
    /// e^{u_0 − top}.
    outside_weight: f64,
    /// outside_weight + Σ e^{V_j − top}, summed in the order the draw walks.
    total: f64,
    /// top + ln(total): the logsum when no candidate is sold out.
    logsum: f64,
    /// b · P_c / α_i: IDR per unit of utility for an order of b units.
    surplus_units: f64,
    /// The consumer's α_i, β_i, λ_i (to recompute utilities in resolution).
    alpha: f64,
    beta: f64,
    lambda: f64,
    choice_draw: f64,
}

/// The draws of a run of consumers, in their shopping order.
#[derive(Debug, Clone, Default)]
struct Piece {
    drawn: Vec<Drawn>,
    /// Candidates of every attempt: seller slot, e^{V_j − top}, price, and
    /// tag (kind · 2 + imported).
    seller: Vec<u32>,
    weight: Vec<f64>,
    price: Vec<f64>,
    tag: Vec<u8>,
    /// Utilities V_j of the attempt being drawn.
    utility: Vec<f64>,
    // Scratch for one attempt.
    ranks: Vec<usize>,
    sorted: Vec<usize>,
    channel_weight: Vec<f64>,
    /// The consumer's nested-logit channel indices g_k over every channel
    /// (for the categories every channel offers) and their logit weights
    /// and total, computed once per consumer; and the indices of the
    /// attempt at hand.
    index_all: Vec<f64>,
    weight_all: Vec<f64>,
    total_all: f64,
    index: Vec<f64>,
    /// The piece's consumer records, gathered in shopping order.
    records: Vec<f32>,
    /// Consumers of the piece who have taken up each diffusing channel.
    adopters: Vec<u64>,
}

impl Piece {
    fn clear(&mut self) {
        self.drawn.clear();
        self.seller.clear();
        self.weight.clear();
        self.price.clear();
        self.tag.clear();
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
                + p.tag.capacity()
                + (p.utility.capacity()
                    + p.weight.capacity()
                    + p.price.capacity()
                    + p.channel_weight.capacity()
                    + p.index_all.capacity()
                    + p.weight_all.capacity()
                    + p.index.capacity())
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
    /// The channel takes payments this tick.
    pays: bool,
}

/// Everything the draws read.
struct Draws<'a> {
    market: &'a Market,
    ranking: &'a Ranking,
    consumers: &'a Consumers,
    streams: &'a Streams,
    tick: u32,
    channels: Vec<ChannelNow>,
    /// Channels with something on offer in each category this tick.
    offered: Vec<ChannelSet>,
    habit_sd: f64,
    outside_utility: f64,
    /// φ: added to the utility of giving up after a failed checkout.
    switch_friction: f64,
    /// F_k(t): the share of consumers who have taken up each diffusing
    /// channel (`Market::adopting`) this tick.
    adopted_share: Vec<f64>,
}

/// Everything the resolution reads and writes.
struct Resolve<'a> {
    market: &'a Market,
    policy: &'a PolicyState,
    /// ln of each channel's listed-price factor (to recompute a utility).
    ln_listed_factor: &'a [f64],
    outside_utility: f64,
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
            .enumerate()
            .map(|(k, c)| ChannelNow {
                offline: c.kind == ChannelKind::Offline,
                habit_base: c.affinity + c.affinity_trend * t,
                consideration: c.consideration as usize,
                ranks: GeometricRanks::new(1.0 - 1.0 / c.attention),
                pays: self.policy.payments_allowed[k],
            })
            .collect();
        let (nk, nc) = (self.market.n_channels, self.market.n_categories);
        let offered = (0..nc)
            .map(|c| {
                (0..nk)
                    .filter(|&k| !self.ranking.bucket(k, c, nc).is_empty())
                    .fold(0 as ChannelSet, |set, k| set | (1 << k))
            })
            .collect();
        let today = self.scenario.date_of_tick(self.tick);
        let adopted_share = self
            .market
            .adopting
            .iter()
            .map(|&k| {
                spec.channels
                    .values()
                    .nth(k)
                    .and_then(|c| c.adoption.as_ref())
                    .map_or(1.0, |a| a.share_at(today))
            })
            .collect();
        let draws = Draws {
            market: &self.market,
            ranking: &self.ranking,
            consumers: &self.consumers,
            streams: &self.streams,
            tick: self.tick,
            channels,
            offered,
            habit_sd: spec.population.consumers.habit_sd,
            outside_utility: spec.behaviour.outside_utility,
            switch_friction: spec.behaviour.switch_friction,
            adopted_share,
        };
        self.flows.adopters.resize(self.market.adopting.len(), 0);
        let scratch = &mut self.scratch;
        let mut resolve = Resolve {
            market: &self.market,
            policy: &self.policy,
            ln_listed_factor: &self.listed.ln_factor,
            outside_utility: spec.behaviour.outside_utility,
            sellers: &mut self.sellers,
            flows: &mut self.flows,
            channel_sales: &mut self.channel_sales,
            weight: &mut scratch.weight,
        };
        // A fresh random order of consumers each tick.
        let n = self.consumers.len();
        let order = &mut scratch.order;
        order.clear();
        order.extend(0..n as u32);
        let mut order_rng = self.streams.stream(Purpose::ShoppingOrder, 0, self.tick);
        dist::shuffle(&mut order_rng, order);
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
            piece.adopters.clear();
            piece.adopters.resize(self.market.adopting.len(), 0);
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
        // The channel indices for a category every channel offers, computed
        // for the first attempt that needs them.
        piece.index_all.clear();
        // Draws for decisions made again after a failed checkout: a stream
        // of their own, opened when first needed, so that they never shift
        // the draws of the consumer's other attempts.
        let mut fallback: Option<Rng> = None;
        let visible = self.visible(consumer);
        for (a, &k) in self.market.adopting.iter().enumerate() {
            if visible & (1 << k) != 0 {
                piece.adopters[a] += 1;
            }
        }
        for _ in 0..attempts {
            self.attempt(i, consumer, visible, &mut rng, &mut fallback, piece);
        }
    }

    /// The channels the consumer shops on this tick: every channel but the
    /// diffusing ones it has not taken up yet (its threshold a_i at or
    /// above the channel's adopted share).
    fn visible(&self, consumer: Record) -> ChannelSet {
        let mut visible = self.market.all_channels();
        for ((&k, &share), &a) in self
            .market
            .adopting
            .iter()
            .zip(&self.adopted_share)
            .zip(consumer.thresholds())
        {
            if f64::from(a) >= share {
                visible &= !(1 << k);
            }
        }
        visible
    }

    /// The nested-logit index g_k of every channel in `set` (the others
    /// get −∞): a plain logit over g_k gives the nested-logit choice
    /// probabilities. With habit h_k, nest n of dissimilarity λ_n and
    /// inclusive value IV_n = λ_n ln Σ_{k' ∈ n ∩ set} e^{h_k'/λ_n},
    /// g_k = h_k/λ_n + IV_n (1 − 1/λ_n), so that
    /// e^{g_k} / Σ e^{g} = P(n) P(k | n). For λ_n = 1, or a nest with one
    /// channel in the set, g_k = h_k exactly: the plain logit.
    fn channel_indices(&self, consumer: Record, set: ChannelSet, out: &mut Vec<f64>) {
        let market = self.market;
        let habits = consumer.habits();
        out.clear();
        for (k, ch) in self.channels.iter().enumerate() {
            out.push(if set & (1 << k) != 0 {
                ch.habit_base + self.habit_sd * habits[k] as f64
            } else {
                f64::NEG_INFINITY
            });
        }
        for (n, &lambda) in market.nest_lambda.iter().enumerate() {
            let members = market.nest_members[n] & set;
            if lambda == 1.0 || members.count_ones() < 2 {
                continue;
            }
            let top = market
                .channels_in(members)
                .map(|k| out[k])
                .fold(f64::NEG_INFINITY, f64::max);
            let sum: f64 = market
                .channels_in(members)
                .map(|k| dist::fast_exp((out[k] - top) / lambda))
                .sum();
            let inclusive = top + lambda * libm::log(sum);
            for k in market.channels_in(members) {
                out[k] = out[k] / lambda + inclusive * (1.0 - 1.0 / lambda);
            }
        }
    }

    /// A channel drawn by logit over `index` (−∞: not available) with one
    /// uniform; `extra` is the index of one more option laid out first
    /// (giving up), taken when it returns `None`.
    fn pick_channel(
        &self,
        index: &[f64],
        extra: Option<f64>,
        u: f64,
        weights: &mut Vec<f64>,
    ) -> Option<usize> {
        let (extra_weight, total) = logit_weights(index, extra, weights);
        walk_channels(weights, extra_weight, u * total)
    }

    #[allow(clippy::too_many_arguments)]
    fn attempt(
        &self,
        i: usize,
        consumer: Record,
        visible: ChannelSet,
        rng: &mut Rng,
        fallback: &mut Option<Rng>,
        piece: &mut Piece,
    ) {
        let market = self.market;
        // 1. Category by demand share.
        let c = market.category_at(dist::uniform(rng));
        // 2. Channel by nested logit over the channels with eligible
        // listings in c that the consumer shops on.
        let offered = self.offered[c] & visible;
        if offered == 0 {
            // Nothing on offer in this category anywhere.
            piece.drawn.push(Drawn {
                channel: NOTHING_ON_OFFER,
                ..Drawn::default()
            });
            return;
        }
        let mut index = std::mem::take(&mut piece.index);
        let mut weights = std::mem::take(&mut piece.channel_weight);
        let u = dist::uniform(rng);
        let (k, index_k) = if offered == visible {
            // The same indices and weights for every such attempt of the
            // consumer: computed once.
            if piece.index_all.is_empty() {
                let mut index_all = std::mem::take(&mut piece.index_all);
                let mut weight_all = std::mem::take(&mut piece.weight_all);
                self.channel_indices(consumer, visible, &mut index_all);
                piece.total_all = logit_weights(&index_all, None, &mut weight_all).1;
                (piece.index_all, piece.weight_all) = (index_all, weight_all);
            }
            let k = walk_channels(&piece.weight_all, 0.0, u * piece.total_all).unwrap_or(0);
            (k, piece.index_all[k])
        } else {
            self.channel_indices(consumer, offered, &mut index);
            let k = self
                .pick_channel(&index, None, u, &mut weights)
                .unwrap_or(0);
            (k, index[k])
        };
        // 3.–4. The consideration set and the logit over it.
        let mut drawn = self.decision(consumer, c, k, rng, piece);
        // The choice's uniform, drawn for every decision.
        drawn.choice_draw = dist::uniform(rng);
        // 5. On a channel that takes no payments, the choice made again if
        // the checkout partner cannot complete the purchase: prepared now
        // (policy does not change within the tick), from its own stream.
        if !self.channels[k].pays {
            let again = offered & !(1 << k) & self.paying();
            let rng = fallback
                .get_or_insert_with(|| self.streams.stream(Purpose::Fallback, i as u64, self.tick));
            let give_up = index_k + self.switch_friction;
            self.channel_indices(consumer, again, &mut index);
            let u = dist::uniform(rng);
            let next = if again == 0 {
                None
            } else {
                self.pick_channel(&index, Some(give_up), u, &mut weights)
            };
            match next {
                None => {
                    drawn.on_failed_checkout = OnFailedCheckout::GiveUp;
                    piece.drawn.push(drawn);
                }
                Some(k2) => {
                    drawn.on_failed_checkout = OnFailedCheckout::ChooseAgain;
                    piece.drawn.push(drawn);
                    let mut second = self.decision(consumer, c, k2, rng, piece);
                    second.choice_draw = dist::uniform(rng);
                    second.again = true;
                    piece.drawn.push(second);
                }
            }
        } else {
            piece.drawn.push(drawn);
        }
        piece.index = index;
        piece.channel_weight = weights;
    }

    /// The channels that take payments this tick.
    fn paying(&self) -> ChannelSet {
        self.channels
            .iter()
            .enumerate()
            .filter(|(_, ch)| ch.pays)
            .fold(0, |set, (k, _)| set | (1 << k))
    }

    /// Steps 3 and 4 on channel `k`: the consideration set, and the logit
    /// weights over it and the outside option (the choice's uniform is
    /// left to the caller).
    fn decision(
        &self,
        consumer: Record,
        c: usize,
        k: usize,
        rng: &mut Rng,
        piece: &mut Piece,
    ) -> Drawn {
        let market = self.market;
        let nc = market.n_categories;
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
            let local = local_premium[(card.tag & 1) as usize];
            piece
                .utility
                .push(beta * f64::from(card.quality) - alpha * card.ln_rel_price + local);
            piece.seller.push(card.seller);
            piece.price.push(card.price);
            piece.tag.push(card.tag);
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
        Drawn {
            start: start as u32,
            len: size as u32,
            category: c as u16,
            channel: k as u8,
            top,
            outside_weight,
            total,
            logsum: top + libm::log(total),
            surplus_units: market.ref_price[c] * f64::from(market.basket(c, k))
                / f64::from(CENTI)
                / alpha,
            alpha,
            beta,
            lambda,
            ..Drawn::default()
        }
    }
}

impl Resolve<'_> {
    fn piece(&mut self, piece: &Piece) {
        for (total, &n) in self.flows.adopters.iter_mut().zip(&piece.adopters) {
            *total += n;
        }
        for (n, drawn) in piece.drawn.iter().enumerate() {
            if !drawn.again {
                self.attempt(drawn, piece.drawn.get(n + 1), piece);
            }
        }
    }

    /// Resolve one attempt: its decision and, when the purchase cannot be
    /// paid for where it was found nor completed by the checkout partner,
    /// the decision made again (`next`).
    fn attempt(&mut self, d: &Drawn, next: Option<&Drawn>, piece: &Piece) {
        self.flows.attempts += 1;
        if d.channel == NOTHING_ON_OFFER {
            return;
        }
        self.flows.decisions += 1;
        let (k, c) = (d.channel as usize, d.category as usize);
        let (chosen, logsum) = self.choose(d, piece);
        // Consumer surplus over the final set: P_c/α · ln(e^{u0} + Σ e^{V}).
        let Some(pick) = chosen else {
            self.flows.consumer_surplus += d.surplus_units * logsum;
            return;
        };
        // 6. Payments: where does the purchase complete?
        let policy = self.policy;
        if policy.payments_allowed[k] {
            self.flows.consumer_surplus += d.surplus_units * logsum;
            self.sell(pick, c, k, k);
            return;
        }
        // On the checkout partner, when the seller sells there.
        if let Some(m) = policy.checkout_partner[k]
            && policy.payments_allowed[m]
            && self.sellers.eligible[pick.seller] & (1 << m) != 0
        {
            self.flows.consumer_surplus += d.surplus_units * logsum;
            self.flows.redirected += 1;
            self.flows.redirected_tx[m] += 1;
            self.sell(pick, c, k, m);
            return;
        }
        // Otherwise the consumer chose, when drawing, between giving up and
        // choosing again on a channel that takes payments.
        let again = match (d.on_failed_checkout, next) {
            (OnFailedCheckout::ChooseAgain, Some(e)) => e,
            _ => {
                self.lose(k, d.surplus_units * self.outside_utility);
                return;
            }
        };
        let (chosen, logsum) = self.choose(again, piece);
        let surplus = again.surplus_units * logsum;
        match chosen {
            None => self.lose(k, surplus),
            Some(pick) => {
                let k2 = again.channel as usize;
                self.flows.consumer_surplus += surplus;
                self.flows.redirected += 1;
                self.flows.redirected_tx[k2] += 1;
                // Found again on k2, and paid for there.
                self.sell(pick, c, k2, k2);
            }
        }
    }

    /// A purchase found on channel `k` that did not happen.
    fn lose(&mut self, k: usize, surplus: f64) {
        let flows = &mut *self.flows;
        flows.lost += 1;
        flows.lost_discovery[k] += 1;
        flows.consumer_surplus += surplus;
    }

    /// The seller chosen in decision `d` (with its price and what it is),
    /// or `None` for the outside option; and the logsum over the set
    /// without its sold-out sellers.
    fn choose(&mut self, d: &Drawn, piece: &Piece) -> (Option<Pick>, f64) {
        let market = self.market;
        let range = d.start as usize..(d.start + d.len) as usize;
        let seller = &piece.seller[range.clone()];
        let tally = &self.sellers.tally;
        // Sold out: less stock left than the order's basket.
        let basket = market.basket(d.category as usize, d.channel as usize);
        let sold_out = |idx: usize| tally[seller[idx] as usize].remaining < basket;
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
                    let ln_price =
                        ln_rel_price(s, market, j) + self.ln_listed_factor[d.channel as usize];
                    d.beta * f64::from(s.quality[j]) - d.alpha * ln_price + local
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
        if target < outside_weight {
            return (None, logsum);
        }
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
        let pick = pick.map(|idx| {
            let at = d.start as usize + idx;
            Pick {
                seller: seller[idx] as usize,
                price: piece.price[at],
                tag: piece.tag[at],
            }
        });
        (pick, logsum)
    }

    /// Step 7: record a sale of `pick` in category `c`, found on
    /// `discovery` and paid for on `tx`.
    fn sell(&mut self, pick: Pick, c: usize, discovery: usize, tx: usize) {
        let nc = self.market.n_categories;
        let nk = self.market.n_channels;
        let flows = &mut *self.flows;
        // An order of the basket of the category on the channel where it
        // was found (a purchase completed on a partner's checkout keeps its
        // basket), at the seller's price a unit.
        let basket = self.market.basket(c, discovery);
        let units = f64::from(basket) / f64::from(CENTI);
        let j = pick.seller;
        let value = pick.price * units;
        let commission = self.policy.take_rate[tx] * value;
        // Sales are capacity − remaining (one memory access less per
        // order); revenue and commission sit beside the stock in the
        // seller's tally, whose cache line the sold-out check has just
        // loaded.
        let tally = &mut self.sellers.tally[j];
        tally.remaining -= basket;
        tally.revenue += value;
        tally.commission += commission;
        flows.purchases += 1;
        flows.units += units;
        flows.purchases_tx[tx] += 1;
        flows.gmv_tx_category[tx * nc + c] += value;
        flows.gmv_discovery[discovery] += value;
        flows.commission[tx] += commission;
        // What the seller is, from the candidate's tag (kind · 2 + imported):
        // no load from the sellers' arrays.
        flows.gmv_kind_tx[(pick.tag >> 1) as usize * nk + tx] += value;
        flows.gmv_origin_tx[(pick.tag & 1) as usize * nk + tx] += value;
        if let Some(sales) = self.channel_sales.get_mut(tx).filter(|s| !s.is_empty()) {
            sales[j] += 1;
        }
    }
}

/// The seller a decision chose: its slot, price and tag (kind · 2 +
/// imported).
#[derive(Debug, Clone, Copy)]
struct Pick {
    seller: usize,
    price: f64,
    tag: u8,
}

/// `k` distinct indices from `0..n`, uniformly (Floyd's algorithm: exactly
/// `k` draws).
/// Logit weights e^{g − best} of `index` (and of `extra`, laid out first),
/// into `weights`; returns the extra option's weight and the total.
fn logit_weights(index: &[f64], extra: Option<f64>, weights: &mut Vec<f64>) -> (f64, f64) {
    let best = index
        .iter()
        .copied()
        .chain(extra)
        .fold(f64::NEG_INFINITY, f64::max);
    weights.clear();
    let extra_weight = extra.map_or(0.0, |x| dist::fast_exp(x - best));
    let mut total = extra_weight;
    for &g in index {
        let w = dist::fast_exp(g - best);
        total += w;
        weights.push(w);
    }
    (extra_weight, total)
}

/// The option at `target` in the cumulative weights: `None` for the extra
/// option laid out first, else a channel.
fn walk_channels(weights: &[f64], extra_weight: f64, target: f64) -> Option<usize> {
    if target < extra_weight {
        return None;
    }
    dist::walk_weights(weights, extra_weight, target)
}

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
