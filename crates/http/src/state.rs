//! Shared, cheaply clonable state handed to every handler.

use std::sync::Arc;
use std::time::Instant;

use equoria_application::accounts::Accounts;
use equoria_application::health::DatabaseProbe;
use equoria_application::horses::Horses;
use equoria_application::leaderboards::Leaderboards;
use equoria_application::shows::Shows;
use equoria_application::training::Training;

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
    pub limits: RateLimits,
    pub started_at: Instant,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("settings", &self.settings)
            .field("started_at", &self.started_at)
            .finish_non_exhaustive()
    }
}

impl AppState {
    // One argument per port or use-case service, each wired once by the server binary.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        settings: HttpSettings,
        database: Arc<dyn DatabaseProbe>,
        accounts: Arc<Accounts>,
        horses: Arc<Horses>,
        training: Arc<Training>,
        shows: Arc<Shows>,
        leaderboards: Arc<Leaderboards>,
        limits: RateLimits,
    ) -> Self {
        Self {
            settings: Arc::new(settings),
            database,
            accounts,
            horses,
            training,
            shows,
            leaderboards,
            limits,
            started_at: Instant::now(),
        }
    }
}
