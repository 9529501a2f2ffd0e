//! What the show use cases need from storage, and the read models they return.
//!
//! The store owns the transaction boundaries (each method is one transaction) but not the
//! rules: entering and running a show hand the store a pure function to call *inside* the
//! transaction, on rows it has locked, so the rules are checked against exactly the state that
//! is then written.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use equoria_domain::competition::{
    EntryFee, EntryIneligible, LevelRange, MaxEntries, NewShow, ShowOutcome, ShowSchedule,
};
use equoria_domain::horse::Health;
use equoria_domain::{Discipline, DisciplineScore, HorseId, Money, ShowId, Stats, UserId};

use crate::StoreError;
use crate::paging::{Page, Paged};

/// Whether a show still takes entries and waits to run, or has run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShowStatus {
    Open,
    Completed,
}

impl ShowStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            ShowStatus::Open => "open",
            ShowStatus::Completed => "completed",
        }
    }

    /// `open` or `completed` (exact, lower case).
    pub fn parse(raw: &str) -> Option<ShowStatus> {
        match raw {
            "open" => Some(ShowStatus::Open),
            "completed" => Some(ShowStatus::Completed),
            _ => None,
        }
    }
}

/// A show as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShowView {
    pub id: ShowId,
    pub name: String,
    pub discipline: Discipline,
    pub entry_fee: EntryFee,
    pub prize_pool: Money,
    pub level_range: LevelRange,
    pub max_entries: MaxEntries,
    /// Entries taken so far (never above `max_entries`).
    pub entry_count: u32,
    pub schedule: ShowSchedule,
    pub status: ShowStatus,
    pub completed_at: Option<DateTime<Utc>>,
    /// The part of the pool returned to the house; set exactly when completed.
    pub house_refund: Option<Money>,
    pub created_at: DateTime<Utc>,
}

/// Filters of the public show list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShowFilter {
    pub status: Option<ShowStatus>,
    pub discipline: Option<Discipline>,
}

/// One entry of a show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryView {
    pub id: i64,
    pub show_id: ShowId,
    /// `None` once the horse was deleted (only possible after the show ran).
    pub horse_id: Option<HorseId>,
    pub horse_name: Option<String>,
    pub user_id: UserId,
    pub username: String,
    pub fee_paid: Money,
    pub created_at: DateTime<Utc>,
}

/// One stored result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultView {
    pub id: i64,
    pub show_id: ShowId,
    pub show_name: String,
    pub discipline: Discipline,
    pub horse_id: Option<HorseId>,
    /// The name the horse competed under.
    pub horse_name: String,
    pub user_id: UserId,
    pub username: String,
    /// 1-based; the placements of one show are exactly `1..=n`.
    pub placement: u32,
    /// Final score in hundredths of a point.
    pub score_hundredths: u32,
    /// Base score in hundredths of a point.
    pub base_score_hundredths: u32,
    pub prize: Money,
    pub horse_xp: u32,
    pub owner_xp: u32,
    pub stat_gained: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The horse side of an entry attempt, read (and locked) inside the entry transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntrantHorse {
    pub id: HorseId,
    pub owner_id: UserId,
    pub date_of_birth: DateTime<Utc>,
    pub health: Health,
    /// Horse XP (level = xp / 100 + 1).
    pub xp: u32,
    pub breed_is_gaited: bool,
}

/// Everything the entry rules look at, read inside the entry transaction with the show row
/// locked, so no other entry of the same show can change it before the commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryContext {
    pub show: ShowView,
    pub horse: EntrantHorse,
    /// The horse already has an entry in this show.
    pub already_entered: bool,
    /// The caller's balance before the fee.
    pub balance: Money,
}

/// Why an entry was refused.
#[derive(Debug, thiserror::Error)]
pub enum EntryRefusal {
    #[error("no such show")]
    ShowNotFound,
    /// Unknown horse, or a horse of another player (indistinguishable on purpose).
    #[error("no such horse among the caller's horses")]
    HorseNotFound,
    #[error("the show no longer takes entries")]
    ShowClosed,
    #[error("the horse is already entered in this show")]
    AlreadyEntered,
    #[error("the show is full")]
    ShowFull,
    #[error(transparent)]
    Ineligible(EntryIneligible),
    #[error("the entry fee of {fee} coins is more than the balance of {balance}")]
    InsufficientFunds { fee: Money, balance: Money },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Decides, inside the entry transaction, whether the entry may be written.
pub type EntryCheck<'a> = &'a (dyn Fn(&EntryContext) -> Result<(), EntryRefusal> + Send + Sync);

/// One entered horse as a show run needs it, read with the horse row locked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunEntrant {
    /// Entry id: increasing, so it is also the entry order (the last tie-break).
    pub entry_id: i64,
    pub horse_id: HorseId,
    pub horse_name: String,
    pub user_id: UserId,
    pub stats: Stats,
    pub discipline_score: DisciplineScore,
    pub date_of_birth: DateTime<Utc>,
}

/// Scores a show inside its run transaction (pure apart from its random generator).
pub type Scorer<'a> = &'a (dyn Fn(&ShowView, &[RunEntrant]) -> ShowOutcome + Send + Sync);

/// How a run claims its show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Wait for a concurrent run (or entry) to finish, then see whether the show is still open.
    Wait,
    /// Skip a show another transaction holds (the scheduler: another replica is on it, or an
    /// entry is being written; the next tick will look again).
    SkipLocked,
}

/// What a completed run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSummary {
    pub show_id: ShowId,
    pub entrants: u32,
    pub prizes_paid: Money,
    pub refund: Money,
    pub completed_at: DateTime<Utc>,
}

/// Why a run did not happen.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("no such show")]
    NotFound,
    #[error("the show has already run")]
    AlreadyRun,
    /// Only with [`Claim::SkipLocked`]: another transaction holds the show.
    #[error("the show is locked by another transaction")]
    Busy,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a show could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateShowError {
    #[error("a show with this name already exists")]
    DuplicateName,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An entry of the caller in a show that has not run yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpcomingEntry {
    pub entry_id: i64,
    pub show_id: ShowId,
    pub show_name: String,
    pub discipline: Discipline,
    pub horse_id: Option<HorseId>,
    pub horse_name: Option<String>,
    pub runs_at: DateTime<Utc>,
}

/// Counts and lists for the player's dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashboardFacts {
    pub horse_count: u32,
    /// Horses aged 3 to 20, healthy, whose training cooldown has passed.
    pub trainable_now: u32,
    pub upcoming_entries: Vec<UpcomingEntry>,
    pub recent_results: Vec<ResultView>,
}

/// Show storage. Every method is one transaction.
#[async_trait]
pub trait ShowStore: Send + Sync {
    async fn create_show(
        &self,
        show: NewShow,
        created_by: UserId,
    ) -> Result<ShowView, CreateShowError>;
    async fn show(&self, id: ShowId) -> Result<Option<ShowView>, StoreError>;
    async fn list_shows(
        &self,
        filter: ShowFilter,
        page: Page,
    ) -> Result<Paged<ShowView>, StoreError>;
    /// `None` when the show does not exist.
    async fn entries(
        &self,
        show: ShowId,
        page: Page,
    ) -> Result<Option<Paged<EntryView>>, StoreError>;

    /// First calls `check` on a plain read of the same facts, taking no lock: a refused entry
    /// (a show that no longer takes entries above all) returns its refusal without ever
    /// locking the show row, so a flood of such attempts cannot keep the scheduler's
    /// `SKIP LOCKED` claim from a show that is due. Then, in one transaction: locks the show,
    /// reads the horse (locked) and the caller's balance, calls `check` again, and only if it
    /// passes takes a place (conditional increment of the entry count), debits the fee
    /// (ledger and house ledger) and writes the entry.
    async fn enter(
        &self,
        show: ShowId,
        horse: HorseId,
        user: UserId,
        now: DateTime<Utc>,
        check: EntryCheck<'_>,
    ) -> Result<EntryView, EntryRefusal>;

    /// Open shows whose `runs_at` is at or before `now` and that are not waiting out a retry
    /// delay: shows that never failed first, then by failed attempts; oldest first within.
    async fn due_shows(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<ShowId>, StoreError>;

    /// Records a failed scheduled run of an open show: one more failed attempt, and the show
    /// is not due again before `now + min(first_delay * 2^(attempts so far), max_delay)`.
    /// Returns the number of failed attempts (0 when the show is no longer open).
    async fn postpone_run(
        &self,
        show: ShowId,
        now: DateTime<Utc>,
        first_delay: std::time::Duration,
        max_delay: std::time::Duration,
    ) -> Result<u32, StoreError>;

    /// In one transaction: claims the open show, loads and locks its entrants, calls `score`,
    /// writes the results, pays the prizes (owner balance and horse earnings), awards owner and
    /// horse XP and stat gains, records the pool and the refund in the house ledger and marks
    /// the show completed. Any failure leaves everything as it was.
    async fn run_show(
        &self,
        show: ShowId,
        now: DateTime<Utc>,
        claim: Claim,
        score: Scorer<'_>,
    ) -> Result<RunSummary, RunError>;

    /// `None` when the show does not exist. Ordered by placement.
    async fn show_results(
        &self,
        show: ShowId,
        page: Page,
    ) -> Result<Option<Paged<ResultView>>, StoreError>;
    /// The player's results, newest first.
    async fn user_results(&self, user: UserId, page: Page)
    -> Result<Paged<ResultView>, StoreError>;

    /// Dashboard figures of the player at `now`; `recent` bounds both lists.
    async fn dashboard(
        &self,
        user: UserId,
        now: DateTime<Utc>,
        recent: u32,
    ) -> Result<DashboardFacts, StoreError>;
}
