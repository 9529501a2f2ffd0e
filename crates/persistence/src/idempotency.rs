//! [`IdempotencyStore`] on PostgreSQL: one row per (player, key) in `idempotency_keys`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bytea, Int8, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use equoria_application::StoreError;
use equoria_application::idempotency::*;
use equoria_domain::UserId;

use crate::DbPool;
use crate::error::from_diesel;
use crate::schema::idempotency_keys;

const IN_PROGRESS: &str = "in_progress";
const COMPLETED: &str = "completed";

/// The claim: inserts the key, or takes over a row that expired or was abandoned. Both in one
/// statement, so the database decides which of two concurrent claims wins (the loser's
/// statement waits for the winner's row, then finds it neither expired nor abandoned).
const CLAIM_SQL: &str = "\
INSERT INTO idempotency_keys AS k (user_id, key, request_hash, state, created_at)
VALUES ($1, $2, $3, 'in_progress', $4)
ON CONFLICT (user_id, key) DO UPDATE
SET request_hash = EXCLUDED.request_hash,
    state = 'in_progress',
    response_status = NULL,
    response_body = NULL,
    created_at = EXCLUDED.created_at,
    completed_at = NULL
WHERE k.created_at < $5 OR (k.state = 'in_progress' AND k.created_at < $6)";

/// A claim that found the row gone when reading it (released in between) tries again; this
/// many times at most.
const CLAIM_ATTEMPTS: usize = 3;

type KeyRow = (Vec<u8>, String, Option<i16>, Option<Vec<u8>>);

#[async_trait]
impl IdempotencyStore for DbPool {
    async fn claim(
        &self,
        user: UserId,
        key: &IdempotencyKey,
        hash: &RequestHash,
        now: DateTime<Utc>,
        expired_before: DateTime<Utc>,
        abandoned_before: DateTime<Utc>,
    ) -> Result<ClaimOutcome, StoreError> {
        let mut conn = self.get().await?;
        for _ in 0..CLAIM_ATTEMPTS {
            let claimed = diesel::sql_query(CLAIM_SQL)
                .bind::<Int8, _>(user.get())
                .bind::<Text, _>(key.as_str())
                .bind::<Bytea, _>(hash.0.as_slice())
                .bind::<Timestamptz, _>(now)
                .bind::<Timestamptz, _>(expired_before)
                .bind::<Timestamptz, _>(abandoned_before)
                .execute(&mut conn)
                .await
                .map_err(from_diesel)?;
            if claimed == 1 {
                return Ok(ClaimOutcome::Claimed);
            }
            let row: Option<KeyRow> = idempotency_keys::table
                .find((user.get(), key.as_str()))
                .select((
                    idempotency_keys::request_hash,
                    idempotency_keys::state,
                    idempotency_keys::response_status,
                    idempotency_keys::response_body,
                ))
                .first(&mut conn)
                .await
                .optional()
                .map_err(from_diesel)?;
            if let Some(row) = row {
                return into_outcome(row);
            }
        }
        Err(StoreError::Contention)
    }

    async fn complete(
        &self,
        user: UserId,
        key: &IdempotencyKey,
        response: &StoredResponse,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let status = i16::try_from(response.status)
            .map_err(|_| StoreError::Other(format!("status {} out of range", response.status)))?;
        let mut conn = self.get().await?;
        diesel::update(idempotency_keys::table.find((user.get(), key.as_str())))
            .filter(idempotency_keys::state.eq(IN_PROGRESS))
            .set((
                idempotency_keys::state.eq(COMPLETED),
                idempotency_keys::response_status.eq(Some(status)),
                idempotency_keys::response_body.eq(Some(response.body.as_slice())),
                idempotency_keys::completed_at.eq(Some(now)),
            ))
            .execute(&mut conn)
            .await
            .map_err(from_diesel)?;
        Ok(())
    }

    async fn release(&self, user: UserId, key: &IdempotencyKey) -> Result<(), StoreError> {
        let mut conn = self.get().await?;
        diesel::delete(idempotency_keys::table.find((user.get(), key.as_str())))
            .filter(idempotency_keys::state.eq(IN_PROGRESS))
            .execute(&mut conn)
            .await
            .map_err(from_diesel)?;
        Ok(())
    }

    async fn purge_expired(&self, expired_before: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut conn = self.get().await?;
        let deleted = diesel::delete(
            idempotency_keys::table.filter(idempotency_keys::created_at.lt(expired_before)),
        )
        .execute(&mut conn)
        .await
        .map_err(from_diesel)?;
        Ok(deleted as u64)
    }
}

fn into_outcome((hash, state, status, body): KeyRow) -> Result<ClaimOutcome, StoreError> {
    let hash = RequestHash(
        hash.try_into()
            .map_err(|_| StoreError::Other("idempotency_keys: hash is not 32 bytes".into()))?,
    );
    match (state.as_str(), status, body) {
        (IN_PROGRESS, _, _) => Ok(ClaimOutcome::InProgress { hash }),
        (COMPLETED, Some(status), Some(body)) => Ok(ClaimOutcome::Completed {
            hash,
            response: StoredResponse {
                status: u16::try_from(status)
                    .map_err(|_| StoreError::Other(format!("idempotency_keys: status {status}")))?,
                body,
            },
        }),
        _ => Err(StoreError::Other(format!(
            "idempotency_keys: state {state} without an answer"
        ))),
    }
}
