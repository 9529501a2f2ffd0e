//! The show use cases: creating, entering, running and reading shows.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use equoria_domain::competition::{Entrant, NewShow, ShowOutcome, check_entry_eligibility};
use equoria_domain::horse::age_in_years;
use equoria_domain::progression::Level;
use equoria_domain::{HorseId, ShowId, UserId};

use super::ports::*;
use crate::StoreError;
use crate::clock::Clock;
use crate::paging::{Page, Paged};
use crate::random::Randomness;

/// How many entries and results the dashboard lists.
pub const DASHBOARD_RECENT: u32 = 5;
/// Most due shows the scheduler runs per tick (the rest wait for the next tick).
pub const SCHEDULER_BATCH: u32 = 20;
/// A show whose scheduled run failed is tried again after this long, then after twice as
/// long after every further failure, up to [`RUN_RETRY_MAX_DELAY`]; meanwhile it is not due,
/// so it cannot fill the scheduler's batch.
pub const RUN_RETRY_FIRST_DELAY: std::time::Duration = std::time::Duration::from_secs(30);
/// The longest wait between two attempts to run a failing show.
pub const RUN_RETRY_MAX_DELAY: std::time::Duration = std::time::Duration::from_secs(3_600);

/// Why a read of one show failed.
#[derive(Debug, thiserror::Error)]
pub enum ShowLookupError {
    #[error("no such show")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The entry rules, in the order their refusals are reported: the horse must be the caller's
/// (else "not found", so other players' horses are not revealed); the show open and not past
/// `closes_at`; no entry of this horse yet; the horse eligible (discipline, age 3-21, level
/// range, healthy: see [`check_entry_eligibility`]); room left; the fee affordable.
pub fn check_entry(
    ctx: &EntryContext,
    caller: UserId,
    now: DateTime<Utc>,
) -> Result<(), EntryRefusal> {
    if ctx.horse.owner_id != caller {
        return Err(EntryRefusal::HorseNotFound);
    }
    if ctx.show.status != ShowStatus::Open || !ctx.show.schedule.accepts_entries_at(now) {
        return Err(EntryRefusal::ShowClosed);
    }
    if ctx.already_entered {
        return Err(EntryRefusal::AlreadyEntered);
    }
    check_entry_eligibility(
        age_in_years(ctx.horse.date_of_birth, now),
        ctx.horse.health,
        Level::from_xp(ctx.horse.xp),
        ctx.show.level_range,
        ctx.horse.breed_is_gaited,
        ctx.show.discipline,
    )
    .map_err(EntryRefusal::Ineligible)?;
    if !ctx.show.max_entries.has_room_after(ctx.show.entry_count) {
        return Err(EntryRefusal::ShowFull);
    }
    let fee = ctx.show.entry_fee.money();
    if ctx.balance.coins() < fee.coins() {
        return Err(EntryRefusal::InsufficientFunds {
            fee,
            balance: ctx.balance,
        });
    }
    Ok(())
}

/// Scores a show with the domain's [`equoria_domain::competition::run_show`]: ages are taken at
/// `now`, the entry id is the entry order.
pub fn score_show(
    show: &ShowView,
    entrants: &[RunEntrant],
    now: DateTime<Utc>,
    rng: &mut impl rand::Rng,
) -> ShowOutcome {
    let entrants: Vec<Entrant> = entrants
        .iter()
        .map(|e| Entrant {
            // Entry ids are positive identity values.
            entry_sequence: u64::try_from(e.entry_id).unwrap_or(0),
            stats: e.stats,
            discipline_score: e.discipline_score,
            age: age_in_years(e.date_of_birth, now),
        })
        .collect();
    equoria_domain::competition::run_show(show.discipline, &entrants, show.prize_pool, rng)
}

/// The show use cases, with their ports.
#[derive(Clone)]
pub struct Shows {
    store: Arc<dyn ShowStore>,
    clock: Arc<dyn Clock>,
    randomness: Arc<dyn Randomness>,
}

impl std::fmt::Debug for Shows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shows").finish_non_exhaustive()
    }
}

impl Shows {
    pub fn new(
        store: Arc<dyn ShowStore>,
        clock: Arc<dyn Clock>,
        randomness: Arc<dyn Randomness>,
    ) -> Self {
        Self {
            store,
            clock,
            randomness,
        }
    }

    #[tracing::instrument(skip_all, fields(admin.id = %admin))]
    pub async fn create(&self, show: NewShow, admin: UserId) -> Result<ShowView, CreateShowError> {
        let created = self.store.create_show(show, admin).await?;
        tracing::info!(show.id = %created.id, "show created");
        Ok(created)
    }

    pub async fn get(&self, id: ShowId) -> Result<ShowView, ShowLookupError> {
        self.store.show(id).await?.ok_or(ShowLookupError::NotFound)
    }

    pub async fn list(
        &self,
        filter: ShowFilter,
        page: Page,
    ) -> Result<Paged<ShowView>, StoreError> {
        self.store.list_shows(filter, page).await
    }

    pub async fn entries(
        &self,
        id: ShowId,
        page: Page,
    ) -> Result<Paged<EntryView>, ShowLookupError> {
        self.store
            .entries(id, page)
            .await?
            .ok_or(ShowLookupError::NotFound)
    }

    /// Enters the caller's horse: every rule is checked inside the transaction that debits the
    /// fee and writes the entry.
    #[tracing::instrument(skip_all, fields(user.id = %user, show.id = %show, horse.id = %horse))]
    pub async fn enter(
        &self,
        user: UserId,
        show: ShowId,
        horse: HorseId,
    ) -> Result<EntryView, EntryRefusal> {
        let now = self.clock.now();
        let check = move |ctx: &EntryContext| check_entry(ctx, user, now);
        self.store.enter(show, horse, user, now, &check).await
    }

    /// Runs the show now, whatever its `runs_at` says (admin command).
    #[tracing::instrument(skip_all, fields(show.id = %id))]
    pub async fn run(&self, id: ShowId) -> Result<RunSummary, RunError> {
        self.run_with(id, Claim::Wait).await
    }

    async fn run_with(&self, id: ShowId, claim: Claim) -> Result<RunSummary, RunError> {
        let now = self.clock.now();
        let score = move |show: &ShowView, entrants: &[RunEntrant]| {
            score_show(show, entrants, now, &mut self.randomness.rng())
        };
        let summary = self.store.run_show(id, now, claim, &score).await?;
        tracing::info!(
            entrants = summary.entrants,
            prizes_paid = summary.prizes_paid.coins(),
            refund = summary.refund.coins(),
            "show ran"
        );
        Ok(summary)
    }

    /// Runs every open show whose `runs_at` has passed (at most [`SCHEDULER_BATCH`] per call).
    /// A show another replica is running, or that has just run, is skipped quietly; a show
    /// that fails is logged and retried with backoff ([`RUN_RETRY_FIRST_DELAY`]), behind the
    /// shows that never failed.
    pub async fn run_due(&self) -> Result<Vec<RunSummary>, StoreError> {
        let due = self
            .store
            .due_shows(self.clock.now(), SCHEDULER_BATCH)
            .await?;
        let mut ran = Vec::with_capacity(due.len());
        for id in due {
            match self.run_with(id, Claim::SkipLocked).await {
                Ok(summary) => ran.push(summary),
                Err(RunError::AlreadyRun | RunError::Busy | RunError::NotFound) => {}
                Err(RunError::Store(err)) => {
                    let now = self.clock.now();
                    match self
                        .store
                        .postpone_run(id, now, RUN_RETRY_FIRST_DELAY, RUN_RETRY_MAX_DELAY)
                        .await
                    {
                        Ok(attempts) => tracing::error!(
                            show.id = %id, error = %err, failed_attempts = attempts,
                            "scheduled show run failed; retrying later"
                        ),
                        Err(postpone) => tracing::error!(
                            show.id = %id, error = %err, postpone_error = %postpone,
                            "scheduled show run failed and could not be postponed"
                        ),
                    }
                }
            }
        }
        Ok(ran)
    }

    pub async fn results(
        &self,
        id: ShowId,
        page: Page,
    ) -> Result<Paged<ResultView>, ShowLookupError> {
        self.store
            .show_results(id, page)
            .await?
            .ok_or(ShowLookupError::NotFound)
    }

    pub async fn user_results(
        &self,
        user: UserId,
        page: Page,
    ) -> Result<Paged<ResultView>, StoreError> {
        self.store.user_results(user, page).await
    }

    pub async fn dashboard(&self, user: UserId) -> Result<DashboardFacts, StoreError> {
        self.store
            .dashboard(user, self.clock.now(), DASHBOARD_RECENT)
            .await
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]

    use chrono::TimeDelta;
    use equoria_domain::competition::{EntryFee, LevelRange, MaxEntries, ShowSchedule};
    use equoria_domain::horse::{Health, date_of_birth_for_age};
    use equoria_domain::{Discipline, Money};

    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    fn context() -> EntryContext {
        let level = |n| Level::new(n).unwrap();
        EntryContext {
            show: ShowView {
                id: ShowId::new(1),
                name: "Derby".to_owned(),
                discipline: Discipline::Racing,
                entry_fee: EntryFee::new(100).unwrap(),
                prize_pool: Money::new(1_000).unwrap(),
                level_range: LevelRange::new(level(1), level(3)).unwrap(),
                max_entries: MaxEntries::new(2).unwrap(),
                entry_count: 1,
                schedule: ShowSchedule::new(now(), now() + TimeDelta::hours(1)).unwrap(),
                status: ShowStatus::Open,
                completed_at: None,
                house_refund: None,
                created_at: now(),
            },
            horse: EntrantHorse {
                id: HorseId::new(7),
                owner_id: UserId::new(3),
                date_of_birth: date_of_birth_for_age(5, now()),
                health: Health::Healthy,
                xp: 0,
                breed_is_gaited: false,
            },
            already_entered: false,
            balance: Money::new(100).unwrap(),
        }
    }

    fn refusal(ctx: &EntryContext) -> Option<&'static str> {
        check_entry(ctx, UserId::new(3), now())
            .err()
            .map(|e| match e {
                EntryRefusal::HorseNotFound => "horse",
                EntryRefusal::ShowClosed => "closed",
                EntryRefusal::AlreadyEntered => "duplicate",
                EntryRefusal::ShowFull => "full",
                EntryRefusal::Ineligible(i) => i.code(),
                EntryRefusal::InsufficientFunds { .. } => "funds",
                _ => "other",
            })
    }

    #[test]
    fn an_eligible_owner_with_the_fee_may_enter_up_to_closes_at() {
        assert_eq!(refusal(&context()), None);
    }

    #[test]
    fn each_entry_rule_is_reported_with_its_own_reason() {
        let mut ctx = context();
        ctx.horse.owner_id = UserId::new(4);
        assert_eq!(refusal(&ctx), Some("horse"));

        let mut ctx = context();
        ctx.show.schedule =
            ShowSchedule::new(now() - TimeDelta::seconds(1), now() + TimeDelta::hours(1)).unwrap();
        assert_eq!(refusal(&ctx), Some("closed"));

        let mut ctx = context();
        ctx.show.status = ShowStatus::Completed;
        assert_eq!(refusal(&ctx), Some("closed"));

        let mut ctx = context();
        ctx.already_entered = true;
        assert_eq!(refusal(&ctx), Some("duplicate"));

        let mut ctx = context();
        ctx.horse.health = Health::Injured;
        assert_eq!(refusal(&ctx), Some("INJURED"));

        let mut ctx = context();
        ctx.horse.date_of_birth = date_of_birth_for_age(22, now());
        assert_eq!(refusal(&ctx), Some("TOO_OLD"));

        let mut ctx = context();
        ctx.horse.xp = 300;
        assert_eq!(refusal(&ctx), Some("LEVEL_OUT_OF_RANGE"));

        let mut ctx = context();
        ctx.show.entry_count = 2;
        assert_eq!(refusal(&ctx), Some("full"));

        let mut ctx = context();
        ctx.balance = Money::new(99).unwrap();
        assert_eq!(refusal(&ctx), Some("funds"));
    }

    #[test]
    fn a_closed_show_is_reported_before_a_full_one_and_a_duplicate_before_ineligibility() {
        let mut ctx = context();
        ctx.show.status = ShowStatus::Completed;
        ctx.show.entry_count = 2;
        assert_eq!(refusal(&ctx), Some("closed"));

        let mut ctx = context();
        ctx.already_entered = true;
        ctx.horse.health = Health::Injured;
        assert_eq!(refusal(&ctx), Some("duplicate"));
    }
}
