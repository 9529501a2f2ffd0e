//! The terms of a show, parsed once when an admin creates it.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::client::ClientMessage;
use crate::discipline::{Discipline, UnknownDiscipline};
use crate::money::Money;
use crate::progression::{Level, LevelError};

/// A show's name.
///
/// Invariants: surrounding whitespace trimmed; 1 to 100 characters (Unicode scalar values); no
/// control, invisible format or line-separator characters (see [`crate::text`]). (The rules only say "unique"; 100 characters is this crate's choice,
/// uniqueness is checked by storage.)
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShowName(String);

/// Why a show name was refused. Each variant carries the name as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShowNameError {
    #[error("show name {name:?} is empty: expected 1 to 100 characters after trimming")]
    Empty { name: String },
    #[error("show name {name:?} is too long: expected 1 to 100 characters after trimming")]
    TooLong { name: String },
    #[error(
        "show name {name:?} contains a control or invisible formatting character: expected visible characters only"
    )]
    ControlCharacter { name: String },
}

impl ShowName {
    /// Most characters a show name may have.
    pub const MAX_CHARS: usize = 100;

    /// Trims the input, then checks it (control characters first, then length).
    pub fn parse(input: &str) -> Result<ShowName, ShowNameError> {
        let trimmed = input.trim();
        if trimmed.chars().any(crate::text::is_forbidden_in_name) {
            return Err(ShowNameError::ControlCharacter {
                name: input.to_owned(),
            });
        }
        if trimmed.is_empty() {
            return Err(ShowNameError::Empty {
                name: input.to_owned(),
            });
        }
        if trimmed.chars().count() > ShowName::MAX_CHARS {
            return Err(ShowNameError::TooLong {
                name: input.to_owned(),
            });
        }
        Ok(ShowName(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl AsRef<str> for ShowName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ShowName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A show's entry fee. Invariant: `0..=100_000` coins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntryFee(Money);

/// An entry fee outside `0..=100_000`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("entry fee {coins} is out of range: expected a whole number of coins from 0 to 100000")]
pub struct EntryFeeError {
    /// The fee that was given.
    pub coins: i64,
}

impl EntryFee {
    /// Highest fee a show may charge.
    pub const MAX_COINS: i64 = 100_000;

    /// Accepts `0..=100_000` coins.
    pub const fn new(coins: i64) -> Result<EntryFee, EntryFeeError> {
        if coins > EntryFee::MAX_COINS {
            return Err(EntryFeeError { coins });
        }
        match Money::new(coins) {
            Ok(money) => Ok(EntryFee(money)),
            Err(_) => Err(EntryFeeError { coins }),
        }
    }

    /// The fee as money.
    pub const fn money(self) -> Money {
        self.0
    }
}

/// Largest prize pool a show may offer, in whole coins.
///
/// Balances and horse earnings are `bigint` (`i64`): a run pays at most its
/// pool in total, whatever the number of entries (the podium shares are
/// percentages of the pool), so with this bound a balance could only
/// overflow after some 900 billion full payouts, and the pool times the
/// largest field (200 entries) is still far inside `i64`.
pub const MAX_PRIZE_POOL_COINS: i64 = 10_000_000;

/// A prize pool outside `0..=MAX_PRIZE_POOL_COINS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "prize pool {coins} is out of range: expected a whole number of coins from 0 to {MAX_PRIZE_POOL_COINS}"
)]
pub struct PrizePoolError {
    /// The pool that was given.
    pub coins: i64,
}

/// Checks a prize pool against `0..=MAX_PRIZE_POOL_COINS`.
pub const fn prize_pool(coins: i64) -> Result<Money, PrizePoolError> {
    if coins > MAX_PRIZE_POOL_COINS {
        return Err(PrizePoolError { coins });
    }
    match Money::new(coins) {
        Ok(money) => Ok(money),
        Err(_) => Err(PrizePoolError { coins }),
    }
}

/// The horse levels a show admits. Invariant: `1 <= min <= max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LevelRange {
    min: Level,
    max: Level,
}

/// A level range whose minimum is above its maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("level range {min}-{max} is empty: expected the minimum level to be at most the maximum")]
pub struct LevelRangeError {
    pub min: Level,
    pub max: Level,
}

impl LevelRange {
    /// Accepts `min <= max` (both are already at least 1).
    pub const fn new(min: Level, max: Level) -> Result<LevelRange, LevelRangeError> {
        if min.get() <= max.get() {
            Ok(LevelRange { min, max })
        } else {
            Err(LevelRangeError { min, max })
        }
    }

    pub const fn min(self) -> Level {
        self.min
    }

    pub const fn max(self) -> Level {
        self.max
    }

    /// True when `min <= level <= max`.
    pub const fn contains(self, level: Level) -> bool {
        self.min.get() <= level.get() && level.get() <= self.max.get()
    }
}

/// The most entries a show accepts. Invariant: `2..=200`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MaxEntries(u32);

/// A maximum entry count outside `2..=200`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("max entries {value} is out of range: expected a whole number from 2 to 200")]
pub struct MaxEntriesError {
    /// The value that was given.
    pub value: i64,
}

impl MaxEntries {
    pub const MIN: u32 = 2;
    pub const MAX: u32 = 200;

    /// Accepts `2..=200`.
    pub const fn new(value: u32) -> Result<MaxEntries, MaxEntriesError> {
        if MaxEntries::MIN <= value && value <= MaxEntries::MAX {
            Ok(MaxEntries(value))
        } else {
            Err(MaxEntriesError {
                value: value as i64,
            })
        }
    }

    pub const fn get(self) -> u32 {
        self.0
    }

    /// True when a show that already has `current` entries can take one more.
    pub const fn has_room_after(self, current: u32) -> bool {
        current < self.0
    }
}

impl TryFrom<i64> for MaxEntries {
    type Error = MaxEntriesError;

    fn try_from(value: i64) -> Result<Self, Self::Error> {
        u32::try_from(value)
            .ok()
            .and_then(|v| MaxEntries::new(v).ok())
            .ok_or(MaxEntriesError { value })
    }
}

impl TryFrom<i32> for MaxEntries {
    type Error = MaxEntriesError;

    fn try_from(value: i32) -> Result<Self, Self::Error> {
        MaxEntries::try_from(i64::from(value))
    }
}

/// When entries close and when the show runs. Invariant: `closes_at <= runs_at`.
///
/// Neither instant has to be in the future when the show is created (an admin may set up a show
/// that runs at once); [`ShowSchedule::accepts_entries_at`] decides whether entries are open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ShowSchedule {
    closes_at: DateTime<Utc>,
    runs_at: DateTime<Utc>,
}

/// A schedule that closes entries after the show has run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "entries close at {closes_at}, after the show runs at {runs_at}: expected closes_at <= runs_at"
)]
pub struct ScheduleError {
    pub closes_at: DateTime<Utc>,
    pub runs_at: DateTime<Utc>,
}

impl ShowSchedule {
    /// Accepts `closes_at <= runs_at`.
    pub fn new(
        closes_at: DateTime<Utc>,
        runs_at: DateTime<Utc>,
    ) -> Result<ShowSchedule, ScheduleError> {
        if closes_at <= runs_at {
            Ok(ShowSchedule { closes_at, runs_at })
        } else {
            Err(ScheduleError { closes_at, runs_at })
        }
    }

    pub const fn closes_at(self) -> DateTime<Utc> {
        self.closes_at
    }

    pub const fn runs_at(self) -> DateTime<Utc> {
        self.runs_at
    }

    /// Entries are accepted up to and including `closes_at` ("not past closes_at").
    pub fn accepts_entries_at(self, now: DateTime<Utc>) -> bool {
        now <= self.closes_at
    }

    /// The show should run once `runs_at` has been reached.
    pub fn is_due_at(self, now: DateTime<Utc>) -> bool {
        now >= self.runs_at
    }
}

/// The fields of a show as an admin submitted them, not yet checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShowDraft {
    pub name: String,
    pub discipline: String,
    pub entry_fee: i64,
    pub prize_pool: i64,
    pub min_level: i64,
    pub max_level: i64,
    pub max_entries: i64,
    pub closes_at: DateTime<Utc>,
    pub runs_at: DateTime<Utc>,
}

/// A field of [`ShowDraft`], to tell the client which input was wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShowField {
    Name,
    Discipline,
    EntryFee,
    PrizePool,
    MinLevel,
    MaxLevel,
    MaxEntries,
    ClosesAt,
    RunsAt,
}

impl ShowField {
    /// Snake-case field name (`"entry_fee"`); the HTTP layer spells it as its wire format needs.
    pub const fn as_str(self) -> &'static str {
        match self {
            ShowField::Name => "name",
            ShowField::Discipline => "discipline",
            ShowField::EntryFee => "entry_fee",
            ShowField::PrizePool => "prize_pool",
            ShowField::MinLevel => "min_level",
            ShowField::MaxLevel => "max_level",
            ShowField::MaxEntries => "max_entries",
            ShowField::ClosesAt => "closes_at",
            ShowField::RunsAt => "runs_at",
        }
    }
}

/// One thing wrong with a [`ShowDraft`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShowDraftError {
    #[error(transparent)]
    Name(#[from] ShowNameError),
    #[error(transparent)]
    Discipline(#[from] UnknownDiscipline),
    #[error(transparent)]
    EntryFee(#[from] EntryFeeError),
    #[error(transparent)]
    PrizePool(#[from] PrizePoolError),
    #[error("minimum level: {0}")]
    MinLevel(LevelError),
    #[error("maximum level: {0}")]
    MaxLevel(LevelError),
    #[error(transparent)]
    LevelRange(#[from] LevelRangeError),
    #[error(transparent)]
    MaxEntries(#[from] MaxEntriesError),
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
}

impl ShowDraftError {
    /// The field the error is about. An empty level range is reported on `max_level`, a
    /// schedule that closes after it runs on `closes_at`.
    pub const fn field(&self) -> ShowField {
        match self {
            ShowDraftError::Name(_) => ShowField::Name,
            ShowDraftError::Discipline(_) => ShowField::Discipline,
            ShowDraftError::EntryFee(_) => ShowField::EntryFee,
            ShowDraftError::PrizePool(_) => ShowField::PrizePool,
            ShowDraftError::MinLevel(_) => ShowField::MinLevel,
            ShowDraftError::MaxLevel(_) | ShowDraftError::LevelRange(_) => ShowField::MaxLevel,
            ShowDraftError::MaxEntries(_) => ShowField::MaxEntries,
            ShowDraftError::Schedule(_) => ShowField::ClosesAt,
        }
    }
}

/// Every error found in a [`ShowDraft`] (never empty), in field order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the show has {} invalid field(s); first: {}", .errors.len(), first_message(.errors))]
pub struct ShowDraftErrors {
    pub errors: Vec<ShowDraftError>,
}

/// `Some(value)`, or `None` after recording the error.
fn keep<T>(errors: &mut Vec<ShowDraftError>, result: Result<T, ShowDraftError>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(error) => {
            errors.push(error);
            None
        }
    }
}

fn first_message(errors: &[ShowDraftError]) -> String {
    errors.first().map(ToString::to_string).unwrap_or_default()
}

/// The validated terms of a show an admin wants to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewShow {
    pub name: ShowName,
    pub discipline: Discipline,
    pub entry_fee: EntryFee,
    pub prize_pool: Money,
    pub level_range: LevelRange,
    pub max_entries: MaxEntries,
    pub schedule: ShowSchedule,
}

impl NewShow {
    /// Checks every field and reports all problems at once.
    ///
    /// Rules: name as [`ShowName`]; a known discipline ([`Discipline::parse`]); entry fee
    /// `0..=100_000`; prize pool `0..=`[`MAX_PRIZE_POOL_COINS`]; levels `>= 1` with `min <= max` (only compared when
    /// both levels are valid); max entries `2..=200`; `closes_at <= runs_at`.
    pub fn parse(draft: &ShowDraft) -> Result<NewShow, ShowDraftErrors> {
        let mut errors = Vec::new();
        let name = keep(
            &mut errors,
            ShowName::parse(&draft.name).map_err(Into::into),
        );
        let discipline = keep(
            &mut errors,
            Discipline::parse(&draft.discipline).map_err(Into::into),
        );
        let entry_fee = keep(
            &mut errors,
            EntryFee::new(draft.entry_fee).map_err(Into::into),
        );
        let prize_pool = keep(
            &mut errors,
            prize_pool(draft.prize_pool).map_err(Into::into),
        );
        let min_level = keep(
            &mut errors,
            Level::try_from(draft.min_level).map_err(ShowDraftError::MinLevel),
        );
        let max_level = keep(
            &mut errors,
            Level::try_from(draft.max_level).map_err(ShowDraftError::MaxLevel),
        );
        let level_range = match (min_level, max_level) {
            (Some(min), Some(max)) => {
                keep(&mut errors, LevelRange::new(min, max).map_err(Into::into))
            }
            _ => None,
        };
        let max_entries = keep(
            &mut errors,
            MaxEntries::try_from(draft.max_entries).map_err(Into::into),
        );
        let schedule = keep(
            &mut errors,
            ShowSchedule::new(draft.closes_at, draft.runs_at).map_err(Into::into),
        );

        match (
            name,
            discipline,
            entry_fee,
            prize_pool,
            level_range,
            max_entries,
            schedule,
        ) {
            (
                Some(name),
                Some(discipline),
                Some(entry_fee),
                Some(prize_pool),
                Some(level_range),
                Some(max_entries),
                Some(schedule),
            ) => Ok(NewShow {
                name,
                discipline,
                entry_fee,
                prize_pool,
                level_range,
                max_entries,
                schedule,
            }),
            _ => Err(ShowDraftErrors { errors }),
        }
    }
}

impl ClientMessage for ShowNameError {
    fn client_message(&self) -> String {
        match self {
            ShowNameError::Empty { .. } | ShowNameError::TooLong { .. } => format!(
                "must be 1 to {} characters after trimming",
                ShowName::MAX_CHARS
            ),
            ShowNameError::ControlCharacter { .. } => {
                "must not contain control or invisible formatting characters".to_owned()
            }
        }
    }
}

impl ClientMessage for EntryFeeError {
    fn client_message(&self) -> String {
        format!(
            "must be a whole number of coins from 0 to {}",
            EntryFee::MAX_COINS
        )
    }
}

impl ClientMessage for PrizePoolError {
    fn client_message(&self) -> String {
        format!("must be a whole number of coins from 0 to {MAX_PRIZE_POOL_COINS}")
    }
}

impl ClientMessage for LevelRangeError {
    fn client_message(&self) -> String {
        "must not be below the minimum level".to_owned()
    }
}

impl ClientMessage for MaxEntriesError {
    fn client_message(&self) -> String {
        format!(
            "must be a whole number from {} to {}",
            MaxEntries::MIN,
            MaxEntries::MAX
        )
    }
}

impl ClientMessage for ScheduleError {
    fn client_message(&self) -> String {
        "must be at or before the time the show runs".to_owned()
    }
}

impl ClientMessage for ShowDraftError {
    fn client_message(&self) -> String {
        match self {
            ShowDraftError::Name(e) => e.client_message(),
            ShowDraftError::Discipline(e) => e.client_message(),
            ShowDraftError::EntryFee(e) => e.client_message(),
            ShowDraftError::PrizePool(e) => e.client_message(),
            ShowDraftError::MinLevel(e) | ShowDraftError::MaxLevel(e) => e.client_message(),
            ShowDraftError::LevelRange(e) => e.client_message(),
            ShowDraftError::MaxEntries(e) => e.client_message(),
            ShowDraftError::Schedule(e) => e.client_message(),
        }
    }
}

#[cfg(test)]
mod tests;
