//! The JSON error envelope, the generic errors, and the mapping of store
//! failures and of statuses produced outside the handlers to that envelope.
//! Each route module maps its own use case's errors to an `ApiError`.
//!
//! Handlers return `Result<_, ApiError>`. The response body is rendered by
//! the edge middleware (see [`crate::middleware::edge`]), which knows the
//! request id; the internal cause, when there is one, is logged there once
//! and never sent to the client.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use equoria_application::StoreError;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

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
    code: &'static str,
    message: String,
    details: Option<Value>,
    errors: Vec<FieldError>,
    /// Internal cause for the log; never serialised.
    cause: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
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
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "The requested resource does not exist.",
        )
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "This resource does not support that HTTP method.",
        )
    }

    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            format!("The request body is larger than the {limit} bytes this API accepts."),
        )
    }

    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "Request bodies must be JSON sent with Content-Type: application/json.",
        )
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let mut err = Self::new(
            StatusCode::BAD_REQUEST,
            "VALIDATION_FAILED",
            "The request is invalid; see errors for each offending field.",
        );
        err.0.errors = errors;
        err
    }

    pub fn service_unavailable(cause: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            "The service cannot reach its database right now; retry shortly.",
        )
        .with_cause(cause)
    }

    pub fn internal(cause: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_ERROR",
            "An unexpected error occurred; it has been logged.",
        )
        .with_cause(cause)
    }

    /// The generic error for a status produced outside our handlers (the
    /// router, an extractor, a middleware).
    pub fn from_status(status: StatusCode) -> Self {
        match status {
            StatusCode::NOT_FOUND => Self::not_found(),
            StatusCode::METHOD_NOT_ALLOWED => Self::method_not_allowed(),
            StatusCode::PAYLOAD_TOO_LARGE => Self::new(
                status,
                "PAYLOAD_TOO_LARGE",
                "The request body is larger than this API accepts.",
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::unsupported_media_type(),
            StatusCode::TOO_MANY_REQUESTS => Self::new(
                status,
                "RATE_LIMITED",
                "Too many requests; retry after the time given in Retry-After.",
            ),
            StatusCode::UNAUTHORIZED => {
                Self::new(status, "UNAUTHORIZED", "Authentication is required.")
            }
            StatusCode::FORBIDDEN => {
                Self::new(status, "FORBIDDEN", "You are not allowed to do this.")
            }
            StatusCode::SERVICE_UNAVAILABLE => Self::new(
                status,
                "SERVICE_UNAVAILABLE",
                "The service is temporarily unavailable; retry shortly.",
            ),
            s if s.is_client_error() => {
                Self::new(s, "BAD_REQUEST", "The request could not be processed.")
            }
            s => Self::new(
                s,
                "INTERNAL_ERROR",
                "An unexpected error occurred; it has been logged.",
            ),
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

    pub fn code(&self) -> &'static str {
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
                StatusCode::CONFLICT,
                "CONFLICT",
                "The request conflicts with the current state of the resource.",
            )
            .with_cause(format!("unique constraint {constraint}")),
            StoreError::Contention => Self::new(
                StatusCode::CONFLICT,
                "CONFLICT",
                "The resource changed while the request ran; retry.",
            ),
            StoreError::Other(cause) => Self::internal(cause),
        }
    }
}

/// Wire shape of every error response.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorEnvelope<'a> {
    /// Always `false`.
    pub success: bool,
    /// Stable UPPER_SNAKE code, e.g. `NOT_FOUND`, `VALIDATION_FAILED`.
    pub code: &'a str,
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
