//! The OpenAPI document, generated from the handlers' annotations.

use std::sync::OnceLock;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::routes::{auth, breeds, horses, leaderboards, ops, shows, training, users};

#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "Equoria API", description = "Horse breeding, training and competition game backend."),
    paths(
        ops::ping, ops::health, ops::index, ops::openapi, crate::metrics::metrics_endpoint,
        auth::register, auth::login, auth::refresh, auth::logout, auth::change_password, auth::me, auth::update_me,
        users::list_users, users::get_user, users::my_progress, users::my_xp_history, users::my_transactions,
        users::set_role,
        breeds::list_breeds, breeds::get_breed,
        horses::buy_horse, horses::list_horses, horses::get_horse, horses::rename_horse, horses::delete_horse,
        horses::horse_xp, horses::allocate_stat, horses::horse_xp_history, horses::horse_results,
        training::train, training::status, training::trainable, training::disciplines,
        shows::create_show, shows::list_shows, shows::get_show, shows::list_entries, shows::enter_show,
        shows::run_show, shows::show_results, shows::my_results, shows::my_dashboard,
        leaderboards::index, leaderboards::players_by_level, leaderboards::players_by_xp,
        leaderboards::horses_by_earnings, leaderboards::horses_by_wins, leaderboards::recent_winners,
    ),
    components(schemas(crate::error::ErrorEnvelope, crate::error::FieldError, horses::PublicHorseDto)),
    modifiers(&BearerAuth, &CommonErrors),
    tags(
        (name = "operations", description = "Liveness, readiness and discovery"),
        (name = "auth", description = "Registration, login and tokens"),
        (name = "users", description = "Players, progression and history"),
        (name = "breeds", description = "Breeds and their mean starting stats (public, cacheable)"),
        (name = "horses", description = "Buying, viewing and managing horses; horse XP, stat points and results"),
        (name = "training", description = "Training sessions, eligibility and the disciplines"),
        (name = "shows", description = "Shows: creation, entries, runs and results"),
        (name = "leaderboards", description = "Public rankings (paginated, cacheable)"),
    )
)]
pub struct ApiDoc;

/// Declares the `bearer` scheme the secured routes refer to.
#[derive(Debug)]
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Documents the error answers the shared machinery can give on any
/// operation, next to each operation's own: 400 (malformed parameters or
/// body) and 429 (rate limit) on `/api` routes, 401 on authenticated ones,
/// 408, 413 and 415 where a JSON body is read, and 503 wherever the database
/// is involved (everything but `/ping`; also `SERVER_BUSY` on the password
/// routes).
#[derive(Debug)]
struct CommonErrors;

/// The routes behind the bound on concurrent password work.
const PASSWORD_PATHS: [&str; 3] = [
    "/api/auth/register",
    "/api/auth/login",
    "/api/auth/change-password",
];

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                let mut add = |code: &str, description: &str| {
                    operation
                        .responses
                        .responses
                        .entry(code.to_owned())
                        .or_insert_with(|| {
                            RefOr::T(
                                ResponseBuilder::new()
                                    .description(description)
                                    .content(
                                        "application/json",
                                        Content::new(Some(Ref::from_schema_name("ErrorEnvelope"))),
                                    )
                                    .build(),
                            )
                        });
                };
                if path.starts_with("/api") {
                    add("400", "Invalid parameters or body (VALIDATION_FAILED)");
                    add("429", "Rate limited (RATE_LIMITED), see Retry-After");
                }
                if operation.security.is_some() {
                    add(
                        "401",
                        "Missing, invalid or expired access token (UNAUTHORIZED)",
                    );
                }
                if operation.request_body.is_some() {
                    add("408", "Body did not arrive in time (REQUEST_TIMEOUT)");
                    add("413", "Body larger than the limit (PAYLOAD_TOO_LARGE)");
                    add("415", "Body is not JSON (UNSUPPORTED_MEDIA_TYPE)");
                }
                if PASSWORD_PATHS.contains(&path.as_str()) {
                    add(
                        "503",
                        "Too many password checks in progress (SERVER_BUSY, see Retry-After), \
                         or database unavailable (SERVICE_UNAVAILABLE)",
                    );
                }
                if path != "/ping" {
                    add(
                        "503",
                        "Database unavailable or pool exhausted (SERVICE_UNAVAILABLE)",
                    );
                }
            }
        }
    }
}

/// The serialised document, built once per process.
pub fn document_json() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        ApiDoc::openapi()
            .to_json()
            .unwrap_or_else(|err| format!("{{\"error\":\"openapi serialisation failed: {err}\"}}"))
    })
}
