#![expect(clippy::unwrap_used)]

use super::*;
use chrono::{TimeDelta, TimeZone};

fn draft() -> ShowDraft {
    let closes_at = Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).unwrap();
    ShowDraft {
        name: "  Spring Classic ".to_owned(),
        discipline: "Show Jumping".to_owned(),
        entry_fee: 100,
        prize_pool: 5_000,
        min_level: 1,
        max_level: 5,
        max_entries: 20,
        closes_at,
        runs_at: closes_at + TimeDelta::hours(1),
    }
}

#[test]
fn a_well_formed_draft_becomes_a_new_show() {
    let show = NewShow::parse(&draft()).unwrap();
    assert_eq!(show.name.as_str(), "Spring Classic");
    assert_eq!(show.discipline, Discipline::ShowJumping);
    assert_eq!(show.entry_fee.money().coins(), 100);
    assert_eq!(show.prize_pool.coins(), 5_000);
    assert_eq!(show.level_range.min().get(), 1);
    assert_eq!(show.level_range.max().get(), 5);
    assert_eq!(show.max_entries.get(), 20);
}

#[test]
fn every_invalid_field_is_reported_at_once() {
    let mut bad = draft();
    bad.name = "   ".to_owned();
    bad.discipline = "Jousting".to_owned();
    bad.entry_fee = 100_001;
    bad.prize_pool = -1;
    bad.min_level = 0;
    bad.max_level = 0;
    bad.max_entries = 1;
    bad.closes_at = bad.runs_at + TimeDelta::seconds(1);
    let errors = NewShow::parse(&bad).unwrap_err().errors;
    let fields: Vec<&str> = errors.iter().map(|e| e.field().as_str()).collect();
    assert_eq!(
        fields,
        [
            "name",
            "discipline",
            "entry_fee",
            "prize_pool",
            "min_level",
            "max_level",
            "max_entries",
            "closes_at"
        ]
    );
}

#[test]
fn the_prize_pool_is_bounded_so_no_payout_can_overflow_a_balance() {
    let mut edge = draft();
    edge.prize_pool = MAX_PRIZE_POOL_COINS;
    assert_eq!(
        NewShow::parse(&edge).unwrap().prize_pool.coins(),
        MAX_PRIZE_POOL_COINS
    );
    for coins in [MAX_PRIZE_POOL_COINS + 1, i64::MAX, -1] {
        let mut bad = draft();
        bad.prize_pool = coins;
        let errors = NewShow::parse(&bad).unwrap_err().errors;
        assert_eq!(
            errors,
            [ShowDraftError::PrizePool(PrizePoolError { coins })],
            "{coins}"
        );
        assert_eq!(errors[0].field(), ShowField::PrizePool);
    }
    // The whole pool of the largest field, paid to one balance already near the top of
    // what any player could hold, still fits.
    let pool = MAX_PRIZE_POOL_COINS.checked_mul(200).unwrap();
    assert!(pool.checked_add(i64::MAX / 2).is_some());
}

#[test]
fn a_minimum_level_above_the_maximum_is_refused() {
    let mut bad = draft();
    bad.min_level = 6;
    bad.max_level = 5;
    let errors = NewShow::parse(&bad).unwrap_err().errors;
    assert!(matches!(
        errors.as_slice(),
        [ShowDraftError::LevelRange(LevelRangeError { .. })]
    ));
    assert_eq!(errors[0].field(), ShowField::MaxLevel);
}

#[test]
fn entry_fee_bounds_are_0_and_100_000() {
    assert!(EntryFee::new(0).is_ok());
    assert!(EntryFee::new(100_000).is_ok());
    assert_eq!(EntryFee::new(-1), Err(EntryFeeError { coins: -1 }));
    assert_eq!(
        EntryFee::new(100_001),
        Err(EntryFeeError { coins: 100_001 })
    );
}

#[test]
fn max_entries_bounds_are_2_and_200() {
    assert_eq!(MaxEntries::new(1), Err(MaxEntriesError { value: 1 }));
    assert!(MaxEntries::new(2).is_ok());
    assert!(MaxEntries::new(200).is_ok());
    assert_eq!(
        MaxEntries::try_from(201_i64),
        Err(MaxEntriesError { value: 201 })
    );
    let max = MaxEntries::new(2).unwrap();
    assert!(max.has_room_after(1));
    assert!(!max.has_room_after(2));
}

#[test]
fn a_show_may_close_and_run_at_the_same_instant() {
    let at = draft().closes_at;
    let schedule = ShowSchedule::new(at, at).unwrap();
    assert!(schedule.accepts_entries_at(at));
    assert!(!schedule.accepts_entries_at(at + TimeDelta::seconds(1)));
    assert!(schedule.is_due_at(at));
    assert!(!schedule.is_due_at(at - TimeDelta::seconds(1)));
}

#[test]
fn show_names_are_trimmed_and_limited_to_100_characters() {
    assert_eq!(ShowName::parse(" Derby ").unwrap().as_str(), "Derby");
    assert!(ShowName::parse(&"x".repeat(100)).is_ok());
    assert!(matches!(
        ShowName::parse(&"x".repeat(101)),
        Err(ShowNameError::TooLong { .. })
    ));
    assert!(matches!(
        ShowName::parse("Derby\n2025"),
        Err(ShowNameError::ControlCharacter { .. })
    ));
}
