//! An in-memory [`ShowStore`] for the entry rules and the scheduler.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use equoria_application::StoreError;
use equoria_application::paging::{Page, Paged};
use equoria_application::shows::{
    Claim, CreateShowError, DashboardFacts, EntryCheck, EntryContext, EntryRefusal, EntryView,
    ResultView, RunEntrant, RunError, RunSummary, Scorer, ShowFilter, ShowStatus, ShowStore,
    ShowView,
};
use equoria_domain::competition::{
    EntryFee, LevelRange, MaxEntries, NewShow, ShowOutcome, ShowSchedule,
};
use equoria_domain::{Discipline, DisciplineScore, HorseId, Level, Money, ShowId, UserId};

/// A stored show with what only the store knows: its entrants and its retry state.
#[derive(Debug, Clone)]
pub(crate) struct FakeShow {
    pub view: ShowView,
    pub entrants: Vec<RunEntrant>,
    pub failed_attempts: u32,
    /// Not due before this instant (set by a postponed run).
    pub retry_at: Option<DateTime<Utc>>,
    /// What the scorer decided when the show ran.
    pub outcome: Option<ShowOutcome>,
}

/// One call of `postpone_run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Postponement {
    pub show: ShowId,
    pub now: DateTime<Utc>,
    pub first_delay: Duration,
    pub max_delay: Duration,
}

/// What the fake keeps, and the failures a test can switch on.
#[derive(Debug, Default)]
pub(crate) struct ShowState {
    pub shows: BTreeMap<ShowId, FakeShow>,
    pub horses: BTreeMap<HorseId, equoria_application::shows::EntrantHorse>,
    pub balances: BTreeMap<UserId, Money>,
    /// Shows whose run fails with [`StoreError::Unavailable`].
    pub failing: BTreeSet<ShowId>,
    /// Shows held by another transaction: a `SkipLocked` run answers `Busy`.
    pub locked: BTreeSet<ShowId>,
    /// `due_shows` fails with [`StoreError::Unavailable`].
    pub listing_fails: bool,
    /// `postpone_run` fails with [`StoreError::Unavailable`].
    pub postponing_fails: bool,
    /// Every `run_show` call, in order.
    pub run_attempts: Vec<ShowId>,
    pub postponements: Vec<Postponement>,
}

#[derive(Debug, Default)]
pub(crate) struct FakeShowStore {
    state: Mutex<ShowState>,
}

fn unavailable() -> StoreError {
    StoreError::Unavailable("the fake database is down".to_owned())
}

fn unsupported(what: &str) -> StoreError {
    StoreError::Other(format!("the fake show store does not keep {what}"))
}

/// An open racing show for levels 1-5, 10 places, fee 100, pool 1,000, created at `runs_at`
/// minus a day.
pub(crate) fn show(id: i64, closes_at: DateTime<Utc>, runs_at: DateTime<Utc>) -> ShowView {
    ShowView {
        id: ShowId::new(id),
        name: format!("Show {id}"),
        discipline: Discipline::Racing,
        entry_fee: EntryFee::new(100).unwrap(),
        prize_pool: Money::new(1_000).unwrap(),
        level_range: LevelRange::new(Level::new(1).unwrap(), Level::new(5).unwrap()).unwrap(),
        max_entries: MaxEntries::new(10).unwrap(),
        entry_count: 0,
        schedule: ShowSchedule::new(closes_at, runs_at).unwrap(),
        status: ShowStatus::Open,
        completed_at: None,
        house_refund: None,
        created_at: runs_at - TimeDelta::days(1),
    }
}

impl FakeShowStore {
    pub(crate) fn state(&self) -> MutexGuard<'_, ShowState> {
        self.state.lock().unwrap()
    }

    pub(crate) fn add_show(&self, view: ShowView) {
        self.state().shows.insert(
            view.id,
            FakeShow {
                view,
                entrants: Vec::new(),
                failed_attempts: 0,
                retry_at: None,
                outcome: None,
            },
        );
    }

    pub(crate) fn show(&self, id: i64) -> FakeShow {
        self.state().shows[&ShowId::new(id)].clone()
    }

    /// A healthy, level-1, non-gaited horse of `owner` born at `date_of_birth`; the owner gets
    /// 10,000 coins if it had none.
    pub(crate) fn add_horse(&self, id: i64, owner: UserId, date_of_birth: DateTime<Utc>) {
        let mut state = self.state();
        state.horses.insert(
            HorseId::new(id),
            equoria_application::shows::EntrantHorse {
                id: HorseId::new(id),
                owner_id: owner,
                date_of_birth,
                health: equoria_domain::horse::Health::Healthy,
                xp: 0,
                breed_is_gaited: false,
            },
        );
        state
            .balances
            .entry(owner)
            .or_insert(Money::new(10_000).unwrap());
    }

    fn retry_delay(attempts: u32, first: Duration, max: Duration) -> Duration {
        first
            .checked_mul(2u32.saturating_pow(attempts))
            .map_or(max, |delay| delay.min(max))
    }
}

#[async_trait]
impl ShowStore for FakeShowStore {
    async fn create_show(
        &self,
        _show: NewShow,
        _created_by: UserId,
    ) -> Result<ShowView, CreateShowError> {
        Err(CreateShowError::Store(unsupported("show creation")))
    }

    async fn show(&self, id: ShowId) -> Result<Option<ShowView>, StoreError> {
        Ok(self.state().shows.get(&id).map(|s| s.view.clone()))
    }

    async fn list_shows(
        &self,
        _filter: ShowFilter,
        _page: Page,
    ) -> Result<Paged<ShowView>, StoreError> {
        Err(unsupported("show lists"))
    }

    async fn entries(
        &self,
        _show: ShowId,
        _page: Page,
    ) -> Result<Option<Paged<EntryView>>, StoreError> {
        Err(unsupported("entry lists"))
    }

    async fn enter(
        &self,
        show: ShowId,
        horse: HorseId,
        user: UserId,
        now: DateTime<Utc>,
        check: EntryCheck<'_>,
    ) -> Result<EntryView, EntryRefusal> {
        let mut state = self.state();
        let state = &mut *state;
        let stored = state
            .shows
            .get_mut(&show)
            .ok_or(EntryRefusal::ShowNotFound)?;
        let entrant = state
            .horses
            .get(&horse)
            .ok_or(EntryRefusal::HorseNotFound)?;
        let balance = state.balances.get(&user).copied().unwrap_or(Money::ZERO);
        let ctx = EntryContext {
            show: stored.view.clone(),
            horse: entrant.clone(),
            already_entered: stored.entrants.iter().any(|e| e.horse_id == horse),
            balance,
        };
        check(&ctx)?;
        let fee = stored.view.entry_fee.money();
        state
            .balances
            .insert(user, balance.checked_sub(fee).unwrap());
        stored.view.entry_count += 1;
        let entry_id = i64::from(stored.view.entry_count);
        stored.entrants.push(RunEntrant {
            entry_id,
            horse_id: horse,
            horse_name: format!("Horse {}", horse.get()),
            user_id: user,
            stats: equoria_domain::Stats::uniform(equoria_domain::StatValue::new(50).unwrap()),
            discipline_score: DisciplineScore::ZERO,
            date_of_birth: entrant.date_of_birth,
        });
        Ok(EntryView {
            id: entry_id,
            show_id: show,
            horse_id: Some(horse),
            horse_name: Some(format!("Horse {}", horse.get())),
            user_id: user,
            username: format!("user{}", user.get()),
            fee_paid: fee,
            created_at: now,
        })
    }

    async fn due_shows(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<ShowId>, StoreError> {
        let state = self.state();
        if state.listing_fails {
            return Err(unavailable());
        }
        let mut due: Vec<&FakeShow> = state
            .shows
            .values()
            .filter(|s| {
                s.view.status == ShowStatus::Open
                    && s.view.schedule.is_due_at(now)
                    && s.retry_at.is_none_or(|at| at <= now)
            })
            .collect();
        due.sort_by_key(|s| (s.failed_attempts, s.view.schedule.runs_at(), s.view.id));
        Ok(due
            .into_iter()
            .take(limit as usize)
            .map(|s| s.view.id)
            .collect())
    }

    async fn postpone_run(
        &self,
        show: ShowId,
        now: DateTime<Utc>,
        first_delay: Duration,
        max_delay: Duration,
    ) -> Result<u32, StoreError> {
        let mut state = self.state();
        if state.postponing_fails {
            return Err(unavailable());
        }
        state.postponements.push(Postponement {
            show,
            now,
            first_delay,
            max_delay,
        });
        let Some(stored) = state
            .shows
            .get_mut(&show)
            .filter(|s| s.view.status == ShowStatus::Open)
        else {
            return Ok(0);
        };
        let delay = Self::retry_delay(stored.failed_attempts, first_delay, max_delay);
        stored.failed_attempts += 1;
        stored.retry_at = Some(now + TimeDelta::from_std(delay).unwrap());
        Ok(stored.failed_attempts)
    }

    async fn run_show(
        &self,
        show: ShowId,
        now: DateTime<Utc>,
        claim: Claim,
        score: Scorer<'_>,
    ) -> Result<RunSummary, RunError> {
        let mut state = self.state();
        state.run_attempts.push(show);
        if claim == Claim::SkipLocked && state.locked.contains(&show) {
            return Err(RunError::Busy);
        }
        if state.failing.contains(&show) {
            return Err(RunError::Store(unavailable()));
        }
        let stored = state.shows.get_mut(&show).ok_or(RunError::NotFound)?;
        if stored.view.status != ShowStatus::Open {
            return Err(RunError::AlreadyRun);
        }
        let outcome = score(&stored.view, &stored.entrants);
        let summary = RunSummary {
            show_id: show,
            entrants: stored.entrants.len() as u32,
            prizes_paid: outcome.total_paid(),
            refund: outcome.refund,
            completed_at: now,
        };
        stored.view.status = ShowStatus::Completed;
        stored.view.completed_at = Some(now);
        stored.view.house_refund = Some(outcome.refund);
        stored.outcome = Some(outcome);
        Ok(summary)
    }

    async fn show_results(
        &self,
        _show: ShowId,
        _page: Page,
    ) -> Result<Option<Paged<ResultView>>, StoreError> {
        Err(unsupported("results"))
    }

    async fn user_results(
        &self,
        _user: UserId,
        _page: Page,
    ) -> Result<Paged<ResultView>, StoreError> {
        Err(unsupported("results"))
    }

    async fn dashboard(
        &self,
        _user: UserId,
        _now: DateTime<Utc>,
        _recent: u32,
    ) -> Result<DashboardFacts, StoreError> {
        Err(unsupported("dashboards"))
    }
}
