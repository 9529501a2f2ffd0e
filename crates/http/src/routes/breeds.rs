//! `/api/breeds`: the breeds and their mean starting stats. Public and cacheable: every answer
//! carries a strong `ETag` (a hash of the exact body) and `Cache-Control`, and a request whose
//! `If-None-Match` matches gets `304 Not Modified` with no body.

use actix_web::{HttpRequest, HttpResponse, web};
use equoria_application::horses::Breed;
use serde::Serialize;
use utoipa::ToSchema;

use super::horses::StatsDto;
use crate::caching::cacheable;
use crate::dto::{ListResponse, Pagination, Paging, Success};
use crate::{ApiError, AppState};

/// How long clients and shared caches may reuse a breed answer without revalidating.
pub const BREEDS_CACHE_CONTROL: &str = "public, max-age=300";

/// A breed with its mean starting stats (horses bought of this breed roll each stat as
/// `round(Normal(mean, 3))` clamped to 1-100).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BreedDto {
    pub id: i64,
    pub name: String,
    /// Gaited breeds, and only they, may train in and enter the Gaited discipline.
    pub gaited: bool,
    pub description: Option<String>,
    pub stat_means: StatsDto,
}

impl From<Breed> for BreedDto {
    fn from(b: Breed) -> Self {
        Self {
            id: b.id.get(),
            stat_means: StatsDto::from_array(b.means),
            name: b.name,
            gaited: b.gaited,
            description: b.description,
        }
    }
}

/// Every breed, in id order (paginated like every list; one page of the default size holds
/// the 12 seeded breeds).
#[utoipa::path(get, path = "/api/breeds", tag = "breeds", params(crate::dto::PageQuery,
    ("If-None-Match" = Option<String>, Header, description = "ETag of a copy the client holds")),
    responses(
    (status = 200, description = "Breeds (with ETag and Cache-Control)", body = inline(ListResponse<BreedDto>)),
    (status = 304, description = "The client's copy (If-None-Match) is current"),
    (status = 400, description = "Bad page or limit", body = crate::error::ErrorEnvelope)))]
pub async fn list_breeds(
    req: HttpRequest,
    state: web::Data<AppState>,
    Paging(page): Paging,
) -> Result<HttpResponse, ApiError> {
    let breeds = state.horses.breeds().await?;
    let total = i64::try_from(breeds.len()).unwrap_or(i64::MAX);
    let offset = usize::try_from(page.offset()).unwrap_or(usize::MAX);
    let data: Vec<BreedDto> = breeds
        .into_iter()
        .skip(offset)
        .take(page.limit() as usize)
        .map(BreedDto::from)
        .collect();
    let shown = i64::try_from(data.len()).unwrap_or(0);
    let body = ListResponse {
        success: true,
        pagination: Pagination {
            page: page.number(),
            limit: page.limit(),
            total,
            has_more: page.offset() + shown < total,
        },
        data,
    };
    cacheable(&req, &body, BREEDS_CACHE_CONTROL)
}

/// One breed.
#[utoipa::path(get, path = "/api/breeds/{id}", tag = "breeds", params(("id" = i64, Path, description = "Breed id"),
    ("If-None-Match" = Option<String>, Header, description = "ETag of a copy the client holds")),
    responses(
    (status = 200, description = "The breed (with ETag and Cache-Control)", body = inline(Success<BreedDto>)),
    (status = 304, description = "The client's copy (If-None-Match) is current"),
    (status = 404, description = "No such breed", body = crate::error::ErrorEnvelope)))]
pub async fn get_breed(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .map(equoria_domain::BreedId::new)
        .ok_or_else(ApiError::not_found)?;
    let breed = state.horses.breed(id).await?;
    cacheable(
        &req,
        &Success {
            success: true,
            data: BreedDto::from(breed),
        },
        BREEDS_CACHE_CONTROL,
    )
}
