//! [`ShowStore`] on PostgreSQL, one file per concern: [`create`] (new shows), [`reads`] (shows
//! and their entries), [`entry`] (entering a horse), [`schedule`] (due shows, retry delays),
//! [`run`] (running a show), [`results`] and [`dashboard`]; [`rows`] holds the stored rows.
//!
//! Concurrency, in short:
//! - An entry locks its show row (`SELECT .. FOR UPDATE`) before anything else, so entries of
//!   one show are serialised: the rules see the current entry count and duplicates, and the
//!   capacity is then taken with a conditional `UPDATE` (belt and braces, with the
//!   `shows_entry_count_check` and the unique `(show_id, horse_id)` behind it). The fee is a
//!   conditional `UPDATE` of the balance, so no balance ever goes negative.
//! - A run locks its show row the same way, then the entered horses (in id order), then the
//!   owners (in id order): entries and runs always take locks in the order show -> horse ->
//!   user, so they cannot deadlock each other. The run re-checks `status = 'open'` under the
//!   lock, so two runs of one show produce one set of results and one payout.

mod create;
mod dashboard;
mod entry;
mod reads;
mod results;
mod rows;
mod run;
mod schedule;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use equoria_application::StoreError;
use equoria_application::paging::{Page, Paged};
use equoria_application::shows::*;
use equoria_domain::competition::NewShow;
use equoria_domain::{HorseId, ShowId, UserId};

use crate::DbPool;
use results::ResultScope;

#[async_trait]
impl ShowStore for DbPool {
    async fn create_show(
        &self,
        show: NewShow,
        created_by: UserId,
    ) -> Result<ShowView, CreateShowError> {
        let mut conn = self.get().await?;
        create::create_show(&mut conn, show, created_by).await
    }

    async fn show(&self, id: ShowId) -> Result<Option<ShowView>, StoreError> {
        let mut conn = self.get().await?;
        reads::show(&mut conn, id).await
    }

    async fn list_shows(
        &self,
        filter: ShowFilter,
        page: Page,
    ) -> Result<Paged<ShowView>, StoreError> {
        let mut conn = self.get().await?;
        reads::list_shows(&mut conn, filter, page).await
    }

    async fn entries(
        &self,
        show: ShowId,
        page: Page,
    ) -> Result<Option<Paged<EntryView>>, StoreError> {
        let mut conn = self.get().await?;
        reads::entries(&mut conn, show, page).await
    }

    async fn enter(
        &self,
        show: ShowId,
        horse: HorseId,
        user: UserId,
        now: DateTime<Utc>,
        check: EntryCheck<'_>,
    ) -> Result<EntryView, EntryRefusal> {
        let mut conn = self.get().await?;
        entry::enter(&mut conn, show, horse, user, now, check).await
    }

    async fn due_shows(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<ShowId>, StoreError> {
        let mut conn = self.get().await?;
        schedule::due_shows(&mut conn, now, limit).await
    }

    async fn postpone_run(
        &self,
        show: ShowId,
        now: DateTime<Utc>,
        first_delay: std::time::Duration,
        max_delay: std::time::Duration,
    ) -> Result<u32, StoreError> {
        let mut conn = self.get().await?;
        schedule::postpone_run(&mut conn, show, now, first_delay, max_delay).await
    }

    async fn run_show(
        &self,
        show: ShowId,
        now: DateTime<Utc>,
        claim: Claim,
        score: Scorer<'_>,
    ) -> Result<RunSummary, RunError> {
        let mut conn = self.get().await?;
        run::run_show(&mut conn, show, now, claim, score).await
    }

    async fn show_results(
        &self,
        show: ShowId,
        page: Page,
    ) -> Result<Option<Paged<ResultView>>, StoreError> {
        let mut conn = self.get().await?;
        results::show_results(&mut conn, show, page).await
    }

    async fn user_results(
        &self,
        user: UserId,
        page: Page,
    ) -> Result<Paged<ResultView>, StoreError> {
        let mut conn = self.get().await?;
        results::result_page(&mut conn, ResultScope::User(user), page).await
    }

    async fn dashboard(
        &self,
        user: UserId,
        now: DateTime<Utc>,
        recent: u32,
    ) -> Result<DashboardFacts, StoreError> {
        let mut conn = self.get().await?;
        dashboard::dashboard(&mut conn, user, now, recent).await
    }
}
