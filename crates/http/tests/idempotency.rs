//! `Idempotency-Key` on the routes that move money or create something, against the real
//! database: replays, reuse with another request, keys per player, concurrent requests with
//! one key, expiry, and the release of a key whose request failed.

#![expect(clippy::unwrap_used)]

mod common;
mod show_support;

use actix_http::Request;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test::{self, TestRequest};
use common::*;
use equoria_test_support::TestDatabase;
use serde_json::{Value, json};
use show_support::*;

/// Status, `Idempotent-Replayed` header and JSON body of one answer.
#[derive(Debug, Clone, PartialEq)]
struct Answer {
    status: u16,
    replayed: bool,
    body: Value,
}

async fn call<S, B>(app: &S, req: TestRequest) -> Answer
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let res = test::call_service(app, req.to_request()).await;
    let status = res.status().as_u16();
    let replayed = res
        .headers()
        .get("idempotent-replayed")
        .is_some_and(|v| v == "true");
    let bytes = test::read_body(res).await;
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer {
        status,
        replayed,
        body,
    }
}

/// A POST of `body` to `uri` by `player`, with `key` as its `Idempotency-Key`.
fn keyed(uri: &str, player: &Player, key: &str, body: Value) -> TestRequest {
    with_token(post_json(uri, body), &player.access).insert_header(("Idempotency-Key", key))
}

fn horse_body(name: &str) -> Value {
    json!({"name": name, "breedId": 1, "sex": "Mare", "age": 4})
}

async fn count(db: &TestDatabase, sql: &str) -> i64 {
    scalar(db, &format!("SELECT count(*) AS value FROM {sql}")).await
}

async fn horses_of(db: &TestDatabase, player: &Player) -> i64 {
    count(db, &format!("horses WHERE owner_id = {}", player.id)).await
}

/// The first answer, then the retry's: same status and body, marked replayed.
fn assert_replayed(first: &Answer, retry: &Answer) {
    assert!(!first.replayed, "{first:?}");
    assert!(retry.replayed, "{retry:?}");
    assert_eq!((retry.status, &retry.body), (first.status, &first.body));
}

#[actix_web::test]
async fn buying_a_horse_twice_with_one_key_buys_it_once() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "buyer").await;

    let first = call(
        &app,
        keyed("/api/horses", &player, "buy-1", horse_body("Comet")),
    )
    .await;
    assert_eq!(first.status, 201, "{first:?}");
    let money = money_of(&db, player.id).await;
    let horses = horses_of(&db, &player).await;

    let retry = call(
        &app,
        keyed("/api/horses", &player, "buy-1", horse_body("Comet")),
    )
    .await;
    assert_replayed(&first, &retry);
    assert_eq!(money_of(&db, player.id).await, money);
    assert_eq!(horses_of(&db, &player).await, horses);
    assert_money_invariants(&db).await;

    // A new key is a new purchase.
    let other = call(
        &app,
        keyed("/api/horses", &player, "buy-2", horse_body("Comet")),
    )
    .await;
    assert_eq!((other.status, other.replayed), (201, false), "{other:?}");
    assert_eq!(horses_of(&db, &player).await, horses + 1);
}

#[actix_web::test]
async fn the_same_key_with_another_request_is_refused() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "reuser").await;
    let first = call(
        &app,
        keyed("/api/horses", &player, "k", horse_body("Comet")),
    )
    .await;
    assert_eq!(first.status, 201, "{first:?}");
    let horses = horses_of(&db, &player).await;

    let other_body = call(&app, keyed("/api/horses", &player, "k", horse_body("Nova"))).await;
    let horse = first.body["data"]["id"].as_i64().unwrap();
    let other_path = call(
        &app,
        keyed(
            "/api/training/train",
            &player,
            "k",
            json!({"horseId": horse, "discipline": "Racing"}),
        ),
    )
    .await;

    for refused in [other_body, other_path] {
        assert_eq!(refused.status, 409, "{refused:?}");
        assert_eq!(refused.body["code"], "IDEMPOTENCY_KEY_REUSED");
        assert!(!refused.replayed);
    }
    assert_eq!(horses_of(&db, &player).await, horses);
    assert_eq!(count(&db, "training_sessions").await, 0);
}

#[actix_web::test]
async fn keys_belong_to_one_player() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let alice = register(&app, "alice_k").await;
    let bob = register(&app, "bob_k").await;

    let a = call(
        &app,
        keyed("/api/horses", &alice, "shared", horse_body("Comet")),
    )
    .await;
    let b = call(
        &app,
        keyed("/api/horses", &bob, "shared", horse_body("Comet")),
    )
    .await;

    assert_eq!((a.status, a.replayed), (201, false), "{a:?}");
    assert_eq!((b.status, b.replayed), (201, false), "{b:?}");
    assert_ne!(a.body["data"]["id"], b.body["data"]["id"]);
    assert_eq!(horses_of(&db, &alice).await, 2);
    assert_eq!(horses_of(&db, &bob).await, 2);
}

#[actix_web::test]
async fn entering_a_show_twice_with_one_key_enters_and_pays_once() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let admin = register(&app, "show_admin").await;
    make_admin(&db, &admin).await;
    let rider = register(&app, "rider").await;
    let horse = starter_horse(&db, rider.id).await;
    let show = create_show(&app, &admin, show_body("Derby", "Racing", 250, 1_000, 5)).await;
    let uri = format!("/api/shows/{show}/entries");

    let first = call(
        &app,
        keyed(&uri, &rider, "enter", json!({"horseId": horse})),
    )
    .await;
    assert_eq!(first.status, 201, "{first:?}");
    let money = money_of(&db, rider.id).await;

    let retry = call(
        &app,
        keyed(&uri, &rider, "enter", json!({"horseId": horse})),
    )
    .await;
    assert_replayed(&first, &retry);
    assert_eq!(money_of(&db, rider.id).await, money);
    assert_eq!(
        count(&db, &format!("show_entries WHERE show_id = {show}")).await,
        1
    );
    let entry_count = scalar(
        &db,
        &format!("SELECT entry_count::bigint AS value FROM shows WHERE id = {show}"),
    )
    .await;
    assert_eq!(entry_count, 1);
    assert_money_invariants(&db).await;
}

#[actix_web::test]
async fn training_twice_with_one_key_trains_once() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "trainer").await;
    let horse = starter_horse(&db, player.id).await;
    let body = json!({"horseId": horse, "discipline": "Dressage"});

    let first = call(
        &app,
        keyed("/api/training/train", &player, "t", body.clone()),
    )
    .await;
    assert_eq!(first.status, 200, "{first:?}");
    let retry = call(&app, keyed("/api/training/train", &player, "t", body)).await;

    assert_replayed(&first, &retry);
    assert_eq!(count(&db, "training_sessions").await, 1);
    let xp = scalar(
        &db,
        &format!(
            "SELECT xp::bigint AS value FROM users WHERE id = {}",
            player.id
        ),
    )
    .await;
    assert_eq!(xp, 5);
    assert_xp_invariants(&db).await;
}

#[actix_web::test]
async fn creating_a_show_twice_with_one_key_creates_it_once() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let admin = register(&app, "show_admin").await;
    make_admin(&db, &admin).await;
    let body = show_body("Derby", "Racing", 250, 1_000, 5);

    let first = call(&app, keyed("/api/shows", &admin, "show", body.clone())).await;
    assert_eq!(first.status, 201, "{first:?}");
    let retry = call(&app, keyed("/api/shows", &admin, "show", body)).await;

    assert_replayed(&first, &retry);
    assert_eq!(count(&db, "shows").await, 1);
}

#[actix_web::test]
async fn a_refusal_is_answered_again_unchanged() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "poor").await;
    exec(
        &db,
        &format!("UPDATE users SET money = 0 WHERE id = {}", player.id),
    )
    .await;

    let first = call(
        &app,
        keyed("/api/horses", &player, "broke", horse_body("Comet")),
    )
    .await;
    assert_eq!(first.status, 422, "{first:?}");
    assert_eq!(first.body["code"], "INSUFFICIENT_FUNDS");
    let retry = call(
        &app,
        keyed("/api/horses", &player, "broke", horse_body("Comet")),
    )
    .await;

    // The same envelope, request id of the first answer included.
    assert_replayed(&first, &retry);
    assert!(
        first.body["requestId"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
}

#[actix_web::test]
async fn of_two_requests_with_one_key_at_once_exactly_one_does_the_work() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "racer").await;
    let money = money_of(&db, player.id).await;

    let (a, b) = futures_util::join!(
        call(
            &app,
            keyed("/api/horses", &player, "once", horse_body("Comet"))
        ),
        call(
            &app,
            keyed("/api/horses", &player, "once", horse_body("Comet"))
        ),
    );

    let (done, other) = if a.replayed || a.status == 409 {
        (b, a)
    } else {
        (a, b)
    };
    assert_eq!((done.status, done.replayed), (201, false), "{done:?}");
    if other.status == 409 {
        assert_eq!(other.body["code"], "IN_PROGRESS", "{other:?}");
    } else {
        assert_replayed(&done, &other);
    }
    assert_eq!(horses_of(&db, &player).await, 2);
    assert!(money_of(&db, player.id).await < money);
    assert_eq!(
        count(&db, "ledger_entries WHERE reason = 'horse_purchase'").await,
        1
    );
}

#[actix_web::test]
async fn a_key_older_than_a_day_is_a_new_key() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "returning").await;
    let first = call(
        &app,
        keyed("/api/horses", &player, "old", horse_body("Comet")),
    )
    .await;
    assert_eq!(first.status, 201, "{first:?}");
    exec(
        &db,
        "UPDATE idempotency_keys SET created_at = now() - interval '24 hours 1 minute'",
    )
    .await;

    let again = call(
        &app,
        keyed("/api/horses", &player, "old", horse_body("Comet")),
    )
    .await;

    assert_eq!((again.status, again.replayed), (201, false), "{again:?}");
    assert_ne!(again.body["data"]["id"], first.body["data"]["id"]);
    assert_eq!(horses_of(&db, &player).await, 3);
}

#[actix_web::test]
async fn a_server_error_releases_the_key_for_a_retry() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "unlucky").await;
    exec(&db, "ALTER TABLE horses RENAME TO horses_away").await;

    let failed = call(
        &app,
        keyed("/api/horses", &player, "retry", horse_body("Comet")),
    )
    .await;
    assert_eq!(failed.status, 500, "{failed:?}");
    assert_eq!(count(&db, "idempotency_keys").await, 0);

    exec(&db, "ALTER TABLE horses_away RENAME TO horses").await;
    let retry = call(
        &app,
        keyed("/api/horses", &player, "retry", horse_body("Comet")),
    )
    .await;
    assert_eq!((retry.status, retry.replayed), (201, false), "{retry:?}");
    assert_eq!(horses_of(&db, &player).await, 2);
}

#[actix_web::test]
async fn a_malformed_key_is_refused_and_no_key_changes_nothing() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "careful").await;
    let long = "k".repeat(256);

    for bad in ["", "has space", long.as_str(), "caf\u{e9}"] {
        let req = with_token(
            post_json("/api/horses", horse_body("Comet")),
            &player.access,
        )
        .insert_header((
            "Idempotency-Key",
            actix_web::http::header::HeaderValue::from_bytes(bad.as_bytes()).unwrap(),
        ));
        let refused = call(&app, req).await;
        assert_eq!(refused.status, 400, "{bad:?}: {refused:?}");
        assert_eq!(refused.body["code"], "VALIDATION_FAILED");
        assert_eq!(refused.body["errors"][0]["field"], "Idempotency-Key");
    }
    assert_eq!(horses_of(&db, &player).await, 1);

    for _ in 0..2 {
        let plain = call(
            &app,
            with_token(
                post_json("/api/horses", horse_body("Comet")),
                &player.access,
            ),
        )
        .await;
        assert_eq!((plain.status, plain.replayed), (201, false), "{plain:?}");
    }
    assert_eq!(horses_of(&db, &player).await, 3);
    assert_eq!(count(&db, "idempotency_keys").await, 0);
}

#[actix_web::test]
async fn the_openapi_document_declares_the_header_and_the_conflicts() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let doc = call(&app, TestRequest::get().uri("/api/openapi.json")).await;
    assert_eq!(doc.status, 200);

    for path in [
        "/api/horses",
        "/api/shows",
        "/api/shows/{id}/entries",
        "/api/training/train",
    ] {
        let operation = &doc.body["paths"][path]["post"];
        let declared = operation["parameters"]
            .as_array()
            .unwrap_or_else(|| panic!("{path}: no parameters"))
            .iter()
            .any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header");
        assert!(declared, "{path}: no Idempotency-Key header");
        let conflict = operation["responses"]["409"]["description"]
            .as_str()
            .unwrap_or_default();
        assert!(
            conflict.contains("IDEMPOTENCY_KEY_REUSED") && conflict.contains("IN_PROGRESS"),
            "{path}: {conflict}"
        );
    }
}

#[actix_web::test]
async fn the_purge_deletes_only_expired_keys() {
    let db = TestDatabase::migrated().await;
    let state = state_for(db.url(), equoria_http::HttpSettings::for_tests());
    let app = test::init_service(equoria_http::build(state.clone())).await;
    let player = register(&app, "purger").await;
    for key in ["old", "new"] {
        let answer = call(
            &app,
            keyed("/api/horses", &player, key, horse_body("Comet")),
        )
        .await;
        assert_eq!(answer.status, 201, "{answer:?}");
    }
    exec(
        &db,
        "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'old'",
    )
    .await;

    assert_eq!(state.idempotency.purge_expired().await.unwrap(), 1);

    assert_eq!(count(&db, "idempotency_keys WHERE key = 'new'").await, 1);
    assert_eq!(count(&db, "idempotency_keys").await, 1);
}
