//! Leaderboards: public, read-only rankings.
//!
//! Every board is a strict total order (the last key is always an id), so a position never
//! depends on the query plan and page 2 continues exactly where page 1 stopped. A board lists
//! at most [`BOARD_DEPTH`] positions: the store can then answer every page, and the total, by
//! walking an index for at most that many rows, however large the tables grow.

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use equoria_domain::{HorseId, Money, ShowId, UserId};

use crate::StoreError;
use crate::clock::Clock;

mod cache;

use crate::paging::{Page, Paged};
pub use cache::{BoardCache, CacheStats};

/// Most positions a board lists.
pub const BOARD_DEPTH: u32 = 1_000;
/// Entries per board on the leaderboard index.
pub const INDEX_TOP: u32 = 5;

/// The period of the players-by-XP board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum XpPeriod {
    /// The last 7 days.
    Week,
    /// The last 30 days.
    Month,
    /// All time (the players' XP totals).
    All,
}

impl XpPeriod {
    pub const fn as_str(self) -> &'static str {
        match self {
            XpPeriod::Week => "week",
            XpPeriod::Month => "month",
            XpPeriod::All => "all",
        }
    }

    pub fn parse(raw: &str) -> Option<XpPeriod> {
        match raw {
            "week" => Some(XpPeriod::Week),
            "month" => Some(XpPeriod::Month),
            "all" => Some(XpPeriod::All),
            _ => None,
        }
    }

    /// Start of the period ending at `now`; `None` for all time.
    pub fn since(self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            XpPeriod::Week => Some(now - TimeDelta::days(7)),
            XpPeriod::Month => Some(now - TimeDelta::days(30)),
            XpPeriod::All => None,
        }
    }
}

/// A board position: 1-based, unique within the board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranked<T> {
    pub rank: u32,
    pub entry: T,
}

/// A player on the level board (ordered by XP desc, then id: the same as level desc, XP desc,
/// id, since the level only grows with XP).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayerStanding {
    pub user_id: UserId,
    pub username: String,
    pub xp: i64,
}

/// A player on the XP-in-a-period board (ordered by XP gained desc, then id). Players who
/// gained nothing in the period are not listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayerXpGain {
    pub user_id: UserId,
    pub username: String,
    pub xp_gained: i64,
    pub xp: i64,
}

/// A horse on the earnings board (earnings desc, then id) or the wins board (wins desc, then
/// earnings desc, then id). Horses with no earnings (resp. no wins) are not listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HorseStanding {
    pub horse_id: HorseId,
    pub name: String,
    pub breed: String,
    pub owner_id: UserId,
    pub owner_username: String,
    pub earnings: Money,
    pub wins: u32,
}

/// The winner of a completed show (newest first, then result id desc).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentWinner {
    pub show_id: ShowId,
    pub show_name: String,
    pub discipline: String,
    pub completed_at: DateTime<Utc>,
    pub horse_id: Option<HorseId>,
    pub horse_name: String,
    pub user_id: UserId,
    pub username: String,
    pub score_hundredths: u32,
    pub prize: Money,
}

/// Leaderboard queries. `page` never reaches past [`BOARD_DEPTH`] (the service clamps), and
/// `total` counts at most [`BOARD_DEPTH`] entries.
#[async_trait]
pub trait LeaderboardStore: Send + Sync {
    async fn players_by_level(&self, page: Page) -> Result<Paged<PlayerStanding>, StoreError>;
    async fn players_by_xp_since(
        &self,
        since: DateTime<Utc>,
        page: Page,
    ) -> Result<Paged<PlayerXpGain>, StoreError>;
    /// The all-time XP board (players with XP above zero).
    async fn players_by_total_xp(&self, page: Page) -> Result<Paged<PlayerXpGain>, StoreError>;
    async fn horses_by_earnings(&self, page: Page) -> Result<Paged<HorseStanding>, StoreError>;
    async fn horses_by_wins(&self, page: Page) -> Result<Paged<HorseStanding>, StoreError>;
    async fn recent_winners(&self, page: Page) -> Result<Paged<RecentWinner>, StoreError>;
}

/// The top of every board, for `GET /api/leaderboards`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardIndex {
    pub players_by_level: Vec<Ranked<PlayerStanding>>,
    pub players_by_xp_week: Vec<Ranked<PlayerXpGain>>,
    pub players_by_xp_month: Vec<Ranked<PlayerXpGain>>,
    pub players_by_xp_all: Vec<Ranked<PlayerXpGain>>,
    pub horses_by_earnings: Vec<Ranked<HorseStanding>>,
    pub horses_by_wins: Vec<Ranked<HorseStanding>>,
    pub recent_winners: Vec<Ranked<RecentWinner>>,
}

/// The leaderboard use cases, optionally behind a [`BoardCache`].
#[derive(Clone)]
pub struct Leaderboards {
    store: std::sync::Arc<dyn LeaderboardStore>,
    clock: std::sync::Arc<dyn Clock>,
    cache: Option<std::sync::Arc<BoardCache>>,
}

impl std::fmt::Debug for Leaderboards {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leaderboards").finish_non_exhaustive()
    }
}

/// Numbers the items of a page: the first item of page `p` is at `(p - 1) * limit + 1`.
pub fn ranked<T>(paged: Paged<T>) -> Paged<Ranked<T>> {
    let first = paged.page.offset();
    let mut position = first;
    paged.map(|entry| {
        position += 1;
        Ranked {
            rank: u32::try_from(position).unwrap_or(u32::MAX),
            entry,
        }
    })
}

/// A page past the board's depth is empty; the store is not asked.
fn beyond_depth(page: Page) -> bool {
    page.offset() >= i64::from(BOARD_DEPTH)
}

fn empty<T>(page: Page) -> Paged<T> {
    Paged {
        items: Vec::new(),
        total: 0,
        page,
    }
}

impl Leaderboards {
    /// The use cases reading `store` at every call.
    pub fn new(
        store: std::sync::Arc<dyn LeaderboardStore>,
        clock: std::sync::Arc<dyn Clock>,
    ) -> Self {
        Self {
            store,
            clock,
            cache: None,
        }
    }

    /// The same use cases answering from `cache` when it holds the page (`None`: no cache).
    /// Pages past the board's depth never reach the cache.
    #[must_use]
    pub fn with_cache(self, cache: Option<BoardCache>) -> Self {
        Self {
            cache: cache.map(std::sync::Arc::new),
            ..self
        }
    }

    /// Hits and misses of the cache; `None` when there is none.
    pub fn cache_stats(&self) -> Option<CacheStats> {
        self.cache.as_deref().map(BoardCache::stats)
    }

    pub async fn players_by_level(
        &self,
        page: Page,
    ) -> Result<Paged<Ranked<PlayerStanding>>, StoreError> {
        if beyond_depth(page) {
            return Ok(empty(page));
        }
        let load = async { Ok(ranked(self.store.players_by_level(page).await?)) };
        match &self.cache {
            Some(cache) => cache.players_by_level(page, load).await,
            None => load.await,
        }
    }

    /// The XP board of `period`. A cached page of `week` or `month` covers the period that
    /// ended when it was read, at most the cache's time to live ago.
    pub async fn players_by_xp(
        &self,
        period: XpPeriod,
        page: Page,
    ) -> Result<Paged<Ranked<PlayerXpGain>>, StoreError> {
        if beyond_depth(page) {
            return Ok(empty(page));
        }
        let load = async {
            let paged = match period.since(self.clock.now()) {
                Some(since) => self.store.players_by_xp_since(since, page).await?,
                None => self.store.players_by_total_xp(page).await?,
            };
            Ok(ranked(paged))
        };
        match &self.cache {
            Some(cache) => cache.players_by_xp(period, page, load).await,
            None => load.await,
        }
    }

    pub async fn horses_by_earnings(
        &self,
        page: Page,
    ) -> Result<Paged<Ranked<HorseStanding>>, StoreError> {
        if beyond_depth(page) {
            return Ok(empty(page));
        }
        let load = async { Ok(ranked(self.store.horses_by_earnings(page).await?)) };
        match &self.cache {
            Some(cache) => cache.horses_by_earnings(page, load).await,
            None => load.await,
        }
    }

    pub async fn horses_by_wins(
        &self,
        page: Page,
    ) -> Result<Paged<Ranked<HorseStanding>>, StoreError> {
        if beyond_depth(page) {
            return Ok(empty(page));
        }
        let load = async { Ok(ranked(self.store.horses_by_wins(page).await?)) };
        match &self.cache {
            Some(cache) => cache.horses_by_wins(page, load).await,
            None => load.await,
        }
    }

    pub async fn recent_winners(
        &self,
        page: Page,
    ) -> Result<Paged<Ranked<RecentWinner>>, StoreError> {
        if beyond_depth(page) {
            return Ok(empty(page));
        }
        let load = async { Ok(ranked(self.store.recent_winners(page).await?)) };
        match &self.cache {
            Some(cache) => cache.recent_winners(page, load).await,
            None => load.await,
        }
    }

    /// The top [`INDEX_TOP`] of every board.
    pub async fn index(&self) -> Result<BoardIndex, StoreError> {
        let top = Page::new(1, INDEX_TOP)
            .map_err(|e| StoreError::Other(format!("index page size: {e}")))?;
        Ok(BoardIndex {
            players_by_level: self.players_by_level(top).await?.items,
            players_by_xp_week: self.players_by_xp(XpPeriod::Week, top).await?.items,
            players_by_xp_month: self.players_by_xp(XpPeriod::Month, top).await?.items,
            players_by_xp_all: self.players_by_xp(XpPeriod::All, top).await?.items,
            horses_by_earnings: self.horses_by_earnings(top).await?.items,
            horses_by_wins: self.horses_by_wins(top).await?.items,
            recent_winners: self.recent_winners(top).await?.items,
        })
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn ranks_continue_across_pages() {
        let page = Page::new(3, 10).unwrap();
        let paged = ranked(Paged {
            items: vec!['a', 'b'],
            total: 22,
            page,
        });
        let ranks: Vec<u32> = paged.items.iter().map(|r| r.rank).collect();
        assert_eq!(ranks, [21, 22]);
    }

    #[test]
    fn periods_parse_from_their_names_only() {
        for period in [XpPeriod::Week, XpPeriod::Month, XpPeriod::All] {
            assert_eq!(XpPeriod::parse(period.as_str()), Some(period));
        }
        assert_eq!(XpPeriod::parse("year"), None);
        assert_eq!(XpPeriod::parse("Week"), None);
    }
}
