//! `equoria healthcheck`: a dependency-free HTTP probe of `/health`, so
//! container images need no curl.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Duration;

/// Exit 0 when `/health` answers 200 within the timeout, 1 otherwise.
pub(crate) fn run(url: Option<String>, timeout_secs: u64) -> ExitCode {
    let target = url.unwrap_or_else(default_url);
    let timeout = Duration::from_secs(timeout_secs.max(1));
    match probe(&target, timeout) {
        Ok(200) => ExitCode::SUCCESS,
        Ok(status) => {
            eprintln!("healthcheck: {target} answered {status}");
            ExitCode::FAILURE
        }
        Err(err) => {
            eprintln!("healthcheck: {target}: {err}");
            ExitCode::FAILURE
        }
    }
}

/// `http://HOST:PORT/health`, where a wildcard HOST is probed on loopback.
fn default_url() -> String {
    let host = std::env::var("HOST").unwrap_or_else(|_| "127.0.0.1".to_owned());
    let host = match host.as_str() {
        "0.0.0.0" | "" => "127.0.0.1".to_owned(),
        "::" => "[::1]".to_owned(),
        h if h.contains(':') => format!("[{h}]"),
        h => h.to_owned(),
    };
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".to_owned());
    format!("http://{host}:{port}/health")
}

fn probe(target: &str, timeout: Duration) -> Result<u16, String> {
    let parsed = url::Url::parse(target).map_err(|e| format!("invalid URL: {e}"))?;
    if parsed.scheme() != "http" {
        return Err(
            "only http:// URLs are supported (probe the pod, not the TLS proxy)".to_owned(),
        );
    }
    let host = parsed.host_str().ok_or("URL has no host")?;
    let port = parsed.port_or_known_default().unwrap_or(80);
    let addr = (host.trim_matches(['[', ']']), port)
        .to_socket_addrs()
        .map_err(|e| e.to_string())?
        .next()
        .ok_or("host did not resolve")?;
    let mut stream = TcpStream::connect_timeout(&addr, timeout).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    stream
        .set_write_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: equoria-healthcheck\r\nConnection: close\r\n\r\n",
        parsed.path(),
        parsed.host_str().unwrap_or(host)
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut head = [0u8; 64];
    let read = stream.read(&mut head).map_err(|e| e.to_string())?;
    let line = String::from_utf8_lossy(&head[..read]);
    line.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| "not an HTTP response".to_owned())
}
