//! Step 4: consumers shop, one purchase attempt at a time.
//!
//! The hot loop of the model: no allocation and no strings per attempt.
//! Scratch buffers live in [`Scratch`] and are reused.

use super::Model;
use super::consumers::Consumers;
use super::flows::TickFlows;
use super::market::Market;
use super::policy::PolicyState;
use super::ranking::{Card, Ranking};
use super::sellers::{Sellers, bound_by_cross_border};
use crate::dist;
use crate::rng::{Purpose, Rng};
use crate::scenario::ChannelKind;

/// Reusable buffers for one attempt.
#[derive(Debug, Clone, Default)]
pub struct Scratch {
    ranks: Vec<usize>,
    sorted: Vec<usize>,
    candidates: Vec<Card>,
    /// e^{V_j − max}: choice weights of the candidates (0 once dropped).
    weight: Vec<f64>,
    channel_weight: Vec<f64>,
    order: Vec<u32>,
}

/// Per-channel settings of this tick, read in every attempt.
#[derive(Debug, Clone, Copy)]
struct ChannelNow {
    offline: bool,
    /// μ_k + trend_k · t.
    habit_base: f64,
    consideration: usize,
    /// q = 1 − 1/L_k and ln q (geometric position bias).
    q: f64,
    ln_q: f64,
}

/// Everything an attempt reads.
struct Shop<'a> {
    market: &'a Market,
    policy: &'a PolicyState,
    ranking: &'a Ranking,
    consumers: &'a Consumers,
    channels: Vec<ChannelNow>,
    habit_sd: f64,
    outside_utility: f64,
    /// Affiliates are bound by the cross-border rules (population.affiliate.cross_border).
    affiliates_bound: bool,
}

impl Model<'_> {
    pub(super) fn shop(&mut self) {
        let spec = &self.scenario.spec;
        let t = self.tick as f64;
        let channels = spec
            .channels
            .values()
            .map(|c| {
                let q = 1.0 - 1.0 / c.attention;
                ChannelNow {
                    offline: c.kind == ChannelKind::Offline,
                    habit_base: c.affinity + c.affinity_trend * t,
                    consideration: c.consideration as usize,
                    q,
                    ln_q: if q > 0.0 {
                        libm::log(q)
                    } else {
                        f64::NEG_INFINITY
                    },
                }
            })
            .collect();
        let shop = Shop {
            market: &self.market,
            policy: &self.policy,
            ranking: &self.ranking,
            consumers: &self.consumers,
            channels,
            habit_sd: spec.population.consumers.habit_sd,
            outside_utility: spec.behaviour.outside_utility,
            affiliates_bound: spec.population.affiliate.cross_border,
        };
        // A fresh random order of consumers each tick (Fisher–Yates).
        let scratch = &mut self.scratch;
        let n = self.consumers.len();
        scratch.order.clear();
        scratch.order.extend(0..n as u32);
        let mut order_rng = self.streams.stream(Purpose::ShoppingOrder, 0, self.tick);
        for i in (1..n).rev() {
            let j = dist::index(&mut order_rng, i + 1);
            scratch.order.swap(i, j);
        }
        let order = std::mem::take(&mut scratch.order);
        for &i in &order {
            let i = i as usize;
            let mut rng = self.streams.stream(Purpose::Shopping, i as u64, self.tick);
            let attempts = dist::poisson(&mut rng, self.consumers.rate[i] as f64);
            for _ in 0..attempts {
                shop.attempt(
                    i,
                    &mut rng,
                    &mut self.sellers,
                    &mut self.flows,
                    &mut self.channel_sales,
                    scratch,
                );
            }
        }
        self.scratch.order = order;
    }
}

impl Shop<'_> {
    fn attempt(
        &self,
        i: usize,
        rng: &mut Rng,
        sellers: &mut Sellers,
        flows: &mut TickFlows,
        channel_sales: &mut [Vec<u32>],
        scratch: &mut Scratch,
    ) {
        let market = self.market;
        let nc = market.n_categories;
        flows.attempts += 1;
        // 1. Category by demand share.
        let c = market.category_at(dist::uniform(rng));
        // 2. Channel by logit over the channels with eligible listings in c.
        let habits = self.consumers.habits(i);
        scratch.channel_weight.clear();
        let mut best = f64::NEG_INFINITY;
        for (k, ch) in self.channels.iter().enumerate() {
            let offered = !self.ranking.bucket(k, c, nc).is_empty();
            let h = if offered {
                ch.habit_base + self.habit_sd * habits[k] as f64
            } else {
                f64::NEG_INFINITY
            };
            best = best.max(h);
            scratch.channel_weight.push(h);
        }
        if best == f64::NEG_INFINITY {
            return; // nothing on offer in this category anywhere
        }
        let mut sum = 0.0;
        for w in scratch.channel_weight.iter_mut() {
            *w = libm::exp(*w - best);
            sum += *w;
        }
        let target = dist::uniform(rng) * sum;
        let k = dist::walk_weights(&scratch.channel_weight, 0.0, target).unwrap_or(0);
        flows.decisions += 1;
        // 3. Consideration set.
        let bucket = self.ranking.bucket(k, c, nc);
        let ch = self.channels[k];
        let size = ch.consideration.min(bucket.len());
        scratch.candidates.clear();
        if size == bucket.len() {
            scratch.candidates.extend_from_slice(bucket);
        } else if ch.offline {
            floyd_sample(rng, bucket.len(), size, &mut scratch.ranks);
            scratch
                .candidates
                .extend(scratch.ranks.iter().map(|&r| bucket[r]));
        } else {
            geometric_ranks(
                rng,
                bucket.len(),
                size,
                ch.q,
                ch.ln_q,
                &mut scratch.ranks,
                &mut scratch.sorted,
            );
            scratch
                .candidates
                .extend(scratch.ranks.iter().map(|&r| bucket[r]));
        }
        // 4. Multinomial logit over the set and the outside option, drawn by
        // inverse CDF from the closed-form probabilities (the same
        // distribution as the argmax of utilities plus Gumbel draws, with one
        // uniform instead of one logarithm pair per listing).
        let alpha = self.consumers.alpha[i] as f64;
        let beta = self.consumers.beta[i] as f64;
        let lambda = self.consumers.lambda[i] as f64;
        // 5. Sold-out sellers are dropped from the set before the draw. This
        // is the same distribution as choosing, dropping a sold-out choice
        // and choosing again over what remains (by IIA), without the redraws.
        scratch.weight.clear();
        let mut top = self.outside_utility;
        for card in &scratch.candidates {
            if sellers.remaining[card.seller as usize] == 0 {
                scratch.weight.push(f64::NEG_INFINITY);
                continue;
            }
            let local = if card.imported { 0.0 } else { lambda };
            let v = beta * card.quality - alpha * card.ln_rel_price + local;
            top = top.max(v);
            scratch.weight.push(v);
        }
        let outside_weight = libm::exp(self.outside_utility - top);
        // Summed in the order the draw walks them, so the walk always ends.
        let mut total = outside_weight;
        for w in scratch.weight.iter_mut() {
            *w = if *w == f64::NEG_INFINITY {
                0.0
            } else {
                libm::exp(*w - top)
            };
            total += *w;
        }
        // The outside option comes first in the walk.
        let target = dist::uniform(rng) * total;
        let chosen = if target < outside_weight {
            None
        } else {
            dist::walk_weights(&scratch.weight, outside_weight, target)
                .map(|idx| scratch.candidates[idx].seller as usize)
        };
        // Consumer surplus over the final set: P_c/α · ln(e^{u0} + Σ e^{V}).
        let surplus_units = market.ref_price[c] / alpha;
        let logsum = top + libm::log(total);
        let Some(j) = chosen else {
            flows.consumer_surplus += surplus_units * logsum;
            return;
        };
        // 6. Payments: where does the purchase complete? The redirect draw is
        // made whatever the policy, so draws stay aligned across scenarios.
        let redirect_draw = dist::uniform(rng);
        let tx = if self.policy.payments_allowed[k] {
            Some(k)
        } else if redirect_draw < self.policy.redirect_success[k] {
            // A partner completes the sale if it takes payments and, for a
            // seller bound by the cross-border rules, allows cross-border sales.
            let bound = bound_by_cross_border(sellers.kind[j], self.affiliates_bound);
            let can_complete = |m: usize| {
                self.policy.payments_allowed[m] && (!bound || self.policy.cross_border_allowed[m])
            };
            match self.policy.checkout_partner[k] {
                Some(partner) => Some(partner).filter(|&m| can_complete(m)),
                None => market
                    .channels_in(market.marketplaces & sellers.listings[j] & sellers.eligible[j])
                    .find(|&m| self.policy.payments_allowed[m]),
            }
        } else {
            None
        };
        let Some(tx) = tx else {
            flows.lost += 1;
            flows.lost_discovery[k] += 1;
            flows.consumer_surplus += surplus_units * self.outside_utility;
            return;
        };
        flows.consumer_surplus += surplus_units * logsum;
        if tx != k {
            flows.redirected += 1;
        }
        // 7. Record the sale.
        let price = sellers.price[j];
        let take_rate = self.policy.take_rate[tx];
        sellers.remaining[j] -= 1;
        sellers.sales[j] += 1;
        sellers.fee_rate_sum[j] += take_rate;
        flows.purchases += 1;
        flows.purchases_tx[tx] += 1;
        flows.gmv_tx_category[tx * nc + c] += price;
        flows.gmv_discovery[k] += price;
        flows.commission[tx] += take_rate * price;
        if let Some(sales) = channel_sales.get_mut(tx).filter(|s| !s.is_empty()) {
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

/// `k` distinct ranks from `0..n`, drawn one after another with weight
/// q^r over the ranks not yet drawn (MODEL.md section 7). A draw from the
/// truncated geometric that hits a rank already taken is redrawn; after a
/// few misses the rank is drawn exactly from the weights left (see
/// [`draw_free_rank`]), so small attention spans cannot stall. `sorted` is
/// scratch space.
fn geometric_ranks(
    rng: &mut Rng,
    n: usize,
    k: usize,
    q: f64,
    ln_q: f64,
    out: &mut Vec<usize>,
    sorted: &mut Vec<usize>,
) {
    out.clear();
    if q <= 0.0 {
        // L = 1: all the weight is on the best rank left.
        out.extend(0..k);
        return;
    }
    let q_n = libm::exp(n as f64 * ln_q);
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
            let u = dist::uniform(rng);
            let r = (libm::log(1.0 - u * (1.0 - q_n)) / ln_q) as usize;
            let r = r.min(n - 1);
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
                draw_free_rank(rng, n, q, ln_q, sorted)
            }
        };
        if r < 128 {
            low_taken |= 1 << r;
        }
        out.push(r);
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
            geometric_ranks(&mut r, n, 20, q, q.ln(), &mut out, &mut Vec::new());
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
            geometric_ranks(&mut r, 3, 2, 0.5, 0.5f64.ln(), &mut out, &mut Vec::new());
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
                geometric_ranks(&mut r, n, k, q, q.ln(), &mut out, &mut sorted);
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
