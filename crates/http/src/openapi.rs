//! The OpenAPI document, generated from the handlers' annotations.

use std::sync::OnceLock;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{auth, ops, users};

#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "Equoria API", description = "Horse breeding, training and competition game backend."),
    paths(
        ops::ping, ops::health, ops::index, ops::openapi,
        auth::register, auth::login, auth::refresh, auth::logout, auth::change_password, auth::me, auth::update_me,
        users::list_users, users::get_user, users::my_progress, users::my_xp_history, users::my_transactions,
        users::set_role,
    ),
    components(schemas(crate::error::ErrorEnvelope, crate::error::FieldError)),
    modifiers(&BearerAuth),
    tags(
        (name = "operations", description = "Liveness, readiness and discovery"),
        (name = "auth", description = "Registration, login and tokens"),
        (name = "users", description = "Players, progression and history"),
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
