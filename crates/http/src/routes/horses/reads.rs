//! The horse routes that change nothing: list, view, XP status, XP history and results.

use actix_web::{HttpRequest, HttpResponse, web};
use equoria_application::horses::{HorseFilter, HorseSort, HorseSortKey};
use equoria_domain::BreedId;
use equoria_domain::ClientMessage;
use equoria_domain::horse::{HorseName, Sex};
use utoipa::IntoParams;

use super::{HorseDto, HorseResultDto, HorseXpDto, PublicHorseDto, parse_horse_id};
use crate::dto::{ListResponse, Paging, Success, XpEventDto, list, ok, page_from, query_pairs};
use crate::error::FieldError;
use crate::extract::positive_id_text;
use crate::security::auth::AuthUser;
use crate::{ApiError, AppState};

/// Query of `GET /api/horses`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
#[expect(dead_code)]
pub struct HorseListQuery {
    /// Page number, from 1 (default 1).
    page: Option<u32>,
    /// Items per page, 1-100 (default 20).
    limit: Option<u32>,
    /// Only horses of this breed.
    breed_id: Option<i64>,
    /// Only horses of this sex.
    sex: Option<String>,
    /// Only horses at least this old (whole game years, 0-1000).
    min_age: Option<u32>,
    /// Only horses at most this old (whole game years, 0-1000).
    max_age: Option<u32>,
    /// Case-insensitive substring of the name (1-50 characters).
    name: Option<String>,
    /// `name`, `age`, `earnings` or `createdAt` (default); prefix `-` for descending.
    sort: Option<String>,
}

/// Largest age a list filter accepts (an HTTP bound on the query, not a game rule).
const MAX_AGE_FILTER: u32 = 1000;

fn parse_filter(pairs: &[(String, String)], errors: &mut Vec<FieldError>) -> HorseFilter {
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let mut fail = |field: &str, message: &str| {
        errors.push(FieldError {
            field: field.to_owned(),
            message: message.to_owned(),
        });
    };
    let mut filter = HorseFilter::default();
    if let Some(raw) = get("breedId") {
        match positive_id_text(raw) {
            Ok(id) => filter.breed_id = Some(BreedId::new(id)),
            Err(e) => fail("breedId", &e.client_message()),
        }
    }
    if let Some(raw) = get("sex") {
        match Sex::parse(raw) {
            Ok(sex) => filter.sex = Some(sex),
            Err(e) => fail("sex", &e.client_message()),
        }
    }
    for (field, slot) in [
        ("minAge", &mut filter.min_age),
        ("maxAge", &mut filter.max_age),
    ] {
        if let Some(raw) = get(field) {
            match raw.parse::<u32>().ok().filter(|a| *a <= MAX_AGE_FILTER) {
                Some(age) => *slot = Some(age),
                None => fail(
                    field,
                    &format!("must be a whole number of years from 0 to {MAX_AGE_FILTER}"),
                ),
            }
        }
    }
    if let (Some(min), Some(max)) = (filter.min_age, filter.max_age)
        && min > max
    {
        fail("maxAge", "must not be less than minAge");
    }
    if let Some(raw) = get("name") {
        let count = raw.chars().count();
        if count == 0 || count > HorseName::MAX_CHARS {
            fail(
                "name",
                &format!("must be 1-{} characters", HorseName::MAX_CHARS),
            );
        } else {
            filter.name = Some(raw.to_owned());
        }
    }
    if let Some(raw) = get("sort") {
        let (descending, key) = match raw.strip_prefix('-') {
            Some(key) => (true, key),
            None => (false, raw),
        };
        let key = match key {
            "name" => Some(HorseSortKey::Name),
            "age" => Some(HorseSortKey::Age),
            "earnings" => Some(HorseSortKey::Earnings),
            "createdAt" => Some(HorseSortKey::CreatedAt),
            _ => None,
        };
        match key {
            Some(key) => filter.sort = HorseSort { key, descending },
            None => fail(
                "sort",
                "must be name, age, earnings or createdAt, optionally prefixed with - for descending",
            ),
        }
    }
    filter
}

/// The caller's horses.
#[utoipa::path(get, path = "/api/horses", tag = "horses", params(HorseListQuery),
    security(("bearer" = [])), responses(
    (status = 200, description = "The caller's horses (full view)", body = inline(ListResponse<HorseDto>)),
    (status = 400, description = "A filter, sort or paging parameter is invalid (named in errors)", body = crate::error::ErrorEnvelope),
    (status = 401, description = "Not authenticated", body = crate::error::ErrorEnvelope)))]
pub async fn list_horses(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    let pairs = query_pairs(&req);
    let mut errors = Vec::new();
    let page = page_from(&pairs, &mut errors);
    let filter = parse_filter(&pairs, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let horses = state.horses.list(user.id, filter, page).await?;
    Ok(list(horses, |h| HorseDto::from(&h)))
}

/// One horse: the full horse for its owner, the public fields for anyone else.
#[utoipa::path(get, path = "/api/horses/{id}", tag = "horses", params(("id" = i64, Path, description = "Horse id")),
    security(("bearer" = [])), responses(
    (status = 200, description = "The owner gets HorseDto; any other player gets PublicHorseDto (id, ownerId, name, breed, sex, age, level, earnings, createdAt)", body = inline(Success<HorseDto>)),
    (status = 401, description = "Not authenticated", body = crate::error::ErrorEnvelope),
    (status = 404, description = "No such horse", body = crate::error::ErrorEnvelope)))]
pub async fn get_horse(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_horse_id(&id)?;
    let horse = state.horses.horse(id).await?;
    if horse.record.owner_id == user.id {
        Ok(ok(HorseDto::from(&horse)))
    } else {
        Ok(ok(PublicHorseDto::new(&horse)))
    }
}

/// A horse's XP status (owner only).
#[utoipa::path(get, path = "/api/horses/{id}/xp", tag = "horses", params(("id" = i64, Path, description = "Horse id")),
    security(("bearer" = [])), responses(
    (status = 200, description = "XP and stat points", body = inline(Success<HorseXpDto>)),
    (status = 404, description = "No such horse of yours", body = crate::error::ErrorEnvelope)))]
pub async fn horse_xp(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_horse_id(&id)?;
    let status = state.horses.xp_status(user.id, id).await?;
    Ok(ok(HorseXpDto::from(status)))
}

/// A horse's XP events, newest first (owner only).
#[utoipa::path(get, path = "/api/horses/{id}/xp-history", tag = "horses",
    params(("id" = i64, Path, description = "Horse id"), crate::dto::PageQuery),
    security(("bearer" = [])), responses(
    (status = 200, description = "XP events", body = inline(ListResponse<XpEventDto>)),
    (status = 404, description = "No such horse of yours", body = crate::error::ErrorEnvelope)))]
pub async fn horse_xp_history(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    Paging(page): Paging,
) -> Result<HttpResponse, ApiError> {
    let id = parse_horse_id(&id)?;
    let events = state.horses.xp_history(user.id, id, page).await?;
    Ok(list(events, XpEventDto::from))
}

/// A horse's competition results, newest first (public history: any authenticated player).
#[utoipa::path(get, path = "/api/horses/{id}/results", tag = "horses",
    params(("id" = i64, Path, description = "Horse id"), crate::dto::PageQuery),
    security(("bearer" = [])), responses(
    (status = 200, description = "Results", body = inline(ListResponse<HorseResultDto>)),
    (status = 404, description = "No such horse", body = crate::error::ErrorEnvelope)))]
pub async fn horse_results(
    state: web::Data<AppState>,
    _user: AuthUser,
    id: web::Path<String>,
    Paging(page): Paging,
) -> Result<HttpResponse, ApiError> {
    let id = parse_horse_id(&id)?;
    let results = state.horses.results(id, page).await?;
    Ok(list(results, HorseResultDto::from))
}
