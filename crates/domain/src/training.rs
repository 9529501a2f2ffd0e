//! Training: who may train, and what a session does.

use chrono::{DateTime, TimeDelta, Utc};
use rand::Rng;

use crate::client::ClientMessage;
use crate::discipline::{Discipline, DisciplineScore};
use crate::horse::{BirthWindow, Health, birthday};
use crate::progression::TRAINING_XP;
use crate::stats::{StatGain, Stats};

/// Youngest age (game years) at which a horse may train.
pub const TRAINING_MIN_AGE: u32 = 3;
/// Oldest age (game years) at which a horse may still train.
pub const TRAINING_MAX_AGE: u32 = 20;
/// Time between two training sessions of one horse, whatever the disciplines.
pub const TRAINING_COOLDOWN: TimeDelta = TimeDelta::days(7);
/// Discipline score added by one session (the score stops at 100).
pub const TRAINING_SCORE_GAIN: u8 = 5;
/// Probability that a session also raises one of the discipline's primary stats.
pub const TRAINING_STAT_GAIN_CHANCE: f64 = 0.15;
/// Smallest and largest stat gain a session can roll (before capping at 100).
pub const TRAINING_STAT_GAIN_RANGE: std::ops::RangeInclusive<u8> = 1..=3;

/// Why a horse may not train now. [`Ineligible::code`] is the stable code clients see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Ineligible {
    #[error("the discipline is open to gaited breeds only")]
    DisciplineNotAllowed,
    #[error("the horse is {age} years old: horses older than 20 no longer train")]
    TooOld { age: u32 },
    #[error("the horse is {age} years old: horses train from age 3")]
    TooYoung { age: u32 },
    #[error("the horse is injured")]
    Injured,
    #[error("the horse trained recently and can train again at {until}")]
    OnCooldown { until: DateTime<Utc> },
}

impl Ineligible {
    /// Stable machine-readable code.
    pub const fn code(&self) -> &'static str {
        match self {
            Ineligible::TooYoung { .. } => "TOO_YOUNG",
            Ineligible::TooOld { .. } => "TOO_OLD",
            Ineligible::Injured => "INJURED",
            Ineligible::OnCooldown { .. } => "ON_COOLDOWN",
            Ineligible::DisciplineNotAllowed => "DISCIPLINE_NOT_ALLOWED",
        }
    }
}

impl ClientMessage for Ineligible {
    fn client_message(&self) -> String {
        match self {
            Ineligible::DisciplineNotAllowed => {
                "Only gaited breeds may train in this discipline.".to_owned()
            }
            Ineligible::TooOld { .. } => format!(
                "The horse is too old: horses older than {TRAINING_MAX_AGE} no longer train."
            ),
            Ineligible::TooYoung { .. } => {
                format!("The horse is too young: horses train from age {TRAINING_MIN_AGE}.")
            }
            Ineligible::Injured => "The horse is injured and cannot train.".to_owned(),
            Ineligible::OnCooldown { until } => format!(
                "The horse trained less than {} days ago; it can train again at {}.",
                TRAINING_COOLDOWN.num_days(),
                until.to_rfc3339()
            ),
        }
    }
}

/// Checks whether a horse may train in `discipline` at `now`.
///
/// Eligible exactly when: the discipline is allowed for the breed (only gaited breeds may train
/// Gaited) and [`check_trainable`] passes (age 3 to 20 inclusive, healthy, cooldown over).
///
/// When several reasons apply, the one reported is the first in this order, most lasting first,
/// so that a player is never told "wait until X" only to be refused for another reason at X:
/// 1. `DisciplineNotAllowed` (never changes for this horse and discipline),
/// 2. `TooOld` (never changes),
/// 3. `TooYoung` (changes only as the horse ages),
/// 4. `Injured` (changes when the horse heals),
/// 5. `OnCooldown { until }` (changes at a known time).
pub fn check_training_eligibility(
    age: u32,
    health: Health,
    breed_is_gaited: bool,
    discipline: Discipline,
    training_cooldown_end: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), Ineligible> {
    if !discipline.allows(breed_is_gaited) {
        return Err(Ineligible::DisciplineNotAllowed);
    }
    check_trainable(age, health, training_cooldown_end, now)
}

/// Checks whether a horse may train now in at least one discipline: the rules that do not
/// depend on the discipline. Every breed may train every discipline but Gaited, so these are
/// the whole rule for "can train in some discipline", and `DisciplineNotAllowed` is never the
/// answer.
///
/// Eligible exactly when the age is [`TRAINING_MIN_AGE`] to [`TRAINING_MAX_AGE`] inclusive, the
/// horse is healthy and the cooldown has ended (`training_cooldown_end` is `None` or `<= now`).
/// Reasons are reported in the order of [`check_training_eligibility`]: `TooOld`, `TooYoung`,
/// `Injured`, `OnCooldown`.
pub fn check_trainable(
    age: u32,
    health: Health,
    training_cooldown_end: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), Ineligible> {
    if age > TRAINING_MAX_AGE {
        return Err(Ineligible::TooOld { age });
    }
    if age < TRAINING_MIN_AGE {
        return Err(Ineligible::TooYoung { age });
    }
    if !health.is_healthy() {
        return Err(Ineligible::Injured);
    }
    match training_cooldown_end {
        Some(until) if now < until => Err(Ineligible::OnCooldown { until }),
        _ => Ok(()),
    }
}

/// The instant a horse born at `date_of_birth` is first old enough to train: its
/// [`TRAINING_MIN_AGE`]th birthday.
pub fn training_age_reached_at(date_of_birth: DateTime<Utc>) -> DateTime<Utc> {
    birthday(date_of_birth, TRAINING_MIN_AGE)
}

/// When a horse refused for `reason` will be able to train, if that moment is known: the end of
/// the cooldown, or for a horse too young the later of [`training_age_reached_at`] and the end
/// of the cooldown. `None` for reasons that do not pass with time alone (too old, injured, a
/// discipline the breed may not train).
pub fn next_training_at(
    reason: Ineligible,
    date_of_birth: DateTime<Utc>,
    training_cooldown_end: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    match reason {
        Ineligible::OnCooldown { until } => Some(until),
        Ineligible::TooYoung { .. } => {
            let old_enough = training_age_reached_at(date_of_birth);
            Some(training_cooldown_end.map_or(old_enough, |until| until.max(old_enough)))
        }
        Ineligible::TooOld { .. } | Ineligible::Injured | Ineligible::DisciplineNotAllowed => None,
    }
}

/// The dates of birth of the horses old enough and young enough to train at `now` (ages
/// [`TRAINING_MIN_AGE`] to [`TRAINING_MAX_AGE`] inclusive), for filters that select trainable
/// horses by date of birth.
pub fn training_birth_window(now: DateTime<Utc>) -> BirthWindow {
    BirthWindow::for_ages(Some(TRAINING_MIN_AGE), Some(TRAINING_MAX_AGE), now)
}

/// What one training session does. The caller persists it: discipline score, stat gain, owner
/// XP and the new cooldown end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrainingOutcome {
    pub discipline: Discipline,
    pub score_before: DisciplineScore,
    /// `score_before + 5`, capped at 100.
    pub score_after: DisciplineScore,
    /// The primary stat that improved, if any (see [`StatGain`] for the capping rule).
    pub stat_gain: Option<StatGain>,
    /// Owner XP for the session (always [`TRAINING_XP`]).
    pub xp_awarded: u32,
    /// `now + 7 days`: the horse may train again from this instant on.
    pub cooldown_end: DateTime<Utc>,
}

impl TrainingOutcome {
    /// The horse's stats after the session.
    pub fn stats_after(&self, stats_before: Stats) -> Stats {
        match self.stat_gain {
            Some(gain) => gain.applied_to(stats_before),
            None => stats_before,
        }
    }
}

/// Runs one training session (the caller has checked eligibility).
///
/// The discipline score rises by 5 (capped at 100). With probability 15% one of the discipline's
/// three primary stats, chosen uniformly, gains 1-3 points (uniform), capped at 100; a roll on a
/// stat already at 100 yields no gain. Randomness is drawn in a fixed order (gain? then which
/// stat, then how much), so a seeded `rng` gives repeatable sessions.
pub fn train(
    score_before: DisciplineScore,
    stats: &Stats,
    discipline: Discipline,
    now: DateTime<Utc>,
    rng: &mut impl Rng,
) -> TrainingOutcome {
    let stat_gain = if rng.random_bool(TRAINING_STAT_GAIN_CHANCE) {
        let stat = discipline.primary_stats()[rng.random_range(0..3)];
        let amount = rng.random_range(TRAINING_STAT_GAIN_RANGE);
        StatGain::apply(stats, stat, amount)
    } else {
        None
    };
    TrainingOutcome {
        discipline,
        score_before,
        score_after: score_before.saturating_add(TRAINING_SCORE_GAIN),
        stat_gain,
        xp_awarded: TRAINING_XP,
        cooldown_end: now + TRAINING_COOLDOWN,
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]

    use super::*;
    use crate::stats::StatValue;
    use chrono::TimeZone;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).unwrap()
    }

    fn eligible(age: u32) -> Result<(), Ineligible> {
        check_training_eligibility(
            age,
            Health::Healthy,
            false,
            Discipline::Dressage,
            None,
            now(),
        )
    }

    #[test]
    fn a_healthy_horse_of_3_to_20_without_cooldown_may_train() {
        assert_eq!(eligible(3), Ok(()));
        assert_eq!(eligible(20), Ok(()));
    }

    #[test]
    fn horses_under_3_are_too_young_and_over_20_too_old() {
        assert_eq!(eligible(2), Err(Ineligible::TooYoung { age: 2 }));
        assert_eq!(eligible(21), Err(Ineligible::TooOld { age: 21 }));
    }

    #[test]
    fn injured_horses_may_not_train() {
        let result =
            check_training_eligibility(5, Health::Injured, false, Discipline::Racing, None, now());
        assert_eq!(result, Err(Ineligible::Injured));
    }

    #[test]
    fn only_gaited_breeds_may_train_gaited() {
        let check = |gaited| {
            check_training_eligibility(5, Health::Healthy, gaited, Discipline::Gaited, None, now())
        };
        assert_eq!(check(false), Err(Ineligible::DisciplineNotAllowed));
        assert_eq!(check(true), Ok(()));
    }

    #[test]
    fn the_cooldown_ends_exactly_at_its_end_time() {
        let until = now();
        let check = |at| {
            check_training_eligibility(5, Health::Healthy, false, Discipline::Polo, Some(until), at)
        };
        assert_eq!(
            check(until - TimeDelta::seconds(1)),
            Err(Ineligible::OnCooldown { until })
        );
        assert_eq!(check(until), Ok(()));
    }

    #[test]
    fn reasons_have_stable_codes() {
        let codes = [
            Ineligible::TooYoung { age: 1 }.code(),
            Ineligible::TooOld { age: 30 }.code(),
            Ineligible::Injured.code(),
            Ineligible::OnCooldown { until: now() }.code(),
            Ineligible::DisciplineNotAllowed.code(),
        ];
        assert_eq!(
            codes,
            [
                "TOO_YOUNG",
                "TOO_OLD",
                "INJURED",
                "ON_COOLDOWN",
                "DISCIPLINE_NOT_ALLOWED"
            ]
        );
    }

    #[test]
    fn the_most_lasting_reason_is_reported_first() {
        let later = Some(now() + TimeDelta::days(1));
        let check = |age, health, gaited| {
            check_training_eligibility(age, health, gaited, Discipline::Gaited, later, now())
        };
        assert_eq!(
            check(25, Health::Injured, false),
            Err(Ineligible::DisciplineNotAllowed)
        );
        assert_eq!(
            check(25, Health::Injured, true),
            Err(Ineligible::TooOld { age: 25 })
        );
        assert_eq!(
            check(1, Health::Injured, true),
            Err(Ineligible::TooYoung { age: 1 })
        );
        assert_eq!(check(5, Health::Injured, true), Err(Ineligible::Injured));
    }

    #[test]
    fn the_discipline_free_check_is_the_full_check_for_a_discipline_every_breed_may_train() {
        let later = Some(now() + TimeDelta::days(1));
        for age in [1, 3, 20, 25] {
            for health in Health::ALL {
                for cooldown in [None, later] {
                    assert_eq!(
                        check_trainable(age, health, cooldown, now()),
                        check_training_eligibility(
                            age,
                            health,
                            false,
                            Discipline::Dressage,
                            cooldown,
                            now()
                        )
                    );
                }
            }
        }
    }

    #[test]
    fn a_young_horse_may_train_from_its_third_birthday_or_the_end_of_its_cooldown() {
        let born = now();
        let third_birthday = born + TimeDelta::days(21);
        assert_eq!(training_age_reached_at(born), third_birthday);
        let too_young = Ineligible::TooYoung { age: 1 };
        assert_eq!(
            next_training_at(too_young, born, None),
            Some(third_birthday)
        );
        let early = Some(third_birthday - TimeDelta::days(1));
        assert_eq!(
            next_training_at(too_young, born, early),
            Some(third_birthday)
        );
        let late = third_birthday + TimeDelta::days(2);
        assert_eq!(next_training_at(too_young, born, Some(late)), Some(late));
        let until = now() + TimeDelta::hours(5);
        assert_eq!(
            next_training_at(Ineligible::OnCooldown { until }, born, Some(until)),
            Some(until)
        );
        for lasting in [
            Ineligible::TooOld { age: 30 },
            Ineligible::Injured,
            Ineligible::DisciplineNotAllowed,
        ] {
            assert_eq!(next_training_at(lasting, born, Some(late)), None);
        }
    }

    #[test]
    fn the_training_birth_window_holds_the_horses_of_3_to_20() {
        let window = training_birth_window(now());
        for age in 0..30 {
            let born = crate::horse::date_of_birth_for_age(age, now());
            let oldest_moment = born - TimeDelta::days(7) + TimeDelta::seconds(1);
            let trainable = (TRAINING_MIN_AGE..=TRAINING_MAX_AGE).contains(&age);
            assert_eq!(window.contains(born), trainable, "{age}");
            assert_eq!(window.contains(oldest_moment), trainable, "{age}");
        }
    }

    #[test]
    fn training_adds_five_to_the_score_and_starts_a_seven_day_cooldown() {
        let stats = Stats::uniform(StatValue::new(50).unwrap());
        let before = DisciplineScore::new(40).unwrap();
        let outcome = train(
            before,
            &stats,
            Discipline::Reining,
            now(),
            &mut StdRng::seed_from_u64(1),
        );
        assert_eq!(outcome.score_before, before);
        assert_eq!(outcome.score_after.get(), 45);
        assert_eq!(outcome.xp_awarded, 5);
        assert_eq!(outcome.cooldown_end, now() + TimeDelta::days(7));
    }

    #[test]
    fn the_score_stops_at_100() {
        let outcome = train(
            DisciplineScore::new(98).unwrap(),
            &Stats::default(),
            Discipline::Reining,
            now(),
            &mut StdRng::seed_from_u64(1),
        );
        assert_eq!(outcome.score_after, DisciplineScore::MAX);
    }

    #[test]
    fn a_seeded_rng_gives_the_same_sessions() {
        let stats = Stats::uniform(StatValue::new(50).unwrap());
        let run = |seed| {
            let mut rng = StdRng::seed_from_u64(seed);
            (0..50)
                .map(|_| {
                    train(
                        DisciplineScore::ZERO,
                        &stats,
                        Discipline::Cutting,
                        now(),
                        &mut rng,
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(run(42), run(42));
    }

    #[test]
    fn about_15_percent_of_sessions_raise_a_primary_stat_by_1_to_3() {
        // n = 20_000, p = 0.15: mean 3_000, sd = sqrt(n p (1-p)) ~ 50.5. A 6-sigma band keeps a
        // wrong rate (say 10% or 20%, 1_000 away) well outside, and the seed makes it repeatable.
        let n = 20_000_u32;
        let p = TRAINING_STAT_GAIN_CHANCE;
        let mean = f64::from(n) * p;
        let band = 6.0 * (f64::from(n) * p * (1.0 - p)).sqrt();

        let stats = Stats::uniform(StatValue::new(50).unwrap());
        let discipline = Discipline::BarrelRacing;
        let mut rng = StdRng::seed_from_u64(2025);
        let mut gains = 0_u32;
        let mut per_stat = [0_u32; 12];
        for _ in 0..n {
            let outcome = train(DisciplineScore::ZERO, &stats, discipline, now(), &mut rng);
            if let Some(gain) = outcome.stat_gain {
                gains += 1;
                per_stat[gain.stat.index()] += 1;
                assert!(discipline.primary_stats().contains(&gain.stat));
                assert!((1..=3).contains(&gain.amount));
                assert_eq!(gain.new_value.get(), 50 + gain.amount);
            }
        }
        assert!(
            (f64::from(gains) - mean).abs() <= band,
            "{gains} gains, expected {mean} +/- {band}"
        );
        // Each of the three primary stats gets about a third of the gains.
        for stat in discipline.primary_stats() {
            let share = f64::from(per_stat[stat.index()]) / f64::from(gains);
            assert!((share - 1.0 / 3.0).abs() < 0.05, "{stat}: {share}");
        }
    }

    #[test]
    fn a_stat_at_100_gains_nothing_and_reports_no_gain() {
        let stats = Stats::uniform(StatValue::MAX);
        let mut rng = StdRng::seed_from_u64(3);
        for _ in 0..500 {
            let outcome = train(
                DisciplineScore::ZERO,
                &stats,
                Discipline::Racing,
                now(),
                &mut rng,
            );
            assert_eq!(outcome.stat_gain, None);
            assert_eq!(outcome.stats_after(stats), stats);
        }
    }

    fn health() -> impl Strategy<Value = Health> {
        prop_oneof![Just(Health::Healthy), Just(Health::Injured)]
    }

    proptest! {
        #[test]
        fn eligibility_is_exactly_the_stated_rules(
            age in 0u32..40,
            health in health(),
            gaited in any::<bool>(),
            discipline_index in 0usize..23,
            cooldown_offset_s in proptest::option::of(-2_000_000i64..2_000_000),
        ) {
            let now = now();
            let discipline = Discipline::ALL[discipline_index];
            let cooldown_end = cooldown_offset_s.map(|s| now + TimeDelta::seconds(s));
            let result =
                check_training_eligibility(age, health, gaited, discipline, cooldown_end, now);

            let allowed = gaited || discipline != Discipline::Gaited;
            let cooled = cooldown_end.is_none_or(|end| end <= now);
            let should_pass = allowed
                && (3..=20).contains(&age)
                && health == Health::Healthy
                && cooled;
            prop_assert_eq!(result.is_ok(), should_pass);

            let expected = if !allowed {
                Err(Ineligible::DisciplineNotAllowed)
            } else if age > 20 {
                Err(Ineligible::TooOld { age })
            } else if age < 3 {
                Err(Ineligible::TooYoung { age })
            } else if health == Health::Injured {
                Err(Ineligible::Injured)
            } else if let Some(until) = cooldown_end.filter(|end| *end > now) {
                Err(Ineligible::OnCooldown { until })
            } else {
                Ok(())
            };
            prop_assert_eq!(result, expected);
        }

        #[test]
        fn training_keeps_scores_and_stats_within_0_to_100(
            score in 0u8..=100,
            stats in proptest::array::uniform12(0u8..=100),
            discipline_index in 0usize..23,
            seed in any::<u64>(),
        ) {
            let stats = Stats::from_array(stats).unwrap();
            let discipline = Discipline::ALL[discipline_index];
            let outcome = train(
                DisciplineScore::new(score).unwrap(),
                &stats,
                discipline,
                now(),
                &mut StdRng::seed_from_u64(seed),
            );
            prop_assert_eq!(outcome.score_after.get(), (score + 5).min(100));
            let after = outcome.stats_after(stats);
            for (stat, value) in after.iter() {
                prop_assert!(value.get() <= 100);
                let before = stats.get(stat).get();
                match outcome.stat_gain {
                    Some(g) if g.stat == stat => {
                        prop_assert!(discipline.primary_stats().contains(&stat));
                        prop_assert_eq!(value.get(), before + g.amount);
                        prop_assert!((1..=3).contains(&g.amount));
                    }
                    _ => prop_assert_eq!(value.get(), before),
                }
            }
        }
    }
}
