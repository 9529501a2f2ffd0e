#![expect(clippy::unwrap_used)]
use std::collections::HashMap;

use super::*;

const GOOD_SECRET: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0aa";
const OTHER_SECRET: &str = "9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d5e4f30211203f4e5d6c7b8a9bb";

fn load(vars: &[(&str, &str)]) -> Result<Loaded, ConfigErrors> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::from_lookup(|name| map.get(name).cloned())
}

fn production() -> Vec<(&'static str, &'static str)> {
    vec![
        ("NODE_ENV", "production"),
        ("DATABASE_URL", "postgres://app:pw@db:5432/equoria"),
        ("JWT_SECRET", GOOD_SECRET),
        ("JWT_REFRESH_SECRET", OTHER_SECRET),
        ("ALLOWED_ORIGINS", "https://equoria.example"),
    ]
}

#[test]
fn development_needs_nothing_and_generates_distinct_secrets_with_a_warning() {
    let loaded = load(&[]).unwrap();
    let c = &loaded.config;
    assert_eq!(c.environment, Environment::Development);
    assert_eq!(c.port, 3000);
    assert_eq!(c.log_level, "debug");
    assert_eq!(c.bcrypt_salt_rounds, 10);
    assert!(c.bcrypt_rehash_on_login);
    assert_eq!(
        c.allowed_origins,
        vec!["http://localhost:3000", "http://localhost:5173"]
    );
    assert_ne!(
        c.jwt_secret.expose_secret(),
        c.jwt_refresh_secret.expose_secret()
    );
    assert!(c.jwt_secret.expose_secret().len() >= MIN_SECRET_LEN);
    assert_eq!(loaded.warnings.len(), 2);
}

#[test]
fn a_complete_production_configuration_gets_the_strict_defaults() {
    let c = load(&production()).unwrap().config;
    assert_eq!(c.log_level, "info");
    assert_eq!(c.bcrypt_salt_rounds, 12);
    assert_eq!(c.rate_limit_max_requests, 100);
    assert_eq!(c.auth_rate_limit_max, 5);
    assert_eq!(c.rate_limit_window, Duration::from_millis(900_000));
    assert_eq!(c.database_pool_max, 10);
    assert_eq!(c.database_pool_timeout, Duration::from_secs(20));
    assert_eq!(c.shutdown_timeout, Duration::from_secs(30));
}

#[test]
fn app_env_is_an_alias_of_node_env() {
    let mut vars = production();
    vars[0] = ("APP_ENV", "production");
    assert_eq!(
        load(&vars).unwrap().config.environment,
        Environment::Production
    );
}

#[test]
fn production_lists_every_problem_at_once() {
    let errors = load(&[
        ("NODE_ENV", "production"),
        ("JWT_SECRET", "short"),
        ("JWT_REFRESH_SECRET", "short"),
        ("ALLOWED_ORIGINS", "*"),
        ("BCRYPT_SALT_ROUNDS", "8"),
        ("PORT", "eighty"),
    ])
    .unwrap_err()
    .0;
    let has = |prefix: &str| errors.iter().any(|e| e.starts_with(prefix));
    assert!(has("DATABASE_URL"), "{errors:?}");
    assert!(has("JWT_SECRET:"), "{errors:?}");
    assert!(has("JWT_REFRESH_SECRET:"), "{errors:?}");
    assert!(
        has("JWT_SECRET and JWT_REFRESH_SECRET must differ"),
        "{errors:?}"
    );
    assert!(has("ALLOWED_ORIGINS"), "{errors:?}");
    assert!(has("BCRYPT_SALT_ROUNDS"), "{errors:?}");
    assert!(has("PORT"), "{errors:?}");
}

#[test]
fn placeholder_secrets_are_refused_in_production() {
    let mut vars = production();
    vars[2] = (
        "JWT_SECRET",
        "your-cryptographically-secure-secret-64-chars-minimum-aaaaaaaaaaaaaaaaa",
    );
    let errors = load(&vars).unwrap_err().0;
    assert!(
        errors.iter().any(|e| e.contains("placeholder")),
        "{errors:?}"
    );
}

#[test]
fn missing_secrets_and_origins_are_refused_in_staging_too() {
    let errors = load(&[
        ("NODE_ENV", "staging"),
        ("DATABASE_URL", "postgres://a@b/c"),
    ])
    .unwrap_err()
    .0;
    assert_eq!(errors.len(), 3, "{errors:?}");
}

#[test]
fn error_messages_never_contain_secret_values() {
    let secret = "tooshortbutsecret";
    let mut vars = production();
    vars[2] = ("JWT_SECRET", secret);
    vars[1] = ("DATABASE_URL", "mysql://user:hunter2@db/x");
    let text = load(&vars).unwrap_err().to_string();
    assert!(!text.contains(secret));
    assert!(!text.contains("hunter2"));
    assert!(text.contains("invalid DATABASE_URL"));
}

#[test]
fn unparsable_numbers_are_errors_even_in_development() {
    let errors = load(&[
        ("DATABASE_POOL_MAX", "ten"),
        ("MONITORING_ENABLED", "maybe"),
        ("BCRYPT_REHASH_ON_LOGIN", "sometimes"),
    ])
    .unwrap_err()
    .0;
    assert_eq!(errors.len(), 3, "{errors:?}");
    let off = load(&[("BCRYPT_REHASH_ON_LOGIN", "false")]).unwrap();
    assert!(!off.config.bcrypt_rehash_on_login);
}

#[test]
fn origins_must_be_bare_origins() {
    let errors = load(&[(
        "ALLOWED_ORIGINS",
        "https://ok.example,https://bad.example/path,ftp://x",
    )])
    .unwrap_err()
    .0;
    assert_eq!(errors.len(), 2, "{errors:?}");
}

#[test]
fn trusted_proxies_accept_addresses_and_ranges() {
    let c = load(&[("TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1,::1")])
        .unwrap()
        .config;
    assert_eq!(c.trusted_proxies.len(), 3);
    assert!(load(&[("TRUSTED_PROXIES", "not-an-ip")]).is_err());
}

#[test]
fn metrics_addr_is_an_address_of_its_own_and_bad_values_are_listed_with_the_others() {
    assert_eq!(load(&[]).unwrap().config.metrics_addr, None);
    let c = load(&[("METRICS_ADDR", "0.0.0.0:9464")]).unwrap().config;
    assert_eq!(c.metrics_addr, Some("0.0.0.0:9464".parse().unwrap()));
    assert!(
        c.redacted_lines()
            .contains(&"METRICS_ADDR=0.0.0.0:9464".to_owned())
    );

    let errors = load(&[
        ("METRICS_ADDR", "metrics.local"),
        ("DATABASE_POOL_MAX", "ten"),
    ])
    .unwrap_err()
    .0;
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[1].starts_with("METRICS_ADDR: `metrics.local`"),
        "{errors:?}"
    );

    for (vars, needle) in [
        (
            vec![("METRICS_ADDR", "127.0.0.1:3000")],
            "is the public PORT",
        ),
        (
            vec![
                ("METRICS_ADDR", "127.0.0.1:9464"),
                ("MONITORING_ENABLED", "false"),
            ],
            "MONITORING_ENABLED is false",
        ),
    ] {
        let errors = load(&vars).unwrap_err().0;
        assert!(errors.iter().any(|e| e.contains(needle)), "{errors:?}");
    }
    // Another address on the same port is fine when the public one is specific.
    assert!(load(&[("HOST", "127.0.0.1"), ("METRICS_ADDR", "10.1.2.3:3000")]).is_ok());
}

#[test]
fn the_drain_window_is_short_in_development_and_a_few_seconds_in_production() {
    assert_eq!(load(&[]).unwrap().config.shutdown_drain, Duration::ZERO);
    let c = load(&production()).unwrap().config;
    assert_eq!(c.shutdown_drain, Duration::from_secs(5));
    assert_eq!(c.migration_lock_timeout, Duration::from_secs(5));
    let c = load(&[
        ("SHUTDOWN_DRAIN_SECS", "2"),
        ("MIGRATION_LOCK_TIMEOUT_MS", "250"),
    ])
    .unwrap()
    .config;
    assert_eq!(c.shutdown_drain, Duration::from_secs(2));
    assert_eq!(c.migration_lock_timeout, Duration::from_millis(250));
    let errors = load(&[
        ("SHUTDOWN_DRAIN_SECS", "3600"),
        ("MIGRATION_LOCK_TIMEOUT_MS", "0"),
    ])
    .unwrap_err()
    .0;
    assert_eq!(errors.len(), 2, "{errors:?}");
}

#[test]
fn trusting_every_address_is_refused_in_staging_and_production() {
    for environment in ["staging", "production"] {
        let mut vars = production();
        vars[0] = ("NODE_ENV", environment);
        vars.push((
            "TRUSTED_PROXIES",
            "10.0.0.0/8, 0.0.0.0/0, ::/0, 2001:db8::/0",
        ));
        vars.push(("PORT", "eighty"));
        let errors = load(&vars).unwrap_err().0;
        let trust_all: Vec<&String> = errors
            .iter()
            .filter(|e| e.starts_with("TRUSTED_PROXIES") && e.contains("trusts every address"))
            .collect();
        // Listed with the other problems, one per offending range.
        assert_eq!(trust_all.len(), 3, "{environment}: {errors:?}");
        assert!(errors.iter().any(|e| e.starts_with("PORT")), "{errors:?}");
    }
    let mut vars = production();
    vars.push(("TRUSTED_PROXIES", "10.0.0.0/8,::1"));
    assert!(load(&vars).is_ok());
    // Development keeps its freedom (a laptop behind a local proxy).
    assert!(load(&[("TRUSTED_PROXIES", "0.0.0.0/0")]).is_ok());
}

#[test]
fn password_work_and_connection_timeouts_have_defaults_and_can_be_set() {
    let c = load(&production()).unwrap().config;
    assert_eq!(c.bcrypt_max_concurrent, available_cores());
    assert_eq!(c.bcrypt_queue_timeout, Duration::from_millis(2_000));
    assert_eq!(c.client_request_timeout, Duration::from_millis(5_000));
    assert_eq!(c.client_body_timeout, Duration::from_millis(10_000));
    assert_eq!(c.client_disconnect_timeout, Duration::from_millis(2_000));
    assert_eq!(c.keep_alive, Duration::from_secs(75));
    let c = load(&[
        ("BCRYPT_MAX_CONCURRENT", "3"),
        ("BCRYPT_QUEUE_TIMEOUT_MS", "250"),
        ("CLIENT_REQUEST_TIMEOUT_MS", "1500"),
        ("CLIENT_BODY_TIMEOUT_MS", "2500"),
        ("CLIENT_DISCONNECT_TIMEOUT_MS", "500"),
        ("KEEP_ALIVE_SECS", "10"),
    ])
    .unwrap()
    .config;
    assert_eq!(c.bcrypt_max_concurrent, 3);
    assert_eq!(c.bcrypt_queue_timeout, Duration::from_millis(250));
    assert_eq!(c.client_request_timeout, Duration::from_millis(1_500));
    assert_eq!(c.client_body_timeout, Duration::from_millis(2_500));
    assert_eq!(c.client_disconnect_timeout, Duration::from_millis(500));
    assert_eq!(c.keep_alive, Duration::from_secs(10));
    let errors = load(&[
        ("BCRYPT_MAX_CONCURRENT", "0"),
        ("CLIENT_REQUEST_TIMEOUT_MS", "0"),
    ])
    .unwrap_err()
    .0;
    assert_eq!(errors.len(), 2, "{errors:?}");
}

#[test]
fn an_unknown_sslmode_is_refused_naming_the_accepted_ones() {
    let mut vars = production();
    vars[1] = (
        "DATABASE_URL",
        "postgres://app:hunter2@db:5432/equoria?sslmode=verify_full",
    );
    vars.push((
        "MIGRATION_DATABASE_URL",
        "postgres://owner:pw2@db:5432/equoria?sslmode=true",
    ));
    let errors = load(&vars).unwrap_err().0;
    assert_eq!(
        errors,
        vec![
            "DATABASE_URL: sslmode `verify_full` is not one of disable, prefer (the default), require, verify-ca, verify-full",
            "MIGRATION_DATABASE_URL: sslmode `true` is not one of disable, prefer (the default), require, verify-ca, verify-full",
        ]
    );
}

#[test]
fn tls_settings_pass_and_an_unreadable_root_file_is_a_warning() {
    let mut vars = production();
    vars[1] = (
        "DATABASE_URL",
        "postgres://app:pw@db:5432/equoria?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
    );
    let loaded = load(&vars).unwrap();
    assert_eq!(
        loaded.warnings,
        vec![
            "DATABASE_URL: sslrootcert /nonexistent/ca.pem cannot be read (No such file or directory (os error 2)); every connection will fail until it can"
        ]
    );
    vars[1] = (
        "DATABASE_URL",
        "postgres://app:pw@db:5432/equoria?sslmode=require",
    );
    assert!(load(&vars).unwrap().warnings.is_empty());
}

#[test]
fn debug_output_and_redacted_lines_hide_secrets_and_passwords() {
    let c = load(&production()).unwrap().config;
    let debug = format!("{c:?}");
    assert!(
        !debug.contains(GOOD_SECRET) && !debug.contains(OTHER_SECRET) && !debug.contains(":pw@")
    );
    let lines = c.redacted_lines().join("\n");
    assert!(!lines.contains(GOOD_SECRET) && !lines.contains(OTHER_SECRET));
    assert!(lines.contains("DATABASE_URL=postgres://app:***@db:5432/equoria"));
}

#[test]
fn the_api_reference_is_on_in_development_and_staging_and_off_in_production_unless_set() {
    assert!(load(&[]).unwrap().config.api_docs_enabled);
    let mut staging = production();
    staging[0] = ("NODE_ENV", "staging");
    assert!(load(&staging).unwrap().config.api_docs_enabled);
    let c = load(&production()).unwrap().config;
    assert!(!c.api_docs_enabled);
    assert!(
        c.redacted_lines()
            .contains(&"API_DOCS_ENABLED=false".to_owned())
    );

    let mut enabled = production();
    enabled.push(("API_DOCS_ENABLED", "true"));
    assert!(load(&enabled).unwrap().config.api_docs_enabled);
    assert!(
        !load(&[("API_DOCS_ENABLED", "false")])
            .unwrap()
            .config
            .api_docs_enabled
    );
    assert!(load(&[("API_DOCS_ENABLED", "sometimes")]).is_err());
}

#[test]
fn the_public_cache_ttl_has_a_default_can_be_disabled_and_is_bounded() {
    let c = load(&production()).unwrap().config;
    assert_eq!(c.public_cache_ttl, Duration::from_millis(2_000));
    let c = load(&[("PUBLIC_CACHE_TTL_MS", "0")]).unwrap().config;
    assert_eq!(c.public_cache_ttl, Duration::ZERO);
    let c = load(&[("PUBLIC_CACHE_TTL_MS", "500")]).unwrap().config;
    assert_eq!(c.public_cache_ttl, Duration::from_millis(500));
    let errors = load(&[("PUBLIC_CACHE_TTL_MS", "30001")]).unwrap_err().0;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("PUBLIC_CACHE_TTL_MS"), "{errors:?}");
}
