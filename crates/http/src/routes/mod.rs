//! Route handlers, one module per resource, and the mapping of use-case
//! errors to HTTP.

pub mod auth;
pub mod breeds;
pub mod docs;
pub mod horses;
pub mod leaderboards;
pub mod ops;
pub mod shows;
pub mod training;
pub mod users;

use actix_web::http::StatusCode;
use equoria_application::accounts::AccountError;

use crate::ApiError;

/// The one mapping of account errors to status codes.
pub fn account_error(err: AccountError) -> ApiError {
    match err {
        AccountError::DuplicateEmail => ApiError::new(
            StatusCode::CONFLICT,
            "EMAIL_TAKEN",
            "An account with this email already exists.",
        ),
        AccountError::DuplicateUsername => ApiError::new(
            StatusCode::CONFLICT,
            "USERNAME_TAKEN",
            "This username is already taken.",
        ),
        AccountError::InvalidCredentials => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "INVALID_CREDENTIALS",
            "Invalid email or password.",
        ),
        AccountError::WrongCurrentPassword => ApiError::new(
            StatusCode::FORBIDDEN,
            "INCORRECT_PASSWORD",
            "The current password is incorrect.",
        ),
        AccountError::InvalidToken => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "INVALID_TOKEN",
            "The refresh token is invalid, expired or revoked.",
        ),
        AccountError::TokenReused => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "TOKEN_REUSED",
            "This refresh token was already used; the session has been revoked. Log in again.",
        ),
        AccountError::NotFound => ApiError::not_found(),
        AccountError::Internal(cause) => ApiError::internal(cause),
        AccountError::Store(err) => err.into(),
    }
}
