//! Accounts through HTTP against the real database: registration, login,
//! token rotation and every invalid-token case.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use actix_web::test::TestRequest;
use common::*;
use diesel::sql_types::BigInt;
use diesel_async::RunQueryDsl;
use equoria_test_support::TestDatabase;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

async fn count(db: &TestDatabase, sql: &str) -> i64 {
    let mut conn = db.connect().await;
    diesel::sql_query(sql)
        .get_result::<Count>(&mut conn)
        .await
        .unwrap()
        .n
}

#[actix_web::test]
async fn registering_grants_10000_coins_through_the_ledger_and_a_starter_horse() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let (status, body) = send(
        &app,
        post_json(
            "/api/auth/register",
            json!({"email": "  Rider@Example.COM", "username": "rider_1", "password": PASSWORD, "firstName": "Ann"}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let data = &body["data"];
    assert_eq!(data["tokenType"], "Bearer");
    assert_eq!(data["expiresIn"], 900);
    assert_eq!(data["user"]["email"], "rider@example.com");
    assert_eq!(data["user"]["money"], 10_000);
    assert_eq!(data["user"]["xp"], 0);
    assert_eq!(data["user"]["level"], 1);
    assert_eq!(data["user"]["role"], "user");
    assert_eq!(data["user"]["firstName"], "Ann");
    assert!(data["user"].get("passwordHash").is_none());
    let id = data["user"]["id"].as_i64().unwrap();

    let access = data["accessToken"].as_str().unwrap();
    let (_, ledger) = send(
        &app,
        with_token(TestRequest::get().uri("/api/users/me/transactions"), access),
    )
    .await;
    assert_eq!(ledger["data"][0]["amount"], 10_000);
    assert_eq!(ledger["data"][0]["reason"], "registration_grant");
    assert_eq!(ledger["data"][0]["balanceAfter"], 10_000);
    assert_eq!(ledger["pagination"]["total"], 1);

    let starter = count(
        &db,
        &format!(
            "SELECT count(*) AS n FROM horses h JOIN breeds b ON b.id = h.breed_id \
             WHERE h.owner_id = {id} AND b.name = 'Thoroughbred' AND h.sex = 'Mare' \
             AND h.date_of_birth BETWEEN now() - interval '21 days 1 minute' AND now() - interval '20 days 23 hours'"
        ),
    )
    .await;
    assert_eq!(starter, 1, "one 3-year-old Thoroughbred mare");
    assert_eq!(
        count(
            &db,
            "SELECT coalesce(sum(amount), 0)::bigint AS n FROM house_ledger"
        )
        .await,
        -10_000
    );
}

#[actix_web::test]
async fn duplicate_emails_and_usernames_are_409_whatever_their_case() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    register(&app, "dup_user").await;
    let (status, body) = send(
        &app,
        post_json(
            "/api/auth/register",
            json!({"email": "DUP_USER@example.com", "username": "other", "password": PASSWORD}),
        ),
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (409, Some("EMAIL_TAKEN")));
    let (status, body) = send(
        &app,
        post_json(
            "/api/auth/register",
            json!({"email": "new@example.com", "username": "DUP_user", "password": PASSWORD}),
        ),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("USERNAME_TAKEN"))
    );
}

#[actix_web::test]
async fn invalid_registrations_name_every_offending_field_without_echoing_values() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let (status, body) = send(
        &app,
        post_json(
            "/api/auth/register",
            json!({"email": "not-an-email", "username": "a!", "password": "short-secret", "firstName": 42, "stats": {}}),
        ),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], "VALIDATION_FAILED");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"firstName"), "{fields:?}");
    assert!(fields.contains(&"stats"), "{fields:?}");
    assert!(!body.to_string().contains("short-secret"));

    let (status, body) = send(
        &app,
        post_json(
            "/api/auth/register",
            json!({"email": "not-an-email", "username": "a!", "password": "too-short"}),
        ),
    )
    .await;
    assert_eq!(status, 400);
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "username", "password"]);
}

#[actix_web::test]
async fn passwords_longer_than_72_bytes_are_refused_not_truncated() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let (status, body) = send(
        &app,
        post_json(
            "/api/auth/register",
            json!({"email": "long@example.com", "username": "longpw", "password": "x".repeat(73)}),
        ),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["field"], "password");
}

#[actix_web::test]
async fn non_json_bodies_are_415_and_malformed_json_is_400() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let (status, body) = send(
        &app,
        TestRequest::post()
            .uri("/api/auth/login")
            .insert_header(("content-type", "text/plain"))
            .set_payload("hi"),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (415, Some("UNSUPPORTED_MEDIA_TYPE"))
    );
    let (status, body) = send(
        &app,
        TestRequest::post()
            .uri("/api/auth/login")
            .insert_header(("content-type", "application/json"))
            .set_payload("{nope"),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("VALIDATION_FAILED"))
    );
}

#[actix_web::test]
async fn unknown_email_and_wrong_password_get_the_same_401() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    register(&app, "login_user").await;
    let (ok_status, _) = send(
        &app,
        post_json(
            "/api/auth/login",
            json!({"email": "LOGIN_USER@example.com", "password": PASSWORD}),
        ),
    )
    .await;
    assert_eq!(ok_status, 200);
    let (s1, wrong_password) = send(
        &app,
        post_json(
            "/api/auth/login",
            json!({"email": "login_user@example.com", "password": "wrong password!"}),
        ),
    )
    .await;
    let (s2, unknown_email) = send(
        &app,
        post_json(
            "/api/auth/login",
            json!({"email": "nobody@example.com", "password": PASSWORD}),
        ),
    )
    .await;
    let (s3, malformed) = send(
        &app,
        post_json(
            "/api/auth/login",
            json!({"email": "nobody", "password": PASSWORD}),
        ),
    )
    .await;
    assert_eq!((s1, s2, s3), (401, 401, 401));
    for body in [&wrong_password, &unknown_email, &malformed] {
        assert_eq!(body["code"], "INVALID_CREDENTIALS");
        assert_eq!(body["message"], wrong_password["message"]);
    }
}

fn sign(claims: Value, alg: Algorithm, secret: &[u8]) -> String {
    jsonwebtoken::encode(
        &Header::new(alg),
        &claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[actix_web::test]
async fn every_kind_of_invalid_access_token_is_a_json_401() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "token_user").await;
    let sub = player.id.to_string();
    let good = json!({"sub": sub, "typ": "access", "role": "user", "iat": now(), "exp": now() + 600, "jti": "x"});

    let (status, _) = send(
        &app,
        with_token(
            TestRequest::get().uri("/api/auth/me"),
            &sign(good.clone(), Algorithm::HS256, ACCESS_SECRET),
        ),
    )
    .await;
    assert_eq!(status, 200, "a well-formed token is accepted");

    let tampered = {
        let token = sign(good.clone(), Algorithm::HS256, ACCESS_SECRET);
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let forged = json!({"sub": sub, "typ": "access", "role": "admin", "iat": now(), "exp": now() + 600, "jti": "x"});
        use base64_engine::encode;
        parts[1] = encode(forged.to_string().as_bytes());
        parts.join(".")
    };
    let alg_none = {
        let header = base64_engine::encode(br#"{"alg":"none","typ":"JWT"}"#);
        format!(
            "{header}.{}.",
            base64_engine::encode(good.to_string().as_bytes())
        )
    };
    let cases = [
        ("tampered payload", tampered),
        (
            "wrong secret",
            sign(
                good.clone(),
                Algorithm::HS256,
                b"another-secret-entirely-0123456789abcdef0123456789abcdef01234567",
            ),
        ),
        ("alg none", alg_none),
        (
            "other algorithm",
            sign(good.clone(), Algorithm::HS512, ACCESS_SECRET),
        ),
        (
            "expired",
            sign(
                json!({"sub": sub, "typ": "access", "role": "user", "iat": now() - 3600, "exp": now() - 60, "jti": "x"}),
                Algorithm::HS256,
                ACCESS_SECRET,
            ),
        ),
        (
            "missing exp",
            sign(
                json!({"sub": sub, "typ": "access", "role": "user", "iat": now(), "jti": "x"}),
                Algorithm::HS256,
                ACCESS_SECRET,
            ),
        ),
        (
            "missing sub",
            sign(
                json!({"typ": "access", "role": "user", "iat": now(), "exp": now() + 600, "jti": "x"}),
                Algorithm::HS256,
                ACCESS_SECRET,
            ),
        ),
        (
            "missing typ",
            sign(
                json!({"sub": sub, "role": "user", "iat": now(), "exp": now() + 600, "jti": "x"}),
                Algorithm::HS256,
                ACCESS_SECRET,
            ),
        ),
        ("refresh token as access token", player.refresh.clone()),
        (
            "refresh-typed token signed with the access secret",
            sign(
                json!({"sub": sub, "typ": "refresh", "fam": uuid::Uuid::new_v4().to_string(), "iat": now(), "exp": now() + 600, "jti": "x"}),
                Algorithm::HS256,
                ACCESS_SECRET,
            ),
        ),
        ("garbage", "not.a.jwt".to_owned()),
    ];
    for (case, token) in cases {
        let (status, body) = send(
            &app,
            with_token(TestRequest::get().uri("/api/auth/me"), &token),
        )
        .await;
        assert_eq!(status, 401, "{case}: {body}");
        assert_eq!(body["code"], "UNAUTHORIZED", "{case}");
        assert!(body["requestId"].is_string(), "{case}");
    }
    let (status, _) = send(&app, TestRequest::get().uri("/api/auth/me")).await;
    assert_eq!(status, 401, "no token");
}

#[actix_web::test]
async fn an_access_token_is_not_a_refresh_token() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "swap_user").await;
    let (status, body) = send(
        &app,
        post_json("/api/auth/refresh", json!({"refreshToken": player.access})),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("INVALID_TOKEN"))
    );
}

#[actix_web::test]
async fn a_refresh_token_works_once_and_its_reuse_revokes_the_family() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "rotate_user").await;

    let (status, first) = send(
        &app,
        post_json("/api/auth/refresh", json!({"refreshToken": player.refresh})),
    )
    .await;
    assert_eq!(status, 200, "{first}");
    let next_refresh = first["data"]["refreshToken"].as_str().unwrap().to_owned();
    assert_ne!(next_refresh, player.refresh);
    let (status, _) = send(
        &app,
        with_token(
            TestRequest::get().uri("/api/auth/me"),
            first["data"]["accessToken"].as_str().unwrap(),
        ),
    )
    .await;
    assert_eq!(status, 200);

    let (status, reuse) = send(
        &app,
        post_json("/api/auth/refresh", json!({"refreshToken": player.refresh})),
    )
    .await;
    assert_eq!(
        (status, reuse["code"].as_str()),
        (401, Some("TOKEN_REUSED"))
    );
    let (status, after) = send(
        &app,
        post_json("/api/auth/refresh", json!({"refreshToken": next_refresh})),
    )
    .await;
    assert_eq!(
        (status, after["code"].as_str()),
        (401, Some("INVALID_TOKEN")),
        "the descendant is revoked too"
    );
    assert_eq!(count(&db, "SELECT count(*) AS n FROM refresh_tokens WHERE token_hash LIKE '%' AND revoked_at IS NULL").await, 0);
}

#[actix_web::test]
async fn concurrent_refreshes_of_one_token_let_exactly_one_succeed() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "race_user").await;
    let attempts = (0..8).map(|_| {
        send(
            &app,
            post_json("/api/auth/refresh", json!({"refreshToken": player.refresh})),
        )
    });
    let results = futures_util::future::join_all(attempts).await;
    let winners = results.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!(winners, 1, "{results:?}");
    assert!(results.iter().all(|(s, _)| *s == 200 || *s == 401));
    assert_eq!(count(&db, &format!("SELECT count(*) AS n FROM refresh_tokens WHERE user_id = {} AND used_at IS NOT NULL", player.id)).await, 1);
}

#[actix_web::test]
async fn logout_revokes_the_session_family() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "logout_user").await;
    let (status, _) = send(
        &app,
        post_json("/api/auth/logout", json!({"refreshToken": player.refresh})),
    )
    .await;
    assert_eq!(status, 204);
    let (status, body) = send(
        &app,
        post_json("/api/auth/refresh", json!({"refreshToken": player.refresh})),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("INVALID_TOKEN"))
    );
}

#[actix_web::test]
async fn changing_the_password_revokes_every_refresh_token() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "pw_user").await;
    let (_, second_login) = send(
        &app,
        post_json(
            "/api/auth/login",
            json!({"email": "pw_user@example.com", "password": PASSWORD}),
        ),
    )
    .await;
    let other_refresh = second_login["data"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();

    let (status, body) = send(
        &app,
        with_token(post_json("/api/auth/change-password", json!({"currentPassword": "not the password", "newPassword": "a brand new password"})), &player.access),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("INCORRECT_PASSWORD"))
    );

    let (status, _) = send(
        &app,
        with_token(
            post_json(
                "/api/auth/change-password",
                json!({"currentPassword": PASSWORD, "newPassword": "a brand new password"}),
            ),
            &player.access,
        ),
    )
    .await;
    assert_eq!(status, 204);
    for token in [&player.refresh, &other_refresh] {
        let (status, _) = send(
            &app,
            post_json("/api/auth/refresh", json!({"refreshToken": token})),
        )
        .await;
        assert_eq!(status, 401);
    }
    let (old, _) = send(
        &app,
        post_json(
            "/api/auth/login",
            json!({"email": "pw_user@example.com", "password": PASSWORD}),
        ),
    )
    .await;
    let (new, _) = send(
        &app,
        post_json(
            "/api/auth/login",
            json!({"email": "pw_user@example.com", "password": "a brand new password"}),
        ),
    )
    .await;
    assert_eq!((old, new), (401, 200));
}

#[actix_web::test]
async fn the_profile_can_be_read_and_patched_but_not_money_or_xp() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "profile_user").await;
    let (status, body) = send(
        &app,
        with_token(
            TestRequest::patch()
                .uri("/api/auth/me")
                .set_json(json!({"bio": "I ride.", "lastName": "Smith"})),
            &player.access,
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["bio"], "I ride.");
    assert_eq!(body["data"]["lastName"], "Smith");

    let (status, body) = send(
        &app,
        with_token(
            TestRequest::patch()
                .uri("/api/auth/me")
                .set_json(json!({"money": 1_000_000, "xp": 5000})),
            &player.access,
        ),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (_, me) = send(
        &app,
        with_token(TestRequest::get().uri("/api/auth/me"), &player.access),
    )
    .await;
    assert_eq!(
        (me["data"]["money"].as_i64(), me["data"]["xp"].as_i64()),
        (Some(10_000), Some(0))
    );
}

/// Minimal base64url without padding, for hand-made tokens.
mod base64_engine {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    pub fn encode(input: &[u8]) -> String {
        let mut out = String::new();
        for chunk in input.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..=chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }
}
