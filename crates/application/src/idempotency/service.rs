//! The idempotency use case: claim a key, wait for a request in flight, store or release.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use equoria_domain::UserId;

use super::ports::*;
use crate::StoreError;
use crate::clock::Clock;

/// How long a key is kept: a retry after this is a new request.
pub const KEY_LIFETIME: TimeDelta = TimeDelta::hours(24);

/// A key still in progress after this long belongs to an attempt that died without releasing
/// it (a replica that crashed): the next request with that key takes it over.
pub const ABANDONED_AFTER: TimeDelta = TimeDelta::minutes(5);

/// How long a request waits for the answer of another request holding its key.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(5);

/// How often a waiting request looks again.
pub const DEFAULT_POLL: Duration = Duration::from_millis(100);

/// What a request with an idempotency key must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// Do the work, then [`Idempotency::complete`] or [`Idempotency::release`] the key.
    Proceed,
    /// Answer with what the first request answered; do nothing else.
    Replay(StoredResponse),
    /// The key was used for a different request.
    KeyReused,
    /// Another request with this key is still running after the wait.
    InProgress,
}

/// Idempotency keys over an [`IdempotencyStore`].
#[derive(Clone)]
pub struct Idempotency {
    store: Arc<dyn IdempotencyStore>,
    clock: Arc<dyn Clock>,
    wait: Duration,
    poll: Duration,
}

impl std::fmt::Debug for Idempotency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Idempotency")
            .field("wait", &self.wait)
            .field("poll", &self.poll)
            .finish_non_exhaustive()
    }
}

impl Idempotency {
    /// Keys in `store`, dated by `clock`, waiting [`DEFAULT_WAIT`] for requests in flight.
    pub fn new(store: Arc<dyn IdempotencyStore>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            wait: DEFAULT_WAIT,
            poll: DEFAULT_POLL,
        }
    }

    /// The same, waiting at most `wait` and looking again every `poll`.
    pub fn with_wait(mut self, wait: Duration, poll: Duration) -> Self {
        self.wait = wait;
        self.poll = poll;
        self
    }

    /// Claims `key` for the request `hash` of `user`. While another request holds the key for
    /// the same request, looks again every poll interval until it answers (a replay), releases
    /// the key (this request claims it) or the wait is over ([`Begin::InProgress`]).
    pub async fn begin(
        &self,
        user: UserId,
        key: &IdempotencyKey,
        hash: &RequestHash,
    ) -> Result<Begin, StoreError> {
        let deadline = tokio::time::Instant::now() + self.wait;
        loop {
            let now = self.clock.now();
            let found = self
                .store
                .claim(
                    user,
                    key,
                    hash,
                    now,
                    now - KEY_LIFETIME,
                    now - ABANDONED_AFTER,
                )
                .await?;
            match found {
                ClaimOutcome::Claimed => return Ok(Begin::Proceed),
                ClaimOutcome::Completed { hash: first, .. }
                | ClaimOutcome::InProgress { hash: first }
                    if first != *hash =>
                {
                    return Ok(Begin::KeyReused);
                }
                ClaimOutcome::Completed { response, .. } => return Ok(Begin::Replay(response)),
                ClaimOutcome::InProgress { .. } => {
                    if tokio::time::Instant::now() + self.poll > deadline {
                        return Ok(Begin::InProgress);
                    }
                    tokio::time::sleep(self.poll).await;
                }
            }
        }
    }

    /// Stores the answer of a request that claimed `key`.
    pub async fn complete(
        &self,
        user: UserId,
        key: &IdempotencyKey,
        response: &StoredResponse,
    ) -> Result<(), StoreError> {
        self.store
            .complete(user, key, response, self.clock.now())
            .await
    }

    /// Frees `key` after a failed attempt, so the client can retry.
    pub async fn release(&self, user: UserId, key: &IdempotencyKey) -> Result<(), StoreError> {
        self.store.release(user, key).await
    }

    /// Deletes the keys older than [`KEY_LIFETIME`]; returns how many.
    pub async fn purge_expired(&self) -> Result<u64, StoreError> {
        self.store
            .purge_expired(self.clock.now() - KEY_LIFETIME)
            .await
    }
}
