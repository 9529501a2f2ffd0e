//! Breeds: their mean starting stats and whether they are gaited, plus the starting-stat roll.

use rand::Rng;
use rand_distr::StandardNormal;

use crate::stats::{STAT_COUNT, Stat, StatValue, Stats};

/// Standard deviation of a rolled starting stat around its breed mean.
pub const STAT_ROLL_STD_DEV: f64 = 3.0;

/// Lowest value a rolled starting stat can take (a freshly bought horse never has a 0 stat).
pub const ROLLED_STAT_MIN: u8 = 1;

/// A breed's profile.
///
/// `means` are the mean starting stats in rule order (see [`Stat::ALL`]). Gaited breeds, and
/// only they, may train in and enter the Gaited discipline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BreedProfile {
    pub name: &'static str,
    pub means: [u8; STAT_COUNT],
    pub gaited: bool,
}

impl BreedProfile {
    /// The mean starting value of one stat.
    pub const fn mean(&self, stat: Stat) -> u8 {
        self.means[stat.index()]
    }

    /// Rolls starting stats for a horse of this breed; see [`roll_stats`].
    pub fn roll_stats(&self, rng: &mut impl Rng) -> Stats {
        roll_stats(self.means, rng)
    }
}

const fn breed(name: &'static str, means: [u8; STAT_COUNT], gaited: bool) -> BreedProfile {
    BreedProfile {
        name,
        means,
        gaited,
    }
}

/// The breeds every installation starts with, exactly as in the game rules.
pub const SEEDED_BREEDS: [BreedProfile; 12] = [
    breed(
        "Thoroughbred",
        [20, 18, 17, 16, 12, 18, 18, 16, 17, 15, 14, 16],
        false,
    ),
    breed(
        "Arabian",
        [18, 19, 17, 15, 14, 17, 18, 15, 16, 18, 13, 20],
        false,
    ),
    breed(
        "American Saddlebred",
        [16, 15, 17, 18, 18, 17, 16, 18, 17, 18, 15, 15],
        true,
    ),
    breed(
        "National Show Horse",
        [17, 17, 18, 19, 16, 18, 16, 18, 17, 11, 16, 17],
        true,
    ),
    breed(
        "Pony Of The Americas",
        [15, 15, 16, 16, 15, 16, 14, 16, 18, 15, 14, 15],
        false,
    ),
    breed(
        "Appaloosa",
        [20, 16, 18, 16, 15, 16, 17, 16, 16, 16, 18, 15],
        false,
    ),
    breed(
        "Tennessee Walking Horse",
        [14, 17, 15, 17, 15, 15, 14, 16, 18, 16, 15, 17],
        true,
    ),
    breed(
        "Andalusian",
        [14, 15, 19, 19, 15, 19, 17, 19, 17, 17, 14, 15],
        false,
    ),
    breed(
        "American Quarter Horse",
        [20, 16, 18, 16, 15, 16, 17, 16, 16, 16, 18, 15],
        false,
    ),
    breed(
        "Walkaloosa",
        [15, 17, 18, 19, 14, 17, 16, 17, 18, 16, 16, 17],
        true,
    ),
    breed(
        "Lusitano",
        [15, 17, 20, 19, 17, 18, 18, 18, 18, 16, 17, 17],
        false,
    ),
    breed(
        "Paint Horse",
        [20, 16, 18, 16, 15, 16, 17, 16, 16, 16, 18, 15],
        false,
    ),
];

/// Finds a seeded breed by its exact name.
pub fn seeded_breed(name: &str) -> Option<&'static BreedProfile> {
    SEEDED_BREEDS.iter().find(|b| b.name == name)
}

/// Rolls starting stats: each stat is `round(Normal(mean, 3))` clamped to `1..=100`.
///
/// Whatever the means and the draws, every resulting stat is within `1..=100`. The stats are
/// drawn in rule order, one normal draw each, so a seeded `rng` gives repeatable stats.
pub fn roll_stats(means: [u8; STAT_COUNT], rng: &mut impl Rng) -> Stats {
    let mut values = [StatValue::MIN; STAT_COUNT];
    for (slot, mean) in values.iter_mut().zip(means) {
        let z: f64 = rng.sample(StandardNormal);
        let rolled = (f64::from(mean) + STAT_ROLL_STD_DEV * z).round();
        let clamped = rolled.clamp(f64::from(ROLLED_STAT_MIN), f64::from(StatValue::MAX.get()));
        // `clamped` is an integer in 1..=100 (NaN cannot come out of a finite normal draw, and
        // `as` would turn one into 0, which saturating_add below lifts back to 1).
        *slot = StatValue::MIN.saturating_add((clamped as u8).max(ROLLED_STAT_MIN));
    }
    Stats::new(values)
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]

    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn the_seeded_breed_table_matches_the_rules() {
        let expected: [(&str, [u8; 12]); 12] = [
            (
                "Thoroughbred",
                [20, 18, 17, 16, 12, 18, 18, 16, 17, 15, 14, 16],
            ),
            ("Arabian", [18, 19, 17, 15, 14, 17, 18, 15, 16, 18, 13, 20]),
            (
                "American Saddlebred",
                [16, 15, 17, 18, 18, 17, 16, 18, 17, 18, 15, 15],
            ),
            (
                "National Show Horse",
                [17, 17, 18, 19, 16, 18, 16, 18, 17, 11, 16, 17],
            ),
            (
                "Pony Of The Americas",
                [15, 15, 16, 16, 15, 16, 14, 16, 18, 15, 14, 15],
            ),
            (
                "Appaloosa",
                [20, 16, 18, 16, 15, 16, 17, 16, 16, 16, 18, 15],
            ),
            (
                "Tennessee Walking Horse",
                [14, 17, 15, 17, 15, 15, 14, 16, 18, 16, 15, 17],
            ),
            (
                "Andalusian",
                [14, 15, 19, 19, 15, 19, 17, 19, 17, 17, 14, 15],
            ),
            (
                "American Quarter Horse",
                [20, 16, 18, 16, 15, 16, 17, 16, 16, 16, 18, 15],
            ),
            (
                "Walkaloosa",
                [15, 17, 18, 19, 14, 17, 16, 17, 18, 16, 16, 17],
            ),
            ("Lusitano", [15, 17, 20, 19, 17, 18, 18, 18, 18, 16, 17, 17]),
            (
                "Paint Horse",
                [20, 16, 18, 16, 15, 16, 17, 16, 16, 16, 18, 15],
            ),
        ];
        for (breed, (name, means)) in SEEDED_BREEDS.iter().zip(expected) {
            assert_eq!(breed.name, name);
            assert_eq!(breed.means, means, "{name}");
        }
        assert_eq!(seeded_breed("Arabian").unwrap().mean(Stat::Endurance), 20);
    }

    #[test]
    fn exactly_the_four_gaited_breeds_are_gaited() {
        let gaited: Vec<&str> = SEEDED_BREEDS
            .iter()
            .filter(|b| b.gaited)
            .map(|b| b.name)
            .collect();
        assert_eq!(
            gaited,
            [
                "American Saddlebred",
                "National Show Horse",
                "Tennessee Walking Horse",
                "Walkaloosa"
            ]
        );
    }

    #[test]
    fn a_seeded_rng_rolls_the_same_stats_twice() {
        let breed = seeded_breed("Thoroughbred").unwrap();
        let first = breed.roll_stats(&mut StdRng::seed_from_u64(7));
        let second = breed.roll_stats(&mut StdRng::seed_from_u64(7));
        assert_eq!(first, second);
    }

    #[test]
    fn rolled_stats_centre_on_the_breed_means() {
        // 4_000 rolls of a stat with sd 3: the sample mean has sd 3/sqrt(4000) ~ 0.05, and
        // rounding/clamping at mean 20 adds no bias, so 0.5 is a 10-sigma margin.
        let breed = seeded_breed("Arabian").unwrap();
        let mut rng = StdRng::seed_from_u64(11);
        let n = 4_000;
        let mut sums = [0u64; 12];
        for _ in 0..n {
            for (sum, v) in sums.iter_mut().zip(breed.roll_stats(&mut rng).to_array()) {
                *sum += u64::from(v);
            }
        }
        for ((stat, sum), mean) in Stat::ALL.iter().zip(sums).zip(breed.means) {
            let average = sum as f64 / f64::from(n);
            assert!((average - f64::from(mean)).abs() < 0.5, "{stat}: {average}");
        }
    }

    proptest! {
        #[test]
        fn rolled_stats_stay_within_1_to_100_whatever_the_means(
            means in proptest::array::uniform12(any::<u8>()),
            seed in any::<u64>(),
        ) {
            let stats = roll_stats(means, &mut StdRng::seed_from_u64(seed));
            for (_, value) in stats.iter() {
                prop_assert!((1..=100).contains(&value.get()));
            }
        }
    }
}
