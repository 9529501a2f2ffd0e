//! Slow clients cannot hold connections: a request head or body that
//! trickles in is cut off within its bound (CLIENT_REQUEST_TIMEOUT_MS,
//! CLIENT_BODY_TIMEOUT_MS, kept small here so the tests are quick).

use std::time::{Duration, Instant};

use equoria_test_support::TestDatabase;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::Server;

/// Writes `at_once`, then `bytes` one byte a second, until the server closes
/// the connection (a write fails or a read returns end of file); returns how
/// long the connection lived after `at_once` and what the server sent.
async fn trickle(port: u16, at_once: &[u8], bytes: &[u8], give_up: Duration) -> (Duration, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    stream.write_all(at_once).await.unwrap();
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    let mut next = 0;
    while started.elapsed() < give_up {
        if next < bytes.len() && stream.write_all(&bytes[next..=next]).await.is_err() {
            break;
        }
        next += 1;
        // Wait a second for the next byte, watching for the close.
        match tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buffer)).await {
            Ok(Ok(0) | Err(_)) => break,
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
            Err(_) => {}
        }
    }
    assert!(
        started.elapsed() < give_up,
        "the server kept the slow connection open for {give_up:?}"
    );
    (
        started.elapsed(),
        String::from_utf8_lossy(&received).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_head_sent_one_byte_a_second_is_cut_off_within_the_bound() {
    let db = TestDatabase::migrated().await;
    let server = Server::start(db.url(), &[("CLIENT_REQUEST_TIMEOUT_MS", "2000")]).await;
    let head =
        b"GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow-loris\r\nAccept: */*\r\n\r\n";
    let (lived, answer) = trickle(server.port, b"", head, Duration::from_secs(30)).await;
    assert!(lived < Duration::from_secs(4), "lived {lived:?}");
    // It never got to send a whole request, so it got no answer but a 408.
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    // Other clients are served meanwhile and after.
    let pong = reqwest::get(server.url("/ping")).await.unwrap();
    assert_eq!(pong.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_body_sent_one_byte_a_second_is_cut_off_with_408() {
    let db = TestDatabase::migrated().await;
    let server = Server::start(
        db.url(),
        &[
            ("CLIENT_REQUEST_TIMEOUT_MS", "2000"),
            ("CLIENT_BODY_TIMEOUT_MS", "2000"),
        ],
    )
    .await;
    let body = br#"{"email":"slow@example.com","password":"correct horse battery"}"#;
    let head = format!(
        "POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    // The head arrives at once; then the body trickles.
    let (lived, answer) =
        trickle(server.port, head.as_bytes(), body, Duration::from_secs(30)).await;
    assert!(lived < Duration::from_secs(4), "lived {lived:?}: {answer}");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("REQUEST_TIMEOUT"), "{answer}");
}
