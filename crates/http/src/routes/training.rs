//! `/api/training` and `/api/disciplines`.
//!
//! - `POST /api/training/train` answers 422 with the refusal reason as `code` (`TOO_YOUNG`,
//!   `TOO_OLD`, `INJURED`, `ON_COOLDOWN` with `details.nextEligibleAt`,
//!   `DISCIPLINE_NOT_ALLOWED`); when several apply, the most lasting one is named (see
//!   `equoria_domain::training::check_training_eligibility`). A horse that is not the caller's
//!   is a 404.
//! - `GET /api/training/status/{horseId}` and `GET /api/training/trainable` use "eligible" in the
//!   sense "can train now in at least one discipline its breed allows": 3-20 years old, healthy
//!   and off cooldown (every breed may train all disciplines but Gaited).

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, web};
use equoria_application::training::{TrainingReport, TrainingStatus};
use equoria_domain::{Discipline, HorseId};
use serde::Serialize;
use utoipa::ToSchema;

use super::horses::{HorseDto, parse_horse_id};
use crate::caching::cacheable;
use crate::dto::{ListResponse, Paging, Success, list, ok};
use crate::extract::{Body, Fields, FromBody, positive_id};
use crate::security::auth::AuthUser;
use crate::{ApiError, AppState, validate};

/// The disciplines never change while the server runs: cache them for a day.
const DISCIPLINES_CACHE_CONTROL: &str = "public, max-age=86400";

/// Body of `POST /api/training/train`.
#[derive(Debug, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrainRequest {
    /// One of the caller's horses.
    horse_id: i64,
    /// A discipline name as listed by `GET /api/disciplines` (`"Show Jumping"`; also
    /// `"show-jumping"` or `"show_jumping"`, any case).
    discipline: String,
}

impl FromBody for TrainRequest {
    fn from_body(f: &mut Fields) -> Self {
        Self {
            horse_id: f.required("horseId"),
            discipline: f.required("discipline"),
        }
    }
}

/// A stat that rose in a session.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatGainDto {
    pub stat: &'static str,
    /// Points actually added (1-3, less if the stat reached 100).
    pub amount: u8,
    pub new_value: u8,
}

/// What one training session did.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrainingResultDto {
    pub horse_id: i64,
    pub discipline: &'static str,
    pub score_before: u8,
    pub score_after: u8,
    /// Present in about 15% of sessions.
    pub stat_gain: Option<StatGainDto>,
    /// Owner XP (+5).
    pub xp_awarded: u32,
    /// The horse may train again from this instant (7 days later).
    pub next_eligible_at: String,
}

impl From<TrainingReport> for TrainingResultDto {
    fn from(r: TrainingReport) -> Self {
        Self {
            horse_id: r.horse_id.get(),
            discipline: r.discipline.name(),
            score_before: r.score_before.get(),
            score_after: r.score_after.get(),
            stat_gain: r.stat_gain.map(|g| StatGainDto {
                stat: g.stat.as_str(),
                amount: g.amount,
                new_value: g.new_value.get(),
            }),
            xp_awarded: r.xp_awarded,
            next_eligible_at: r.next_eligible_at.to_rfc3339(),
        }
    }
}

/// Train one of the caller's horses in a discipline.
#[utoipa::path(post, path = "/api/training/train", tag = "training", request_body = TrainRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "1-255 visible ASCII characters; a retry with the same key and request returns the first answer (see docs/API.md)")),
    security(("bearer" = [])), responses(
    (status = 200, description = "The session's effects", body = inline(Success<TrainingResultDto>), headers(("Idempotent-Replayed" = String, description = "`true` when this is the stored answer of an earlier request with the same Idempotency-Key"))),
    (status = 400, description = "Invalid input (unknown discipline or a malformed Idempotency-Key included)", body = crate::error::ErrorEnvelope),
    (status = 404, description = "No such horse of yours", body = crate::error::ErrorEnvelope),
    (status = 409, description = "IDEMPOTENCY_KEY_REUSED (the Idempotency-Key was used for another request) or IN_PROGRESS (a request with it is still running)", body = crate::error::ErrorEnvelope),
    (status = 422, description = "Ineligible: TOO_YOUNG, TOO_OLD, INJURED, ON_COOLDOWN (details.nextEligibleAt) or DISCIPLINE_NOT_ALLOWED", body = crate::error::ErrorEnvelope)))]
pub async fn train(
    state: web::Data<AppState>,
    user: AuthUser,
    Body(body): Body<TrainRequest>,
) -> Result<HttpResponse, ApiError> {
    validate! {
        horse_id = positive_id(body.horse_id).map(HorseId::new) => "horseId",
        discipline = Discipline::parse(&body.discipline) => "discipline",
    }
    let report = state.training.train(user.id, horse_id, discipline).await?;
    Ok(ok(TrainingResultDto::from(report)))
}

/// Whether a horse can train now, and its discipline scores.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrainingStatusDto {
    pub horse_id: i64,
    /// Can train now in at least one discipline its breed allows.
    pub eligible: bool,
    /// Why not: TOO_YOUNG, TOO_OLD, INJURED or ON_COOLDOWN. Absent when eligible.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// When the horse can train, if known: the end of the cooldown, or for a horse too young
    /// the later of its third birthday and the end of the cooldown. Absent when eligible now,
    /// injured or too old.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_eligible_at: Option<String>,
    /// Score (0-100) in each of the 23 disciplines, by name.
    pub discipline_scores: BTreeMap<&'static str, u8>,
    /// The disciplines this horse's breed may train in.
    pub allowed_disciplines: Vec<&'static str>,
}

impl From<TrainingStatus> for TrainingStatusDto {
    fn from(s: TrainingStatus) -> Self {
        Self {
            horse_id: s.horse_id.get(),
            eligible: s.eligible,
            reason: s.reason.map(|r| r.code()),
            next_eligible_at: s.next_eligible_at.map(|t| t.to_rfc3339()),
            discipline_scores: s
                .scores
                .into_iter()
                .map(|(d, score)| (d.name(), score.get()))
                .collect(),
            allowed_disciplines: s.allowed.into_iter().map(Discipline::name).collect(),
        }
    }
}

/// Training status of one of the caller's horses.
#[utoipa::path(get, path = "/api/training/status/{horseId}", tag = "training",
    params(("horseId" = i64, Path, description = "Horse id")),
    security(("bearer" = [])), responses(
    (status = 200, description = "Eligibility and scores", body = inline(Success<TrainingStatusDto>)),
    (status = 404, description = "No such horse of yours", body = crate::error::ErrorEnvelope)))]
pub async fn status(
    state: web::Data<AppState>,
    user: AuthUser,
    horse_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_horse_id(&horse_id)?;
    let status = state.training.status(user.id, id).await?;
    Ok(ok(TrainingStatusDto::from(status)))
}

/// The caller's horses that can train now (3-20 years old, healthy, off cooldown), in
/// purchase order.
#[utoipa::path(get, path = "/api/training/trainable", tag = "training", params(crate::dto::PageQuery),
    security(("bearer" = [])), responses(
    (status = 200, description = "Horses that can train now", body = inline(ListResponse<HorseDto>)),
    (status = 401, description = "Not authenticated", body = crate::error::ErrorEnvelope)))]
pub async fn trainable(
    state: web::Data<AppState>,
    user: AuthUser,
    Paging(page): Paging,
) -> Result<HttpResponse, ApiError> {
    let horses = state.training.trainable(user.id, page).await?;
    Ok(list(horses, |h| HorseDto::from(&h)))
}

/// A discipline and the stats that count in it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DisciplineDto {
    /// The name as the rules spell it; send it back as is.
    pub name: &'static str,
    /// Kebab-case form, also accepted as input.
    pub slug: &'static str,
    /// The three primary stats in order of weight (0.5, 0.3, 0.2 in show scores).
    pub primary_stats: [&'static str; 3],
    /// Only gaited breeds may train in and enter it.
    pub gaited_only: bool,
}

/// The 23 disciplines (public, cacheable).
#[utoipa::path(get, path = "/api/disciplines", tag = "training", responses(
    (status = 200, description = "All disciplines (with ETag and Cache-Control)", body = inline(Success<Vec<DisciplineDto>>)),
    (status = 304, description = "The client's copy (If-None-Match) is current")))]
pub async fn disciplines(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let data: Vec<DisciplineDto> = Discipline::ALL
        .into_iter()
        .map(|d| DisciplineDto {
            name: d.name(),
            slug: d.slug(),
            primary_stats: d.primary_stats().map(|s| s.as_str()),
            gaited_only: d.gaited_only(),
        })
        .collect();
    cacheable(
        &req,
        &Success {
            success: true,
            data,
        },
        DISCIPLINES_CACHE_CONTROL,
    )
}
