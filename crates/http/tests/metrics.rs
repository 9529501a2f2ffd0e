//! `/metrics` after traffic: series, labels by route template, pool and
//! process figures.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use actix_web::test::{self, TestRequest};
use common::*;
use equoria_http::HttpSettings;
use equoria_test_support::TestDatabase;

#[actix_web::test]
async fn metrics_are_labelled_by_route_template_after_traffic() {
    equoria_http::metrics::install().unwrap();
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    for path in [
        "/ping",
        "/ping",
        "/api/users/12345",
        "/api/users/67890",
        "/no/such/path",
        "/health",
    ] {
        send(&app, TestRequest::get().uri(path)).await;
    }

    let res = test::call_service(&app, TestRequest::get().uri("/metrics").to_request()).await;
    assert_eq!(res.status().as_u16(), 200);
    assert!(
        res.headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = String::from_utf8(test::read_body(res).await.to_vec()).unwrap();

    for needle in [
        r#"http_requests_total{method="GET",route="/ping",status="200"} 2"#,
        r#"http_requests_total{method="GET",route="/api/users/{id}",status="404"} 2"#,
        r#"http_requests_total{method="GET",route="<unmatched>",status="404"} 1"#,
        r#"http_request_duration_seconds_bucket{method="GET",route="/ping",status="200",le="0.005"}"#,
        "http_request_duration_seconds_count",
        "http_requests_in_flight",
        "db_pool_max_size 10",
        "db_pool_size",
        "db_pool_available",
        "db_pool_waiting",
        "db_pool_acquire_duration_seconds_bucket",
        "process_resident_memory_bytes",
        "process_cpu_seconds_total",
    ] {
        assert!(text.contains(needle), "missing `{needle}` in:\n{text}");
    }
    assert!(
        !text.contains("12345"),
        "raw paths must never become labels"
    );
}

#[actix_web::test]
async fn metrics_are_404_when_monitoring_is_disabled() {
    equoria_http::metrics::install().unwrap();
    let db = TestDatabase::migrated().await;
    let settings = HttpSettings {
        monitoring_enabled: false,
        ..HttpSettings::for_tests()
    };
    let app = test::init_service(equoria_http::build(state_for(db.url(), settings))).await;
    let (status, body) = send(&app, TestRequest::get().uri("/metrics")).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("NOT_FOUND")));
}

#[actix_web::test]
async fn metrics_are_never_rate_limited() {
    equoria_http::metrics::install().unwrap();
    let db = TestDatabase::migrated().await;
    let app = app_with(
        &db,
        Options {
            general_limit: 1,
            ..Options::default()
        },
    )
    .await;
    for _ in 0..5 {
        assert_eq!(send(&app, TestRequest::get().uri("/metrics")).await.0, 200);
    }
}
