//! Translation of pool and Diesel failures into the application's
//! [`StoreError`], so callers can tell "the database is unavailable" (503)
//! from "this is a bug" (500).

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::pooled_connection::deadpool::PoolError;

pub use equoria_application::StoreError;

use crate::ledger::MoneyError;

/// Maps a failure to check out a pooled connection.
///
/// Every pool failure means the database cannot serve this request right
/// now (exhausted pool, connection refused, timed out): none of them is a bug.
pub(crate) fn from_pool(err: PoolError) -> StoreError {
    StoreError::Unavailable(err.to_string())
}

/// Maps a Diesel query error.
pub(crate) fn from_diesel(err: DieselError) -> StoreError {
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

/// A failure inside a transaction closure: the operation's own error `E` (a refusal decided
/// on the locked rows, or a broken invariant), or a database error. Either rolls the
/// transaction back. `?` converts database errors, so closures can use it on every statement.
#[derive(Debug)]
pub(crate) enum TxError<E> {
    /// The operation's own error.
    Rule(E),
    /// A database error.
    Store(DieselError),
}

impl<E> From<DieselError> for TxError<E> {
    fn from(err: DieselError) -> Self {
        TxError::Store(err)
    }
}

impl<E> TxError<E> {
    /// The operation's own error, from anything that converts into it.
    pub(crate) fn rule(err: impl Into<E>) -> Self {
        TxError::Rule(err.into())
    }

    /// A failed balance change: a database error stays one, a refused debit or credit becomes
    /// the operation's error `refused`.
    pub(crate) fn from_money(err: MoneyError, refused: impl FnOnce() -> E) -> Self {
        match err {
            MoneyError::Database(err) => TxError::Store(err),
            MoneyError::InsufficientFunds => TxError::Rule(refused()),
        }
    }
}

impl<E: From<StoreError>> TxError<E> {
    /// The operation's error, a database error translated by [`from_diesel`].
    pub(crate) fn into_error(self) -> E {
        match self {
            TxError::Rule(err) => err,
            TxError::Store(err) => from_diesel(err).into(),
        }
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
