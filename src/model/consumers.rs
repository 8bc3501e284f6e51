//! Consumers, one fixed-size record each: α, β, λ, ρ and a habit shock per
//! channel, side by side, so that a consumer met in the tick's random order
//! costs one or two cache lines rather than one per attribute. Stored in
//! `f32` (drawn in `f64`, then rounded once) to keep a national population
//! in memory; all arithmetic on them is in `f64`.

use crate::dist;
use crate::rng::Rng;
use crate::scenario::schema::ConsumerPopulation;

/// Fields of a record before the habit shocks.
const ALPHA: usize = 0;
const BETA: usize = 1;
const LAMBDA: usize = 2;
const RATE: usize = 3;
const HABITS: usize = 4;

/// One consumer's record.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a>(&'a [f32], usize);

impl Record<'_> {
    pub fn alpha(&self) -> f32 {
        self.0[ALPHA]
    }

    pub fn beta(&self) -> f32 {
        self.0[BETA]
    }

    pub fn lambda(&self) -> f32 {
        self.0[LAMBDA]
    }

    pub fn rate(&self) -> f32 {
        self.0[RATE]
    }

    /// The habit shocks z_ik, one per channel.
    pub fn habits(&self) -> &[f32] {
        &self.0[HABITS..HABITS + self.1]
    }

    /// The adoption thresholds a_i of the diffusing channels, in the order
    /// of [`super::market::Market::adopting`]: the consumer shops on such
    /// a channel once its adopted share exceeds a_i.
    pub fn thresholds(&self) -> &[f32] {
        &self.0[HABITS + self.1..]
    }
}

#[derive(Debug, Clone, Default)]
pub struct Consumers {
    /// Record i: price sensitivity α_i, quality taste β_i, local preference
    /// λ_i ≥ 0, purchase rate ρ_i (attempts per tick), then the channel
    /// habit shocks z_ik, `n_channels` of them, then one adoption threshold
    /// per diffusing channel (`n_adopting`).
    records: Vec<f32>,
    pub n_channels: usize,
    pub n_adopting: usize,
}

impl Consumers {
    fn stride(&self) -> usize {
        HABITS + self.n_channels + self.n_adopting
    }

    pub fn len(&self) -> usize {
        self.records.len().checked_div(self.stride()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Draw `count` consumers, one after another from one stream: two
    /// populations of different sizes share their first consumers.
    /// Room is left for `n_adopting` adoption thresholds per consumer
    /// ([`Consumers::draw_thresholds`] fills it).
    pub fn generate(
        p: &ConsumerPopulation,
        n_channels: usize,
        n_adopting: usize,
        rng: &mut Rng,
    ) -> Consumers {
        let n = p.count as usize;
        let mut c = Consumers {
            records: Vec::new(),
            n_channels,
            n_adopting,
        };
        c.records.reserve_exact(n * c.stride());
        for _ in 0..n {
            c.records.push(
                dist::lognormal(rng, p.price_sensitivity_median, p.price_sensitivity_sd) as f32,
            );
            c.records.push(
                (p.quality_taste_mean + p.quality_taste_sd * dist::standard_normal(rng)) as f32,
            );
            let local =
                p.local_preference_mean + p.local_preference_sd * dist::standard_normal(rng);
            c.records.push(local.max(0.0) as f32);
            let rate = if p.purchase_rate_mean > 0.0 {
                dist::gamma(
                    rng,
                    p.purchase_rate_shape,
                    p.purchase_rate_mean / p.purchase_rate_shape,
                )
            } else {
                0.0
            };
            c.records.push(rate as f32);
            for _ in 0..n_channels {
                c.records.push(dist::standard_normal(rng) as f32);
            }
            c.records.extend(std::iter::repeat_n(0.0, n_adopting));
        }
        c
    }

    /// Make channel habits correlate within their nest as the nested logit's
    /// errors do: for a nest of dissimilarity λ_n < 1, consumer i's habit
    /// shock on its channel k becomes √(1 − λ_n²)·ζ_in + λ_n·z_ik, with ζ_in
    /// a standard normal shared by the nest's channels (from a stream of
    /// its own, one draw per nest, so that other draws do not move). Each
    /// channel keeps unit variance, and the within-nest correlation is
    /// 1 − λ_n²: a nest's appeal does not grow with its number of channels
    /// when λ_n is small. Nests with λ_n = 1 are left alone.
    pub fn correlate_within_nests(
        &mut self,
        market: &super::market::Market,
        streams: &crate::rng::Streams,
    ) {
        let lambdas = &market.nest_lambda;
        // A nest of one channel is that channel, whatever its λ: nothing to
        // correlate.
        let correlated = |n: usize| lambdas[n] != 1.0 && market.nest_members[n].count_ones() > 1;
        if !(0..lambdas.len()).any(correlated) {
            return;
        }
        let stride = self.stride();
        let mut shared = vec![0.0f64; lambdas.len()];
        for (i, record) in self.records.chunks_exact_mut(stride).enumerate() {
            let mut rng = streams.stream(crate::rng::Purpose::Nests, i as u64, 0);
            for z in shared.iter_mut() {
                *z = dist::standard_normal(&mut rng);
            }
            for (k, habit) in record[HABITS..HABITS + self.n_channels]
                .iter_mut()
                .enumerate()
            {
                let n = market.nest_of[k];
                let lambda = lambdas[n];
                if correlated(n) {
                    let own = f64::from(*habit);
                    *habit = ((1.0 - lambda * lambda).sqrt() * shared[n] + lambda * own) as f32;
                }
            }
        }
    }

    /// Give every consumer an adoption threshold a_i ~ U(0, 1) for each
    /// diffusing channel, from a stream of its own per consumer (so
    /// that no other draw moves): the consumer takes channel k up when
    /// its adopted share F_k(t) first exceeds a_i, so that the share who
    /// have is F_k(t), and each consumer's adoption time follows the Bass
    /// distribution (docs/ODD.md section 2.5).
    pub fn draw_thresholds(&mut self, streams: &crate::rng::Streams) {
        if self.n_adopting == 0 {
            return;
        }
        let stride = self.stride();
        let first = HABITS + self.n_channels;
        for (i, record) in self.records.chunks_exact_mut(stride).enumerate() {
            let mut rng = streams.stream(crate::rng::Purpose::Adoption, i as u64, 0);
            for a in &mut record[first..] {
                *a = dist::uniform(&mut rng) as f32;
            }
        }
    }

    fn record(&self, i: usize) -> &[f32] {
        let stride = self.stride();
        &self.records[i * stride..(i + 1) * stride]
    }

    /// Copy the records of `ids` into `out`, one after another. The loads
    /// are independent, so the processor overlaps their cache misses; the
    /// shopping step gathers a run of consumers met in random order this way
    /// before working on them.
    pub fn gather(&self, ids: &[u32], out: &mut Vec<f32>) {
        out.clear();
        for &i in ids {
            out.extend_from_slice(self.record(i as usize));
        }
    }

    /// The gathered record number `n` of `records` (see [`Consumers::gather`]).
    pub fn gathered<'a>(&self, records: &'a [f32], n: usize) -> Record<'a> {
        let stride = self.stride();
        Record(&records[n * stride..(n + 1) * stride], self.n_channels)
    }

    /// Price sensitivity α_i.
    pub fn alpha(&self, i: usize) -> f32 {
        self.record(i)[ALPHA]
    }

    /// Quality taste β_i.
    pub fn beta(&self, i: usize) -> f32 {
        self.record(i)[BETA]
    }

    /// Local preference λ_i ≥ 0.
    pub fn lambda(&self, i: usize) -> f32 {
        self.record(i)[LAMBDA]
    }

    /// Purchase rate ρ_i, attempts per tick.
    pub fn rate(&self, i: usize) -> f32 {
        self.record(i)[RATE]
    }

    /// Channel habit shocks z_ik.
    pub fn habits(&self, i: usize) -> &[f32] {
        &self.record(i)[HABITS..HABITS + self.n_channels]
    }

    /// Adoption thresholds a_i of the diffusing channels.
    pub fn thresholds(&self, i: usize) -> &[f32] {
        &self.record(i)[HABITS + self.n_channels..]
    }

    /// Bytes the records hold (their capacity).
    pub fn heap_bytes(&self) -> usize {
        super::heap::vec_bytes(&self.records)
    }
}
