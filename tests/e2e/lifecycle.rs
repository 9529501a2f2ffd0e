//! SIGTERM drains in-flight requests and exits 0.

use std::time::Duration;

use equoria_test_support::TestDatabase;

use crate::support::{DbProxy, Server};

#[tokio::test]
async fn sigterm_lets_slow_in_flight_requests_complete_then_exits_0() {
    let db = TestDatabase::migrated().await;
    let proxy = DbProxy::start(db.url()).await;
    let mut server =
        Server::start(&proxy.url_for(db.url()), &[("SHUTDOWN_TIMEOUT_SECS", "10")]).await;
    let client = reqwest::Client::new();

    // Open several pooled connections while the link is fast enough. (Through an API route:
    // `/health` does not wait for the pool, so it does not warm it either.)
    proxy.set_delay(Duration::from_millis(250));
    let warm: Vec<_> = (0..4)
        .map(|_| client.get(server.url("/api/breeds")).send())
        .collect();
    for res in futures_util::future::join_all(warm).await {
        assert_eq!(res.unwrap().status().as_u16(), 200);
    }

    // Now every database round trip takes ~1.2 s: these requests are in
    // flight when the signal arrives. (Not `/health`: from the signal on it
    // answers 503 `draining`.)
    proxy.set_delay(Duration::from_millis(1200));
    let in_flight: Vec<_> = (0..3)
        .map(|_| tokio::spawn(client.get(server.url("/api/breeds")).send()))
        .collect();
    tokio::time::sleep(Duration::from_millis(400)).await;
    server.signal("TERM");

    for handle in in_flight {
        let res = handle
            .await
            .unwrap()
            .expect("an in-flight request was dropped");
        assert_eq!(res.status().as_u16(), 200);
    }
    let status = server.wait_exit(Duration::from_secs(15)).await;
    assert_eq!(status.code(), Some(0), "{}", server.log_text());

    // New connections are refused once it has stopped.
    assert!(reqwest::get(server.url("/ping")).await.is_err());
    assert!(server.log_text().contains("SIGTERM"));
}

/// A connection the server accepted before the signal, whose request only arrives after it, is
/// still answered: the server stops accepting first and starts the graceful stop (which closes
/// connections with no request read yet) only `ACCEPT_QUIESCE` (250 ms) later.
#[tokio::test]
async fn a_connection_accepted_before_sigterm_gets_an_answer_to_its_late_request() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let db = TestDatabase::migrated().await;
    let mut server = Server::start(db.url(), &[("SHUTDOWN_TIMEOUT_SECS", "10")]).await;
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", server.port))
        .await
        .unwrap();
    // Time for the accept thread to hand the connection to a worker.
    tokio::time::sleep(Duration::from_millis(200)).await;
    server.signal("TERM");
    tokio::time::sleep(Duration::from_millis(30)).await;
    stream
        .write_all(b"GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    // The server answers and closes (no keep-alive while it stops).
    let mut response = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut response))
        .await
        .expect("no answer and no close within 5 s");
    let text = String::from_utf8_lossy(&response);
    assert!(
        read.is_ok() && text.starts_with("HTTP/1.1 200"),
        "read {read:?}, got {text:?}\n{}",
        server.log_text()
    );
    let status = server.wait_exit(Duration::from_secs(15)).await;
    assert_eq!(status.code(), Some(0), "{}", server.log_text());
}

/// From SIGTERM on, `/health` is 503 `draining` at once while every other request is still
/// served (new connections included) for SHUTDOWN_DRAIN_SECS; then the server stops and exits 0.
#[tokio::test]
async fn sigterm_turns_health_to_draining_while_requests_are_served_for_the_drain_window() {
    use std::time::Instant;

    let db = TestDatabase::migrated().await;
    let mut server = Server::start(db.url(), &[("SHUTDOWN_DRAIN_SECS", "2")]).await;
    let health = reqwest::get(server.url("/health")).await.unwrap();
    assert_eq!(health.status().as_u16(), 200);

    let signalled = Instant::now();
    server.signal("TERM");
    let body = loop {
        // A fresh client each time: a new connection must still be accepted.
        let res = reqwest::Client::new()
            .get(server.url("/health"))
            .send()
            .await
            .unwrap();
        if res.status().as_u16() == 503 {
            break res.json::<serde_json::Value>().await.unwrap();
        }
        assert!(
            signalled.elapsed() < Duration::from_millis(500),
            "health still {} after SIGTERM",
            res.status()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(body["status"], "draining", "{body}");
    assert_eq!(body["success"], false);
    assert_eq!(body["database"], "connected");

    // Still serving normally, on new connections, well into the window.
    tokio::time::sleep(Duration::from_millis(800)).await;
    for path in ["/ping", "/api/breeds"] {
        let res = reqwest::Client::new()
            .get(server.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200, "{path} during the drain");
    }
    assert!(signalled.elapsed() < Duration::from_secs(2));

    let status = server.wait_exit(Duration::from_secs(10)).await;
    assert_eq!(status.code(), Some(0), "{}", server.log_text());
    assert!(
        signalled.elapsed() >= Duration::from_secs(2),
        "stopped before the drain window ended"
    );
}
