//! Assembly of the actix application: middleware order and routes.

use actix_cors::Cors;
use actix_governor::Governor;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, Error, HttpResponse, web};

use crate::middleware::edge::edge;
use crate::routes::{auth, ops, users};
use crate::security::rate_limit::RateLimits;
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
    let limits = state.limits.clone();
    App::new()
        .app_data(web::Data::new(state))
        .wrap(cors)
        .wrap(from_fn(edge))
        .wrap(Compress::default())
        .configure(|cfg| routes(cfg, &limits))
        .default_service(web::to(not_found))
}

/// Every route of the service. Routes are registered per resource (not
/// with method macros) so a wrong method on a known path is a 405, not a 404.
///
/// `/api/` is behind the general rate limiter and `/api/auth/` also behind
/// the stricter one; `/ping` and `/health` are never limited.
pub fn routes(cfg: &mut web::ServiceConfig, limits: &RateLimits) {
    cfg.service(web::resource("/ping").route(web::get().to(ops::ping)))
        .service(web::resource("/health").route(web::get().to(ops::health)))
        .service(
            web::scope("/api")
                .wrap(Governor::new(&limits.general))
                .service(web::resource("").route(web::get().to(ops::index)))
                .service(web::resource("/openapi.json").route(web::get().to(ops::openapi)))
                .service(
                    web::scope("/auth")
                        .wrap(Governor::new(&limits.auth))
                        .service(web::resource("/register").route(web::post().to(auth::register)))
                        .service(web::resource("/login").route(web::post().to(auth::login)))
                        .service(web::resource("/refresh").route(web::post().to(auth::refresh)))
                        .service(web::resource("/logout").route(web::post().to(auth::logout)))
                        .service(
                            web::resource("/change-password")
                                .route(web::post().to(auth::change_password)),
                        )
                        .service(
                            web::resource("/me")
                                .route(web::get().to(auth::me))
                                .route(web::patch().to(auth::update_me)),
                        ),
                )
                .service(
                    web::scope("/users")
                        .service(web::resource("").route(web::get().to(users::list_users)))
                        .service(
                            web::resource("/me/progress").route(web::get().to(users::my_progress)),
                        )
                        .service(
                            web::resource("/me/xp-history")
                                .route(web::get().to(users::my_xp_history)),
                        )
                        .service(
                            web::resource("/me/transactions")
                                .route(web::get().to(users::my_transactions)),
                        )
                        .service(web::resource("/{id}").route(web::get().to(users::get_user)))
                        .service(
                            web::resource("/{id}/role").route(web::patch().to(users::set_role)),
                        ),
                ),
        );
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
