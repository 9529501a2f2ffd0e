//! What the horse use cases need from storage.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use equoria_domain::horse::{Health, HorseName, Sex, age_in_years};
use equoria_domain::progression::{Level, available_stat_points};
use equoria_domain::stats::STAT_COUNT;
use equoria_domain::{BreedId, HorseId, Money, ShowId, Stat, Stats, UserId};

use crate::StoreError;
use crate::paging::{Page, Paged};

/// A stored breed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breed {
    pub id: BreedId,
    pub name: String,
    /// Mean starting stats in rule order (see [`Stat::ALL`]).
    pub means: [u8; STAT_COUNT],
    pub gaited: bool,
    pub description: Option<String>,
}

impl Breed {
    /// Rolls starting stats from this breed's means (domain rule).
    pub fn roll_stats(&self, rng: &mut impl rand::Rng) -> Stats {
        equoria_domain::breed::roll_stats(self.means, rng)
    }
}

/// A stored horse with its breed's name and gaitedness (one joined read).
///
/// Age is not here: it depends on "now" (see [`HorseRecord::age`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HorseRecord {
    pub id: HorseId,
    pub owner_id: UserId,
    pub name: String,
    pub breed_id: BreedId,
    pub breed_name: String,
    pub breed_gaited: bool,
    pub sex: Sex,
    pub date_of_birth: DateTime<Utc>,
    pub stats: Stats,
    pub health: Health,
    /// Horse XP (competition only), never negative.
    pub xp: u32,
    pub stat_points_spent: u32,
    /// Total prize money won.
    pub earnings: Money,
    /// `None` when the horse never trained.
    pub training_cooldown_end: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl HorseRecord {
    /// Age in whole game years at `now`.
    pub fn age(&self, now: DateTime<Utc>) -> u32 {
        age_in_years(self.date_of_birth, now)
    }

    pub fn level(&self) -> Level {
        Level::from_xp(self.xp)
    }

    pub fn stat_points_available(&self) -> u32 {
        available_stat_points(self.xp, self.stat_points_spent)
    }
}

/// A horse about to be bought: everything already decided by the rules.
#[derive(Debug, Clone)]
pub struct NewHorse {
    pub breed_id: BreedId,
    pub name: HorseName,
    pub sex: Sex,
    pub date_of_birth: DateTime<Utc>,
    pub stats: Stats,
}

/// Why a purchase was refused by the store's transaction.
#[derive(Debug, thiserror::Error)]
pub enum PurchaseRefused {
    #[error("insufficient funds")]
    InsufficientFunds,
    #[error("horse limit reached")]
    HorseLimitReached,
    #[error("unknown breed")]
    UnknownBreed,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Sort key of the horse list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HorseSortKey {
    Name,
    Age,
    Earnings,
    #[default]
    CreatedAt,
}

/// Sort order of the horse list; ties always break by id (same direction).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HorseSort {
    pub key: HorseSortKey,
    pub descending: bool,
}

/// Filters of the owner's horse list, already parsed.
#[derive(Debug, Clone, Default)]
pub struct HorseFilter {
    pub breed_id: Option<BreedId>,
    pub sex: Option<Sex>,
    /// Inclusive, whole game years.
    pub min_age: Option<u32>,
    /// Inclusive, whole game years.
    pub max_age: Option<u32>,
    /// Case-insensitive substring of the name.
    pub name: Option<String>,
    pub sort: HorseSort,
}

/// The filter translated to stored columns: ages become date-of-birth bounds at one instant.
#[derive(Debug, Clone, Default)]
pub struct HorseListQuery {
    pub breed_id: Option<BreedId>,
    pub sex: Option<Sex>,
    /// `date_of_birth <= born_at_or_before` (age >= min).
    pub born_at_or_before: Option<DateTime<Utc>>,
    /// `date_of_birth > born_after` (age <= max).
    pub born_after: Option<DateTime<Utc>>,
    pub name_contains: Option<String>,
    pub sort: HorseSort,
}

/// Outcome of the conditional stat-point update.
#[derive(Debug, Clone)]
pub enum AllocationAttempt {
    /// The point was spent; the horse as it is now.
    Applied(HorseRecord),
    /// The conditions did not hold (no point left or stat at 100); the horse as it is now.
    Refused(HorseRecord),
    /// No such horse owned by the caller.
    NotFound,
}

/// Outcome of deleting a horse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deletion {
    Deleted,
    NotFound,
    /// Entered in a show that has not run.
    Entered,
}

use crate::xp::XpEvent;

/// One placement of a horse in a show that ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HorseResult {
    pub id: i64,
    pub show_id: ShowId,
    pub show_name: String,
    pub discipline: String,
    pub placement: u32,
    /// Final score in hundredths of a point.
    pub score_hundredths: i32,
    pub prize: i64,
    pub horse_xp_awarded: i32,
    pub created_at: DateTime<Utc>,
}

/// Breed and horse storage. Every method is one statement or one transaction.
#[async_trait]
pub trait HorseStore: Send + Sync {
    async fn breeds(&self) -> Result<Vec<Breed>, StoreError>;
    async fn breed(&self, id: BreedId) -> Result<Option<Breed>, StoreError>;

    /// In one transaction: locks the owner's row, refuses when the owner already has `limit`
    /// horses, inserts the horse and debits `price` through the ledger (mirrored to the house,
    /// reason `horse_purchase`).
    async fn buy_horse(
        &self,
        owner: UserId,
        horse: NewHorse,
        price: Money,
        limit: u32,
    ) -> Result<HorseRecord, PurchaseRefused>;

    /// Any horse by id (one indexed read joined with its breed).
    async fn horse(&self, id: HorseId) -> Result<Option<HorseRecord>, StoreError>;

    /// The owner's horses.
    async fn list_horses(
        &self,
        owner: UserId,
        query: &HorseListQuery,
        page: Page,
    ) -> Result<Paged<HorseRecord>, StoreError>;

    /// Renames a horse the owner owns; `None` if there is none.
    async fn rename_horse(
        &self,
        owner: UserId,
        id: HorseId,
        name: &HorseName,
    ) -> Result<Option<HorseRecord>, StoreError>;

    async fn delete_horse(&self, owner: UserId, id: HorseId) -> Result<Deletion, StoreError>;

    /// Spends one stat point with a single conditional update (a point is available and the
    /// stat is below 100), so concurrent allocations can never overspend.
    async fn allocate_stat_point(
        &self,
        owner: UserId,
        id: HorseId,
        stat: Stat,
    ) -> Result<AllocationAttempt, StoreError>;

    /// The owned horse's XP events, newest first; `None` if the owner has no such horse.
    async fn horse_xp_history(
        &self,
        owner: UserId,
        id: HorseId,
        page: Page,
    ) -> Result<Option<Paged<XpEvent>>, StoreError>;

    /// The horse's competition results, newest first; `None` if there is no such horse.
    async fn horse_results(
        &self,
        id: HorseId,
        page: Page,
    ) -> Result<Option<Paged<HorseResult>>, StoreError>;
}
