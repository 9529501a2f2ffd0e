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

/// A migration blocked by another session's table lock fails within MIGRATION_LOCK_TIMEOUT_MS,
/// names the migration and the lock wait, leaves the schema as it was, and applies once the lock
/// is gone.
#[tokio::test]
async fn a_migration_blocked_by_a_table_lock_fails_fast_applies_nothing_then_succeeds() {
    use std::time::{Duration, Instant};

    use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};

    let db = TestDatabase::empty().await;
    let url = db.url().to_owned();
    let (newest, before) = tokio::task::spawn_blocking({
        let url = url.clone();
        move || {
            migrate(&url, &["run"]);
            let reverted = migrate(&url, &["revert"]);
            let status = migrate(&url, &["status"]);
            let newest = status
                .lines()
                .last()
                .and_then(|line| line.strip_prefix("[pending] "))
                .unwrap_or_else(|| panic!("the newest migration is not pending: {status}"))
                .trim()
                .to_owned();
            assert!(
                reverted.contains(&version(&newest)),
                "{reverted} / {newest}"
            );
            (newest, schema_dump(&url))
        }
    })
    .await
    .unwrap();

    // A session holding every application table, as a long transaction would.
    let mut locker = AsyncPgConnection::establish(&url).await.unwrap();
    locker
        .batch_execute(
            "BEGIN; DO $$ DECLARE t text; BEGIN \
               FOR t IN SELECT quote_ident(tablename) FROM pg_tables \
                        WHERE schemaname = 'public' AND tablename <> '__diesel_schema_migrations' \
               LOOP EXECUTE 'LOCK TABLE ' || t || ' IN ACCESS EXCLUSIVE MODE'; END LOOP; \
             END $$",
        )
        .await
        .unwrap();

    let blocked = tokio::task::spawn_blocking({
        let url = url.clone();
        move || {
            let started = Instant::now();
            let mut child = command(&[
                ("DATABASE_URL", url.as_str()),
                ("NODE_ENV", "test"),
                ("MIGRATION_LOCK_TIMEOUT_MS", "300"),
            ])
            .args(["migrate", "run"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
            while child.try_wait().unwrap().is_none() {
                if started.elapsed() > Duration::from_secs(10) {
                    child.kill().unwrap();
                    child.wait().unwrap();
                    panic!("`migrate run` still waiting for the lock after 10 s");
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            (child.wait_with_output().unwrap(), started.elapsed())
        }
    })
    .await
    .unwrap();
    let (output, took) = blocked;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success(),
        "it ran through the lock: {stderr}"
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
    for needle in [
        newest.as_str(),
        "lock timeout",
        "300 ms (lock_timeout)",
        "rolled back",
    ] {
        assert!(stderr.contains(needle), "missing `{needle}` in:\n{stderr}");
    }

    locker.batch_execute("ROLLBACK").await.unwrap();
    tokio::task::spawn_blocking(move || {
        assert_eq!(
            schema_dump(&url),
            before,
            "the failed run changed the schema"
        );
        let status = migrate(&url, &["status"]);
        assert!(
            status.trim_end().ends_with(&format!("[pending] {newest}")),
            "{status}"
        );

        let applied = migrate(&url, &["run"]);
        assert!(applied.contains(&version(&newest)), "{applied}");
    })
    .await
    .unwrap();
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

/// `2026-11-25-000008_name` -> `20261125000008`, as `migrate run` prints it.
fn version(name: &str) -> String {
    name.split('_').next().unwrap_or_default().replace('-', "")
}
