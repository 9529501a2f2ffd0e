//! What every response gets: JSON errors, request ids, security headers,
//! CORS, limits, compression; and the operations endpoints.

#![expect(clippy::unwrap_used)]

mod common;

use actix_web::http::{StatusCode, header};
use actix_web::test::{self, TestRequest};
use equoria_http::HttpSettings;
use equoria_test_support::TestDatabase;

use common::{app, json_body, state_for};

/// Nothing listens on port 1: connections are refused at once.
const UNREACHABLE_DB: &str = "postgres://postgres@127.0.0.1:1/equoria";

/// The application with test settings and a database that never answers.
async fn offline_app() -> impl actix_web::dev::Service<
    actix_http::Request,
    Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
    Error = actix_web::Error,
> {
    test::init_service(equoria_http::build(state_for(
        UNREACHABLE_DB,
        HttpSettings::for_tests(),
    )))
    .await
}

#[actix_web::test]
async fn ping_answers_pong_without_touching_the_database() {
    let app = offline_app().await;
    let res = test::call_service(&app, TestRequest::get().uri("/ping").to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        json_body(res).await,
        serde_json::json!({"success": true, "data": {"message": "pong"}})
    );
}

#[actix_web::test]
async fn health_reports_a_connected_database_and_pool_figures() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let res = test::call_service(&app, TestRequest::get().uri("/health").to_request()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = json_body(res).await;
    assert_eq!(body["success"], true);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "connected");
    assert_eq!(body["environment"], "test");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert!(body["uptimeSeconds"].is_u64());
    assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));
    assert_eq!(body["pool"]["maxSize"], 10);
    assert!(body["pool"]["size"].as_u64().unwrap() >= 1);
}

#[actix_web::test]
async fn health_is_503_disconnected_when_the_database_cannot_answer() {
    let app = offline_app().await;
    let res = test::call_service(&app, TestRequest::get().uri("/health").to_request()).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = json_body(res).await;
    assert_eq!(body["success"], false);
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["database"], "disconnected");
}

#[actix_web::test]
async fn an_unknown_route_is_a_json_404_whose_request_id_matches_the_header() {
    let app = offline_app().await;
    let res = test::call_service(
        &app,
        TestRequest::get().uri("/api/no-such-thing").to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        res.headers().get(header::CONTENT_TYPE).unwrap(),
        "application/json"
    );
    let header_id = res
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let body = json_body(res).await;
    assert_eq!(body["success"], false);
    assert_eq!(body["code"], "NOT_FOUND");
    assert_eq!(body["requestId"], header_id.as_str());
    assert!(body["message"].as_str().unwrap().len() > 10);
}

#[actix_web::test]
async fn a_wrong_method_is_a_json_405() {
    let app = offline_app().await;
    let res = test::call_service(&app, TestRequest::delete().uri("/ping").to_request()).await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(json_body(res).await["code"], "METHOD_NOT_ALLOWED");
}

#[actix_web::test]
async fn a_well_formed_request_id_is_echoed_and_a_malformed_one_replaced() {
    let app = offline_app().await;
    let res = test::call_service(
        &app,
        TestRequest::get()
            .uri("/ping")
            .insert_header(("x-request-id", "client-abc-123"))
            .to_request(),
    )
    .await;
    assert_eq!(res.headers().get("x-request-id").unwrap(), "client-abc-123");

    let res = test::call_service(
        &app,
        TestRequest::get()
            .uri("/ping")
            .insert_header(("x-request-id", "bad id with spaces"))
            .to_request(),
    )
    .await;
    let generated = res.headers().get("x-request-id").unwrap().to_str().unwrap();
    assert_ne!(generated, "bad id with spaces");
    assert_eq!(generated.len(), 36, "a UUID: {generated}");
}

#[actix_web::test]
async fn security_headers_are_on_successes_and_errors_and_hsts_only_when_enabled() {
    let app = offline_app().await;
    for uri in ["/ping", "/nope"] {
        let res = test::call_service(&app, TestRequest::get().uri(uri).to_request()).await;
        let h = res.headers();
        assert_eq!(
            h.get("content-security-policy").unwrap(),
            "default-src 'none'; frame-ancestors 'none'"
        );
        assert_eq!(
            h.get("referrer-policy").unwrap(),
            "strict-origin-when-cross-origin"
        );
        assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
        assert_eq!(h.get("x-frame-options").unwrap(), "DENY");
        assert_eq!(h.get("cross-origin-opener-policy").unwrap(), "same-origin");
        assert_eq!(
            h.get("cross-origin-resource-policy").unwrap(),
            "same-origin"
        );
        assert!(h.get("strict-transport-security").is_none());
        assert!(h.get("server").is_none() && h.get("x-powered-by").is_none());
    }

    let settings = HttpSettings {
        hsts: true,
        ..HttpSettings::for_tests()
    };
    let app = test::init_service(equoria_http::build(state_for(UNREACHABLE_DB, settings))).await;
    let res = test::call_service(&app, TestRequest::get().uri("/nope").to_request()).await;
    assert_eq!(
        res.headers().get("strict-transport-security").unwrap(),
        "max-age=31536000; includeSubDomains"
    );
}

#[actix_web::test]
async fn an_allowed_origin_gets_cors_headers_on_successes_and_errors() {
    let app = offline_app().await;
    for (uri, status) in [("/ping", StatusCode::OK), ("/nope", StatusCode::NOT_FOUND)] {
        let res = test::call_service(
            &app,
            TestRequest::get()
                .uri(uri)
                .insert_header(("origin", "http://localhost:5173"))
                .to_request(),
        )
        .await;
        assert_eq!(res.status(), status);
        assert_eq!(
            res.headers().get("access-control-allow-origin").unwrap(),
            "http://localhost:5173"
        );
        let exposed = res
            .headers()
            .get("access-control-expose-headers")
            .unwrap()
            .to_str()
            .unwrap();
        assert!(exposed.contains("x-request-id"), "{exposed}");
    }
}

/// The names of the `Access-Control-*` headers of a response.
fn cors_headers(
    res: &actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
) -> Vec<String> {
    res.headers()
        .keys()
        .map(|name| name.as_str().to_owned())
        .filter(|name| name.starts_with("access-control-"))
        .collect()
}

#[actix_web::test]
async fn a_disallowed_origin_gets_no_cors_header_at_all_and_no_error() {
    let app = offline_app().await;
    let preflight = TestRequest::default()
        .method(actix_web::http::Method::OPTIONS)
        .uri("/api")
        .insert_header(("access-control-request-method", "POST"));
    let cases = [
        ("success", TestRequest::get().uri("/ping"), StatusCode::OK),
        (
            "error",
            TestRequest::get().uri("/nope"),
            StatusCode::NOT_FOUND,
        ),
        ("preflight", preflight, StatusCode::BAD_REQUEST),
    ];
    for (case, req, status) in cases {
        let res = test::call_service(
            &app,
            req.insert_header(("origin", "https://evil.example"))
                .to_request(),
        )
        .await;
        assert_eq!(res.status(), status, "{case}");
        assert_eq!(cors_headers(&res), Vec::<String>::new(), "{case}");
    }
    // Nor does a request that names no origin (not a cross-origin request).
    let res = test::call_service(&app, TestRequest::get().uri("/ping").to_request()).await;
    assert_eq!(cors_headers(&res), Vec::<String>::new());
}

#[actix_web::test]
async fn a_preflight_from_an_allowed_origin_is_answered() {
    let app = offline_app().await;
    let res = test::call_service(
        &app,
        TestRequest::default()
            .method(actix_web::http::Method::OPTIONS)
            .uri("/api")
            .insert_header(("origin", "http://localhost:5173"))
            .insert_header(("access-control-request-method", "POST"))
            .insert_header((
                "access-control-request-headers",
                "authorization,content-type",
            ))
            .to_request(),
    )
    .await;
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(
        res.headers().get("access-control-allow-origin").unwrap(),
        "http://localhost:5173"
    );
    assert!(
        res.headers()
            .get("access-control-allow-methods")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("POST")
    );
}

#[actix_web::test]
async fn a_body_declared_larger_than_the_limit_is_refused_with_413_before_it_is_read() {
    let app = offline_app().await;
    let res = test::call_service(
        &app,
        TestRequest::post()
            .uri("/api")
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .set_payload(vec![b' '; 70 * 1024])
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(json_body(res).await["code"], "PAYLOAD_TOO_LARGE");
}

#[actix_web::test]
async fn responses_are_compressed_when_the_client_accepts_it() {
    let app = offline_app().await;
    for encoding in ["gzip", "br"] {
        let res = test::call_service(
            &app,
            TestRequest::get()
                .uri("/api/openapi.json")
                .insert_header((header::ACCEPT_ENCODING, encoding))
                .to_request(),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            res.headers().get(header::CONTENT_ENCODING).unwrap(),
            encoding
        );
    }
}

#[actix_web::test]
async fn the_api_index_links_the_openapi_document_which_describes_the_routes() {
    let app = offline_app().await;
    let index =
        json_body(test::call_service(&app, TestRequest::get().uri("/api").to_request()).await)
            .await;
    assert_eq!(index["success"], true);
    assert_eq!(index["data"]["documentation"], "/api/openapi.json");

    let doc = json_body(
        test::call_service(
            &app,
            TestRequest::get().uri("/api/openapi.json").to_request(),
        )
        .await,
    )
    .await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in ["/ping", "/health", "/api", "/api/openapi.json"] {
        assert!(
            doc["paths"][path]["get"].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
}
