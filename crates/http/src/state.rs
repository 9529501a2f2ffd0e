//! Shared, cheaply clonable state handed to every handler.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use equoria_application::accounts::{AccountStore, Accounts, PasswordHasher, TokenIssuer};
use equoria_application::clock::Clock;
use equoria_application::health::DatabaseProbe;
use equoria_application::horses::{HorseStore, Horses};
use equoria_application::idempotency::{Idempotency, IdempotencyStore};
use equoria_application::leaderboards::{BoardCache, LeaderboardStore, Leaderboards};
use equoria_application::random::Randomness;
use equoria_application::shows::{ShowStore, Shows};
use equoria_application::training::{Training, TrainingStore};

use crate::HttpSettings;
use crate::security::rate_limit::RateLimits;

/// Everything a handler may need. Built once in the server binary (the
/// rate limiters included, so all workers share one set of buckets); each
/// worker gets a clone.
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<HttpSettings>,
    pub database: Arc<dyn DatabaseProbe>,
    pub accounts: Arc<Accounts>,
    pub horses: Arc<Horses>,
    pub training: Arc<Training>,
    pub shows: Arc<Shows>,
    pub leaderboards: Arc<Leaderboards>,
    /// Idempotency keys of the routes that move money or create something.
    pub idempotency: Arc<Idempotency>,
    pub limits: RateLimits,
    pub started_at: Instant,
    /// Set once the process has been asked to stop: `/health` answers 503
    /// `draining` from then on while every other route is still served.
    pub draining: Arc<AtomicBool>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("settings", &self.settings)
            .field("started_at", &self.started_at)
            .finish_non_exhaustive()
    }
}

/// Everything the service keeps in its database: the one adapter that
/// implements every storage port (in production, the PostgreSQL pool).
pub trait Store:
    AccountStore
    + HorseStore
    + TrainingStore
    + ShowStore
    + LeaderboardStore
    + IdempotencyStore
    + DatabaseProbe
    + Clone
    + 'static
{
}

impl<T> Store for T where
    T: AccountStore
        + HorseStore
        + TrainingStore
        + ShowStore
        + LeaderboardStore
        + IdempotencyStore
        + DatabaseProbe
        + Clone
        + 'static
{
}

impl AppState {
    /// Wires every use case to `store`, the password hasher, the token
    /// issuer, the clock and the source of randomness; the leaderboards go
    /// through a cache of `settings.public_cache_ttl` (none when zero). The server (system
    /// clock, randomness seeded from the operating system) and the tests
    /// (a fixed seed) both build their state here, so they serve the same
    /// wiring.
    pub fn wire<S: Store>(
        settings: HttpSettings,
        store: S,
        hasher: Arc<dyn PasswordHasher>,
        tokens: Arc<dyn TokenIssuer>,
        clock: Arc<dyn Clock>,
        randomness: Arc<dyn Randomness>,
        limits: RateLimits,
    ) -> Self {
        let board_cache = BoardCache::new(settings.public_cache_ttl);
        Self {
            settings: Arc::new(settings),
            database: Arc::new(store.clone()),
            accounts: Arc::new(Accounts::new(
                Arc::new(store.clone()),
                hasher,
                tokens,
                clock.clone(),
                randomness.clone(),
            )),
            horses: Arc::new(Horses::new(
                Arc::new(store.clone()),
                clock.clone(),
                randomness.clone(),
            )),
            training: Arc::new(Training::new(
                Arc::new(store.clone()),
                clock.clone(),
                randomness.clone(),
            )),
            shows: Arc::new(Shows::new(
                Arc::new(store.clone()),
                clock.clone(),
                randomness,
            )),
            idempotency: Arc::new(Idempotency::new(Arc::new(store.clone()), clock.clone())),
            leaderboards: Arc::new(
                Leaderboards::new(Arc::new(store), clock).with_cache(board_cache),
            ),
            limits,
            started_at: Instant::now(),
            draining: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Marks the process as draining (see [`AppState::draining`]); every
    /// clone of this state sees it.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }
}
