//! Shared arrangement for in-process HTTP tests: the real application stack
//! on a real (per-test) database.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test;
use equoria_http::{AppState, HttpSettings};
use equoria_persistence::{PoolSettings, build_pool};
use equoria_test_support::TestDatabase;
use secrecy::SecretString;

/// The application wired to `db`, with test settings.
pub fn state_for(url: &str, settings: HttpSettings) -> AppState {
    let pool = build_pool(&PoolSettings::new(SecretString::from(url.to_owned()))).unwrap();
    AppState::new(settings, Arc::new(pool))
}

pub async fn app(
    db: &TestDatabase,
) -> impl Service<
    actix_http::Request,
    Response = ServiceResponse<impl MessageBody>,
    Error = actix_web::Error,
> {
    test::init_service(equoria_http::build(state_for(
        db.url(),
        HttpSettings::for_tests(),
    )))
    .await
}

pub async fn json_body(res: ServiceResponse<impl MessageBody>) -> serde_json::Value {
    let bytes = test::read_body(res).await;
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("body is not JSON ({e}): {bytes:?}"))
}
