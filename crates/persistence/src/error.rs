//! Translation of pool and Diesel failures into the application's
//! [`StoreError`], so callers can tell "the database is unavailable" (503)
//! from "this is a bug" (500).

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::pooled_connection::deadpool::PoolError;

pub use equoria_application::StoreError;

/// Maps a failure to check out a pooled connection.
///
/// Every pool failure means the database cannot serve this request right
/// now (exhausted pool, connection refused, timed out): none of them is a bug.
pub fn from_pool(err: PoolError) -> StoreError {
    StoreError::Unavailable(err.to_string())
}

/// Maps a Diesel query error.
pub fn from_diesel(err: DieselError) -> StoreError {
    match err {
        DieselError::NotFound => StoreError::NotFound,
        DieselError::DatabaseError(kind, info) => match kind {
            DatabaseErrorKind::UniqueViolation => StoreError::Conflict {
                constraint: info.constraint_name().unwrap_or_default().to_owned(),
            },
            DatabaseErrorKind::SerializationFailure => StoreError::Contention,
            DatabaseErrorKind::ClosedConnection => {
                StoreError::Unavailable(info.message().to_owned())
            }
            DatabaseErrorKind::Unknown if is_unavailable_sqlstate(info.message()) => {
                StoreError::Unavailable(info.message().to_owned())
            }
            _ => StoreError::Other(format!("database error ({kind:?}): {}", info.message())),
        },
        other => StoreError::Other(other.to_string()),
    }
}

/// `statement_timeout` cancellations and server shutdown arrive as errors of
/// kind `Unknown`; they mean "try again later", not "bug".
fn is_unavailable_sqlstate(message: &str) -> bool {
    const MARKERS: [&str; 4] = [
        "canceling statement due to statement timeout",
        "terminating connection",
        "the database system is shutting down",
        "the database system is starting up",
    ];
    MARKERS.iter().any(|m| message.contains(m))
}
