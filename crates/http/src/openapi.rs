//! The OpenAPI document, generated from the handlers' annotations.

use std::sync::OnceLock;

use utoipa::OpenApi;

use crate::routes::ops;

#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "Equoria API", description = "Horse breeding, training and competition game backend."),
    paths(ops::ping, ops::health, ops::index, ops::openapi),
    components(schemas(crate::error::ErrorEnvelope, crate::error::FieldError)),
    tags((name = "operations", description = "Liveness, readiness and discovery"))
)]
pub struct ApiDoc;

/// The serialised document, built once per process.
pub fn document_json() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        ApiDoc::openapi()
            .to_json()
            .unwrap_or_else(|err| format!("{{\"error\":\"openapi serialisation failed: {err}\"}}"))
    })
}
