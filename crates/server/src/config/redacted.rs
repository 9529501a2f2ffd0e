//! The effective configuration as text (`equoria config check`): secrets redacted, database
//! passwords masked.

use secrecy::ExposeSecret;

use super::Config;

impl Config {
    /// The effective configuration as `NAME=value` lines, secrets redacted
    /// and database passwords masked. Used by `equoria config check`.
    pub(crate) fn redacted_lines(&self) -> Vec<String> {
        let list = |items: &[String]| {
            if items.is_empty() {
                "(none)".to_owned()
            } else {
                items.join(",")
            }
        };
        vec![
            format!("NODE_ENV={}", self.environment.as_str()),
            format!("HOST={}", self.host),
            format!("PORT={}", self.port),
            format!(
                "DATABASE_URL={}",
                mask_url(self.database_url.expose_secret())
            ),
            format!(
                "MIGRATION_DATABASE_URL={}",
                self.migration_database_url.as_ref().map_or_else(
                    || "(same as DATABASE_URL)".to_owned(),
                    |u| mask_url(u.expose_secret())
                )
            ),
            "JWT_SECRET=[REDACTED]".to_owned(),
            "JWT_REFRESH_SECRET=[REDACTED]".to_owned(),
            format!("ALLOWED_ORIGINS={}", list(&self.allowed_origins)),
            format!("LOG_LEVEL={}", self.log_level),
            format!(
                "RATE_LIMIT_WINDOW_MS={}",
                self.rate_limit_window.as_millis()
            ),
            format!("RATE_LIMIT_MAX_REQUESTS={}", self.rate_limit_max_requests),
            format!("AUTH_RATE_LIMIT_MAX={}", self.auth_rate_limit_max),
            format!("BCRYPT_SALT_ROUNDS={}", self.bcrypt_salt_rounds),
            format!("BCRYPT_REHASH_ON_LOGIN={}", self.bcrypt_rehash_on_login),
            format!("MONITORING_ENABLED={}", self.monitoring_enabled),
            format!("DATABASE_POOL_MAX={}", self.database_pool_max),
            format!(
                "DATABASE_POOL_TIMEOUT_SECS={}",
                self.database_pool_timeout.as_secs()
            ),
            format!(
                "TRUSTED_PROXIES={}",
                list(
                    &self
                        .trusted_proxies
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                )
            ),
            format!("SHUTDOWN_TIMEOUT_SECS={}", self.shutdown_timeout.as_secs()),
            format!(
                "METRICS_ADDR={}",
                self.metrics_addr
                    .map_or_else(|| "(unset: /metrics on PORT)".to_owned(), |a| a.to_string())
            ),
            format!("SHUTDOWN_DRAIN_SECS={}", self.shutdown_drain.as_secs()),
            format!(
                "MIGRATION_LOCK_TIMEOUT_MS={}",
                self.migration_lock_timeout.as_millis()
            ),
            format!("BCRYPT_MAX_CONCURRENT={}", self.bcrypt_max_concurrent),
            format!(
                "BCRYPT_QUEUE_TIMEOUT_MS={}",
                self.bcrypt_queue_timeout.as_millis()
            ),
            format!(
                "CLIENT_REQUEST_TIMEOUT_MS={}",
                self.client_request_timeout.as_millis()
            ),
            format!(
                "CLIENT_BODY_TIMEOUT_MS={}",
                self.client_body_timeout.as_millis()
            ),
            format!(
                "CLIENT_DISCONNECT_TIMEOUT_MS={}",
                self.client_disconnect_timeout.as_millis()
            ),
            format!("KEEP_ALIVE_SECS={}", self.keep_alive.as_secs()),
            format!("API_DOCS_ENABLED={}", self.api_docs_enabled),
            format!("PUBLIC_CACHE_TTL_MS={}", self.public_cache_ttl.as_millis()),
        ]
    }
}

/// Replaces the password of a database URL by `***`.
pub(super) fn mask_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                // Setting a password only fails for URLs without a host,
                // which cannot carry one in the first place.
                let _ = parsed.set_password(Some("***"));
            }
            parsed.to_string()
        }
        Err(_) => "(unparsable)".to_owned(),
    }
}
