//! A bad production configuration stops the process before it binds.

use std::time::Duration;

use crate::support::{command, free_port};

#[test]
fn a_bad_production_configuration_exits_2_listing_every_problem_before_binding() {
    let port = free_port().to_string();
    let output = command(&[
        ("NODE_ENV", "production"),
        ("PORT", &port),
        ("JWT_SECRET", "short-and-weak"),
        ("JWT_REFRESH_SECRET", "short-and-weak"),
        ("ALLOWED_ORIGINS", "*"),
        ("BCRYPT_SALT_ROUNDS", "8"),
        ("DATABASE_POOL_MAX", "lots"),
    ])
    .arg("serve")
    .output()
    .unwrap();

    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for needle in [
        "DATABASE_URL",
        "JWT_SECRET:",
        "JWT_REFRESH_SECRET:",
        "must differ",
        "ALLOWED_ORIGINS",
        "BCRYPT_SALT_ROUNDS",
        "DATABASE_POOL_MAX",
    ] {
        assert!(stderr.contains(needle), "missing {needle} in:\n{stderr}");
    }
    assert!(
        !stderr.contains("short-and-weak"),
        "a secret was printed:\n{stderr}"
    );
    // It never bound: the port is still free.
    assert!(std::net::TcpListener::bind(("127.0.0.1", port.parse::<u16>().unwrap())).is_ok());
}

#[test]
fn config_check_prints_the_effective_configuration_with_secrets_redacted() {
    let secret = "a".repeat(40) + &"b".repeat(40);
    let refresh = "c".repeat(40) + &"d".repeat(40);
    let output = command(&[
        ("NODE_ENV", "production"),
        (
            "DATABASE_URL",
            "postgres://app:hunter2@db.internal:5432/equoria",
        ),
        ("JWT_SECRET", &secret),
        ("JWT_REFRESH_SECRET", &refresh),
        ("ALLOWED_ORIGINS", "https://equoria.example"),
    ])
    .args(["config", "check"])
    .output()
    .unwrap();

    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("NODE_ENV=production"));
    assert!(stdout.contains("BCRYPT_SALT_ROUNDS=12"));
    assert!(stdout.contains("JWT_SECRET=[REDACTED]"));
    assert!(stdout.contains("DATABASE_URL=postgres://app:***@db.internal:5432/equoria"));
    for leaked in [secret.as_str(), refresh.as_str(), "hunter2"] {
        assert!(!stdout.contains(leaked));
    }
}

#[test]
fn config_check_exits_2_on_an_invalid_configuration() {
    let output = command(&[("NODE_ENV", "production")])
        .args(["config", "check"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[tokio::test]
async fn healthcheck_exits_1_when_nothing_answers() {
    let port = free_port().to_string();
    let status = tokio::time::timeout(
        Duration::from_secs(10),
        tokio::process::Command::from(command(&[("PORT", &port), ("HOST", "127.0.0.1")]))
            .arg("healthcheck")
            .status(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(status.code(), Some(1));
}
