//! `/metrics` after traffic: series, labels by route template, pool and
//! process figures.

#![expect(clippy::unwrap_used)]

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
async fn the_leaderboard_cache_counts_its_hits_and_misses() {
    equoria_http::metrics::install().unwrap();
    let db = TestDatabase::migrated().await;
    let settings = HttpSettings {
        public_cache_ttl: std::time::Duration::from_secs(30),
        ..HttpSettings::for_tests()
    };
    let app = test::init_service(equoria_http::build(state_for(db.url(), settings))).await;
    let series = |result: &str| {
        format!(r#"equoria_cache_requests_total{{cache="leaderboards",result="{result}"}}"#)
    };
    let count = |text: &str, result: &str| -> Option<u64> {
        let series = series(result);
        text.lines()
            .find_map(|line| line.strip_prefix(&series))
            .map(|value| value.trim().parse().unwrap())
    };

    let wins = "/api/leaderboards/horses/wins";
    assert_eq!(send(&app, TestRequest::get().uri(wins)).await.0, 200);
    let text = exposition(&app).await;
    assert_eq!(
        (count(&text, "hit"), count(&text, "miss")),
        (Some(0), Some(1)),
        "{text}"
    );

    for _ in 0..2 {
        assert_eq!(send(&app, TestRequest::get().uri(wins)).await.0, 200);
    }
    assert_eq!(
        send(&app, TestRequest::get().uri(&format!("{wins}?page=2")))
            .await
            .0,
        200
    );
    let text = exposition(&app).await;
    assert_eq!(
        (count(&text, "hit"), count(&text, "miss")),
        (Some(2), Some(2)),
        "{text}"
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

async fn exposition<S, B>(app: &S) -> String
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let res = test::call_service(app, TestRequest::get().uri("/metrics").to_request()).await;
    assert_eq!(res.status().as_u16(), 200);
    String::from_utf8(test::read_body(res).await.to_vec()).unwrap()
}

/// The request series (one per line of `http_requests_total`).
fn request_series(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|line| line.starts_with("http_requests_total{"))
        .collect()
}

#[actix_web::test]
async fn invented_methods_add_no_label_sets() {
    equoria_http::metrics::install().unwrap();
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    // Known methods on a known and an unknown path first: the series they make are the baseline.
    for path in ["/ping", "/no/such/path"] {
        send(&app, TestRequest::get().uri(path)).await;
        send(
            &app,
            TestRequest::default()
                .method(actix_web::http::Method::PUT)
                .uri(path),
        )
        .await;
    }
    // The first scrape records itself: the second one's exposition includes that series.
    exposition(&app).await;
    let before = exposition(&app).await;

    for n in 1..=300 {
        for path in ["/ping", "/no/such/path", &format!("/invented/{n}")] {
            let method = actix_web::http::Method::from_bytes(format!("FOO{n}").as_bytes()).unwrap();
            let (status, _) = send(&app, TestRequest::default().method(method).uri(path)).await;
            assert!(status == 404 || status == 405, "{path}: {status}");
        }
    }

    let after = exposition(&app).await;
    assert!(
        !after.contains("FOO"),
        "an invented method became a label:\n{after}"
    );
    assert!(!after.contains("/invented/"), "a raw path became a label");
    // 900 requests with invented methods: at most one new series per (route, status) they hit.
    let grown = request_series(&after).len() - request_series(&before).len();
    assert!(grown <= 2, "{grown} new series:\n{after}");
    for needle in [
        r#"http_requests_total{method="other",route="/ping",status="405"} 300"#,
        r#"http_requests_total{method="other",route="<unmatched>",status="404"} 600"#,
    ] {
        assert!(after.contains(needle), "missing `{needle}` in:\n{after}");
    }
}

#[test]
fn known_methods_keep_their_name_and_the_rest_are_other() {
    use equoria_http::metrics::method_label;
    for method in equoria_http::metrics::KNOWN_METHODS {
        assert_eq!(method_label(method), method);
    }
    for method in ["FOO1", "get", "PROPFIND", ""] {
        assert_eq!(method_label(method), "other");
    }
}

#[actix_web::test]
async fn the_metrics_listener_app_serves_only_metrics_from_the_shared_registry() {
    equoria_http::metrics::install().unwrap();
    let db = TestDatabase::migrated().await;
    // The public application does not serve them (METRICS_ADDR set)...
    let settings = HttpSettings {
        monitoring_enabled: false,
        ..HttpSettings::for_tests()
    };
    let state = state_for(db.url(), settings);
    let public = test::init_service(equoria_http::build(state.clone())).await;
    assert_eq!(send(&public, TestRequest::get().uri("/ping")).await.0, 200);
    let (status, body) = send(&public, TestRequest::get().uri("/metrics")).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("NOT_FOUND")));

    // ...the listener's application does, with the public traffic in them.
    let listener = test::init_service(equoria_http::metrics::app(state)).await;
    let text = exposition(&listener).await;
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/ping",status="200"}"#),
        "{text}"
    );
    assert!(text.contains("db_pool_max_size 10"), "{text}");
    let (status, body) = send(&listener, TestRequest::get().uri("/ping")).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("NOT_FOUND")));
}
