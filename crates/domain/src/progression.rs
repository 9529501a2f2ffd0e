//! Experience, levels and horse stat points.
//!
//! XP is a plain `u32` count that only ever grows. Users and horses share one level formula:
//! `level = floor(xp / 100) + 1`, so 0-99 XP is level 1, 100-199 level 2, and so on.

use std::fmt;

use crate::client::ClientMessage;
use crate::stats::{Stat, StatValue, Stats};

/// XP needed to go up one level (and, for horses, to earn one stat point).
pub const XP_PER_LEVEL: u32 = 100;

/// Owner XP for one training session.
pub const TRAINING_XP: u32 = 5;

/// Owner XP for 1st, 2nd and 3rd place in a show; other placements earn none.
pub const PLACEMENT_OWNER_XP: [u32; 3] = [20, 15, 10];

/// Owner XP for a show placement (1-based): 20 / 15 / 10 for 1st-3rd, 0 otherwise.
pub fn owner_xp_for_placement(placement: u32) -> u32 {
    placement_index(placement)
        .map(|i| PLACEMENT_OWNER_XP[i])
        .unwrap_or(0)
}

/// Index into a per-podium table for placements 1..=3.
pub(crate) fn placement_index(placement: u32) -> Option<usize> {
    match placement {
        1..=3 => usize::try_from(placement - 1).ok(),
        _ => None,
    }
}

/// A level. Invariant: at least 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Level(u32);

/// A number below 1 offered as a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("level {value} is out of range: expected a whole number of 1 or more")]
pub struct LevelError {
    /// The value that was given.
    pub value: i64,
}

impl Level {
    /// The level every user and horse starts at.
    pub const ONE: Level = Level(1);

    /// Accepts 1 or more.
    pub const fn new(value: u32) -> Result<Level, LevelError> {
        if value >= 1 {
            Ok(Level(value))
        } else {
            Err(LevelError {
                value: value as i64,
            })
        }
    }

    /// The level reached with `xp` experience: `floor(xp / 100) + 1`.
    pub const fn from_xp(xp: u32) -> Level {
        Level(xp / XP_PER_LEVEL + 1)
    }

    /// The level as a number (1 or more).
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<i64> for Level {
    type Error = LevelError;

    fn try_from(value: i64) -> Result<Self, Self::Error> {
        u32::try_from(value)
            .ok()
            .and_then(|v| Level::new(v).ok())
            .ok_or(LevelError { value })
    }
}

impl TryFrom<i32> for Level {
    type Error = LevelError;

    fn try_from(value: i32) -> Result<Self, Self::Error> {
        Level::try_from(i64::from(value))
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Where some XP total stands within its level.
///
/// Invariants: `level == Level::from_xp(xp)`, `xp_into_level + xp_to_next_level == 100`,
/// `progress_percent == xp_into_level` (a level is exactly 100 XP wide).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub xp: u32,
    pub level: Level,
    /// XP earned since the current level started: `xp % 100` (0..=99).
    pub xp_into_level: u32,
    /// XP still missing for the next level: `100 - xp % 100` (1..=100).
    pub xp_to_next_level: u32,
    /// Progress through the current level in percent (0..=99).
    pub progress_percent: u32,
}

impl Progress {
    /// Progress for an XP total.
    pub const fn from_xp(xp: u32) -> Progress {
        let into = xp % XP_PER_LEVEL;
        Progress {
            xp,
            level: Level::from_xp(xp),
            xp_into_level: into,
            xp_to_next_level: XP_PER_LEVEL - into,
            progress_percent: into,
        }
    }
}

/// Stat points a horse has earned in total: one per full 100 horse XP.
pub const fn stat_points_earned(horse_xp: u32) -> u32 {
    horse_xp / XP_PER_LEVEL
}

/// Stat points a horse can still spend: `floor(horse_xp / 100) - points_spent`, never negative
/// (if more were recorded as spent than earned, none are available).
pub const fn available_stat_points(horse_xp: u32, points_spent: u32) -> u32 {
    stat_points_earned(horse_xp).saturating_sub(points_spent)
}

/// Result of spending one stat point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatAllocation {
    /// The horse's stats after the point was added.
    pub stats: Stats,
    /// The stat that gained the point.
    pub stat: Stat,
    /// Its new value (one more than before).
    pub new_value: StatValue,
    /// The new total of points spent (one more than before).
    pub points_spent: u32,
}

/// Why a stat point could not be spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AllocationRefused {
    #[error("the horse has no stat points to spend (each 100 horse XP earns one)")]
    NoPointsAvailable,
    #[error("{stat} is already at the maximum of 100")]
    StatAtMaximum { stat: Stat },
}

impl AllocationRefused {
    /// Stable machine-readable code.
    pub const fn code(&self) -> &'static str {
        match self {
            AllocationRefused::NoPointsAvailable => "NO_STAT_POINTS",
            AllocationRefused::StatAtMaximum { .. } => "STAT_AT_MAXIMUM",
        }
    }
}

/// Spends one stat point: +1 to `stat`.
///
/// Refused when no point is available (checked first) or when the stat is already 100, in which
/// case the point stays unspent.
pub fn allocate_stat_point(
    stats: &Stats,
    stat: Stat,
    horse_xp: u32,
    points_spent: u32,
) -> Result<StatAllocation, AllocationRefused> {
    if available_stat_points(horse_xp, points_spent) == 0 {
        return Err(AllocationRefused::NoPointsAvailable);
    }
    let current = stats.get(stat);
    if current.is_max() {
        return Err(AllocationRefused::StatAtMaximum { stat });
    }
    let new_value = current.saturating_add(1);
    Ok(StatAllocation {
        stats: stats.with(stat, new_value),
        stat,
        new_value,
        points_spent: points_spent + 1,
    })
}

impl ClientMessage for LevelError {
    fn client_message(&self) -> String {
        format!("must be a whole number, at least {}", Level::ONE.get())
    }
}

impl ClientMessage for AllocationRefused {
    fn client_message(&self) -> String {
        match self {
            AllocationRefused::NoPointsAvailable => format!(
                "The horse has no stat points to spend: each {XP_PER_LEVEL} horse XP earns one."
            ),
            AllocationRefused::StatAtMaximum { .. } => format!(
                "That stat is already at the maximum of {}.",
                StatValue::MAX.get()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn levels_follow_the_hundred_xp_steps() {
        for (xp, level) in [(0, 1), (99, 1), (100, 2), (199, 2), (200, 3), (1_050, 11)] {
            assert_eq!(Level::from_xp(xp).get(), level, "xp {xp}");
        }
    }

    #[test]
    fn progress_reports_xp_into_and_to_the_next_level() {
        let p = Progress::from_xp(250);
        assert_eq!(p.level.get(), 3);
        assert_eq!(p.xp_into_level, 50);
        assert_eq!(p.xp_to_next_level, 50);
        assert_eq!(p.progress_percent, 50);

        let fresh = Progress::from_xp(0);
        assert_eq!((fresh.level.get(), fresh.xp_to_next_level), (1, 100));
    }

    #[test]
    fn level_zero_is_refused() {
        assert_eq!(Level::new(0), Err(LevelError { value: 0 }));
        assert_eq!(Level::try_from(-3_i64), Err(LevelError { value: -3 }));
        assert_eq!(Level::new(1), Ok(Level::ONE));
    }

    #[test]
    fn only_the_podium_earns_owner_xp() {
        let xp: Vec<u32> = (0..=5).map(owner_xp_for_placement).collect();
        assert_eq!(xp, [0, 20, 15, 10, 0, 0]);
        assert_eq!(TRAINING_XP, 5);
    }

    #[test]
    fn a_horse_earns_one_stat_point_per_hundred_xp() {
        assert_eq!(available_stat_points(99, 0), 0);
        assert_eq!(available_stat_points(100, 0), 1);
        assert_eq!(available_stat_points(350, 1), 2);
        assert_eq!(available_stat_points(350, 5), 0);
    }

    #[test]
    fn spending_a_point_adds_one_to_the_stat() {
        let stats = Stats::uniform(StatValue::new(40).unwrap());
        let done = allocate_stat_point(&stats, Stat::Speed, 200, 1).unwrap();
        assert_eq!(done.new_value.get(), 41);
        assert_eq!(done.stats.get(Stat::Speed).get(), 41);
        assert_eq!(done.stats.get(Stat::Stamina).get(), 40);
        assert_eq!(done.points_spent, 2);
    }

    #[test]
    fn spending_without_points_is_refused() {
        let stats = Stats::default();
        let err = allocate_stat_point(&stats, Stat::Speed, 199, 1).unwrap_err();
        assert_eq!(err, AllocationRefused::NoPointsAvailable);
        assert_eq!(err.code(), "NO_STAT_POINTS");
    }

    #[test]
    fn spending_on_a_stat_at_100_is_refused() {
        let stats = Stats::uniform(StatValue::MAX);
        let err = allocate_stat_point(&stats, Stat::Focus, 100, 0).unwrap_err();
        assert_eq!(err, AllocationRefused::StatAtMaximum { stat: Stat::Focus });
        assert_eq!(err.code(), "STAT_AT_MAXIMUM");
    }

    proptest! {
        #[test]
        fn progress_invariants_hold_for_any_xp(xp in any::<u32>()) {
            let p = Progress::from_xp(xp);
            prop_assert_eq!(p.level.get(), xp / 100 + 1);
            prop_assert_eq!(p.xp_into_level + p.xp_to_next_level, 100);
            prop_assert!(p.progress_percent < 100);
            prop_assert_eq!(
                u64::from(p.level.get() - 1) * 100 + u64::from(p.xp_into_level),
                u64::from(xp)
            );
        }

        #[test]
        fn stat_points_never_go_negative_and_spending_keeps_stats_in_range(
            xp in any::<u32>(),
            spent in any::<u32>(),
            start in 0u8..=100,
            stat_index in 0usize..12,
        ) {
            let stat = Stat::ALL[stat_index];
            let stats = Stats::uniform(StatValue::new(start).unwrap());
            prop_assert!(available_stat_points(xp, spent) <= xp / 100);
            match allocate_stat_point(&stats, stat, xp, spent) {
                Ok(done) => {
                    prop_assert_eq!(done.new_value.get(), start + 1);
                    prop_assert!(done.new_value.get() <= 100);
                    prop_assert_eq!(done.points_spent, spent + 1);
                    prop_assert!(done.points_spent <= xp / 100);
                }
                Err(AllocationRefused::NoPointsAvailable) => prop_assert!(spent >= xp / 100),
                Err(AllocationRefused::StatAtMaximum { .. }) => prop_assert_eq!(start, 100),
            }
        }
    }
}
