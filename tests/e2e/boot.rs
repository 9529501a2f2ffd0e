//! The start-up path of deploy/systemd/equoria.service with the database down at boot:
//! `equoria config check` (its ExecStartPre) passes without a database, `equoria serve` binds
//! and answers /ping 200 and /health 503, and /health turns 200 by itself once the database
//! comes, so the unit neither fails nor needs a restart.

use std::time::{Duration, Instant};

use equoria_test_support::TestDatabase;

use crate::support::{DbProxy, Server, command};

#[tokio::test]
async fn the_server_starts_while_the_database_is_down_and_becomes_ready_when_it_comes() {
    let db = TestDatabase::migrated().await;
    let mut proxy = DbProxy::start(db.url()).await;
    let url = proxy.url_for(db.url());
    proxy.cut();

    let check = command(&[("NODE_ENV", "test"), ("DATABASE_URL", url.as_str())])
        .args(["config", "check"])
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "config check needed the database: {}",
        String::from_utf8_lossy(&check.stderr)
    );

    let server = Server::start(&url, &[]).await;
    let ping = reqwest::get(server.url("/ping")).await.unwrap();
    assert_eq!(ping.status().as_u16(), 200);
    let health = reqwest::get(server.url("/health")).await.unwrap();
    assert_eq!(health.status().as_u16(), 503, "{}", server.log_text());

    proxy.restore().await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let res = reqwest::get(server.url("/health")).await.unwrap();
        if res.status().as_u16() == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "/health did not turn 200 after the database came: {}",
            server.log_text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
