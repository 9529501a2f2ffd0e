//! `equoria migrate`: up -> down all -> up leaves an identical schema, and
//! concurrent runs are serialised by the advisory lock.

use std::process::Command;

use equoria_test_support::TestDatabase;

use crate::support::command;

fn migrate(url: &str, args: &[&str]) -> String {
    let output = command(&[("DATABASE_URL", url), ("NODE_ENV", "test")])
        .arg("migrate")
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "migrate {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `pg_dump --schema-only`, with the random `\restrict` key pinned so two
/// dumps of the same schema compare equal.
fn schema_dump(url: &str) -> String {
    let pg_dump = equoria_pg_cluster::find_bin_dir()
        .expect("PostgreSQL is installed")
        .join("pg_dump");
    let output = Command::new(pg_dump)
        .args([
            "--schema-only",
            "--no-owner",
            "--restrict-key=equoria",
            "--dbname",
            url,
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "pg_dump failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test]
async fn migrating_up_down_all_and_up_again_leaves_an_identical_schema() {
    let db = TestDatabase::empty().await;
    let url = db.url().to_owned();
    tokio::task::spawn_blocking(move || {
        let applied = migrate(&url, &["run"]);
        assert!(applied.contains("applied"), "{applied}");
        let before = schema_dump(&url);
        assert!(before.contains("CREATE TABLE public.horses"));
        assert!(before.contains("idx_horses_owner"));

        let reverted = migrate(&url, &["revert", "--all"]);
        assert_eq!(
            reverted.lines().count(),
            applied.lines().count(),
            "{reverted}"
        );
        let empty = schema_dump(&url);
        assert!(!empty.contains("CREATE TABLE public.horses"));

        migrate(&url, &["run"]);
        assert_eq!(schema_dump(&url), before);

        let status = migrate(&url, &["status"]);
        assert!(
            status.lines().all(|l| l.starts_with("[applied]")),
            "{status}"
        );
        assert_eq!(migrate(&url, &["redo"]).lines().count(), 1);
        assert_eq!(schema_dump(&url), before);
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn concurrent_migration_runs_are_serialised_by_the_advisory_lock() {
    let db = TestDatabase::empty().await;
    let runs: Vec<_> = (0..3)
        .map(|_| {
            command(&[("DATABASE_URL", db.url()), ("NODE_ENV", "test")])
                .args(["migrate", "run"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut applied_by = 0;
    for run in runs {
        let output = run.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        if String::from_utf8_lossy(&output.stdout).contains("applied") {
            applied_by += 1;
        }
    }
    assert!(applied_by >= 1);
    let status = command(&[("DATABASE_URL", db.url()), ("NODE_ENV", "test")])
        .args(["migrate", "status"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&status.stdout)
            .lines()
            .all(|l| l.starts_with("[applied]"))
    );
}

/// The environment of a strict deployment (`staging` or `production`) on `url`.
fn strict_env<'a>(environment: &'a str, url: &'a str) -> Vec<(&'a str, String)> {
    vec![
        ("NODE_ENV", environment.to_owned()),
        ("DATABASE_URL", url.to_owned()),
        ("JWT_SECRET", "a1".repeat(40)),
        ("JWT_REFRESH_SECRET", "b2".repeat(40)),
        ("ALLOWED_ORIGINS", "https://equoria.example".to_owned()),
    ]
}

#[tokio::test]
async fn reverting_everything_in_staging_or_production_needs_the_explicit_flag() {
    let db = TestDatabase::migrated().await;
    let url = db.url().to_owned();
    tokio::task::spawn_blocking(move || {
        let before = schema_dump(&url);
        for environment in ["staging", "production"] {
            let env = strict_env(environment, &url);
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let refused = command(&env)
                .args(["migrate", "revert", "--all"])
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&refused.stderr);
            assert!(!refused.status.success(), "{environment}: {stderr}");
            assert!(
                stderr.contains("--yes-drop-everything") && stderr.contains(environment),
                "{stderr}"
            );
            assert_eq!(
                schema_dump(&url),
                before,
                "{environment}: something was reverted"
            );
        }
        let env = strict_env("staging", &url);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let confirmed = command(&env)
            .args(["migrate", "revert", "--all", "--yes-drop-everything"])
            .output()
            .unwrap();
        assert!(
            confirmed.status.success(),
            "{}",
            String::from_utf8_lossy(&confirmed.stderr)
        );
        assert!(!schema_dump(&url).contains("CREATE TABLE public.horses"));
    })
    .await
    .unwrap();
}
