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
            // The connection died under the query (database restarted, or the
            // connection's driver task stopped): retryable, never a bug.
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand => {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn db_error(kind: DatabaseErrorKind, message: &str) -> DieselError {
        DieselError::DatabaseError(kind, Box::new(message.to_owned()))
    }

    #[test]
    fn a_connection_lost_under_a_query_is_unavailable_not_a_bug() {
        for kind in [
            DatabaseErrorKind::ClosedConnection,
            DatabaseErrorKind::UnableToSendCommand,
        ] {
            assert!(matches!(
                from_diesel(db_error(kind, "connection closed")),
                StoreError::Unavailable(_)
            ));
        }
        let timeout = db_error(
            DatabaseErrorKind::Unknown,
            "canceling statement due to statement timeout",
        );
        assert!(matches!(from_diesel(timeout), StoreError::Unavailable(_)));
    }

    #[test]
    fn unexpected_database_errors_stay_bugs() {
        let err = db_error(
            DatabaseErrorKind::CheckViolation,
            "new row violates check constraint",
        );
        assert!(matches!(from_diesel(err), StoreError::Other(_)));
    }
}
