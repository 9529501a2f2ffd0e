use thiserror::Error;

/// What a storage adapter can report back to a use case.
///
/// The variants are chosen by what the caller must do about them, not by
/// where they came from: `Unavailable` is retryable and maps to 503,
/// `Other` is a bug and maps to an opaque 500.
#[derive(Debug, Clone, Error)]
pub enum StoreError {
    /// The database cannot serve the request now: pool exhausted, connection
    /// refused or lost, statement timed out.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The row the use case asked for does not exist.
    #[error("row not found")]
    NotFound,
    /// A uniqueness rule refused the write; `constraint` names the index.
    #[error("unique constraint {constraint} violated")]
    Conflict { constraint: String },
    /// A serializable transaction lost a race; the caller may retry.
    #[error("transaction conflict, retry")]
    Contention,
    /// Anything else: a bug or an unexpected database state.
    #[error("{0}")]
    Other(String),
}
