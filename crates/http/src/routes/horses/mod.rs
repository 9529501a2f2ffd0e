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
//! - A path id that is not a positive whole number is a 404 (no such resource); a body id that
//!   is not one is a 400 `VALIDATION_FAILED` on its field (see `crate::extract::positive_id`).
//! - Buying with a `breedId` that names no breed is a 400 `VALIDATION_FAILED` on `breedId`.
//! - List: `sort` is `name`, `age`, `earnings` or `createdAt` (default), ascending; prefix `-`
//!   for descending (`sort=-earnings`). Ties break by id in the same direction. `minAge` and
//!   `maxAge` are whole game years 0-1000, inclusive; `name` is a case-insensitive substring.
//!
//! The handlers are split by effect: `reads` (list, view, XP, history, results) and
//! `writes` (buy, rename, delete, spend a stat point); this module holds the wire shapes they
//! share.

mod reads;
mod writes;

pub use reads::*;
pub use writes::*;

use equoria_application::horses::{Horse, HorseResult, HorseXpStatus};
use equoria_domain::stats::STAT_COUNT;
use equoria_domain::{HorseId, Stat, Stats};
use std::borrow::Cow;

use serde::Serialize;
use serde::ser::{SerializeStruct, Serializer};
use utoipa::openapi::{ObjectBuilder, RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

use crate::ApiError;

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
    /// The public fields of `h`.
    pub fn new(h: &Horse) -> Self {
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

/// A horse id from the path: anything but a positive whole number names no horse (404).
pub fn parse_horse_id(raw: &str) -> Result<HorseId, ApiError> {
    crate::dto::path_id(raw)
        .map(HorseId::new)
        .ok_or_else(ApiError::not_found)
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
