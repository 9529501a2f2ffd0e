//! Horses: names, sex, health and age on the game clock.
//!
//! Age is never stored: a horse keeps its `date_of_birth` and its age is derived from it and the
//! current time, one game year being 7 real days.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, TimeDelta, Utc};

use crate::client::{ClientMessage, joined};

/// One game year: 7 real days.
pub const GAME_YEAR: TimeDelta = TimeDelta::days(7);

/// Most horses one player may own.
pub const MAX_HORSES_PER_USER: u32 = 100;

/// Age in whole game years: `floor(time since birth / 7 days)`.
///
/// A date of birth in the future (clock skew, bad data) counts as age 0, never negative.
pub fn age_in_years(date_of_birth: DateTime<Utc>, now: DateTime<Utc>) -> u32 {
    let lived = now.signed_duration_since(date_of_birth);
    if lived <= TimeDelta::zero() {
        return 0;
    }
    // Whole seconds lived, rounded down, is enough: a year is a whole number of seconds.
    let years = lived.num_seconds() / GAME_YEAR.num_seconds();
    u32::try_from(years).unwrap_or(u32::MAX)
}

/// The date of birth that makes a horse exactly `age_years` old at `now`:
/// `now - age_years * 7 days`, so that [`age_in_years`] gives back `age_years` at `now`.
///
/// If that instant is before the earliest date chrono can represent (ages of hundreds of
/// thousands of years), the earliest representable instant is returned.
pub fn date_of_birth_for_age(age_years: u32, now: DateTime<Utc>) -> DateTime<Utc> {
    TimeDelta::try_days(i64::from(age_years) * GAME_YEAR.num_days())
        .and_then(|lived| now.checked_sub_signed(lived))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The instant a horse born at `date_of_birth` turns `age_years` old: `date_of_birth +
/// age_years * 7 days`, the inverse of [`date_of_birth_for_age`].
///
/// If that instant is after the latest date chrono can represent, the latest representable
/// instant is returned.
pub fn birthday(date_of_birth: DateTime<Utc>, age_years: u32) -> DateTime<Utc> {
    TimeDelta::try_days(i64::from(age_years) * GAME_YEAR.num_days())
        .and_then(|lived| date_of_birth.checked_add_signed(lived))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The dates of birth of the horses whose age at `now` lies in an inclusive range of game
/// years: `date_of_birth <= born_at_or_before` (old enough) and `date_of_birth > born_after`
/// (young enough). An open end of the age range is an open end here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BirthWindow {
    /// Horses born at or before this instant are at least the minimum age.
    pub born_at_or_before: Option<DateTime<Utc>>,
    /// Horses born strictly after this instant are at most the maximum age.
    pub born_after: Option<DateTime<Utc>>,
}

impl BirthWindow {
    /// The window of the ages `min_age..=max_age` at `now` (either end may be open):
    /// age >= min <=> born at least `min` years ago; age <= max <=> born less than `max + 1`
    /// years ago.
    pub fn for_ages(min_age: Option<u32>, max_age: Option<u32>, now: DateTime<Utc>) -> Self {
        Self {
            born_at_or_before: min_age.map(|age| date_of_birth_for_age(age, now)),
            born_after: max_age.map(|age| date_of_birth_for_age(age.saturating_add(1), now)),
        }
    }

    /// Whether a horse born at `date_of_birth` is inside the window.
    pub fn contains(&self, date_of_birth: DateTime<Utc>) -> bool {
        self.born_at_or_before
            .is_none_or(|end| date_of_birth <= end)
            && self.born_after.is_none_or(|start| date_of_birth > start)
    }
}

/// The age a player picks when buying a horse. Invariant: `0..=20`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PurchaseAge(u8);

/// An age outside `0..=20` asked for when buying a horse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("purchase age {value} is out of range: expected a whole number of years from 0 to 20")]
pub struct PurchaseAgeError {
    /// The age that was given.
    pub value: i64,
}

impl PurchaseAge {
    /// Oldest age a horse can be bought at.
    pub const MAX: u8 = 20;
    /// The age used when the player does not choose one.
    pub const DEFAULT: PurchaseAge = PurchaseAge(3);

    /// Accepts `0..=20`.
    pub const fn new(years: u8) -> Result<PurchaseAge, PurchaseAgeError> {
        if years <= PurchaseAge::MAX {
            Ok(PurchaseAge(years))
        } else {
            Err(PurchaseAgeError {
                value: years as i64,
            })
        }
    }

    /// The age in game years.
    pub const fn years(self) -> u8 {
        self.0
    }

    /// The date of birth of a horse bought at this age at `now`.
    pub fn date_of_birth(self, now: DateTime<Utc>) -> DateTime<Utc> {
        date_of_birth_for_age(u32::from(self.0), now)
    }
}

impl Default for PurchaseAge {
    fn default() -> Self {
        PurchaseAge::DEFAULT
    }
}

impl TryFrom<i64> for PurchaseAge {
    type Error = PurchaseAgeError;

    fn try_from(value: i64) -> Result<Self, Self::Error> {
        u8::try_from(value)
            .ok()
            .and_then(|v| PurchaseAge::new(v).ok())
            .ok_or(PurchaseAgeError { value })
    }
}

impl TryFrom<i32> for PurchaseAge {
    type Error = PurchaseAgeError;

    fn try_from(value: i32) -> Result<Self, Self::Error> {
        PurchaseAge::try_from(i64::from(value))
    }
}

/// A horse's name.
///
/// Invariants: surrounding whitespace trimmed; 2 to 50 characters (Unicode scalar values, not
/// bytes); no control, invisible format or line-separator characters anywhere (tabs, newlines,
/// bidi overrides and zero-width characters included; see [`crate::text`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HorseName(String);

/// Why a horse name was refused. Each variant carries the name as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HorseNameError {
    #[error("horse name {name:?} is too short: expected 2 to 50 characters after trimming")]
    TooShort { name: String },
    #[error("horse name {name:?} is too long: expected 2 to 50 characters after trimming")]
    TooLong { name: String },
    #[error(
        "horse name {name:?} contains a control or invisible formatting character: expected visible characters only"
    )]
    ControlCharacter { name: String },
}

impl HorseName {
    /// Fewest characters a name may have.
    pub const MIN_CHARS: usize = 2;
    /// Most characters a name may have.
    pub const MAX_CHARS: usize = 50;

    /// Trims the input, then checks it. The character check comes first, so a name like
    /// `"a\u{0}"` is reported for its control character rather than its length.
    pub fn parse(input: &str) -> Result<HorseName, HorseNameError> {
        let trimmed = input.trim();
        if trimmed.chars().any(crate::text::is_forbidden_in_name) {
            return Err(HorseNameError::ControlCharacter {
                name: input.to_owned(),
            });
        }
        let length = trimmed.chars().count();
        if length < HorseName::MIN_CHARS {
            return Err(HorseNameError::TooShort {
                name: input.to_owned(),
            });
        }
        if length > HorseName::MAX_CHARS {
            return Err(HorseNameError::TooLong {
                name: input.to_owned(),
            });
        }
        Ok(HorseName(trimmed.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl AsRef<str> for HorseName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HorseName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A horse's sex.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    Stallion,
    Mare,
    Gelding,
    Colt,
    Filly,
}

impl Sex {
    /// All sexes, in the order the rules list them.
    pub const ALL: [Sex; 5] = [
        Sex::Stallion,
        Sex::Mare,
        Sex::Gelding,
        Sex::Colt,
        Sex::Filly,
    ];

    /// The name as the rules spell it (`"Stallion"`), the canonical stored and sent form.
    pub const fn as_str(self) -> &'static str {
        match self {
            Sex::Stallion => "Stallion",
            Sex::Mare => "Mare",
            Sex::Gelding => "Gelding",
            Sex::Colt => "Colt",
            Sex::Filly => "Filly",
        }
    }

    /// Parses a sex name, ignoring ASCII case (`"mare"`, `"Mare"`, `"MARE"`).
    pub fn parse(name: &str) -> Result<Sex, UnknownSex> {
        Sex::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(name))
            .ok_or_else(|| UnknownSex {
                name: name.to_owned(),
            })
    }
}

impl fmt::Display for Sex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Sex {
    type Err = UnknownSex;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Sex::parse(s)
    }
}

/// A name that is not one of the five sexes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown sex {name:?}: expected one of Stallion, Mare, Gelding, Colt, Filly")]
pub struct UnknownSex {
    /// The name that was given.
    pub name: String,
}

/// A horse's health. Injured horses can neither train nor compete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Health {
    #[default]
    Healthy,
    Injured,
}

impl Health {
    /// Both states.
    pub const ALL: [Health; 2] = [Health::Healthy, Health::Injured];

    /// Lower-case name as the rules spell it: `"healthy"` or `"injured"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Health::Healthy => "healthy",
            Health::Injured => "injured",
        }
    }

    /// Parses `"healthy"` or `"injured"`, ignoring ASCII case.
    pub fn parse(name: &str) -> Result<Health, UnknownHealth> {
        Health::ALL
            .into_iter()
            .find(|h| h.as_str().eq_ignore_ascii_case(name))
            .ok_or_else(|| UnknownHealth {
                name: name.to_owned(),
            })
    }

    pub const fn is_healthy(self) -> bool {
        matches!(self, Health::Healthy)
    }
}

impl fmt::Display for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Health {
    type Err = UnknownHealth;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Health::parse(s)
    }
}

/// A name that is not a health state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown health {name:?}: expected healthy or injured")]
pub struct UnknownHealth {
    /// The name that was given.
    pub name: String,
}

impl ClientMessage for PurchaseAgeError {
    fn client_message(&self) -> String {
        format!(
            "must be a whole number of years from 0 to {}",
            PurchaseAge::MAX
        )
    }
}

impl ClientMessage for HorseNameError {
    fn client_message(&self) -> String {
        match self {
            HorseNameError::TooShort { .. } => format!(
                "must be at least {} characters after trimming",
                HorseName::MIN_CHARS
            ),
            HorseNameError::TooLong { .. } => {
                format!("must be at most {} characters", HorseName::MAX_CHARS)
            }
            HorseNameError::ControlCharacter { .. } => "must not contain control or invisible formatting characters (such as bidi overrides or zero-width characters)".to_owned(),
        }
    }
}

impl ClientMessage for UnknownSex {
    fn client_message(&self) -> String {
        format!("must be one of {}", joined(Sex::ALL.map(Sex::as_str)))
    }
}

impl ClientMessage for UnknownHealth {
    fn client_message(&self) -> String {
        format!("must be one of {}", joined(Health::ALL.map(Health::as_str)))
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]

    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).unwrap()
    }

    #[test]
    fn a_game_year_is_seven_days() {
        assert_eq!(GAME_YEAR, TimeDelta::days(7));
        assert_eq!(MAX_HORSES_PER_USER, 100);
    }

    #[test]
    fn age_counts_whole_seven_day_years() {
        let now = now();
        let cases = [
            (TimeDelta::zero(), 0),
            (TimeDelta::days(6) + TimeDelta::hours(23), 0),
            (TimeDelta::days(7), 1),
            (TimeDelta::days(20), 2),
            (TimeDelta::days(21) - TimeDelta::seconds(1), 2),
            (TimeDelta::days(21), 3),
            (TimeDelta::days(140), 20),
        ];
        for (lived, years) in cases {
            assert_eq!(age_in_years(now - lived, now), years, "{lived}");
        }
    }

    #[test]
    fn a_birth_date_in_the_future_counts_as_age_zero() {
        assert_eq!(age_in_years(now() + TimeDelta::days(30), now()), 0);
    }

    #[test]
    fn a_horse_bought_at_age_n_is_n_years_old_at_once_and_n_plus_1_a_week_later() {
        let now = now();
        let dob = PurchaseAge::new(5).unwrap().date_of_birth(now);
        assert_eq!(dob, now - TimeDelta::days(35));
        assert_eq!(age_in_years(dob, now), 5);
        assert_eq!(age_in_years(dob, now + GAME_YEAR), 6);
    }

    #[test]
    fn purchase_age_defaults_to_three_and_stops_at_twenty() {
        assert_eq!(PurchaseAge::default().years(), 3);
        assert_eq!(PurchaseAge::new(20).map(PurchaseAge::years), Ok(20));
        assert_eq!(PurchaseAge::new(21), Err(PurchaseAgeError { value: 21 }));
        assert_eq!(
            PurchaseAge::try_from(-1_i64),
            Err(PurchaseAgeError { value: -1 })
        );
    }

    #[test]
    fn horse_names_are_trimmed() {
        let name = HorseName::parse("  Silver Blaze ").unwrap();
        assert_eq!(name.as_str(), "Silver Blaze");
    }

    #[test]
    fn horse_name_length_counts_characters_not_bytes() {
        assert!(HorseName::parse(&"é".repeat(50)).is_ok());
        assert!(HorseName::parse("Éo").is_ok());
        assert_eq!(
            HorseName::parse(&"é".repeat(51)),
            Err(HorseNameError::TooLong {
                name: "é".repeat(51)
            })
        );
    }

    #[test]
    fn too_short_names_are_refused_after_trimming() {
        assert_eq!(
            HorseName::parse(" a "),
            Err(HorseNameError::TooShort {
                name: " a ".to_owned()
            })
        );
        assert!(matches!(
            HorseName::parse("   "),
            Err(HorseNameError::TooShort { .. })
        ));
    }

    #[test]
    fn names_with_control_characters_are_refused() {
        for bad in ["Silver\nBlaze", "Silver\tBlaze", "Bell\u{7}"] {
            assert_eq!(
                HorseName::parse(bad),
                Err(HorseNameError::ControlCharacter {
                    name: bad.to_owned()
                })
            );
        }
    }

    #[test]
    fn sex_and_health_parse_their_names_in_any_case() {
        for sex in Sex::ALL {
            assert_eq!(Sex::parse(sex.as_str()), Ok(sex));
            assert_eq!(sex.as_str().to_lowercase().parse::<Sex>(), Ok(sex));
        }
        assert_eq!(Health::parse("Injured"), Ok(Health::Injured));
        assert_eq!(
            Sex::parse("unicorn"),
            Err(UnknownSex {
                name: "unicorn".to_owned()
            })
        );
        assert!(Health::parse("sick").is_err());
    }

    #[test]
    fn client_messages_state_the_rule_without_the_value() {
        let long = "x".repeat(51);
        let message = HorseName::parse(&long).unwrap_err().client_message();
        assert_eq!(message, "must be at most 50 characters");
        assert!(
            !HorseName::parse("q")
                .unwrap_err()
                .client_message()
                .contains('q')
        );
        assert_eq!(
            Sex::parse("unicorn").unwrap_err().client_message(),
            "must be one of Stallion, Mare, Gelding, Colt, Filly"
        );
        assert_eq!(
            PurchaseAge::try_from(77_i64).unwrap_err().client_message(),
            "must be a whole number of years from 0 to 20"
        );
    }

    proptest! {
        #[test]
        fn date_of_birth_for_age_gives_that_age_back(
            age in 0u32..10_000,
            offset_s in 0i64..604_800,
        ) {
            let now = now();
            let dob = date_of_birth_for_age(age, now);
            prop_assert_eq!(age_in_years(dob, now), age);
            // Until a full game year has passed the age does not change.
            prop_assert_eq!(age_in_years(dob, now + TimeDelta::seconds(offset_s)), age);
        }

        #[test]
        fn a_birth_window_holds_exactly_the_horses_of_its_ages(
            min in 0u32..30,
            span in 0u32..30,
            lived_s in 0i64..40 * 604_800,
        ) {
            let now = now();
            let dob = now - TimeDelta::seconds(lived_s);
            let age = age_in_years(dob, now);
            let window = BirthWindow::for_ages(Some(min), Some(min + span), now);
            prop_assert_eq!(window.contains(dob), (min..=min + span).contains(&age));
            prop_assert!(BirthWindow::for_ages(None, None, now).contains(dob));
        }

        #[test]
        fn a_horse_is_n_years_old_from_its_nth_birthday_on(age in 0u32..1_000, offset_s in 0i64..604_800) {
            let dob = now();
            let day = birthday(dob, age);
            prop_assert_eq!(age_in_years(dob, day), age);
            prop_assert_eq!(age_in_years(dob, day + TimeDelta::seconds(offset_s)), age);
            if age > 0 {
                prop_assert_eq!(age_in_years(dob, day - TimeDelta::seconds(1)), age - 1);
            }
        }

        #[test]
        fn age_is_floor_of_days_over_seven(seconds in -10_000_000i64..1_000_000_000) {
            let now = now();
            let age = age_in_years(now - TimeDelta::seconds(seconds), now);
            let expected = if seconds <= 0 { 0 } else { seconds / 604_800 };
            prop_assert_eq!(i64::from(age), expected);
        }

        #[test]
        fn parsed_names_always_satisfy_the_invariants(input in "\\PC{0,60}|.*") {
            if let Ok(name) = HorseName::parse(&input) {
                let s = name.as_str();
                prop_assert_eq!(s, s.trim());
                prop_assert!((2..=50).contains(&s.chars().count()));
                prop_assert!(!s.chars().any(char::is_control));
            }
        }
    }
}
