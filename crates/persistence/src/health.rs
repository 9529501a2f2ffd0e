//! The database probe behind `/health`.

use std::time::Duration;

use async_trait::async_trait;
use diesel_async::SimpleAsyncConnection;
use equoria_application::StoreError;
use equoria_application::health::{DatabaseProbe, PoolStatus};

use crate::DbPool;

#[async_trait]
impl DatabaseProbe for DbPool {
    /// Checkout plus `SELECT 1`, both inside one deadline, so a dead or
    /// unreachable database costs `timeout` at most.
    async fn ping(&self, timeout: Duration) -> Result<(), StoreError> {
        let round_trip = async {
            let mut conn = self.get().await?;
            conn.batch_execute("SELECT 1")
                .await
                .map_err(crate::error::from_diesel)
        };
        tokio::time::timeout(timeout, round_trip)
            .await
            .map_err(|_| {
                StoreError::Unavailable(format!("no answer within {} ms", timeout.as_millis()))
            })?
    }

    fn pool_status(&self) -> PoolStatus {
        self.status()
    }
}
