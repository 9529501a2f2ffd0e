//! Accounts through HTTP against the real database: registration, login,
//! token rotation and every invalid-token case.

#![expect(clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::test::TestRequest;
use common::*;
use diesel::sql_types::BigInt;
use diesel_async::RunQueryDsl;
use equoria_application::accounts::PasswordHasher;
use equoria_domain::account::Password;
use equoria_http::security::password::Bcrypt;
use equoria_test_support::TestDatabase;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tokio::sync::oneshot;

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
    let winners: Vec<_> = results.iter().filter(|(s, _)| *s == 200).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    assert!(results.iter().all(|(s, _)| *s == 200 || *s == 401));
    assert_eq!(count(&db, &format!("SELECT count(*) AS n FROM refresh_tokens WHERE user_id = {} AND used_at IS NOT NULL", player.id)).await, 1);
    // A loser that read the token while it was still unused lost a benign
    // race and revoked nothing; one that read it after the winner had used
    // it presented a used token, which is reuse and revokes the family.
    let reused = results
        .iter()
        .any(|(_, body)| body["code"] == "TOKEN_REUSED");
    let next = winners[0].1["data"]["refreshToken"].as_str().unwrap();
    let (status, _) = send(&app, refresh_request(next)).await;
    assert_eq!(status, if reused { 401 } else { 200 }, "{results:?}");
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

/// Refresh tokens of `user` that would still be accepted: neither used,
/// revoked nor expired.
async fn live_refresh_tokens(db: &TestDatabase, user: i64) -> i64 {
    count(
        db,
        &format!(
            "SELECT count(*) AS n FROM refresh_tokens WHERE user_id = {user} \
             AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()"
        ),
    )
    .await
}

/// Sessions of this test's database that wait for a lock.
async fn lock_waiters(db: &TestDatabase) -> i64 {
    count(
        db,
        "SELECT count(*) AS n FROM pg_stat_activity \
         WHERE datname = current_database() AND wait_event_type = 'Lock'",
    )
    .await
}

/// Waits until `n` sessions wait for a lock (10 s at most).
async fn until_lock_waiters(db: &TestDatabase, n: i64) {
    for _ in 0..2000 {
        if lock_waiters(db).await >= n {
            return;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    panic!("{n} requests never queued for a lock");
}

/// A transaction of the test's own holding the row locks of the live
/// refresh tokens of `user`: requests that need one queue up behind it in
/// the order they arrive, which makes a race's interleaving certain.
struct TokenBarrier(diesel_async::AsyncPgConnection);

impl TokenBarrier {
    async fn hold(db: &TestDatabase, user: i64) -> Self {
        let mut conn = db.connect().await;
        diesel::sql_query("BEGIN").execute(&mut conn).await.unwrap();
        let locked = diesel::sql_query(format!(
            "SELECT id FROM refresh_tokens WHERE user_id = {user} AND used_at IS NULL FOR UPDATE"
        ))
        .execute(&mut conn)
        .await
        .unwrap();
        assert_eq!(locked, 1, "one live token to race for");
        Self(conn)
    }

    /// Once `waiters` requests queue behind the barrier, lets them through.
    async fn release_after(mut self, db: &TestDatabase, waiters: i64) {
        until_lock_waiters(db, waiters).await;
        diesel::sql_query("COMMIT")
            .execute(&mut self.0)
            .await
            .unwrap();
    }
}

fn refresh_request(token: &str) -> TestRequest {
    post_json("/api/auth/refresh", json!({"refreshToken": token}))
}

#[actix_web::test]
async fn of_two_racing_refreshes_the_loser_revokes_nothing_and_the_winners_tokens_keep_working() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "race_pair").await;
    // Both requests read the token while it is unused, then queue for it.
    let barrier = TokenBarrier::hold(&db, player.id).await;
    let first = send(&app, refresh_request(&player.refresh));
    let second = async {
        until_lock_waiters(&db, 1).await;
        send(&app, refresh_request(&player.refresh)).await
    };
    let (first, second, ()) = futures_util::join!(first, second, barrier.release_after(&db, 2));

    let (winner, loser) = if first.0 == 200 {
        (first, second)
    } else {
        (second, first)
    };
    assert_eq!(winner.0, 200, "{winner:?} / {loser:?}");
    assert_eq!(
        (loser.0, loser.1["code"].as_str()),
        (401, Some("INVALID_TOKEN")),
        "the loser of a benign race is not reuse: {loser:?}"
    );
    let access = winner.1["data"]["accessToken"].as_str().unwrap();
    let (status, _) = send(
        &app,
        with_token(TestRequest::get().uri("/api/auth/me"), access),
    )
    .await;
    assert_eq!(status, 200);
    let next = winner.1["data"]["refreshToken"].as_str().unwrap();
    let (status, rotated) = send(&app, refresh_request(next)).await;
    assert_eq!(
        status, 200,
        "the winner's refresh token keeps working: {rotated}"
    );

    // Presented now, after it was used, the first token is reuse.
    let (status, body) = send(&app, refresh_request(&player.refresh)).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("TOKEN_REUSED")));
    assert_eq!(live_refresh_tokens(&db, player.id).await, 0);
}

#[actix_web::test]
async fn a_refresh_racing_a_logout_leaves_no_valid_refresh_token() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "race_logout").await;
    let barrier = TokenBarrier::hold(&db, player.id).await;
    let refresh = send(&app, refresh_request(&player.refresh));
    let logout = async {
        until_lock_waiters(&db, 1).await;
        send(
            &app,
            post_json("/api/auth/logout", json!({"refreshToken": player.refresh})),
        )
        .await
    };
    let (refresh, logout, ()) = futures_util::join!(refresh, logout, barrier.release_after(&db, 2));

    assert_eq!(logout.0, 204, "{logout:?}");
    if refresh.0 == 200 {
        let next = refresh.1["data"]["refreshToken"].as_str().unwrap();
        let (status, body) = send(&app, refresh_request(next)).await;
        assert_eq!(
            status, 401,
            "the token issued by the racing refresh is revoked by the logout: {body}"
        );
    }
    assert_eq!(live_refresh_tokens(&db, player.id).await, 0);
}

#[actix_web::test]
async fn a_refresh_racing_a_password_change_leaves_no_valid_refresh_token() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "race_pw").await;
    let barrier = TokenBarrier::hold(&db, player.id).await;
    let refresh = send(&app, refresh_request(&player.refresh));
    let change = async {
        until_lock_waiters(&db, 1).await;
        send(
            &app,
            with_token(
                post_json(
                    "/api/auth/change-password",
                    json!({"currentPassword": PASSWORD, "newPassword": "a brand new password"}),
                ),
                &player.access,
            ),
        )
        .await
    };
    let (refresh, change, ()) = futures_util::join!(refresh, change, barrier.release_after(&db, 2));

    assert_eq!(change.0, 204, "{change:?}");
    if refresh.0 == 200 {
        let next = refresh.1["data"]["refreshToken"].as_str().unwrap();
        let (status, body) = send(&app, refresh_request(next)).await;
        assert_eq!(
            status, 401,
            "the token issued by the racing refresh is revoked by the change: {body}"
        );
    }
    assert_eq!(live_refresh_tokens(&db, player.id).await, 0);
    let (status, _) = send(
        &app,
        post_json(
            "/api/auth/login",
            json!({"email": "race_pw@example.com", "password": "a brand new password"}),
        ),
    )
    .await;
    assert_eq!(status, 200);
}

/// bcrypt at the tests' cost, counting verifications, with a gate: once
/// armed, the next verification stops after checking the password until
/// the test releases it.
struct GatedHasher {
    inner: Bcrypt,
    verifications: AtomicUsize,
    gate: Mutex<Option<(oneshot::Sender<()>, oneshot::Receiver<()>)>>,
}

impl GatedHasher {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            inner: Bcrypt::new(4).unwrap(),
            verifications: AtomicUsize::new(0),
            gate: Mutex::new(None),
        })
    }

    /// Arms the gate: the first receiver fires when a verification reached
    /// it; sending on the second lets that verification go on.
    fn arm(&self) -> (oneshot::Receiver<()>, oneshot::Sender<()>) {
        let (arrived_tx, arrived_rx) = oneshot::channel();
        let (release_tx, release_rx) = oneshot::channel();
        *self.gate.lock().unwrap() = Some((arrived_tx, release_rx));
        (arrived_rx, release_tx)
    }

    fn verifications(&self) -> usize {
        AtomicUsize::load(&self.verifications, Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl PasswordHasher for GatedHasher {
    async fn hash(&self, password: Password) -> Result<String, String> {
        self.inner.hash(password).await
    }

    async fn verify(&self, password: Password, hash: Option<String>) -> bool {
        self.verifications.fetch_add(1, Ordering::SeqCst);
        let matched = self.inner.verify(password, hash).await;
        let gate = self.gate.lock().unwrap().take();
        if let Some((arrived, release)) = gate {
            arrived.send(()).unwrap();
            release.await.unwrap();
        }
        matched
    }
}

fn gated_app_options(hasher: &Arc<GatedHasher>) -> Options {
    let hasher: Arc<dyn PasswordHasher> = hasher.clone();
    Options {
        hasher: Some(hasher),
        ..Options::default()
    }
}

#[actix_web::test]
async fn a_login_that_verified_the_old_password_while_it_changed_opens_no_session() {
    let db = TestDatabase::migrated().await;
    let hasher = GatedHasher::new();
    let app = app_with(&db, gated_app_options(&hasher)).await;
    let player = register(&app, "race_login").await;

    let (arrived, release) = hasher.arm();
    let login = send(
        &app,
        post_json(
            "/api/auth/login",
            json!({"email": "race_login@example.com", "password": PASSWORD}),
        ),
    );
    // The login has checked the old password; the change commits before the
    // login stores its refresh token.
    let change = async {
        arrived.await.unwrap();
        let change = send(
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
        release.send(()).unwrap();
        change
    };
    let (login, change) = futures_util::join!(login, change);

    assert_eq!(change.0, 204, "{change:?}");
    assert_eq!(
        (login.0, login.1["code"].as_str()),
        (401, Some("INVALID_CREDENTIALS")),
        "{login:?}"
    );
    assert_eq!(live_refresh_tokens(&db, player.id).await, 0);
}

#[actix_web::test]
async fn candidates_over_72_bytes_never_reach_bcrypt_and_fail_like_a_wrong_password() {
    let db = TestDatabase::migrated().await;
    let hasher = GatedHasher::new();
    let app = app_with(&db, gated_app_options(&hasher)).await;
    // 72 bytes: bcrypt reads all of them, and would ignore anything after.
    let password = "p".repeat(72);
    let (status, body) = send(
        &app,
        post_json(
            "/api/auth/register",
            json!({"email": "long72@example.com", "username": "long72", "password": password}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let access = body["data"]["accessToken"].as_str().unwrap().to_owned();
    let (_, wrong) = send(
        &app,
        post_json(
            "/api/auth/login",
            json!({"email": "long72@example.com", "password": "not the password"}),
        ),
    )
    .await;

    let before = hasher.verifications();
    let longer = format!("{password}-and-any-suffix");
    let (status, body) = send(
        &app,
        post_json(
            "/api/auth/login",
            json!({"email": "long72@example.com", "password": longer}),
        ),
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["code"], "INVALID_CREDENTIALS");
    assert_eq!(body["message"], wrong["message"]);
    let (status, body) = send(
        &app,
        with_token(
            post_json(
                "/api/auth/change-password",
                json!({"currentPassword": longer, "newPassword": "a brand new password"}),
            ),
            &access,
        ),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("INCORRECT_PASSWORD"))
    );
    assert_eq!(hasher.verifications(), before, "bcrypt never saw them");

    let (status, _) = send(
        &app,
        post_json(
            "/api/auth/login",
            json!({"email": "long72@example.com", "password": password}),
        ),
    )
    .await;
    assert_eq!(status, 200, "the exact 72-byte password still works");
}

#[derive(diesel::QueryableByName)]
struct StoredHash {
    #[diesel(sql_type = diesel::sql_types::Text)]
    password_hash: String,
}

async fn stored_hash(db: &TestDatabase, user: i64) -> String {
    let mut conn = db.connect().await;
    diesel::sql_query(format!("SELECT password_hash FROM users WHERE id = {user}"))
        .get_result::<StoredHash>(&mut conn)
        .await
        .unwrap()
        .password_hash
}

#[actix_web::test]
async fn a_hash_of_another_cost_is_replaced_at_the_next_successful_login() {
    let db = TestDatabase::migrated().await;
    let app = app_with(
        &db,
        Options {
            bcrypt_cost: 5,
            ..Options::default()
        },
    )
    .await;
    let player = register(&app, "rehash_user").await;
    assert!(stored_hash(&db, player.id).await.starts_with("$2b$05$"));
    // An older hash, made when the configured cost was 4.
    let old = bcrypt::hash(PASSWORD, 4).unwrap();
    let mut conn = db.connect().await;
    diesel::sql_query(format!(
        "UPDATE users SET password_hash = '{old}' WHERE id = {}",
        player.id
    ))
    .execute(&mut conn)
    .await
    .unwrap();

    let login = |password: &str| {
        post_json(
            "/api/auth/login",
            json!({"email": "rehash_user@example.com", "password": password}),
        )
    };
    let (status, _) = send(&app, login("a wrong password")).await;
    assert_eq!(status, 401);
    assert_eq!(
        stored_hash(&db, player.id).await,
        old,
        "a failed login changes nothing"
    );

    let (status, _) = send(&app, login(PASSWORD)).await;
    assert_eq!(status, 200);
    let rehashed = stored_hash(&db, player.id).await;
    assert!(rehashed.starts_with("$2b$05$"), "{rehashed}");
    assert!(bcrypt::verify(PASSWORD, &rehashed).unwrap());

    let (status, _) = send(&app, login(PASSWORD)).await;
    assert_eq!(status, 200);
    assert_eq!(
        stored_hash(&db, player.id).await,
        rehashed,
        "a hash of the configured cost is kept"
    );
}

/// Minimal base64url without padding, for hand-made tokens.
mod base64_engine {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    pub(crate) fn encode(input: &[u8]) -> String {
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
