//! The one typed configuration, read from the environment once at start-up
//! and validated all at once.
//!
//! Variable names are the ones listed in the README ("Configuration"), so
//! existing configurations keep working; defaults depend on `NODE_ENV` (alias
//! `APP_ENV`). `staging` and `production` are *strict*: a missing or weak
//! secret, a missing `DATABASE_URL`, a wildcard CORS origin or a low bcrypt
//! cost is an error there. In every environment an unparsable value is an
//! error. Every problem is collected so the operator fixes them in one go.
//!
//! This module holds the types and puts the configuration together; `parser` reads and
//! checks one variable at a time, `redacted` prints the effective configuration.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use ipnet::IpNet;
use secrecy::{ExposeSecret, SecretString};

use parser::Parser;

mod parser;
mod redacted;

/// Deployment environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Environment {
    Development,
    Test,
    Staging,
    Production,
}

impl Environment {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Test => "test",
            Self::Staging => "staging",
            Self::Production => "production",
        }
    }

    /// Staging mirrors production: same strict validation, same defaults.
    pub(crate) fn is_strict(self) -> bool {
        matches!(self, Self::Staging | Self::Production)
    }

    fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "development" | "dev" => Some(Self::Development),
            "test" => Some(Self::Test),
            "staging" => Some(Self::Staging),
            "production" | "prod" => Some(Self::Production),
            _ => None,
        }
    }

    /// The environment named by `NODE_ENV`, else `APP_ENV`, else development.
    /// An unknown name is reported by [`Config::from_lookup`]; here it falls
    /// back to development (used only to decide whether to read `.env`).
    pub(crate) fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> Self {
        env_name(lookup)
            .and_then(|v| Self::parse(&v))
            .unwrap_or(Self::Development)
    }
}

fn env_name(lookup: &impl Fn(&str) -> Option<String>) -> Option<String> {
    lookup("NODE_ENV").or_else(|| lookup("APP_ENV"))
}

/// Validated service configuration. Secrets are `SecretString`: `Debug`
/// prints `[REDACTED]`.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub environment: Environment,
    pub host: String,
    pub port: u16,
    pub database_url: SecretString,
    /// Owner role used by `equoria migrate`; falls back to `database_url`.
    pub migration_database_url: Option<SecretString>,
    pub jwt_secret: SecretString,
    pub jwt_refresh_secret: SecretString,
    pub allowed_origins: Vec<String>,
    pub log_level: String,
    pub rate_limit_window: Duration,
    pub rate_limit_max_requests: u32,
    pub auth_rate_limit_max: u32,
    pub bcrypt_salt_rounds: u32,
    /// Replace a hash of another cost than `bcrypt_salt_rounds` at the next
    /// successful login (default true; the benchmark turns it off, its
    /// seeded players' cheap hashes must stay cheap).
    pub bcrypt_rehash_on_login: bool,
    pub monitoring_enabled: bool,
    pub database_pool_max: usize,
    pub database_pool_timeout: Duration,
    pub trusted_proxies: Vec<IpNet>,
    pub shutdown_timeout: Duration,
    /// METRICS_ADDR: serve `/metrics` on this address only (the public port
    /// then answers 404 for it); `None` keeps it on the public port.
    pub metrics_addr: Option<SocketAddr>,
    /// SHUTDOWN_DRAIN_SECS: after the termination signal, how long `/health`
    /// answers 503 `draining` while everything else is still served, before
    /// the listener closes (0 in development and test, 5 s in staging and
    /// production).
    pub shutdown_drain: Duration,
    /// MIGRATION_LOCK_TIMEOUT_MS: `lock_timeout` of every migration; a
    /// migration waiting longer for a table lock fails and is rolled back.
    pub migration_lock_timeout: Duration,
    /// Password requests (register, login, change-password) served at once;
    /// the others wait up to `bcrypt_queue_timeout`, then get 503.
    pub bcrypt_max_concurrent: usize,
    pub bcrypt_queue_timeout: Duration,
    /// A connection whose request head has not fully arrived this long after
    /// it opened is closed (408).
    pub client_request_timeout: Duration,
    /// A request body that has not fully arrived this long after the request
    /// head is refused with 408 and the connection closed.
    pub client_body_timeout: Duration,
    /// Time the client gets to acknowledge a connection shutdown.
    pub client_disconnect_timeout: Duration,
    /// An idle keep-alive connection is closed after this long.
    pub keep_alive: Duration,
    /// API_DOCS_ENABLED: serve the interactive API reference at `/api/docs` (default on
    /// everywhere but production).
    pub api_docs_enabled: bool,
    /// PUBLIC_CACHE_TTL_MS: how long the leaderboards are served from the
    /// in-process cache; zero disables it.
    pub public_cache_ttl: Duration,
}

/// Every problem found in the environment, reported together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConfigErrors(pub Vec<String>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invalid configuration ({} problem(s)):", self.0.len())?;
        for problem in &self.0 {
            writeln!(f, "  - {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// A valid configuration plus the warnings worth logging at start-up.
#[derive(Debug)]
pub(crate) struct Loaded {
    pub config: Config,
    pub warnings: Vec<String>,
}

/// Minimum length of a JWT secret in strict environments.
pub(crate) const MIN_SECRET_LEN: usize = 64;
/// Upper bound of SHUTDOWN_DRAIN_SECS.
pub(crate) const MAX_DRAIN_SECS: u64 = 120;
/// Default of PUBLIC_CACHE_TTL_MS: boards at most 2 s stale.
pub(crate) const DEFAULT_PUBLIC_CACHE_TTL_MS: u64 = 2_000;
/// Upper bound of PUBLIC_CACHE_TTL_MS: the leaderboards' `Cache-Control: max-age`.
pub(crate) const MAX_PUBLIC_CACHE_TTL_MS: u64 = 30_000;
/// Minimum bcrypt cost in strict environments.
pub(crate) const MIN_STRICT_BCRYPT_ROUNDS: u32 = 10;
impl Config {
    /// Reads the process environment.
    pub(crate) fn from_env() -> Result<Loaded, ConfigErrors> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// Reads variables through `lookup` (tests pass a map).
    pub(crate) fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Loaded, ConfigErrors> {
        let mut p = Parser {
            lookup: &lookup,
            errors: Vec::new(),
            warnings: Vec::new(),
        };

        let environment = match env_name(&lookup) {
            None => Environment::Development,
            Some(name) => Environment::parse(&name).unwrap_or_else(|| {
                p.errors.push(format!(
                    "NODE_ENV/APP_ENV: `{name}` is not one of development, test, staging, production"
                ));
                Environment::Development
            }),
        };
        let strict = environment.is_strict();

        let host = p.string("HOST", "0.0.0.0");
        if host.parse::<IpAddr>().is_err() && host != "localhost" {
            p.errors.push(format!(
                "HOST: `{host}` is not an IP address (e.g. 0.0.0.0 or 127.0.0.1)"
            ));
        }
        let port = p.number::<u16>("PORT", 3000);

        let database_url = p.database_url("DATABASE_URL", strict);
        let migration_database_url = lookup("MIGRATION_DATABASE_URL").map(|url| {
            p.check_database_url("MIGRATION_DATABASE_URL", &url);
            SecretString::from(url)
        });

        let jwt_secret = p.jwt_secret("JWT_SECRET", strict);
        let jwt_refresh_secret = p.jwt_secret("JWT_REFRESH_SECRET", strict);
        if !jwt_secret.expose_secret().is_empty()
            && jwt_secret.expose_secret() == jwt_refresh_secret.expose_secret()
        {
            p.errors.push(
                "JWT_SECRET and JWT_REFRESH_SECRET must differ, so a refresh token can never pass as an access token"
                    .to_owned(),
            );
        }

        let allowed_origins = p.origins(strict);
        let log_level = p.string(
            "LOG_LEVEL",
            if strict {
                "info"
            } else if environment == Environment::Test {
                "warn"
            } else {
                "debug"
            },
        );
        if tracing_subscriber::EnvFilter::try_new(&log_level).is_err() {
            p.errors.push(format!(
                "LOG_LEVEL: `{log_level}` is not a level (error, warn, info, debug, trace) or filter directive"
            ));
        }

        let (window_ms, max_requests, auth_max) = if strict {
            (900_000, 100, 5)
        } else {
            (900_000, 10_000, 1_000)
        };
        let rate_limit_window_ms = p.positive::<u64>("RATE_LIMIT_WINDOW_MS", window_ms);
        let rate_limit_max_requests = p.positive::<u32>("RATE_LIMIT_MAX_REQUESTS", max_requests);
        let auth_rate_limit_max = p.positive::<u32>("AUTH_RATE_LIMIT_MAX", auth_max);

        let bcrypt_salt_rounds =
            p.number::<u32>("BCRYPT_SALT_ROUNDS", if strict { 12 } else { 10 });
        let min_rounds = if strict { MIN_STRICT_BCRYPT_ROUNDS } else { 4 };
        if !(min_rounds..=31).contains(&bcrypt_salt_rounds) {
            p.errors.push(format!(
                "BCRYPT_SALT_ROUNDS: {bcrypt_salt_rounds} is outside {min_rounds}..=31 (production needs at least {MIN_STRICT_BCRYPT_ROUNDS}; 12 recommended)"
            ));
        }

        let bcrypt_rehash_on_login = p.boolean("BCRYPT_REHASH_ON_LOGIN", true);
        let monitoring_enabled = p.boolean("MONITORING_ENABLED", true);
        let database_pool_max = p.positive::<usize>("DATABASE_POOL_MAX", 10);
        let database_pool_timeout_secs = p.positive::<u64>("DATABASE_POOL_TIMEOUT_SECS", 20);
        let trusted_proxies = p.proxies();
        let shutdown_timeout_secs = p.number::<u64>("SHUTDOWN_TIMEOUT_SECS", 30);
        let metrics_addr = p.metrics_addr(&host, port, monitoring_enabled);
        let shutdown_drain_secs =
            p.number::<u64>("SHUTDOWN_DRAIN_SECS", if strict { 5 } else { 0 });
        if shutdown_drain_secs > MAX_DRAIN_SECS {
            p.errors.push(format!(
                "SHUTDOWN_DRAIN_SECS: {shutdown_drain_secs} is more than {MAX_DRAIN_SECS}; a few seconds (longer than the load balancer's health check interval) are enough"
            ));
        }
        let migration_lock_timeout_ms = p.positive::<u64>("MIGRATION_LOCK_TIMEOUT_MS", 5_000);
        let bcrypt_max_concurrent = p.positive::<usize>("BCRYPT_MAX_CONCURRENT", available_cores());
        let bcrypt_queue_timeout_ms = p.positive::<u64>("BCRYPT_QUEUE_TIMEOUT_MS", 2_000);
        let client_request_timeout_ms = p.positive::<u64>("CLIENT_REQUEST_TIMEOUT_MS", 5_000);
        let client_body_timeout_ms = p.positive::<u64>("CLIENT_BODY_TIMEOUT_MS", 10_000);
        let client_disconnect_timeout_ms = p.positive::<u64>("CLIENT_DISCONNECT_TIMEOUT_MS", 2_000);
        let keep_alive_secs = p.positive::<u64>("KEEP_ALIVE_SECS", 75);
        let api_docs_enabled =
            p.boolean("API_DOCS_ENABLED", environment != Environment::Production);
        let public_cache_ttl_ms =
            p.number::<u64>("PUBLIC_CACHE_TTL_MS", DEFAULT_PUBLIC_CACHE_TTL_MS);
        if public_cache_ttl_ms > MAX_PUBLIC_CACHE_TTL_MS {
            p.errors.push(format!(
                "PUBLIC_CACHE_TTL_MS: {public_cache_ttl_ms} is more than {MAX_PUBLIC_CACHE_TTL_MS}; a few seconds (2000 by default) are enough"
            ));
        }
        if strict {
            p.refuse_trust_in_everyone(&trusted_proxies);
        }

        let Parser {
            errors, warnings, ..
        } = p;
        if !errors.is_empty() {
            return Err(ConfigErrors(errors));
        }
        Ok(Loaded {
            config: Config {
                environment,
                host,
                port,
                database_url,
                migration_database_url,
                jwt_secret,
                jwt_refresh_secret,
                allowed_origins,
                log_level,
                rate_limit_window: Duration::from_millis(rate_limit_window_ms),
                rate_limit_max_requests,
                auth_rate_limit_max,
                bcrypt_salt_rounds,
                bcrypt_rehash_on_login,
                monitoring_enabled,
                database_pool_max,
                database_pool_timeout: Duration::from_secs(database_pool_timeout_secs),
                trusted_proxies,
                shutdown_timeout: Duration::from_secs(shutdown_timeout_secs),
                metrics_addr,
                shutdown_drain: Duration::from_secs(shutdown_drain_secs),
                migration_lock_timeout: Duration::from_millis(migration_lock_timeout_ms),
                bcrypt_max_concurrent,
                bcrypt_queue_timeout: Duration::from_millis(bcrypt_queue_timeout_ms),
                client_request_timeout: Duration::from_millis(client_request_timeout_ms),
                client_body_timeout: Duration::from_millis(client_body_timeout_ms),
                client_disconnect_timeout: Duration::from_millis(client_disconnect_timeout_ms),
                keep_alive: Duration::from_secs(keep_alive_secs),
                api_docs_enabled,
                public_cache_ttl: Duration::from_millis(public_cache_ttl_ms),
            },
            warnings,
        })
    }

    /// The URL migrations run with.
    pub(crate) fn migration_url(&self) -> &SecretString {
        self.migration_database_url
            .as_ref()
            .unwrap_or(&self.database_url)
    }
}

/// The number of cores this process may use (1 when unknown).
fn available_cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

#[cfg(test)]
mod tests;
