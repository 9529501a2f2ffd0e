//! The outermost application middleware: everything every response gets.
//!
//! - assigns the request id and returns it in `X-Request-Id`;
//! - refuses bodies whose declared length exceeds the limit (413) before
//!   anything reads them;
//! - renders every error (from handlers, extractors, the router or inner
//!   middleware such as the rate limiter) as the JSON error envelope, keeping
//!   the headers inner layers set (CORS, `Retry-After`), and logs its
//!   internal cause once with the request id;
//! - adds the security headers (see SECURITY.md);
//! - writes one access log line (method, route template, status, latency,
//!   request id).
//!
//! Doing all of this in one place keeps the per-request cost to one
//! function call and one log event (no per-request span).

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, web};

use super::request_id::{self, RequestId};
use crate::routes::docs;
use crate::{ApiError, AppState};

/// The JSON API's Content-Security-Policy: nothing may load. Only a successful response of
/// the API reference page and its assets gets [`docs::CONTENT_SECURITY_POLICY`] instead.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";
const SECURITY_HEADERS: [(&str, &str); 5] = [
    ("referrer-policy", "strict-origin-when-cross-origin"),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
];
const HSTS: &str = "max-age=31536000; includeSubDomains";

/// See the module documentation.
pub async fn edge(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let request_id = RequestId::from_headers(req.headers());
    req.extensions_mut().insert(request_id.clone());
    let (hsts, max_body) = req
        .app_data::<web::Data<AppState>>()
        .map_or((false, crate::settings::DEFAULT_MAX_BODY_BYTES), |s| {
            (s.settings.hsts, s.settings.max_body_bytes)
        });
    let method = req.method().clone();
    let in_flight = crate::metrics::InFlight::start();

    let response = if declared_length(req.headers()).is_some_and(|len| len > max_body) {
        let err = ApiError::payload_too_large(max_body);
        req.error_response(err).map_into_boxed_body()
    } else {
        match next.call(req).await {
            Ok(res) => res.map_into_boxed_body(),
            Err(err) => {
                // Handlers' errors arrive as responses; only a failing inner
                // middleware yields `Err`, and without the request we cannot
                // build a response here. None of ours does; keep the log line.
                let status = err.as_response_error().status_code().as_u16();
                tracing::error!(target: "equoria::http", method = %method, status, request_id = %request_id, cause = %err, "middleware failed");
                return Err(err);
            }
        }
    };

    let mut response = render_error(response, &request_id);
    let csp = content_security_policy(&response);
    set_edge_headers(response.headers_mut(), &request_id, hsts, csp);

    drop(in_flight);
    let status = response.status().as_u16();
    let route = response.request().match_pattern();
    let elapsed = started.elapsed().as_secs_f64();
    crate::metrics::record_request(
        method.as_str(),
        route.as_deref().unwrap_or("<unmatched>"),
        response.status(),
        elapsed,
    );
    tracing::info!(
        target: "equoria::http",
        method = %method,
        route = route.as_deref().unwrap_or("<unmatched>"),
        status,
        latency_ms = elapsed * 1000.0,
        request_id = %request_id,
        "request"
    );
    Ok(response)
}

fn declared_length(headers: &HeaderMap) -> Option<usize> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// Replaces the body of an error response by the JSON envelope.
///
/// A response is an error to render when it carries an error value (handler
/// or middleware failure), or when it has an error status and no JSON body
/// of its own (router 404/405). JSON answers that use an error status on
/// purpose, like `/health`'s 503, pass through untouched.
fn render_error(res: ServiceResponse<BoxBody>, request_id: &RequestId) -> ServiceResponse<BoxBody> {
    let status = res.status();
    let attached = res.response().error();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if attached.is_none() && (is_json || !(status.is_client_error() || status.is_server_error())) {
        return res;
    }

    let api_error = match attached {
        Some(err) => match err.as_error::<ApiError>() {
            Some(api) => api.clone(),
            None => ApiError::from_status(status).with_cause(err.to_string()),
        },
        None => ApiError::from_status(status),
    };
    if let Some(cause) = api_error.cause() {
        if status.is_server_error() {
            tracing::error!(target: "equoria::http", request_id = %request_id, status = status.as_u16(), code = api_error.code().as_str(), cause, "request failed");
        } else {
            tracing::debug!(target: "equoria::http", request_id = %request_id, status = status.as_u16(), code = api_error.code().as_str(), cause, "request refused");
        }
    }

    let body = serde_json::to_vec(&api_error.envelope(request_id.as_str())).unwrap_or_default();
    let (request, original) = res.into_parts();
    let mut rendered = HttpResponse::with_body(status, body);
    for (name, value) in original.headers() {
        if name != header::CONTENT_TYPE
            && name != header::CONTENT_LENGTH
            && name != header::CONTENT_ENCODING
        {
            rendered.headers_mut().append(name.clone(), value.clone());
        }
    }
    rendered.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    ServiceResponse::new(request, rendered.map_into_boxed_body())
}

/// The API reference's policy for its successful responses, the strict one for everything
/// else (errors under `/api/docs` included).
fn content_security_policy(res: &ServiceResponse<BoxBody>) -> &'static str {
    let status = res.status();
    let failed = status.is_client_error() || status.is_server_error();
    if !failed && docs::is_docs_path(res.request().path()) {
        docs::CONTENT_SECURITY_POLICY
    } else {
        CONTENT_SECURITY_POLICY
    }
}

fn set_edge_headers(
    headers: &mut HeaderMap,
    request_id: &RequestId,
    hsts: bool,
    csp: &'static str,
) {
    if let Ok(value) = HeaderValue::from_str(request_id.as_str()) {
        headers.insert(HeaderName::from_static(request_id::HEADER), value);
    }
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    for (name, value) in SECURITY_HEADERS {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    if hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
}
