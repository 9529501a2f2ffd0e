//! Structured logs: JSON lines in staging and production (for log
//! shippers), compact text otherwise; LOG_LEVEL filters.

use tracing_subscriber::EnvFilter;

use crate::config::Config;

/// Dependencies whose debug output carries query parameters (password
/// hashes, emails, tokens): capped at info unless LOG_LEVEL names them.
const QUIET_DEPENDENCIES: [&str; 2] = ["tokio_postgres", "diesel"];

pub(crate) fn init(config: &Config) {
    let mut directives = config.log_level.clone();
    for dependency in QUIET_DEPENDENCIES {
        if !directives.contains(dependency) {
            directives.push_str(&format!(",{dependency}=info"));
        }
    }
    // LOG_LEVEL was validated with the same parser; the fallback is unreachable.
    let filter = EnvFilter::try_new(&directives).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stdout);
    // A second init (tests) is harmless: the first subscriber stays.
    let _ = if config.environment.is_strict() {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init()
    } else {
        builder.compact().try_init()
    };
}
