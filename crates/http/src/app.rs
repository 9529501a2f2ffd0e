//! Assembly of the actix application: middleware order and routes.

use actix_governor::Governor;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, Error, HttpResponse, web};

use crate::middleware::cors::{cors, only_for_allowed_origins};
use crate::middleware::edge::edge;
use crate::middleware::idempotency::idempotent;
use crate::middleware::storable::refuse_unstorable_text;
use crate::routes::{auth, breeds, docs, horses, leaderboards, ops, shows, training, users};
use crate::security::rate_limit::RateLimits;
use crate::{ApiError, AppState};

/// Builds the application for one worker.
///
/// Middleware order, innermost first: the request body deadline, the refusal
/// of paths and query strings PostgreSQL could not store (before any route
/// runs), CORS (so CORS headers land on every response, errors included) and
/// the removal of every CORS header from responses to origins it did not
/// allow, then the edge middleware (request id, error envelope, security
/// headers, access log), then compression of the final body.
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
        .wrap(from_fn(crate::security::body_deadline::body_deadline))
        .wrap(from_fn(refuse_unstorable_text))
        .wrap(cors)
        .wrap(from_fn(only_for_allowed_origins))
        .wrap(from_fn(edge))
        .wrap(Compress::default())
        .configure(|cfg| routes(cfg, &limits))
        .default_service(web::to(not_found))
}

/// Every route of the service. Routes are registered per resource (not
/// with method macros) so a wrong method on a known path is a 405, not a 404.
///
/// `/api/` is behind the general rate limiter; the routes that check or set
/// a password (register, login, change-password) are also behind the strict
/// one and the bound on concurrent password work (see [`password_route`]);
/// `/ping` and `/health` are never limited.
pub fn routes(cfg: &mut web::ServiceConfig, limits: &RateLimits) {
    cfg.service(web::resource("/ping").route(web::get().to(ops::ping)))
        .service(web::resource("/health").route(web::get().to(ops::health)))
        .service(web::resource("/metrics").route(web::get().to(crate::metrics::metrics_endpoint)))
        .service(
            web::scope("/api")
                .wrap(Governor::new(&limits.general))
                .service(web::resource("").route(web::get().to(ops::index)))
                .service(web::resource("/openapi.json").route(web::get().to(ops::openapi)))
                .configure(docs::routes)
                .service(
                    web::scope("/auth")
                        .service(password_route(limits, "/register", auth::register))
                        .service(password_route(limits, "/login", auth::login))
                        .service(password_route(
                            limits,
                            "/change-password",
                            auth::change_password,
                        ))
                        .service(web::resource("/refresh").route(web::post().to(auth::refresh)))
                        .service(web::resource("/logout").route(web::post().to(auth::logout)))
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
                        .service(
                            web::resource("/me/results").route(web::get().to(shows::my_results)),
                        )
                        .service(
                            web::resource("/me/dashboard")
                                .route(web::get().to(shows::my_dashboard)),
                        )
                        .service(web::resource("/{id}").route(web::get().to(users::get_user)))
                        .service(
                            web::resource("/{id}/role").route(web::patch().to(users::set_role)),
                        ),
                )
                .configure(horse_routes)
                .configure(show_routes),
        );
}

/// A `POST` route that checks or sets a password: charged against the strict
/// budget against password guessing (one set of buckets shared by the three
/// routes), and holding a permit of the password work bound while it runs.
/// Middleware order, outermost first: the strict limiter (a client over its
/// budget never waits for a permit), then the permit.
fn password_route<F, Args>(
    limits: &RateLimits,
    path: &str,
    handler: F,
) -> impl actix_web::dev::HttpServiceFactory + use<F, Args>
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    web::resource(path)
        .route(web::post().to(handler))
        .wrap(from_fn(crate::security::password_work::bounded))
        .wrap(Governor::new(&limits.auth))
}

/// Breeds, disciplines, horses and training (docs/GAME-RULES.md).
fn horse_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/breeds").route(web::get().to(breeds::list_breeds)))
        .service(web::resource("/breeds/{id}").route(web::get().to(breeds::get_breed)))
        .service(web::resource("/disciplines").route(web::get().to(training::disciplines)))
        .service(
            web::resource("/horses")
                .route(web::get().to(horses::list_horses))
                .route(web::post().to(horses::buy_horse).wrap(from_fn(idempotent))),
        )
        .service(
            web::resource("/horses/{id}")
                .route(web::get().to(horses::get_horse))
                .route(web::patch().to(horses::rename_horse))
                .route(web::delete().to(horses::delete_horse)),
        )
        .service(web::resource("/horses/{id}/xp").route(web::get().to(horses::horse_xp)))
        .service(
            web::resource("/horses/{id}/allocate-stat")
                .route(web::post().to(horses::allocate_stat)),
        )
        .service(
            web::resource("/horses/{id}/xp-history").route(web::get().to(horses::horse_xp_history)),
        )
        .service(web::resource("/horses/{id}/results").route(web::get().to(horses::horse_results)))
        .service(
            web::resource("/training/train")
                .route(web::post().to(training::train).wrap(from_fn(idempotent))),
        )
        .service(web::resource("/training/status/{horseId}").route(web::get().to(training::status)))
        .service(web::resource("/training/trainable").route(web::get().to(training::trainable)));
}

/// Shows and leaderboards (docs/GAME-RULES.md); `/api/users/me/{results,dashboard}` sit
/// with the users.
fn show_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/shows")
            .route(web::get().to(shows::list_shows))
            .route(web::post().to(shows::create_show).wrap(from_fn(idempotent))),
    )
    .service(web::resource("/shows/{id}").route(web::get().to(shows::get_show)))
    .service(
        web::resource("/shows/{id}/entries")
            .route(web::get().to(shows::list_entries))
            .route(web::post().to(shows::enter_show).wrap(from_fn(idempotent))),
    )
    .service(web::resource("/shows/{id}/run").route(web::post().to(shows::run_show)))
    .service(web::resource("/shows/{id}/results").route(web::get().to(shows::show_results)))
    .service(web::resource("/leaderboards").route(web::get().to(leaderboards::index)))
    .service(
        web::resource("/leaderboards/players/level")
            .route(web::get().to(leaderboards::players_by_level)),
    )
    .service(
        web::resource("/leaderboards/players/xp").route(web::get().to(leaderboards::players_by_xp)),
    )
    .service(
        web::resource("/leaderboards/horses/earnings")
            .route(web::get().to(leaderboards::horses_by_earnings)),
    )
    .service(
        web::resource("/leaderboards/horses/wins")
            .route(web::get().to(leaderboards::horses_by_wins)),
    )
    .service(
        web::resource("/leaderboards/recent-winners")
            .route(web::get().to(leaderboards::recent_winners)),
    );
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::not_found())
}
