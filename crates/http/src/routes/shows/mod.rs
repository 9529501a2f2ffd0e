//! `/api/shows`: creating (admin), listing, entering and running shows, their entries and
//! results; and the player's own results and dashboard under `/api/users/me`.
//!
//! The handlers are split by who calls them: `admin` (create and run a show), `entries`
//! (a player enters a horse) and `reads` (shows, entries, results, the player's own results and
//! dashboard); this module holds the wire shapes they share.

mod admin;
mod entries;
mod reads;

pub use admin::*;
pub use entries::*;
pub use reads::*;

use equoria_application::shows::{
    EntryView, ResultView, RunSummary, ShowStatus, ShowView, UpcomingEntry,
};
use equoria_domain::{HorseId, ShowId};
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::UserDto;
use crate::ApiError;

/// A show.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShowDto {
    pub id: i64,
    pub name: String,
    /// One of the 23 disciplines, spelled as the rules do (`Show Jumping`).
    pub discipline: &'static str,
    /// Whole coins, debited when entering.
    pub entry_fee: i64,
    /// Whole coins, paid out 50/30/20 % to the podium when the show runs.
    pub prize_pool: i64,
    /// Horse level range (level = horse XP / 100 + 1), inclusive.
    pub min_level: u32,
    pub max_level: u32,
    pub max_entries: u32,
    pub entry_count: u32,
    /// Entries are accepted up to and including this instant (RFC 3339).
    pub closes_at: String,
    /// The scheduler runs the show once this instant has passed (RFC 3339).
    pub runs_at: String,
    /// `open` or `completed`.
    pub status: &'static str,
    pub completed_at: Option<String>,
    /// Part of the pool not paid out (fewer than 3 entrants, rounding), returned to the house.
    pub house_refund: Option<i64>,
    pub created_at: String,
}

impl From<ShowView> for ShowDto {
    fn from(s: ShowView) -> Self {
        Self {
            id: s.id.get(),
            discipline: s.discipline.name(),
            entry_fee: s.entry_fee.money().coins(),
            prize_pool: s.prize_pool.coins(),
            min_level: s.level_range.min().get(),
            max_level: s.level_range.max().get(),
            max_entries: s.max_entries.get(),
            entry_count: s.entry_count,
            closes_at: s.schedule.closes_at().to_rfc3339(),
            runs_at: s.schedule.runs_at().to_rfc3339(),
            status: s.status.as_str(),
            completed_at: s.completed_at.map(|t| t.to_rfc3339()),
            house_refund: s.house_refund.map(|m| m.coins()),
            created_at: s.created_at.to_rfc3339(),
            name: s.name,
        }
    }
}

/// An entry of a show.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EntryDto {
    pub id: i64,
    pub show_id: i64,
    /// `null` once the horse was deleted (possible only after the show ran).
    pub horse_id: Option<i64>,
    pub horse_name: Option<String>,
    pub user_id: i64,
    pub username: String,
    pub fee_paid: i64,
    pub created_at: String,
}

impl From<EntryView> for EntryDto {
    fn from(e: EntryView) -> Self {
        Self {
            id: e.id,
            show_id: e.show_id.get(),
            horse_id: e.horse_id.map(HorseId::get),
            horse_name: e.horse_name,
            user_id: e.user_id.get(),
            username: e.username,
            fee_paid: e.fee_paid.coins(),
            created_at: e.created_at.to_rfc3339(),
        }
    }
}

/// One result of a show.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResultDto {
    pub id: i64,
    pub show_id: i64,
    pub show_name: String,
    pub discipline: &'static str,
    /// `null` once the horse was deleted; `horseName` keeps the name it competed under.
    pub horse_id: Option<i64>,
    pub horse_name: String,
    pub user_id: i64,
    pub username: String,
    /// 1 = winner; the placements of a show are exactly 1..n.
    pub placement: u32,
    /// Final score, 2 decimals.
    pub score: f64,
    /// Base score (0.5*s1 + 0.3*s2 + 0.2*s3), 1 decimal.
    pub base_score: f64,
    /// Whole coins paid to the owner and added to the horse's earnings.
    pub prize: i64,
    pub horse_xp: u32,
    pub owner_xp: u32,
    /// The primary stat that gained +1, if any.
    pub stat_gained: Option<String>,
    pub created_at: String,
}

impl From<ResultView> for ResultDto {
    fn from(r: ResultView) -> Self {
        Self {
            id: r.id,
            show_id: r.show_id.get(),
            show_name: r.show_name,
            discipline: r.discipline.name(),
            horse_id: r.horse_id.map(HorseId::get),
            horse_name: r.horse_name,
            user_id: r.user_id.get(),
            username: r.username,
            placement: r.placement,
            score: f64::from(r.score_hundredths) / 100.0,
            base_score: f64::from(r.base_score_hundredths) / 100.0,
            prize: r.prize.coins(),
            horse_xp: r.horse_xp,
            owner_xp: r.owner_xp,
            stat_gained: r.stat_gained,
            created_at: r.created_at.to_rfc3339(),
        }
    }
}

/// What a run did.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunDto {
    pub show_id: i64,
    /// Always `completed`.
    pub status: &'static str,
    pub entrants: u32,
    /// Total prize money paid to owners.
    pub prizes_paid: i64,
    /// Part of the pool returned to the house.
    pub house_refund: i64,
    pub completed_at: String,
}

impl From<RunSummary> for RunDto {
    fn from(s: RunSummary) -> Self {
        Self {
            show_id: s.show_id.get(),
            status: ShowStatus::Completed.as_str(),
            entrants: s.entrants,
            prizes_paid: s.prizes_paid.coins(),
            house_refund: s.refund.coins(),
            completed_at: s.completed_at.to_rfc3339(),
        }
    }
}

/// An entry of the caller in a show that has not run yet.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpcomingEntryDto {
    pub entry_id: i64,
    pub show_id: i64,
    pub show_name: String,
    pub discipline: &'static str,
    pub horse_id: Option<i64>,
    pub horse_name: Option<String>,
    pub runs_at: String,
}

impl From<UpcomingEntry> for UpcomingEntryDto {
    fn from(e: UpcomingEntry) -> Self {
        Self {
            entry_id: e.entry_id,
            show_id: e.show_id.get(),
            show_name: e.show_name,
            discipline: e.discipline.name(),
            horse_id: e.horse_id.map(HorseId::get),
            horse_name: e.horse_name,
            runs_at: e.runs_at.to_rfc3339(),
        }
    }
}

/// The player's dashboard.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DashboardDto {
    pub user: UserDto,
    pub horse_count: u32,
    /// Horses aged 3-20, healthy, whose training cooldown has passed.
    pub trainable_now: u32,
    /// Up to 5 entries in shows that have not run, soonest first.
    pub upcoming_entries: Vec<UpcomingEntryDto>,
    /// Up to 5 latest results.
    pub recent_results: Vec<ResultDto>,
}

/// Ids are positive integers; anything else names no show.
fn parse_show_id(raw: &str) -> Result<ShowId, ApiError> {
    crate::dto::path_id(raw)
        .map(ShowId::new)
        .ok_or_else(ApiError::show_not_found)
}
