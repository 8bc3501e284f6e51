//! Consumers as a struct of arrays. Stored in `f32` (drawn in `f64`, then
//! rounded once) to keep a national population in memory; all arithmetic on
//! them is in `f64`.

use crate::dist;
use crate::rng::Rng;
use crate::scenario::schema::ConsumerPopulation;

#[derive(Debug, Clone, Default)]
pub struct Consumers {
    /// Price sensitivity α_i.
    pub alpha: Vec<f32>,
    /// Quality taste β_i.
    pub beta: Vec<f32>,
    /// Local preference λ_i ≥ 0.
    pub lambda: Vec<f32>,
    /// Purchase rate ρ_i, attempts per tick.
    pub rate: Vec<f32>,
    /// Channel habit shocks z_ik, `n_channels` per consumer.
    pub habit_z: Vec<f32>,
    pub n_channels: usize,
}

impl Consumers {
    pub fn len(&self) -> usize {
        self.alpha.len()
    }

    pub fn is_empty(&self) -> bool {
        self.alpha.is_empty()
    }

    /// Draw `count` consumers, one after another from one stream: two
    /// populations of different sizes share their first consumers.
    pub fn generate(p: &ConsumerPopulation, n_channels: usize, rng: &mut Rng) -> Consumers {
        let n = p.count as usize;
        let mut c = Consumers {
            alpha: Vec::with_capacity(n),
            beta: Vec::with_capacity(n),
            lambda: Vec::with_capacity(n),
            rate: Vec::with_capacity(n),
            habit_z: Vec::with_capacity(n * n_channels),
            n_channels,
        };
        for _ in 0..n {
            c.alpha.push(
                dist::lognormal(rng, p.price_sensitivity_median, p.price_sensitivity_sd) as f32,
            );
            c.beta.push(
                (p.quality_taste_mean + p.quality_taste_sd * dist::standard_normal(rng)) as f32,
            );
            let local =
                p.local_preference_mean + p.local_preference_sd * dist::standard_normal(rng);
            c.lambda.push(local.max(0.0) as f32);
            let rate = if p.purchase_rate_mean > 0.0 {
                dist::gamma(
                    rng,
                    p.purchase_rate_shape,
                    p.purchase_rate_mean / p.purchase_rate_shape,
                )
            } else {
                0.0
            };
            c.rate.push(rate as f32);
            for _ in 0..n_channels {
                c.habit_z.push(dist::standard_normal(rng) as f32);
            }
        }
        c
    }

    /// Bytes the vectors hold (their capacity).
    pub fn heap_bytes(&self) -> usize {
        use super::footprint::vec_bytes as b;
        b(&self.alpha) + b(&self.beta) + b(&self.lambda) + b(&self.rate) + b(&self.habit_z)
    }

    pub fn habits(&self, i: usize) -> &[f32] {
        &self.habit_z[i * self.n_channels..(i + 1) * self.n_channels]
    }
}
