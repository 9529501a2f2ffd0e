//! Readiness: can the database answer right now?

use async_trait::async_trait;

use crate::StoreError;

/// Figures about the connection pool, as reported on `/health` and `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    /// Configured upper bound of connections.
    pub max_size: usize,
    /// Connections currently open (idle or in use).
    pub size: usize,
    /// Idle connections ready to be handed out.
    pub available: usize,
    /// Requests currently waiting for a connection.
    pub waiting: usize,
}

/// The port the health check needs from the storage adapter.
#[async_trait]
pub trait DatabaseProbe: Send + Sync {
    /// One round trip to the database, bounded by `timeout`. An error means
    /// "not ready"; it never waits longer than `timeout`.
    async fn ping(&self, timeout: std::time::Duration) -> Result<(), StoreError>;

    /// Current pool figures; never blocks.
    fn pool_status(&self) -> PoolStatus;
}
