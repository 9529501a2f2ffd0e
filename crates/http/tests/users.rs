//! Users, roles and rate limits through HTTP.

#![expect(clippy::unwrap_used)]

mod common;

use actix_web::test::TestRequest;
use common::*;
use equoria_test_support::TestDatabase;
use serde_json::json;

#[actix_web::test]
async fn listing_users_needs_a_token_and_the_admin_role() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "plain_user").await;
    let admin = register(&app, "the_admin").await;
    make_admin(&db, &admin).await;

    let (status, _) = send(&app, TestRequest::get().uri("/api/users")).await;
    assert_eq!(status, 401);
    let (status, body) = send(
        &app,
        with_token(TestRequest::get().uri("/api/users"), &player.access),
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (403, Some("FORBIDDEN")));
    let (status, body) = send(
        &app,
        with_token(
            TestRequest::get().uri("/api/users?page=1&limit=1"),
            &admin.access,
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["pagination"],
        json!({"page": 1, "limit": 1, "total": 2, "hasMore": true})
    );
    assert_eq!(body["data"].as_array().unwrap().len(), 1);

    let (status, body) = send(
        &app,
        with_token(
            TestRequest::get().uri("/api/users?limit=500"),
            &admin.access,
        ),
    )
    .await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (400, Some("limit"))
    );
}

#[actix_web::test]
async fn a_demoted_admin_loses_admin_routes_at_once() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let admin = register(&app, "first_admin").await;
    let other = register(&app, "second_admin").await;
    make_admin(&db, &admin).await;
    make_admin(&db, &other).await;

    let (status, body) = send(
        &app,
        with_token(
            TestRequest::patch()
                .uri(&format!("/api/users/{}/role", admin.id))
                .set_json(json!({"role": "user"})),
            &other.access,
        ),
    )
    .await;
    assert_eq!((status, body["data"]["role"].as_str()), (200, Some("user")));
    let (status, _) = send(
        &app,
        with_token(TestRequest::get().uri("/api/users"), &admin.access),
    )
    .await;
    assert_eq!(status, 403);
}

#[actix_web::test]
async fn only_admins_change_roles_and_only_to_known_roles() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "wannabe").await;
    let admin = register(&app, "boss").await;
    make_admin(&db, &admin).await;
    let uri = format!("/api/users/{}/role", player.id);

    let (status, _) = send(
        &app,
        with_token(
            TestRequest::patch()
                .uri(&uri)
                .set_json(json!({"role": "admin"})),
            &player.access,
        ),
    )
    .await;
    assert_eq!(status, 403, "a player cannot promote themselves");
    let (status, body) = send(
        &app,
        with_token(
            TestRequest::patch()
                .uri(&uri)
                .set_json(json!({"role": "root"})),
            &admin.access,
        ),
    )
    .await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (400, Some("role"))
    );
    let (status, body) = send(
        &app,
        with_token(
            TestRequest::patch()
                .uri(&uri)
                .set_json(json!({"role": "moderator"})),
            &admin.access,
        ),
    )
    .await;
    assert_eq!(
        (status, body["data"]["role"].as_str()),
        (200, Some("moderator"))
    );
    let (status, _) = send(
        &app,
        with_token(
            TestRequest::patch()
                .uri("/api/users/999999/role")
                .set_json(json!({"role": "user"})),
            &admin.access,
        ),
    )
    .await;
    assert_eq!(status, 404);
}

#[actix_web::test]
async fn public_profiles_never_show_email_or_hash_to_others() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let alice = register(&app, "alice").await;
    let bob = register(&app, "bob_b").await;
    let uri = format!("/api/users/{}", alice.id);

    for req in [
        TestRequest::get().uri(&uri),
        with_token(TestRequest::get().uri(&uri), &bob.access),
    ] {
        let (status, body) = send(&app, req).await;
        assert_eq!(status, 200);
        assert_eq!(body["data"]["username"], "alice");
        assert_eq!(body["data"]["level"], 1);
        assert!(body["data"].get("email").is_none(), "{body}");
        assert!(!body.to_string().contains("$2"), "no bcrypt hash: {body}");
    }
    let (_, own) = send(
        &app,
        with_token(TestRequest::get().uri(&uri), &alice.access),
    )
    .await;
    assert_eq!(own["data"]["email"], "alice@example.com");
    let (status, _) = send(&app, TestRequest::get().uri("/api/users/987654")).await;
    assert_eq!(status, 404);
    let (status, _) = send(&app, TestRequest::get().uri("/api/users/not-a-number")).await;
    assert_eq!(status, 404);
}

#[actix_web::test]
async fn progress_xp_history_and_transactions_describe_a_new_player() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "newbie").await;
    let (status, body) = send(
        &app,
        with_token(
            TestRequest::get().uri("/api/users/me/progress"),
            &player.access,
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["data"],
        json!({"level": 1, "xp": 0, "xpIntoLevel": 0, "xpToNextLevel": 100, "progressPercent": 0})
    );
    let (status, body) = send(
        &app,
        with_token(
            TestRequest::get().uri("/api/users/me/xp-history"),
            &player.access,
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["pagination"]["total"], 0);
    let (status, _) = send(&app, TestRequest::get().uri("/api/users/me/transactions")).await;
    assert_eq!(status, 401);
}

#[actix_web::test]
async fn the_sixth_auth_attempt_in_a_window_is_429_json_with_retry_after_and_cors() {
    let db = TestDatabase::migrated().await;
    let app = app_with(
        &db,
        Options {
            auth_limit: 5,
            ..Options::default()
        },
    )
    .await;
    let peer: std::net::SocketAddr = "203.0.113.10:40000".parse().unwrap();
    let login = || {
        post_json(
            "/api/auth/login",
            json!({"email": "x@example.com", "password": PASSWORD}),
        )
        .peer_addr(peer)
        .insert_header(("origin", "http://localhost:5173"))
    };
    for _ in 0..5 {
        let (status, _) = send(&app, login()).await;
        assert_eq!(status, 401);
    }
    let res = actix_web::test::call_service(&app, login().to_request()).await;
    assert_eq!(res.status().as_u16(), 429);
    assert!(res.headers().get("retry-after").is_some());
    assert_eq!(
        res.headers().get("access-control-allow-origin").unwrap(),
        "http://localhost:5173"
    );
    let body = json_body(res).await;
    assert_eq!(body["code"], "RATE_LIMITED");

    // A forged X-Forwarded-For from an untrusted peer does not reset it.
    let (status, _) = send(
        &app,
        login().insert_header(("x-forwarded-for", "198.51.100.99")),
    )
    .await;
    assert_eq!(status, 429);
    // Another client is unaffected; /ping and /health are never limited.
    let (status, _) = send(
        &app,
        post_json(
            "/api/auth/login",
            json!({"email": "x@example.com", "password": PASSWORD}),
        )
        .peer_addr("203.0.113.11:1".parse().unwrap()),
    )
    .await;
    assert_eq!(status, 401);
    for _ in 0..10 {
        let (status, _) = send(&app, TestRequest::get().uri("/ping").peer_addr(peer)).await;
        assert_eq!(status, 200);
    }
}

#[actix_web::test]
async fn behind_a_trusted_proxy_clients_are_told_apart_by_x_forwarded_for() {
    let db = TestDatabase::migrated().await;
    let options = Options {
        auth_limit: 2,
        trusted_proxies: vec!["10.0.0.0/8".parse().unwrap()],
        ..Options::default()
    };
    let app = app_with(&db, options).await;
    let proxy: std::net::SocketAddr = "10.0.0.2:5000".parse().unwrap();
    let from = |client: &str| {
        post_json(
            "/api/auth/login",
            json!({"email": "x@example.com", "password": PASSWORD}),
        )
        .peer_addr(proxy)
        .insert_header(("x-forwarded-for", client.to_owned()))
    };
    for _ in 0..2 {
        assert_eq!(send(&app, from("198.51.100.1")).await.0, 401);
    }
    assert_eq!(send(&app, from("198.51.100.1")).await.0, 429);
    // Prepending a forged address does not help: the proxy appended the real one.
    assert_eq!(send(&app, from("1.2.3.4, 198.51.100.1")).await.0, 429);
    assert_eq!(send(&app, from("198.51.100.2")).await.0, 401);
}

#[actix_web::test]
async fn the_general_limiter_covers_every_api_route() {
    let db = TestDatabase::migrated().await;
    let app = app_with(
        &db,
        Options {
            general_limit: 3,
            ..Options::default()
        },
    )
    .await;
    let peer: std::net::SocketAddr = "203.0.113.20:1".parse().unwrap();
    for _ in 0..3 {
        assert_eq!(
            send(&app, TestRequest::get().uri("/api").peer_addr(peer))
                .await
                .0,
            200
        );
    }
    let (status, body) = send(&app, TestRequest::get().uri("/api/users/1").peer_addr(peer)).await;
    assert_eq!((status, body["code"].as_str()), (429, Some("RATE_LIMITED")));
    assert_eq!(
        send(&app, TestRequest::get().uri("/health").peer_addr(peer))
            .await
            .0,
        200
    );
}

#[actix_web::test]
async fn the_openapi_document_describes_every_account_route_with_bearer_security() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let (_, doc) = send(&app, TestRequest::get().uri("/api/openapi.json")).await;
    for (path, method) in [
        ("/api/auth/register", "post"),
        ("/api/auth/login", "post"),
        ("/api/auth/refresh", "post"),
        ("/api/auth/logout", "post"),
        ("/api/auth/change-password", "post"),
        ("/api/auth/me", "get"),
        ("/api/auth/me", "patch"),
        ("/api/users", "get"),
        ("/api/users/{id}", "get"),
        ("/api/users/me/progress", "get"),
        ("/api/users/me/xp-history", "get"),
        ("/api/users/me/transactions", "get"),
        ("/api/users/{id}/role", "patch"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} missing"
        );
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert!(doc["paths"]["/api/auth/me"]["get"]["security"].is_array());
    assert!(doc["paths"]["/api/auth/register"]["post"]["requestBody"].is_object());
    let login = &doc["paths"]["/api/auth/login"]["post"]["responses"];
    for status in ["400", "413", "415", "429", "503"] {
        assert!(
            login[status].is_object(),
            "login does not document {status}"
        );
    }
    assert!(doc["paths"]["/api/auth/me"]["get"]["responses"]["401"].is_object());
    assert!(
        doc["paths"]["/ping"]["get"]["responses"]["503"].is_null(),
        "/ping never touches the database"
    );
    let register = &doc["components"]["schemas"]["RegisterRequest"]["properties"];
    for field in ["email", "username", "password", "firstName", "lastName"] {
        assert!(
            register[field].is_object(),
            "RegisterRequest.{field} is not documented: {register}"
        );
    }
}
