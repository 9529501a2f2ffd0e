//! [`ErrorCode`]: every `code` an error answer can carry, with its status and meaning.
//!
//! The table of codes in `docs/API.md` lists exactly these, with the same statuses and
//! meanings (checked by `crates/http/tests/error_codes.rs`).

use std::fmt;

use actix_web::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

/// The stable code of an error answer, serialised as its SCREAMING_SNAKE_CASE name.
///
/// Each code is answered with one status ([`ErrorCode::status`]); only `BAD_REQUEST` and
/// `INTERNAL_ERROR`, the codes of statuses produced outside the handlers, also keep any other
/// status of their class ([`ErrorCode::admits`]). [`ErrorCode::meaning`] says when it is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// 400: a body field or query parameter is invalid; each is listed in `errors`.
    ValidationFailed,
    /// 400 (also another 4xx): a client error produced outside the handlers.
    BadRequest,
    /// 401: no usable access token.
    Unauthorized,
    /// 401: wrong email or password at login.
    InvalidCredentials,
    /// 401: refresh token invalid, expired or revoked.
    InvalidToken,
    /// 401: a refresh token presented a second time.
    TokenReused,
    /// 403: an admin route called by a non-admin.
    Forbidden,
    /// 403: wrong current password on change-password.
    IncorrectPassword,
    /// 404: unknown route or resource.
    NotFound,
    /// 405: the route exists, the method does not.
    MethodNotAllowed,
    /// 408: the body did not arrive in time.
    RequestTimeout,
    /// 409: registration with a taken email.
    EmailTaken,
    /// 409: registration with a taken username.
    UsernameTaken,
    /// 409: deleting a horse entered in a show that has not run.
    HorseEntered,
    /// 409: creating a show whose name exists.
    ShowNameTaken,
    /// 409: entering a show that no longer accepts entries.
    ShowClosed,
    /// 409: entering a horse twice in one show.
    AlreadyEntered,
    /// 409: entering a show that is full.
    ShowFull,
    /// 409: running a show that has run.
    AlreadyRun,
    /// 409: a show being run right now, or a row changed under the request.
    Conflict,
    /// 409: an `Idempotency-Key` the caller already used for a different request.
    IdempotencyKeyReused,
    /// 409: a request with the same `Idempotency-Key` is still running.
    InProgress,
    /// 413: body over the limit.
    PayloadTooLarge,
    /// 415: a body that is not JSON.
    UnsupportedMediaType,
    /// 422: not enough money for a horse or an entry fee.
    InsufficientFunds,
    /// 422: buying beyond the horse limit.
    HorseLimitReached,
    /// 422: spending a stat point the horse does not have.
    NoStatPoints,
    /// 422: spending a stat point on a stat at its maximum.
    StatAtMaximum,
    /// 422: training or entry in a discipline the breed may not do.
    DisciplineNotAllowed,
    /// 422: training or entry refused, the horse is too old.
    TooOld,
    /// 422: training or entry refused, the horse is too young.
    TooYoung,
    /// 422: show entry refused, the horse's level is outside the show's range.
    LevelOutOfRange,
    /// 422: training or entry refused, the horse is injured.
    Injured,
    /// 422: training refused, the horse trained too recently.
    OnCooldown,
    /// 429: over a rate limit.
    RateLimited,
    /// 500 (also another 5xx): a bug.
    InternalError,
    /// 503: the database cannot be reached.
    ServiceUnavailable,
    /// 503: no password-hashing slot free in time.
    ServerBusy,
}

/// What is known about one code: its wire name, status and meaning.
struct Info {
    name: &'static str,
    status: StatusCode,
    /// Whether other statuses of the same class (4xx, 5xx) are answered with this code too.
    whole_class: bool,
    meaning: &'static str,
}

const fn info(name: &'static str, status: StatusCode, meaning: &'static str) -> Info {
    Info {
        name,
        status,
        whole_class: false,
        meaning,
    }
}

const fn class_info(name: &'static str, status: StatusCode, meaning: &'static str) -> Info {
    Info {
        name,
        status,
        whole_class: true,
        meaning,
    }
}

impl ErrorCode {
    /// Every code, in the order of `docs/API.md`'s table.
    pub const ALL: [ErrorCode; 38] = [
        Self::ValidationFailed,
        Self::BadRequest,
        Self::Unauthorized,
        Self::InvalidCredentials,
        Self::InvalidToken,
        Self::TokenReused,
        Self::Forbidden,
        Self::IncorrectPassword,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::RequestTimeout,
        Self::EmailTaken,
        Self::UsernameTaken,
        Self::HorseEntered,
        Self::ShowNameTaken,
        Self::ShowClosed,
        Self::AlreadyEntered,
        Self::ShowFull,
        Self::AlreadyRun,
        Self::Conflict,
        Self::IdempotencyKeyReused,
        Self::InProgress,
        Self::PayloadTooLarge,
        Self::UnsupportedMediaType,
        Self::InsufficientFunds,
        Self::HorseLimitReached,
        Self::NoStatPoints,
        Self::StatAtMaximum,
        Self::DisciplineNotAllowed,
        Self::TooOld,
        Self::TooYoung,
        Self::LevelOutOfRange,
        Self::Injured,
        Self::OnCooldown,
        Self::RateLimited,
        Self::InternalError,
        Self::ServiceUnavailable,
        Self::ServerBusy,
    ];

    /// The one table of name, status and meaning.
    const fn info(self) -> Info {
        use StatusCode as S;
        match self {
            Self::ValidationFailed => info(
                "VALIDATION_FAILED",
                S::BAD_REQUEST,
                "a body field or query parameter is invalid, missing, of the wrong type or unknown (each listed in `errors`; a body that is not a JSON object, or not JSON at all, is reported on `body`); also a NUL character anywhere in a path segment, query parameter or body field",
            ),
            Self::BadRequest => class_info(
                "BAD_REQUEST",
                S::BAD_REQUEST,
                "any other client error produced outside the handlers (e.g. a body stream that breaks off); such an error keeps its own 4xx status",
            ),
            Self::Unauthorized => info(
                "UNAUTHORIZED",
                S::UNAUTHORIZED,
                "no, malformed, expired or wrong-kind access token",
            ),
            Self::InvalidCredentials => info(
                "INVALID_CREDENTIALS",
                S::UNAUTHORIZED,
                "wrong email or password at login (an unknown email answers the same)",
            ),
            Self::InvalidToken => info(
                "INVALID_TOKEN",
                S::UNAUTHORIZED,
                "refresh token invalid, expired or revoked, or lost a concurrent refresh",
            ),
            Self::TokenReused => info(
                "TOKEN_REUSED",
                S::UNAUTHORIZED,
                "a refresh token presented a second time; its whole family is revoked",
            ),
            Self::Forbidden => info(
                "FORBIDDEN",
                S::FORBIDDEN,
                "an admin route called by a non-admin",
            ),
            Self::IncorrectPassword => info(
                "INCORRECT_PASSWORD",
                S::FORBIDDEN,
                "wrong current password on change-password",
            ),
            Self::NotFound => info(
                "NOT_FOUND",
                S::NOT_FOUND,
                "unknown route or resource; also another player's horse on owner-only routes, and any path id that is not a positive whole number",
            ),
            Self::MethodNotAllowed => info(
                "METHOD_NOT_ALLOWED",
                S::METHOD_NOT_ALLOWED,
                "the route exists, the method does not",
            ),
            Self::RequestTimeout => info(
                "REQUEST_TIMEOUT",
                S::REQUEST_TIMEOUT,
                "the body did not arrive in time",
            ),
            Self::EmailTaken => info(
                "EMAIL_TAKEN",
                S::CONFLICT,
                "registration with a taken email",
            ),
            Self::UsernameTaken => info(
                "USERNAME_TAKEN",
                S::CONFLICT,
                "registration with a taken username",
            ),
            Self::HorseEntered => info(
                "HORSE_ENTERED",
                S::CONFLICT,
                "deleting a horse entered in a show that has not run",
            ),
            Self::ShowNameTaken => info(
                "SHOW_NAME_TAKEN",
                S::CONFLICT,
                "creating a show whose name exists",
            ),
            Self::ShowClosed => info(
                "SHOW_CLOSED",
                S::CONFLICT,
                "entry refused: the show no longer accepts entries",
            ),
            Self::AlreadyEntered => info(
                "ALREADY_ENTERED",
                S::CONFLICT,
                "entry refused: the horse is already entered in this show",
            ),
            Self::ShowFull => info(
                "SHOW_FULL",
                S::CONFLICT,
                "entry refused: the show has reached its maximum number of entries",
            ),
            Self::AlreadyRun => info("ALREADY_RUN", S::CONFLICT, "running a show that has run"),
            Self::Conflict => info(
                "CONFLICT",
                S::CONFLICT,
                "a show being run right now, or a row changed under the request (retry)",
            ),
            Self::IdempotencyKeyReused => info(
                "IDEMPOTENCY_KEY_REUSED",
                S::CONFLICT,
                "an `Idempotency-Key` already used by the caller for a different request (see \"Idempotency keys\")",
            ),
            Self::InProgress => info(
                "IN_PROGRESS",
                S::CONFLICT,
                "a request with the same `Idempotency-Key` is still running after 5 s of waiting for it; retry",
            ),
            Self::PayloadTooLarge => info(
                "PAYLOAD_TOO_LARGE",
                S::PAYLOAD_TOO_LARGE,
                "body over the limit",
            ),
            Self::UnsupportedMediaType => info(
                "UNSUPPORTED_MEDIA_TYPE",
                S::UNSUPPORTED_MEDIA_TYPE,
                "a body that is not JSON",
            ),
            Self::InsufficientFunds => info(
                "INSUFFICIENT_FUNDS",
                S::UNPROCESSABLE_ENTITY,
                "buying a horse (`details.price`) or paying an entry fee (`details.entryFee`, `details.money`)",
            ),
            Self::HorseLimitReached => info(
                "HORSE_LIMIT_REACHED",
                S::UNPROCESSABLE_ENTITY,
                "buying beyond 100 horses (`details.limit`)",
            ),
            Self::NoStatPoints => info(
                "NO_STAT_POINTS",
                S::UNPROCESSABLE_ENTITY,
                "spending a stat point when the horse has none",
            ),
            Self::StatAtMaximum => info(
                "STAT_AT_MAXIMUM",
                S::UNPROCESSABLE_ENTITY,
                "spending a stat point on a stat already at its maximum",
            ),
            Self::DisciplineNotAllowed => info(
                "DISCIPLINE_NOT_ALLOWED",
                S::UNPROCESSABLE_ENTITY,
                "training or show entry in a discipline the horse's breed may not do",
            ),
            Self::TooOld => info(
                "TOO_OLD",
                S::UNPROCESSABLE_ENTITY,
                "training or show entry refused: the horse is too old (`details.age`; for entries also `details.minAge`, `details.maxAge`)",
            ),
            Self::TooYoung => info(
                "TOO_YOUNG",
                S::UNPROCESSABLE_ENTITY,
                "training or show entry refused: the horse is too young (`details.age`; for entries also `details.minAge`, `details.maxAge`)",
            ),
            Self::LevelOutOfRange => info(
                "LEVEL_OUT_OF_RANGE",
                S::UNPROCESSABLE_ENTITY,
                "show entry refused: the horse's level is outside the show's range (`details.level`, `details.minLevel`, `details.maxLevel`)",
            ),
            Self::Injured => info(
                "INJURED",
                S::UNPROCESSABLE_ENTITY,
                "training or show entry refused: the horse is injured",
            ),
            Self::OnCooldown => info(
                "ON_COOLDOWN",
                S::UNPROCESSABLE_ENTITY,
                "training refused: the horse trained too recently (`details.nextEligibleAt`)",
            ),
            Self::RateLimited => info(
                "RATE_LIMITED",
                S::TOO_MANY_REQUESTS,
                "over a rate limit; `Retry-After` says when to retry",
            ),
            Self::InternalError => class_info(
                "INTERNAL_ERROR",
                S::INTERNAL_SERVER_ERROR,
                "a bug; logged with its cause (a 5xx produced outside the handlers keeps its own status)",
            ),
            Self::ServiceUnavailable => info(
                "SERVICE_UNAVAILABLE",
                S::SERVICE_UNAVAILABLE,
                "the database cannot be reached",
            ),
            Self::ServerBusy => info(
                "SERVER_BUSY",
                S::SERVICE_UNAVAILABLE,
                "no password-hashing slot free in time; `Retry-After: 1`",
            ),
        }
    }

    /// The wire form, e.g. `NOT_FOUND`.
    pub const fn as_str(self) -> &'static str {
        self.info().name
    }

    /// The status this code is answered with.
    pub const fn status(self) -> StatusCode {
        self.info().status
    }

    /// When this code is answered, in one line (the "meaning" column of `docs/API.md`).
    pub const fn meaning(self) -> &'static str {
        self.info().meaning
    }

    /// Whether an answer with `status` may carry this code: its own status, or for
    /// `BAD_REQUEST` and `INTERNAL_ERROR` any status of the same class.
    pub fn admits(self, status: StatusCode) -> bool {
        let info = self.info();
        status == info.status
            || (info.whole_class && status.as_u16() / 100 == info.status.as_u16() / 100)
    }

    /// The statuses as the table of `docs/API.md` writes them: `404`, or `400 (also other 4xx)`.
    pub fn status_text(self) -> String {
        let info = self.info();
        let status = info.status.as_u16();
        if info.whole_class {
            format!("{status} (also other {}xx)", status / 100)
        } else {
            status.to_string()
        }
    }

    /// The code of `name`, if it is one.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|code| code.as_str() == name)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_its_name() {
        for code in ErrorCode::ALL {
            assert_eq!(
                serde_json::to_value(code).ok(),
                Some(serde_json::Value::from(code.as_str())),
                "{code:?}"
            );
        }
    }

    #[test]
    fn names_are_unique_and_found_again() {
        for (i, code) in ErrorCode::ALL.into_iter().enumerate() {
            assert_eq!(ErrorCode::from_name(code.as_str()), Some(code));
            assert!(!ErrorCode::ALL[..i].contains(&code), "{code} twice in ALL");
        }
        assert_eq!(ErrorCode::from_name("NOPE"), None);
    }

    #[test]
    fn only_the_catch_alls_admit_a_whole_class() {
        assert!(ErrorCode::BadRequest.admits(StatusCode::IM_A_TEAPOT));
        assert!(ErrorCode::InternalError.admits(StatusCode::BAD_GATEWAY));
        assert!(!ErrorCode::BadRequest.admits(StatusCode::BAD_GATEWAY));
        assert!(!ErrorCode::NotFound.admits(StatusCode::GONE));
        assert!(ErrorCode::NotFound.admits(StatusCode::NOT_FOUND));
        assert_eq!(ErrorCode::NotFound.status_text(), "404");
        assert_eq!(
            ErrorCode::InternalError.status_text(),
            "500 (also other 5xx)"
        );
    }
}
