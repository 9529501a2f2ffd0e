//! [`HorseStore`] on PostgreSQL: breeds, horses, horse XP and results.

mod eligibility;
mod rows;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use equoria_application::StoreError;
use equoria_application::horses::*;
use equoria_application::paging::{Page, Paged};
use equoria_application::xp::XpEvent;
use equoria_domain::horse::HorseName;
use equoria_domain::ledger::LedgerReason;
use equoria_domain::{BreedId, HorseId, Money, ShowId, Stat, StatValue, UserId};

pub(crate) use self::eligibility::{ready_to_train, trainable};
use self::rows::{BreedRow, record_or_none};
pub(crate) use self::rows::{
    HorseRow, NewHorseRow, horse_select, insert_horse, into_record, load_horse,
};
use crate::DbPool;
use crate::error::{TxError, from_diesel};
use crate::ledger::{XpEventRow, into_xp_event, move_money};
use crate::schema::{breeds, competition_results, horse_xp_events, horses, shows, users};
use crate::stat_columns::with_stat_column;

#[diesel::declare_sql_function]
extern "SQL" {
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// Name of the constraint the delete trigger reports for a horse entered in an open show.
const ENTERED_CONSTRAINT: &str = "show_entries_horse_id_fkey";
/// Foreign key refusing a horse of an unknown breed.
const BREED_CONSTRAINT: &str = "horses_breed_id_fkey";

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
                let id = insert_horse(
                    conn,
                    NewHorseRow {
                        owner,
                        breed_id,
                        name: &horse.name,
                        sex: horse.sex,
                        date_of_birth: horse.date_of_birth,
                        stats: &horse.stats,
                    },
                )
                .await?;
                let reference = format!("horse:{}", id.get());
                move_money(
                    conn,
                    owner.get(),
                    price.as_debit(),
                    LedgerReason::HorsePurchase,
                    Some(&reference),
                )
                .await
                .map_err(|e| TxError::from_money(e, || PurchaseRefused::InsufficientFunds))?;
                load_horse(conn, id, None)
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
