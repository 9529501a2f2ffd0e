//! The OpenAPI document, generated from the handlers' annotations.

use std::sync::OnceLock;

use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, Response, ResponseBuilder, Schema};
use utoipa::{Modify, OpenApi};

use crate::error::ErrorCode;
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
    components(schemas(crate::error::ErrorEnvelope, crate::error::ErrorCode, crate::error::FieldError, horses::PublicHorseDto)),
    modifiers(&BearerAuth, &CommonErrors, &ErrorCodes),
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

/// The name of the extension listing, on each error response of an operation, the codes
/// that operation can answer with that status.
pub const ERROR_CODES_EXTENSION: &str = "x-error-codes";

/// Describes every code on the `ErrorCode` schema (status and meaning), and lists on each
/// error response the codes its operation can answer with that status
/// ([`ERROR_CODES_EXTENSION`]): those of the shared machinery ([`common_codes`]) and those of
/// the operation's own rules ([`OPERATION_CODES`]). A response is added for a code whose
/// status the operation did not document yet.
#[derive(Debug)]
struct ErrorCodes;

/// The codes an operation answers from its own rules, by method and path; the codes every
/// operation of a kind can answer are [`common_codes`].
const OPERATION_CODES: &[(&str, &str, &[ErrorCode])] = {
    use ErrorCode as E;
    &[
        ("get", "/metrics", &[E::NotFound]),
        (
            "post",
            "/api/auth/register",
            &[E::EmailTaken, E::UsernameTaken],
        ),
        ("post", "/api/auth/login", &[E::InvalidCredentials]),
        (
            "post",
            "/api/auth/refresh",
            &[E::InvalidToken, E::TokenReused],
        ),
        ("post", "/api/auth/logout", &[E::InvalidToken]),
        ("post", "/api/auth/change-password", &[E::IncorrectPassword]),
        ("get", "/api/users", &[E::Forbidden]),
        ("patch", "/api/users/{id}/role", &[E::Forbidden]),
        (
            "post",
            "/api/horses",
            &[
                E::InsufficientFunds,
                E::HorseLimitReached,
                E::IdempotencyKeyReused,
                E::InProgress,
            ],
        ),
        ("delete", "/api/horses/{id}", &[E::HorseEntered]),
        (
            "post",
            "/api/horses/{id}/allocate-stat",
            &[E::NoStatPoints, E::StatAtMaximum, E::Conflict],
        ),
        (
            "post",
            "/api/training/train",
            &[
                E::NotFound,
                E::TooYoung,
                E::TooOld,
                E::Injured,
                E::OnCooldown,
                E::DisciplineNotAllowed,
                E::Conflict,
                E::IdempotencyKeyReused,
                E::InProgress,
            ],
        ),
        (
            "post",
            "/api/shows",
            &[
                E::Forbidden,
                E::ShowNameTaken,
                E::IdempotencyKeyReused,
                E::InProgress,
            ],
        ),
        (
            "post",
            "/api/shows/{id}/entries",
            &[
                E::ShowClosed,
                E::AlreadyEntered,
                E::ShowFull,
                E::InsufficientFunds,
                E::DisciplineNotAllowed,
                E::TooOld,
                E::TooYoung,
                E::LevelOutOfRange,
                E::Injured,
                E::IdempotencyKeyReused,
                E::InProgress,
            ],
        ),
        (
            "post",
            "/api/shows/{id}/run",
            &[E::Forbidden, E::AlreadyRun, E::Conflict],
        ),
    ]
};

/// The codes the shared machinery can answer on an operation, by the rules of
/// [`CommonErrors`]; also `NOT_FOUND` where the path names a resource by id.
fn common_codes(path: &str, operation: &Operation) -> Vec<ErrorCode> {
    let mut codes = Vec::new();
    if path.starts_with("/api") {
        codes.extend([ErrorCode::ValidationFailed, ErrorCode::RateLimited]);
    }
    if operation.security.is_some() {
        codes.push(ErrorCode::Unauthorized);
    }
    if path.contains('{') {
        codes.push(ErrorCode::NotFound);
    }
    if operation.request_body.is_some() {
        codes.extend([
            ErrorCode::BadRequest,
            ErrorCode::RequestTimeout,
            ErrorCode::PayloadTooLarge,
            ErrorCode::UnsupportedMediaType,
        ]);
    }
    if PASSWORD_PATHS.contains(&path) {
        codes.push(ErrorCode::ServerBusy);
    }
    if path != "/ping" {
        codes.push(ErrorCode::ServiceUnavailable);
    }
    codes
}

/// Every code `method path` can answer: the shared ones and its own.
fn operation_codes(method: &str, path: &str, operation: &Operation) -> Vec<ErrorCode> {
    let mut codes = common_codes(path, operation);
    let own = OPERATION_CODES
        .iter()
        .filter(|(m, p, _)| *m == method && *p == path)
        .flat_map(|(_, _, codes)| codes.iter().copied());
    codes.extend(own);
    codes.sort();
    codes.dedup();
    codes
}

/// Whether a response's body is the error envelope.
fn is_envelope(response: &Response) -> bool {
    response.content.values().any(|content| match content {
        RefOr::T(content) => matches!(
            &content.schema,
            Some(RefOr::Ref(r)) if r.ref_location.ends_with("/ErrorEnvelope")
        ),
        RefOr::Ref(_) => false,
    })
}

/// An error response carrying the envelope, described by its codes' meanings.
fn envelope_response(codes: &[ErrorCode]) -> Response {
    let description = codes
        .iter()
        .map(|code| format!("{code}: {}", code.meaning()))
        .collect::<Vec<_>>()
        .join("; ");
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            Content::new(Some(Ref::from_schema_name("ErrorEnvelope"))),
        )
        .build()
}

/// Adds the missing responses of `codes` to `operation` and lists on every error response
/// of the envelope the codes answered with its status.
fn annotate(operation: &mut Operation, codes: &[ErrorCode]) {
    let responses = &mut operation.responses.responses;
    for code in codes {
        let status = code.status().as_u16().to_string();
        responses.entry(status).or_insert_with(|| {
            let same: Vec<ErrorCode> = codes
                .iter()
                .copied()
                .filter(|c| c.status() == code.status())
                .collect();
            RefOr::T(envelope_response(&same))
        });
    }
    for (status, response) in responses.iter_mut() {
        let (Ok(status), RefOr::T(response)) = (status.parse::<u16>(), response) else {
            continue;
        };
        if status < 400 || !is_envelope(response) {
            continue;
        }
        let listed: Vec<&str> = codes
            .iter()
            .filter(|c| c.status().as_u16() == status)
            .map(|c| c.as_str())
            .collect();
        let extensions = response.extensions.get_or_insert_with(Extensions::default);
        extensions.insert(ERROR_CODES_EXTENSION.to_owned(), listed.into());
    }
}

/// The description of the `ErrorCode` schema: one line per code with status and meaning.
fn code_list() -> String {
    let lines = ErrorCode::ALL
        .iter()
        .map(|code| format!("- `{code}`, {}: {}", code.status_text(), code.meaning()));
    std::iter::once(
        "The stable code of an error answer; docs/API.md has the same table.".to_owned(),
    )
    .chain(lines)
    .collect::<Vec<_>>()
    .join("\n")
}

impl Modify for ErrorCodes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(RefOr::T(Schema::Object(schema))) = openapi
            .components
            .as_mut()
            .and_then(|c| c.schemas.get_mut("ErrorCode"))
        {
            schema.description = Some(code_list());
        }
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                ("get", &mut item.get),
                ("post", &mut item.post),
                ("put", &mut item.put),
                ("patch", &mut item.patch),
                ("delete", &mut item.delete),
            ];
            for (method, operation) in operations {
                let Some(operation) = operation.as_mut() else {
                    continue;
                };
                let codes = operation_codes(method, path, operation);
                annotate(operation, &codes);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_given_codes_exists() {
        let doc = ApiDoc::openapi();
        for (method, path, _) in OPERATION_CODES {
            let item = doc.paths.paths.get(*path);
            let operation = item.and_then(|item| match *method {
                "get" => item.get.as_ref(),
                "post" => item.post.as_ref(),
                "patch" => item.patch.as_ref(),
                "delete" => item.delete.as_ref(),
                _ => None,
            });
            assert!(operation.is_some(), "no operation {method} {path}");
        }
    }
}
