//! Assembly of the actix application: middleware order and routes.

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, Error, HttpResponse, web};

use crate::middleware::edge::edge;
use crate::routes::ops;
use crate::{ApiError, AppState};

/// Builds the application for one worker.
///
/// Middleware order, innermost first: CORS (so CORS headers land on every
/// response, errors included), then the edge middleware (request id, error
/// envelope, security headers, access log), then compression of the final
/// body.
pub fn build(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    let cors = cors(&state.settings.allowed_origins);
    App::new()
        .app_data(web::Data::new(state))
        .wrap(cors)
        .wrap(from_fn(edge))
        .wrap(Compress::default())
        .configure(routes)
        .default_service(web::to(not_found))
}

/// Every route of the service. Routes are registered per resource (not
/// with method macros) so a wrong method on a known path is a 405, not a 404.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/ping").route(web::get().to(ops::ping)))
        .service(web::resource("/health").route(web::get().to(ops::health)))
        .service(web::resource("/api").route(web::get().to(ops::index)))
        .service(web::resource("/api/openapi.json").route(web::get().to(ops::openapi)));
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::not_found())
}

fn cors(allowed_origins: &[String]) -> Cors {
    allowed_origins
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_NONE_MATCH,
            header::HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([
            header::HeaderName::from_static("x-request-id"),
            header::RETRY_AFTER,
            header::ETAG,
        ])
        .max_age(600)
}
