//! A short-lived in-process cache of board pages.
//!
//! Boards are public and may be a few seconds stale, while every page costs the store an index
//! walk and a join. [`BoardCache`] keeps each ranked page it was asked for (keyed by board,
//! period, page number and page size) for a fixed time to live, in a [`moka`] cache per board.
//! Concurrent requests for a page that is not cached wait for one store call instead of each
//! making their own. Errors are never cached.

use std::future::Future;
use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use moka::future::Cache;

use super::{HorseStanding, PlayerStanding, PlayerXpGain, Ranked, RecentWinner, XpPeriod};
use crate::StoreError;
use crate::paging::{Page, Paged};

/// Most pages kept per board. A board has at most 1,000 positions, so even every page size
/// from 1 to 100 together stays near this figure; beyond it the least useful pages go.
const PAGES_PER_BOARD: u64 = 4_096;

/// Hits and misses of a cache since it was built. A miss is a lookup that called the store;
/// a hit is one answered from the cache (including one that waited for a concurrent miss of
/// the same key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
}

#[derive(Debug, Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
}

impl Counters {
    fn record(&self, fresh: bool) {
        let counter = if fresh { &self.misses } else { &self.hits };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn snapshot(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }
}

/// The page identity within one board: page number and page size.
type PageKey = (u32, u32);

fn page_key(page: Page) -> PageKey {
    (page.number(), page.limit())
}

/// One page of a board, shared between the cache and its readers.
type Shared<T> = Arc<Paged<Ranked<T>>>;

/// Ranked pages of every board, each kept for the cache's time to live.
pub struct BoardCache {
    ttl: Duration,
    counters: Counters,
    players_by_level: Cache<PageKey, Shared<PlayerStanding>>,
    players_by_xp: Cache<(XpPeriod, PageKey), Shared<PlayerXpGain>>,
    horses_by_earnings: Cache<PageKey, Shared<HorseStanding>>,
    horses_by_wins: Cache<PageKey, Shared<HorseStanding>>,
    recent_winners: Cache<PageKey, Shared<RecentWinner>>,
}

impl std::fmt::Debug for BoardCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoardCache")
            .field("ttl", &self.ttl)
            .field("stats", &self.counters.snapshot())
            .finish_non_exhaustive()
    }
}

fn board<K, V>(ttl: Duration) -> Cache<K, V>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    Cache::builder()
        .max_capacity(PAGES_PER_BOARD)
        .time_to_live(ttl)
        .build()
}

impl BoardCache {
    /// A cache whose pages live `ttl`; `None` when `ttl` is zero (caching disabled).
    pub fn new(ttl: Duration) -> Option<Self> {
        if ttl.is_zero() {
            return None;
        }
        Some(Self {
            ttl,
            counters: Counters::default(),
            players_by_level: board(ttl),
            players_by_xp: board(ttl),
            horses_by_earnings: board(ttl),
            horses_by_wins: board(ttl),
            recent_winners: board(ttl),
        })
    }

    /// How long a page is kept.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Hits and misses so far, over every board.
    pub fn stats(&self) -> CacheStats {
        self.counters.snapshot()
    }

    pub(super) async fn players_by_level<F>(
        &self,
        page: Page,
        load: F,
    ) -> Result<Paged<Ranked<PlayerStanding>>, StoreError>
    where
        F: Future<Output = Result<Paged<Ranked<PlayerStanding>>, StoreError>>,
    {
        self.lookup(&self.players_by_level, page_key(page), load)
            .await
    }

    pub(super) async fn players_by_xp<F>(
        &self,
        period: XpPeriod,
        page: Page,
        load: F,
    ) -> Result<Paged<Ranked<PlayerXpGain>>, StoreError>
    where
        F: Future<Output = Result<Paged<Ranked<PlayerXpGain>>, StoreError>>,
    {
        self.lookup(&self.players_by_xp, (period, page_key(page)), load)
            .await
    }

    pub(super) async fn horses_by_earnings<F>(
        &self,
        page: Page,
        load: F,
    ) -> Result<Paged<Ranked<HorseStanding>>, StoreError>
    where
        F: Future<Output = Result<Paged<Ranked<HorseStanding>>, StoreError>>,
    {
        self.lookup(&self.horses_by_earnings, page_key(page), load)
            .await
    }

    pub(super) async fn horses_by_wins<F>(
        &self,
        page: Page,
        load: F,
    ) -> Result<Paged<Ranked<HorseStanding>>, StoreError>
    where
        F: Future<Output = Result<Paged<Ranked<HorseStanding>>, StoreError>>,
    {
        self.lookup(&self.horses_by_wins, page_key(page), load)
            .await
    }

    pub(super) async fn recent_winners<F>(
        &self,
        page: Page,
        load: F,
    ) -> Result<Paged<Ranked<RecentWinner>>, StoreError>
    where
        F: Future<Output = Result<Paged<Ranked<RecentWinner>>, StoreError>>,
    {
        self.lookup(&self.recent_winners, page_key(page), load)
            .await
    }

    /// The cached page under `key`, or the one `load` produces (then cached); counted as a hit
    /// or a miss.
    async fn lookup<K, T, F>(
        &self,
        cache: &Cache<K, Shared<T>>,
        key: K,
        load: F,
    ) -> Result<Paged<Ranked<T>>, StoreError>
    where
        K: Hash + Eq + Send + Sync + 'static,
        T: Clone + Send + Sync + 'static,
        F: Future<Output = Result<Paged<Ranked<T>>, StoreError>>,
    {
        let entry = cache
            .entry(key)
            .or_try_insert_with(async { load.await.map(Arc::new) })
            .await
            .map_err(Arc::unwrap_or_clone)?;
        self.counters.record(entry.is_fresh());
        Ok(Arc::unwrap_or_clone(entry.into_value()))
    }
}
