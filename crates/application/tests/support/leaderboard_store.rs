//! A leaderboard store that counts its calls and ranks one horse whose wins the test sets.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use equoria_application::StoreError;
use equoria_application::leaderboards::{
    HorseStanding, LeaderboardStore, PlayerStanding, PlayerXpGain, RecentWinner,
};
use equoria_application::paging::{Page, Paged};
use equoria_domain::{HorseId, Money, UserId};

/// Counts every call; the wins board holds one horse with [`CountingBoards::set_wins`] wins.
#[derive(Debug, Default)]
pub(crate) struct CountingBoards {
    calls: AtomicU64,
    wins: AtomicU32,
    /// Each call waits this long first (to let concurrent callers meet).
    delay: Mutex<Duration>,
    /// The next call fails with this error.
    fail_next: Mutex<Option<StoreError>>,
    /// The `since` of every XP-in-a-period call.
    since: Mutex<Vec<DateTime<Utc>>>,
}

impl CountingBoards {
    /// Store calls so far.
    pub(crate) fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }

    pub(crate) fn set_wins(&self, wins: u32) {
        self.wins.store(wins, Ordering::SeqCst);
    }

    pub(crate) fn set_delay(&self, delay: Duration) {
        *self.delay.lock().unwrap() = delay;
    }

    pub(crate) fn fail_next(&self, error: StoreError) {
        *self.fail_next.lock().unwrap() = Some(error);
    }

    pub(crate) fn since(&self) -> Vec<DateTime<Utc>> {
        self.since.lock().unwrap().clone()
    }

    async fn call(&self) -> Result<(), StoreError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let delay = *self.delay.lock().unwrap();
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        match self.fail_next.lock().unwrap().take() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    fn horse(&self) -> HorseStanding {
        HorseStanding {
            horse_id: HorseId::new(7),
            name: "Comet".to_owned(),
            breed: "Arabian".to_owned(),
            owner_id: UserId::new(3),
            owner_username: "alice".to_owned(),
            earnings: Money::new(1_500).unwrap(),
            wins: self.wins.load(Ordering::SeqCst),
        }
    }
}

fn paged<T>(items: Vec<T>, page: Page) -> Paged<T> {
    let total = i64::try_from(items.len()).unwrap();
    Paged { items, total, page }
}

#[async_trait]
impl LeaderboardStore for CountingBoards {
    async fn players_by_level(&self, page: Page) -> Result<Paged<PlayerStanding>, StoreError> {
        self.call().await?;
        Ok(paged(Vec::new(), page))
    }

    async fn players_by_xp_since(
        &self,
        since: DateTime<Utc>,
        page: Page,
    ) -> Result<Paged<PlayerXpGain>, StoreError> {
        self.call().await?;
        self.since.lock().unwrap().push(since);
        Ok(paged(Vec::new(), page))
    }

    async fn players_by_total_xp(&self, page: Page) -> Result<Paged<PlayerXpGain>, StoreError> {
        self.call().await?;
        Ok(paged(Vec::new(), page))
    }

    async fn horses_by_earnings(&self, page: Page) -> Result<Paged<HorseStanding>, StoreError> {
        self.call().await?;
        Ok(paged(vec![self.horse()], page))
    }

    async fn horses_by_wins(&self, page: Page) -> Result<Paged<HorseStanding>, StoreError> {
        self.call().await?;
        Ok(paged(vec![self.horse()], page))
    }

    async fn recent_winners(&self, page: Page) -> Result<Paged<RecentWinner>, StoreError> {
        self.call().await?;
        Ok(paged(Vec::new(), page))
    }
}
