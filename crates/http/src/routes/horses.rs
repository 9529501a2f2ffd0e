//! `/api/horses`: buying, listing, viewing, renaming and deleting horses, horse XP, stat
//! points and results.
//!
//! Decisions this module documents (and the OpenAPI document repeats):
//! - `GET /api/horses/{id}` answers any authenticated player. The owner gets the full horse;
//!   anyone else gets the public fields only (id, ownerId, name, breed, sex, age, level,
//!   earnings, createdAt): stats, XP, stat points, health, date of birth and training cooldown
//!   are the owner's business.
//! - Owner-only routes (`PATCH`, `DELETE`, `/xp`, `/allocate-stat`, `/xp-history`) answer 404 for
//!   someone else's horse, exactly as for a horse that does not exist. `/results` is public
//!   history (show results are public) and answers any authenticated player.
//! - A path id that is not a positive whole number is a 404 (no such resource).
//! - Buying with a `breedId` that names no breed is a 400 `VALIDATION_FAILED` on `breedId`.
//! - List: `sort` is `name`, `age`, `earnings` or `createdAt` (default), ascending; prefix `-`
//!   for descending (`sort=-earnings`). Ties break by id in the same direction. `minAge` and
//!   `maxAge` are whole game years 0-1000, inclusive; `name` is a case-insensitive substring.

use std::borrow::Cow;
use std::fmt;
use std::sync::LazyLock;

use actix_web::{HttpRequest, HttpResponse, web};
use equoria_application::horses::{
    Horse, HorseError, HorseFilter, HorseResult, HorseSort, HorseSortKey, HorseXpStatus, Purchase,
};
use equoria_domain::horse::{HorseName, HorseNameError, PurchaseAge, Sex};
use equoria_domain::stats::{STAT_COUNT, StatNames};
use equoria_domain::{BreedId, HorseId, Stat, Stats};
use serde::Serialize;
use serde::ser::{SerializeStruct, Serializer};
use serde_json::json;
use utoipa::openapi::{ObjectBuilder, RefOr, Schema};
use utoipa::{IntoParams, PartialSchema, ToSchema};

use crate::dto::{
    ListResponse, Paging, Success, XpEventDto, created, list, ok, page_from, query_pairs,
};
use crate::error::FieldError;
use crate::extract::{Body, Fields, FromBody};
use crate::security::auth::AuthUser;
use crate::{ApiError, AppState, validate};

/// The 12 stats, each 0-100: one field per stat, named and ordered as the domain's
/// [`Stat::ALL`] (`{"speed": 61, "stamina": 55, ...}`).
#[derive(Debug, Clone, Copy)]
pub struct StatsDto([u8; STAT_COUNT]);

impl StatsDto {
    /// Values in rule order (see [`Stat::ALL`]).
    pub fn from_array(values: [u8; STAT_COUNT]) -> Self {
        Self(values)
    }
}

impl Serialize for StatsDto {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut fields = serializer.serialize_struct("StatsDto", STAT_COUNT)?;
        for (stat, value) in Stat::ALL.into_iter().zip(self.0) {
            fields.serialize_field(stat.as_str(), &value)?;
        }
        fields.end()
    }
}

impl PartialSchema for StatsDto {
    fn schema() -> RefOr<Schema> {
        let object = ObjectBuilder::new().description(Some("The 12 stats, each 0-100."));
        Stat::ALL
            .into_iter()
            .fold(object, |object, stat| {
                object
                    .property(stat.as_str(), u8::schema())
                    .required(stat.as_str())
            })
            .into()
    }
}

impl ToSchema for StatsDto {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("StatsDto")
    }
}

impl From<&Stats> for StatsDto {
    fn from(stats: &Stats) -> Self {
        Self::from_array(stats.to_array())
    }
}

/// A horse's breed, by id and name.
#[derive(Debug, Serialize, ToSchema)]
pub struct BreedRefDto {
    pub id: i64,
    pub name: String,
}

/// What any authenticated player may see of a horse.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublicHorseDto {
    pub id: i64,
    pub owner_id: i64,
    pub name: String,
    pub breed: BreedRefDto,
    /// `Stallion`, `Mare`, `Gelding`, `Colt` or `Filly`.
    pub sex: &'static str,
    /// Whole game years (one game year = 7 real days), computed from the date of birth.
    pub age: u32,
    /// `floor(xp / 100) + 1`.
    pub level: u32,
    /// Total prize money won, whole coins.
    pub earnings: i64,
    pub created_at: String,
}

/// The full horse, as its owner sees it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HorseDto {
    #[serde(flatten)]
    pub public: PublicHorseDto,
    pub date_of_birth: String,
    pub stats: StatsDto,
    /// `healthy` or `injured`.
    pub health: &'static str,
    /// Horse XP (from competitions).
    pub xp: u32,
    pub stat_points_spent: u32,
    /// `floor(xp / 100) - statPointsSpent`.
    pub stat_points_available: u32,
    /// When the current training cooldown ends; null if the horse never trained.
    pub training_cooldown_end: Option<String>,
    pub updated_at: String,
}

impl PublicHorseDto {
    fn new(h: &Horse) -> Self {
        let r = &h.record;
        Self {
            id: r.id.get(),
            owner_id: r.owner_id.get(),
            name: r.name.clone(),
            breed: BreedRefDto {
                id: r.breed_id.get(),
                name: r.breed_name.clone(),
            },
            sex: r.sex.as_str(),
            age: h.age,
            level: r.level().get(),
            earnings: r.earnings.coins(),
            created_at: r.created_at.to_rfc3339(),
        }
    }
}

impl From<&Horse> for HorseDto {
    fn from(h: &Horse) -> Self {
        let r = &h.record;
        Self {
            public: PublicHorseDto::new(h),
            date_of_birth: r.date_of_birth.to_rfc3339(),
            stats: StatsDto::from(&r.stats),
            health: r.health.as_str(),
            xp: r.xp,
            stat_points_spent: r.stat_points_spent,
            stat_points_available: r.stat_points_available(),
            training_cooldown_end: r.training_cooldown_end.map(|t| t.to_rfc3339()),
            updated_at: r.updated_at.to_rfc3339(),
        }
    }
}

/// A field message that says what was expected and never echoes the value.
#[derive(Debug, Clone, Copy)]
pub struct Expected(pub &'static str);

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

pub fn expected<T, E>(result: Result<T, E>, message: &'static str) -> Result<T, Expected> {
    result.map_err(|_| Expected(message))
}

fn parse_name(raw: &str) -> Result<HorseName, Expected> {
    HorseName::parse(raw).map_err(|e| {
        Expected(match e {
            HorseNameError::TooShort { .. } => "must be at least 2 characters after trimming",
            HorseNameError::TooLong { .. } => "must be at most 50 characters",
            HorseNameError::ControlCharacter { .. } => "must not contain control or invisible formatting characters (such as bidi overrides or zero-width characters)",
        })
    })
}

/// A positive id from a request body.
pub fn positive_id(raw: i64) -> Result<i64, Expected> {
    if raw > 0 {
        Ok(raw)
    } else {
        Err(Expected("must be a positive whole number"))
    }
}

/// A horse id from the path: anything but a positive whole number names no horse (404).
pub fn parse_horse_id(raw: &str) -> Result<HorseId, ApiError> {
    crate::dto::path_id(raw)
        .map(HorseId::new)
        .ok_or_else(ApiError::not_found)
}

/// The one mapping of horse errors to HTTP.
pub fn horse_error(err: HorseError) -> ApiError {
    use actix_web::http::StatusCode;
    match err {
        HorseError::NotFound | HorseError::BreedNotFound => ApiError::not_found(),
        HorseError::UnknownBreed => ApiError::validation(vec![FieldError {
            field: "breedId".to_owned(),
            message: "does not name a known breed (see GET /api/breeds)".to_owned(),
        }]),
        HorseError::InsufficientFunds { price } => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "INSUFFICIENT_FUNDS",
            format!("You do not have enough money: a horse costs {price} coins."),
        )
        .with_details(json!({ "price": price })),
        HorseError::HorseLimitReached { limit } => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "HORSE_LIMIT_REACHED",
            format!("You already own the maximum of {limit} horses."),
        )
        .with_details(json!({ "limit": limit })),
        HorseError::Entered => ApiError::new(
            StatusCode::CONFLICT,
            "HORSE_ENTERED",
            "The horse is entered in a show that has not run yet; it can be deleted once the show has run.",
        ),
        HorseError::Allocation(reason) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            reason.code(),
            match reason {
                equoria_domain::progression::AllocationRefused::NoPointsAvailable => {
                    "The horse has no stat points to spend: each 100 horse XP earns one."
                }
                equoria_domain::progression::AllocationRefused::StatAtMaximum { .. } => {
                    "That stat is already at the maximum of 100."
                }
            },
        ),
        HorseError::Store(err) => err.into(),
    }
}

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
    security(("bearer" = [])), responses(
    (status = 201, description = "The new horse, with server-rolled stats", body = inline(Success<HorseDto>)),
    (status = 400, description = "Invalid input (unknown breedId included)", body = crate::error::ErrorEnvelope),
    (status = 401, description = "Not authenticated", body = crate::error::ErrorEnvelope),
    (status = 422, description = "INSUFFICIENT_FUNDS or HORSE_LIMIT_REACHED (100 horses)", body = crate::error::ErrorEnvelope)))]
pub async fn buy_horse(
    state: web::Data<AppState>,
    user: AuthUser,
    Body(body): Body<BuyHorseRequest>,
) -> Result<HttpResponse, ApiError> {
    validate! {
        name = parse_name(&body.name) => "name",
        breed_id = positive_id(body.breed_id).map(BreedId::new) => "breedId",
        sex = expected(Sex::parse(&body.sex), "must be one of Stallion, Mare, Gelding, Colt, Filly") => "sex",
        age = expected(
            body.age.map_or(Ok(PurchaseAge::DEFAULT), PurchaseAge::try_from),
            "must be a whole number of years from 0 to 20",
        ) => "age",
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
        .await
        .map_err(horse_error)?;
    Ok(created(HorseDto::from(&horse)))
}

/// Query of `GET /api/horses`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
#[allow(dead_code)]
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
        match raw.parse::<i64>().ok().filter(|id| *id > 0) {
            Some(id) => filter.breed_id = Some(BreedId::new(id)),
            None => fail("breedId", "must be a positive whole number"),
        }
    }
    if let Some(raw) = get("sex") {
        match Sex::parse(raw) {
            Ok(sex) => filter.sex = Some(sex),
            Err(_) => fail("sex", "must be one of Stallion, Mare, Gelding, Colt, Filly"),
        }
    }
    for (field, slot) in [
        ("minAge", &mut filter.min_age),
        ("maxAge", &mut filter.max_age),
    ] {
        if let Some(raw) = get(field) {
            match raw.parse::<u32>().ok().filter(|a| *a <= MAX_AGE_FILTER) {
                Some(age) => *slot = Some(age),
                None => fail(field, "must be a whole number of years from 0 to 1000"),
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
            fail("name", "must be 1-50 characters");
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
    let horses = state
        .horses
        .list(user.id, filter, page)
        .await
        .map_err(horse_error)?;
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
    let horse = state.horses.horse(id).await.map_err(horse_error)?;
    if horse.record.owner_id == user.id {
        Ok(ok(HorseDto::from(&horse)))
    } else {
        Ok(ok(PublicHorseDto::new(&horse)))
    }
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
    validate! { name = parse_name(&body.name) => "name" }
    let horse = state
        .horses
        .rename(user.id, id, name)
        .await
        .map_err(horse_error)?;
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
    state
        .horses
        .delete(user.id, id)
        .await
        .map_err(horse_error)?;
    Ok(HttpResponse::NoContent().finish())
}

/// A horse's XP and stat points.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HorseXpDto {
    pub horse_id: i64,
    pub xp: u32,
    pub level: u32,
    /// One per full 100 XP.
    pub stat_points_earned: u32,
    pub stat_points_spent: u32,
    pub stat_points_available: u32,
    /// XP still missing for the next stat point (`100 - xp % 100`).
    pub xp_to_next_stat_point: u32,
}

impl From<HorseXpStatus> for HorseXpDto {
    fn from(s: HorseXpStatus) -> Self {
        Self {
            horse_id: s.horse_id.get(),
            xp: s.xp,
            level: s.level,
            stat_points_earned: s.stat_points_earned,
            stat_points_spent: s.stat_points_spent,
            stat_points_available: s.stat_points_available,
            xp_to_next_stat_point: s.xp_to_next_stat_point,
        }
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
    let status = state
        .horses
        .xp_status(user.id, id)
        .await
        .map_err(horse_error)?;
    Ok(ok(HorseXpDto::from(status)))
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

/// What spending a stat point did.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AllocationDto {
    pub horse_id: i64,
    pub stat: &'static str,
    pub new_value: u8,
    pub stat_points_spent: u32,
    pub stat_points_available: u32,
    pub stats: StatsDto,
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
        stat = expected(
            Stat::parse(&body.stat),
            unknown_stat_message(),
        ) => "stat",
    }
    let done = state
        .horses
        .allocate_stat_point(user.id, id, stat)
        .await
        .map_err(horse_error)?;
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

/// `must be one of speed, stamina, ...`: the field error for a name that is not a stat.
fn unknown_stat_message() -> &'static str {
    static MESSAGE: LazyLock<String> = LazyLock::new(|| format!("must be one of {StatNames}"));
    MESSAGE.as_str()
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
    let events = state
        .horses
        .xp_history(user.id, id, page)
        .await
        .map_err(horse_error)?;
    Ok(list(events, XpEventDto::from))
}

/// One placement of a horse in a show that ran.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HorseResultDto {
    pub id: i64,
    pub show_id: i64,
    pub show_name: String,
    pub discipline: String,
    /// 1 = winner.
    pub placement: u32,
    /// Final score, 2 decimals.
    pub score: f64,
    /// Prize money won, whole coins.
    pub prize: i64,
    pub horse_xp_awarded: i32,
    pub created_at: String,
}

impl From<HorseResult> for HorseResultDto {
    fn from(r: HorseResult) -> Self {
        Self {
            id: r.id,
            show_id: r.show_id.get(),
            show_name: r.show_name,
            discipline: r.discipline,
            placement: r.placement,
            score: f64::from(r.score_hundredths) / 100.0,
            prize: r.prize,
            horse_xp_awarded: r.horse_xp_awarded,
            created_at: r.created_at.to_rfc3339(),
        }
    }
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
    let results = state.horses.results(id, page).await.map_err(horse_error)?;
    Ok(list(results, HorseResultDto::from))
}
