//! The migration runner on test-only migration sets: a migration with
//! `run_in_transaction = false` runs outside a transaction (CREATE INDEX
//! CONCURRENTLY), and an INVALID index such a migration left behind is
//! reported rather than skipped by a rerun.

#![expect(clippy::unwrap_used)]

use diesel::sql_types::{Bool, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use equoria_persistence::migrations::{DEFAULT_LOCK_TIMEOUT, MigrationError, run_pending_from};
use equoria_test_support::TestDatabase;

const CONCURRENT: EmbeddedMigrations = embed_migrations!("tests/fixtures/concurrent");
const INVALID_INDEX: EmbeddedMigrations = embed_migrations!("tests/fixtures/invalid_index");

async fn run(source: EmbeddedMigrations, url: &str) -> Result<Vec<String>, MigrationError> {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || run_pending_from(source, &url, DEFAULT_LOCK_TIMEOUT))
        .await
        .unwrap()
}

#[derive(diesel::QueryableByName, Debug, PartialEq)]
struct Index {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Bool)]
    valid: bool,
}

async fn indexes(url: &str, table: &str) -> Vec<Index> {
    let mut conn = AsyncPgConnection::establish(url).await.unwrap();
    diesel::sql_query(
        "SELECT c.relname::text AS name, i.indisvalid AS valid FROM pg_index i \
         JOIN pg_class c ON c.oid = i.indexrelid \
         WHERE i.indrelid = $1::regclass AND NOT i.indisprimary ORDER BY 1",
    )
    .bind::<Text, _>(table)
    .load(&mut conn)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_migration_outside_a_transaction_creates_an_index_concurrently() {
    let db = TestDatabase::empty().await;

    let applied = run(CONCURRENT, db.url()).await.unwrap();

    assert_eq!(applied, ["20000101000001", "20000101000002"]);
    assert_eq!(
        indexes(db.url(), "notes").await,
        [Index {
            name: "idx_notes_body".to_owned(),
            valid: true
        }]
    );
    assert!(run(CONCURRENT, db.url()).await.unwrap().is_empty());
}

#[tokio::test]
async fn an_invalid_index_left_by_a_failed_concurrent_build_is_reported_not_skipped() {
    let db = TestDatabase::empty().await;

    let first = run(INVALID_INDEX, db.url()).await.unwrap_err().to_string();
    assert!(
        first.contains("2000-01-01-000002_codes_unique") && first.contains("idx_codes_unique"),
        "{first}"
    );
    assert_eq!(
        indexes(db.url(), "codes").await,
        [Index {
            name: "idx_codes_unique".to_owned(),
            valid: false
        }]
    );

    // IF NOT EXISTS skips the leftover on a rerun; the runner does not let that pass.
    let second = run(INVALID_INDEX, db.url()).await.unwrap_err();
    assert!(
        matches!(&second, MigrationError::InvalidIndexes { indexes } if indexes == "idx_codes_unique"),
        "{second}"
    );
}
