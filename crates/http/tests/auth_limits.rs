//! The strict budget against password guessing and the bound on concurrent
//! password work.

#![expect(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::test::TestRequest;
use async_trait::async_trait;
use common::*;
use equoria_application::accounts::PasswordHasher;
use equoria_domain::account::Password;
use equoria_http::security::password_work::PasswordWork;
use equoria_test_support::TestDatabase;
use serde_json::json;

fn from_peer(req: TestRequest) -> TestRequest {
    req.peer_addr("203.0.113.20:40000".parse().unwrap())
}

#[actix_web::test]
async fn the_profile_refresh_and_logout_are_not_charged_against_the_login_budget() {
    let db = TestDatabase::migrated().await;
    let auth_limit = 3;
    let app = app_with(
        &db,
        Options {
            auth_limit,
            ..Options::default()
        },
    )
    .await;
    // Charged: one registration.
    let (status, body) = send(
        &app,
        from_peer(post_json(
            "/api/auth/register",
            json!({"email": "budget@example.com", "username": "budget", "password": PASSWORD}),
        )),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let access = body["data"]["accessToken"].as_str().unwrap().to_owned();
    let mut refresh = body["data"]["refreshToken"].as_str().unwrap().to_owned();

    // Not charged: more profile reads, edits and refreshes than the whole budget.
    for _ in 0..=auth_limit {
        let (status, _) = send(
            &app,
            from_peer(with_token(TestRequest::get().uri("/api/auth/me"), &access)),
        )
        .await;
        assert_eq!(status, 200);
        let (status, _) = send(
            &app,
            from_peer(with_token(
                TestRequest::patch()
                    .uri("/api/auth/me")
                    .set_json(json!({"bio": "counting"})),
                &access,
            )),
        )
        .await;
        assert_eq!(status, 200);
        let (status, body) = send(
            &app,
            from_peer(post_json(
                "/api/auth/refresh",
                json!({"refreshToken": refresh}),
            )),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        refresh = body["data"]["refreshToken"].as_str().unwrap().to_owned();
    }
    let (status, _) = send(
        &app,
        from_peer(post_json(
            "/api/auth/logout",
            json!({"refreshToken": refresh}),
        )),
    )
    .await;
    assert_eq!(status, 204);

    // The rest of the budget is still there for logins...
    let login = || {
        from_peer(post_json(
            "/api/auth/login",
            json!({"email": "budget@example.com", "password": PASSWORD}),
        ))
    };
    for _ in 1..auth_limit {
        let (status, body) = send(&app, login()).await;
        assert_eq!(status, 200, "{body}");
    }
    // ...and it is shared by register, login and change-password.
    let (status, body) = send(&app, login()).await;
    assert_eq!((status, body["code"].as_str()), (429, Some("RATE_LIMITED")));
    let (status, _) = send(
        &app,
        from_peer(with_token(
            post_json(
                "/api/auth/change-password",
                json!({"currentPassword": PASSWORD, "newPassword": "another long passphrase"}),
            ),
            &access,
        )),
    )
    .await;
    assert_eq!(status, 429);
}

#[actix_web::test]
async fn the_profile_stays_under_the_general_limiter() {
    let db = TestDatabase::migrated().await;
    let app = app_with(
        &db,
        Options {
            general_limit: 3,
            ..Options::default()
        },
    )
    .await;
    let player = register(&app, "general").await;
    // The registration took one request of the general budget.
    for _ in 0..2 {
        let (status, _) = send(
            &app,
            with_token(TestRequest::get().uri("/api/auth/me"), &player.access),
        )
        .await;
        assert_eq!(status, 200);
    }
    let (status, _) = send(
        &app,
        with_token(TestRequest::get().uri("/api/auth/me"), &player.access),
    )
    .await;
    assert_eq!(status, 429);
}

/// A hasher that takes `delay` per hash or verification (without using a
/// core) and never matches: every login is a 401 once it got its turn.
struct SlowHasher {
    delay: Duration,
}

#[async_trait]
impl PasswordHasher for SlowHasher {
    async fn hash(&self, _password: Password) -> Result<String, String> {
        tokio::time::sleep(self.delay).await;
        Ok("not-a-real-hash".to_owned())
    }

    async fn verify(&self, _password: Password, _hash: Option<String>) -> bool {
        tokio::time::sleep(self.delay).await;
        false
    }
}

#[actix_web::test]
async fn password_work_beyond_the_bound_waits_briefly_then_gets_503() {
    let db = TestDatabase::migrated().await;
    let app = app_with(
        &db,
        Options {
            password_work: PasswordWork::new(1, Duration::from_millis(200)),
            hasher: Some(Arc::new(SlowHasher {
                delay: Duration::from_millis(1_000),
            })),
            ..Options::default()
        },
    )
    .await;
    let login = || {
        actix_web::test::call_service(
            &app,
            post_json(
                "/api/auth/login",
                json!({"email": "nobody@example.com", "password": PASSWORD}),
            )
            .to_request(),
        )
    };
    let ping = async {
        // Starts while the logins hold or wait for the one permit.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let started = Instant::now();
        let (status, _) = send(&app, TestRequest::get().uri("/ping")).await;
        (status, started.elapsed())
    };
    let (responses, (ping_status, ping_took)) = futures_util::join!(
        futures_util::future::join_all((0..4).map(|_| login())),
        ping
    );

    assert_eq!(ping_status, 200);
    assert!(ping_took < Duration::from_millis(200), "{ping_took:?}");
    let mut statuses = Vec::new();
    for response in responses {
        let status = response.status().as_u16();
        if status == 503 {
            assert_eq!(
                response
                    .headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap()),
                Some("1")
            );
            let body = json_body(response).await;
            assert_eq!(body["code"], "SERVER_BUSY");
        }
        statuses.push(status);
    }
    statuses.sort_unstable();
    // One login got the permit and its answer; the others waited 200 ms and
    // were turned away before any hashing.
    assert_eq!(statuses, [401, 503, 503, 503]);

    // Once the permit is free again, a login is served.
    let (status, _) = send(
        &app,
        post_json(
            "/api/auth/login",
            json!({"email": "nobody@example.com", "password": PASSWORD}),
        ),
    )
    .await;
    assert_eq!(status, 401);
}

#[actix_web::test]
async fn the_openapi_document_names_the_busy_and_timeout_answers() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let (_, doc) = send(&app, TestRequest::get().uri("/api/openapi.json")).await;
    let login = &doc["paths"]["/api/auth/login"]["post"]["responses"];
    assert!(
        login["503"]["description"]
            .as_str()
            .is_some_and(|d| d.contains("SERVER_BUSY")),
        "{login}"
    );
    assert!(login["408"].is_object(), "{login}");
    let me = &doc["paths"]["/api/auth/me"]["get"]["responses"];
    assert!(
        !me["503"]["description"]
            .as_str()
            .unwrap_or_default()
            .contains("SERVER_BUSY"),
        "{me}"
    );
}
