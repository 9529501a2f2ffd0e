//! The admin's show routes: create a show, run it now.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use equoria_domain::ClientMessage;
use equoria_domain::competition::{NewShow, ShowDraft, ShowField};
use utoipa::ToSchema;

use super::{RunDto, ShowDto, parse_show_id};
use crate::dto::{created, ok};
use crate::error::FieldError;
use crate::extract::{Body, Fields, FromBody};
use crate::security::auth::AdminUser;
use crate::{ApiError, AppState};

/// `POST /api/shows` body.
#[derive(Debug, ToSchema)]
#[serde(rename_all = "camelCase")]
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
                message: e.client_message(),
            }));
            Err(ApiError::validation(errors))
        }
    }
}

/// Create a show (admin only).
#[utoipa::path(post, path = "/api/shows", tag = "shows", request_body = CreateShowRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "1-255 visible ASCII characters; a retry with the same key and request returns the first answer (see docs/API.md)")),
    security(("bearer" = [])), responses(
    (status = 201, description = "Created", body = inline(crate::dto::Success<ShowDto>), headers(("Idempotent-Replayed" = String, description = "`true` when this is the stored answer of an earlier request with the same Idempotency-Key"))),
    (status = 400, description = "Invalid fields, each listed, a malformed Idempotency-Key included (VALIDATION_FAILED)", body = crate::error::ErrorEnvelope),
    (status = 401, description = "Not authenticated", body = crate::error::ErrorEnvelope),
    (status = 403, description = "Not an admin", body = crate::error::ErrorEnvelope),
    (status = 409, description = "A show with this name exists (SHOW_NAME_TAKEN); IDEMPOTENCY_KEY_REUSED (the Idempotency-Key was used for another request) or IN_PROGRESS (a request with it is still running)", body = crate::error::ErrorEnvelope)))]
pub async fn create_show(
    state: web::Data<AppState>,
    AdminUser(admin): AdminUser,
    Body(body): Body<CreateShowRequest>,
) -> Result<HttpResponse, ApiError> {
    let show = parse_show(&body)?;
    let created_show = state.shows.create(show, admin.id).await?;
    Ok(created(ShowDto::from(created_show)))
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
    let summary = state.shows.run(id).await?;
    Ok(ok(RunDto::from(summary)))
}
