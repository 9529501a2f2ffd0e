//! A deadline for request bodies.
//!
//! The HTTP server closes a connection whose request head does not arrive
//! within CLIENT_REQUEST_TIMEOUT_MS, but a body may then trickle in at a
//! byte a second for as long as the client likes, holding the connection and
//! a handler. This middleware gives the whole body CLIENT_BODY_TIMEOUT_MS
//! from the moment the head arrived: a body still incomplete then is cut
//! off, the request is answered 408 `REQUEST_TIMEOUT`, and the server
//! closes the connection (a response sent before the body was read ends the
//! connection).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{Error, HttpMessage, web};
use futures_util::StreamExt;

use crate::{ApiError, AppState};

/// The stream type of [`Payload::Stream`].
type PayloadStream =
    std::pin::Pin<Box<dyn futures_util::Stream<Item = Result<Bytes, PayloadError>>>>;

/// `payload`, cut off with an I/O timeout error at `deadline`; `expired`
/// is set when that happens.
fn with_deadline(
    payload: Payload,
    deadline: tokio::time::Instant,
    expired: Arc<AtomicBool>,
) -> PayloadStream {
    Box::pin(futures_util::stream::unfold(Some(payload), move |state| {
        let expired = expired.clone();
        async move {
            let mut payload = state?;
            match tokio::time::timeout_at(deadline, payload.next()).await {
                Ok(Some(chunk)) => Some((chunk, Some(payload))),
                Ok(None) => None,
                Err(_) => {
                    expired.store(true, Ordering::Relaxed);
                    let timed_out = std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "request body deadline passed",
                    );
                    Some((Err(PayloadError::Io(timed_out)), None))
                }
            }
        }
    }))
}

/// See the module documentation. Applied to every request (a request
/// without a body ends its payload at once).
pub async fn body_deadline(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(limit) = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.settings.body_timeout)
    else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let expired = Arc::new(AtomicBool::new(false));
    let payload = req.take_payload();
    req.set_payload(Payload::Stream {
        payload: with_deadline(
            payload,
            tokio::time::Instant::now() + limit,
            expired.clone(),
        ),
    });
    let response = next.call(req).await?;
    if expired.load(Ordering::Relaxed) {
        let (request, _) = response.into_parts();
        return Ok(
            ServiceResponse::from_err(ApiError::request_timeout(limit), request)
                .map_into_boxed_body(),
        );
    }
    Ok(response.map_into_boxed_body())
}
