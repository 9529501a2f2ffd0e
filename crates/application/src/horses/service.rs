//! The breed and horse use cases.

use crate::xp::XpEvent;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use equoria_domain::horse::{
    HorseName, MAX_HORSES_PER_USER, PurchaseAge, Sex, born_after_for_max_age,
    born_at_or_before_for_min_age,
};
use equoria_domain::money::HORSE_PRICE;
use equoria_domain::progression::{AllocationRefused, StatAllocation, allocate_stat_point};
use equoria_domain::{BreedId, HorseId, Stat, UserId};

use super::ports::*;
use crate::StoreError;
use crate::clock::Clock;
use crate::paging::{Page, Paged};

/// Why a horse operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum HorseError {
    /// No such horse, or (on owner-only operations) not the caller's.
    #[error("horse not found")]
    NotFound,
    #[error("no such breed")]
    BreedNotFound,
    /// The breed id given to buy a horse names no breed (an input error).
    #[error("unknown breed")]
    UnknownBreed,
    #[error("insufficient funds: a horse costs {price} coins")]
    InsufficientFunds { price: i64 },
    #[error("a player owns at most {limit} horses")]
    HorseLimitReached { limit: u32 },
    /// Entered in a show that has not run yet.
    #[error("the horse is entered in a show that has not run")]
    Entered,
    #[error(transparent)]
    Allocation(AllocationRefused),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A horse together with its age at the moment it was read.
#[derive(Debug, Clone)]
pub struct Horse {
    pub record: HorseRecord,
    /// Whole game years at `as_of`.
    pub age: u32,
    pub as_of: DateTime<Utc>,
}

impl Horse {
    fn at(record: HorseRecord, now: DateTime<Utc>) -> Self {
        Self {
            age: record.age(now),
            as_of: now,
            record,
        }
    }
}

/// What a player asks for when buying a horse (already parsed).
#[derive(Debug, Clone)]
pub struct Purchase {
    pub name: HorseName,
    pub breed_id: BreedId,
    pub sex: Sex,
    pub age: PurchaseAge,
}

/// Where a horse's XP stands with respect to stat points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HorseXpStatus {
    pub horse_id: HorseId,
    pub xp: u32,
    pub level: u32,
    pub stat_points_earned: u32,
    pub stat_points_spent: u32,
    pub stat_points_available: u32,
    /// XP still missing for the next stat point: `100 - xp % 100`.
    pub xp_to_next_stat_point: u32,
}

impl HorseXpStatus {
    pub fn of(record: &HorseRecord) -> Self {
        let per = equoria_domain::progression::XP_PER_LEVEL;
        Self {
            horse_id: record.id,
            xp: record.xp,
            level: record.level().get(),
            stat_points_earned: equoria_domain::progression::stat_points_earned(record.xp),
            stat_points_spent: record.stat_points_spent,
            stat_points_available: record.stat_points_available(),
            xp_to_next_stat_point: per - record.xp % per,
        }
    }
}

/// The result of spending a stat point.
#[derive(Debug, Clone)]
pub struct AllocatedPoint {
    pub stat: Stat,
    pub new_value: u8,
    pub horse: Horse,
}

/// The breed and horse use cases, with their ports.
#[derive(Clone)]
pub struct Horses {
    store: Arc<dyn HorseStore>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Horses {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Horses").finish_non_exhaustive()
    }
}

impl Horses {
    pub fn new(store: Arc<dyn HorseStore>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    pub async fn breeds(&self) -> Result<Vec<Breed>, HorseError> {
        Ok(self.store.breeds().await?)
    }

    pub async fn breed(&self, id: BreedId) -> Result<Breed, HorseError> {
        self.store.breed(id).await?.ok_or(HorseError::BreedNotFound)
    }

    /// Buys a horse: stats rolled from the breed's means, date of birth from the chosen age,
    /// price debited through the ledger in the same transaction as the insert, at most
    /// [`MAX_HORSES_PER_USER`] horses per player.
    #[tracing::instrument(skip_all, fields(user.id = %owner))]
    pub async fn buy(&self, owner: UserId, purchase: Purchase) -> Result<Horse, HorseError> {
        let breed = self
            .store
            .breed(purchase.breed_id)
            .await?
            .ok_or(HorseError::UnknownBreed)?;
        let now = self.clock.now();
        let stats = breed.roll_stats(&mut rand::rng());
        let horse = NewHorse {
            breed_id: breed.id,
            name: purchase.name,
            sex: purchase.sex,
            date_of_birth: purchase.age.date_of_birth(now),
            stats,
        };
        let record = self
            .store
            .buy_horse(owner, horse, HORSE_PRICE, MAX_HORSES_PER_USER)
            .await
            .map_err(|e| match e {
                PurchaseRefused::InsufficientFunds => HorseError::InsufficientFunds {
                    price: HORSE_PRICE.coins(),
                },
                PurchaseRefused::HorseLimitReached => HorseError::HorseLimitReached {
                    limit: MAX_HORSES_PER_USER,
                },
                PurchaseRefused::UnknownBreed => HorseError::UnknownBreed,
                PurchaseRefused::Store(s) => HorseError::Store(s),
            })?;
        Ok(Horse::at(record, now))
    }

    /// Any horse; the caller decides what of it to show to whom.
    pub async fn horse(&self, id: HorseId) -> Result<Horse, HorseError> {
        let record = self.store.horse(id).await?.ok_or(HorseError::NotFound)?;
        Ok(Horse::at(record, self.clock.now()))
    }

    /// A horse the caller owns; someone else's horse is [`HorseError::NotFound`].
    pub async fn owned_horse(&self, owner: UserId, id: HorseId) -> Result<Horse, HorseError> {
        let horse = self.horse(id).await?;
        if horse.record.owner_id == owner {
            Ok(horse)
        } else {
            Err(HorseError::NotFound)
        }
    }

    /// The owner's horses. Ages in the filter are whole game years at the moment of the call.
    pub async fn list(
        &self,
        owner: UserId,
        filter: HorseFilter,
        page: Page,
    ) -> Result<Paged<Horse>, HorseError> {
        let now = self.clock.now();
        let query = HorseListQuery {
            breed_id: filter.breed_id,
            sex: filter.sex,
            born_at_or_before: filter
                .min_age
                .map(|a| born_at_or_before_for_min_age(a, now)),
            born_after: filter.max_age.map(|a| born_after_for_max_age(a, now)),
            name_contains: filter.name,
            sort: filter.sort,
        };
        let paged = self.store.list_horses(owner, &query, page).await?;
        Ok(paged.map(|r| Horse::at(r, now)))
    }

    pub async fn rename(
        &self,
        owner: UserId,
        id: HorseId,
        name: HorseName,
    ) -> Result<Horse, HorseError> {
        let record = self
            .store
            .rename_horse(owner, id, &name)
            .await?
            .ok_or(HorseError::NotFound)?;
        Ok(Horse::at(record, self.clock.now()))
    }

    #[tracing::instrument(skip_all, fields(horse.id = %id))]
    pub async fn delete(&self, owner: UserId, id: HorseId) -> Result<(), HorseError> {
        match self.store.delete_horse(owner, id).await? {
            Deletion::Deleted => Ok(()),
            Deletion::NotFound => Err(HorseError::NotFound),
            Deletion::Entered => Err(HorseError::Entered),
        }
    }

    pub async fn xp_status(&self, owner: UserId, id: HorseId) -> Result<HorseXpStatus, HorseError> {
        let horse = self.owned_horse(owner, id).await?;
        Ok(HorseXpStatus::of(&horse.record))
    }

    /// Spends one stat point on `stat`. The domain rule decides the refusal reason; the store's
    /// conditional update makes the spend safe under concurrency.
    #[tracing::instrument(skip_all, fields(horse.id = %id))]
    pub async fn allocate_stat_point(
        &self,
        owner: UserId,
        id: HorseId,
        stat: Stat,
    ) -> Result<AllocatedPoint, HorseError> {
        let now = self.clock.now();
        match self.store.allocate_stat_point(owner, id, stat).await? {
            AllocationAttempt::Applied(record) => Ok(AllocatedPoint {
                stat,
                new_value: record.stats.get(stat).get(),
                horse: Horse::at(record, now),
            }),
            AllocationAttempt::NotFound => Err(HorseError::NotFound),
            AllocationAttempt::Refused(record) => {
                match allocate_stat_point(&record.stats, stat, record.xp, record.stat_points_spent)
                {
                    Err(reason) => Err(HorseError::Allocation(reason)),
                    // The row changed between the update and the re-read; let the client retry.
                    Ok(StatAllocation { .. }) => Err(HorseError::Store(StoreError::Contention)),
                }
            }
        }
    }

    pub async fn xp_history(
        &self,
        owner: UserId,
        id: HorseId,
        page: Page,
    ) -> Result<Paged<XpEvent>, HorseError> {
        self.store
            .horse_xp_history(owner, id, page)
            .await?
            .ok_or(HorseError::NotFound)
    }

    pub async fn results(&self, id: HorseId, page: Page) -> Result<Paged<HorseResult>, HorseError> {
        self.store
            .horse_results(id, page)
            .await?
            .ok_or(HorseError::NotFound)
    }
}
