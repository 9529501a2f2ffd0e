//! `/api/leaderboards`: public, paginated, cacheable rankings.
//!
//! Every answer carries a weak `ETag` (a hash of the exact body; weak because compression may
//! change the bytes on the wire) and `Cache-Control: public, max-age=30`; a request whose
//! `If-None-Match` matches gets `304 Not Modified` without a body. Each entry carries `rank`,
//! its 1-based position on the board (never shared: ties are broken by id), so page 2 continues
//! where page 1 stopped. Boards list at most 1,000 positions.

use actix_web::{HttpRequest, HttpResponse, web};
use equoria_application::leaderboards::{
    HorseStanding, PlayerStanding, PlayerXpGain, Ranked, RecentWinner, XpPeriod,
};
use equoria_application::paging::Paged;
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::level_of;
use crate::dto::{ListResponse, Pagination, Paging, Success, page_from, query_pairs};
use crate::error::FieldError;
use crate::{ApiError, AppState};

/// How long clients and shared caches may reuse a leaderboard answer without revalidating.
pub const LEADERBOARD_CACHE_CONTROL: &str = "public, max-age=30";

/// A player on the level board.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlayerLevelEntryDto {
    /// Position on the board, from 1.
    pub rank: u32,
    pub user_id: i64,
    pub username: String,
    pub level: u32,
    pub xp: i64,
}

impl From<Ranked<PlayerStanding>> for PlayerLevelEntryDto {
    fn from(r: Ranked<PlayerStanding>) -> Self {
        Self {
            rank: r.rank,
            user_id: r.entry.user_id.get(),
            level: level_of(r.entry.xp),
            username: r.entry.username,
            xp: r.entry.xp,
        }
    }
}

/// A player on the XP board of a period.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlayerXpEntryDto {
    pub rank: u32,
    pub user_id: i64,
    pub username: String,
    /// XP gained in the period (all time: the player's XP).
    pub xp_gained: i64,
    /// The player's XP total.
    pub xp: i64,
    pub level: u32,
}

impl From<Ranked<PlayerXpGain>> for PlayerXpEntryDto {
    fn from(r: Ranked<PlayerXpGain>) -> Self {
        Self {
            rank: r.rank,
            user_id: r.entry.user_id.get(),
            level: level_of(r.entry.xp),
            username: r.entry.username,
            xp_gained: r.entry.xp_gained,
            xp: r.entry.xp,
        }
    }
}

/// A horse on the earnings or wins board.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HorseEntryDto {
    pub rank: u32,
    pub horse_id: i64,
    pub name: String,
    pub breed: String,
    pub owner_id: i64,
    pub owner_username: String,
    /// Total prize money won, whole coins.
    pub earnings: i64,
    /// Number of 1st places.
    pub wins: u32,
}

impl From<Ranked<HorseStanding>> for HorseEntryDto {
    fn from(r: Ranked<HorseStanding>) -> Self {
        let h = r.entry;
        Self {
            rank: r.rank,
            horse_id: h.horse_id.get(),
            name: h.name,
            breed: h.breed,
            owner_id: h.owner_id.get(),
            owner_username: h.owner_username,
            earnings: h.earnings.coins(),
            wins: h.wins,
        }
    }
}

/// The winner of a recently completed show.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RecentWinnerDto {
    pub rank: u32,
    pub show_id: i64,
    pub show_name: String,
    pub discipline: String,
    pub completed_at: String,
    /// `null` once the horse was deleted; `horseName` is the name it won under.
    pub horse_id: Option<i64>,
    pub horse_name: String,
    pub user_id: i64,
    pub username: String,
    /// Winning score, 2 decimals.
    pub score: f64,
    pub prize: i64,
}

impl From<Ranked<RecentWinner>> for RecentWinnerDto {
    fn from(r: Ranked<RecentWinner>) -> Self {
        let w = r.entry;
        Self {
            rank: r.rank,
            show_id: w.show_id.get(),
            show_name: w.show_name,
            discipline: w.discipline,
            completed_at: w.completed_at.to_rfc3339(),
            horse_id: w.horse_id.map(|h| h.get()),
            horse_name: w.horse_name,
            user_id: w.user_id.get(),
            username: w.username,
            score: f64::from(w.score_hundredths) / 100.0,
            prize: w.prize.coins(),
        }
    }
}

/// The top 5 of the XP board for each period.
#[derive(Debug, Serialize, ToSchema)]
pub struct XpBoardsDto {
    pub week: Vec<PlayerXpEntryDto>,
    pub month: Vec<PlayerXpEntryDto>,
    pub all: Vec<PlayerXpEntryDto>,
}

/// Leaderboard answers with this module's short cache lifetime.
fn cacheable<T: Serialize>(req: &HttpRequest, value: &T) -> Result<HttpResponse, ApiError> {
    crate::caching::cacheable(req, value, LEADERBOARD_CACHE_CONTROL)
}

/// The top 5 of every board.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LeaderboardIndexDto {
    pub players_by_level: Vec<PlayerLevelEntryDto>,
    pub players_by_xp: XpBoardsDto,
    pub horses_by_earnings: Vec<HorseEntryDto>,
    pub horses_by_wins: Vec<HorseEntryDto>,
    pub recent_winners: Vec<RecentWinnerDto>,
}

fn ranked_list<T, U: Serialize>(
    req: &HttpRequest,
    paged: Paged<T>,
    f: impl FnMut(T) -> U,
) -> Result<HttpResponse, ApiError> {
    let has_more = paged.has_more();
    let page = paged.page;
    cacheable(
        req,
        &ListResponse {
            success: true,
            data: paged.items.into_iter().map(f).collect(),
            pagination: Pagination {
                page: page.number(),
                limit: page.limit(),
                total: paged.total,
                has_more,
            },
        },
    )
}

/// The top 5 of every board.
#[utoipa::path(get, path = "/api/leaderboards", tag = "leaderboards", responses(
    (status = 200, description = "Top 5 of each board", body = inline(Success<LeaderboardIndexDto>),
        headers(("ETag" = String), ("Cache-Control" = String))),
    (status = 304, description = "Not modified (If-None-Match matched)")))]
pub async fn index(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let boards = state.leaderboards.index().await?;
    let map = |v: Vec<Ranked<PlayerXpGain>>| v.into_iter().map(PlayerXpEntryDto::from).collect();
    let horses = |v: Vec<Ranked<HorseStanding>>| v.into_iter().map(HorseEntryDto::from).collect();
    cacheable(
        &req,
        &Success {
            success: true,
            data: LeaderboardIndexDto {
                players_by_level: boards
                    .players_by_level
                    .into_iter()
                    .map(PlayerLevelEntryDto::from)
                    .collect(),
                players_by_xp: XpBoardsDto {
                    week: map(boards.players_by_xp_week),
                    month: map(boards.players_by_xp_month),
                    all: map(boards.players_by_xp_all),
                },
                horses_by_earnings: horses(boards.horses_by_earnings),
                horses_by_wins: horses(boards.horses_by_wins),
                recent_winners: boards
                    .recent_winners
                    .into_iter()
                    .map(RecentWinnerDto::from)
                    .collect(),
            },
        },
    )
}

/// Players by level (level desc, XP desc, then id).
#[utoipa::path(get, path = "/api/leaderboards/players/level", tag = "leaderboards",
    params(crate::dto::PageQuery), responses(
    (status = 200, description = "Board page", body = inline(ListResponse<PlayerLevelEntryDto>),
        headers(("ETag" = String), ("Cache-Control" = String))),
    (status = 304, description = "Not modified (If-None-Match matched)"),
    (status = 400, description = "Bad paging", body = crate::error::ErrorEnvelope)))]
pub async fn players_by_level(
    state: web::Data<AppState>,
    req: HttpRequest,
    Paging(page): Paging,
) -> Result<HttpResponse, ApiError> {
    let board = state.leaderboards.players_by_level(page).await?;
    ranked_list(&req, board, PlayerLevelEntryDto::from)
}

/// Players by XP gained in a period (`week`: last 7 days, the default; `month`: last 30 days;
/// `all`: all time), then id. Players who gained nothing are not listed.
#[utoipa::path(get, path = "/api/leaderboards/players/xp", tag = "leaderboards",
    params(crate::dto::PageQuery,
        ("period" = Option<String>, Query, description = "`week` (default), `month` or `all`")),
    responses(
    (status = 200, description = "Board page", body = inline(ListResponse<PlayerXpEntryDto>),
        headers(("ETag" = String), ("Cache-Control" = String))),
    (status = 304, description = "Not modified (If-None-Match matched)"),
    (status = 400, description = "Unknown period or bad paging", body = crate::error::ErrorEnvelope)))]
pub async fn players_by_xp(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let pairs = query_pairs(&req);
    let mut errors = Vec::new();
    let page = page_from(&pairs, &mut errors);
    let period = match pairs.iter().find(|(k, _)| k == "period") {
        None => Some(XpPeriod::Week),
        Some((_, raw)) => XpPeriod::parse(raw),
    };
    let Some(period) = period else {
        errors.push(FieldError {
            field: "period".to_owned(),
            message: "must be `week`, `month` or `all`".to_owned(),
        });
        return Err(ApiError::validation(errors));
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let board = state.leaderboards.players_by_xp(period, page).await?;
    ranked_list(&req, board, PlayerXpEntryDto::from)
}

/// Horses by earnings (earnings desc, then id). Horses that never won money are not listed.
#[utoipa::path(get, path = "/api/leaderboards/horses/earnings", tag = "leaderboards",
    params(crate::dto::PageQuery), responses(
    (status = 200, description = "Board page", body = inline(ListResponse<HorseEntryDto>),
        headers(("ETag" = String), ("Cache-Control" = String))),
    (status = 304, description = "Not modified (If-None-Match matched)"),
    (status = 400, description = "Bad paging", body = crate::error::ErrorEnvelope)))]
pub async fn horses_by_earnings(
    state: web::Data<AppState>,
    req: HttpRequest,
    Paging(page): Paging,
) -> Result<HttpResponse, ApiError> {
    let board = state.leaderboards.horses_by_earnings(page).await?;
    ranked_list(&req, board, HorseEntryDto::from)
}

/// Horses by wins (1st places desc, then earnings desc, then id). Horses without a win are
/// not listed.
#[utoipa::path(get, path = "/api/leaderboards/horses/wins", tag = "leaderboards",
    params(crate::dto::PageQuery), responses(
    (status = 200, description = "Board page", body = inline(ListResponse<HorseEntryDto>),
        headers(("ETag" = String), ("Cache-Control" = String))),
    (status = 304, description = "Not modified (If-None-Match matched)"),
    (status = 400, description = "Bad paging", body = crate::error::ErrorEnvelope)))]
pub async fn horses_by_wins(
    state: web::Data<AppState>,
    req: HttpRequest,
    Paging(page): Paging,
) -> Result<HttpResponse, ApiError> {
    let board = state.leaderboards.horses_by_wins(page).await?;
    ranked_list(&req, board, HorseEntryDto::from)
}

/// Winners of the latest completed shows, newest first.
#[utoipa::path(get, path = "/api/leaderboards/recent-winners", tag = "leaderboards",
    params(crate::dto::PageQuery), responses(
    (status = 200, description = "Board page", body = inline(ListResponse<RecentWinnerDto>),
        headers(("ETag" = String), ("Cache-Control" = String))),
    (status = 304, description = "Not modified (If-None-Match matched)"),
    (status = 400, description = "Bad paging", body = crate::error::ErrorEnvelope)))]
pub async fn recent_winners(
    state: web::Data<AppState>,
    req: HttpRequest,
    Paging(page): Paging,
) -> Result<HttpResponse, ApiError> {
    let board = state.leaderboards.recent_winners(page).await?;
    ranked_list(&req, board, RecentWinnerDto::from)
}
