//! Named random streams: (seed, replicate, purpose, entity, tick) → generator.
//!
//! Every stream is PCG-64 MCG (`rand_pcg::Pcg64Mcg`: 128-bit multiplicative
//! congruential state, XSL-RR output), whose output is specified and the same
//! on every platform. A stream's 128-bit state is derived by hashing the
//! master seed, the replicate, the purpose, an entity (a consumer, a seller,
//! a channel) and a tick. So a consumer's draws in a tick do not depend on
//! what other agents did or on the order work is scheduled in: two scenarios
//! run with the same seed share their draws (common random numbers) as far
//! as their agents behave alike, and the thread count cannot change a
//! number. PCG rather than ChaCha because a stream is opened for every
//! consumer in every tick, and PCG's seeding costs a few multiplications
//! where ChaCha's costs a block computation.

use rand_pcg::Pcg64Mcg;

/// The generator behind every stream.
pub type Rng = Pcg64Mcg;

/// What a stream is used for. The discriminant is part of the key: never
/// renumber an existing purpose, or old runs stop reproducing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Purpose {
    /// Initial sellers and consumers.
    Population = 1,
    /// Ranking noise, per seller and tick.
    Ranking = 2,
    /// A consumer's purchase attempts, per consumer and tick.
    Shopping = 3,
    /// Entry of new sellers, per tick.
    Entry = 4,
    /// Policy-driven draws (Project S entrants), per channel and tick.
    Policy = 5,
    /// Digitalization and social adoption, per seller and tick.
    Adaptation = 6,
    /// The order consumers shop in, per tick.
    ShoppingOrder = 7,
    /// Consumers' nest habit shocks, per consumer.
    Nests = 8,
    /// A consumer's choice after a checkout that failed, per consumer and tick.
    Fallback = 9,
    /// Marketplaces a UMKM going online lists on, and listing on a checkout
    /// partner, per seller and tick.
    Listing = 10,
    /// A consumer's adoption thresholds of diffusing channels, per consumer.
    Adoption = 11,
}

/// SplitMix64's finaliser: a bijective mix of 64 bits.
fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seed of replicate `r` of a run with master seed `seed` (reported in
/// the manifest; running with it as master seed and one replicate does not
/// reproduce replicate `r`: streams are keyed by (seed, replicate)).
pub fn replicate_seed(seed: u64, replicate: u32) -> u64 {
    mix64(mix64(seed) ^ mix64(0x5245_504C_0000_0000 | replicate as u64))
}

/// The random streams of one replicate.
#[derive(Debug, Clone)]
pub struct Streams {
    /// One key per purpose (index = discriminant − 1).
    keys: [u64; 11],
}

impl Streams {
    pub fn new(seed: u64, replicate: u32) -> Streams {
        let replicate_seed = replicate_seed(seed, replicate);
        Streams {
            keys: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
                .map(|purpose: u64| mix64(replicate_seed ^ mix64(purpose))),
        }
    }

    /// The stream of `purpose` for `entity` in `tick`.
    pub fn stream(&self, purpose: Purpose, entity: u64, tick: u32) -> Rng {
        let key = self.keys[purpose as usize - 1];
        let high = mix64(key ^ mix64(entity));
        let low = mix64(high ^ mix64(0x5449_434B_0000_0000 | tick as u64));
        Pcg64Mcg::new(((high as u128) << 64) | low as u128)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngCore;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a = Streams::new(7, 0);
        let b = Streams::new(7, 0);
        let x = a.stream(Purpose::Shopping, 3, 5).next_u64();
        assert_eq!(x, b.stream(Purpose::Shopping, 3, 5).next_u64());
        assert_ne!(x, a.stream(Purpose::Shopping, 4, 5).next_u64());
        assert_ne!(x, a.stream(Purpose::Shopping, 3, 6).next_u64());
        assert_ne!(x, a.stream(Purpose::Ranking, 3, 5).next_u64());
        assert_ne!(
            x,
            Streams::new(7, 1)
                .stream(Purpose::Shopping, 3, 5)
                .next_u64()
        );
    }

    /// Pins the generator and the key derivation to literal values: if
    /// this fails, every published run has changed (on this platform, or
    /// because the code did).
    #[test]
    fn known_draws() {
        let draws: Vec<u64> = [Purpose::Population, Purpose::Shopping]
            .into_iter()
            .map(|p| Streams::new(20231004, 0).stream(p, 7, 91).next_u64())
            .collect();
        assert_eq!(draws, vec![3140168855423777752, 4171343793379343506]);
        assert_eq!(replicate_seed(20231004, 3), 17591761848443496589);
    }
}
