//! Cross-origin requests: only the configured origins get CORS headers.
//!
//! [`cors`] is actix-cors configured for `ALLOWED_ORIGINS`. On its own it
//! still adds `Access-Control-Expose-Headers` (and would add any other
//! response header it sets) to answers for origins it did not allow, and to
//! requests without an `Origin`. Those headers grant nothing, but a
//! disallowed origin must get no CORS header at all: so
//! [`only_for_allowed_origins`], just outside it, removes every
//! `Access-Control-*` header from a response that carries no
//! `Access-Control-Allow-Origin` (the one header actix-cors sets exactly
//! when it allowed the origin, on preflights and actual requests, successes
//! and errors alike). `Vary: Origin` stays, so caches keep answers apart.

use actix_cors::Cors;
use actix_web::Error;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderMap, HeaderName};
use actix_web::middleware::Next;

/// actix-cors for `allowed_origins`: the API's methods and request headers,
/// the response headers a browser client may read, preflights cached 10
/// minutes.
pub fn cors(allowed_origins: &[String]) -> Cors {
    allowed_origins
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_NONE_MATCH,
            HeaderName::from_static("x-request-id"),
            HeaderName::from_static(super::idempotency::KEY_HEADER),
        ])
        .expose_headers([
            HeaderName::from_static("x-request-id"),
            header::RETRY_AFTER,
            header::ETAG,
            HeaderName::from_static(super::idempotency::REPLAYED_HEADER),
        ])
        .max_age(600)
}

/// See the module documentation.
pub async fn only_for_allowed_origins(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let mut res = next.call(req).await?.map_into_boxed_body();
    strip_unless_allowed(res.headers_mut());
    Ok(res)
}

fn strip_unless_allowed(headers: &mut HeaderMap) {
    if headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN) {
        return;
    }
    let cors_headers: Vec<HeaderName> = headers
        .keys()
        .filter(|name| name.as_str().starts_with("access-control-"))
        .cloned()
        .collect();
    for name in cors_headers {
        headers.remove(name);
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        map
    }

    #[test]
    fn without_an_allowed_origin_every_cors_header_goes_and_the_rest_stays() {
        let mut map = headers(&[
            ("access-control-expose-headers", "x-request-id"),
            ("access-control-allow-credentials", "true"),
            ("vary", "Origin"),
            ("x-request-id", "abc"),
        ]);
        strip_unless_allowed(&mut map);
        let left: Vec<&str> = map.keys().map(HeaderName::as_str).collect();
        assert_eq!(left.len(), 2, "{left:?}");
        assert!(map.contains_key("vary") && map.contains_key("x-request-id"));
    }

    #[test]
    fn with_an_allowed_origin_nothing_is_removed() {
        let mut map = headers(&[
            ("access-control-allow-origin", "http://localhost:5173"),
            ("access-control-expose-headers", "x-request-id"),
        ]);
        strip_unless_allowed(&mut map);
        assert_eq!(map.len(), 2);
    }
}
