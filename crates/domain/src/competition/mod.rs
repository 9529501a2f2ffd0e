//! Shows (competitions): how they are set up, who may enter, and how a show is run.
//!
//! - [`show`]: the validated terms of a new show ([`NewShow::parse`] collects every field error).
//! - [`entry`]: the horse-side entry rules ([`check_entry_eligibility`]).
//! - [`scoring`]: scores, ranking and rewards ([`run_show`]).
//!
//! Everything here is pure; ownership, duplicate entries, the entry count and paying the fee are
//! the application's business because they need stored state.

pub mod entry;
pub mod scoring;
pub mod show;

pub use entry::{
    COMPETITION_MAX_AGE, COMPETITION_MIN_AGE, EntryIneligible, check_entry_eligibility,
};
pub use scoring::{
    BaseScore, Entrant, EntryResult, LUCK_MAX, LUCK_MIN, Luck, LuckError, OTHER_ENTRANT_HORSE_XP,
    PLACEMENT_HORSE_XP, PLACEMENT_STAT_GAIN_CHANCE, PRIZE_SHARE_PERCENT, RankKey, Score,
    ShowOutcome, age_factor_percent, base_score, horse_xp_for_placement, rank, run_show,
    score_entry,
};
pub use show::{
    EntryFee, EntryFeeError, LevelRange, LevelRangeError, MAX_PRIZE_POOL_COINS, MaxEntries,
    MaxEntriesError, NewShow, PrizePoolError, ScheduleError, ShowDraft, ShowDraftError,
    ShowDraftErrors, ShowField, ShowName, ShowNameError, ShowSchedule,
};
