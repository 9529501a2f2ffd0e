//! A minimal HTTP/1.1 GET over a plain TCP connection to 127.0.0.1, enough to probe our own
//! server without pulling in an HTTP client.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};

/// What came back: the status code and the (de-chunked) body as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub body: String,
}

/// `GET path` on 127.0.0.1:`port` with `Connection: close`; `timeout` applies to the connect
/// and to each read or write.
pub fn get(port: u16, path: &str, timeout: Duration) -> anyhow::Result<Response> {
    request(port, "GET", path, &[], None, timeout)
}

/// Registers the player `username` (email `username@domain`) through the API; returns its
/// access token and user id.
pub fn register(
    port: u16,
    username: &str,
    domain: &str,
    password: &str,
) -> anyhow::Result<(String, u64)> {
    let body = format!(
        r#"{{"email":"{username}@{domain}","username":"{username}","password":"{password}"}}"#
    );
    let response = request(
        port,
        "POST",
        "/api/auth/register",
        &[],
        Some(&body),
        Duration::from_secs(30),
    )?;
    if response.status != 201 {
        bail!(
            "registering {username} answered {}: {}",
            response.status,
            response.body
        );
    }
    let json: serde_json::Value = serde_json::from_str(&response.body)?;
    let token = json["data"]["accessToken"]
        .as_str()
        .ok_or_else(|| anyhow!("no accessToken in {}", response.body))?;
    let id = json["data"]["user"]["id"]
        .as_u64()
        .ok_or_else(|| anyhow!("no user id in {}", response.body))?;
    Ok((token.to_owned(), id))
}

/// `method path` on 127.0.0.1:`port` with `Connection: close`, the extra `headers` and, when
/// given, a JSON `body`; `timeout` applies to the connect and to each read or write.
pub fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
    timeout: Duration,
) -> anyhow::Result<Response> {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&address, timeout)
        .with_context(|| format!("connecting to {address}"))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: equoria-xtask\r\n\
         Accept: application/json\r\nConnection: close\r\n"
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = body {
        request.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ));
    } else {
        request.push_str("\r\n");
    }
    stream
        .write_all(request.as_bytes())
        .with_context(|| format!("sending {method} {path}"))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .with_context(|| format!("reading the response to {method} {path}"))?;
    parse_response(&raw).with_context(|| format!("parsing the response to {method} {path}"))
}

/// Parses a whole HTTP/1.1 response read until the server closed the connection.
fn parse_response(raw: &[u8]) -> anyhow::Result<Response> {
    let head_end = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .ok_or_else(|| anyhow!("no end of headers in {} bytes", raw.len()))?;
    let head = String::from_utf8_lossy(&raw[..head_end]);
    let body = &raw[head_end + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = match status_line.split(' ').collect::<Vec<_>>().as_slice() {
        [version, code, ..] if version.starts_with("HTTP/") => code
            .parse::<u16>()
            .with_context(|| format!("bad status line {status_line:?}"))?,
        _ => bail!("bad status line {status_line:?}"),
    };

    let mut chunked = false;
    let mut length = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.to_ascii_lowercase().contains("chunked");
        } else if name.eq_ignore_ascii_case("content-length") {
            length = Some(
                value
                    .parse::<usize>()
                    .with_context(|| format!("bad Content-Length {value:?}"))?,
            );
        }
    }

    let body = if chunked {
        decode_chunked(body)?
    } else if let Some(length) = length {
        body.get(..length)
            .ok_or_else(|| anyhow!("body has {} bytes, expected {length}", body.len()))?
            .to_vec()
    } else {
        body.to_vec()
    };
    Ok(Response {
        status,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// Joins the chunks of a `Transfer-Encoding: chunked` body (trailers are ignored).
fn decode_chunked(mut rest: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = rest
            .windows(2)
            .position(|window| window == b"\r\n")
            .ok_or_else(|| anyhow!("truncated chunk size line"))?;
        let size_line = String::from_utf8_lossy(&rest[..line_end]);
        let size_hex = size_line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16)
            .with_context(|| format!("bad chunk size {size_hex:?}"))?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        let chunk = rest
            .get(..size)
            .ok_or_else(|| anyhow!("truncated chunk of {size} bytes"))?;
        body.extend_from_slice(chunk);
        rest = rest.get(size + 2..).unwrap_or_default();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use std::net::TcpListener;
    use std::thread;

    #[test]
    fn a_sized_response_gives_status_and_body() {
        let raw = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{\"a\":\"b\"}\r\nignored";

        let response = parse_response(raw).unwrap();

        assert_eq!(response.status, 200);
        assert_eq!(response.body, "{\"a\":\"b\"}\r\n");
    }

    #[test]
    fn a_chunked_body_is_joined() {
        let raw = b"HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n6;ext=1\r\npedia!\r\n0\r\n\r\n";

        let response = parse_response(raw).unwrap();

        assert_eq!(response.status, 503);
        assert_eq!(response.body, "Wikipedia!");
    }

    #[test]
    fn a_body_without_length_runs_to_the_end() {
        let raw = b"HTTP/1.0 404 Not Found\r\n\r\nnope";

        let response = parse_response(raw).unwrap();

        assert_eq!(response.status, 404);
        assert_eq!(response.body, "nope");
    }

    #[test]
    fn garbage_is_an_error_not_a_status() {
        assert!(parse_response(b"hello\r\n\r\n").is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\n").is_err());
    }

    #[test]
    fn get_talks_to_a_real_socket() {
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            let mut buffer = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = stream.read(&mut buffer).unwrap();
                request.extend_from_slice(&buffer[..n]);
            }
            stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\npong")
                .unwrap();
            String::from_utf8(request).unwrap()
        });

        let response = get(port, "/ping", Duration::from_secs(5)).unwrap();
        let request = server.join().unwrap();

        assert_eq!(response.status, 200);
        assert_eq!(response.body, "pong");
        assert!(request.starts_with("GET /ping HTTP/1.1\r\n"), "{request}");
        assert!(request.contains("Connection: close\r\n"), "{request}");
    }
}
