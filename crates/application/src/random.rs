//! Randomness, as a port so that every use case that rolls dice can be replayed under test.
//!
//! The domain rules take `&mut impl Rng`; the use cases ask this port for a fresh generator
//! for each roll (a new horse's stats, a training session, a show run) and hand it to the rule.

use std::sync::{Mutex, PoisonError};

use rand::SeedableRng;
use rand::rand_core::OsError;
use rand::rngs::{OsRng, StdRng};

/// Hands out random generators to the use cases.
pub trait Randomness: Send + Sync {
    /// A generator for one use-case call.
    fn rng(&self) -> StdRng;
}

/// The operating system could not provide a seed.
#[derive(Debug, thiserror::Error)]
#[error("the operating system's random source failed: {0}")]
pub struct SeedUnavailable(#[from] OsError);

/// Generators derived from one seeded master generator: each call seeds a fresh [`StdRng`]
/// from the master's next output.
///
/// Production seeds the master from the operating system once
/// ([`SeededRandomness::from_os`]); tests give a fixed number
/// ([`SeededRandomness::from_seed`]), so the sequence of generators, and every roll made with
/// them, is the same on every run.
#[derive(Debug)]
pub struct SeededRandomness {
    master: Mutex<StdRng>,
}

impl SeededRandomness {
    /// A repeatable source: the same `seed` gives the same generators in the same order.
    pub fn from_seed(seed: u64) -> Self {
        Self::with_master(StdRng::seed_from_u64(seed))
    }

    /// An unpredictable source, seeded from the operating system.
    pub fn from_os() -> Result<Self, SeedUnavailable> {
        Ok(Self::with_master(StdRng::try_from_rng(&mut OsRng)?))
    }

    fn with_master(master: StdRng) -> Self {
        Self {
            master: Mutex::new(master),
        }
    }
}

impl Randomness for SeededRandomness {
    fn rng(&self) -> StdRng {
        // A panic while the lock was held cannot leave the generator half-updated in a way
        // that matters: its state is valid after every call, so a poisoned lock is taken over.
        let mut master = self.master.lock().unwrap_or_else(PoisonError::into_inner);
        StdRng::from_rng(&mut *master)
    }
}

#[cfg(test)]
mod tests {
    use rand::Rng;

    use super::*;

    fn draws(source: &SeededRandomness) -> Vec<u64> {
        (0..4).map(|_| source.rng().random()).collect()
    }

    #[test]
    fn one_seed_gives_the_same_generators_in_the_same_order() {
        let first = draws(&SeededRandomness::from_seed(7));
        assert_eq!(first, draws(&SeededRandomness::from_seed(7)));
        assert_ne!(first, draws(&SeededRandomness::from_seed(8)));
    }

    #[test]
    fn each_call_gives_a_different_generator() {
        let values = draws(&SeededRandomness::from_seed(7));
        for (i, value) in values.iter().enumerate() {
            assert!(!values[i + 1..].contains(value), "{values:?}");
        }
    }

    #[test]
    fn sources_seeded_from_the_os_differ() -> Result<(), SeedUnavailable> {
        let a = draws(&SeededRandomness::from_os()?);
        assert_ne!(a, draws(&SeededRandomness::from_os()?));
        Ok(())
    }
}
