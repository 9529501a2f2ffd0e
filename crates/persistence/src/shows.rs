//! [`ShowStore`] on PostgreSQL.
//!
//! Concurrency, in short:
//! - An entry locks its show row (`SELECT .. FOR UPDATE`) before anything else, so entries of
//!   one show are serialised: the rules see the current entry count and duplicates, and the
//!   capacity is then taken with a conditional `UPDATE` (belt and braces, with the
//!   `shows_entry_count_check` and the unique `(show_id, horse_id)` behind it). The fee is a
//!   conditional `UPDATE` of the balance, so no balance ever goes negative.
//! - A run locks its show row the same way, then the entered horses (in id order), then the
//!   owners (in id order): entries and runs always take locks in the order show -> horse ->
//!   user, so they cannot deadlock each other. The run re-checks `status = 'open'` under the
//!   lock, so two runs of one show produce one set of results and one payout.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::{BigInt, Int2, Int4, Int8, Text, Timestamptz};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use equoria_application::StoreError;
use equoria_application::paging::{Page, Paged};
use equoria_application::shows::*;
use equoria_domain::competition::{EntryFee, LevelRange, MaxEntries, NewShow, ShowSchedule};
use equoria_domain::horse::{GAME_YEAR, Health};
use equoria_domain::ledger::{LedgerReason, XpReason};
use equoria_domain::training::{TRAINING_MAX_AGE, TRAINING_MIN_AGE};
use equoria_domain::{
    Discipline, DisciplineScore, HorseId, Level, Money, ShowId, StatValue, Stats, UserId,
};

use crate::DbPool;
use crate::error::from_diesel;
use crate::ledger::{MoneyError, award_user_xp, move_money, record_house_flow};
use crate::schema::{breeds, horses, show_entries, shows, users};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = shows, check_for_backend(diesel::pg::Pg))]
struct ShowRow {
    id: i64,
    name: String,
    discipline: String,
    entry_fee: i64,
    prize_pool: i64,
    min_level: i32,
    max_level: i32,
    max_entries: i32,
    entry_count: i32,
    closes_at: DateTime<Utc>,
    runs_at: DateTime<Utc>,
    status: String,
    completed_at: Option<DateTime<Utc>>,
    house_refund: Option<i64>,
    created_at: DateTime<Utc>,
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Other(format!("stored show data violates its invariants: {what}"))
}

fn money(coins: i64) -> Result<Money, StoreError> {
    Money::new(coins).map_err(corrupt)
}

fn level(raw: i32) -> Result<Level, StoreError> {
    Level::try_from(i64::from(raw)).map_err(corrupt)
}

fn count_u32(raw: i64) -> u32 {
    u32::try_from(raw.max(0)).unwrap_or(u32::MAX)
}

fn parse_discipline(raw: &str) -> Result<Discipline, StoreError> {
    Discipline::parse(raw).map_err(corrupt)
}

impl ShowRow {
    fn into_view(self) -> Result<ShowView, StoreError> {
        Ok(ShowView {
            id: ShowId::new(self.id),
            discipline: parse_discipline(&self.discipline)?,
            entry_fee: EntryFee::new(self.entry_fee).map_err(corrupt)?,
            prize_pool: money(self.prize_pool)?,
            level_range: LevelRange::new(level(self.min_level)?, level(self.max_level)?)
                .map_err(corrupt)?,
            max_entries: MaxEntries::try_from(self.max_entries).map_err(corrupt)?,
            entry_count: count_u32(i64::from(self.entry_count)),
            schedule: ShowSchedule::new(self.closes_at, self.runs_at).map_err(corrupt)?,
            status: ShowStatus::parse(&self.status)
                .ok_or_else(|| corrupt(format!("status `{}`", self.status)))?,
            completed_at: self.completed_at,
            house_refund: self.house_refund.map(money).transpose()?,
            created_at: self.created_at,
            name: self.name,
        })
    }
}

/// A result with its show and owner, as every result list reads it.
#[derive(Debug, QueryableByName)]
struct ResultRow {
    #[diesel(sql_type = Int8)]
    id: i64,
    #[diesel(sql_type = Int8)]
    show_id: i64,
    #[diesel(sql_type = Text)]
    show_name: String,
    #[diesel(sql_type = Text)]
    discipline: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<Int8>)]
    horse_id: Option<i64>,
    #[diesel(sql_type = Text)]
    horse_name: String,
    #[diesel(sql_type = Int8)]
    user_id: i64,
    #[diesel(sql_type = Text)]
    username: String,
    #[diesel(sql_type = Int4)]
    placement: i32,
    #[diesel(sql_type = Int4)]
    score: i32,
    #[diesel(sql_type = Int4)]
    base_score: i32,
    #[diesel(sql_type = Int8)]
    prize: i64,
    #[diesel(sql_type = Int4)]
    horse_xp_awarded: i32,
    #[diesel(sql_type = Int4)]
    owner_xp_awarded: i32,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    stat_gained: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
}

const RESULT_COLUMNS: &str = "r.id, r.show_id, s.name AS show_name, s.discipline, r.horse_id, \
     r.horse_name, r.user_id, u.username, r.placement, r.score, r.base_score, r.prize, \
     r.horse_xp_awarded, r.owner_xp_awarded, r.stat_gained, r.created_at \
     FROM competition_results r JOIN shows s ON s.id = r.show_id JOIN users u ON u.id = r.user_id";

fn non_negative(raw: i32) -> u32 {
    u32::try_from(raw).unwrap_or(0)
}

impl ResultRow {
    fn into_view(self) -> Result<ResultView, StoreError> {
        Ok(ResultView {
            id: self.id,
            show_id: ShowId::new(self.show_id),
            show_name: self.show_name,
            discipline: parse_discipline(&self.discipline)?,
            horse_id: self.horse_id.map(HorseId::new),
            horse_name: self.horse_name,
            user_id: UserId::new(self.user_id),
            username: self.username,
            placement: non_negative(self.placement),
            score_hundredths: non_negative(self.score),
            base_score_hundredths: non_negative(self.base_score),
            prize: money(self.prize)?,
            horse_xp: non_negative(self.horse_xp_awarded),
            owner_xp: non_negative(self.owner_xp_awarded),
            stat_gained: self.stat_gained,
            created_at: self.created_at,
        })
    }
}

#[derive(Debug, QueryableByName)]
struct Total {
    #[diesel(sql_type = BigInt)]
    total: i64,
}

/// One page of results matching `filter` (an SQL condition on `r` with `$1` bound to `key`),
/// ordered by `order`.
async fn result_page(
    conn: &mut AsyncPgConnection,
    filter: &str,
    key: i64,
    order: &str,
    page: Page,
) -> Result<Paged<ResultView>, StoreError> {
    let total: Total = diesel::sql_query(format!(
        "SELECT count(*) AS total FROM competition_results r WHERE {filter}"
    ))
    .bind::<Int8, _>(key)
    .get_result(conn)
    .await
    .map_err(from_diesel)?;
    let rows: Vec<ResultRow> = diesel::sql_query(format!(
        "SELECT {RESULT_COLUMNS} WHERE {filter} ORDER BY {order} LIMIT $2 OFFSET $3"
    ))
    .bind::<Int8, _>(key)
    .bind::<BigInt, _>(i64::from(page.limit()))
    .bind::<BigInt, _>(page.offset())
    .load(conn)
    .await
    .map_err(from_diesel)?;
    let items = rows
        .into_iter()
        .map(ResultRow::into_view)
        .collect::<Result<_, _>>()?;
    Ok(Paged {
        items,
        total: total.total,
        page,
    })
}

async fn show_exists(conn: &mut AsyncPgConnection, id: ShowId) -> Result<bool, StoreError> {
    diesel::select(diesel::dsl::exists(shows::table.find(id.get())))
        .get_result(conn)
        .await
        .map_err(from_diesel)
}

/// Failures inside the entry transaction.
#[derive(Debug)]
enum EnterTxError {
    Db(DieselError),
    Refused(EntryRefusal),
}

impl From<DieselError> for EnterTxError {
    fn from(e: DieselError) -> Self {
        Self::Db(e)
    }
}

impl From<EntryRefusal> for EnterTxError {
    fn from(e: EntryRefusal) -> Self {
        Self::Refused(e)
    }
}

impl From<StoreError> for EnterTxError {
    fn from(e: StoreError) -> Self {
        Self::Refused(EntryRefusal::Store(e))
    }
}

/// Failures inside the run transaction.
#[derive(Debug)]
enum RunTxError {
    Db(DieselError),
    Refused(RunError),
}

impl From<DieselError> for RunTxError {
    fn from(e: DieselError) -> Self {
        Self::Db(e)
    }
}

impl From<StoreError> for RunTxError {
    fn from(e: StoreError) -> Self {
        Self::Refused(RunError::Store(e))
    }
}

impl From<RunError> for RunTxError {
    fn from(e: RunError) -> Self {
        Self::Refused(e)
    }
}

/// An entered horse, read for a run.
#[derive(Debug, QueryableByName)]
struct EntrantRow {
    #[diesel(sql_type = Int8)]
    entry_id: i64,
    #[diesel(sql_type = Int8)]
    user_id: i64,
    #[diesel(sql_type = Int8)]
    horse_id: i64,
    #[diesel(sql_type = Text)]
    horse_name: String,
    #[diesel(sql_type = Timestamptz)]
    date_of_birth: DateTime<Utc>,
    #[diesel(sql_type = Int2)]
    discipline_score: i16,
    #[diesel(sql_type = Int2)]
    speed: i16,
    #[diesel(sql_type = Int2)]
    stamina: i16,
    #[diesel(sql_type = Int2)]
    agility: i16,
    #[diesel(sql_type = Int2)]
    balance: i16,
    #[diesel(sql_type = Int2)]
    precision: i16,
    #[diesel(sql_type = Int2)]
    intelligence: i16,
    #[diesel(sql_type = Int2)]
    boldness: i16,
    #[diesel(sql_type = Int2)]
    flexibility: i16,
    #[diesel(sql_type = Int2)]
    obedience: i16,
    #[diesel(sql_type = Int2)]
    focus: i16,
    #[diesel(sql_type = Int2)]
    strength: i16,
    #[diesel(sql_type = Int2)]
    endurance: i16,
}

impl EntrantRow {
    fn into_entrant(self) -> Result<RunEntrant, StoreError> {
        let raw = [
            self.speed,
            self.stamina,
            self.agility,
            self.balance,
            self.precision,
            self.intelligence,
            self.boldness,
            self.flexibility,
            self.obedience,
            self.focus,
            self.strength,
            self.endurance,
        ];
        let mut values = [StatValue::MIN; 12];
        for (slot, v) in values.iter_mut().zip(raw) {
            *slot = StatValue::try_from(v).map_err(corrupt)?;
        }
        let discipline_score = u8::try_from(self.discipline_score)
            .ok()
            .and_then(|s| DisciplineScore::new(s).ok())
            .ok_or_else(|| corrupt(format!("discipline score {}", self.discipline_score)))?;
        Ok(RunEntrant {
            entry_id: self.entry_id,
            horse_id: HorseId::new(self.horse_id),
            horse_name: self.horse_name,
            user_id: UserId::new(self.user_id),
            stats: Stats::new(values),
            discipline_score,
            date_of_birth: self.date_of_birth,
        })
    }
}

#[derive(Debug, QueryableByName)]
struct UpcomingRow {
    #[diesel(sql_type = Int8)]
    entry_id: i64,
    #[diesel(sql_type = Int8)]
    show_id: i64,
    #[diesel(sql_type = Text)]
    show_name: String,
    #[diesel(sql_type = Text)]
    discipline: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<Int8>)]
    horse_id: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    horse_name: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    runs_at: DateTime<Utc>,
}

fn show_reference(id: ShowId) -> String {
    format!("show:{id}")
}

/// Whether [`entry_context`] locks what it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lock {
    /// Plain reads: nothing waits, nothing is held.
    None,
    /// The show row `FOR UPDATE`, the horse `FOR SHARE` (inside the entry transaction).
    Rows,
}

/// The facts the entry rules need, and the horse's name for the answer.
struct LoadedEntry {
    facts: EntryContext,
    horse_name: String,
}

/// Reads the show, the horse, the caller's balance and any entry of the horse in the show.
async fn entry_context(
    conn: &mut AsyncPgConnection,
    show: ShowId,
    horse: HorseId,
    user: UserId,
    lock: Lock,
) -> Result<LoadedEntry, EnterTxError> {
    let show_query = shows::table.find(show.get()).select(ShowRow::as_select());
    let show_row: Option<ShowRow> = match lock {
        Lock::None => show_query.first(conn).await.optional()?,
        Lock::Rows => show_query.for_update().first(conn).await.optional()?,
    };
    let show_view = show_row.ok_or(EntryRefusal::ShowNotFound)?.into_view()?;

    type HorseFacts = (i64, i64, DateTime<Utc>, String, i64, i32, String);
    let horse_query = horses::table.find(horse.get()).select((
        horses::id,
        horses::owner_id,
        horses::date_of_birth,
        horses::health,
        horses::xp,
        horses::breed_id,
        horses::name,
    ));
    let horse_row: Option<HorseFacts> = match lock {
        Lock::None => horse_query.first(conn).await.optional()?,
        Lock::Rows => horse_query.for_share().first(conn).await.optional()?,
    };
    let (horse_id, owner_id, date_of_birth, health, xp, breed_id, horse_name) =
        horse_row.ok_or(EntryRefusal::HorseNotFound)?;
    let breed_is_gaited: bool = breeds::table
        .find(breed_id)
        .select(breeds::gaited)
        .first(conn)
        .await?;
    let health = Health::parse(&health).map_err(corrupt)?;

    let balance: i64 = users::table
        .find(user.get())
        .select(users::money)
        .first(conn)
        .await?;
    let already_entered: bool = diesel::select(diesel::dsl::exists(
        show_entries::table
            .filter(show_entries::show_id.eq(show.get()))
            .filter(show_entries::horse_id.eq(horse.get())),
    ))
    .get_result(conn)
    .await?;

    Ok(LoadedEntry {
        facts: EntryContext {
            horse: EntrantHorse {
                id: HorseId::new(horse_id),
                owner_id: UserId::new(owner_id),
                date_of_birth,
                health,
                xp: u32::try_from(xp.max(0)).unwrap_or(u32::MAX),
                breed_is_gaited,
            },
            show: show_view,
            already_entered,
            balance: money(balance)?,
        },
        horse_name,
    })
}

#[async_trait]
impl ShowStore for DbPool {
    async fn create_show(
        &self,
        show: NewShow,
        created_by: UserId,
    ) -> Result<ShowView, CreateShowError> {
        let mut conn = self.get().await?;
        let inserted = diesel::insert_into(shows::table)
            .values((
                shows::name.eq(show.name.as_str()),
                shows::discipline.eq(show.discipline.name()),
                shows::entry_fee.eq(show.entry_fee.money().coins()),
                shows::prize_pool.eq(show.prize_pool.coins()),
                shows::min_level.eq(level_i32(show.level_range.min())),
                shows::max_level.eq(level_i32(show.level_range.max())),
                shows::max_entries.eq(i32::try_from(show.max_entries.get()).unwrap_or(i32::MAX)),
                shows::closes_at.eq(show.schedule.closes_at()),
                shows::runs_at.eq(show.schedule.runs_at()),
                shows::created_by.eq(created_by.get()),
            ))
            .returning(ShowRow::as_returning())
            .get_result::<ShowRow>(&mut conn)
            .await;
        match inserted {
            Ok(row) => Ok(row.into_view()?),
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info))
                if info.constraint_name() == Some("shows_name_key") =>
            {
                Err(CreateShowError::DuplicateName)
            }
            Err(e) => Err(from_diesel(e).into()),
        }
    }

    async fn show(&self, id: ShowId) -> Result<Option<ShowView>, StoreError> {
        let mut conn = self.get().await?;
        let row: Option<ShowRow> = shows::table
            .find(id.get())
            .select(ShowRow::as_select())
            .first(&mut conn)
            .await
            .optional()
            .map_err(from_diesel)?;
        row.map(ShowRow::into_view).transpose()
    }

    async fn list_shows(
        &self,
        filter: ShowFilter,
        page: Page,
    ) -> Result<Paged<ShowView>, StoreError> {
        let mut conn = self.get().await?;
        let query = || {
            let mut q = shows::table.into_boxed();
            if let Some(status) = filter.status {
                q = q.filter(shows::status.eq(status.as_str()));
            }
            if let Some(discipline) = filter.discipline {
                q = q.filter(shows::discipline.eq(discipline.name()));
            }
            q
        };
        let total: i64 = query()
            .count()
            .get_result(&mut conn)
            .await
            .map_err(from_diesel)?;
        let rows: Vec<ShowRow> = query()
            .order((shows::runs_at.asc(), shows::id.asc()))
            .limit(i64::from(page.limit()))
            .offset(page.offset())
            .select(ShowRow::as_select())
            .load(&mut conn)
            .await
            .map_err(from_diesel)?;
        let items = rows
            .into_iter()
            .map(ShowRow::into_view)
            .collect::<Result<_, _>>()?;
        Ok(Paged { items, total, page })
    }

    async fn entries(
        &self,
        show: ShowId,
        page: Page,
    ) -> Result<Option<Paged<EntryView>>, StoreError> {
        let mut conn = self.get().await?;
        if !show_exists(&mut conn, show).await? {
            return Ok(None);
        }
        let total: i64 = show_entries::table
            .filter(show_entries::show_id.eq(show.get()))
            .count()
            .get_result(&mut conn)
            .await
            .map_err(from_diesel)?;
        type Row = (
            i64,
            Option<i64>,
            Option<String>,
            i64,
            String,
            i64,
            DateTime<Utc>,
        );
        let rows: Vec<Row> = show_entries::table
            .left_join(horses::table)
            .inner_join(users::table)
            .filter(show_entries::show_id.eq(show.get()))
            .order(show_entries::id.asc())
            .limit(i64::from(page.limit()))
            .offset(page.offset())
            .select((
                show_entries::id,
                show_entries::horse_id,
                horses::name.nullable(),
                show_entries::user_id,
                users::username,
                show_entries::fee_paid,
                show_entries::created_at,
            ))
            .load(&mut conn)
            .await
            .map_err(from_diesel)?;
        let items = rows
            .into_iter()
            .map(
                |(id, horse_id, horse_name, user_id, username, fee_paid, created_at)| {
                    Ok(EntryView {
                        id,
                        show_id: show,
                        horse_id: horse_id.map(HorseId::new),
                        horse_name,
                        user_id: UserId::new(user_id),
                        username,
                        fee_paid: money(fee_paid)?,
                        created_at,
                    })
                },
            )
            .collect::<Result<_, StoreError>>()?;
        Ok(Some(Paged { items, total, page }))
    }

    async fn enter(
        &self,
        show: ShowId,
        horse: HorseId,
        user: UserId,
        now: DateTime<Utc>,
        check: EntryCheck<'_>,
    ) -> Result<EntryView, EntryRefusal> {
        let mut conn = self.get().await?;
        // 0. The rules on a plain read, taking no lock: a refused entry (above all one for a
        //    show that no longer takes entries) never queues on the show row, where it would
        //    keep the scheduler's SKIP LOCKED claim away from a due show.
        match entry_context(&mut conn, show, horse, user, Lock::None).await {
            Ok(loaded) => check(&loaded.facts)?,
            Err(EnterTxError::Refused(refusal)) => return Err(refusal),
            Err(EnterTxError::Db(e)) => return Err(from_diesel(e).into()),
        }
        let result = conn
            .transaction::<_, EnterTxError, _>(async move |conn| {
                // 1-3. The same facts, locked: the show row (entries of this show queue up
                //    here), the horse (share-locked so it cannot change or go away before the
                //    commit), the caller's balance and any existing entry of the horse.
                let LoadedEntry {
                    facts: context,
                    horse_name,
                } = entry_context(conn, show, horse, user, Lock::Rows).await?;
                let horse_id = context.horse.id.get();

                // 4. The rules, on exactly this state.
                let fee = context.show.entry_fee.money();
                check(&context)?;

                // 5. Take a place: conditional, so capacity holds even without the lock.
                let taken = diesel::update(shows::table.find(show.get()))
                    .filter(shows::status.eq(ShowStatus::Open.as_str()))
                    .filter(shows::closes_at.ge(now))
                    .filter(shows::entry_count.lt(shows::max_entries))
                    .set(shows::entry_count.eq(shows::entry_count + 1))
                    .execute(conn)
                    .await?;
                if taken == 0 {
                    return Err(EntryRefusal::ShowFull.into());
                }

                // 6. The fee: a conditional debit that refuses to go below zero.
                if fee.coins() > 0 {
                    let reference = show_reference(show);
                    move_money(
                        conn,
                        user.get(),
                        -fee.coins(),
                        LedgerReason::ShowEntryFee,
                        Some(&reference),
                    )
                    .await
                    .map_err(|e| match e {
                        MoneyError::InsufficientFunds => {
                            EnterTxError::Refused(EntryRefusal::InsufficientFunds {
                                fee,
                                balance: context.balance,
                            })
                        }
                        MoneyError::Database(e) => EnterTxError::Db(e),
                    })?;
                }

                // 7. The entry (unique per show and horse).
                let (entry_id, created_at): (i64, DateTime<Utc>) =
                    diesel::insert_into(show_entries::table)
                        .values((
                            show_entries::show_id.eq(show.get()),
                            show_entries::horse_id.eq(horse.get()),
                            show_entries::user_id.eq(user.get()),
                            show_entries::fee_paid.eq(fee.coins()),
                        ))
                        .returning((show_entries::id, show_entries::created_at))
                        .get_result(conn)
                        .await?;
                let username: String = users::table
                    .find(user.get())
                    .select(users::username)
                    .first(conn)
                    .await?;
                Ok(EntryView {
                    id: entry_id,
                    show_id: show,
                    horse_id: Some(HorseId::new(horse_id)),
                    horse_name: Some(horse_name),
                    user_id: user,
                    username,
                    fee_paid: fee,
                    created_at,
                })
            })
            .await;
        match result {
            Ok(entry) => Ok(entry),
            Err(EnterTxError::Refused(refusal)) => Err(refusal),
            Err(EnterTxError::Db(DieselError::DatabaseError(
                DatabaseErrorKind::UniqueViolation,
                info,
            ))) if info.constraint_name() == Some("show_entries_show_id_horse_id_key") => {
                Err(EntryRefusal::AlreadyEntered)
            }
            Err(EnterTxError::Db(e)) => Err(from_diesel(e).into()),
        }
    }

    async fn due_shows(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<ShowId>, StoreError> {
        let mut conn = self.get().await?;
        let ids: Vec<i64> = shows::table
            .filter(shows::status.eq(ShowStatus::Open.as_str()))
            .filter(shows::runs_at.le(now))
            .filter(shows::next_run_at.is_null().or(shows::next_run_at.le(now)))
            .order((
                shows::run_attempts.asc(),
                shows::runs_at.asc(),
                shows::id.asc(),
            ))
            .limit(i64::from(limit))
            .select(shows::id)
            .load(&mut conn)
            .await
            .map_err(from_diesel)?;
        Ok(ids.into_iter().map(ShowId::new).collect())
    }

    async fn postpone_run(
        &self,
        show: ShowId,
        now: DateTime<Utc>,
        first_delay: std::time::Duration,
        max_delay: std::time::Duration,
    ) -> Result<u32, StoreError> {
        let mut conn = self.get().await?;
        #[derive(QueryableByName)]
        struct Attempts {
            #[diesel(sql_type = Int4)]
            run_attempts: i32,
        }
        // The delay doubles with every failure so far (the exponent is capped well before
        // the power could overflow, the delay by `max_delay`).
        let attempts: Option<Attempts> = diesel::sql_query(
            "UPDATE shows SET run_attempts = run_attempts + 1, \
             next_run_at = $2 + make_interval(secs => \
                 least($3::float8 * power(2, least(run_attempts, 30)), $4::float8)) \
             WHERE id = $1 AND status = 'open' RETURNING run_attempts",
        )
        .bind::<Int8, _>(show.get())
        .bind::<Timestamptz, _>(now)
        .bind::<diesel::sql_types::Double, _>(first_delay.as_secs_f64())
        .bind::<diesel::sql_types::Double, _>(max_delay.as_secs_f64())
        .get_result(&mut conn)
        .await
        .optional()
        .map_err(from_diesel)?;
        Ok(attempts.map_or(0, |a| non_negative(a.run_attempts)))
    }

    async fn run_show(
        &self,
        show: ShowId,
        now: DateTime<Utc>,
        claim: Claim,
        score: Scorer<'_>,
    ) -> Result<RunSummary, RunError> {
        let mut conn = self.get().await?;
        let result = conn
            .transaction::<_, RunTxError, _>(async move |conn| {
                // 1. Claim: the show row, locked, and still open.
                let locked = shows::table
                    .find(show.get())
                    .select(ShowRow::as_select())
                    .for_update();
                let row: Option<ShowRow> = match claim {
                    Claim::Wait => locked.first(conn).await.optional()?,
                    Claim::SkipLocked => locked.skip_locked().first(conn).await.optional()?,
                };
                let Some(row) = row else {
                    return Err(if show_exists(conn, show).await? {
                        RunError::Busy
                    } else {
                        RunError::NotFound
                    }
                    .into());
                };
                let show_view = row.into_view()?;
                if show_view.status != ShowStatus::Open {
                    return Err(RunError::AlreadyRun.into());
                }
                let reference = show_reference(show);

                // 2. The entered horses, locked in id order, then read with their scores.
                diesel::sql_query(
                    "SELECT h.id FROM horses h JOIN show_entries e ON e.horse_id = h.id \
                     WHERE e.show_id = $1 ORDER BY h.id FOR UPDATE OF h",
                )
                .bind::<Int8, _>(show.get())
                .execute(conn)
                .await?;
                let rows: Vec<EntrantRow> = diesel::sql_query(
                    "SELECT e.id AS entry_id, e.user_id, h.id AS horse_id, h.name AS horse_name, \
                     h.date_of_birth, COALESCE(ds.score, 0::smallint) AS discipline_score, \
                     h.speed, h.stamina, h.agility, h.balance, h.precision, h.intelligence, \
                     h.boldness, h.flexibility, h.obedience, h.focus, h.strength, h.endurance \
                     FROM show_entries e JOIN horses h ON h.id = e.horse_id \
                     LEFT JOIN discipline_scores ds \
                       ON ds.horse_id = h.id AND ds.discipline = $2 \
                     WHERE e.show_id = $1 ORDER BY e.id",
                )
                .bind::<Int8, _>(show.get())
                .bind::<Text, _>(show_view.discipline.name())
                .load(conn)
                .await?;
                if rows.len() != show_view.entry_count as usize {
                    return Err(StoreError::Other(format!(
                        "show {show} counts {} entries but {} entered horses were found",
                        show_view.entry_count,
                        rows.len()
                    ))
                    .into());
                }
                let entrants = rows
                    .into_iter()
                    .map(EntrantRow::into_entrant)
                    .collect::<Result<Vec<_>, _>>()?;

                // 3. Score and rank (pure).
                let outcome = score(&show_view, &entrants);
                let prizes = Money::checked_sum(outcome.results.iter().map(|r| r.prize));
                if outcome.results.len() != entrants.len()
                    || prizes.and_then(|p| p.checked_add(outcome.refund))
                        != Some(show_view.prize_pool)
                {
                    return Err(StoreError::Other(format!(
                        "scoring of show {show} broke its invariants"
                    ))
                    .into());
                }
                let prizes_paid = prizes.unwrap_or(Money::ZERO);
                let by_entry: std::collections::HashMap<i64, &RunEntrant> =
                    entrants.iter().map(|e| (e.entry_id, e)).collect();
                let mut placed = Vec::with_capacity(outcome.results.len());
                for result in &outcome.results {
                    let entry_id = i64::try_from(result.entry_sequence).unwrap_or(-1);
                    let entrant = by_entry.get(&entry_id).copied().ok_or_else(|| {
                        StoreError::Other(format!("scoring returned unknown entry {entry_id}"))
                    })?;
                    placed.push((result, entrant));
                }

                // 4. Results (immutable from here on).
                for (result, entrant) in &placed {
                    diesel::insert_into(crate::schema::competition_results::table)
                        .values((
                            crate::schema::competition_results::show_id.eq(show.get()),
                            crate::schema::competition_results::horse_id.eq(entrant.horse_id.get()),
                            crate::schema::competition_results::horse_name.eq(&entrant.horse_name),
                            crate::schema::competition_results::user_id.eq(entrant.user_id.get()),
                            crate::schema::competition_results::entry_id.eq(entrant.entry_id),
                            crate::schema::competition_results::placement
                                .eq(to_i32(result.placement)),
                            crate::schema::competition_results::score
                                .eq(to_i32(result.score.hundredths())),
                            // Stored in hundredths; the domain keeps tenths.
                            crate::schema::competition_results::base_score
                                .eq(to_i32(result.base.tenths() * 10)),
                            crate::schema::competition_results::prize.eq(result.prize.coins()),
                            crate::schema::competition_results::horse_xp_awarded
                                .eq(to_i32(result.horse_xp)),
                            crate::schema::competition_results::owner_xp_awarded
                                .eq(to_i32(result.owner_xp)),
                            crate::schema::competition_results::stat_gained
                                .eq(result.stat_gain.map(|g| g.stat.as_str())),
                        ))
                        .execute(conn)
                        .await?;
                }

                // 5. Horses, in id order: XP (+ history), earnings, wins, stat gain.
                let mut by_horse: Vec<_> = placed.iter().collect();
                by_horse.sort_by_key(|(_, e)| e.horse_id);
                for (result, entrant) in by_horse {
                    let wins = i32::from(result.placement == 1);
                    let horse_xp = to_i32(result.horse_xp);
                    match result.stat_gain {
                        Some(gain) => {
                            // The column name comes from the closed list of stats.
                            diesel::sql_query(format!(
                                "UPDATE horses SET xp = xp + $1, earnings = earnings + $2, \
                                 wins = wins + $3, {stat} = $4 WHERE id = $5",
                                stat = gain.stat.as_str()
                            ))
                            .bind::<BigInt, _>(i64::from(horse_xp))
                            .bind::<BigInt, _>(result.prize.coins())
                            .bind::<Int4, _>(wins)
                            .bind::<Int2, _>(i16::from(gain.new_value.get()))
                            .bind::<Int8, _>(entrant.horse_id.get())
                            .execute(conn)
                            .await?;
                        }
                        None => {
                            diesel::update(horses::table.find(entrant.horse_id.get()))
                                .set((
                                    horses::xp.eq(horses::xp + i64::from(horse_xp)),
                                    horses::earnings.eq(horses::earnings + result.prize.coins()),
                                    horses::wins.eq(horses::wins + wins),
                                ))
                                .execute(conn)
                                .await?;
                        }
                    }
                    if horse_xp > 0 {
                        diesel::insert_into(crate::schema::horse_xp_events::table)
                            .values((
                                crate::schema::horse_xp_events::horse_id.eq(entrant.horse_id.get()),
                                crate::schema::horse_xp_events::amount.eq(horse_xp),
                                crate::schema::horse_xp_events::reason
                                    .eq(XpReason::ShowPlacement.as_str()),
                                crate::schema::horse_xp_events::reference.eq(&reference),
                            ))
                            .execute(conn)
                            .await?;
                    }
                }

                // 6. Owners, in id order: prizes (ledger) and XP (history).
                let mut by_owner: Vec<_> = placed.iter().collect();
                by_owner.sort_by_key(|(r, e)| (e.user_id, r.placement));
                for (result, entrant) in by_owner {
                    if result.prize.coins() > 0 {
                        move_money(
                            conn,
                            entrant.user_id.get(),
                            result.prize.coins(),
                            LedgerReason::ShowPrize,
                            Some(&reference),
                        )
                        .await
                        .map_err(|e| match e {
                            MoneyError::Database(e) => RunTxError::Db(e),
                            MoneyError::InsufficientFunds => {
                                RunTxError::Refused(RunError::Store(StoreError::Other(
                                    "a prize credit was refused by the balance check".to_owned(),
                                )))
                            }
                        })?;
                    }
                    award_user_xp(
                        conn,
                        entrant.user_id.get(),
                        to_i32(result.owner_xp),
                        XpReason::ShowPlacement,
                        Some(&reference),
                    )
                    .await?;
                }

                // 7. The house: the whole pool goes out, the unpaid rest comes back.
                record_house_flow(
                    conn,
                    -show_view.prize_pool.coins(),
                    LedgerReason::ShowPrizePool,
                    Some(&reference),
                    None,
                )
                .await?;
                record_house_flow(
                    conn,
                    outcome.refund.coins(),
                    LedgerReason::ShowPoolRefund,
                    Some(&reference),
                    None,
                )
                .await?;

                // 8. Completion (still under the claim's lock).
                let completed = diesel::update(shows::table.find(show.get()))
                    .filter(shows::status.eq(ShowStatus::Open.as_str()))
                    .set((
                        shows::status.eq(ShowStatus::Completed.as_str()),
                        shows::completed_at.eq(now),
                        shows::house_refund.eq(outcome.refund.coins()),
                    ))
                    .execute(conn)
                    .await?;
                if completed != 1 {
                    return Err(RunError::AlreadyRun.into());
                }
                Ok(RunSummary {
                    show_id: show,
                    entrants: count_u32(i64::try_from(entrants.len()).unwrap_or(i64::MAX)),
                    prizes_paid,
                    refund: outcome.refund,
                    completed_at: now,
                })
            })
            .await;
        match result {
            Ok(summary) => Ok(summary),
            Err(RunTxError::Refused(e)) => Err(e),
            Err(RunTxError::Db(e)) => Err(from_diesel(e).into()),
        }
    }

    async fn show_results(
        &self,
        show: ShowId,
        page: Page,
    ) -> Result<Option<Paged<ResultView>>, StoreError> {
        let mut conn = self.get().await?;
        if !show_exists(&mut conn, show).await? {
            return Ok(None);
        }
        result_page(&mut conn, "r.show_id = $1", show.get(), "r.placement", page)
            .await
            .map(Some)
    }

    async fn user_results(
        &self,
        user: UserId,
        page: Page,
    ) -> Result<Paged<ResultView>, StoreError> {
        let mut conn = self.get().await?;
        result_page(
            &mut conn,
            "r.user_id = $1",
            user.get(),
            "r.created_at DESC, r.id DESC",
            page,
        )
        .await
    }

    async fn dashboard(
        &self,
        user: UserId,
        now: DateTime<Utc>,
        recent: u32,
    ) -> Result<DashboardFacts, StoreError> {
        let mut conn = self.get().await?;
        let horse_count: i64 = horses::table
            .filter(horses::owner_id.eq(user.get()))
            .count()
            .get_result(&mut conn)
            .await
            .map_err(from_diesel)?;
        // Age 3..=20 in game years <=> born at or before now - 3 years and strictly after
        // now - 21 years (see `equoria_domain::horse::age_in_years`).
        let years = |n: u32| GAME_YEAR * i32::try_from(n).unwrap_or(i32::MAX);
        let born_by = now - years(TRAINING_MIN_AGE);
        let born_after = now - years(TRAINING_MAX_AGE + 1);
        let trainable_now: i64 = horses::table
            .filter(horses::owner_id.eq(user.get()))
            .filter(horses::health.eq(Health::Healthy.as_str()))
            .filter(horses::date_of_birth.le(born_by))
            .filter(horses::date_of_birth.gt(born_after))
            .filter(
                horses::training_cooldown_end
                    .is_null()
                    .or(horses::training_cooldown_end.le(now)),
            )
            .count()
            .get_result(&mut conn)
            .await
            .map_err(from_diesel)?;
        let upcoming: Vec<UpcomingRow> = diesel::sql_query(
            "SELECT e.id AS entry_id, s.id AS show_id, s.name AS show_name, s.discipline, \
             e.horse_id, h.name AS horse_name, s.runs_at \
             FROM show_entries e JOIN shows s ON s.id = e.show_id \
             LEFT JOIN horses h ON h.id = e.horse_id \
             WHERE e.user_id = $1 AND s.status = 'open' \
             ORDER BY s.runs_at, e.id LIMIT $2",
        )
        .bind::<Int8, _>(user.get())
        .bind::<BigInt, _>(i64::from(recent))
        .load(&mut conn)
        .await
        .map_err(from_diesel)?;
        let upcoming_entries = upcoming
            .into_iter()
            .map(|r| {
                Ok(UpcomingEntry {
                    entry_id: r.entry_id,
                    show_id: ShowId::new(r.show_id),
                    show_name: r.show_name,
                    discipline: parse_discipline(&r.discipline)?,
                    horse_id: r.horse_id.map(HorseId::new),
                    horse_name: r.horse_name,
                    runs_at: r.runs_at,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        let first = Page::new(1, recent.clamp(1, Page::MAX_LIMIT))
            .map_err(|e| StoreError::Other(format!("dashboard page: {e}")))?;
        let recent_results = result_page(
            &mut conn,
            "r.user_id = $1",
            user.get(),
            "r.created_at DESC, r.id DESC",
            first,
        )
        .await?
        .items;
        Ok(DashboardFacts {
            horse_count: count_u32(horse_count),
            trainable_now: count_u32(trainable_now),
            upcoming_entries,
            recent_results,
        })
    }
}

fn level_i32(level: Level) -> i32 {
    i32::try_from(level.get()).unwrap_or(i32::MAX)
}

fn to_i32(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}
