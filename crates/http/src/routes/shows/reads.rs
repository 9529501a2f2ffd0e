//! Reading shows, their entries and results, and the player's own results and dashboard.

use actix_web::{HttpRequest, HttpResponse, web};
use equoria_application::shows::{ShowFilter, ShowStatus};
use equoria_domain::{ClientMessage, Discipline};

use super::{DashboardDto, EntryDto, ResultDto, ShowDto, UpcomingEntryDto, parse_show_id};
use crate::dto::{Paging, list, ok, page_from, query_pairs};
use crate::error::FieldError;
use crate::security::auth::AuthUser;
use crate::{ApiError, AppState};

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
        match Discipline::parse(raw) {
            Ok(discipline) => filter.discipline = Some(discipline),
            Err(e) => errors.push(FieldError {
                field: "discipline".to_owned(),
                message: e.client_message(),
            }),
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
    let show = state.shows.get(id).await?;
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
    let entries = state.shows.entries(id, page).await?;
    Ok(list(entries, EntryDto::from))
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
    let results = state.shows.results(id, page).await?;
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
    let profile = state.accounts.profile(user.id).await?;
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
