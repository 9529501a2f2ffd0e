//! Per-connection settings of the pool: every pooled connection runs with the configured
//! `statement_timeout` and `application_name`, whatever characters the name holds.

#![expect(clippy::unwrap_used)]

use std::time::Duration;

use diesel::sql_types::Text;
use diesel_async::RunQueryDsl;
use equoria_persistence::{PoolSettings, build_pool};
use equoria_test_support::TestDatabase;
use secrecy::SecretString;

#[derive(diesel::QueryableByName, Debug)]
struct Settings {
    #[diesel(sql_type = Text)]
    statement_timeout: String,
    #[diesel(sql_type = Text)]
    application_name: String,
}

#[tokio::test]
async fn every_pooled_connection_runs_with_the_configured_settings() {
    let db = TestDatabase::empty().await;
    let mut settings = PoolSettings::new(SecretString::from(db.url().to_owned()));
    settings.statement_timeout = Duration::from_millis(1_234);
    settings.application_name = "equoria 'it''s'; RESET ALL".to_owned();
    let pool = build_pool(&settings).unwrap();

    let mut conn = pool.get().await.unwrap();
    let applied: Settings = diesel::sql_query(
        "SELECT current_setting('statement_timeout') AS statement_timeout, \
         current_setting('application_name') AS application_name",
    )
    .get_result(&mut conn)
    .await
    .unwrap();

    assert_eq!(applied.statement_timeout, "1234ms");
    assert_eq!(applied.application_name, settings.application_name);
}
