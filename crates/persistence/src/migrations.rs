//! Embedded schema migrations, applied under a PostgreSQL advisory lock so
//! that several replicas starting at once never race.
//!
//! These functions are blocking: they drive diesel-async through
//! [`AsyncConnectionWrapper`], which brings its own runtime. Call them from
//! plain `fn main` or `spawn_blocking`, never from inside an async task.

use diesel::RunQueryDsl;
use diesel::migration::{Migration, MigrationSource};
use diesel::pg::Pg;
use diesel::sql_types::BigInt;
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

/// Every migration in `migrations/`, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// Advisory lock key held while migrations run ("EQMIGRAT" in ASCII).
const LOCK_KEY: i64 = 0x4551_4d49_4752_4154;

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
}

/// One migration and whether it is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationState {
    /// Directory name, e.g. `2026-11-25-000001_users`.
    pub name: String,
    pub applied: bool,
}

/// Applies every pending migration; returns the names applied (empty when
/// the schema was already current).
pub fn run_pending(url: &str) -> Result<Vec<String>, MigrationError> {
    with_lock(url, |conn| {
        conn.run_pending_migrations(MIGRATIONS)
            .map(|versions| versions.iter().map(|v| v.to_string()).collect())
            .map_err(|e| failed("applying pending migrations", &*e))
    })
}

/// Reverts the most recently applied migration; `None` when none is applied.
pub fn revert_last(url: &str) -> Result<Option<String>, MigrationError> {
    with_lock(url, |conn| {
        if applied_versions(conn)?.is_empty() {
            return Ok(None);
        }
        conn.revert_last_migration(MIGRATIONS)
            .map(|v| Some(v.to_string()))
            .map_err(|e| failed("reverting the last migration", &*e))
    })
}

/// Reverts every applied migration, newest first.
pub fn revert_all(url: &str) -> Result<Vec<String>, MigrationError> {
    with_lock(url, |conn| {
        conn.revert_all_migrations(MIGRATIONS)
            .map(|versions| versions.iter().map(|v| v.to_string()).collect())
            .map_err(|e| failed("reverting all migrations", &*e))
    })
}

/// Reverts the newest applied migration and applies it again (checks that
/// its `down.sql` really undoes its `up.sql`).
pub fn redo(url: &str) -> Result<Option<String>, MigrationError> {
    with_lock(url, |conn| {
        if applied_versions(conn)?.is_empty() {
            return Ok(None);
        }
        let version = conn
            .revert_last_migration(MIGRATIONS)
            .map_err(|e| failed("reverting the last migration", &*e))?
            .to_string();
        conn.run_pending_migrations(MIGRATIONS)
            .map_err(|e| failed("re-applying migrations", &*e))?;
        Ok(Some(version))
    })
}

/// Every known migration in order, with whether it is applied.
pub fn status(url: &str) -> Result<Vec<MigrationState>, MigrationError> {
    let mut conn = crate::connect::establish_blocking(url)?;
    let applied = applied_versions(&mut conn)?;
    let known = MigrationSource::<Pg>::migrations(&MIGRATIONS)
        .map_err(|e| failed("listing embedded migrations", &*e))?;
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
        .map_err(|e| failed("reading applied migrations", &*e))
}

/// Runs `f` while holding the session-level migration advisory lock. The lock
/// is released explicitly, and by PostgreSQL if the process dies.
fn with_lock<T>(
    url: &str,
    f: impl FnOnce(&mut SyncConnection) -> Result<T, MigrationError>,
) -> Result<T, MigrationError> {
    let mut conn = crate::connect::establish_blocking(url)?;
    diesel::sql_query("SELECT pg_advisory_lock($1)")
        .bind::<BigInt, _>(LOCK_KEY)
        .execute(&mut conn)
        .map_err(MigrationError::Lock)?;
    let result = f(&mut conn);
    let unlocked = diesel::sql_query("SELECT pg_advisory_unlock($1)")
        .bind::<BigInt, _>(LOCK_KEY)
        .execute(&mut conn);
    if let Err(err) = unlocked {
        tracing::warn!(error = %err, "could not release the migration lock; it ends with the session");
    }
    result
}

fn failed(action: &'static str, err: &(dyn std::error::Error + Send + Sync)) -> MigrationError {
    MigrationError::Failed {
        action,
        message: err.to_string(),
    }
}
