//! Money and XP movements. Each is a single conditional statement plus its
//! history row, run inside the caller's transaction, so balances can never
//! go negative and every change is recorded next to it.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use equoria_application::xp::XpEvent;
use equoria_domain::ledger::{LedgerReason, XpReason};

use crate::schema::{house_ledger, ledger_entries, user_xp_events, users};

/// Why a balance change was refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum MoneyError {
    #[error("insufficient funds")]
    InsufficientFunds,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Adds `amount` (negative to debit) to the user's balance, refusing to go
/// below zero, and writes the ledger entry. When the reason is money from or
/// to the house ([`LedgerReason::mirror_to_house`]: grants, purchases, fees),
/// the opposite flow is recorded in the house ledger under the same reason;
/// prizes are not mirrored because the show's pool and refund are recorded
/// instead. Returns the new balance.
pub(crate) async fn move_money(
    conn: &mut AsyncPgConnection,
    user_id: i64,
    amount: i64,
    reason: LedgerReason,
    reference: Option<&str>,
) -> Result<i64, MoneyError> {
    let balance: Option<i64> = diesel::update(users::table)
        .filter(users::id.eq(user_id))
        .filter(users::money.ge(-amount))
        .set(users::money.eq(users::money + amount))
        .returning(users::money)
        .get_result(conn)
        .await
        .optional()?;
    let balance = balance.ok_or(MoneyError::InsufficientFunds)?;
    diesel::insert_into(ledger_entries::table)
        .values((
            ledger_entries::user_id.eq(user_id),
            ledger_entries::amount.eq(amount),
            ledger_entries::balance_after.eq(balance),
            ledger_entries::reason.eq(reason.as_str()),
            ledger_entries::reference.eq(reference),
        ))
        .execute(conn)
        .await?;
    if reason.mirror_to_house() {
        record_house_flow(conn, -amount, reason, reference, Some(user_id)).await?;
    }
    Ok(balance)
}

/// Records money entering (positive) or leaving (negative) the house.
pub(crate) async fn record_house_flow(
    conn: &mut AsyncPgConnection,
    amount: i64,
    reason: LedgerReason,
    reference: Option<&str>,
    user_id: Option<i64>,
) -> Result<(), diesel::result::Error> {
    if amount == 0 {
        return Ok(());
    }
    diesel::insert_into(house_ledger::table)
        .values((
            house_ledger::amount.eq(amount),
            house_ledger::reason.eq(reason.as_str()),
            house_ledger::reference.eq(reference),
            house_ledger::user_id.eq(user_id),
        ))
        .execute(conn)
        .await
        .map(|_| ())
}

/// A row of an XP history (player or horse): id, amount, reason, reference, created_at.
pub(crate) type XpEventRow = (i64, i32, String, Option<String>, DateTime<Utc>);

pub(crate) fn into_xp_event((id, amount, reason, reference, created_at): XpEventRow) -> XpEvent {
    XpEvent {
        id,
        amount,
        reason,
        reference,
        created_at,
    }
}

/// Adds XP to a player and records the event. XP never decreases.
pub(crate) async fn award_user_xp(
    mut conn: &AsyncPgConnection,
    user_id: i64,
    amount: i32,
    reason: XpReason,
    reference: Option<&str>,
) -> Result<(), diesel::result::Error> {
    if amount <= 0 {
        return Ok(());
    }
    // Independent statements: sent together (pipelined), one round trip.
    let add = diesel::update(users::table.find(user_id))
        .set(users::xp.eq(users::xp + i64::from(amount)))
        .execute(&mut conn);
    let record = diesel::insert_into(user_xp_events::table)
        .values((
            user_xp_events::user_id.eq(user_id),
            user_xp_events::amount.eq(amount),
            user_xp_events::reason.eq(reason.as_str()),
            user_xp_events::reference.eq(reference),
        ))
        .execute(&mut conn);
    futures_util::future::try_join(add, record)
        .await
        .map(|_| ())
}
