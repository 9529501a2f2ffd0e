//! Stored show rows and their conversion to the application's views.
//!
//! A stored value that a domain type refuses is a broken invariant of the stored data
//! ([`corrupt`]): a bug, never the caller's fault.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Int2, Int8, Text, Timestamptz};
use equoria_application::StoreError;
use equoria_application::shows::{RunEntrant, ShowStatus, ShowView};
use equoria_domain::competition::{EntryFee, LevelRange, MaxEntries, ShowSchedule};
use equoria_domain::{
    Discipline, DisciplineScore, HorseId, Level, Money, ShowId, StatValue, Stats, UserId,
};

use crate::schema::shows;

/// A `shows` row, every column the views need.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = shows, check_for_backend(diesel::pg::Pg))]
pub(super) struct ShowRow {
    id: i64,
    name: String,
    discipline: String,
    entry_fee: i64,
    prize_pool: i64,
    min_level: i32,
    max_level: i32,
    max_entries: i32,
    entry_count: i32,
    closes_at: DateTime<Utc>,
    runs_at: DateTime<Utc>,
    status: String,
    completed_at: Option<DateTime<Utc>>,
    house_refund: Option<i64>,
    created_at: DateTime<Utc>,
}

impl ShowRow {
    pub(super) fn into_view(self) -> Result<ShowView, StoreError> {
        Ok(ShowView {
            id: ShowId::new(self.id),
            discipline: parse_discipline(&self.discipline)?,
            entry_fee: EntryFee::new(self.entry_fee).map_err(corrupt)?,
            prize_pool: money(self.prize_pool)?,
            level_range: LevelRange::new(level(self.min_level)?, level(self.max_level)?)
                .map_err(corrupt)?,
            max_entries: MaxEntries::try_from(self.max_entries).map_err(corrupt)?,
            entry_count: count_u32(i64::from(self.entry_count)),
            schedule: ShowSchedule::new(self.closes_at, self.runs_at).map_err(corrupt)?,
            status: ShowStatus::parse(&self.status)
                .ok_or_else(|| corrupt(format!("status `{}`", self.status)))?,
            completed_at: self.completed_at,
            house_refund: self.house_refund.map(money).transpose()?,
            created_at: self.created_at,
            name: self.name,
        })
    }
}

/// An entered horse, read for a run.
#[derive(Debug, QueryableByName)]
pub(super) struct EntrantRow {
    #[diesel(sql_type = Int8)]
    entry_id: i64,
    #[diesel(sql_type = Int8)]
    user_id: i64,
    #[diesel(sql_type = Int8)]
    horse_id: i64,
    #[diesel(sql_type = Text)]
    horse_name: String,
    #[diesel(sql_type = Timestamptz)]
    date_of_birth: DateTime<Utc>,
    #[diesel(sql_type = Int2)]
    discipline_score: i16,
    #[diesel(sql_type = Int2)]
    speed: i16,
    #[diesel(sql_type = Int2)]
    stamina: i16,
    #[diesel(sql_type = Int2)]
    agility: i16,
    #[diesel(sql_type = Int2)]
    balance: i16,
    #[diesel(sql_type = Int2)]
    precision: i16,
    #[diesel(sql_type = Int2)]
    intelligence: i16,
    #[diesel(sql_type = Int2)]
    boldness: i16,
    #[diesel(sql_type = Int2)]
    flexibility: i16,
    #[diesel(sql_type = Int2)]
    obedience: i16,
    #[diesel(sql_type = Int2)]
    focus: i16,
    #[diesel(sql_type = Int2)]
    strength: i16,
    #[diesel(sql_type = Int2)]
    endurance: i16,
}

impl EntrantRow {
    pub(super) fn into_entrant(self) -> Result<RunEntrant, StoreError> {
        let raw = [
            self.speed,
            self.stamina,
            self.agility,
            self.balance,
            self.precision,
            self.intelligence,
            self.boldness,
            self.flexibility,
            self.obedience,
            self.focus,
            self.strength,
            self.endurance,
        ];
        let mut values = [StatValue::MIN; 12];
        for (slot, v) in values.iter_mut().zip(raw) {
            *slot = StatValue::try_from(v).map_err(corrupt)?;
        }
        let discipline_score = u8::try_from(self.discipline_score)
            .ok()
            .and_then(|s| DisciplineScore::new(s).ok())
            .ok_or_else(|| corrupt(format!("discipline score {}", self.discipline_score)))?;
        Ok(RunEntrant {
            entry_id: self.entry_id,
            horse_id: HorseId::new(self.horse_id),
            horse_name: self.horse_name,
            user_id: UserId::new(self.user_id),
            stats: Stats::new(values),
            discipline_score,
            date_of_birth: self.date_of_birth,
        })
    }
}

/// Stored show data that breaks its invariants (a bug).
pub(super) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Other(format!("stored show data violates its invariants: {what}"))
}

pub(super) fn money(coins: i64) -> Result<Money, StoreError> {
    Money::new(coins).map_err(corrupt)
}

fn level(raw: i32) -> Result<Level, StoreError> {
    Level::try_from(i64::from(raw)).map_err(corrupt)
}

/// A count, 0 when negative, saturating at `u32::MAX`.
pub(super) fn count_u32(raw: i64) -> u32 {
    u32::try_from(raw.max(0)).unwrap_or(u32::MAX)
}

/// A stored whole number that is never negative, 0 when it is.
pub(super) fn non_negative(raw: i32) -> u32 {
    u32::try_from(raw).unwrap_or(0)
}

pub(super) fn parse_discipline(raw: &str) -> Result<Discipline, StoreError> {
    Discipline::parse(raw).map_err(corrupt)
}

pub(super) fn level_i32(level: Level) -> i32 {
    i32::try_from(level.get()).unwrap_or(i32::MAX)
}

pub(super) fn to_i32(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// The reference of a show's ledger and XP rows.
pub(super) fn show_reference(id: ShowId) -> String {
    format!("show:{id}")
}
