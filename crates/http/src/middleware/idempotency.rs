//! The `Idempotency-Key` header on the routes that move money or create something (see
//! docs/API.md and [`equoria_application::idempotency`]).
//!
//! Without the header a request passes through untouched. With it, the middleware
//! authenticates the caller (an unauthenticated request passes through, and its handler
//! answers 401), reads the body, hashes method, path and body, and claims the caller's key:
//!
//! - the first request with the key runs the handler; its answer is stored unless it is a
//!   server error, which releases the key (as does a panic or a disconnect: the guard below
//!   releases a key it was dropped holding);
//! - a retry of the same request gets the stored status and body back with
//!   `Idempotent-Replayed: true`, and the handler does not run;
//! - the key with a different request is a 409 `IDEMPOTENCY_KEY_REUSED`;
//! - a request whose key is held by one still running waits for its answer (a bounded time),
//!   else 409 `IN_PROGRESS`.

use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{Error, FromRequest, HttpMessage, HttpResponse, web};
use equoria_application::idempotency::{
    Begin, Idempotency, IdempotencyKey, KEY_MAX_LEN, RequestHash, StoredResponse,
};
use equoria_domain::UserId;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use super::request_id::RequestId;
use crate::security::auth::AuthUser;
use crate::{ApiError, AppState};

/// The request header naming the key.
pub const KEY_HEADER: &str = "idempotency-key";

/// The response header marking a replayed answer.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";

/// See the module documentation.
pub async fn idempotent(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if !req.headers().contains_key(KEY_HEADER) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let key = match key_of(&req) {
        Ok(key) => key,
        Err(err) => return Ok(req.error_response(err)),
    };
    let Ok(user) = AuthUser::extract(req.request()).await else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(req.error_response(ApiError::internal("application state missing")));
    };
    let body = match read_body(&mut req, state.settings.max_body_bytes).await {
        Ok(body) => body,
        Err(err) => return Ok(req.error_response(err)),
    };
    let hash = request_hash(&req, &body);
    let begin = match state.idempotency.begin(user.id, &key, &hash).await {
        Ok(begin) => begin,
        Err(err) => return Ok(req.error_response(ApiError::from(err))),
    };
    match begin {
        Begin::Proceed => {
            req.set_payload(Payload::from(body));
            let held = HeldKey::new(state.idempotency.clone(), user.id, key);
            run_and_store(req, next, held).await
        }
        Begin::Replay(stored) => Ok(req.into_response(replay(&stored))),
        Begin::KeyReused => Ok(req.error_response(ApiError::idempotency_key_reused())),
        Begin::InProgress => Ok(req.error_response(ApiError::idempotency_in_progress())),
    }
}

/// The key of the one `Idempotency-Key` header, or a 400 naming the header.
fn key_of(req: &ServiceRequest) -> Result<IdempotencyKey, ApiError> {
    let mut values = req.headers().get_all(KEY_HEADER);
    let parsed = match (values.next(), values.next()) {
        (Some(value), None) => value
            .to_str()
            .ok()
            .and_then(|text| IdempotencyKey::parse(text).ok()),
        _ => None,
    };
    parsed.ok_or_else(|| {
        ApiError::invalid_field(
            "Idempotency-Key",
            format!("must be one header of 1 to {KEY_MAX_LEN} visible ASCII characters"),
        )
    })
}

/// The whole request body, refused past `limit` bytes as the body extractor refuses it.
async fn read_body(req: &mut ServiceRequest, limit: usize) -> Result<Bytes, ApiError> {
    let mut payload = req.take_payload();
    let mut bytes = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::from_status(StatusCode::BAD_REQUEST).with_cause(e.to_string())
        })?;
        if bytes.len() + chunk.len() > limit {
            return Err(ApiError::payload_too_large(limit));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes.freeze())
}

/// SHA-256 of the method, the path and the body, each length-prefixed so no two requests
/// share an encoding.
fn request_hash(req: &ServiceRequest, body: &[u8]) -> RequestHash {
    let mut hasher = Sha256::new();
    for part in [
        req.method().as_str().as_bytes(),
        req.path().as_bytes(),
        body,
    ] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    RequestHash(hasher.finalize().into())
}

/// Runs the handler for a claimed key and stores its answer, or releases the key when there
/// is none worth keeping (a server error, a failed middleware).
async fn run_and_store(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
    held: HeldKey,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let request_id = req.extensions().get::<RequestId>().cloned();
    let res = match next.call(req).await {
        Ok(res) => res.map_into_boxed_body(),
        Err(err) => {
            held.release().await;
            return Err(err);
        }
    };
    if res.status().is_server_error() {
        held.release().await;
        return Ok(res);
    }
    let (res, body) = match answer_body(res, request_id.as_ref()).await {
        Ok(answer) => answer,
        Err(err) => {
            held.release().await;
            return Err(err);
        }
    };
    let stored = StoredResponse {
        status: res.status().as_u16(),
        body: body.to_vec(),
    };
    held.complete(&stored).await;
    Ok(res)
}

/// The body the client receives for `res`, and `res` ready to send. An error carried by the
/// response is what the edge middleware renders as the envelope (with this request's id), so
/// that envelope is the stored body; the response itself is left for the edge to render.
async fn answer_body(
    res: ServiceResponse<BoxBody>,
    request_id: Option<&RequestId>,
) -> Result<(ServiceResponse<BoxBody>, Bytes), Error> {
    if let Some(err) = res.response().error() {
        let api_error = err
            .as_error::<ApiError>()
            .cloned()
            .unwrap_or_else(|| ApiError::from_status(res.status()));
        let id = request_id.map_or("", RequestId::as_str);
        let body = serde_json::to_vec(&api_error.envelope(id)).map_err(|e| {
            actix_web::error::ErrorInternalServerError(format!("error envelope: {e}"))
        })?;
        return Ok((res, Bytes::from(body)));
    }
    let (request, response) = res.into_parts();
    let (head, body) = response.into_parts();
    let bytes = actix_web::body::to_bytes(body)
        .await
        .map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string()))?;
    let response = head.set_body(BoxBody::new(bytes.clone()));
    Ok((ServiceResponse::new(request, response), bytes))
}

/// The stored answer, marked as replayed.
fn replay(stored: &StoredResponse) -> HttpResponse {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = HttpResponse::build(status);
    response
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ))
        .insert_header((
            HeaderName::from_static(REPLAYED_HEADER),
            HeaderValue::from_static("true"),
        ));
    response.body(stored.body.clone())
}

/// A claimed key. Completing or releasing it consumes it; dropping it unused (a panic, a
/// client that went away and whose request was dropped) releases it in the background.
struct HeldKey(Option<(Arc<Idempotency>, UserId, IdempotencyKey)>);

impl HeldKey {
    fn new(idempotency: Arc<Idempotency>, user: UserId, key: IdempotencyKey) -> Self {
        Self(Some((idempotency, user, key)))
    }

    async fn complete(mut self, stored: &StoredResponse) {
        if let Some((idempotency, user, key)) = self.0.take()
            && let Err(err) = idempotency.complete(user, &key, stored).await
        {
            // The work is done and answered; the key stays in progress until it counts as
            // abandoned, and retries meanwhile get 409 IN_PROGRESS.
            tracing::warn!(target: "equoria::http", error = %err, "idempotency key not stored");
        }
    }

    async fn release(mut self) {
        if let Some((idempotency, user, key)) = self.0.take() {
            release(&idempotency, user, &key).await;
        }
    }
}

impl Drop for HeldKey {
    fn drop(&mut self) {
        let Some((idempotency, user, key)) = self.0.take() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move { release(&idempotency, user, &key).await });
            }
            Err(_) => tracing::warn!(
                target: "equoria::http",
                "idempotency key left in progress: no runtime to release it"
            ),
        }
    }
}

async fn release(idempotency: &Idempotency, user: UserId, key: &IdempotencyKey) {
    if let Err(err) = idempotency.release(user, key).await {
        tracing::warn!(target: "equoria::http", error = %err, "idempotency key not released");
    }
}
