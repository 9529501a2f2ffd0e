//! Whether a horse may enter a show.

use crate::client::ClientMessage;
use crate::discipline::Discipline;
use crate::horse::Health;
use crate::progression::Level;

use super::show::LevelRange;

/// Youngest age (game years) at which a horse may enter a show.
pub const COMPETITION_MIN_AGE: u32 = 3;
/// Oldest age (game years) at which a horse may still enter a show.
pub const COMPETITION_MAX_AGE: u32 = 21;

/// Why a horse may not enter a show. [`EntryIneligible::code`] is the stable code clients see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EntryIneligible {
    #[error("the show's discipline is open to gaited breeds only")]
    DisciplineNotAllowed,
    #[error("the horse is {age} years old: horses older than 21 no longer compete")]
    TooOld { age: u32 },
    #[error("the horse is {age} years old: horses compete from age 3")]
    TooYoung { age: u32 },
    #[error("the horse is level {level}: this show admits levels {min} to {max}")]
    LevelOutOfRange {
        level: Level,
        min: Level,
        max: Level,
    },
    #[error("the horse is injured")]
    Injured,
}

impl EntryIneligible {
    /// Stable machine-readable code.
    pub const fn code(&self) -> &'static str {
        match self {
            EntryIneligible::DisciplineNotAllowed => "DISCIPLINE_NOT_ALLOWED",
            EntryIneligible::TooOld { .. } => "TOO_OLD",
            EntryIneligible::TooYoung { .. } => "TOO_YOUNG",
            EntryIneligible::LevelOutOfRange { .. } => "LEVEL_OUT_OF_RANGE",
            EntryIneligible::Injured => "INJURED",
        }
    }
}

/// The horse-side entry rules: discipline allowed for the breed, age 3 to 21 inclusive, horse
/// level within the show's range, healthy.
///
/// When several reasons apply the first in this order is reported (most lasting first, as for
/// training): `DisciplineNotAllowed`, `TooOld`, `TooYoung`, `LevelOutOfRange`, `Injured`.
///
/// The show-side rules (show open and not past `closes_at`, owner, one entry per horse, room
/// left, fee affordable) depend on stored state and are the application's; see
/// [`super::ShowSchedule::accepts_entries_at`] and [`super::MaxEntries::has_room_after`].
pub fn check_entry_eligibility(
    age: u32,
    health: Health,
    horse_level: Level,
    level_range: LevelRange,
    breed_is_gaited: bool,
    discipline: Discipline,
) -> Result<(), EntryIneligible> {
    if !discipline.allows(breed_is_gaited) {
        return Err(EntryIneligible::DisciplineNotAllowed);
    }
    if age > COMPETITION_MAX_AGE {
        return Err(EntryIneligible::TooOld { age });
    }
    if age < COMPETITION_MIN_AGE {
        return Err(EntryIneligible::TooYoung { age });
    }
    if !level_range.contains(horse_level) {
        return Err(EntryIneligible::LevelOutOfRange {
            level: horse_level,
            min: level_range.min(),
            max: level_range.max(),
        });
    }
    if !health.is_healthy() {
        return Err(EntryIneligible::Injured);
    }
    Ok(())
}

impl ClientMessage for EntryIneligible {
    fn client_message(&self) -> String {
        match self {
            EntryIneligible::DisciplineNotAllowed => {
                "This show's discipline is open to gaited breeds only.".to_owned()
            }
            EntryIneligible::TooOld { .. } => format!(
                "The horse is too old: horses older than {COMPETITION_MAX_AGE} no longer compete."
            ),
            EntryIneligible::TooYoung { .. } => {
                format!("The horse is too young: horses compete from age {COMPETITION_MIN_AGE}.")
            }
            EntryIneligible::LevelOutOfRange { min, max, .. } => {
                format!("The horse's level is outside this show's range, levels {min} to {max}.")
            }
            EntryIneligible::Injured => "The horse is injured and cannot compete.".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]

    use super::*;
    use proptest::prelude::*;

    fn level(n: u32) -> Level {
        Level::new(n).unwrap()
    }

    fn range(min: u32, max: u32) -> LevelRange {
        LevelRange::new(level(min), level(max)).unwrap()
    }

    #[test]
    fn a_healthy_horse_of_3_to_21_in_the_level_range_may_enter() {
        for age in [3, 21] {
            let result = check_entry_eligibility(
                age,
                Health::Healthy,
                level(2),
                range(1, 3),
                false,
                Discipline::Racing,
            );
            assert_eq!(result, Ok(()));
        }
    }

    #[test]
    fn a_horse_outside_the_level_range_is_refused_with_the_range() {
        let result = check_entry_eligibility(
            5,
            Health::Healthy,
            level(4),
            range(1, 3),
            false,
            Discipline::Racing,
        );
        let err = result.unwrap_err();
        assert_eq!(
            err,
            EntryIneligible::LevelOutOfRange {
                level: level(4),
                min: level(1),
                max: level(3)
            }
        );
        assert_eq!(err.code(), "LEVEL_OUT_OF_RANGE");
    }

    #[test]
    fn a_non_gaited_horse_may_not_enter_a_gaited_show() {
        let result = check_entry_eligibility(
            5,
            Health::Healthy,
            level(1),
            range(1, 3),
            false,
            Discipline::Gaited,
        );
        assert_eq!(result, Err(EntryIneligible::DisciplineNotAllowed));
    }

    fn health() -> impl Strategy<Value = Health> {
        prop_oneof![Just(Health::Healthy), Just(Health::Injured)]
    }

    proptest! {
        #[test]
        fn entry_eligibility_is_exactly_the_stated_rules(
            age in 0u32..40,
            health in health(),
            horse_level in 1u32..10,
            min in 1u32..10,
            span in 0u32..5,
            gaited in any::<bool>(),
            discipline_index in 0usize..23,
        ) {
            let discipline = Discipline::ALL[discipline_index];
            let range = range(min, min + span);
            let result = check_entry_eligibility(
                age, health, level(horse_level), range, gaited, discipline,
            );
            let allowed = gaited || discipline != Discipline::Gaited;
            let in_range = (min..=min + span).contains(&horse_level);
            let expected = if !allowed {
                Err(EntryIneligible::DisciplineNotAllowed)
            } else if age > 21 {
                Err(EntryIneligible::TooOld { age })
            } else if age < 3 {
                Err(EntryIneligible::TooYoung { age })
            } else if !in_range {
                Err(EntryIneligible::LevelOutOfRange {
                    level: level(horse_level),
                    min: level(min),
                    max: level(min + span),
                })
            } else if health == Health::Injured {
                Err(EntryIneligible::Injured)
            } else {
                Ok(())
            };
            prop_assert_eq!(result, expected);
        }
    }
}
