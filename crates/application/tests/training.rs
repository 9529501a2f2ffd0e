//! The training use cases on a clock the test moves: cooldown, age limits and the lost claim,
//! without touching a database or waiting.

#![expect(clippy::unwrap_used)]

mod support;

use std::sync::Arc;

use chrono::TimeDelta;
use equoria_application::StoreError;
use equoria_application::paging::Page;
use equoria_application::training::{Training, TrainingError, TrainingReport};
use equoria_domain::horse::Health;
use equoria_domain::training::{Ineligible, TRAINING_COOLDOWN};
use equoria_domain::{Discipline, HorseId, UserId};
use support::training_store::FakeTrainingStore;
use support::{ManualClock, horse, seeded, start, years};

const OWNER: UserId = UserId::new(1);
const HORSE: HorseId = HorseId::new(10);
const ONE_SECOND: TimeDelta = TimeDelta::seconds(1);

struct Stable {
    store: Arc<FakeTrainingStore>,
    clock: Arc<ManualClock>,
    training: Training,
}

/// One horse of [`OWNER`], `age` game years old (to the second) at [`start`]; the clock at
/// [`start`].
fn stable_with_horse_of_age(age: i32) -> Stable {
    let store = Arc::new(FakeTrainingStore::with([horse(
        HORSE.get(),
        OWNER,
        start() - years(age),
    )]));
    let clock = ManualClock::at(start());
    let training = Training::new(store.clone(), clock.clone(), seeded());
    Stable {
        store,
        clock,
        training,
    }
}

impl Stable {
    async fn train(&self) -> Result<TrainingReport, TrainingError> {
        self.training.train(OWNER, HORSE, Discipline::Racing).await
    }

    async fn refusal(&self) -> Ineligible {
        match self.train().await {
            Err(TrainingError::Ineligible(reason)) => reason,
            other => panic!("expected an ineligible horse, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_session_starts_the_cooldown_and_the_horse_trains_again_the_moment_it_ends() {
    let stable = stable_with_horse_of_age(5);
    let report = stable.train().await.unwrap();
    let until = start() + TRAINING_COOLDOWN;
    assert_eq!(report.next_eligible_at, until);
    assert_eq!(stable.store.horse(HORSE).training_cooldown_end, Some(until));

    stable.clock.set(until - ONE_SECOND);
    assert_eq!(stable.refusal().await, Ineligible::OnCooldown { until });
    let status = stable.training.status(OWNER, HORSE).await.unwrap();
    assert!(!status.eligible);
    assert_eq!(status.next_eligible_at, Some(until));
    assert_eq!(stable.store.state().sessions, 1);

    stable.clock.set(until);
    assert!(stable.training.status(OWNER, HORSE).await.unwrap().eligible);
    let second = stable.train().await.unwrap();
    assert_eq!(second.next_eligible_at, until + TRAINING_COOLDOWN);
    assert_eq!(second.score_before.get() + 5, second.score_after.get());
    assert_eq!(stable.store.state().sessions, 2);
}

#[tokio::test]
async fn a_horse_trains_from_its_third_birthday_to_the_second_and_not_before() {
    let stable = stable_with_horse_of_age(2);
    let third_birthday = start() + years(1);
    assert_eq!(stable.refusal().await, Ineligible::TooYoung { age: 2 });
    let status = stable.training.status(OWNER, HORSE).await.unwrap();
    assert_eq!(status.reason, Some(Ineligible::TooYoung { age: 2 }));
    assert_eq!(status.next_eligible_at, Some(third_birthday));

    stable.clock.set(third_birthday - ONE_SECOND);
    assert_eq!(stable.refusal().await, Ineligible::TooYoung { age: 2 });
    assert_eq!(stable.store.state().sessions, 0);

    stable.clock.set(third_birthday);
    let status = stable.training.status(OWNER, HORSE).await.unwrap();
    assert!(status.eligible, "{status:?}");
    assert_eq!(status.next_eligible_at, None);
    stable.train().await.unwrap();
}

#[tokio::test]
async fn a_young_horse_still_on_cooldown_after_its_birthday_is_told_the_later_instant() {
    let stable = stable_with_horse_of_age(2);
    let third_birthday = start() + years(1);
    let cooldown_end = third_birthday + TimeDelta::days(2);
    stable
        .store
        .state()
        .horses
        .get_mut(&HORSE)
        .unwrap()
        .training_cooldown_end = Some(cooldown_end);

    let status = stable.training.status(OWNER, HORSE).await.unwrap();
    assert_eq!(status.reason, Some(Ineligible::TooYoung { age: 2 }));
    assert_eq!(status.next_eligible_at, Some(cooldown_end));

    stable.clock.set(third_birthday);
    assert_eq!(
        stable.refusal().await,
        Ineligible::OnCooldown {
            until: cooldown_end
        }
    );
    stable.clock.set(cooldown_end);
    stable.train().await.unwrap();
}

#[tokio::test]
async fn a_horse_trains_until_its_twenty_first_birthday_and_never_after() {
    let stable = stable_with_horse_of_age(20);
    let twenty_first_birthday = start() + years(1);
    stable.clock.set(twenty_first_birthday - ONE_SECOND);
    stable.train().await.unwrap();

    stable.clock.set(twenty_first_birthday + TRAINING_COOLDOWN);
    assert_eq!(stable.refusal().await, Ineligible::TooOld { age: 22 });
    stable.clock.set(twenty_first_birthday);
    assert_eq!(stable.refusal().await, Ineligible::TooOld { age: 21 });
    let status = stable.training.status(OWNER, HORSE).await.unwrap();
    assert_eq!(status.reason, Some(Ineligible::TooOld { age: 21 }));
    assert_eq!(status.next_eligible_at, None, "too old is for good");
    assert_eq!(stable.store.state().sessions, 1);
}

#[tokio::test]
async fn the_trainable_list_is_taken_at_the_clock_s_now() {
    let stable = stable_with_horse_of_age(2);
    let trainable = stable.training.trainable(OWNER, Page::FIRST).await.unwrap();
    assert!(trainable.items.is_empty());

    stable.clock.set(start() + years(1));
    let trainable = stable.training.trainable(OWNER, Page::FIRST).await.unwrap();
    assert_eq!(trainable.items.len(), 1);
    assert_eq!(trainable.items[0].age, 3);
    assert_eq!(trainable.items[0].as_of, start() + years(1));
}

#[tokio::test]
async fn a_claim_lost_to_a_concurrent_session_reports_that_session_s_cooldown() {
    let stable = stable_with_horse_of_age(5);
    let theirs = start() + TRAINING_COOLDOWN;
    stable.store.before_claim(move |state| {
        state.horses.get_mut(&HORSE).unwrap().training_cooldown_end = Some(theirs);
    });
    assert_eq!(
        stable.refusal().await,
        Ineligible::OnCooldown { until: theirs }
    );
    assert_eq!(stable.store.state().sessions, 0);
}

#[tokio::test]
async fn a_claim_lost_to_an_injury_reports_the_injury() {
    let stable = stable_with_horse_of_age(5);
    stable.store.before_claim(|state| {
        state.horses.get_mut(&HORSE).unwrap().health = Health::Injured;
    });
    assert_eq!(stable.refusal().await, Ineligible::Injured);
}

#[tokio::test]
async fn a_claim_lost_to_a_horse_that_left_the_stable_is_not_found() {
    let stable = stable_with_horse_of_age(5);
    stable.store.before_claim(|state| {
        state.horses.remove(&HORSE);
    });
    assert!(matches!(stable.train().await, Err(TrainingError::NotFound)));
}

#[tokio::test]
async fn a_claim_lost_for_a_reason_gone_by_the_re_read_asks_for_a_retry() {
    let stable = stable_with_horse_of_age(5);
    stable.store.before_claim(|state| {
        state.horses.get_mut(&HORSE).unwrap().health = Health::Injured;
    });
    stable.store.after_lost_claim(|state| {
        state.horses.get_mut(&HORSE).unwrap().health = Health::Healthy;
    });
    assert!(matches!(
        stable.train().await,
        Err(TrainingError::Store(StoreError::Contention))
    ));
    assert_eq!(stable.store.state().sessions, 0);
    stable.train().await.unwrap();
}

#[tokio::test]
async fn another_player_s_horse_is_not_found() {
    let stable = stable_with_horse_of_age(5);
    let result = stable
        .training
        .train(UserId::new(2), HORSE, Discipline::Racing)
        .await;
    assert!(matches!(result, Err(TrainingError::NotFound)));
}

/// One session for each of 40 five-year-olds, with randomness from [`support::SEED`]: the
/// stat gain each session rolled.
async fn forty_sessions() -> Vec<Option<String>> {
    let store = Arc::new(FakeTrainingStore::with(
        (1..=40).map(|id| horse(id, OWNER, start() - years(5))),
    ));
    let training = Training::new(store, ManualClock::at(start()), seeded());
    let mut gains = Vec::new();
    for id in 1..=40 {
        let report = training
            .train(OWNER, HorseId::new(id), Discipline::Racing)
            .await
            .unwrap();
        gains.push(report.stat_gain.map(|g| format!("{g:?}")));
    }
    gains
}

#[tokio::test]
async fn with_one_seed_the_sessions_and_their_stat_gains_repeat_exactly() {
    let first = forty_sessions().await;
    assert_eq!(first, forty_sessions().await);
    assert!(
        first.iter().any(Option::is_some),
        "40 sessions at 15% gave no stat gain: {first:?}"
    );
    assert!(
        first.iter().any(Option::is_none),
        "40 sessions at 15% all gave a stat gain: {first:?}"
    );
}
