//! The database probe behind `/health`.
//!
//! Readiness must say whether the database can answer, not whether the pool
//! has an idle connection right now: under load every pooled connection may
//! be checked out by healthy requests, and reporting 503 then would take a
//! busy instance out of rotation (and, with every instance busy, the whole
//! site). So the probe never waits for the pool:
//!
//! 1. a pooled connection that can be had at once (idle, or room to open
//!    one) runs `SELECT 1`: the probe exercises the path requests take;
//! 2. when none can (all checked out, requests waiting), the probe runs
//!    `SELECT 1` on a dedicated connection of its own, opened on first need
//!    with the pool's settings and kept for later checks. A failure on it
//!    (the database restarted since) is retried once on a fresh connection.
//!
//! Everything happens within the caller's deadline: a database that cannot
//! answer costs `timeout` at most and reports "not ready".

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use deadpool::managed::{Manager, PoolError, TimeoutType, Timeouts};
use diesel_async::{AsyncPgConnection, SimpleAsyncConnection};
use equoria_application::StoreError;
use equoria_application::health::{DatabaseProbe, PoolStatus};

use crate::DbPool;

/// The probe's dedicated connection slot (shared by every clone of the pool).
#[derive(Clone, Default)]
pub(crate) struct HealthConnection(Arc<tokio::sync::Mutex<Option<AsyncPgConnection>>>);

#[async_trait]
impl DatabaseProbe for DbPool {
    /// See the module documentation.
    async fn ping(&self, timeout: Duration) -> Result<(), StoreError> {
        tokio::time::timeout(timeout, self.probe())
            .await
            .map_err(|_| {
                StoreError::Unavailable(format!("no answer within {} ms", timeout.as_millis()))
            })?
    }

    fn pool_status(&self) -> PoolStatus {
        self.status()
    }
}

impl DbPool {
    async fn probe(&self) -> Result<(), StoreError> {
        let now = Timeouts {
            wait: Some(Duration::ZERO),
            ..self.pool.timeouts()
        };
        match self.pool.timeout_get(&now).await {
            Ok(mut conn) => select_one(&mut conn).await,
            Err(PoolError::Timeout(TimeoutType::Wait)) => self.probe_dedicated().await,
            Err(err) => Err(crate::error::from_pool(err)),
        }
    }

    /// `SELECT 1` on the dedicated connection. The connection is out of its
    /// slot while in use, so one cut short by the deadline is dropped
    /// (closed), never reused in an unknown state.
    async fn probe_dedicated(&self) -> Result<(), StoreError> {
        let mut slot = self.health.0.lock().await;
        if let Some(mut conn) = slot.take()
            && select_one(&mut conn).await.is_ok()
        {
            *slot = Some(conn);
            return Ok(());
        }
        let mut conn = self
            .pool
            .manager()
            .create()
            .await
            .map_err(|err| StoreError::Unavailable(format!("cannot connect: {err}")))?;
        select_one(&mut conn).await?;
        *slot = Some(conn);
        Ok(())
    }
}

async fn select_one(conn: &mut AsyncPgConnection) -> Result<(), StoreError> {
    conn.batch_execute("SELECT 1")
        .await
        .map_err(crate::error::from_diesel)
}
