#![expect(clippy::unwrap_used)]

use super::*;
use std::io::Read;
use std::net::TcpListener;
use std::thread;

fn parse(raw: &[u8]) -> anyhow::Result<Response> {
    read_response(&mut BufReader::new(raw), true)
}

/// Reads one request head (up to the blank line) from `stream`.
fn read_head(stream: &mut TcpStream) -> String {
    let mut request = Vec::new();
    let mut byte = [0u8; 1];
    while !request.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).unwrap() == 0 {
            break;
        }
        request.push(byte[0]);
    }
    String::from_utf8(request).unwrap()
}

#[test]
fn a_sized_response_gives_status_headers_and_body() {
    let raw = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{\"a\":\"b\"}\r\nignored";

    let response = parse(raw).unwrap();

    assert_eq!(response.status, 200);
    assert_eq!(response.body, "{\"a\":\"b\"}\r\n");
    assert_eq!(response.header("Content-Type"), Some("application/json"));
}

#[test]
fn a_chunked_body_is_joined() {
    let raw = b"HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n6;ext=1\r\npedia!\r\n0\r\n\r\n";

    let response = parse(raw).unwrap();

    assert_eq!(response.status, 503);
    assert_eq!(response.body, "Wikipedia!");
}

#[test]
fn a_body_without_length_runs_to_the_end() {
    let raw = b"HTTP/1.0 404 Not Found\r\n\r\nnope";

    let response = parse(raw).unwrap();

    assert_eq!(response.status, 404);
    assert_eq!(response.body, "nope");
}

#[test]
fn on_a_kept_connection_a_body_without_length_is_empty() {
    let raw = b"HTTP/1.1 200 OK\r\n\r\nnext response";

    let response = read_response(&mut BufReader::new(&raw[..]), false).unwrap();

    assert_eq!(response.body, "");
}

#[test]
fn garbage_is_an_error_not_a_status() {
    assert!(parse(b"hello\r\n\r\n").is_err());
    assert!(parse(b"HTTP/1.1 200 OK\r\n").is_err());
    assert!(parse(b"").is_err());
}

#[test]
fn get_talks_to_a_real_socket() {
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let request = read_head(&mut stream);
        stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\npong")
            .unwrap();
        request
    });

    let response = get(port, "/ping", Duration::from_secs(5)).unwrap();
    let request = server.join().unwrap();

    assert_eq!(response.status, 200);
    assert_eq!(response.body, "pong");
    assert!(request.starts_with("GET /ping HTTP/1.1\r\n"), "{request}");
    assert!(request.contains("Connection: close\r\n"), "{request}");
}

#[test]
fn a_refused_connect_says_connecting_to() {
    let port = TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();

    let error = get(port, "/ping", Duration::from_secs(2)).unwrap_err();

    assert!(
        format!("{error:#}").starts_with("connecting to"),
        "{error:#}"
    );
}

#[test]
fn the_client_keeps_its_connection_and_retries_once_after_a_stale_one() {
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = thread::spawn(move || {
        // First connection: two requests answered, then closed without a word.
        let (mut stream, _) = listener.accept().unwrap();
        for body in ["one", "two"] {
            read_head(&mut stream);
            let answer = format!(
                "HTTP/1.1 200 OK\r\nX-Drill-Upstream: a\r\nContent-Length: 3\r\n\r\n{body}"
            );
            stream.write_all(answer.as_bytes()).unwrap();
        }
        read_head(&mut stream);
        drop(stream);
        // Second connection: the retried request.
        let (mut stream, _) = listener.accept().unwrap();
        let request = read_head(&mut stream);
        stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nthree")
            .unwrap();
        request
    });
    let mut client = Client::new(port, Duration::from_secs(5));

    let first = client.get("/a", &[]).unwrap();
    let second = client.get("/b", &[]).unwrap();
    let retried_before = client.take_retried();
    let third = client.get("/c", &[("Authorization", "Bearer t")]).unwrap();
    let retried = client.take_retried();
    let last_request = server.join().unwrap();

    assert_eq!((first.body.as_str(), second.body.as_str()), ("one", "two"));
    assert_eq!(first.header("x-drill-upstream"), Some("a"));
    assert!(!retried_before);
    assert_eq!(third.body, "three");
    assert!(retried);
    assert!(
        last_request.starts_with("GET /c HTTP/1.1\r\n"),
        "{last_request}"
    );
    assert!(last_request.contains("Authorization: Bearer t\r\n"));
    assert!(!last_request.contains("Connection: close"));
}
