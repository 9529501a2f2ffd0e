//! Readiness follows the database: 503 while it is away, 200 again by
//! itself when it returns, with no restart; liveness never depends on it.

use std::time::{Duration, Instant};

use equoria_test_support::TestDatabase;

use crate::support::{DbProxy, Server, command};

async fn health(server: &Server) -> (u16, serde_json::Value, Duration) {
    let started = Instant::now();
    let res = reqwest::get(server.url("/health")).await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap(), started.elapsed())
}

#[tokio::test]
async fn health_turns_503_while_the_database_is_down_and_recovers_without_a_restart() {
    let db = TestDatabase::migrated().await;
    let mut proxy = DbProxy::start(db.url()).await;
    let server = Server::start(&proxy.url_for(db.url()), &[]).await;

    let (status, body, _) = health(&server).await;
    assert_eq!(
        (status, body["database"].as_str()),
        (200, Some("connected"))
    );

    proxy.cut();
    let (status, body, took) = health(&server).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["database"], "disconnected");
    assert_eq!(body["status"], "degraded");
    assert!(took < Duration::from_secs(5), "health hung for {took:?}");
    let ping = reqwest::get(server.url("/ping")).await.unwrap();
    assert_eq!(
        ping.status().as_u16(),
        200,
        "liveness must not depend on the database"
    );

    proxy.restore().await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body, _) = health(&server).await;
        if status == 200 {
            assert_eq!(body["database"], "connected");
            break;
        }
        assert!(Instant::now() < deadline, "health did not recover: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_healthcheck_command_follows_health() {
    let db = TestDatabase::migrated().await;
    let mut proxy = DbProxy::start(db.url()).await;
    let server = Server::start(&proxy.url_for(db.url()), &[]).await;
    let port = server.port.to_string();
    let healthcheck = || async {
        tokio::process::Command::from(command(&[("HOST", "0.0.0.0"), ("PORT", &port)]))
            .arg("healthcheck")
            .status()
            .await
            .unwrap()
            .code()
    };

    assert_eq!(healthcheck().await, Some(0));
    proxy.cut();
    assert_eq!(healthcheck().await, Some(1));
}

/// Every pooled connection busy behind a lock, requests waiting for one: the database still
/// answers, so `/health` is 200 and shows the busy pool.
#[tokio::test]
async fn health_stays_200_while_every_pooled_connection_is_busy() {
    use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};

    let db = TestDatabase::migrated().await;
    let server = Server::start(
        db.url(),
        &[
            ("DATABASE_POOL_MAX", "2"),
            ("DATABASE_POOL_TIMEOUT_SECS", "10"),
        ],
    )
    .await;
    let (status, body, _) = health(&server).await;
    assert_eq!(status, 200, "{body}");

    // Reads of `breeds` now wait for this transaction: each holds a pooled connection.
    let mut locker = AsyncPgConnection::establish(db.url()).await.unwrap();
    locker
        .batch_execute("BEGIN; LOCK TABLE breeds IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let blocked: Vec<_> = (0..4)
        .map(|_| tokio::spawn(client.get(server.url("/api/breeds")).send()))
        .collect();

    let deadline = Instant::now() + Duration::from_secs(5);
    let body = loop {
        let (status, body, took) = health(&server).await;
        assert_eq!(status, 200, "a busy pool is not a failure: {body}");
        assert!(took < Duration::from_secs(2), "health took {took:?}");
        // Waiting while the second connection is still being opened is not yet "every
        // connection busy": wait for the pool to be full too.
        if body["pool"]["size"] == 2
            && body["pool"]["available"] == 0
            && body["pool"]["waiting"].as_u64() > Some(0)
        {
            break body;
        }
        assert!(Instant::now() < deadline, "the pool never got busy: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "connected");
    assert_eq!(body["pool"]["maxSize"], 2);
    assert_eq!(body["pool"]["size"], 2);

    locker.batch_execute("COMMIT").await.unwrap();
    for request in blocked {
        assert_eq!(request.await.unwrap().unwrap().status().as_u16(), 200);
    }
}
