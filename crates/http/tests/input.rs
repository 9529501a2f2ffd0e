//! Text the database cannot store (the NUL character) and names that could
//! spoof a public board, through HTTP against the real database: every such
//! input is a 400 naming the field, never a 500.

#![expect(clippy::unwrap_used)]

mod common;

use actix_web::test::TestRequest;
use common::*;
use equoria_test_support::TestDatabase;
use serde_json::{Value, json};

/// The status, error code and the fields named by a refusal.
fn refusal(status: u16, body: &Value) -> (u16, Option<&str>, Vec<&str>) {
    let fields = body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap())
                .collect()
        })
        .unwrap_or_default();
    (status, body["code"].as_str(), fields)
}

const NUL_MESSAGE: &str = "must not contain the NUL character (U+0000)";

#[actix_web::test]
async fn a_nul_in_a_query_parameter_is_a_400_naming_it_on_every_route() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "query_nul").await;
    let cases = [
        ("/api/horses?name=%00x", "name"),
        ("/api/horses?sort=name&name=Star%00light", "name"),
        ("/api/shows?status=open%00", "status"),
        ("/api/leaderboards/players/xp?period=%00", "period"),
        ("/api/breeds?page=1%00", "page"),
        ("/api/users/me/transactions?limit=%0010", "limit"),
        ("/api/training/trainable?%00=1", "query"),
        ("/ping?x=%00", "x"),
    ];
    for (uri, field) in cases {
        let (status, body) = send(
            &app,
            with_token(TestRequest::get().uri(uri), &player.access),
        )
        .await;
        assert_eq!(
            refusal(status, &body),
            (400, Some("VALIDATION_FAILED"), vec![field]),
            "{uri}: {body}"
        );
        assert_eq!(body["errors"][0]["message"], NUL_MESSAGE, "{uri}");
    }
}

#[actix_web::test]
async fn a_nul_in_a_path_segment_is_a_400_naming_the_path_parameter() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "path_nul").await;
    let cases = [
        (TestRequest::get().uri("/api/horses/%00"), "id"),
        (TestRequest::delete().uri("/api/horses/1%00"), "id"),
        (TestRequest::get().uri("/api/shows/%001/entries"), "id"),
        (
            TestRequest::get().uri("/api/training/status/%00"),
            "horseId",
        ),
        (TestRequest::get().uri("/api/users/%00"), "id"),
        (TestRequest::get().uri("/api/breeds/%00"), "id"),
        (TestRequest::get().uri("/api/no%00where"), "path"),
    ];
    for (req, field) in cases {
        let (status, body) = send(&app, with_token(req, &player.access)).await;
        assert_eq!(
            refusal(status, &body),
            (400, Some("VALIDATION_FAILED"), vec![field]),
            "{field}: {body}"
        );
    }
}

#[actix_web::test]
async fn a_nul_in_any_body_field_is_a_400_naming_it_whatever_the_route() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "body_nul").await;
    let cases = [
        (
            post_json(
                "/api/auth/register",
                json!({"email": "nul@example.com", "username": "nul_user", "password": "a long password\u{0}!"}),
            ),
            vec!["password"],
        ),
        (
            post_json(
                "/api/auth/login",
                json!({"email": "body_nul@example.com\u{0}", "password": PASSWORD}),
            ),
            vec!["email"],
        ),
        (
            post_json("/api/auth/refresh", json!({"refreshToken": "\u{0}"})),
            vec!["refreshToken"],
        ),
        (
            with_token(
                TestRequest::patch()
                    .uri("/api/auth/me")
                    .set_json(json!({"bio": "hi\u{0}", "firstName": "Ann"})),
                &player.access,
            ),
            vec!["bio"],
        ),
        (
            with_token(
                post_json(
                    "/api/horses",
                    json!({"name": "Comet\u{0}", "breedId": 1, "sex": "Mare"}),
                ),
                &player.access,
            ),
            vec!["name"],
        ),
    ];
    for (req, fields) in cases {
        let (status, body) = send(&app, req).await;
        assert_eq!(
            refusal(status, &body),
            (400, Some("VALIDATION_FAILED"), fields.clone()),
            "{fields:?}: {body}"
        );
        assert_eq!(body["errors"][0]["message"], NUL_MESSAGE);
    }
    let (status, _) = send(
        &app,
        post_json(
            "/api/auth/login",
            json!({"email": "body_nul@example.com", "password": PASSWORD}),
        ),
    )
    .await;
    assert_eq!(status, 200, "the account is untouched");
}

#[actix_web::test]
async fn names_with_bidi_overrides_or_zero_width_characters_are_refused() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "spoof_user").await;
    for name in [
        "Star\u{202E}light",
        "Star\u{200B}light",
        "\u{FEFF}Starlight",
    ] {
        let (status, body) = send(
            &app,
            with_token(
                post_json(
                    "/api/horses",
                    json!({"name": name, "breedId": 1, "sex": "Mare"}),
                ),
                &player.access,
            ),
        )
        .await;
        assert_eq!(
            refusal(status, &body),
            (400, Some("VALIDATION_FAILED"), vec!["name"]),
            "{name:?}: {body}"
        );
    }
    let (status, body) = send(
        &app,
        post_json(
            "/api/auth/register",
            json!({"email": "bidi@example.com", "username": "ad\u{202E}nimda", "password": PASSWORD}),
        ),
    )
    .await;
    assert_eq!(
        refusal(status, &body),
        (400, Some("VALIDATION_FAILED"), vec!["username"]),
        "{body}"
    );
}
