//! A player enters one of their horses in a show.

use actix_web::{HttpResponse, web};
use equoria_domain::HorseId;
use utoipa::ToSchema;

use super::{EntryDto, parse_show_id};
use crate::dto::created;
use crate::extract::{Body, Fields, FromBody, positive_id};
use crate::security::auth::AuthUser;
use crate::{ApiError, AppState, validate};

/// `POST /api/shows/{id}/entries` body.
#[derive(Debug, ToSchema)]
#[serde(rename_all = "camelCase")]
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
    params(("id" = i64, Path, description = "Show id"), ("Idempotency-Key" = Option<String>, Header, description = "1-255 visible ASCII characters; a retry with the same key and request returns the first answer (see docs/API.md)")), request_body = EntryRequest,
    security(("bearer" = [])), responses(
    (status = 201, description = "Entered; the fee was debited", body = inline(crate::dto::Success<EntryDto>), headers(("Idempotent-Replayed" = String, description = "`true` when this is the stored answer of an earlier request with the same Idempotency-Key"))),
    (status = 400, description = "Malformed body, a horseId that is not a positive whole number, or a malformed Idempotency-Key", body = crate::error::ErrorEnvelope),
    (status = 401, description = "Not authenticated", body = crate::error::ErrorEnvelope),
    (status = 404, description = "No such show, or no such horse among the caller's", body = crate::error::ErrorEnvelope),
    (status = 409, description = "SHOW_CLOSED, ALREADY_ENTERED or SHOW_FULL; IDEMPOTENCY_KEY_REUSED (the Idempotency-Key was used for another request) or IN_PROGRESS (a request with it is still running)", body = crate::error::ErrorEnvelope),
    (status = 422, description = "Ineligible (TOO_YOUNG, TOO_OLD, INJURED, LEVEL_OUT_OF_RANGE, DISCIPLINE_NOT_ALLOWED) or INSUFFICIENT_FUNDS", body = crate::error::ErrorEnvelope)))]
pub async fn enter_show(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    Body(body): Body<EntryRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_show_id(&id)?;
    validate! { horse_id = positive_id(body.horse_id).map(HorseId::new) => "horseId" }
    let entry = state.shows.enter(user.id, id, horse_id).await?;
    Ok(created(EntryDto::from(entry)))
}
