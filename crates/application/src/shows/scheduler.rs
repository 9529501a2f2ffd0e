//! The in-process show scheduler: every `interval` it runs the shows whose `runs_at` has
//! passed.
//!
//! Several replicas may run it against one database: each show is claimed inside its run
//! transaction (`FOR UPDATE SKIP LOCKED`, then `status = 'open'` re-checked), so exactly one
//! replica runs a given show and the others skip it.

use std::future::Future;
use std::time::Duration;

use super::service::Shows;

/// Default time between two scheduler passes.
pub const DEFAULT_SCHEDULER_INTERVAL: Duration = Duration::from_secs(5);

/// Runs due shows every `interval` until `stop` resolves. A pass in progress is never
/// interrupted (it is one transaction per show anyway, so aborting one would be safe too).
pub async fn run_scheduler(shows: Shows, interval: Duration, stop: impl Future<Output = ()>) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(stop);
    tracing::info!(
        interval_ms = interval.as_millis() as u64,
        "show scheduler started"
    );
    loop {
        tokio::select! {
            _ = &mut stop => break,
            _ = tick.tick() => {}
        }
        match shows.run_due().await {
            Ok(ran) if !ran.is_empty() => {
                tracing::info!(shows = ran.len(), "scheduler ran due shows");
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "scheduler could not list due shows"),
        }
    }
    tracing::info!("show scheduler stopped");
}
