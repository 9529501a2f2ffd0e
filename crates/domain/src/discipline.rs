//! The 23 disciplines and their primary stats.
//!
//! One map serves training and competition alike: [`Discipline::primary_stats`] gives the three
//! stats in the order the rules list them, which is also the order of the score weights
//! (0.5 / 0.3 / 0.2).

use std::fmt;
use std::str::FromStr;

use crate::client::ClientMessage;
use crate::stats::Stat;

/// A discipline a horse can train in and a show can be held in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Discipline {
    WesternPleasure,
    Reining,
    Cutting,
    BarrelRacing,
    Roping,
    TeamPenning,
    Rodeo,
    Hunter,
    Saddleseat,
    Endurance,
    Eventing,
    Dressage,
    ShowJumping,
    Vaulting,
    Polo,
    CrossCountry,
    CombinedDriving,
    FineHarness,
    Gaited,
    Gymkhana,
    Steeplechase,
    Racing,
    HarnessRacing,
}

/// Number of disciplines.
pub const DISCIPLINE_COUNT: usize = 23;

struct Entry {
    name: &'static str,
    slug: &'static str,
    primary: [Stat; 3],
}

const fn entry(name: &'static str, slug: &'static str, primary: [Stat; 3]) -> Entry {
    Entry {
        name,
        slug,
        primary,
    }
}

use Stat::{
    Agility, Endurance, Flexibility, Focus, Intelligence, Obedience, Precision, Speed, Stamina,
    Strength,
};

/// Indexed by `Discipline as usize`; the order matches the enum declaration.
const TABLE: [Entry; DISCIPLINE_COUNT] = [
    entry(
        "Western Pleasure",
        "western-pleasure",
        [Obedience, Focus, Precision],
    ),
    entry("Reining", "reining", [Precision, Agility, Focus]),
    entry("Cutting", "cutting", [Agility, Strength, Intelligence]),
    entry("Barrel Racing", "barrel-racing", [Speed, Agility, Stamina]),
    entry("Roping", "roping", [Strength, Precision, Focus]),
    entry(
        "Team Penning",
        "team-penning",
        [Intelligence, Agility, Obedience],
    ),
    entry("Rodeo", "rodeo", [Strength, Agility, Endurance]),
    entry("Hunter", "hunter", [Precision, Endurance, Agility]),
    entry(
        "Saddleseat",
        "saddleseat",
        [Flexibility, Obedience, Precision],
    ),
    entry("Endurance", "endurance", [Endurance, Stamina, Speed]),
    entry("Eventing", "eventing", [Endurance, Precision, Agility]),
    entry("Dressage", "dressage", [Precision, Focus, Obedience]),
    entry(
        "Show Jumping",
        "show-jumping",
        [Agility, Precision, Intelligence],
    ),
    entry("Vaulting", "vaulting", [Strength, Flexibility, Endurance]),
    entry("Polo", "polo", [Speed, Agility, Intelligence]),
    entry(
        "Cross Country",
        "cross-country",
        [Endurance, Intelligence, Agility],
    ),
    entry(
        "Combined Driving",
        "combined-driving",
        [Obedience, Strength, Focus],
    ),
    entry(
        "Fine Harness",
        "fine-harness",
        [Precision, Flexibility, Obedience],
    ),
    entry("Gaited", "gaited", [Flexibility, Obedience, Focus]),
    entry("Gymkhana", "gymkhana", [Speed, Flexibility, Stamina]),
    entry("Steeplechase", "steeplechase", [Speed, Endurance, Stamina]),
    entry("Racing", "racing", [Speed, Stamina, Intelligence]),
    entry(
        "Harness Racing",
        "harness-racing",
        [Speed, Precision, Stamina],
    ),
];

impl Discipline {
    /// All disciplines, in the order the rules list them.
    pub const ALL: [Discipline; DISCIPLINE_COUNT] = [
        Discipline::WesternPleasure,
        Discipline::Reining,
        Discipline::Cutting,
        Discipline::BarrelRacing,
        Discipline::Roping,
        Discipline::TeamPenning,
        Discipline::Rodeo,
        Discipline::Hunter,
        Discipline::Saddleseat,
        Discipline::Endurance,
        Discipline::Eventing,
        Discipline::Dressage,
        Discipline::ShowJumping,
        Discipline::Vaulting,
        Discipline::Polo,
        Discipline::CrossCountry,
        Discipline::CombinedDriving,
        Discipline::FineHarness,
        Discipline::Gaited,
        Discipline::Gymkhana,
        Discipline::Steeplechase,
        Discipline::Racing,
        Discipline::HarnessRacing,
    ];

    const fn entry(self) -> &'static Entry {
        &TABLE[self as usize]
    }

    /// The display name exactly as the rules spell it (`"Western Pleasure"`). This is the
    /// canonical form: store it and send it.
    pub const fn name(self) -> &'static str {
        self.entry().name
    }

    /// Lower-case kebab form (`"western-pleasure"`), handy in URLs.
    pub const fn slug(self) -> &'static str {
        self.entry().slug
    }

    /// The three primary stats in rule order; the first carries weight 0.5, the second 0.3,
    /// the third 0.2 in competition scores.
    pub const fn primary_stats(self) -> [Stat; 3] {
        self.entry().primary
    }

    /// True for disciplines that only gaited breeds may train in or enter (just `Gaited`).
    pub const fn gaited_only(self) -> bool {
        matches!(self, Discipline::Gaited)
    }

    /// Whether a horse of a breed that is (or is not) gaited may train in or enter this
    /// discipline.
    pub const fn allows(self, breed_is_gaited: bool) -> bool {
        breed_is_gaited || !self.gaited_only()
    }

    /// Parses a discipline name.
    ///
    /// Accepted forms, all ignoring ASCII case: the name as the rules spell it
    /// (`"Western Pleasure"`), kebab case (`"western-pleasure"`) and snake case
    /// (`"western_pleasure"`). Separators must be single (one space, `-` or `_` between words)
    /// and no surrounding whitespace is trimmed; anything else is an [`UnknownDiscipline`],
    /// never a guess.
    pub fn parse(name: &str) -> Result<Discipline, UnknownDiscipline> {
        let normalised: String = name
            .chars()
            .map(|c| match c {
                '-' | '_' => ' ',
                other => other,
            })
            .collect();
        Discipline::ALL
            .into_iter()
            .find(|d| d.name().eq_ignore_ascii_case(&normalised))
            .ok_or_else(|| UnknownDiscipline {
                name: name.to_owned(),
            })
    }
}

impl fmt::Display for Discipline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Discipline {
    type Err = UnknownDiscipline;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Discipline::parse(s)
    }
}

/// A name that is not one of the 23 disciplines.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown discipline {name:?}: expected one of the 23 discipline names, such as \"Western Pleasure\" or \"western-pleasure\""
)]
pub struct UnknownDiscipline {
    /// The name that was given.
    pub name: String,
}

/// A horse's trained score in one discipline. Invariant: `0..=100`; a horse that never trained
/// in a discipline has [`DisciplineScore::ZERO`] there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct DisciplineScore(u8);

/// A number outside `0..=100` offered as a discipline score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("discipline score {value} is out of range: expected an integer from 0 to 100")]
pub struct DisciplineScoreError {
    /// The value that was given.
    pub value: i64,
}

impl DisciplineScore {
    /// The score of an untrained discipline.
    pub const ZERO: DisciplineScore = DisciplineScore(0);
    /// The highest score; training never goes past it.
    pub const MAX: DisciplineScore = DisciplineScore(100);

    /// Accepts `0..=100`.
    pub const fn new(value: u8) -> Result<DisciplineScore, DisciplineScoreError> {
        if value <= DisciplineScore::MAX.0 {
            Ok(DisciplineScore(value))
        } else {
            Err(DisciplineScoreError {
                value: value as i64,
            })
        }
    }

    /// The score as a number (`0..=100`).
    pub const fn get(self) -> u8 {
        self.0
    }

    /// Adds `amount`, stopping at 100.
    #[must_use]
    pub const fn saturating_add(self, amount: u8) -> DisciplineScore {
        let sum = self.0.saturating_add(amount);
        if sum > DisciplineScore::MAX.0 {
            DisciplineScore::MAX
        } else {
            DisciplineScore(sum)
        }
    }
}

impl TryFrom<i64> for DisciplineScore {
    type Error = DisciplineScoreError;

    fn try_from(value: i64) -> Result<Self, Self::Error> {
        u8::try_from(value)
            .ok()
            .and_then(|v| DisciplineScore::new(v).ok())
            .ok_or(DisciplineScoreError { value })
    }
}

impl TryFrom<i32> for DisciplineScore {
    type Error = DisciplineScoreError;

    fn try_from(value: i32) -> Result<Self, Self::Error> {
        DisciplineScore::try_from(i64::from(value))
    }
}

impl TryFrom<i16> for DisciplineScore {
    type Error = DisciplineScoreError;

    fn try_from(value: i16) -> Result<Self, Self::Error> {
        DisciplineScore::try_from(i64::from(value))
    }
}

impl fmt::Display for DisciplineScore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl ClientMessage for UnknownDiscipline {
    fn client_message(&self) -> String {
        format!(
            "must be one of the {DISCIPLINE_COUNT} disciplines, spelled as listed (\"{}\") or as a slug (\"{}\")",
            Discipline::WesternPleasure.name(),
            Discipline::WesternPleasure.slug()
        )
    }
}

impl ClientMessage for DisciplineScoreError {
    fn client_message(&self) -> String {
        format!(
            "must be a whole number from {} to {}",
            DisciplineScore::ZERO.get(),
            DisciplineScore::MAX.get()
        )
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]

    use super::*;
    use std::collections::HashSet;

    #[test]
    fn there_are_23_distinct_disciplines() {
        let names: HashSet<&str> = Discipline::ALL.iter().map(|d| d.name()).collect();
        assert_eq!(Discipline::ALL.len(), 23);
        assert_eq!(names.len(), 23);
        for (i, d) in Discipline::ALL.iter().enumerate() {
            assert_eq!(*d as usize, i, "ALL must follow declaration order");
        }
    }

    #[test]
    fn primary_stats_match_the_rules() {
        use Stat::*;
        let expected = [
            ("Western Pleasure", [Obedience, Focus, Precision]),
            ("Reining", [Precision, Agility, Focus]),
            ("Cutting", [Agility, Strength, Intelligence]),
            ("Barrel Racing", [Speed, Agility, Stamina]),
            ("Roping", [Strength, Precision, Focus]),
            ("Team Penning", [Intelligence, Agility, Obedience]),
            ("Rodeo", [Strength, Agility, Endurance]),
            ("Hunter", [Precision, Endurance, Agility]),
            ("Saddleseat", [Flexibility, Obedience, Precision]),
            ("Endurance", [Endurance, Stamina, Speed]),
            ("Eventing", [Endurance, Precision, Agility]),
            ("Dressage", [Precision, Focus, Obedience]),
            ("Show Jumping", [Agility, Precision, Intelligence]),
            ("Vaulting", [Strength, Flexibility, Endurance]),
            ("Polo", [Speed, Agility, Intelligence]),
            ("Cross Country", [Endurance, Intelligence, Agility]),
            ("Combined Driving", [Obedience, Strength, Focus]),
            ("Fine Harness", [Precision, Flexibility, Obedience]),
            ("Gaited", [Flexibility, Obedience, Focus]),
            ("Gymkhana", [Speed, Flexibility, Stamina]),
            ("Steeplechase", [Speed, Endurance, Stamina]),
            ("Racing", [Speed, Stamina, Intelligence]),
            ("Harness Racing", [Speed, Precision, Stamina]),
        ];
        assert_eq!(expected.len(), 23);
        for (d, (name, primary)) in Discipline::ALL.iter().zip(expected) {
            assert_eq!(d.name(), name);
            assert_eq!(d.primary_stats(), primary, "{name}");
        }
    }

    #[test]
    fn a_few_primary_stats_read_as_in_the_rules() {
        assert_eq!(
            Discipline::BarrelRacing.primary_stats(),
            [Stat::Speed, Stat::Agility, Stat::Stamina]
        );
        assert_eq!(
            Discipline::Dressage.primary_stats(),
            [Stat::Precision, Stat::Focus, Stat::Obedience]
        );
        assert_eq!(
            Discipline::Gaited.primary_stats(),
            [Stat::Flexibility, Stat::Obedience, Stat::Focus]
        );
    }

    #[test]
    fn names_slugs_and_snake_case_all_parse() {
        for d in Discipline::ALL {
            assert_eq!(Discipline::parse(d.name()), Ok(d));
            assert_eq!(Discipline::parse(&d.name().to_uppercase()), Ok(d));
            assert_eq!(Discipline::parse(d.slug()), Ok(d));
            assert_eq!(Discipline::parse(&d.slug().replace('-', "_")), Ok(d));
        }
        assert_eq!(
            "western_pleasure".parse::<Discipline>(),
            Ok(Discipline::WesternPleasure)
        );
    }

    #[test]
    fn unknown_or_sloppy_discipline_names_are_refused() {
        for bad in [
            "",
            "Jumping",
            " Racing",
            "Barrel  Racing",
            "barrelracing",
            "Dressage!",
        ] {
            let err = Discipline::parse(bad).unwrap_err();
            assert_eq!(err.name, bad);
        }
    }

    #[test]
    fn discipline_scores_stay_within_0_to_100() {
        assert_eq!(
            DisciplineScore::new(101),
            Err(DisciplineScoreError { value: 101 })
        );
        assert_eq!(
            DisciplineScore::try_from(-5_i32),
            Err(DisciplineScoreError { value: -5 })
        );
        assert_eq!(
            DisciplineScore::new(98).unwrap().saturating_add(5),
            DisciplineScore::MAX
        );
        assert_eq!(DisciplineScore::ZERO.saturating_add(5).get(), 5);
    }

    #[test]
    fn only_gaited_is_restricted_to_gaited_breeds() {
        let restricted: Vec<Discipline> = Discipline::ALL
            .into_iter()
            .filter(|d| d.gaited_only())
            .collect();
        assert_eq!(restricted, [Discipline::Gaited]);
        assert!(!Discipline::Gaited.allows(false));
        assert!(Discipline::Gaited.allows(true));
        assert!(Discipline::Racing.allows(false));
    }
}
