//! The show use cases on a clock the test moves: the entry age limits and the scheduler's
//! branches (not due, due, failed and retried with backoff, skipped), without a database.

#![expect(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use equoria_application::shows::scheduler::run_scheduler;
use equoria_application::shows::{
    EntryRefusal, RUN_RETRY_FIRST_DELAY, RUN_RETRY_MAX_DELAY, SCHEDULER_BATCH, ShowStatus, Shows,
};
use equoria_domain::competition::EntryIneligible;
use equoria_domain::{HorseId, ShowId, UserId};
use support::show_store::{FakeShowStore, Postponement, show};
use support::{ManualClock, seeded, start, years};

const OWNER: UserId = UserId::new(1);
const ONE_SECOND: TimeDelta = TimeDelta::seconds(1);

struct Arena {
    store: Arc<FakeShowStore>,
    clock: Arc<ManualClock>,
    shows: Shows,
}

fn arena() -> Arena {
    let store = Arc::new(FakeShowStore::default());
    let clock = ManualClock::at(start());
    let shows = Shows::new(store.clone(), clock.clone(), seeded());
    Arena {
        store,
        clock,
        shows,
    }
}

fn delta(duration: Duration) -> TimeDelta {
    TimeDelta::from_std(duration).unwrap()
}

impl Arena {
    /// Show `id`, closing entries at `runs_at` minus a minute.
    fn show_running_at(&self, id: i64, runs_at: DateTime<Utc>) {
        self.store
            .add_show(show(id, runs_at - TimeDelta::minutes(1), runs_at));
    }

    async fn due_run(&self) -> Vec<i64> {
        let ran = self.shows.run_due().await.unwrap();
        ran.iter().map(|summary| summary.show_id.get()).collect()
    }

    fn status(&self, id: i64) -> ShowStatus {
        self.store.show(id).view.status
    }

    fn attempts(&self) -> Vec<i64> {
        self.store
            .state()
            .run_attempts
            .iter()
            .map(|id| id.get())
            .collect()
    }
}

// ---- entry age limits ----

/// Enters horse `horse` (born at `date_of_birth`) in show 1, which closes entries a week
/// after [`start`].
async fn entry_of_horse_born(
    arena: &Arena,
    horse: i64,
    date_of_birth: DateTime<Utc>,
) -> Result<(), EntryRefusal> {
    arena.store.add_horse(horse, OWNER, date_of_birth);
    arena
        .shows
        .enter(OWNER, ShowId::new(1), HorseId::new(horse))
        .await
        .map(|_| ())
}

fn ineligibility(result: Result<(), EntryRefusal>) -> EntryIneligible {
    match result {
        Err(EntryRefusal::Ineligible(reason)) => reason,
        other => panic!("expected an ineligible horse, got {other:?}"),
    }
}

fn open_arena() -> Arena {
    let arena = arena();
    arena.show_running_at(1, start() + TimeDelta::days(7));
    arena
}

#[tokio::test]
async fn a_horse_enters_shows_from_its_third_birthday_to_the_second() {
    let arena = open_arena();
    let born = start() - years(3) + ONE_SECOND;
    assert_eq!(
        ineligibility(entry_of_horse_born(&arena, 7, born).await),
        EntryIneligible::TooYoung { age: 2 }
    );
    arena.clock.set(born + years(3) - ONE_SECOND);
    assert_eq!(
        ineligibility(entry_of_horse_born(&arena, 7, born).await),
        EntryIneligible::TooYoung { age: 2 }
    );
    assert_eq!(arena.store.show(1).view.entry_count, 0);

    arena.clock.set(born + years(3));
    entry_of_horse_born(&arena, 7, born).await.unwrap();
    assert_eq!(arena.store.show(1).view.entry_count, 1);
}

#[tokio::test]
async fn a_horse_enters_shows_until_its_twenty_second_birthday() {
    let arena = open_arena();
    let born = start() - years(22) + ONE_SECOND;
    entry_of_horse_born(&arena, 7, born).await.unwrap();

    arena.clock.set(born + years(22));
    assert_eq!(
        ineligibility(entry_of_horse_born(&arena, 8, born).await),
        EntryIneligible::TooOld { age: 22 }
    );
    assert_eq!(arena.store.show(1).view.entry_count, 1);
}

#[tokio::test]
async fn entries_are_taken_up_to_closes_at_and_refused_a_second_later() {
    let arena = open_arena();
    let closes_at = arena.store.show(1).view.schedule.closes_at();
    arena.clock.set(closes_at);
    entry_of_horse_born(&arena, 7, start() - years(5))
        .await
        .unwrap();
    arena.clock.set(closes_at + ONE_SECOND);
    let late = entry_of_horse_born(&arena, 8, start() - years(5)).await;
    assert!(matches!(late, Err(EntryRefusal::ShowClosed)), "{late:?}");
}

// ---- the scheduler ----

#[tokio::test]
async fn a_show_runs_once_its_time_has_come_and_only_once() {
    let arena = arena();
    let runs_at = start() + TimeDelta::hours(1);
    arena.show_running_at(1, runs_at);

    arena.clock.set(runs_at - ONE_SECOND);
    assert_eq!(arena.due_run().await, Vec::<i64>::new());
    assert_eq!(arena.status(1), ShowStatus::Open);
    assert!(arena.attempts().is_empty());

    arena.clock.set(runs_at);
    assert_eq!(arena.due_run().await, vec![1]);
    assert_eq!(arena.status(1), ShowStatus::Completed);
    assert_eq!(arena.store.show(1).view.completed_at, Some(runs_at));

    arena.clock.advance(TimeDelta::hours(1));
    assert_eq!(arena.due_run().await, Vec::<i64>::new());
    assert_eq!(arena.attempts(), vec![1]);
}

#[tokio::test]
async fn a_failed_run_is_postponed_with_a_doubling_delay_while_the_others_run() {
    let arena = arena();
    arena.show_running_at(1, start());
    arena.show_running_at(2, start());
    arena.store.state().failing.insert(ShowId::new(1));

    assert_eq!(arena.due_run().await, vec![2]);
    assert_eq!(
        arena.store.state().postponements,
        vec![Postponement {
            show: ShowId::new(1),
            now: start(),
            first_delay: RUN_RETRY_FIRST_DELAY,
            max_delay: RUN_RETRY_MAX_DELAY,
        }]
    );
    assert_eq!(arena.store.show(1).failed_attempts, 1);

    // Not due while the first delay runs; tried again, and failing again, when it is over.
    let first_retry = start() + delta(RUN_RETRY_FIRST_DELAY);
    arena.clock.set(first_retry - ONE_SECOND);
    assert_eq!(arena.due_run().await, Vec::<i64>::new());
    assert_eq!(arena.attempts(), vec![1, 2]);
    arena.clock.set(first_retry);
    assert_eq!(arena.due_run().await, Vec::<i64>::new());
    assert_eq!(arena.attempts(), vec![1, 2, 1]);
    assert_eq!(arena.store.show(1).failed_attempts, 2);

    // The second delay is twice the first; the show runs once the fault is gone.
    let second_retry = first_retry + delta(RUN_RETRY_FIRST_DELAY) * 2;
    arena.clock.set(second_retry - ONE_SECOND);
    assert_eq!(arena.due_run().await, Vec::<i64>::new());
    arena.store.state().failing.clear();
    arena.clock.set(second_retry);
    assert_eq!(arena.due_run().await, vec![1]);
    assert_eq!(arena.status(1), ShowStatus::Completed);
    assert_eq!(arena.attempts(), vec![1, 2, 1, 1]);
}

#[tokio::test]
async fn a_show_held_elsewhere_is_skipped_without_a_postponement_and_run_later() {
    let arena = arena();
    arena.show_running_at(1, start());
    arena.store.state().locked.insert(ShowId::new(1));

    assert_eq!(arena.due_run().await, Vec::<i64>::new());
    assert_eq!(arena.attempts(), vec![1]);
    assert!(arena.store.state().postponements.is_empty());
    assert_eq!(arena.status(1), ShowStatus::Open);

    arena.store.state().locked.clear();
    assert_eq!(arena.due_run().await, vec![1]);
}

#[tokio::test]
async fn a_failure_to_postpone_does_not_stop_the_pass() {
    let arena = arena();
    arena.show_running_at(1, start());
    arena.show_running_at(2, start() + ONE_SECOND);
    arena.clock.set(start() + ONE_SECOND);
    {
        let mut state = arena.store.state();
        state.failing.insert(ShowId::new(1));
        state.postponing_fails = true;
    }
    assert_eq!(arena.due_run().await, vec![2]);
    assert_eq!(arena.store.show(1).failed_attempts, 0);
}

#[tokio::test]
async fn a_pass_runs_at_most_one_batch_and_the_next_pass_the_rest() {
    let arena = arena();
    let count = i64::from(SCHEDULER_BATCH) + 3;
    for id in 1..=count {
        arena.show_running_at(id, start());
    }
    assert_eq!(arena.due_run().await.len(), SCHEDULER_BATCH as usize);
    assert_eq!(arena.due_run().await.len(), 3);
    assert!((1..=count).all(|id| arena.status(id) == ShowStatus::Completed));
}

#[tokio::test]
async fn a_pass_that_cannot_list_due_shows_reports_it() {
    let arena = arena();
    arena.show_running_at(1, start());
    arena.store.state().listing_fails = true;
    assert!(arena.shows.run_due().await.is_err());
    assert!(arena.attempts().is_empty());
}

#[tokio::test]
async fn with_one_seed_a_show_s_placings_repeat_exactly() {
    async fn placings() -> Vec<(u64, u32)> {
        let arena = open_arena();
        for horse in 1..=6 {
            entry_of_horse_born(&arena, horse, start() - years(5))
                .await
                .unwrap();
        }
        arena.clock.set(start() + TimeDelta::days(7));
        assert_eq!(arena.due_run().await, vec![1]);
        let outcome = arena.store.show(1).outcome.unwrap();
        outcome
            .results
            .iter()
            .map(|r| (r.entry_sequence, r.score.hundredths()))
            .collect()
    }
    let first = placings().await;
    assert_eq!(first.len(), 6);
    assert_eq!(first, placings().await);
}

#[tokio::test(start_paused = true)]
async fn the_scheduler_runs_a_show_at_the_first_tick_after_it_is_due_and_stops_when_asked() {
    let arena = arena();
    let runs_at = start() + TimeDelta::minutes(1);
    arena.show_running_at(1, runs_at);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let interval = Duration::from_secs(5);
    let scheduler = tokio::spawn(run_scheduler(arena.shows.clone(), interval, async {
        let _ = stopped.await;
    }));

    tokio::time::sleep(interval * 3).await;
    assert_eq!(arena.status(1), ShowStatus::Open);

    arena.clock.set(runs_at);
    tokio::time::sleep(interval).await;
    assert_eq!(arena.status(1), ShowStatus::Completed);

    stop.send(()).unwrap();
    scheduler.await.unwrap();
    assert_eq!(arena.attempts(), vec![1]);
}
