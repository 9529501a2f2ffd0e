//! The leaderboards behind their cache: a page read twice within the time to live costs one
//! store call, a later read asks the store again, and keys, errors and concurrent readers are
//! kept apart or together as they should be.

#![expect(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use equoria_application::StoreError;
use equoria_application::leaderboards::{BoardCache, CacheStats, Leaderboards, XpPeriod};
use equoria_application::paging::Page;
use support::leaderboard_store::CountingBoards;
use support::{ManualClock, start};

const TTL: Duration = Duration::from_millis(300);

fn boards(ttl: Duration) -> (Arc<CountingBoards>, Arc<ManualClock>, Leaderboards) {
    let store = Arc::new(CountingBoards::default());
    let clock = ManualClock::at(start());
    let boards = Leaderboards::new(store.clone(), clock.clone()).with_cache(BoardCache::new(ttl));
    (store, clock, boards)
}

fn page(number: u32, limit: u32) -> Page {
    Page::new(number, limit).unwrap()
}

fn stats(hits: u64, misses: u64) -> Option<CacheStats> {
    Some(CacheStats { hits, misses })
}

#[tokio::test]
async fn a_second_read_within_the_ttl_is_served_from_the_cache() {
    let (store, _, boards) = boards(TTL);
    store.set_wins(3);
    let first = boards.horses_by_wins(Page::FIRST).await.unwrap();
    store.set_wins(4);
    let second = boards.horses_by_wins(Page::FIRST).await.unwrap();
    assert_eq!(store.calls(), 1);
    assert_eq!(second, first);
    assert_eq!(second.items[0].entry.wins, 3);
    assert_eq!(second.items[0].rank, 1);
    assert_eq!(boards.cache_stats(), stats(1, 1));
}

#[tokio::test]
async fn a_read_after_the_ttl_asks_the_store_again() {
    let (store, _, boards) = boards(Duration::from_millis(50));
    store.set_wins(3);
    boards.horses_by_wins(Page::FIRST).await.unwrap();
    store.set_wins(4);
    tokio::time::sleep(Duration::from_millis(150)).await;
    let fresh = boards.horses_by_wins(Page::FIRST).await.unwrap();
    assert_eq!(store.calls(), 2);
    assert_eq!(fresh.items[0].entry.wins, 4);
    assert_eq!(boards.cache_stats(), stats(0, 2));
}

#[tokio::test]
async fn boards_pages_sizes_and_periods_are_cached_apart() {
    let (store, _, boards) = boards(TTL);
    boards.horses_by_wins(page(1, 20)).await.unwrap();
    boards.horses_by_wins(page(2, 20)).await.unwrap();
    boards.horses_by_wins(page(1, 10)).await.unwrap();
    boards.horses_by_earnings(page(1, 20)).await.unwrap();
    boards.players_by_level(page(1, 20)).await.unwrap();
    boards.recent_winners(page(1, 20)).await.unwrap();
    for period in [XpPeriod::Week, XpPeriod::Month, XpPeriod::All] {
        boards.players_by_xp(period, page(1, 20)).await.unwrap();
    }
    assert_eq!(store.calls(), 9);
    assert_eq!(boards.cache_stats(), stats(0, 9));

    // Each of them again: all from the cache.
    boards.horses_by_wins(page(2, 20)).await.unwrap();
    boards
        .players_by_xp(XpPeriod::Month, page(1, 20))
        .await
        .unwrap();
    boards.recent_winners(page(1, 20)).await.unwrap();
    assert_eq!(store.calls(), 9);
    assert_eq!(boards.cache_stats(), stats(3, 9));
}

#[tokio::test]
async fn a_cached_period_board_keeps_the_period_it_was_read_for() {
    let (store, clock, boards) = boards(TTL);
    boards
        .players_by_xp(XpPeriod::Week, Page::FIRST)
        .await
        .unwrap();
    clock.advance(TimeDelta::seconds(1));
    boards
        .players_by_xp(XpPeriod::Week, Page::FIRST)
        .await
        .unwrap();
    assert_eq!(store.since(), [start() - TimeDelta::days(7)]);
}

#[tokio::test]
async fn errors_are_not_cached() {
    let (store, _, boards) = boards(TTL);
    store.fail_next(StoreError::Unavailable("down".to_owned()));
    let error = boards.horses_by_wins(Page::FIRST).await.unwrap_err();
    assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
    boards.horses_by_wins(Page::FIRST).await.unwrap();
    assert_eq!(store.calls(), 2);
    assert_eq!(boards.cache_stats(), stats(0, 1));
}

#[tokio::test]
async fn concurrent_readers_of_a_missing_page_share_one_store_call() {
    let (store, _, boards) = boards(TTL);
    store.set_delay(Duration::from_millis(50));
    let reads = (0..8).map(|_| boards.horses_by_wins(Page::FIRST));
    let pages = futures_util::future::join_all(reads).await;
    assert!(pages.iter().all(Result::is_ok));
    assert_eq!(store.calls(), 1);
    assert_eq!(boards.cache_stats(), stats(7, 1));
}

#[tokio::test]
async fn the_index_is_served_from_the_cached_tops() {
    let (store, _, boards) = boards(TTL);
    let first = boards.index().await.unwrap();
    assert_eq!(store.calls(), 7);
    let second = boards.index().await.unwrap();
    assert_eq!(store.calls(), 7);
    assert_eq!(second, first);
}

#[tokio::test]
async fn a_zero_ttl_means_no_cache() {
    let (store, _, boards) = boards(Duration::ZERO);
    boards.horses_by_wins(Page::FIRST).await.unwrap();
    boards.horses_by_wins(Page::FIRST).await.unwrap();
    assert_eq!(store.calls(), 2);
    assert_eq!(boards.cache_stats(), None);
}

#[tokio::test]
async fn pages_past_the_board_depth_reach_neither_store_nor_cache() {
    let (store, _, boards) = boards(TTL);
    let beyond = boards.horses_by_wins(page(11, 100)).await.unwrap();
    assert!(beyond.items.is_empty());
    assert_eq!(store.calls(), 0);
    assert_eq!(boards.cache_stats(), stats(0, 0));
}
