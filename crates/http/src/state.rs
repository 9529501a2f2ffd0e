//! Shared, cheaply clonable state handed to every handler.

use std::sync::Arc;
use std::time::Instant;

use equoria_application::health::DatabaseProbe;

use crate::HttpSettings;

/// Everything a handler may need. Built once in the server binary; each
/// worker gets a clone (all fields are `Arc`s or `Copy`).
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<HttpSettings>,
    pub database: Arc<dyn DatabaseProbe>,
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
    pub fn new(settings: HttpSettings, database: Arc<dyn DatabaseProbe>) -> Self {
        Self {
            settings: Arc::new(settings),
            database,
            started_at: Instant::now(),
        }
    }
}
