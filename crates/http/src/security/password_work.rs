//! A bound on concurrent password work.
//!
//! bcrypt costs ~50-200 ms of CPU per hash and runs on the blocking pool,
//! whose queue is unbounded: without a bound, a flood of logins (each from a
//! fresh address, so the per-client limiter does not stop it) queues CPU
//! work without limit while every other request waits for a core. The
//! routes that hash or verify a password (register, login, change-password)
//! each do their bcrypt work one run at a time, so holding one permit for the
//! request bounds the bcrypt runs in flight to the number of permits
//! (BCRYPT_MAX_CONCURRENT, default: the number of cores). A request that
//! gets no permit within BCRYPT_QUEUE_TIMEOUT_MS is answered 503
//! `SERVER_BUSY` with `Retry-After`, having cost nothing.

use std::sync::Arc;
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderValue, RETRY_AFTER};
use actix_web::middleware::Next;
use actix_web::{Error, web};
use tokio::sync::Semaphore;

use crate::{ApiError, AppState};

/// Seconds a client refused with `SERVER_BUSY` is asked to wait.
pub const BUSY_RETRY_AFTER_SECS: u64 = 1;

/// Permits for password work, shared by every worker (build it once).
#[derive(Debug, Clone)]
pub struct PasswordWork {
    permits: Arc<Semaphore>,
    max_wait: Duration,
}

impl PasswordWork {
    /// At most `max_concurrent` (at least 1) password requests at once; the
    /// others wait up to `max_wait` for a permit.
    pub fn new(max_concurrent: usize, max_wait: Duration) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            max_wait,
        }
    }
}

/// Middleware for the password routes: holds a permit of the application's
/// [`PasswordWork`] for the whole request, or answers 503 `SERVER_BUSY`.
pub async fn bounded(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(work) = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.limits.password_work.clone())
    else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let permit = tokio::time::timeout(work.max_wait, work.permits.acquire_owned()).await;
    match permit {
        Ok(Ok(permit)) => {
            let response = next.call(req).await;
            drop(permit);
            Ok(response?.map_into_boxed_body())
        }
        // Timed out, or the semaphore was closed (it never is).
        _ => {
            let mut response = req
                .error_response(ApiError::server_busy())
                .map_into_boxed_body();
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(BUSY_RETRY_AFTER_SECS));
            Ok(response)
        }
    }
}
