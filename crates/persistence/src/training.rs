//! [`TrainingStore`] on PostgreSQL.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use equoria_application::StoreError;
use equoria_application::horses::HorseRecord;
use equoria_application::paging::{Page, Paged};
use equoria_application::training::*;
use equoria_domain::ledger::XpReason;
use equoria_domain::training::TrainingOutcome;
use equoria_domain::{Discipline, DisciplineScore, HorseId, StatGain, UserId};
use futures_util::FutureExt as _;
use futures_util::future::{try_join, try_join4};

use crate::DbPool;
use crate::error::{TxError, from_diesel};
use crate::horses::{HorseRow, horse_select, into_record, load_horse, ready_to_train, trainable};
use crate::ledger::award_user_xp;
use crate::schema::{breeds, discipline_scores, horses, training_sessions};
use crate::stat_columns::with_stat_column;

#[async_trait]
impl TrainingStore for DbPool {
    async fn training_subject(
        &self,
        owner: UserId,
        id: HorseId,
    ) -> Result<Option<TrainingSubject>, StoreError> {
        let conn = self.get().await?;
        // The horse and its scores in one round trip (pipelined).
        let mut shared: &AsyncPgConnection = &conn;
        let scores = discipline_scores::table
            .filter(discipline_scores::horse_id.eq(id.get()))
            .select((discipline_scores::discipline, discipline_scores::score))
            .load::<(String, i16)>(&mut shared);
        let (row, rows) = try_join(load_horse(&conn, id, Some(owner)), scores)
            .await
            .map_err(from_diesel)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let horse = into_record(row)?;
        let mut scores = BTreeMap::new();
        for (name, score) in rows {
            let discipline = Discipline::parse(&name)
                .map_err(|e| StoreError::Other(format!("discipline_scores: {e}")))?;
            let score = DisciplineScore::try_from(score)
                .map_err(|e| StoreError::Other(format!("discipline_scores: {e}")))?;
            scores.insert(discipline, score);
        }
        Ok(Some(TrainingSubject { horse, scores }))
    }

    async fn record_training(
        &self,
        owner: UserId,
        id: HorseId,
        outcome: &TrainingOutcome,
        now: DateTime<Utc>,
    ) -> Result<TrainingCommit, StoreError> {
        let mut conn = self.get().await?;
        let outcome = *outcome;
        let result = conn
            .transaction::<_, TxError<StoreError>, _>(async move |conn| {
                // The claim: only one session can move the cooldown forward. A concurrent
                // request blocks on the row lock, then re-checks the WHERE and finds nothing.
                let claimed: Option<HorseRow> = diesel::update(horses::table)
                    .filter(horses::id.eq(id.get()))
                    .filter(horses::owner_id.eq(owner.get()))
                    .filter(ready_to_train(now))
                    .set(horses::training_cooldown_end.eq(outcome.cooldown_end))
                    .returning(HorseRow::as_returning())
                    .get_result(conn)
                    .await
                    .optional()?;
                let Some(claimed) = claimed else {
                    let fresh = load_horse(conn, id, Some(owner)).await?;
                    let fresh = fresh.map(into_record).transpose().map_err(TxError::Rule)?;
                    return Ok(TrainingCommit::Lost(fresh));
                };
                // The row is locked from here on: its stats are exact.
                let stats = into_record((claimed, String::new(), false))
                    .map_err(TxError::Rule)?
                    .stats;
                let gain = outcome
                    .stat_gain
                    .and_then(|g| StatGain::apply(&stats, g.stat, g.amount));
                // The row is ours until commit and nothing below depends on another
                // statement's result: send them all at once (pipelined), one round trip.
                let shared: &AsyncPgConnection = conn;
                let stat = match gain {
                    Some(gain) => {
                        let value = i16::from(gain.new_value.get());
                        with_stat_column!(gain.stat, column => {
                            diesel::update(horses::table.find(id.get()))
                                .set(column.eq(value))
                                .execute(&mut &*shared)
                        })
                    }
                    None => futures_util::future::ready(Ok(0)).boxed(),
                };
                let discipline = outcome.discipline.name();
                let score = diesel::insert_into(discipline_scores::table)
                    .values((
                        discipline_scores::horse_id.eq(id.get()),
                        discipline_scores::discipline.eq(discipline),
                        discipline_scores::score.eq(i16::from(outcome.score_after.get())),
                    ))
                    .on_conflict((discipline_scores::horse_id, discipline_scores::discipline))
                    .do_update()
                    .set(discipline_scores::score.eq(excluded(discipline_scores::score)))
                    .execute(&mut &*shared);
                let xp = i32::try_from(outcome.xp_awarded).unwrap_or(i32::MAX);
                let session = diesel::insert_into(training_sessions::table)
                    .values((
                        training_sessions::horse_id.eq(id.get()),
                        training_sessions::user_id.eq(owner.get()),
                        training_sessions::discipline.eq(discipline),
                        training_sessions::score_before.eq(i16::from(outcome.score_before.get())),
                        training_sessions::score_after.eq(i16::from(outcome.score_after.get())),
                        training_sessions::stat_gained.eq(gain.map(|g| g.stat.as_str())),
                        training_sessions::stat_gain_amount.eq(gain.map(|g| i16::from(g.amount))),
                        training_sessions::xp_awarded.eq(xp),
                        training_sessions::trained_at.eq(now),
                    ))
                    .execute(&mut &*shared);
                let reference = format!("horse:{}", id.get());
                let owner_xp = award_user_xp(
                    shared,
                    owner.get(),
                    xp,
                    XpReason::Training,
                    Some(&reference),
                );
                try_join4(stat, score, session, owner_xp).await?;
                Ok(TrainingCommit::Committed { stat_gain: gain })
            })
            .await;
        result.map_err(TxError::into_error)
    }

    async fn trainable_horses(
        &self,
        owner: UserId,
        now: DateTime<Utc>,
        page: Page,
    ) -> Result<Paged<HorseRecord>, StoreError> {
        let filtered = || {
            horses::table
                .inner_join(breeds::table)
                .filter(horses::owner_id.eq(owner.get()))
                .filter(trainable(now))
        };
        let mut conn = self.get().await?;
        let total: i64 = filtered()
            .count()
            .get_result(&mut conn)
            .await
            .map_err(from_diesel)?;
        let rows = filtered()
            .order((horses::created_at.asc(), horses::id.asc()))
            .select(horse_select())
            .limit(i64::from(page.limit()))
            .offset(page.offset())
            .load::<(HorseRow, String, bool)>(&mut conn)
            .await
            .map_err(from_diesel)?;
        let items = rows
            .into_iter()
            .map(into_record)
            .collect::<Result<_, _>>()?;
        Ok(Paged { items, total, page })
    }
}
