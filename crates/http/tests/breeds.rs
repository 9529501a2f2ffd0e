//! Breeds and disciplines through HTTP: public, cacheable reads.

#![expect(clippy::unwrap_used)]

mod common;

use actix_web::test::{self, TestRequest};
use common::*;
use equoria_test_support::TestDatabase;
use serde_json::Value;

#[actix_web::test]
async fn the_twelve_seeded_breeds_are_listed_with_their_means_without_a_token() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;

    let (status, body) = send(&app, TestRequest::get().uri("/api/breeds")).await;

    assert_eq!(status, 200, "{body}");
    let breeds = body["data"].as_array().unwrap();
    assert_eq!(breeds.len(), 12);
    assert_eq!(body["pagination"]["total"], 12);
    assert_eq!(breeds[0]["name"], "Thoroughbred");
    assert_eq!(breeds[0]["statMeans"]["speed"], 20);
    assert_eq!(breeds[0]["statMeans"]["endurance"], 16);
    let gaited: Vec<&str> = breeds
        .iter()
        .filter(|b| b["gaited"] == true)
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        gaited,
        [
            "American Saddlebred",
            "National Show Horse",
            "Tennessee Walking Horse",
            "Walkaloosa"
        ]
    );
}

#[actix_web::test]
async fn breed_answers_carry_an_etag_and_cache_control_and_a_matching_if_none_match_gets_304() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;

    for uri in ["/api/breeds", "/api/breeds/1", "/api/disciplines"] {
        let res = test::call_service(&app, TestRequest::get().uri(uri).to_request()).await;
        assert_eq!(res.status().as_u16(), 200, "{uri}");
        let etag = res
            .headers()
            .get("etag")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        let cache = res
            .headers()
            .get("cache-control")
            .unwrap()
            .to_str()
            .unwrap();
        assert!(cache.starts_with("public, max-age="), "{uri}: {cache}");
        assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");

        let res = test::call_service(
            &app,
            TestRequest::get()
                .uri(uri)
                .insert_header(("if-none-match", etag.clone()))
                .to_request(),
        )
        .await;
        assert_eq!(res.status().as_u16(), 304, "{uri}");
        assert_eq!(res.headers().get("etag").unwrap().to_str().unwrap(), etag);
        assert!(res.headers().get("cache-control").is_some());
        assert!(test::read_body(res).await.is_empty(), "{uri}");

        let res = test::call_service(
            &app,
            TestRequest::get()
                .uri(uri)
                .insert_header(("if-none-match", "\"something-else\""))
                .to_request(),
        )
        .await;
        assert_eq!(res.status().as_u16(), 200, "{uri}");
    }
}

fn etag<B>(res: &actix_web::dev::ServiceResponse<B>) -> String {
    res.headers()
        .get("etag")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned()
}

#[actix_web::test]
async fn different_pages_of_breeds_have_different_etags() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let first = test::call_service(
        &app,
        TestRequest::get().uri("/api/breeds?limit=5").to_request(),
    )
    .await;
    let second = test::call_service(
        &app,
        TestRequest::get()
            .uri("/api/breeds?limit=5&page=2")
            .to_request(),
    )
    .await;

    assert_ne!(etag(&first), etag(&second));
    let body: Value = test::read_body_json(second).await;
    assert_eq!(body["data"][0]["name"], "Appaloosa");
    assert_eq!(body["pagination"]["hasMore"], true);
}

#[actix_web::test]
async fn one_breed_is_found_by_id_and_unknown_or_malformed_ids_are_404() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;

    let (status, body) = send(&app, TestRequest::get().uri("/api/breeds/3")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["name"], "American Saddlebred");
    assert_eq!(body["data"]["gaited"], true);

    for uri in [
        "/api/breeds/999",
        "/api/breeds/abc",
        "/api/breeds/-1",
        "/api/breeds/0",
    ] {
        let (status, body) = send(&app, TestRequest::get().uri(uri)).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (404, Some("NOT_FOUND")),
            "{uri}"
        );
    }
}

#[actix_web::test]
async fn breeds_cannot_be_written() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;

    let (status, body) = send(&app, TestRequest::post().uri("/api/breeds")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (405, Some("METHOD_NOT_ALLOWED"))
    );
    let (status, _) = send(&app, TestRequest::delete().uri("/api/breeds/1")).await;
    assert_eq!(status, 405);
}

#[actix_web::test]
async fn the_23_disciplines_are_listed_with_their_primary_stats() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;

    let (status, body) = send(&app, TestRequest::get().uri("/api/disciplines")).await;

    assert_eq!(status, 200, "{body}");
    let list = body["data"].as_array().unwrap();
    assert_eq!(list.len(), 23);
    let find = |name: &str| list.iter().find(|d| d["name"] == name).unwrap().clone();
    assert_eq!(
        find("Western Pleasure")["primaryStats"],
        serde_json::json!(["obedience", "focus", "precision"])
    );
    assert_eq!(
        find("Harness Racing")["primaryStats"],
        serde_json::json!(["speed", "precision", "stamina"])
    );
    assert_eq!(find("Gaited")["gaitedOnly"], true);
    assert_eq!(list.iter().filter(|d| d["gaitedOnly"] == true).count(), 1);
}
