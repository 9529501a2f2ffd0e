//! The part of the service configuration the HTTP layer needs. The server
//! binary builds it once from the validated `Config`.

/// Settings shared by every worker (wrapped in an `Arc` by the caller).
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Deployment environment name as reported on `/health`
    /// (`development`, `test`, `staging`, `production`).
    pub environment: String,
    /// Send `Strict-Transport-Security` (staging and production: behind TLS).
    pub hsts: bool,
    /// Origins allowed by CORS; anything else gets no CORS headers.
    pub allowed_origins: Vec<String>,
    /// Largest accepted request body in bytes; larger bodies get 413.
    pub max_body_bytes: usize,
    /// Upper bound of the database round trip made by `/health`.
    pub health_timeout: std::time::Duration,
    /// Serve `/metrics` on the public port (the recorder must also be
    /// installed, see [`crate::metrics::install`]). False when monitoring is
    /// off, and when metrics have a listener of their own (METRICS_ADDR, see
    /// [`crate::metrics::app`]).
    pub monitoring_enabled: bool,
    /// Time a request body has to arrive in full once the head has arrived
    /// (see [`crate::security::body_deadline`]).
    pub body_timeout: std::time::Duration,
    /// Serve the interactive API reference at `/api/docs` (API_DOCS_ENABLED); when false
    /// every path under it is a 404.
    pub api_docs_enabled: bool,
    /// How long the hot public reads (the leaderboards) are served from the in-process cache
    /// before the store is asked again; zero disables the cache.
    pub public_cache_ttl: std::time::Duration,
}

impl HttpSettings {
    /// Defaults suited to tests: development CORS origins, 64 KiB bodies, no public cache
    /// (every read sees the writes before it).
    pub fn for_tests() -> Self {
        Self {
            environment: "test".to_owned(),
            hsts: false,
            allowed_origins: vec!["http://localhost:5173".to_owned()],
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            health_timeout: std::time::Duration::from_secs(2),
            monitoring_enabled: true,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            api_docs_enabled: true,
            public_cache_ttl: std::time::Duration::ZERO,
        }
    }
}

/// JSON API bodies are small; 64 KiB leaves room for every request we accept.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;

/// Default time a request body has to arrive (CLIENT_BODY_TIMEOUT_MS).
pub const DEFAULT_BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
