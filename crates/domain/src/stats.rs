//! The twelve horse stats and their values.
//!
//! Invariant: a [`StatValue`] is always within `0..=100`, so a [`Stats`] can never hold an
//! out-of-range stat, whatever arithmetic is applied to it through this API.

use crate::client::{ClientMessage, joined};
use std::fmt;
use std::str::FromStr;

/// One of the twelve stats every horse has.
///
/// The declaration order is the order used throughout the game rules (and by breed mean tables):
/// speed, stamina, agility, balance, precision, intelligence, boldness, flexibility, obedience,
/// focus, strength, endurance. [`Stat::index`] is the position in that order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stat {
    Speed,
    Stamina,
    Agility,
    Balance,
    Precision,
    Intelligence,
    Boldness,
    Flexibility,
    Obedience,
    Focus,
    Strength,
    Endurance,
}

/// Number of stats a horse has.
pub const STAT_COUNT: usize = 12;

impl Stat {
    /// All stats, in rule order.
    pub const ALL: [Stat; STAT_COUNT] = [
        Stat::Speed,
        Stat::Stamina,
        Stat::Agility,
        Stat::Balance,
        Stat::Precision,
        Stat::Intelligence,
        Stat::Boldness,
        Stat::Flexibility,
        Stat::Obedience,
        Stat::Focus,
        Stat::Strength,
        Stat::Endurance,
    ];

    /// Lower-case name, as used in storage and on the wire (`"speed"`, `"intelligence"`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            Stat::Speed => "speed",
            Stat::Stamina => "stamina",
            Stat::Agility => "agility",
            Stat::Balance => "balance",
            Stat::Precision => "precision",
            Stat::Intelligence => "intelligence",
            Stat::Boldness => "boldness",
            Stat::Flexibility => "flexibility",
            Stat::Obedience => "obedience",
            Stat::Focus => "focus",
            Stat::Strength => "strength",
            Stat::Endurance => "endurance",
        }
    }

    /// Position of the stat in rule order (`0..12`).
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Parses a stat name. Matching ignores ASCII case (`"Speed"` and `"speed"` both work);
    /// any other name is refused.
    pub fn parse(name: &str) -> Result<Stat, UnknownStat> {
        Stat::ALL
            .into_iter()
            .find(|stat| stat.as_str().eq_ignore_ascii_case(name))
            .ok_or_else(|| UnknownStat {
                name: name.to_owned(),
            })
    }
}

/// The twelve stat names in rule order, comma separated (`speed, stamina, ..., endurance`), for
/// messages that list the accepted names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatNames;

impl fmt::Display for StatNames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, stat) in Stat::ALL.into_iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(stat.as_str())?;
        }
        Ok(())
    }
}

impl fmt::Display for Stat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Stat {
    type Err = UnknownStat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Stat::parse(s)
    }
}

/// A stat name that is not one of the twelve stats.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown stat {name:?}: expected one of {expected}", expected = StatNames)]
pub struct UnknownStat {
    /// The name that was given.
    pub name: String,
}

/// The value of one stat. Invariant: `0..=100`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct StatValue(u8);

/// A number outside `0..=100` offered as a stat value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("stat value {value} is out of range: expected an integer from 0 to 100")]
pub struct StatValueError {
    /// The value that was given.
    pub value: i64,
}

impl StatValue {
    /// The lowest possible value.
    pub const MIN: StatValue = StatValue(0);
    /// The highest possible value; no gain ever takes a stat past it.
    pub const MAX: StatValue = StatValue(100);

    /// Accepts `0..=100`.
    pub const fn new(value: u8) -> Result<StatValue, StatValueError> {
        if value <= StatValue::MAX.0 {
            Ok(StatValue(value))
        } else {
            Err(StatValueError {
                value: value as i64,
            })
        }
    }

    /// The value as a plain number (`0..=100`).
    pub const fn get(self) -> u8 {
        self.0
    }

    /// Adds `amount`, stopping at 100.
    #[must_use]
    pub const fn saturating_add(self, amount: u8) -> StatValue {
        let sum = self.0.saturating_add(amount);
        if sum > StatValue::MAX.0 {
            StatValue::MAX
        } else {
            StatValue(sum)
        }
    }

    /// True when no gain can raise this value any further.
    pub const fn is_max(self) -> bool {
        self.0 == StatValue::MAX.0
    }
}

impl TryFrom<i64> for StatValue {
    type Error = StatValueError;

    fn try_from(value: i64) -> Result<Self, Self::Error> {
        u8::try_from(value)
            .ok()
            .and_then(|v| StatValue::new(v).ok())
            .ok_or(StatValueError { value })
    }
}

impl TryFrom<i32> for StatValue {
    type Error = StatValueError;

    fn try_from(value: i32) -> Result<Self, Self::Error> {
        StatValue::try_from(i64::from(value))
    }
}

impl TryFrom<i16> for StatValue {
    type Error = StatValueError;

    fn try_from(value: i16) -> Result<Self, Self::Error> {
        StatValue::try_from(i64::from(value))
    }
}

impl From<StatValue> for u8 {
    fn from(value: StatValue) -> u8 {
        value.0
    }
}

impl fmt::Display for StatValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A full set of the twelve stats. Every value is a [`StatValue`], so each is within `0..=100`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Stats {
    values: [StatValue; STAT_COUNT],
}

impl Stats {
    /// Builds stats from values in rule order (see [`Stat::ALL`]).
    pub const fn new(values: [StatValue; STAT_COUNT]) -> Stats {
        Stats { values }
    }

    /// Every stat set to `value`.
    pub const fn uniform(value: StatValue) -> Stats {
        Stats {
            values: [value; STAT_COUNT],
        }
    }

    /// Builds stats from raw numbers in rule order; the first out-of-range number is refused.
    pub fn from_array(values: [u8; STAT_COUNT]) -> Result<Stats, StatValueError> {
        let mut parsed = [StatValue::MIN; STAT_COUNT];
        for (slot, raw) in parsed.iter_mut().zip(values) {
            *slot = StatValue::new(raw)?;
        }
        Ok(Stats { values: parsed })
    }

    /// The value of one stat.
    pub const fn get(&self, stat: Stat) -> StatValue {
        self.values[stat.index()]
    }

    /// A copy with one stat replaced.
    #[must_use]
    pub const fn with(mut self, stat: Stat, value: StatValue) -> Stats {
        self.values[stat.index()] = value;
        self
    }

    /// The raw numbers in rule order.
    pub fn to_array(&self) -> [u8; STAT_COUNT] {
        self.values.map(StatValue::get)
    }

    /// Each stat with its value, in rule order.
    pub fn iter(&self) -> impl Iterator<Item = (Stat, StatValue)> + '_ {
        Stat::ALL.into_iter().zip(self.values)
    }
}

/// A stat increase won by training or competing.
///
/// Invariants: `amount >= 1` is the number of points actually added (the rolled amount cut down
/// so the stat stays within 100), and `new_value` is the stat's value after the gain. A roll on a
/// stat that is already 100 produces no `StatGain` at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatGain {
    pub stat: Stat,
    pub amount: u8,
    pub new_value: StatValue,
}

impl StatGain {
    /// Adds up to `amount` to `stat` in `stats`, capped at 100. `None` when nothing would change
    /// (the stat is already 100, or `amount` is 0).
    pub fn apply(stats: &Stats, stat: Stat, amount: u8) -> Option<StatGain> {
        let before = stats.get(stat);
        let after = before.saturating_add(amount);
        let added = after.get() - before.get();
        (added > 0).then_some(StatGain {
            stat,
            amount: added,
            new_value: after,
        })
    }

    /// `stats` with this gain applied (the stat set to `new_value`).
    #[must_use]
    pub const fn applied_to(&self, stats: Stats) -> Stats {
        stats.with(self.stat, self.new_value)
    }
}

impl ClientMessage for UnknownStat {
    fn client_message(&self) -> String {
        format!("must be one of {}", joined(Stat::ALL.map(Stat::as_str)))
    }
}

impl ClientMessage for StatValueError {
    fn client_message(&self) -> String {
        format!(
            "must be a whole number from {} to {}",
            StatValue::MIN.get(),
            StatValue::MAX.get()
        )
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn stats_are_listed_in_rule_order() {
        let names: Vec<&str> = Stat::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            names,
            [
                "speed",
                "stamina",
                "agility",
                "balance",
                "precision",
                "intelligence",
                "boldness",
                "flexibility",
                "obedience",
                "focus",
                "strength",
                "endurance"
            ]
        );
        for (i, stat) in Stat::ALL.iter().enumerate() {
            assert_eq!(stat.index(), i);
        }
    }

    #[test]
    fn every_stat_name_parses_back_to_its_stat() {
        for stat in Stat::ALL {
            assert_eq!(stat.as_str().parse::<Stat>(), Ok(stat));
            assert_eq!(Stat::parse(&stat.as_str().to_uppercase()), Ok(stat));
        }
    }

    #[test]
    fn an_unknown_stat_name_is_refused_and_named_in_the_error() {
        let err = Stat::parse("charisma").unwrap_err();
        assert_eq!(err.name, "charisma");
        assert_eq!(
            err.to_string(),
            "unknown stat \"charisma\": expected one of speed, stamina, agility, balance, \
             precision, intelligence, boldness, flexibility, obedience, focus, strength, endurance"
        );
    }

    #[test]
    fn stat_values_above_100_are_refused() {
        assert_eq!(StatValue::new(100).map(StatValue::get), Ok(100));
        assert_eq!(StatValue::new(0).map(StatValue::get), Ok(0));
        assert_eq!(StatValue::new(101), Err(StatValueError { value: 101 }));
        assert_eq!(
            StatValue::try_from(-1_i32),
            Err(StatValueError { value: -1 })
        );
        assert_eq!(
            StatValue::try_from(300_i64),
            Err(StatValueError { value: 300 })
        );
    }

    #[test]
    fn replacing_one_stat_leaves_the_others_alone() {
        let stats = Stats::uniform(StatValue::new(10).unwrap());
        let changed = stats.with(Stat::Focus, StatValue::new(42).unwrap());
        for (stat, value) in changed.iter() {
            let expected = if stat == Stat::Focus { 42 } else { 10 };
            assert_eq!(value.get(), expected, "{stat}");
        }
    }

    #[test]
    fn a_gain_is_cut_down_so_the_stat_stops_at_100() {
        let stats = Stats::uniform(StatValue::new(99).unwrap());
        let gain = StatGain::apply(&stats, Stat::Speed, 3).unwrap();
        assert_eq!(gain.amount, 1);
        assert_eq!(gain.new_value, StatValue::MAX);
        assert_eq!(gain.applied_to(stats).get(Stat::Speed), StatValue::MAX);
        assert_eq!(
            StatGain::apply(&Stats::uniform(StatValue::MAX), Stat::Speed, 3),
            None
        );
    }

    proptest! {
        #[test]
        fn saturating_add_never_leaves_0_to_100(start in 0u8..=100, amount in any::<u8>()) {
            let value = StatValue::new(start).unwrap().saturating_add(amount);
            prop_assert!(value.get() <= 100);
            let expected = (u32::from(start) + u32::from(amount)).min(100);
            prop_assert_eq!(u32::from(value.get()), expected);
        }

        #[test]
        fn any_number_in_range_round_trips_and_any_other_is_refused(raw in any::<i64>()) {
            let parsed = StatValue::try_from(raw);
            if (0..=100).contains(&raw) {
                prop_assert_eq!(parsed.map(|v| i64::from(v.get())), Ok(raw));
            } else {
                prop_assert_eq!(parsed, Err(StatValueError { value: raw }));
            }
        }

        #[test]
        fn stats_from_an_array_round_trip(values in proptest::array::uniform12(0u8..=100)) {
            prop_assert_eq!(Stats::from_array(values).unwrap().to_array(), values);
        }
    }
}
