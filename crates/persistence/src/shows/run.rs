//! Running a show: one transaction of named phases, each on the transaction's connection.
//!
//! Locks, in this order only (see ARCHITECTURE.md): the show row, then the entered horses in
//! id order, then the owners' user rows in id order. The show is re-checked to be open under
//! its lock, so two runs of one show produce one set of results and one payout.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Int8, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use equoria_application::StoreError;
use equoria_application::shows::{
    Claim, RunEntrant, RunError, RunSummary, Scorer, ShowStatus, ShowView,
};
use equoria_domain::competition::{EntryResult, ShowOutcome};
use equoria_domain::ledger::{LedgerReason, XpReason};
use equoria_domain::{Money, ShowId};

use super::reads::show_exists;
use super::rows::{EntrantRow, ShowRow, count_u32, show_reference, to_i32};
use crate::error::TxError;
use crate::ledger::{award_user_xp, move_money, record_house_flow};
use crate::schema::{competition_results, horse_xp_events, horses, shows};
use crate::stat_columns::with_stat_column;

type RunTxError = TxError<RunError>;

/// A result beside the entrant it is for.
type Placed<'a> = (&'a EntryResult, &'a RunEntrant);

/// The scoring of a show, checked against its invariants.
struct Scored<'a> {
    /// Every result with its entrant, in the scorer's order (best first).
    placed: Vec<Placed<'a>>,
    /// The prizes paid to owners (the pool less the refund).
    prizes_paid: Money,
}

/// Claims the open show, scores it and writes everything it decided, in one transaction
/// (see `ShowStore::run_show`).
pub(super) async fn run_show(
    conn: &mut AsyncPgConnection,
    show: ShowId,
    now: DateTime<Utc>,
    claim: Claim,
    score: Scorer<'_>,
) -> Result<RunSummary, RunError> {
    conn.transaction::<_, RunTxError, _>(async move |conn| {
        let show_view = claim_show(conn, show, claim).await?;
        let entrants = lock_entrants(conn, &show_view).await?;
        let outcome = score(&show_view, &entrants);
        let scored = check_outcome(&show_view, &entrants, &outcome).map_err(TxError::rule)?;
        let reference = show_reference(show);
        record_results(conn, show, &scored.placed).await?;
        reward_horses(conn, &scored.placed, &reference).await?;
        reward_owners(conn, &scored.placed, &reference).await?;
        record_pool(conn, &show_view, outcome.refund, &reference).await?;
        mark_completed(conn, show, now, outcome.refund).await?;
        Ok(RunSummary {
            show_id: show,
            entrants: count_u32(i64::try_from(entrants.len()).unwrap_or(i64::MAX)),
            prizes_paid: scored.prizes_paid,
            refund: outcome.refund,
            completed_at: now,
        })
    })
    .await
    .map_err(TxError::into_error)
}

/// 1. The claim: the show row, locked, and still open. With [`Claim::SkipLocked`] a show
///    another transaction holds is [`RunError::Busy`].
async fn claim_show(
    conn: &mut AsyncPgConnection,
    show: ShowId,
    claim: Claim,
) -> Result<ShowView, RunTxError> {
    let locked = shows::table
        .find(show.get())
        .select(ShowRow::as_select())
        .for_update();
    let row: Option<ShowRow> = match claim {
        Claim::Wait => locked.first(conn).await.optional()?,
        Claim::SkipLocked => locked.skip_locked().first(conn).await.optional()?,
    };
    let Some(row) = row else {
        let exists = show_exists(conn, show).await.map_err(TxError::rule)?;
        return Err(TxError::Rule(if exists {
            RunError::Busy
        } else {
            RunError::NotFound
        }));
    };
    let show_view = row.into_view().map_err(TxError::rule)?;
    if show_view.status != ShowStatus::Open {
        return Err(TxError::Rule(RunError::AlreadyRun));
    }
    Ok(show_view)
}

/// 2. The entered horses, locked in id order, then read with their scores in the show's
///    discipline, in entry order.
async fn lock_entrants(
    conn: &mut AsyncPgConnection,
    show: &ShowView,
) -> Result<Vec<RunEntrant>, RunTxError> {
    diesel::sql_query(
        "SELECT h.id FROM horses h JOIN show_entries e ON e.horse_id = h.id \
         WHERE e.show_id = $1 ORDER BY h.id FOR UPDATE OF h",
    )
    .bind::<Int8, _>(show.id.get())
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
    .bind::<Int8, _>(show.id.get())
    .bind::<Text, _>(show.discipline.name())
    .load(conn)
    .await?;
    if rows.len() != show.entry_count as usize {
        return Err(TxError::rule(StoreError::Other(format!(
            "show {} counts {} entries but {} entered horses were found",
            show.id,
            show.entry_count,
            rows.len()
        ))));
    }
    rows.into_iter()
        .map(EntrantRow::into_entrant)
        .collect::<Result<Vec<_>, _>>()
        .map_err(TxError::rule)
}

/// 3. The scorer's outcome, checked (one result per entrant, prizes and refund adding up to
///    the pool) and each result paired with its entrant.
fn check_outcome<'a>(
    show: &ShowView,
    entrants: &'a [RunEntrant],
    outcome: &'a ShowOutcome,
) -> Result<Scored<'a>, StoreError> {
    let prizes = Money::checked_sum(outcome.results.iter().map(|r| r.prize));
    if outcome.results.len() != entrants.len()
        || prizes.and_then(|p| p.checked_add(outcome.refund)) != Some(show.prize_pool)
    {
        return Err(StoreError::Other(format!(
            "scoring of show {} broke its invariants",
            show.id
        )));
    }
    let by_entry: HashMap<i64, &RunEntrant> = entrants.iter().map(|e| (e.entry_id, e)).collect();
    let placed = outcome
        .results
        .iter()
        .map(|result| {
            let entry_id = i64::try_from(result.entry_sequence).unwrap_or(-1);
            let entrant = by_entry.get(&entry_id).copied().ok_or_else(|| {
                StoreError::Other(format!("scoring returned unknown entry {entry_id}"))
            })?;
            Ok((result, entrant))
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(Scored {
        placed,
        prizes_paid: prizes.unwrap_or(Money::ZERO),
    })
}

/// 4. The results (immutable from here on).
async fn record_results(
    conn: &mut AsyncPgConnection,
    show: ShowId,
    placed: &[Placed<'_>],
) -> Result<(), RunTxError> {
    for (result, entrant) in placed {
        diesel::insert_into(competition_results::table)
            .values((
                competition_results::show_id.eq(show.get()),
                competition_results::horse_id.eq(entrant.horse_id.get()),
                competition_results::horse_name.eq(&entrant.horse_name),
                competition_results::user_id.eq(entrant.user_id.get()),
                competition_results::entry_id.eq(entrant.entry_id),
                competition_results::placement.eq(to_i32(result.placement)),
                competition_results::score.eq(to_i32(result.score.hundredths())),
                // Stored in hundredths; the domain keeps tenths.
                competition_results::base_score.eq(to_i32(result.base.tenths() * 10)),
                competition_results::prize.eq(result.prize.coins()),
                competition_results::horse_xp_awarded.eq(to_i32(result.horse_xp)),
                competition_results::owner_xp_awarded.eq(to_i32(result.owner_xp)),
                competition_results::stat_gained.eq(result.stat_gain.map(|g| g.stat.as_str())),
            ))
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// 5. The horses, in id order: XP (and its history), earnings, wins and the stat gain.
async fn reward_horses(
    conn: &mut AsyncPgConnection,
    placed: &[Placed<'_>],
    reference: &str,
) -> Result<(), RunTxError> {
    let mut by_horse: Vec<_> = placed.iter().collect();
    by_horse.sort_by_key(|(_, e)| e.horse_id);
    for (result, entrant) in by_horse {
        let id = entrant.horse_id.get();
        let wins = i32::from(result.placement == 1);
        let horse_xp = to_i32(result.horse_xp);
        let xp = horses::xp.eq(horses::xp + i64::from(horse_xp));
        let earnings = horses::earnings.eq(horses::earnings + result.prize.coins());
        let won = horses::wins.eq(horses::wins + wins);
        match result.stat_gain {
            Some(gain) => {
                let value = i16::from(gain.new_value.get());
                with_stat_column!(gain.stat, column => {
                    diesel::update(horses::table.find(id))
                        .set((xp, earnings, won, column.eq(value)))
                        .execute(conn)
                        .await?
                });
            }
            None => {
                diesel::update(horses::table.find(id))
                    .set((xp, earnings, won))
                    .execute(conn)
                    .await?;
            }
        }
        if horse_xp > 0 {
            diesel::insert_into(horse_xp_events::table)
                .values((
                    horse_xp_events::horse_id.eq(id),
                    horse_xp_events::amount.eq(horse_xp),
                    horse_xp_events::reason.eq(XpReason::ShowPlacement.as_str()),
                    horse_xp_events::reference.eq(reference),
                ))
                .execute(conn)
                .await?;
        }
    }
    Ok(())
}

/// 6. The owners, in id order: prizes (ledger) and XP (history).
async fn reward_owners(
    conn: &mut AsyncPgConnection,
    placed: &[Placed<'_>],
    reference: &str,
) -> Result<(), RunTxError> {
    let mut by_owner: Vec<_> = placed.iter().collect();
    by_owner.sort_by_key(|(r, e)| (e.user_id, r.placement));
    for (result, entrant) in by_owner {
        if result.prize.coins() > 0 {
            move_money(
                conn,
                entrant.user_id.get(),
                result.prize.coins(),
                LedgerReason::ShowPrize,
                Some(reference),
            )
            .await
            .map_err(|e| {
                TxError::from_money(e, || {
                    StoreError::Other("a prize credit was refused by the balance check".to_owned())
                        .into()
                })
            })?;
        }
        award_user_xp(
            conn,
            entrant.user_id.get(),
            to_i32(result.owner_xp),
            XpReason::ShowPlacement,
            Some(reference),
        )
        .await?;
    }
    Ok(())
}

/// 7. The house: the whole pool goes out, the unpaid rest comes back.
async fn record_pool(
    conn: &mut AsyncPgConnection,
    show: &ShowView,
    refund: Money,
    reference: &str,
) -> Result<(), RunTxError> {
    record_house_flow(
        conn,
        -show.prize_pool.coins(),
        LedgerReason::ShowPrizePool,
        Some(reference),
        None,
    )
    .await?;
    record_house_flow(
        conn,
        refund.coins(),
        LedgerReason::ShowPoolRefund,
        Some(reference),
        None,
    )
    .await?;
    Ok(())
}

/// 8. Completion, still under the claim's lock.
async fn mark_completed(
    conn: &mut AsyncPgConnection,
    show: ShowId,
    now: DateTime<Utc>,
    refund: Money,
) -> Result<(), RunTxError> {
    let completed = diesel::update(shows::table.find(show.get()))
        .filter(shows::status.eq(ShowStatus::Open.as_str()))
        .set((
            shows::status.eq(ShowStatus::Completed.as_str()),
            shows::completed_at.eq(now),
            shows::house_refund.eq(refund.coins()),
        ))
        .execute(conn)
        .await?;
    if completed != 1 {
        return Err(TxError::Rule(RunError::AlreadyRun));
    }
    Ok(())
}
