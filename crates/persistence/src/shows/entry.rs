//! Entering a horse in a show: the entry rules decided on locked rows, the place, the fee
//! and the entry in one transaction.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use equoria_application::shows::{
    EntrantHorse, EntryCheck, EntryContext, EntryRefusal, EntryView, ShowStatus,
};
use equoria_domain::horse::Health;
use equoria_domain::ledger::LedgerReason;
use equoria_domain::{HorseId, ShowId, UserId};

use super::rows::{ShowRow, corrupt, money, show_reference};
use crate::error::TxError;
use crate::ledger::move_money;
use crate::schema::{breeds, horses, show_entries, shows, users};

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

type EntryTxError = TxError<EntryRefusal>;

/// Calls `check` on a plain read, then, in one transaction, on the locked rows; writes the
/// entry only if both pass (see `ShowStore::enter`).
pub(super) async fn enter(
    conn: &mut AsyncPgConnection,
    show: ShowId,
    horse: HorseId,
    user: UserId,
    now: DateTime<Utc>,
    check: EntryCheck<'_>,
) -> Result<EntryView, EntryRefusal> {
    // 0. The rules on a plain read, taking no lock: a refused entry (above all one for a
    //    show that no longer takes entries) never queues on the show row, where it would
    //    keep the scheduler's SKIP LOCKED claim away from a due show.
    let loaded = entry_context(conn, show, horse, user, Lock::None)
        .await
        .map_err(TxError::into_error)?;
    check(&loaded.facts)?;
    let result = conn
        .transaction::<_, EntryTxError, _>(async move |conn| {
            // 1-3. The same facts, locked: the show row (entries of this show queue up
            //    here), the horse (share-locked so it cannot change or go away before the
            //    commit), the caller's balance and any existing entry of the horse.
            let LoadedEntry {
                facts: context,
                horse_name,
            } = entry_context(conn, show, horse, user, Lock::Rows).await?;
            // 4. The rules, on exactly this state.
            check(&context).map_err(TxError::Rule)?;
            take_place(conn, show, now).await?;
            pay_fee(conn, show, user, &context).await?;
            insert_entry(conn, show, user, &context, horse_name).await
        })
        .await;
    match result {
        Err(TxError::Store(DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            info,
        ))) if info.constraint_name() == Some("show_entries_show_id_horse_id_key") => {
            Err(EntryRefusal::AlreadyEntered)
        }
        other => other.map_err(TxError::into_error),
    }
}

/// 5. Takes a place: conditional, so capacity holds even without the lock.
async fn take_place(
    conn: &mut AsyncPgConnection,
    show: ShowId,
    now: DateTime<Utc>,
) -> Result<(), EntryTxError> {
    let taken = diesel::update(shows::table.find(show.get()))
        .filter(shows::status.eq(ShowStatus::Open.as_str()))
        .filter(shows::closes_at.ge(now))
        .filter(shows::entry_count.lt(shows::max_entries))
        .set(shows::entry_count.eq(shows::entry_count + 1))
        .execute(conn)
        .await?;
    if taken == 0 {
        return Err(TxError::Rule(EntryRefusal::ShowFull));
    }
    Ok(())
}

/// 6. The fee: a conditional debit that refuses to go below zero.
async fn pay_fee(
    conn: &mut AsyncPgConnection,
    show: ShowId,
    user: UserId,
    context: &EntryContext,
) -> Result<(), EntryTxError> {
    let fee = context.show.entry_fee.money();
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
        .map_err(|e| {
            TxError::from_money(e, || EntryRefusal::InsufficientFunds {
                fee,
                balance: context.balance,
            })
        })?;
    }
    Ok(())
}

/// 7. The entry (unique per show and horse), as the answer shows it.
async fn insert_entry(
    conn: &mut AsyncPgConnection,
    show: ShowId,
    user: UserId,
    context: &EntryContext,
    horse_name: String,
) -> Result<EntryView, EntryTxError> {
    let fee = context.show.entry_fee.money();
    let (entry_id, created_at): (i64, DateTime<Utc>) = diesel::insert_into(show_entries::table)
        .values((
            show_entries::show_id.eq(show.get()),
            show_entries::horse_id.eq(context.horse.id.get()),
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
        horse_id: Some(context.horse.id),
        horse_name: Some(horse_name),
        user_id: user,
        username,
        fee_paid: fee,
        created_at,
    })
}

/// Reads the show, the horse, the caller's balance and any entry of the horse in the show.
async fn entry_context(
    conn: &mut AsyncPgConnection,
    show: ShowId,
    horse: HorseId,
    user: UserId,
    lock: Lock,
) -> Result<LoadedEntry, EntryTxError> {
    let show_query = shows::table.find(show.get()).select(ShowRow::as_select());
    let show_row: Option<ShowRow> = match lock {
        Lock::None => show_query.first(conn).await.optional()?,
        Lock::Rows => show_query.for_update().first(conn).await.optional()?,
    };
    let show_view = show_row
        .ok_or(TxError::Rule(EntryRefusal::ShowNotFound))?
        .into_view()
        .map_err(TxError::rule)?;

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
        horse_row.ok_or(TxError::Rule(EntryRefusal::HorseNotFound))?;
    let breed_is_gaited: bool = breeds::table
        .find(breed_id)
        .select(breeds::gaited)
        .first(conn)
        .await?;
    let health = Health::parse(&health)
        .map_err(corrupt)
        .map_err(TxError::rule)?;

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
            balance: money(balance).map_err(TxError::rule)?,
        },
        horse_name,
    })
}
