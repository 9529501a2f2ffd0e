//! The idempotency use case over a scripted store, on paused time: replays, reuse with another
//! request, the bounded wait for a request in flight, and the cut-offs handed to the store.

#![expect(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use equoria_application::StoreError;
use equoria_application::idempotency::*;
use equoria_domain::UserId;
use support::{ManualClock, start};

const PLAYER: UserId = UserId::new(7);
const MINE: RequestHash = RequestHash([1; 32]);
const OTHER: RequestHash = RequestHash([2; 32]);

/// The `now`, `expired_before` and `abandoned_before` of one claim.
type Cutoffs = (DateTime<Utc>, DateTime<Utc>, DateTime<Utc>);

/// Answers claims from a script (its last answer repeated) and records the cut-offs.
#[derive(Default)]
struct ScriptedStore {
    script: Mutex<VecDeque<ClaimOutcome>>,
    cutoffs: Mutex<Vec<Cutoffs>>,
}

impl ScriptedStore {
    fn answering(outcomes: Vec<ClaimOutcome>) -> Arc<Self> {
        Arc::new(Self {
            script: Mutex::new(outcomes.into()),
            ..Self::default()
        })
    }

    fn claims(&self) -> usize {
        self.cutoffs.lock().unwrap().len()
    }
}

#[async_trait]
impl IdempotencyStore for ScriptedStore {
    async fn claim(
        &self,
        _user: UserId,
        _key: &IdempotencyKey,
        _hash: &RequestHash,
        now: DateTime<Utc>,
        expired_before: DateTime<Utc>,
        abandoned_before: DateTime<Utc>,
    ) -> Result<ClaimOutcome, StoreError> {
        self.cutoffs
            .lock()
            .unwrap()
            .push((now, expired_before, abandoned_before));
        let mut script = self.script.lock().unwrap();
        let next = if script.len() > 1 {
            script.pop_front()
        } else {
            script.front().cloned()
        };
        Ok(next.expect("script is empty"))
    }

    async fn complete(
        &self,
        _: UserId,
        _: &IdempotencyKey,
        _: &StoredResponse,
        _: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        Ok(())
    }

    async fn release(&self, _: UserId, _: &IdempotencyKey) -> Result<(), StoreError> {
        Ok(())
    }

    async fn purge_expired(&self, _: DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(0)
    }
}

fn answer() -> StoredResponse {
    StoredResponse {
        status: 201,
        body: br#"{"success":true}"#.to_vec(),
    }
}

fn use_case(store: &Arc<ScriptedStore>) -> Idempotency {
    Idempotency::new(store.clone(), ManualClock::at(start()))
}

async fn begin(idempotency: &Idempotency) -> Begin {
    let key = IdempotencyKey::parse("key-1").unwrap();
    idempotency.begin(PLAYER, &key, &MINE).await.unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_free_key_is_claimed_with_the_lifetime_and_abandonment_cutoffs() {
    let store = ScriptedStore::answering(vec![ClaimOutcome::Claimed]);

    assert_eq!(begin(&use_case(&store)).await, Begin::Proceed);

    let cutoffs = store.cutoffs.lock().unwrap().clone();
    assert_eq!(
        cutoffs,
        vec![(start(), start() - KEY_LIFETIME, start() - ABANDONED_AFTER)]
    );
}

#[tokio::test(start_paused = true)]
async fn an_answered_key_replays_for_the_same_request_and_refuses_another() {
    let completed = |hash| ClaimOutcome::Completed {
        hash,
        response: answer(),
    };
    let same = ScriptedStore::answering(vec![completed(MINE)]);
    let other = ScriptedStore::answering(vec![completed(OTHER)]);
    let held_by_other = ScriptedStore::answering(vec![ClaimOutcome::InProgress { hash: OTHER }]);

    assert_eq!(begin(&use_case(&same)).await, Begin::Replay(answer()));
    assert_eq!(begin(&use_case(&other)).await, Begin::KeyReused);
    assert_eq!(begin(&use_case(&held_by_other)).await, Begin::KeyReused);
    assert_eq!(held_by_other.claims(), 1, "no wait for another request");
}

#[tokio::test(start_paused = true)]
async fn a_key_in_flight_is_waited_for_and_its_answer_replayed() {
    let store = ScriptedStore::answering(vec![
        ClaimOutcome::InProgress { hash: MINE },
        ClaimOutcome::InProgress { hash: MINE },
        ClaimOutcome::Completed {
            hash: MINE,
            response: answer(),
        },
    ]);
    let started = tokio::time::Instant::now();

    assert_eq!(begin(&use_case(&store)).await, Begin::Replay(answer()));

    assert_eq!(store.claims(), 3);
    assert_eq!(started.elapsed(), DEFAULT_POLL * 2);
}

#[tokio::test(start_paused = true)]
async fn a_key_released_while_waiting_is_claimed_by_the_waiter() {
    let store = ScriptedStore::answering(vec![
        ClaimOutcome::InProgress { hash: MINE },
        ClaimOutcome::Claimed,
    ]);

    assert_eq!(begin(&use_case(&store)).await, Begin::Proceed);
    assert_eq!(store.claims(), 2);
}

#[tokio::test(start_paused = true)]
async fn the_wait_for_a_key_in_flight_is_bounded() {
    let store = ScriptedStore::answering(vec![ClaimOutcome::InProgress { hash: MINE }]);
    let wait = Duration::from_secs(2);
    let poll = Duration::from_millis(500);
    let idempotency = use_case(&store).with_wait(wait, poll);
    let started = tokio::time::Instant::now();

    assert_eq!(begin(&idempotency).await, Begin::InProgress);

    assert!(started.elapsed() <= wait, "{:?}", started.elapsed());
    assert_eq!(store.claims(), 5, "at 0, 0.5, 1, 1.5 and 2 s");
}
