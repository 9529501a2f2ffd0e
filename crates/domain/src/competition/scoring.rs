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

use crate::client::ClientMessage;
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

impl ClientMessage for LuckError {
    fn client_message(&self) -> String {
        format!("must be a number from {LUCK_MIN} to {LUCK_MAX}")
    }
}

#[cfg(test)]
mod tests;
