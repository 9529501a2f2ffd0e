//! `/api/shows`: creating (admin), listing, entering and running shows, their entries and
//! results; and the player's own results and dashboard under `/api/users/me`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use equoria_application::shows::{
    CreateShowError, EntryRefusal, EntryView, ResultView, RunError, RunSummary, ShowFilter,
    ShowLookupError, ShowStatus, ShowView, UpcomingEntry,
};
use equoria_domain::competition::{EntryIneligible, NewShow, ShowDraft, ShowField};
use equoria_domain::{Discipline, HorseId, ShowId};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::account_error;
use super::auth::UserDto;
use crate::dto::{Paging, created, list, ok, page_from, query_pairs};
use crate::error::FieldError;
use crate::extract::{Body, Fields, FromBody};
use crate::security::auth::{AdminUser, AuthUser};
use crate::{ApiError, AppState};

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

/// `POST /api/shows` body.
#[derive(Debug, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct CreateShowRequest {
    /// 1-100 characters after trimming, unique.
    name: String,
    /// One of the 23 disciplines (`Show Jumping`, `show-jumping` and `show_jumping` all work).
    discipline: String,
    /// 0-100,000 coins.
    entry_fee: i64,
    /// 0-10,000,000 coins.
    prize_pool: i64,
    /// At least 1.
    min_level: i64,
    /// At least `minLevel`.
    max_level: i64,
    /// 2-200.
    max_entries: i64,
    /// RFC 3339 date-time, at most `runsAt`.
    closes_at: String,
    /// RFC 3339 date-time.
    runs_at: String,
}

impl FromBody for CreateShowRequest {
    fn from_body(f: &mut Fields) -> Self {
        Self {
            name: f.required("name"),
            discipline: f.required("discipline"),
            entry_fee: f.required("entryFee"),
            prize_pool: f.required("prizePool"),
            min_level: f.required("minLevel"),
            max_level: f.required("maxLevel"),
            max_entries: f.required("maxEntries"),
            closes_at: f.required("closesAt"),
            runs_at: f.required("runsAt"),
        }
    }
}

/// The wire name of a show field.
fn wire_field(field: ShowField) -> &'static str {
    match field {
        ShowField::Name => "name",
        ShowField::Discipline => "discipline",
        ShowField::EntryFee => "entryFee",
        ShowField::PrizePool => "prizePool",
        ShowField::MinLevel => "minLevel",
        ShowField::MaxLevel => "maxLevel",
        ShowField::MaxEntries => "maxEntries",
        ShowField::ClosesAt => "closesAt",
        ShowField::RunsAt => "runsAt",
    }
}

fn parse_instant(raw: &str, field: &str, errors: &mut Vec<FieldError>) -> Option<DateTime<Utc>> {
    match DateTime::parse_from_rfc3339(raw) {
        Ok(t) => Some(t.with_timezone(&Utc)),
        Err(_) => {
            errors.push(FieldError {
                field: field.to_owned(),
                message: "must be an RFC 3339 date-time, e.g. 2030-01-31T18:00:00Z".to_owned(),
            });
            None
        }
    }
}

/// Every problem of the body at once: malformed instants first, then the domain's checks.
fn parse_show(body: &CreateShowRequest) -> Result<NewShow, ApiError> {
    let mut errors = Vec::new();
    let closes_at = parse_instant(&body.closes_at, "closesAt", &mut errors);
    let runs_at = parse_instant(&body.runs_at, "runsAt", &mut errors);
    // With an unparsable instant the schedule cannot be checked; a placeholder that passes
    // it lets every other field still be reported.
    let placeholder = closes_at.or(runs_at).unwrap_or_default();
    let draft = ShowDraft {
        name: body.name.clone(),
        discipline: body.discipline.clone(),
        entry_fee: body.entry_fee,
        prize_pool: body.prize_pool,
        min_level: body.min_level,
        max_level: body.max_level,
        max_entries: body.max_entries,
        closes_at: closes_at.unwrap_or(placeholder),
        runs_at: runs_at.unwrap_or(placeholder),
    };
    match NewShow::parse(&draft) {
        Ok(show) if errors.is_empty() => Ok(show),
        Ok(_) => Err(ApiError::validation(errors)),
        Err(domain) => {
            errors.extend(domain.errors.iter().map(|e| FieldError {
                field: wire_field(e.field()).to_owned(),
                message: field_message(e.field()),
            }));
            Err(ApiError::validation(errors))
        }
    }
}

/// What a valid field looks like (the domain's messages quote the submitted value, which the
/// API never echoes).
fn field_message(field: ShowField) -> String {
    match field {
        ShowField::Name => "must be 1 to 100 printable characters after trimming",
        ShowField::Discipline => "must be one of the 23 disciplines (see GET /api/disciplines)",
        ShowField::EntryFee => "must be a whole number of coins from 0 to 100000",
        ShowField::PrizePool => {
            return format!(
                "must be a whole number of coins from 0 to {}",
                equoria_domain::competition::MAX_PRIZE_POOL_COINS
            );
        }
        ShowField::MinLevel => "must be a whole number, at least 1",
        ShowField::MaxLevel => "must be a whole number, at least 1 and at least minLevel",
        ShowField::MaxEntries => "must be a whole number from 2 to 200",
        ShowField::ClosesAt => "must be at or before runsAt",
        ShowField::RunsAt => "must be an RFC 3339 date-time",
    }
    .to_owned()
}

/// Ids are positive integers; anything else names no show.
fn parse_show_id(raw: &str) -> Result<ShowId, ApiError> {
    crate::dto::path_id(raw)
        .map(ShowId::new)
        .ok_or_else(show_not_found)
}

fn show_not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "The show does not exist.",
    )
}

fn lookup_error(err: ShowLookupError) -> ApiError {
    match err {
        ShowLookupError::NotFound => show_not_found(),
        ShowLookupError::Store(e) => e.into(),
    }
}

/// The one mapping of entry refusals to status codes.
pub fn entry_error(err: EntryRefusal) -> ApiError {
    match err {
        EntryRefusal::ShowNotFound => show_not_found(),
        EntryRefusal::HorseNotFound => ApiError::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "You have no horse with this id.",
        ),
        EntryRefusal::ShowClosed => ApiError::new(
            StatusCode::CONFLICT,
            "SHOW_CLOSED",
            "This show no longer accepts entries.",
        ),
        EntryRefusal::AlreadyEntered => ApiError::new(
            StatusCode::CONFLICT,
            "ALREADY_ENTERED",
            "This horse is already entered in this show.",
        ),
        EntryRefusal::ShowFull => ApiError::new(
            StatusCode::CONFLICT,
            "SHOW_FULL",
            "This show has reached its maximum number of entries.",
        ),
        EntryRefusal::Ineligible(reason) => ineligible(reason),
        EntryRefusal::InsufficientFunds { fee, balance } => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "INSUFFICIENT_FUNDS",
            "Your balance does not cover the entry fee.",
        )
        .with_details(json!({"entryFee": fee.coins(), "money": balance.coins()})),
        EntryRefusal::Store(e) => e.into(),
    }
}

fn ineligible(reason: EntryIneligible) -> ApiError {
    let details = match reason {
        EntryIneligible::TooOld { age } | EntryIneligible::TooYoung { age } => {
            json!({"age": age, "minAge": 3, "maxAge": 21})
        }
        EntryIneligible::LevelOutOfRange { level, min, max } => {
            json!({"level": level.get(), "minLevel": min.get(), "maxLevel": max.get()})
        }
        EntryIneligible::DisciplineNotAllowed | EntryIneligible::Injured => json!({}),
    };
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        reason.code(),
        format!("This horse may not enter this show: {reason}."),
    )
    .with_details(details)
}

fn run_error(err: RunError) -> ApiError {
    match err {
        RunError::NotFound => show_not_found(),
        RunError::AlreadyRun => ApiError::new(
            StatusCode::CONFLICT,
            "ALREADY_RUN",
            "This show has already run.",
        ),
        RunError::Busy => ApiError::new(
            StatusCode::CONFLICT,
            "CONFLICT",
            "The show is being run right now; retry.",
        ),
        RunError::Store(e) => e.into(),
    }
}

/// Create a show (admin only).
#[utoipa::path(post, path = "/api/shows", tag = "shows", request_body = CreateShowRequest,
    security(("bearer" = [])), responses(
    (status = 201, description = "Created", body = inline(crate::dto::Success<ShowDto>)),
    (status = 400, description = "Invalid fields, each listed (VALIDATION_FAILED)", body = crate::error::ErrorEnvelope),
    (status = 401, description = "Not authenticated", body = crate::error::ErrorEnvelope),
    (status = 403, description = "Not an admin", body = crate::error::ErrorEnvelope),
    (status = 409, description = "A show with this name exists (SHOW_NAME_TAKEN)", body = crate::error::ErrorEnvelope)))]
pub async fn create_show(
    state: web::Data<AppState>,
    AdminUser(admin): AdminUser,
    Body(body): Body<CreateShowRequest>,
) -> Result<HttpResponse, ApiError> {
    let show = parse_show(&body)?;
    let created_show = state
        .shows
        .create(show, admin.id)
        .await
        .map_err(|e| match e {
            CreateShowError::DuplicateName => ApiError::new(
                StatusCode::CONFLICT,
                "SHOW_NAME_TAKEN",
                "A show with this name already exists.",
            ),
            CreateShowError::Store(e) => e.into(),
        })?;
    Ok(created(ShowDto::from(created_show)))
}

/// Shows, soonest `runsAt` first; filters `status` (`open`|`completed`) and `discipline`.
#[utoipa::path(get, path = "/api/shows", tag = "shows", params(
        crate::dto::PageQuery,
        ("status" = Option<String>, Query, description = "`open` or `completed`"),
        ("discipline" = Option<String>, Query, description = "A discipline name")),
    responses(
    (status = 200, description = "Shows", body = inline(crate::dto::ListResponse<ShowDto>)),
    (status = 400, description = "Unknown status or discipline, bad paging", body = crate::error::ErrorEnvelope)))]
pub async fn list_shows(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let pairs = query_pairs(&req);
    let mut errors = Vec::new();
    let page = page_from(&pairs, &mut errors);
    let param = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let mut filter = ShowFilter::default();
    if let Some(raw) = param("status") {
        filter.status = ShowStatus::parse(raw);
        if filter.status.is_none() {
            errors.push(FieldError {
                field: "status".to_owned(),
                message: "must be `open` or `completed`".to_owned(),
            });
        }
    }
    if let Some(raw) = param("discipline") {
        filter.discipline = Discipline::parse(raw).ok();
        if filter.discipline.is_none() {
            errors.push(FieldError {
                field: "discipline".to_owned(),
                message: "must be one of the 23 disciplines".to_owned(),
            });
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let shows = state.shows.list(filter, page).await?;
    Ok(list(shows, ShowDto::from))
}

/// One show.
#[utoipa::path(get, path = "/api/shows/{id}", tag = "shows",
    params(("id" = i64, Path, description = "Show id")), responses(
    (status = 200, description = "The show", body = inline(crate::dto::Success<ShowDto>)),
    (status = 404, description = "No such show", body = crate::error::ErrorEnvelope)))]
pub async fn get_show(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_show_id(&id)?;
    let show = state.shows.get(id).await.map_err(lookup_error)?;
    Ok(ok(ShowDto::from(show)))
}

/// The entries of a show, in entry order.
#[utoipa::path(get, path = "/api/shows/{id}/entries", tag = "shows",
    params(("id" = i64, Path, description = "Show id"), crate::dto::PageQuery), responses(
    (status = 200, description = "Entries", body = inline(crate::dto::ListResponse<EntryDto>)),
    (status = 404, description = "No such show", body = crate::error::ErrorEnvelope)))]
pub async fn list_entries(
    state: web::Data<AppState>,
    id: web::Path<String>,
    Paging(page): Paging,
) -> Result<HttpResponse, ApiError> {
    let id = parse_show_id(&id)?;
    let entries = state.shows.entries(id, page).await.map_err(lookup_error)?;
    Ok(list(entries, EntryDto::from))
}

/// `POST /api/shows/{id}/entries` body.
#[derive(Debug, ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
pub struct EntryRequest {
    /// One of the caller's horses.
    horse_id: i64,
}

impl FromBody for EntryRequest {
    fn from_body(f: &mut Fields) -> Self {
        Self {
            horse_id: f.required("horseId"),
        }
    }
}

/// Enter one of the caller's horses; the fee is debited in the same transaction.
#[utoipa::path(post, path = "/api/shows/{id}/entries", tag = "shows",
    params(("id" = i64, Path, description = "Show id")), request_body = EntryRequest,
    security(("bearer" = [])), responses(
    (status = 201, description = "Entered; the fee was debited", body = inline(crate::dto::Success<EntryDto>)),
    (status = 400, description = "Malformed body", body = crate::error::ErrorEnvelope),
    (status = 401, description = "Not authenticated", body = crate::error::ErrorEnvelope),
    (status = 404, description = "No such show, or no such horse among the caller's", body = crate::error::ErrorEnvelope),
    (status = 409, description = "SHOW_CLOSED, ALREADY_ENTERED or SHOW_FULL", body = crate::error::ErrorEnvelope),
    (status = 422, description = "Ineligible (TOO_YOUNG, TOO_OLD, INJURED, LEVEL_OUT_OF_RANGE, DISCIPLINE_NOT_ALLOWED) or INSUFFICIENT_FUNDS", body = crate::error::ErrorEnvelope)))]
pub async fn enter_show(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    Body(body): Body<EntryRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_show_id(&id)?;
    if body.horse_id <= 0 {
        return Err(entry_error(EntryRefusal::HorseNotFound));
    }
    let entry = state
        .shows
        .enter(user.id, id, HorseId::new(body.horse_id))
        .await
        .map_err(entry_error)?;
    Ok(created(EntryDto::from(entry)))
}

/// Run a show now, whatever its `runsAt` says (admin only). Scoring, results, prizes, XP and
/// completion happen in one transaction; a second run is refused.
#[utoipa::path(post, path = "/api/shows/{id}/run", tag = "shows",
    params(("id" = i64, Path, description = "Show id")), security(("bearer" = [])), responses(
    (status = 200, description = "The show ran", body = inline(crate::dto::Success<RunDto>)),
    (status = 401, description = "Not authenticated", body = crate::error::ErrorEnvelope),
    (status = 403, description = "Not an admin", body = crate::error::ErrorEnvelope),
    (status = 404, description = "No such show", body = crate::error::ErrorEnvelope),
    (status = 409, description = "Already run (ALREADY_RUN)", body = crate::error::ErrorEnvelope)))]
pub async fn run_show(
    state: web::Data<AppState>,
    _admin: AdminUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_show_id(&id)?;
    let summary = state.shows.run(id).await.map_err(run_error)?;
    Ok(ok(RunDto::from(summary)))
}

/// The results of a show, by placement (empty until it has run).
#[utoipa::path(get, path = "/api/shows/{id}/results", tag = "shows",
    params(("id" = i64, Path, description = "Show id"), crate::dto::PageQuery), responses(
    (status = 200, description = "Results", body = inline(crate::dto::ListResponse<ResultDto>)),
    (status = 404, description = "No such show", body = crate::error::ErrorEnvelope)))]
pub async fn show_results(
    state: web::Data<AppState>,
    id: web::Path<String>,
    Paging(page): Paging,
) -> Result<HttpResponse, ApiError> {
    let id = parse_show_id(&id)?;
    let results = state.shows.results(id, page).await.map_err(lookup_error)?;
    Ok(list(results, ResultDto::from))
}

/// The caller's results, newest first.
#[utoipa::path(get, path = "/api/users/me/results", tag = "users", params(crate::dto::PageQuery),
    security(("bearer" = [])), responses(
    (status = 200, description = "Results", body = inline(crate::dto::ListResponse<ResultDto>)),
    (status = 401, description = "Not authenticated", body = crate::error::ErrorEnvelope)))]
pub async fn my_results(
    state: web::Data<AppState>,
    user: AuthUser,
    Paging(page): Paging,
) -> Result<HttpResponse, ApiError> {
    let results = state.shows.user_results(user.id, page).await?;
    Ok(list(results, ResultDto::from))
}

/// The caller's dashboard: profile, horse counts, upcoming entries and latest results.
#[utoipa::path(get, path = "/api/users/me/dashboard", tag = "users", security(("bearer" = [])),
    responses(
    (status = 200, description = "Dashboard", body = inline(crate::dto::Success<DashboardDto>)),
    (status = 401, description = "Not authenticated", body = crate::error::ErrorEnvelope)))]
pub async fn my_dashboard(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    let profile = state
        .accounts
        .profile(user.id)
        .await
        .map_err(account_error)?;
    let facts = state.shows.dashboard(user.id).await?;
    Ok(ok(DashboardDto {
        user: profile.into(),
        horse_count: facts.horse_count,
        trainable_now: facts.trainable_now,
        upcoming_entries: facts
            .upcoming_entries
            .into_iter()
            .map(UpcomingEntryDto::from)
            .collect(),
        recent_results: facts
            .recent_results
            .into_iter()
            .map(ResultDto::from)
            .collect(),
    }))
}
