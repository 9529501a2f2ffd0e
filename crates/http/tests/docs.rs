//! `GET /api/docs`: the interactive API reference, its embedded assets, its own
//! Content-Security-Policy, and the switch that turns it off.

#![expect(clippy::unwrap_used)]

mod common;

use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use equoria_http::HttpSettings;
use equoria_http::routes::docs;

use common::{json_body, state_for};

/// Nothing listens on port 1: none of these routes needs the database.
const UNREACHABLE_DB: &str = "postgres://postgres@127.0.0.1:1/equoria";
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

async fn app_with_docs(
    enabled: bool,
) -> impl actix_web::dev::Service<
    actix_http::Request,
    Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
    Error = actix_web::Error,
> {
    let settings = HttpSettings {
        api_docs_enabled: enabled,
        ..HttpSettings::for_tests()
    };
    test::init_service(equoria_http::build(state_for(UNREACHABLE_DB, settings))).await
}

fn header<'a>(res: &'a actix_web::dev::ServiceResponse<impl Sized>, name: &str) -> &'a str {
    res.headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
}

#[actix_web::test]
async fn the_page_and_its_assets_are_served_with_the_relaxed_policy() {
    let app = app_with_docs(true).await;
    let cases = [
        ("/api/docs", "text/html; charset=utf-8", "swagger-ui"),
        (
            "/api/docs/swagger-ui-bundle.js",
            "text/javascript; charset=utf-8",
            "SwaggerUIBundle",
        ),
        (
            "/api/docs/swagger-ui.css",
            "text/css; charset=utf-8",
            ".swagger-ui",
        ),
        (
            "/api/docs/init.js",
            "text/javascript; charset=utf-8",
            "/api/openapi.json",
        ),
        ("/api/docs/favicon-32x32.png", "image/png", "PNG"),
    ];
    for (uri, content_type, marker) in cases {
        let res = test::call_service(&app, TestRequest::get().uri(uri).to_request()).await;
        assert_eq!(res.status(), StatusCode::OK, "{uri}");
        assert_eq!(header(&res, "content-type"), content_type, "{uri}");
        assert_eq!(
            header(&res, "content-security-policy"),
            docs::CONTENT_SECURITY_POLICY,
            "{uri}"
        );
        assert_eq!(header(&res, "x-frame-options"), "DENY", "{uri}");
        assert_eq!(header(&res, "x-content-type-options"), "nosniff", "{uri}");
        let body = test::read_body(res).await;
        assert!(
            String::from_utf8_lossy(&body).contains(marker),
            "{uri} does not contain {marker}"
        );
    }
}

#[test]
fn the_relaxed_policy_allows_only_this_server_and_forbids_framing() {
    let csp = docs::CONTENT_SECURITY_POLICY;
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{csp} lacks {directive}");
    }
    assert!(!csp.contains("unsafe-eval") && !csp.contains("unsafe-inline"));
    assert!(!csp.contains("http:") && !csp.contains("https:") && !csp.contains('*'));
}

#[actix_web::test]
async fn the_json_api_keeps_the_strict_policy_while_the_docs_are_on() {
    let app = app_with_docs(true).await;
    for (uri, status) in [
        ("/api/openapi.json", StatusCode::OK),
        ("/ping", StatusCode::OK),
        ("/api", StatusCode::OK),
        ("/api/docsx", StatusCode::NOT_FOUND),
        ("/api/docs/unknown.js", StatusCode::NOT_FOUND),
        ("/api/docs/", StatusCode::NOT_FOUND),
    ] {
        let res = test::call_service(&app, TestRequest::get().uri(uri).to_request()).await;
        assert_eq!(res.status(), status, "{uri}");
        assert_eq!(header(&res, "content-security-policy"), API_CSP, "{uri}");
    }
}

#[actix_web::test]
async fn everything_under_the_docs_is_a_json_404_when_they_are_off() {
    let app = app_with_docs(false).await;
    for uri in [
        "/api/docs",
        "/api/docs/swagger-ui-bundle.js",
        "/api/docs/init.js",
    ] {
        let res = test::call_service(&app, TestRequest::get().uri(uri).to_request()).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(header(&res, "content-security-policy"), API_CSP, "{uri}");
        assert_eq!(json_body(res).await["code"], "NOT_FOUND", "{uri}");
    }
    let res = test::call_service(
        &app,
        TestRequest::get().uri("/api/openapi.json").to_request(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[actix_web::test]
async fn a_wrong_method_on_the_page_is_a_405() {
    let app = app_with_docs(true).await;
    let res = test::call_service(&app, TestRequest::post().uri("/api/docs").to_request()).await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(&res, "content-security-policy"), API_CSP);
}
