//! The OpenAPI document, generated from the handlers' annotations.

use std::sync::OnceLock;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
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
    modifiers(&BearerAuth),
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

/// The serialised document, built once per process.
pub fn document_json() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        ApiDoc::openapi()
            .to_json()
            .unwrap_or_else(|err| format!("{{\"error\":\"openapi serialisation failed: {err}\"}}"))
    })
}
