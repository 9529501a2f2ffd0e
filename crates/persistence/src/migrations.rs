//! Embedded schema migrations, applied under a PostgreSQL advisory lock so
//! that several replicas starting at once never race.
//!
//! Every migration runs with a `lock_timeout` (set on the migration session
//! once the advisory lock is held, so it bounds each statement's wait for a
//! table lock, never the wait for the advisory lock itself). On a live
//! database a DDL statement queued behind a long transaction would otherwise
//! block every query on that table behind it; with the timeout it fails
//! fast, its transaction is rolled back (nothing of that migration is
//! applied) and the error names the migration and the lock wait.
//!
//! A migration whose directory holds a `metadata.toml` with
//! `run_in_transaction = false` runs outside a transaction, for statements
//! PostgreSQL refuses inside one (`CREATE INDEX CONCURRENTLY`); see the
//! README ("Migrations on a live database") for the rules such a migration
//! follows.
//!
//! These functions are blocking: they drive diesel-async through
//! [`AsyncConnectionWrapper`], which brings its own runtime. Call them from
//! plain `fn main` or `spawn_blocking`, never from inside an async task.

use std::time::Duration;

use diesel::RunQueryDsl;
use diesel::migration::{Migration, MigrationSource};
use diesel::pg::Pg;
use diesel::sql_types::{BigInt, Text};
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

/// Every migration in `migrations/`, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// Advisory lock key held while migrations run ("EQMIGRAT" in ASCII).
const LOCK_KEY: i64 = 0x4551_4d49_4752_4154;

/// Default `lock_timeout` of a migration (MIGRATION_LOCK_TIMEOUT_MS).
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(5);

type SyncConnection = AsyncConnectionWrapper<AsyncPgConnection>;

/// A migration failure, with the step that failed.
#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error("cannot take the migration lock: {0}")]
    Lock(#[source] diesel::result::Error),
    #[error("{action} failed: {message}")]
    Failed {
        action: &'static str,
        message: String,
    },
    #[error(
        "{action} failed: {message}\n\
         A statement waited more than {timeout_ms} ms (lock_timeout) for a lock another session \
         holds on a table the migration changes. The migration's transaction was rolled back: \
         nothing of it is applied (a migration with run_in_transaction = false may leave an \
         INVALID index to drop first). Find the blocking session (pg_stat_activity, pg_locks), \
         let it finish, then run the migration again (or raise MIGRATION_LOCK_TIMEOUT_MS)."
    )]
    LockTimeout {
        action: &'static str,
        message: String,
        timeout_ms: u128,
    },
    #[error(
        "index(es) {indexes} are INVALID, left by an interrupted CREATE INDEX CONCURRENTLY: \
         drop each with DROP INDEX CONCURRENTLY IF EXISTS, then revert and re-apply the \
         migration that creates it"
    )]
    InvalidIndexes { indexes: String },
}

/// One migration and whether it is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationState {
    /// Directory name, e.g. `2026-11-25-000001_users`.
    pub name: String,
    pub applied: bool,
}

/// Applies every pending migration, each with `lock_timeout`; returns the
/// versions applied (empty when the schema was already current).
pub fn run_pending(url: &str, lock_timeout: Duration) -> Result<Vec<String>, MigrationError> {
    run_pending_from(MIGRATIONS, url, lock_timeout)
}

/// [`run_pending`] with another set of migrations (tests use their own).
pub fn run_pending_from(
    source: EmbeddedMigrations,
    url: &str,
    lock_timeout: Duration,
) -> Result<Vec<String>, MigrationError> {
    with_lock(url, lock_timeout, |conn| {
        let applied = conn
            .run_pending_migrations(source)
            .map(|versions| versions.iter().map(|v| v.to_string()).collect())
            .map_err(|e| failed("applying pending migrations", &*e, lock_timeout))?;
        no_invalid_indexes(conn)?;
        Ok(applied)
    })
}

/// Reverts the most recently applied migration; `None` when none is applied.
pub fn revert_last(url: &str, lock_timeout: Duration) -> Result<Option<String>, MigrationError> {
    with_lock(url, lock_timeout, |conn| {
        if applied_versions(conn)?.is_empty() {
            return Ok(None);
        }
        conn.revert_last_migration(MIGRATIONS)
            .map(|v| Some(v.to_string()))
            .map_err(|e| failed("reverting the last migration", &*e, lock_timeout))
    })
}

/// Reverts every applied migration, newest first.
pub fn revert_all(url: &str, lock_timeout: Duration) -> Result<Vec<String>, MigrationError> {
    with_lock(url, lock_timeout, |conn| {
        conn.revert_all_migrations(MIGRATIONS)
            .map(|versions| versions.iter().map(|v| v.to_string()).collect())
            .map_err(|e| failed("reverting all migrations", &*e, lock_timeout))
    })
}

/// Reverts the newest applied migration and applies it again (checks that
/// its `down.sql` really undoes its `up.sql`).
pub fn redo(url: &str, lock_timeout: Duration) -> Result<Option<String>, MigrationError> {
    with_lock(url, lock_timeout, |conn| {
        if applied_versions(conn)?.is_empty() {
            return Ok(None);
        }
        let version = conn
            .revert_last_migration(MIGRATIONS)
            .map_err(|e| failed("reverting the last migration", &*e, lock_timeout))?
            .to_string();
        conn.run_pending_migrations(MIGRATIONS)
            .map_err(|e| failed("re-applying migrations", &*e, lock_timeout))?;
        Ok(Some(version))
    })
}

#[derive(diesel::QueryableByName)]
struct IndexName {
    #[diesel(sql_type = Text)]
    name: String,
}

/// Fails when an index of the current schema is INVALID: what an
/// interrupted `CREATE INDEX CONCURRENTLY` leaves behind, and what a rerun
/// with `IF NOT EXISTS` would otherwise skip silently.
fn no_invalid_indexes(conn: &mut SyncConnection) -> Result<(), MigrationError> {
    let invalid: Vec<IndexName> = diesel::sql_query(
        "SELECT c.relname::text AS name FROM pg_index i \
         JOIN pg_class c ON c.oid = i.indexrelid \
         WHERE NOT i.indisvalid AND c.relnamespace = current_schema()::regnamespace \
         ORDER BY 1",
    )
    .load(conn)
    .map_err(|e| failed("checking for invalid indexes", &e, Duration::ZERO))?;
    if invalid.is_empty() {
        return Ok(());
    }
    Err(MigrationError::InvalidIndexes {
        indexes: invalid
            .into_iter()
            .map(|i| i.name)
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// Every known migration in order, with whether it is applied.
pub fn status(url: &str) -> Result<Vec<MigrationState>, MigrationError> {
    let mut conn = crate::connect::establish_blocking(url)?;
    let applied = applied_versions(&mut conn)?;
    let known = MigrationSource::<Pg>::migrations(&MIGRATIONS)
        .map_err(|e| failed("listing embedded migrations", &*e, Duration::ZERO))?;
    Ok(known
        .iter()
        .map(|m| {
            let name = m.name().to_string();
            let version = m.name().version().to_string();
            MigrationState {
                applied: applied.contains(&version),
                name,
            }
        })
        .collect())
}

fn applied_versions(conn: &mut SyncConnection) -> Result<Vec<String>, MigrationError> {
    conn.applied_migrations()
        .map(|versions| versions.iter().map(|v| v.to_string()).collect())
        .map_err(|e| failed("reading applied migrations", &*e, Duration::ZERO))
}

/// Runs `f` while holding the session-level migration advisory lock, with
/// `lock_timeout` set once the lock is held. The lock is released
/// explicitly, and by PostgreSQL if the process dies.
fn with_lock<T>(
    url: &str,
    lock_timeout: Duration,
    f: impl FnOnce(&mut SyncConnection) -> Result<T, MigrationError>,
) -> Result<T, MigrationError> {
    let mut conn = crate::connect::establish_blocking(url)?;
    diesel::sql_query("SELECT pg_advisory_lock($1)")
        .bind::<BigInt, _>(LOCK_KEY)
        .execute(&mut conn)
        .map_err(MigrationError::Lock)?;
    // At least 1 ms: 0 would mean "wait forever".
    let result = diesel::sql_query("SELECT set_config('lock_timeout', $1, false)")
        .bind::<Text, _>(lock_timeout.as_millis().max(1).to_string())
        .execute(&mut conn)
        .map_err(|e| failed("setting lock_timeout", &e, lock_timeout))
        .and_then(|_| f(&mut conn));
    let unlocked = diesel::sql_query("SELECT pg_advisory_unlock($1)")
        .bind::<BigInt, _>(LOCK_KEY)
        .execute(&mut conn);
    if let Err(err) = unlocked {
        tracing::warn!(error = %err, "could not release the migration lock; it ends with the session");
    }
    result
}

/// The error of `action`; a lock wait cut by `lock_timeout` (SQLSTATE
/// 55P03, reported as "canceling statement due to lock timeout") gets the
/// explanation of [`MigrationError::LockTimeout`].
fn failed(
    action: &'static str,
    err: &(dyn std::error::Error + Send + Sync),
    lock_timeout: Duration,
) -> MigrationError {
    let message = err.to_string();
    if message.contains("lock timeout") {
        MigrationError::LockTimeout {
            action,
            message,
            timeout_ms: lock_timeout.as_millis(),
        }
    } else {
        MigrationError::Failed { action, message }
    }
}
