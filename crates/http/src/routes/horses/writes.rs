//! The horse routes that change a horse: buy, rename, delete and spend a stat point.

use actix_web::{HttpResponse, web};
use equoria_application::horses::Purchase;
use equoria_domain::horse::{HorseName, PurchaseAge, Sex};
use equoria_domain::{BreedId, Stat};
use utoipa::ToSchema;

use super::{AllocationDto, HorseDto, StatsDto, parse_horse_id};
use crate::dto::{Success, created, ok};
use crate::extract::{Body, Fields, FromBody, positive_id};
use crate::security::auth::AuthUser;
use crate::{ApiError, AppState, validate};

/// Body of `POST /api/horses`. Stats are never sent: they are rolled by the server.
#[derive(Debug, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BuyHorseRequest {
    /// 2-50 characters after trimming, no control or invisible formatting characters.
    name: String,
    /// Id of a breed (see `GET /api/breeds`).
    breed_id: i64,
    /// `Stallion`, `Mare`, `Gelding`, `Colt` or `Filly` (any case).
    sex: String,
    /// Age in whole game years, 0-20 (default 3).
    #[schema(minimum = 0, maximum = 20)]
    age: Option<i64>,
}

impl FromBody for BuyHorseRequest {
    fn from_body(f: &mut Fields) -> Self {
        Self {
            name: f.required("name"),
            breed_id: f.required("breedId"),
            sex: f.required("sex"),
            age: f.optional("age"),
        }
    }
}

/// Buy a horse for 1,000 coins.
#[utoipa::path(post, path = "/api/horses", tag = "horses", request_body = BuyHorseRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "1-255 visible ASCII characters; a retry with the same key and request returns the first answer (see docs/API.md)")),
    security(("bearer" = [])), responses(
    (status = 201, description = "The new horse, with server-rolled stats", body = inline(Success<HorseDto>), headers(("Idempotent-Replayed" = String, description = "`true` when this is the stored answer of an earlier request with the same Idempotency-Key"))),
    (status = 400, description = "Invalid input (unknown breedId or a malformed Idempotency-Key included)", body = crate::error::ErrorEnvelope),
    (status = 401, description = "Not authenticated", body = crate::error::ErrorEnvelope),
    (status = 409, description = "IDEMPOTENCY_KEY_REUSED (the Idempotency-Key was used for another request) or IN_PROGRESS (a request with it is still running)", body = crate::error::ErrorEnvelope),
    (status = 422, description = "INSUFFICIENT_FUNDS or HORSE_LIMIT_REACHED (100 horses)", body = crate::error::ErrorEnvelope)))]
pub async fn buy_horse(
    state: web::Data<AppState>,
    user: AuthUser,
    Body(body): Body<BuyHorseRequest>,
) -> Result<HttpResponse, ApiError> {
    validate! {
        name = HorseName::parse(&body.name) => "name",
        breed_id = positive_id(body.breed_id).map(BreedId::new) => "breedId",
        sex = Sex::parse(&body.sex) => "sex",
        age = body.age.map_or(Ok(PurchaseAge::DEFAULT), PurchaseAge::try_from) => "age",
    }
    let horse = state
        .horses
        .buy(
            user.id,
            Purchase {
                name,
                breed_id,
                sex,
                age,
            },
        )
        .await?;
    Ok(created(HorseDto::from(&horse)))
}

/// Body of `PATCH /api/horses/{id}`.
#[derive(Debug, ToSchema)]
pub struct RenameHorseRequest {
    /// 2-50 characters after trimming, no control or invisible formatting characters.
    name: String,
}

impl FromBody for RenameHorseRequest {
    fn from_body(f: &mut Fields) -> Self {
        Self {
            name: f.required("name"),
        }
    }
}

/// Rename a horse (owner only).
#[utoipa::path(patch, path = "/api/horses/{id}", tag = "horses", params(("id" = i64, Path, description = "Horse id")),
    request_body = RenameHorseRequest, security(("bearer" = [])), responses(
    (status = 200, description = "The renamed horse", body = inline(Success<HorseDto>)),
    (status = 400, description = "Invalid name", body = crate::error::ErrorEnvelope),
    (status = 404, description = "No such horse of yours", body = crate::error::ErrorEnvelope)))]
pub async fn rename_horse(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    Body(body): Body<RenameHorseRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_horse_id(&id)?;
    validate! { name = HorseName::parse(&body.name) => "name" }
    let horse = state.horses.rename(user.id, id, name).await?;
    Ok(ok(HorseDto::from(&horse)))
}

/// Delete a horse (owner only). Its past results stay, under the name it competed with.
#[utoipa::path(delete, path = "/api/horses/{id}", tag = "horses", params(("id" = i64, Path, description = "Horse id")),
    security(("bearer" = [])), responses(
    (status = 204, description = "Deleted"),
    (status = 404, description = "No such horse of yours", body = crate::error::ErrorEnvelope),
    (status = 409, description = "HORSE_ENTERED: entered in a show that has not run", body = crate::error::ErrorEnvelope)))]
pub async fn delete_horse(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_horse_id(&id)?;
    state.horses.delete(user.id, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Body of `POST /api/horses/{id}/allocate-stat`.
#[derive(Debug, ToSchema)]
pub struct AllocateStatRequest {
    /// One of the 12 stat names (`speed`, `stamina`, ...; any case).
    stat: String,
}

impl FromBody for AllocateStatRequest {
    fn from_body(f: &mut Fields) -> Self {
        Self {
            stat: f.required("stat"),
        }
    }
}

/// Spend one stat point: +1 to a stat, never above 100 (owner only).
#[utoipa::path(post, path = "/api/horses/{id}/allocate-stat", tag = "horses", params(("id" = i64, Path, description = "Horse id")),
    request_body = AllocateStatRequest, security(("bearer" = [])), responses(
    (status = 200, description = "The point was spent", body = inline(Success<AllocationDto>)),
    (status = 400, description = "Unknown stat", body = crate::error::ErrorEnvelope),
    (status = 404, description = "No such horse of yours", body = crate::error::ErrorEnvelope),
    (status = 422, description = "NO_STAT_POINTS or STAT_AT_MAXIMUM", body = crate::error::ErrorEnvelope)))]
pub async fn allocate_stat(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    Body(body): Body<AllocateStatRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_horse_id(&id)?;
    validate! {
        stat = Stat::parse(&body.stat) => "stat",
    }
    let done = state.horses.allocate_stat_point(user.id, id, stat).await?;
    let r = &done.horse.record;
    Ok(ok(AllocationDto {
        horse_id: r.id.get(),
        stat: done.stat.as_str(),
        new_value: done.new_value,
        stat_points_spent: r.stat_points_spent,
        stat_points_available: r.stat_points_available(),
        stats: StatsDto::from(&r.stats),
    }))
}
