//! Prometheus metrics at `GET /metrics` (when MONITORING_ENABLED): on the
//! public port, or, when METRICS_ADDR is set, only on a listener of its own
//! ([`app`]; the public port then answers 404 for `/metrics`).
//!
//! Series, by Prometheus naming conventions:
//! - `http_requests_total{method,route,status}` and
//!   `http_request_duration_seconds{method,route,status}` (histogram): the
//!   route is the matched template (`/api/users/{id}`), never the raw path,
//!   and unmatched paths are `<unmatched>`; the method is one of
//!   [`KNOWN_METHODS`] or `other`. Nothing a client sends can add a label
//!   value, so the registry cannot grow without bound;
//! - `http_requests_in_flight`;
//! - `db_pool_max_size`, `db_pool_size`, `db_pool_available`,
//!   `db_pool_waiting`, and `db_pool_acquire_duration_seconds` (histogram,
//!   recorded by the persistence layer);
//! - `equoria_cache_requests_total{cache,result}`: lookups of the in-process
//!   cache of public reads (`cache="leaderboards"`), `result` `hit` or
//!   `miss` (a miss asked the database); absent when the cache is off;
//! - process metrics: `process_cpu_seconds_total`,
//!   `process_resident_memory_bytes`, `process_virtual_memory_bytes`,
//!   `process_open_fds`, `process_start_time_seconds`, ...
//!
//! The recorder is global to the process (the `metrics` facade); it is
//! installed once by [`install`]. Without it every recording is a no-op.

use std::sync::OnceLock;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, web};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::middleware::edge::edge;
use crate::{ApiError, AppState};

/// Latency buckets in seconds: fine below 10 ms, where this service lives,
/// up to the 2 s critical alert threshold and beyond.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
static PROCESS: OnceLock<metrics_process::Collector> = OnceLock::new();

/// Installs the Prometheus recorder (idempotent). Returns the render handle.
pub fn install() -> Result<&'static PrometheusHandle, String> {
    if let Some(handle) = HANDLE.get() {
        return Ok(handle);
    }
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Suffix("_duration_seconds".to_owned()),
            &LATENCY_BUCKETS,
        )
        .map_err(|e| e.to_string())?
        .build_recorder();
    let handle = recorder.handle();
    // Another thread may have won the race; then its handle is the one.
    if metrics::set_global_recorder(recorder).is_ok() {
        let collector = metrics_process::Collector::default();
        collector.describe();
        let _ = PROCESS.set(collector);
        let _ = HANDLE.set(handle);
    }
    HANDLE
        .get()
        .ok_or_else(|| "the metrics recorder could not be installed".to_owned())
}

/// Drains histogram buffers; call periodically so memory stays flat when
/// nobody scrapes.
pub fn upkeep() {
    if let Some(handle) = HANDLE.get() {
        handle.run_upkeep();
    }
}

/// The method label values besides `other`: the methods of RFC 9110 and
/// PATCH. Any other method a client invents is counted as `other`.
pub const KNOWN_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE",
];

/// The `method` label for a request method: itself when known, else `other`.
pub fn method_label(method: &str) -> &'static str {
    KNOWN_METHODS
        .into_iter()
        .find(|known| *known == method)
        .unwrap_or("other")
}

/// Records one finished request (`method` is bounded by [`method_label`]).
pub fn record_request(method: &str, route: &str, status: StatusCode, seconds: f64) {
    let labels = [
        ("method", method_label(method).to_owned()),
        ("route", route.to_owned()),
        ("status", status.as_str().to_owned()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(seconds);
}

/// Tracks `http_requests_in_flight` for the lifetime of the guard.
#[derive(Debug)]
pub struct InFlight;

impl InFlight {
    pub fn start() -> Self {
        metrics::gauge!("http_requests_in_flight").increment(1.0);
        Self
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        metrics::gauge!("http_requests_in_flight").decrement(1.0);
    }
}

/// Copies the public cache's hit and miss counts into
/// `equoria_cache_requests_total` (the cache counts them itself; nothing is
/// recorded when it is off).
fn record_cache_stats(state: &AppState) {
    let Some(stats) = state.leaderboards.cache_stats() else {
        return;
    };
    for (result, count) in [("hit", stats.hits), ("miss", stats.misses)] {
        metrics::counter!(
            "equoria_cache_requests_total",
            "cache" => "leaderboards",
            "result" => result
        )
        .absolute(count);
    }
}

/// `GET /metrics` on the public port: the Prometheus text format, or 404
/// when monitoring is off or metrics have a listener of their own.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses(
    (status = 200, description = "Prometheus text exposition format", content_type = "text/plain"),
    (status = 404, description = "Monitoring is disabled, or served on METRICS_ADDR only", body = crate::error::ErrorEnvelope)))]
pub async fn metrics_endpoint(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if !state.settings.monitoring_enabled {
        return Err(ApiError::not_found());
    }
    exposition(&state)
}

/// `GET /metrics` on the metrics listener (METRICS_ADDR): always served.
async fn dedicated_endpoint(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    exposition(&state)
}

/// The current exposition, pool and process figures refreshed first; 404
/// when the recorder is not installed.
fn exposition(state: &AppState) -> Result<HttpResponse, ApiError> {
    let Some(handle) = HANDLE.get() else {
        return Err(ApiError::not_found());
    };
    let pool = state.database.pool_status();
    metrics::gauge!("db_pool_max_size").set(pool.max_size as f64);
    metrics::gauge!("db_pool_size").set(pool.size as f64);
    metrics::gauge!("db_pool_available").set(pool.available as f64);
    metrics::gauge!("db_pool_waiting").set(pool.waiting as f64);
    record_cache_stats(state);
    if let Some(process) = PROCESS.get() {
        process.collect();
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header(("cache-control", "no-store"))
        .body(handle.render()))
}

/// The application of the metrics listener (METRICS_ADDR): `GET /metrics`
/// from the one process-wide registry, every other path a 404 envelope.
/// It shares the public application's state (pool figures) and edge
/// middleware (request id, error envelope, access log).
pub fn app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(web::Data::new(state))
        .wrap(from_fn(edge))
        .service(web::resource("/metrics").route(web::get().to(dedicated_endpoint)))
        .default_service(web::to(|| async {
            Err::<HttpResponse, _>(ApiError::not_found())
        }))
}
