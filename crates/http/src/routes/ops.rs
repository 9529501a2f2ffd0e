//! Operations endpoints: liveness, readiness and the API index. None of them
//! needs authentication; `/ping` never touches the database.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;

/// Version of the running build, as reported on `/health` and `/api`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Debug, Serialize, ToSchema)]
pub struct Pong {
    /// Always `pong`.
    pub message: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PingResponse {
    pub success: bool,
    pub data: Pong,
}

/// Liveness: answers as long as the process serves HTTP.
#[utoipa::path(get, path = "/ping", tag = "operations",
    responses((status = 200, description = "The process is alive", body = PingResponse)))]
pub async fn ping() -> web::Json<PingResponse> {
    web::Json(PingResponse {
        success: true,
        data: Pong { message: "pong" },
    })
}

/// Connection pool figures reported by `/health`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PoolFigures {
    pub max_size: usize,
    pub size: usize,
    pub available: usize,
    pub waiting: usize,
}

/// Readiness report. Fields sit at the top level because deployment scripts
/// read `.database` directly.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HealthReport {
    /// `true` when ready.
    pub success: bool,
    /// `ok`; `degraded` when the database cannot answer; `draining` once the
    /// process has been asked to stop (it still serves for the drain window).
    pub status: &'static str,
    /// `connected` or `disconnected`.
    pub database: &'static str,
    pub version: &'static str,
    pub environment: String,
    pub uptime_seconds: u64,
    /// RFC 3339 time of the check.
    pub timestamp: String,
    pub pool: PoolFigures,
}

/// Readiness: one database round trip, bounded by a short timeout. 503 while
/// the database cannot answer; recovers by itself once it can. A pool whose
/// connections are all busy is not a failure: the probe then uses a
/// connection of its own (see `DatabaseProbe::ping`) and the report carries
/// the pool figures. From the termination signal on it is 503 `draining`,
/// so load balancers stop routing here before the listener closes.
#[utoipa::path(get, path = "/health", tag = "operations", responses(
    (status = 200, description = "Ready: the database answered", body = HealthReport),
    (status = 503, description = "Degraded (the database did not answer in time) or draining (shutting down)", body = HealthReport)))]
pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    let probe = state.database.ping(state.settings.health_timeout).await;
    if let Err(err) = &probe {
        tracing::warn!(target: "equoria::health", error = %err, "database health check failed");
    }
    let pool = state.database.pool_status();
    let connected = probe.is_ok();
    let draining = state.is_draining();
    let ready = connected && !draining;
    let report = HealthReport {
        success: ready,
        status: match (draining, connected) {
            (true, _) => "draining",
            (false, true) => "ok",
            (false, false) => "degraded",
        },
        database: if connected {
            "connected"
        } else {
            "disconnected"
        },
        version: VERSION,
        environment: state.settings.environment.clone(),
        uptime_seconds: state.started_at.elapsed().as_secs(),
        timestamp: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        pool: PoolFigures {
            max_size: pool.max_size,
            size: pool.size,
            available: pool.available,
            waiting: pool.waiting,
        },
    };
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    HttpResponse::build(status)
        .insert_header(("cache-control", "no-store"))
        .json(report)
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiIndex {
    pub name: &'static str,
    pub version: &'static str,
    /// Path of the OpenAPI document describing every route.
    pub documentation: &'static str,
    pub health: &'static str,
    /// Resource name -> path, for the resources this build serves.
    pub resources: std::collections::BTreeMap<&'static str, &'static str>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiIndexResponse {
    pub success: bool,
    pub data: ApiIndex,
}

/// The resources this build serves, listed on `/api`. A resource is added
/// here in the same change that registers its routes.
pub const RESOURCES: &[(&str, &str)] = &[
    ("openapi", "/api/openapi.json"),
    ("auth", "/api/auth"),
    ("users", "/api/users"),
    ("breeds", "/api/breeds"),
    ("disciplines", "/api/disciplines"),
    ("horses", "/api/horses"),
    ("training", "/api/training"),
    ("shows", "/api/shows"),
    ("leaderboards", "/api/leaderboards"),
];

/// API index: name, version and links.
#[utoipa::path(get, path = "/api", tag = "operations",
    responses((status = 200, description = "API index", body = ApiIndexResponse)))]
pub async fn index() -> web::Json<ApiIndexResponse> {
    web::Json(ApiIndexResponse {
        success: true,
        data: ApiIndex {
            name: "Equoria API",
            version: VERSION,
            documentation: "/api/openapi.json",
            health: "/health",
            resources: RESOURCES.iter().copied().collect(),
        },
    })
}

/// The OpenAPI 3.1 document, generated from the route annotations.
#[utoipa::path(get, path = "/api/openapi.json", tag = "operations",
    responses((status = 200, description = "OpenAPI document", content_type = "application/json")))]
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(crate::openapi::document_json())
}
