//! The JSON error envelope and the one place where failures become statuses:
//! the generic errors, the errors of the security layer, statuses produced
//! outside the handlers ([`ApiError::from_status`]), and every use case's and
//! domain refusal's error (the `From` impls below), so a handler only writes
//! `?`. Messages about a rule come from the domain's
//! [`ClientMessage`](equoria_domain::ClientMessage), never from texts here.
//!
//! Handlers return `Result<_, ApiError>`. The response body is rendered by
//! the edge middleware (see [`crate::middleware::edge`]), which knows the
//! request id; the internal cause, when there is one, is logged there once
//! and never sent to the client.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use equoria_application::StoreError;
use equoria_application::accounts::AccountError;
use equoria_application::horses::HorseError;
use equoria_application::shows::{CreateShowError, EntryRefusal, RunError, ShowLookupError};
use equoria_application::training::TrainingError;
use equoria_domain::ClientMessage;
use equoria_domain::competition::{COMPETITION_MAX_AGE, COMPETITION_MIN_AGE, EntryIneligible};
use equoria_domain::progression::AllocationRefused;
use equoria_domain::training::Ineligible;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

mod code;

pub use code::ErrorCode;

/// One offending input field of a `VALIDATION_FAILED` error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// JSON path of the field (`email`, `stats.speed`), or `body`.
    pub field: String,
    /// What was expected; never echoes the submitted value.
    pub message: String,
}

/// An error answer: status, stable code, a sentence for humans, optional
/// structured facts, and (server side only) the cause.
///
/// Boxed, so `Result<T, ApiError>` stays one pointer wide on the happy path.
#[derive(Debug, Clone)]
pub struct ApiError(Box<Inner>);

#[derive(Debug, Clone)]
struct Inner {
    status: StatusCode,
    code: ErrorCode,
    message: String,
    details: Option<Value>,
    errors: Vec<FieldError>,
    /// Internal cause for the log; never serialised.
    cause: Option<String>,
}

impl ApiError {
    /// An error with `code`, answered with the code's status.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::with_status(code.status(), code, message)
    }

    /// An error with `code` answered with `status`: only for the catch-all codes, which keep
    /// a status produced outside the handlers (see [`ErrorCode::admits`]).
    fn with_status(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        debug_assert!(
            code.admits(status),
            "{code} is never answered with {status}"
        );
        Self(Box::new(Inner {
            status,
            code,
            message: message.into(),
            details: None,
            errors: Vec::new(),
            cause: None,
        }))
    }

    pub fn not_found() -> Self {
        Self::new(
            ErrorCode::NotFound,
            "The requested resource does not exist.",
        )
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            ErrorCode::MethodNotAllowed,
            "This resource does not support that HTTP method.",
        )
    }

    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            ErrorCode::PayloadTooLarge,
            format!("The request body is larger than the {limit} bytes this API accepts."),
        )
    }

    pub fn unsupported_media_type() -> Self {
        Self::new(
            ErrorCode::UnsupportedMediaType,
            "Request bodies must be JSON sent with Content-Type: application/json.",
        )
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let mut err = Self::new(
            ErrorCode::ValidationFailed,
            "The request is invalid; see errors for each offending field.",
        );
        err.0.errors = errors;
        err
    }

    pub fn service_unavailable(cause: impl Into<String>) -> Self {
        Self::new(
            ErrorCode::ServiceUnavailable,
            "The service cannot reach its database right now; retry shortly.",
        )
        .with_cause(cause)
    }

    pub fn internal(cause: impl Into<String>) -> Self {
        Self::new(
            ErrorCode::InternalError,
            "An unexpected error occurred; it has been logged.",
        )
        .with_cause(cause)
    }

    /// 401 `UNAUTHORIZED`: no usable access token; `message` says what was wrong with it.
    pub fn unauthorized(message: &str) -> Self {
        Self::new(ErrorCode::Unauthorized, message)
    }

    /// 403 `FORBIDDEN`: an admin route called by a player who is not an admin.
    pub fn admin_only() -> Self {
        Self::new(ErrorCode::Forbidden, "This action requires the admin role.")
    }

    /// 503 `SERVER_BUSY`: no password-hashing slot was free in time.
    pub fn server_busy() -> Self {
        Self::new(
            ErrorCode::ServerBusy,
            "Too many password checks are in progress; retry after the time given in Retry-After.",
        )
    }

    /// 408 `REQUEST_TIMEOUT`: the body did not arrive within `limit`.
    pub fn request_timeout(limit: Duration) -> Self {
        Self::new(
            ErrorCode::RequestTimeout,
            format!(
                "The request body did not arrive within {} ms.",
                limit.as_millis()
            ),
        )
    }

    /// 400 `VALIDATION_FAILED` naming one field.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError {
            field: field.to_owned(),
            message: message.into(),
        }])
    }

    /// 409 `IDEMPOTENCY_KEY_REUSED`: the `Idempotency-Key` was used before for a different
    /// request (another method, path or body).
    pub fn idempotency_key_reused() -> Self {
        Self::new(
            ErrorCode::IdempotencyKeyReused,
            "This Idempotency-Key was already used for a different request; use a new key.",
        )
    }

    /// 409 `IN_PROGRESS`: another request with the same `Idempotency-Key` is still running.
    pub fn idempotency_in_progress() -> Self {
        Self::new(
            ErrorCode::InProgress,
            "A request with this Idempotency-Key is still being processed; retry shortly.",
        )
    }

    /// 404 for a show that does not exist.
    pub fn show_not_found() -> Self {
        Self::new(ErrorCode::NotFound, "The show does not exist.")
    }

    /// A refusal by a game rule: `status`, the rule's stable `code`, and the domain's client
    /// message.
    fn refused(code: ErrorCode, reason: &impl ClientMessage) -> Self {
        Self::new(code, reason.client_message())
    }

    /// The generic error for a status produced outside our handlers (the
    /// router, an extractor, a middleware).
    pub fn from_status(status: StatusCode) -> Self {
        match status {
            StatusCode::NOT_FOUND => Self::not_found(),
            StatusCode::METHOD_NOT_ALLOWED => Self::method_not_allowed(),
            StatusCode::PAYLOAD_TOO_LARGE => Self::new(
                ErrorCode::PayloadTooLarge,
                "The request body is larger than this API accepts.",
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::unsupported_media_type(),
            StatusCode::TOO_MANY_REQUESTS => Self::new(
                ErrorCode::RateLimited,
                "Too many requests; retry after the time given in Retry-After.",
            ),
            StatusCode::UNAUTHORIZED => {
                Self::new(ErrorCode::Unauthorized, "Authentication is required.")
            }
            StatusCode::FORBIDDEN => {
                Self::new(ErrorCode::Forbidden, "You are not allowed to do this.")
            }
            StatusCode::SERVICE_UNAVAILABLE => Self::new(
                ErrorCode::ServiceUnavailable,
                "The service is temporarily unavailable; retry shortly.",
            ),
            s if s.is_client_error() => Self::with_status(
                s,
                ErrorCode::BadRequest,
                "The request could not be processed.",
            ),
            s if s.is_server_error() => Self::with_status(
                s,
                ErrorCode::InternalError,
                "An unexpected error occurred; it has been logged.",
            ),
            _ => Self::internal(format!("error answer with the non-error status {status}")),
        }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.0.details = Some(details);
        self
    }

    pub fn with_cause(mut self, cause: impl Into<String>) -> Self {
        self.0.cause = Some(cause.into());
        self
    }

    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    pub fn code(&self) -> ErrorCode {
        self.0.code
    }

    pub fn cause(&self) -> Option<&str> {
        self.0.cause.as_deref()
    }

    /// The body clients receive.
    pub fn envelope<'a>(&'a self, request_id: &'a str) -> ErrorEnvelope<'a> {
        ErrorEnvelope {
            success: false,
            code: self.0.code,
            message: &self.0.message,
            request_id,
            details: self.0.details.as_ref(),
            errors: (!self.0.errors.is_empty()).then_some(&self.0.errors),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.0.status.as_u16(),
            self.0.code,
            self.0.message
        )
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.0.status
    }

    /// A bare response carrying only the status; the edge middleware finds
    /// this error on it and renders the envelope with the request id.
    fn error_response(&self) -> HttpResponse {
        HttpResponse::new(self.0.status)
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable(cause) => Self::service_unavailable(cause),
            StoreError::NotFound => Self::not_found(),
            StoreError::Conflict { constraint } => Self::new(
                ErrorCode::Conflict,
                "The request conflicts with the current state of the resource.",
            )
            .with_cause(format!("unique constraint {constraint}")),
            StoreError::Contention => Self::new(
                ErrorCode::Conflict,
                "The resource changed while the request ran; retry.",
            ),
            StoreError::Other(cause) => Self::internal(cause),
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(err: AccountError) -> Self {
        match err {
            AccountError::DuplicateEmail => Self::new(
                ErrorCode::EmailTaken,
                "An account with this email already exists.",
            ),
            AccountError::DuplicateUsername => {
                Self::new(ErrorCode::UsernameTaken, "This username is already taken.")
            }
            AccountError::InvalidCredentials => {
                Self::new(ErrorCode::InvalidCredentials, "Invalid email or password.")
            }
            AccountError::WrongCurrentPassword => Self::new(
                ErrorCode::IncorrectPassword,
                "The current password is incorrect.",
            ),
            AccountError::InvalidToken => Self::new(
                ErrorCode::InvalidToken,
                "The refresh token is invalid, expired or revoked.",
            ),
            AccountError::TokenReused => Self::new(
                ErrorCode::TokenReused,
                "This refresh token was already used; the session has been revoked. Log in again.",
            ),
            AccountError::NotFound => Self::not_found(),
            AccountError::Internal(cause) => Self::internal(cause),
            AccountError::Store(err) => err.into(),
        }
    }
}

impl From<HorseError> for ApiError {
    fn from(err: HorseError) -> Self {
        match err {
            HorseError::NotFound | HorseError::BreedNotFound => Self::not_found(),
            HorseError::UnknownBreed => Self::invalid_field(
                "breedId",
                "does not name a known breed (see GET /api/breeds)",
            ),
            HorseError::InsufficientFunds { price } => Self::new(
                ErrorCode::InsufficientFunds,
                format!("You do not have enough money: a horse costs {price} coins."),
            )
            .with_details(json!({ "price": price })),
            HorseError::HorseLimitReached { limit } => Self::new(
                ErrorCode::HorseLimitReached,
                format!("You already own the maximum of {limit} horses."),
            )
            .with_details(json!({ "limit": limit })),
            HorseError::Entered => Self::new(
                ErrorCode::HorseEntered,
                "The horse is entered in a show that has not run yet; it can be deleted once the show has run.",
            ),
            HorseError::Allocation(reason) => reason.into(),
            HorseError::Store(err) => err.into(),
        }
    }
}

/// The code of a refused stat point.
pub const fn allocation_code(reason: &AllocationRefused) -> ErrorCode {
    match reason {
        AllocationRefused::NoPointsAvailable => ErrorCode::NoStatPoints,
        AllocationRefused::StatAtMaximum { .. } => ErrorCode::StatAtMaximum,
    }
}

/// The code of a training refusal.
pub const fn training_code(reason: &Ineligible) -> ErrorCode {
    match reason {
        Ineligible::TooYoung { .. } => ErrorCode::TooYoung,
        Ineligible::TooOld { .. } => ErrorCode::TooOld,
        Ineligible::Injured => ErrorCode::Injured,
        Ineligible::OnCooldown { .. } => ErrorCode::OnCooldown,
        Ineligible::DisciplineNotAllowed => ErrorCode::DisciplineNotAllowed,
    }
}

/// The code of a show entry refused by the horse-side rules.
pub const fn entry_code(reason: &EntryIneligible) -> ErrorCode {
    match reason {
        EntryIneligible::DisciplineNotAllowed => ErrorCode::DisciplineNotAllowed,
        EntryIneligible::TooOld { .. } => ErrorCode::TooOld,
        EntryIneligible::TooYoung { .. } => ErrorCode::TooYoung,
        EntryIneligible::LevelOutOfRange { .. } => ErrorCode::LevelOutOfRange,
        EntryIneligible::Injured => ErrorCode::Injured,
    }
}

impl From<AllocationRefused> for ApiError {
    fn from(reason: AllocationRefused) -> Self {
        Self::refused(allocation_code(&reason), &reason)
    }
}

impl From<TrainingError> for ApiError {
    fn from(err: TrainingError) -> Self {
        match err {
            TrainingError::NotFound => Self::not_found(),
            TrainingError::Ineligible(reason) => reason.into(),
            TrainingError::Store(err) => err.into(),
        }
    }
}

/// A training refusal: 422 with the reason as `code`, and the facts a client needs to act on
/// it in `details`.
impl From<Ineligible> for ApiError {
    fn from(reason: Ineligible) -> Self {
        let err = Self::refused(training_code(&reason), &reason);
        match reason {
            Ineligible::OnCooldown { until } => {
                err.with_details(json!({ "nextEligibleAt": until.to_rfc3339() }))
            }
            Ineligible::TooOld { age } | Ineligible::TooYoung { age } => {
                err.with_details(json!({ "age": age }))
            }
            Ineligible::Injured | Ineligible::DisciplineNotAllowed => err,
        }
    }
}

impl From<ShowLookupError> for ApiError {
    fn from(err: ShowLookupError) -> Self {
        match err {
            ShowLookupError::NotFound => Self::show_not_found(),
            ShowLookupError::Store(e) => e.into(),
        }
    }
}

impl From<CreateShowError> for ApiError {
    fn from(err: CreateShowError) -> Self {
        match err {
            CreateShowError::DuplicateName => Self::new(
                ErrorCode::ShowNameTaken,
                "A show with this name already exists.",
            ),
            CreateShowError::Store(e) => e.into(),
        }
    }
}

impl From<EntryRefusal> for ApiError {
    fn from(err: EntryRefusal) -> Self {
        match err {
            EntryRefusal::ShowNotFound => Self::show_not_found(),
            EntryRefusal::HorseNotFound => {
                Self::new(ErrorCode::NotFound, "You have no horse with this id.")
            }
            EntryRefusal::ShowClosed => Self::new(
                ErrorCode::ShowClosed,
                "This show no longer accepts entries.",
            ),
            EntryRefusal::AlreadyEntered => Self::new(
                ErrorCode::AlreadyEntered,
                "This horse is already entered in this show.",
            ),
            EntryRefusal::ShowFull => Self::new(
                ErrorCode::ShowFull,
                "This show has reached its maximum number of entries.",
            ),
            EntryRefusal::Ineligible(reason) => reason.into(),
            EntryRefusal::InsufficientFunds { fee, balance } => Self::new(
                ErrorCode::InsufficientFunds,
                "Your balance does not cover the entry fee.",
            )
            .with_details(json!({"entryFee": fee.coins(), "money": balance.coins()})),
            EntryRefusal::Store(e) => e.into(),
        }
    }
}

/// A show entry refused by the horse-side rules: 422 with the reason as `code`, and the bounds
/// the horse missed in `details`.
impl From<EntryIneligible> for ApiError {
    fn from(reason: EntryIneligible) -> Self {
        let details = match reason {
            EntryIneligible::TooOld { age } | EntryIneligible::TooYoung { age } => {
                json!({"age": age, "minAge": COMPETITION_MIN_AGE, "maxAge": COMPETITION_MAX_AGE})
            }
            EntryIneligible::LevelOutOfRange { level, min, max } => {
                json!({"level": level.get(), "minLevel": min.get(), "maxLevel": max.get()})
            }
            EntryIneligible::DisciplineNotAllowed | EntryIneligible::Injured => json!({}),
        };
        Self::refused(entry_code(&reason), &reason).with_details(details)
    }
}

impl From<RunError> for ApiError {
    fn from(err: RunError) -> Self {
        match err {
            RunError::NotFound => Self::show_not_found(),
            RunError::AlreadyRun => Self::new(ErrorCode::AlreadyRun, "This show has already run."),
            RunError::Busy => Self::new(
                ErrorCode::Conflict,
                "The show is being run right now; retry.",
            ),
            RunError::Store(e) => e.into(),
        }
    }
}

/// Wire shape of every error response.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorEnvelope<'a> {
    /// Always `false`.
    pub success: bool,
    /// Stable code, one of [`ErrorCode`]; docs/API.md lists each with its status and meaning.
    pub code: ErrorCode,
    /// A sentence for humans; never contains internals or submitted values.
    pub message: &'a str,
    /// Equals the `X-Request-Id` response header.
    pub request_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub details: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<&'a Vec<FieldError>>,
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use equoria_domain::Stat;
    use equoria_domain::progression::Level;

    use super::*;

    #[test]
    fn domain_refusals_keep_the_domains_code_names() {
        let level = Level::ONE;
        let allocations = [
            AllocationRefused::NoPointsAvailable,
            AllocationRefused::StatAtMaximum { stat: Stat::ALL[0] },
        ];
        for reason in allocations {
            assert_eq!(allocation_code(&reason).as_str(), reason.code());
        }
        let trainings = [
            Ineligible::DisciplineNotAllowed,
            Ineligible::TooOld { age: 21 },
            Ineligible::TooYoung { age: 2 },
            Ineligible::Injured,
            Ineligible::OnCooldown { until: Utc::now() },
        ];
        for reason in trainings {
            assert_eq!(training_code(&reason).as_str(), reason.code());
        }
        let entries = [
            EntryIneligible::DisciplineNotAllowed,
            EntryIneligible::TooOld { age: 22 },
            EntryIneligible::TooYoung { age: 2 },
            EntryIneligible::LevelOutOfRange {
                level,
                min: level,
                max: level,
            },
            EntryIneligible::Injured,
        ];
        for reason in entries {
            assert_eq!(entry_code(&reason).as_str(), reason.code());
        }
    }

    #[test]
    fn every_error_carries_a_status_its_code_admits() {
        let errors = [
            ApiError::not_found(),
            ApiError::method_not_allowed(),
            ApiError::payload_too_large(1),
            ApiError::unsupported_media_type(),
            ApiError::validation(Vec::new()),
            ApiError::service_unavailable("down"),
            ApiError::internal("bug"),
            ApiError::unauthorized("no token"),
            ApiError::admin_only(),
            ApiError::server_busy(),
            ApiError::request_timeout(Duration::from_millis(1)),
            ApiError::show_not_found(),
        ];
        let statuses = (400..600).filter_map(|n| StatusCode::from_u16(n).ok());
        let from_statuses = statuses.map(ApiError::from_status);
        for err in errors.into_iter().chain(from_statuses) {
            assert!(err.code().admits(err.status()), "{err}");
        }
    }

    #[test]
    fn statuses_outside_the_handlers_keep_their_status() {
        let teapot = ApiError::from_status(StatusCode::IM_A_TEAPOT);
        assert_eq!(
            (teapot.status(), teapot.code()),
            (StatusCode::IM_A_TEAPOT, ErrorCode::BadRequest)
        );
        let gateway = ApiError::from_status(StatusCode::BAD_GATEWAY);
        assert_eq!(
            (gateway.status(), gateway.code()),
            (StatusCode::BAD_GATEWAY, ErrorCode::InternalError)
        );
        let throttled = ApiError::from_status(StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(throttled.code(), ErrorCode::RateLimited);
    }
}
