//! The request id: echoed from a well-formed incoming `X-Request-Id`,
//! generated otherwise, and attached to every response, error body and log
//! line of the request.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::sync::Arc;

use actix_web::http::header::HeaderMap;
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload};

/// Name of the header carrying the id in both directions.
pub const HEADER: &str = "x-request-id";

/// Longest incoming id we echo; longer ones are replaced.
const MAX_LEN: usize = 128;

/// A request id, guaranteed to be 1-128 characters of `[A-Za-z0-9._:-]`, so
/// it is safe to echo in a header and to write in logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(Arc<str>);

impl RequestId {
    /// Takes the caller's id when it is well formed, otherwise makes one.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        headers
            .get(HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(Self::parse)
            .unwrap_or_else(Self::generate)
    }

    /// Accepts an incoming id only if it is safe to reflect.
    pub fn parse(candidate: &str) -> Option<Self> {
        let ok = !candidate.is_empty()
            && candidate.len() <= MAX_LEN
            && candidate
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
        ok.then(|| Self(Arc::from(candidate)))
    }

    pub fn generate() -> Self {
        Self(Arc::from(uuid::Uuid::new_v4().to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Handlers may take the id as an argument (for their own log lines).
impl FromRequest for RequestId {
    type Error = Infallible;
    type Future = Ready<Result<Self, Infallible>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let id = req
            .extensions()
            .get::<RequestId>()
            .cloned()
            .unwrap_or_else(RequestId::generate);
        ready(Ok(id))
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_well_formed_incoming_id_is_kept() {
        assert_eq!(
            RequestId::parse("abc-123_x.y:z").unwrap().as_str(),
            "abc-123_x.y:z"
        );
    }

    #[test]
    fn ids_that_could_inject_into_logs_or_headers_are_refused() {
        assert!(RequestId::parse("").is_none());
        assert!(RequestId::parse("a b").is_none());
        assert!(RequestId::parse("a\nb").is_none());
        assert!(RequestId::parse(&"x".repeat(129)).is_none());
    }
}
