//! [`HorseStore`] on PostgreSQL: breeds, horses, horse XP and results.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use equoria_application::StoreError;
use equoria_application::horses::*;
use equoria_application::paging::{Page, Paged};
use equoria_application::xp::XpEvent;
use equoria_domain::horse::{Health, HorseName, Sex};
use equoria_domain::ledger::LedgerReason;
use equoria_domain::stats::STAT_COUNT;
use equoria_domain::{BreedId, HorseId, Money, ShowId, Stat, StatValue, Stats, UserId};

use crate::DbPool;
use crate::error::{TxError, from_diesel};
use crate::ledger::{XpEventRow, into_xp_event, move_money};
use crate::schema::{breeds, competition_results, horse_xp_events, horses, shows, users};

#[diesel::declare_sql_function]
extern "SQL" {
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// Name of the constraint the delete trigger reports for a horse entered in an open show.
const ENTERED_CONSTRAINT: &str = "show_entries_horse_id_fkey";
/// Foreign key refusing a horse of an unknown breed.
const BREED_CONSTRAINT: &str = "horses_breed_id_fkey";

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = breeds, check_for_backend(diesel::pg::Pg))]
struct BreedRow {
    id: i32,
    name: String,
    speed_mean: i16,
    stamina_mean: i16,
    agility_mean: i16,
    balance_mean: i16,
    precision_mean: i16,
    intelligence_mean: i16,
    boldness_mean: i16,
    flexibility_mean: i16,
    obedience_mean: i16,
    focus_mean: i16,
    strength_mean: i16,
    endurance_mean: i16,
    gaited: bool,
    description: Option<String>,
}

impl BreedRow {
    fn into_breed(self) -> Result<Breed, StoreError> {
        let raw = [
            self.speed_mean,
            self.stamina_mean,
            self.agility_mean,
            self.balance_mean,
            self.precision_mean,
            self.intelligence_mean,
            self.boldness_mean,
            self.flexibility_mean,
            self.obedience_mean,
            self.focus_mean,
            self.strength_mean,
            self.endurance_mean,
        ];
        let mut means = [0u8; STAT_COUNT];
        for (slot, value) in means.iter_mut().zip(raw) {
            *slot = StatValue::try_from(value)
                .map_err(|e| StoreError::Other(format!("breed {}: {e}", self.id)))?
                .get();
        }
        Ok(Breed {
            id: BreedId::new(i64::from(self.id)),
            name: self.name,
            means,
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
    speed: i16,
    stamina: i16,
    agility: i16,
    balance: i16,
    precision: i16,
    intelligence: i16,
    boldness: i16,
    flexibility: i16,
    obedience: i16,
    focus: i16,
    strength: i16,
    endurance: i16,
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

pub(crate) fn horse_select() -> HorseSelect {
    (HorseRow::as_select(), breeds::name, breeds::gaited)
}

pub(crate) fn into_record(
    (row, breed_name, breed_gaited): (HorseRow, String, bool),
) -> Result<HorseRecord, StoreError> {
    let bad = |what: &str| StoreError::Other(format!("horse {}: invalid {what}", row.id));
    let raw = [
        row.speed,
        row.stamina,
        row.agility,
        row.balance,
        row.precision,
        row.intelligence,
        row.boldness,
        row.flexibility,
        row.obedience,
        row.focus,
        row.strength,
        row.endurance,
    ];
    let mut values = [StatValue::MIN; STAT_COUNT];
    for (slot, value) in values.iter_mut().zip(raw) {
        *slot = StatValue::try_from(value).map_err(|_| bad("stat"))?;
    }
    Ok(HorseRecord {
        id: HorseId::new(row.id),
        owner_id: UserId::new(row.owner_id),
        breed_id: BreedId::new(i64::from(row.breed_id)),
        breed_name,
        breed_gaited,
        sex: Sex::parse(&row.sex).map_err(|_| bad("sex"))?,
        date_of_birth: row.date_of_birth,
        stats: Stats::new(values),
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

fn record_or_none(
    row: Option<(HorseRow, String, bool)>,
) -> Result<Option<HorseRecord>, StoreError> {
    row.map(into_record).transpose()
}

/// `%`, `_` and `\` are LIKE wildcards / the escape character: make them literal.
fn like_pattern(needle: &str) -> String {
    let mut pattern = String::with_capacity(needle.len() + 2);
    pattern.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Runs `$body` with `$col` bound to the `horses` column of `$stat`.
macro_rules! with_stat_column {
    ($stat:expr, $col:ident => $body:expr) => {
        match $stat {
            ::equoria_domain::Stat::Speed => {
                let $col = horses::speed;
                $body
            }
            ::equoria_domain::Stat::Stamina => {
                let $col = horses::stamina;
                $body
            }
            ::equoria_domain::Stat::Agility => {
                let $col = horses::agility;
                $body
            }
            ::equoria_domain::Stat::Balance => {
                let $col = horses::balance;
                $body
            }
            ::equoria_domain::Stat::Precision => {
                let $col = horses::precision;
                $body
            }
            ::equoria_domain::Stat::Intelligence => {
                let $col = horses::intelligence;
                $body
            }
            ::equoria_domain::Stat::Boldness => {
                let $col = horses::boldness;
                $body
            }
            ::equoria_domain::Stat::Flexibility => {
                let $col = horses::flexibility;
                $body
            }
            ::equoria_domain::Stat::Obedience => {
                let $col = horses::obedience;
                $body
            }
            ::equoria_domain::Stat::Focus => {
                let $col = horses::focus;
                $body
            }
            ::equoria_domain::Stat::Strength => {
                let $col = horses::strength;
                $body
            }
            ::equoria_domain::Stat::Endurance => {
                let $col = horses::endurance;
                $body
            }
        }
    };
}
pub(crate) use with_stat_column;

#[async_trait]
impl HorseStore for DbPool {
    async fn breeds(&self) -> Result<Vec<Breed>, StoreError> {
        let mut conn = self.get().await?;
        let rows: Vec<BreedRow> = breeds::table
            .order(breeds::id.asc())
            .select(BreedRow::as_select())
            .load(&mut conn)
            .await
            .map_err(from_diesel)?;
        rows.into_iter().map(BreedRow::into_breed).collect()
    }

    async fn breed(&self, id: BreedId) -> Result<Option<Breed>, StoreError> {
        let Ok(id) = i32::try_from(id.get()) else {
            return Ok(None);
        };
        let mut conn = self.get().await?;
        let row: Option<BreedRow> = breeds::table
            .find(id)
            .select(BreedRow::as_select())
            .first(&mut conn)
            .await
            .optional()
            .map_err(from_diesel)?;
        row.map(BreedRow::into_breed).transpose()
    }

    async fn buy_horse(
        &self,
        owner: UserId,
        horse: NewHorse,
        price: Money,
        limit: u32,
    ) -> Result<HorseRecord, PurchaseRefused> {
        let breed_id =
            i32::try_from(horse.breed_id.get()).map_err(|_| PurchaseRefused::UnknownBreed)?;
        let mut conn = self.get().await?;
        let result = conn
            .transaction::<_, TxError<PurchaseRefused>, _>(async move |conn| {
                // Lock the owner's row first: concurrent purchases by one player queue here,
                // so the count below cannot be raced past the limit.
                users::table
                    .find(owner.get())
                    .select(users::id)
                    .for_update()
                    .first::<i64>(conn)
                    .await
                    .optional()?
                    .ok_or(TxError::rule(StoreError::NotFound))?;
                let owned: i64 = horses::table
                    .filter(horses::owner_id.eq(owner.get()))
                    .count()
                    .get_result(conn)
                    .await?;
                if owned >= i64::from(limit) {
                    return Err(TxError::Rule(PurchaseRefused::HorseLimitReached));
                }
                let s = |stat: Stat| i16::from(horse.stats.get(stat).get());
                let id: i64 = diesel::insert_into(horses::table)
                    .values((
                        horses::owner_id.eq(owner.get()),
                        horses::breed_id.eq(breed_id),
                        horses::name.eq(horse.name.as_str()),
                        horses::sex.eq(horse.sex.as_str()),
                        horses::date_of_birth.eq(horse.date_of_birth),
                        horses::speed.eq(s(Stat::Speed)),
                        horses::stamina.eq(s(Stat::Stamina)),
                        horses::agility.eq(s(Stat::Agility)),
                        horses::balance.eq(s(Stat::Balance)),
                        horses::precision.eq(s(Stat::Precision)),
                        horses::intelligence.eq(s(Stat::Intelligence)),
                        horses::boldness.eq(s(Stat::Boldness)),
                        horses::flexibility.eq(s(Stat::Flexibility)),
                        horses::obedience.eq(s(Stat::Obedience)),
                        horses::focus.eq(s(Stat::Focus)),
                        horses::strength.eq(s(Stat::Strength)),
                        horses::endurance.eq(s(Stat::Endurance)),
                    ))
                    .returning(horses::id)
                    .get_result(conn)
                    .await?;
                let reference = format!("horse:{id}");
                move_money(
                    conn,
                    owner.get(),
                    price.as_debit(),
                    LedgerReason::HorsePurchase,
                    Some(&reference),
                )
                .await
                .map_err(|e| TxError::from_money(e, || PurchaseRefused::InsufficientFunds))?;
                load_horse(conn, HorseId::new(id), None)
                    .await?
                    .ok_or(TxError::Store(DieselError::NotFound))
            })
            .await;
        match result {
            Ok(row) => Ok(into_record(row)?),
            Err(TxError::Store(DieselError::DatabaseError(
                DatabaseErrorKind::ForeignKeyViolation,
                info,
            ))) if info.constraint_name() == Some(BREED_CONSTRAINT) => {
                Err(PurchaseRefused::UnknownBreed)
            }
            Err(e) => Err(e.into_error()),
        }
    }

    async fn horse(&self, id: HorseId) -> Result<Option<HorseRecord>, StoreError> {
        let conn = self.get().await?;
        let row = load_horse(&conn, id, None).await.map_err(from_diesel)?;
        record_or_none(row)
    }

    async fn list_horses(
        &self,
        owner: UserId,
        query: &HorseListQuery,
        page: Page,
    ) -> Result<Paged<HorseRecord>, StoreError> {
        let filtered = || {
            let mut q = horses::table
                .inner_join(breeds::table)
                .filter(horses::owner_id.eq(owner.get()))
                .into_boxed();
            if let Some(breed) = query.breed_id {
                // An id beyond i32 names no breed: match nothing rather than fail.
                q = q.filter(horses::breed_id.eq(i32::try_from(breed.get()).unwrap_or(-1)));
            }
            if let Some(sex) = query.sex {
                q = q.filter(horses::sex.eq(sex.as_str()));
            }
            if let Some(at) = query.born_at_or_before {
                q = q.filter(horses::date_of_birth.le(at));
            }
            if let Some(after) = query.born_after {
                q = q.filter(horses::date_of_birth.gt(after));
            }
            if let Some(name) = &query.name_contains {
                q = q.filter(horses::name.ilike(like_pattern(name)));
            }
            q
        };
        let conn = self.get().await?;
        let mut shared: &AsyncPgConnection = &conn;
        let total = filtered().count().get_result::<i64>(&mut shared);
        let q = filtered();
        let desc = query.sort.descending;
        let q = match (query.sort.key, desc) {
            (HorseSortKey::Name, false) => q.order((lower(horses::name).asc(), horses::id.asc())),
            (HorseSortKey::Name, true) => q.order((lower(horses::name).desc(), horses::id.desc())),
            // Older horses were born earlier: age ascending is date of birth descending.
            (HorseSortKey::Age, false) => q.order((horses::date_of_birth.desc(), horses::id.asc())),
            (HorseSortKey::Age, true) => q.order((horses::date_of_birth.asc(), horses::id.desc())),
            (HorseSortKey::Earnings, false) => q.order((horses::earnings.asc(), horses::id.asc())),
            (HorseSortKey::Earnings, true) => q.order((horses::earnings.desc(), horses::id.desc())),
            (HorseSortKey::CreatedAt, false) => {
                q.order((horses::created_at.asc(), horses::id.asc()))
            }
            (HorseSortKey::CreatedAt, true) => {
                q.order((horses::created_at.desc(), horses::id.desc()))
            }
        };
        let rows = q
            .select(horse_select())
            .limit(i64::from(page.limit()))
            .offset(page.offset())
            .load::<(HorseRow, String, bool)>(&mut shared);
        // The total and the page in one round trip (pipelined).
        let (total, rows) = futures_util::future::try_join(total, rows)
            .await
            .map_err(from_diesel)?;
        let items = rows
            .into_iter()
            .map(into_record)
            .collect::<Result<_, _>>()?;
        Ok(Paged { items, total, page })
    }

    async fn rename_horse(
        &self,
        owner: UserId,
        id: HorseId,
        name: &HorseName,
    ) -> Result<Option<HorseRecord>, StoreError> {
        let mut conn = self.get().await?;
        let name = name.as_str().to_owned();
        let row = conn
            .transaction::<_, DieselError, _>(async move |conn| {
                let updated: Option<i64> = diesel::update(horses::table)
                    .filter(horses::id.eq(id.get()))
                    .filter(horses::owner_id.eq(owner.get()))
                    .set(horses::name.eq(name))
                    .returning(horses::id)
                    .get_result(conn)
                    .await
                    .optional()?;
                match updated {
                    Some(_) => load_horse(conn, id, Some(owner)).await,
                    None => Ok(None),
                }
            })
            .await
            .map_err(from_diesel)?;
        record_or_none(row)
    }

    async fn delete_horse(&self, owner: UserId, id: HorseId) -> Result<Deletion, StoreError> {
        let mut conn = self.get().await?;
        // One statement: the WHERE keeps other players' horses out of reach, and the
        // database's trigger refuses a horse entered in a show that has not run (no window
        // between a check and the delete).
        let deleted = diesel::delete(horses::table)
            .filter(horses::id.eq(id.get()))
            .filter(horses::owner_id.eq(owner.get()))
            .execute(&mut conn)
            .await;
        match deleted {
            Ok(0) => Ok(Deletion::NotFound),
            Ok(_) => Ok(Deletion::Deleted),
            Err(DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info))
                if info.constraint_name() == Some(ENTERED_CONSTRAINT) =>
            {
                Ok(Deletion::Entered)
            }
            Err(e) => Err(from_diesel(e)),
        }
    }

    async fn allocate_stat_point(
        &self,
        owner: UserId,
        id: HorseId,
        stat: Stat,
    ) -> Result<AllocationAttempt, StoreError> {
        let mut conn = self.get().await?;
        let (applied, row) = conn
            .transaction::<_, DieselError, _>(async move |conn| {
                // A single conditional UPDATE: a point must be available and the stat below
                // 100 when the row is locked, so concurrent allocations cannot overspend.
                let updated: Option<i64> = with_stat_column!(stat, column => {
                    diesel::update(horses::table)
                        .filter(horses::id.eq(id.get()))
                        .filter(horses::owner_id.eq(owner.get()))
                        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
                            "horses.stat_points_spent < horses.xp / 100",
                        ))
                        .filter(column.lt(StatValue::MAX.get() as i16))
                        .set((
                            column.eq(column + 1_i16),
                            horses::stat_points_spent.eq(horses::stat_points_spent + 1),
                        ))
                        .returning(horses::id)
                        .get_result(conn)
                        .await
                        .optional()
                })?;
                let row = load_horse(conn, id, Some(owner)).await?;
                Ok((updated.is_some(), row))
            })
            .await
            .map_err(from_diesel)?;
        Ok(match (applied, record_or_none(row)?) {
            (_, None) => AllocationAttempt::NotFound,
            (true, Some(record)) => AllocationAttempt::Applied(record),
            (false, Some(record)) => AllocationAttempt::Refused(record),
        })
    }

    async fn horse_xp_history(
        &self,
        owner: UserId,
        id: HorseId,
        page: Page,
    ) -> Result<Option<Paged<XpEvent>>, StoreError> {
        let mut conn = self.get().await?;
        let owned: bool = diesel::select(diesel::dsl::exists(
            horses::table
                .filter(horses::id.eq(id.get()))
                .filter(horses::owner_id.eq(owner.get())),
        ))
        .get_result(&mut conn)
        .await
        .map_err(from_diesel)?;
        if !owned {
            return Ok(None);
        }
        let filter = horse_xp_events::horse_id.eq(id.get());
        let total: i64 = horse_xp_events::table
            .filter(filter)
            .count()
            .get_result(&mut conn)
            .await
            .map_err(from_diesel)?;
        let rows: Vec<XpEventRow> = horse_xp_events::table
            .filter(filter)
            .order((
                horse_xp_events::created_at.desc(),
                horse_xp_events::id.desc(),
            ))
            .limit(i64::from(page.limit()))
            .offset(page.offset())
            .select((
                horse_xp_events::id,
                horse_xp_events::amount,
                horse_xp_events::reason,
                horse_xp_events::reference,
                horse_xp_events::created_at,
            ))
            .load(&mut conn)
            .await
            .map_err(from_diesel)?;
        let items = rows.into_iter().map(into_xp_event).collect();
        Ok(Some(Paged { items, total, page }))
    }

    async fn horse_results(
        &self,
        id: HorseId,
        page: Page,
    ) -> Result<Option<Paged<HorseResult>>, StoreError> {
        let mut conn = self.get().await?;
        let exists: bool = diesel::select(diesel::dsl::exists(
            horses::table.filter(horses::id.eq(id.get())),
        ))
        .get_result(&mut conn)
        .await
        .map_err(from_diesel)?;
        if !exists {
            return Ok(None);
        }
        let filter = competition_results::horse_id.eq(id.get());
        let total: i64 = competition_results::table
            .filter(filter)
            .count()
            .get_result(&mut conn)
            .await
            .map_err(from_diesel)?;
        type ResultTuple = (i64, i64, String, String, i32, i32, i64, i32, DateTime<Utc>);
        let rows: Vec<ResultTuple> = competition_results::table
            .inner_join(shows::table)
            .filter(filter)
            .order((
                competition_results::created_at.desc(),
                competition_results::id.desc(),
            ))
            .limit(i64::from(page.limit()))
            .offset(page.offset())
            .select((
                competition_results::id,
                competition_results::show_id,
                shows::name,
                shows::discipline,
                competition_results::placement,
                competition_results::score,
                competition_results::prize,
                competition_results::horse_xp_awarded,
                competition_results::created_at,
            ))
            .load(&mut conn)
            .await
            .map_err(from_diesel)?;
        let items = rows
            .into_iter()
            .map(
                |(id, show_id, show_name, discipline, placement, score, prize, xp, created_at)| {
                    HorseResult {
                        id,
                        show_id: ShowId::new(show_id),
                        show_name,
                        discipline,
                        placement: u32::try_from(placement).unwrap_or(0),
                        score_hundredths: score,
                        prize,
                        horse_xp_awarded: xp,
                        created_at,
                    }
                },
            )
            .collect();
        Ok(Some(Paged { items, total, page }))
    }
}
