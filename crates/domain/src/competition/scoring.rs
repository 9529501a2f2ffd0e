//! Scoring, ranking and rewards of a show run.
//!
//! Scores are kept as integers so ranking never compares floats:
//! - [`BaseScore`] is in tenths: `0.5*s1 + 0.3*s2 + 0.2*s3` times 10 is `5*s1 + 3*s2 + 2*s3`,
//!   an exact integer for integer stats.
//! - [`Score`] is in hundredths: the rules round the final score to 2 decimals, so
//!   `round(score * 100)` is exactly what the rules keep.

use std::cmp::Ordering;
use std::fmt;

use rand::Rng;

use crate::discipline::{Discipline, DisciplineScore};
use crate::money::Money;
use crate::progression::{owner_xp_for_placement, placement_index};
use crate::stats::{StatGain, Stats};

/// Smallest luck factor.
pub const LUCK_MIN: f64 = 0.91;
/// Largest luck factor.
pub const LUCK_MAX: f64 = 1.09;
/// Share of the prize pool, in percent, for 1st, 2nd and 3rd place (each rounded down).
pub const PRIZE_SHARE_PERCENT: [u32; 3] = [50, 30, 20];
/// Horse XP for 1st, 2nd and 3rd place.
pub const PLACEMENT_HORSE_XP: [u32; 3] = [30, 27, 25];
/// Horse XP for every entrant placed 4th or lower.
pub const OTHER_ENTRANT_HORSE_XP: u32 = 20;
/// Chance of +1 on one primary stat for 1st, 2nd and 3rd place; others get no such chance.
pub const PLACEMENT_STAT_GAIN_CHANCE: [f64; 3] = [0.10, 0.05, 0.03];

/// Horse XP for a placement (1-based): 30 / 27 / 25 for the podium, 20 for everyone else.
pub fn horse_xp_for_placement(placement: u32) -> u32 {
    placement_index(placement)
        .map(|i| PLACEMENT_HORSE_XP[i])
        .unwrap_or(OTHER_ENTRANT_HORSE_XP)
}

/// `0.5*s1 + 0.3*s2 + 0.2*s3` over the discipline's primary stats, held in tenths
/// (so `43.0` is `BaseScore(430)`). Invariant: `0..=1000`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BaseScore(u32);

impl BaseScore {
    /// The base score times 10 (exact).
    pub const fn tenths(self) -> u32 {
        self.0
    }

    /// The base score as a decimal number, for display.
    pub fn as_f64(self) -> f64 {
        f64::from(self.0) / 10.0
    }
}

impl fmt::Display for BaseScore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.0 / 10, self.0 % 10)
    }
}

/// The base score of a horse with `stats` in `discipline`.
pub fn base_score(stats: &Stats, discipline: Discipline) -> BaseScore {
    let [s1, s2, s3] = discipline
        .primary_stats()
        .map(|stat| u32::from(stats.get(stat).get()));
    BaseScore(5 * s1 + 3 * s2 + 2 * s3)
}

/// A final show score rounded to 2 decimals, held in hundredths (`51.06` is `Score(5106)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Score(u32);

impl Score {
    /// The score times 100 (exact: the score has 2 decimals).
    pub const fn hundredths(self) -> u32 {
        self.0
    }

    /// The score as a decimal number, for display.
    pub fn as_f64(self) -> f64 {
        f64::from(self.0) / 100.0
    }
}

impl fmt::Display for Score {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// The age factor in percent: 3 -> 85, 4 -> 90, 5 -> 95, 6-8 -> 100, 9 -> 95, 10 -> 90,
/// 11 -> 85, 12 and older -> 80. Ages below 3 (never eligible to enter) get 85, like age 3.
pub const fn age_factor_percent(age: u32) -> u32 {
    match age {
        0..=3 => 85,
        4 => 90,
        5 => 95,
        6..=8 => 100,
        9 => 95,
        10 => 90,
        11 => 85,
        _ => 80,
    }
}

/// The luck factor of one entry. Invariant: finite and within `0.91..=1.09`.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Luck(f64);

/// A luck factor outside `0.91..=1.09`.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("luck {value} is out of range: expected a number from 0.91 to 1.09")]
pub struct LuckError {
    pub value: f64,
}

impl Luck {
    /// Luck that changes nothing (1.0).
    pub const NEUTRAL: Luck = Luck(1.0);

    /// Accepts `0.91..=1.09`.
    pub fn new(value: f64) -> Result<Luck, LuckError> {
        if (LUCK_MIN..=LUCK_MAX).contains(&value) {
            Ok(Luck(value))
        } else {
            Err(LuckError { value })
        }
    }

    /// Draws luck uniformly from `0.91..=1.09`.
    pub fn draw(rng: &mut impl Rng) -> Luck {
        Luck(rng.random_range(LUCK_MIN..=LUCK_MAX))
    }

    pub const fn get(self) -> f64 {
        self.0
    }
}

/// `round(base * training * age_factor * luck, 2 decimals)` with
/// `training = 1 + 0.5 * discipline_score / 100`.
///
/// Everything but luck is exact integer arithmetic; one floating-point multiplication by luck
/// and one rounding (half away from zero) give the hundredths.
pub fn score_entry(
    base: BaseScore,
    discipline_score: DisciplineScore,
    age: u32,
    luck: Luck,
) -> Score {
    // base = tenths/10, training = (200 + ds)/200, age = pct/100, score*100 = product * 100,
    // so score*100 = tenths * (200 + ds) * pct * luck / 2_000.
    // At most 1_000 * 300 * 100 = 3e7, exactly representable in an f64.
    let exact = base.tenths() * (200 + u32::from(discipline_score.get())) * age_factor_percent(age);
    let hundredths = (f64::from(exact) * luck.get() / 2_000.0).round();
    // 0 <= hundredths <= 3e7 * 1.09 / 2000 < 16_500, so the cast is exact.
    Score(hundredths as u32)
}

/// What ranking looks at for one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RankKey {
    pub score: Score,
    pub base: BaseScore,
    /// Smaller means entered earlier.
    pub entry_sequence: u64,
}

impl RankKey {
    /// `Less` when `self` ranks ahead of `other`: higher score first, then higher base score,
    /// then the earlier entry (smaller sequence).
    pub fn cmp_rank(&self, other: &RankKey) -> Ordering {
        other
            .score
            .cmp(&self.score)
            .then(other.base.cmp(&self.base))
            .then(self.entry_sequence.cmp(&other.entry_sequence))
    }
}

/// Sorts keys best first (see [`RankKey::cmp_rank`]). Entries equal in all three keep their
/// input order.
pub fn rank(keys: &mut [RankKey]) {
    keys.sort_by(RankKey::cmp_rank);
}

/// One horse entered in a show, as the show run needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entrant {
    /// Entry order within the show, unique per show: smaller means entered earlier (an entry id
    /// from an increasing sequence will do). It is the last tie-break and the key results are
    /// reported under.
    pub entry_sequence: u64,
    pub stats: Stats,
    /// The horse's score in the show's discipline.
    pub discipline_score: DisciplineScore,
    /// Age in game years when the show runs.
    pub age: u32,
}

/// The result of one entrant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryResult {
    pub entry_sequence: u64,
    /// 1-based; placements of one show are exactly `1..=n`.
    pub placement: u32,
    pub score: Score,
    pub base: BaseScore,
    /// Prize money for the owner (and the horse's earnings); zero below 3rd place.
    pub prize: Money,
    pub horse_xp: u32,
    pub owner_xp: u32,
    /// The +1 won on a primary stat, if the podium roll succeeded and the stat was below 100.
    pub stat_gain: Option<StatGain>,
}

/// The outcome of running a show.
///
/// Invariant: the prizes plus `refund` equal the prize pool exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShowOutcome {
    /// One result per entrant, best first (`results[i].placement == i + 1`).
    pub results: Vec<EntryResult>,
    /// The part of the pool not paid out (fewer than 3 entrants, rounding down), returned to the
    /// house.
    pub refund: Money,
}

impl ShowOutcome {
    /// Total prize money paid to entrants (`prize_pool - refund`).
    pub fn total_paid(&self) -> Money {
        Money::checked_sum(self.results.iter().map(|r| r.prize)).unwrap_or(Money::ZERO)
    }

    /// The winner's result, if there were entrants.
    pub fn winner(&self) -> Option<&EntryResult> {
        self.results.first()
    }
}

/// Runs a show: scores every entrant, ranks them and hands out prizes, XP and stat gains.
///
/// - Score: see [`score_entry`], with luck drawn per entrant.
/// - Ranking: see [`RankKey::cmp_rank`]; placements are `1..=n` without gaps or ties.
/// - Prizes: 50% / 30% / 20% of the pool to 1st-3rd, each rounded down; the rest of the pool
///   (all of it when nobody entered) is the refund.
/// - Horse XP 30 / 27 / 25, 20 for every other entrant; owner XP 20 / 15 / 10, 0 for others.
/// - 1st-3rd have a 10% / 5% / 3% chance of +1 on one of the discipline's primary stats chosen
///   uniformly (no gain reported when that stat is already 100).
///
/// Randomness is drawn in a fixed order, so a seeded `rng` repeats the run whatever order the
/// entrants are passed in: luck for each entrant in entry-sequence order, then the stat-gain
/// roll (and, on success, the stat) for 1st, 2nd and 3rd in that order.
pub fn run_show(
    discipline: Discipline,
    entrants: &[Entrant],
    prize_pool: Money,
    rng: &mut impl Rng,
) -> ShowOutcome {
    let mut by_entry: Vec<&Entrant> = entrants.iter().collect();
    by_entry.sort_by_key(|e| e.entry_sequence);

    let mut scored: Vec<(RankKey, &Entrant)> = by_entry
        .into_iter()
        .map(|entrant| {
            let base = base_score(&entrant.stats, discipline);
            let luck = Luck::draw(rng);
            let score = score_entry(base, entrant.discipline_score, entrant.age, luck);
            let key = RankKey {
                score,
                base,
                entry_sequence: entrant.entry_sequence,
            };
            (key, entrant)
        })
        .collect();
    scored.sort_by(|a, b| a.0.cmp_rank(&b.0));

    let mut unpaid = prize_pool;
    let mut results = Vec::with_capacity(scored.len());
    for (placement, (key, entrant)) in (1u32..).zip(scored) {
        let podium = placement_index(placement);
        let prize = match podium {
            Some(i) => take(
                &mut unpaid,
                prize_pool.percent_floor(PRIZE_SHARE_PERCENT[i]),
            ),
            None => Money::ZERO,
        };
        let stat_gain = podium.and_then(|i| {
            rng.random_bool(PLACEMENT_STAT_GAIN_CHANCE[i])
                .then(|| discipline.primary_stats()[rng.random_range(0..3)])
                .and_then(|stat| StatGain::apply(&entrant.stats, stat, 1))
        });
        results.push(EntryResult {
            entry_sequence: key.entry_sequence,
            placement,
            score: key.score,
            base: key.base,
            prize,
            horse_xp: horse_xp_for_placement(placement),
            owner_xp: owner_xp_for_placement(placement),
            stat_gain,
        });
    }
    ShowOutcome {
        results,
        refund: unpaid,
    }
}

/// Takes `amount` out of `pool` (or all that is left, should it ever be less), so that what is
/// taken plus what remains always equals the original pool.
fn take(pool: &mut Money, amount: Money) -> Money {
    match pool.checked_sub(amount) {
        Some(rest) => {
            *pool = rest;
            amount
        }
        None => std::mem::replace(pool, Money::ZERO),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::stats::{Stat, StatValue};
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn stats_with(values: &[(Stat, u8)]) -> Stats {
        values.iter().fold(
            Stats::uniform(StatValue::new(10).unwrap()),
            |stats, &(stat, v)| stats.with(stat, StatValue::new(v).unwrap()),
        )
    }

    fn entrant(entry_sequence: u64, stats: Stats) -> Entrant {
        Entrant {
            entry_sequence,
            stats,
            discipline_score: DisciplineScore::ZERO,
            age: 6,
        }
    }

    fn money(coins: i64) -> Money {
        Money::new(coins).unwrap()
    }

    #[test]
    fn the_base_score_weights_the_primary_stats_half_three_tenths_and_a_fifth() {
        // Barrel Racing: speed, agility, stamina.
        let stats = stats_with(&[(Stat::Speed, 50), (Stat::Agility, 40), (Stat::Stamina, 30)]);
        let base = base_score(&stats, Discipline::BarrelRacing);
        assert_eq!(base.tenths(), 430);
        assert_eq!(base.to_string(), "43.0");
    }

    #[test]
    fn the_score_multiplies_base_training_age_and_luck_and_rounds_to_cents() {
        // 43.0 * (1 + 0.5 * 50/100) * 0.95 * 1.0 = 51.0625 -> 51.06
        let base = BaseScore(430);
        let score = score_entry(base, DisciplineScore::new(50).unwrap(), 5, Luck::NEUTRAL);
        assert_eq!(score.hundredths(), 5106);
        assert_eq!(score.to_string(), "51.06");
        // 43.0 * 1.5 * 1.0 * 1.09 = 70.305 -> 70.31 (to within float rounding of the half)
        let lucky = score_entry(base, DisciplineScore::MAX, 7, Luck::new(LUCK_MAX).unwrap());
        assert!((7030..=7031).contains(&lucky.hundredths()));
        // 43.0 * 1.0 * 0.80 * 0.91 = 31.304 -> 31.30
        let unlucky = score_entry(
            base,
            DisciplineScore::ZERO,
            15,
            Luck::new(LUCK_MIN).unwrap(),
        );
        assert_eq!(unlucky.hundredths(), 3130);
    }

    #[test]
    fn the_age_factor_follows_the_table() {
        let table: Vec<u32> = (3..=13).map(age_factor_percent).collect();
        assert_eq!(table, [85, 90, 95, 100, 100, 100, 95, 90, 85, 80, 80]);
        assert_eq!(age_factor_percent(21), 80);
    }

    #[test]
    fn luck_outside_0_91_to_1_09_is_refused() {
        assert!(Luck::new(0.90).is_err());
        assert!(Luck::new(1.10).is_err());
        assert!(Luck::new(f64::NAN).is_err());
        let mut rng = StdRng::seed_from_u64(5);
        for _ in 0..1_000 {
            let luck = Luck::draw(&mut rng).get();
            assert!((LUCK_MIN..=LUCK_MAX).contains(&luck));
        }
    }

    #[test]
    fn ties_break_by_base_score_then_by_earlier_entry() {
        let key = |score, base, entry_sequence| RankKey {
            score: Score(score),
            base: BaseScore(base),
            entry_sequence,
        };
        let mut keys = vec![
            key(5000, 400, 1),
            key(5000, 410, 9),
            key(6000, 100, 7),
            key(5000, 400, 0),
        ];
        rank(&mut keys);
        let order: Vec<u64> = keys.iter().map(|k| k.entry_sequence).collect();
        assert_eq!(order, [7, 9, 0, 1]);
    }

    #[test]
    fn the_podium_gets_50_30_20_percent_rounded_down_and_the_rest_is_refunded() {
        let entrants: Vec<Entrant> = (0..5)
            .map(|i| entrant(i, Stats::uniform(StatValue::new(50).unwrap())))
            .collect();
        let outcome = run_show(
            Discipline::Racing,
            &entrants,
            money(1_001),
            &mut StdRng::seed_from_u64(1),
        );
        let prizes: Vec<i64> = outcome.results.iter().map(|r| r.prize.coins()).collect();
        assert_eq!(prizes, [500, 300, 200, 0, 0]);
        assert_eq!(outcome.refund.coins(), 1);
    }

    #[test]
    fn with_one_entrant_half_the_pool_is_refunded() {
        let entrants = [entrant(1, Stats::default())];
        let outcome = run_show(
            Discipline::Polo,
            &entrants,
            money(1_000),
            &mut StdRng::seed_from_u64(1),
        );
        assert_eq!(outcome.results[0].prize.coins(), 500);
        assert_eq!(outcome.refund.coins(), 500);
    }

    #[test]
    fn with_no_entrants_the_whole_pool_is_refunded() {
        let outcome = run_show(
            Discipline::Polo,
            &[],
            money(777),
            &mut StdRng::seed_from_u64(1),
        );
        assert!(outcome.results.is_empty());
        assert_eq!(outcome.refund.coins(), 777);
        assert_eq!(outcome.winner(), None);
    }

    #[test]
    fn xp_goes_30_27_25_then_20_to_horses_and_20_15_10_then_0_to_owners() {
        let entrants: Vec<Entrant> = (0..5).map(|i| entrant(i, Stats::default())).collect();
        let outcome = run_show(
            Discipline::Racing,
            &entrants,
            Money::ZERO,
            &mut StdRng::seed_from_u64(1),
        );
        let horse: Vec<u32> = outcome.results.iter().map(|r| r.horse_xp).collect();
        let owner: Vec<u32> = outcome.results.iter().map(|r| r.owner_xp).collect();
        assert_eq!(horse, [30, 27, 25, 20, 20]);
        assert_eq!(owner, [20, 15, 10, 0, 0]);
    }

    #[test]
    fn a_much_stronger_horse_always_wins() {
        // Luck moves a score by at most 1.09/0.91 ~ 1.2x, so a base 5x larger always wins.
        let strong = Stats::uniform(StatValue::new(100).unwrap());
        let weak = Stats::uniform(StatValue::new(20).unwrap());
        for seed in 0..200 {
            let outcome = run_show(
                Discipline::Dressage,
                &[entrant(1, weak), entrant(2, strong)],
                Money::ZERO,
                &mut StdRng::seed_from_u64(seed),
            );
            assert_eq!(outcome.results[0].entry_sequence, 2);
        }
    }

    #[test]
    fn a_seeded_rng_repeats_the_run_whatever_the_input_order() {
        let entrants: Vec<Entrant> = (0..12)
            .map(|i| {
                let v = StatValue::new(u8::try_from(30 + i * 5).unwrap()).unwrap();
                entrant(i, Stats::uniform(v))
            })
            .collect();
        let mut reversed = entrants.clone();
        reversed.reverse();
        let run = |list: &[Entrant]| {
            run_show(
                Discipline::Eventing,
                list,
                money(10_000),
                &mut StdRng::seed_from_u64(99),
            )
        };
        assert_eq!(run(&entrants), run(&entrants));
        assert_eq!(run(&entrants), run(&reversed));
    }

    #[test]
    fn the_winner_gains_a_primary_stat_about_one_time_in_ten() {
        // n = 20_000, p = 0.10: mean 2_000, sd ~ 42.4; a 6-sigma band cannot flake.
        let n = 20_000_u32;
        let p = PLACEMENT_STAT_GAIN_CHANCE[0];
        let band = 6.0 * (f64::from(n) * p * (1.0 - p)).sqrt();
        let discipline = Discipline::Hunter;
        let entrants = [entrant(1, Stats::uniform(StatValue::new(60).unwrap()))];
        let mut rng = StdRng::seed_from_u64(7);
        let mut gains = 0_u32;
        for _ in 0..n {
            let outcome = run_show(discipline, &entrants, Money::ZERO, &mut rng);
            if let Some(gain) = outcome.results[0].stat_gain {
                assert!(discipline.primary_stats().contains(&gain.stat));
                assert_eq!((gain.amount, gain.new_value.get()), (1, 61));
                gains += 1;
            }
        }
        let mean = f64::from(n) * p;
        assert!((f64::from(gains) - mean).abs() <= band, "{gains} gains");
    }

    fn entrants_strategy() -> impl Strategy<Value = Vec<Entrant>> {
        proptest::collection::vec(
            (proptest::array::uniform12(0u8..=100), 0u8..=100, 0u32..30),
            0..25,
        )
        .prop_map(|rows| {
            rows.into_iter()
                .zip(0u64..)
                .map(|((stats, ds, age), seq)| Entrant {
                    entry_sequence: seq * 3 + 1,
                    stats: Stats::from_array(stats).unwrap(),
                    discipline_score: DisciplineScore::new(ds).unwrap(),
                    age,
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn prizes_paid_plus_refund_equal_the_pool_exactly(
            entrants in entrants_strategy(),
            pool in 0i64..=i64::MAX,
            discipline_index in 0usize..23,
            seed in any::<u64>(),
        ) {
            let pool = money(pool);
            let outcome = run_show(
                Discipline::ALL[discipline_index],
                &entrants,
                pool,
                &mut StdRng::seed_from_u64(seed),
            );
            let paid = outcome.total_paid();
            prop_assert_eq!(paid.checked_add(outcome.refund), Some(pool));
            for r in &outcome.results {
                let expected = match r.placement {
                    1 => pool.percent_floor(50),
                    2 => pool.percent_floor(30),
                    3 => pool.percent_floor(20),
                    _ => Money::ZERO,
                };
                prop_assert_eq!(r.prize, expected);
            }
        }

        #[test]
        fn placements_are_1_to_n_without_gaps_and_follow_the_ranking_order(
            entrants in entrants_strategy(),
            discipline_index in 0usize..23,
            seed in any::<u64>(),
        ) {
            let discipline = Discipline::ALL[discipline_index];
            let mut rng = StdRng::seed_from_u64(seed);
            let outcome = run_show(discipline, &entrants, Money::ZERO, &mut rng);
            prop_assert_eq!(outcome.results.len(), entrants.len());
            for (i, r) in outcome.results.iter().enumerate() {
                prop_assert_eq!(r.placement as usize, i + 1);
            }
            let mut sequences: Vec<u64> =
                outcome.results.iter().map(|r| r.entry_sequence).collect();
            sequences.sort_unstable();
            let mut expected: Vec<u64> = entrants.iter().map(|e| e.entry_sequence).collect();
            expected.sort_unstable();
            prop_assert_eq!(sequences, expected);
            for pair in outcome.results.windows(2) {
                let key = |r: &EntryResult| RankKey {
                    score: r.score,
                    base: r.base,
                    entry_sequence: r.entry_sequence,
                };
                prop_assert_eq!(key(&pair[0]).cmp_rank(&key(&pair[1])), Ordering::Less);
            }
        }

        #[test]
        fn stat_gains_only_reach_the_podium_and_stay_within_100(
            entrants in entrants_strategy(),
            discipline_index in 0usize..23,
            seed in any::<u64>(),
        ) {
            let discipline = Discipline::ALL[discipline_index];
            let mut rng = StdRng::seed_from_u64(seed);
            let outcome = run_show(discipline, &entrants, Money::ZERO, &mut rng);
            for r in &outcome.results {
                if let Some(gain) = r.stat_gain {
                    prop_assert!(r.placement <= 3);
                    prop_assert!(discipline.primary_stats().contains(&gain.stat));
                    let owner = entrants.iter().find(|e| e.entry_sequence == r.entry_sequence);
                    let before = owner.unwrap().stats.get(gain.stat);
                    prop_assert_eq!(gain.amount, 1);
                    prop_assert_eq!(gain.new_value.get(), before.get() + 1);
                    prop_assert!(gain.new_value.get() <= 100);
                }
            }
        }

        #[test]
        fn scores_stay_between_zero_and_the_best_possible(
            stats in proptest::array::uniform12(0u8..=100),
            ds in 0u8..=100,
            age in 0u32..40,
            luck in LUCK_MIN..=LUCK_MAX,
        ) {
            let base = base_score(&Stats::from_array(stats).unwrap(), Discipline::Racing);
            let ds_value = DisciplineScore::new(ds).unwrap();
            let score = score_entry(base, ds_value, age, Luck::new(luck).unwrap());
            let expected = base.as_f64() * (1.0 + 0.5 * f64::from(ds) / 100.0)
                * f64::from(age_factor_percent(age)) / 100.0 * luck;
            prop_assert!((score.as_f64() - expected).abs() <= 0.005 + 1e-9);
            prop_assert!(score.hundredths() <= 16_350);
        }
    }
}
