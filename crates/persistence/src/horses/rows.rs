//! The `breeds` and `horses` rows, the one horse read every store uses and the one horse insert.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use equoria_application::StoreError;
use equoria_application::horses::{Breed, HorseRecord};
use equoria_domain::horse::{Health, HorseName, Sex};
use equoria_domain::{BreedId, HorseId, Money, Stats, UserId};

use crate::schema::{breeds, horses};
use crate::stat_columns::{StoredStats, horse_stat_values};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = breeds, check_for_backend(diesel::pg::Pg))]
pub(super) struct BreedRow {
    id: i32,
    name: String,
    #[diesel(embed)]
    means: StoredStats<breeds::table>,
    gaited: bool,
    description: Option<String>,
}

impl BreedRow {
    pub(super) fn into_breed(self) -> Result<Breed, StoreError> {
        let means = self
            .means
            .to_stats()
            .map_err(|e| StoreError::Other(format!("breed {}: {e}", self.id)))?;
        Ok(Breed {
            id: BreedId::new(i64::from(self.id)),
            name: self.name,
            means: means.to_array(),
            gaited: self.gaited,
            description: self.description,
        })
    }
}

/// A `horses` row. Read joined with the breed's name and gaitedness.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = horses, check_for_backend(diesel::pg::Pg))]
pub(crate) struct HorseRow {
    id: i64,
    owner_id: i64,
    breed_id: i32,
    name: String,
    sex: String,
    date_of_birth: DateTime<Utc>,
    #[diesel(embed)]
    stats: StoredStats<horses::table>,
    health: String,
    xp: i64,
    stat_points_spent: i32,
    earnings: i64,
    training_cooldown_end: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// What every horse read selects: the row plus its breed's name and gaitedness.
pub(crate) type HorseSelect = (
    diesel::dsl::AsSelect<HorseRow, diesel::pg::Pg>,
    breeds::name,
    breeds::gaited,
);

/// The selection of every horse read (see [`HorseSelect`]).
pub(crate) fn horse_select() -> HorseSelect {
    (HorseRow::as_select(), breeds::name, breeds::gaited)
}

/// Checks a row read with [`horse_select`] and turns it into the application's record.
pub(crate) fn into_record(
    (row, breed_name, breed_gaited): (HorseRow, String, bool),
) -> Result<HorseRecord, StoreError> {
    let bad = |what: &str| StoreError::Other(format!("horse {}: invalid {what}", row.id));
    Ok(HorseRecord {
        id: HorseId::new(row.id),
        owner_id: UserId::new(row.owner_id),
        breed_id: BreedId::new(i64::from(row.breed_id)),
        breed_name,
        breed_gaited,
        sex: Sex::parse(&row.sex).map_err(|_| bad("sex"))?,
        date_of_birth: row.date_of_birth,
        stats: row.stats.to_stats().map_err(|_| bad("stat"))?,
        health: Health::parse(&row.health).map_err(|_| bad("health"))?,
        xp: u32::try_from(row.xp).map_err(|_| bad("xp"))?,
        stat_points_spent: u32::try_from(row.stat_points_spent)
            .map_err(|_| bad("stat_points_spent"))?,
        earnings: Money::new(row.earnings).map_err(|_| bad("earnings"))?,
        training_cooldown_end: row.training_cooldown_end,
        created_at: row.created_at,
        updated_at: row.updated_at,
        name: row.name,
    })
}

/// Reads one horse joined with its breed (one primary-key lookup), optionally only if `owner`
/// owns it. Not boxed: both shapes are static queries, so their prepared statements are cached
/// by type (this read serves `GET /api/horses/{id}`, the hottest route). Takes the connection
/// shared, so the read can be pipelined with others on the same connection.
pub(crate) async fn load_horse(
    mut conn: &AsyncPgConnection,
    id: HorseId,
    owner: Option<UserId>,
) -> Result<Option<(HorseRow, String, bool)>, DieselError> {
    let by_id = horses::table
        .inner_join(breeds::table)
        .filter(horses::id.eq(id.get()));
    match owner {
        None => by_id
            .select(horse_select())
            .first(&mut conn)
            .await
            .optional(),
        Some(owner) => by_id
            .filter(horses::owner_id.eq(owner.get()))
            .select(horse_select())
            .first(&mut conn)
            .await
            .optional(),
    }
}

/// [`into_record`] for a read that may have found nothing.
pub(super) fn record_or_none(
    row: Option<(HorseRow, String, bool)>,
) -> Result<Option<HorseRecord>, StoreError> {
    row.map(into_record).transpose()
}

/// A new `horses` row: who owns it, its breed, name, sex, date of birth and stats. Everything
/// else starts at the table's defaults (healthy, no XP, no earnings, never trained). The
/// starter horse given at registration and a purchased horse are both written by
/// [`insert_horse`]; a foal will add its parents here.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NewHorseRow<'a> {
    pub(crate) owner: UserId,
    /// The breed's id (`breeds.id` is an `INTEGER`).
    pub(crate) breed_id: i32,
    pub(crate) name: &'a HorseName,
    pub(crate) sex: Sex,
    pub(crate) date_of_birth: DateTime<Utc>,
    pub(crate) stats: &'a Stats,
}

/// Inserts one horse and returns its id. An unknown breed fails on `horses_breed_id_fkey`.
pub(crate) async fn insert_horse(
    conn: &mut AsyncPgConnection,
    horse: NewHorseRow<'_>,
) -> Result<HorseId, DieselError> {
    diesel::insert_into(horses::table)
        .values((
            horses::owner_id.eq(horse.owner.get()),
            horses::breed_id.eq(horse.breed_id),
            horses::name.eq(horse.name.as_str()),
            horses::sex.eq(horse.sex.as_str()),
            horses::date_of_birth.eq(horse.date_of_birth),
            horse_stat_values(horse.stats),
        ))
        .returning(horses::id)
        .get_result(conn)
        .await
        .map(HorseId::new)
}
