//! API_DOCS_ENABLED through the real binary: the API reference is off in production unless
//! the variable turns it on.

use equoria_test_support::TestDatabase;

use crate::support::Server;

const SECRET: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0aa";
const REFRESH_SECRET: &str = "9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d5e4f30211203f4e5d6c7b8a9bb";

async fn production(database_url: &str, docs: Option<&str>) -> Server {
    let mut env = vec![
        ("NODE_ENV", "production"),
        ("JWT_SECRET", SECRET),
        ("JWT_REFRESH_SECRET", REFRESH_SECRET),
        ("ALLOWED_ORIGINS", "https://equoria.example"),
    ];
    if let Some(value) = docs {
        env.push(("API_DOCS_ENABLED", value));
    }
    Server::start(database_url, &env).await
}

/// Status and Content-Security-Policy of GET `path`.
async fn get(server: &Server, path: &str) -> (u16, String) {
    let res = reqwest::get(server.url(path)).await.unwrap();
    let csp = res
        .headers()
        .get("content-security-policy")
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (res.status().as_u16(), csp)
}

#[tokio::test]
async fn production_serves_the_api_reference_only_when_api_docs_enabled_says_so() {
    let db = TestDatabase::migrated().await;

    let server = production(db.url(), None).await;
    for path in ["/api/docs", "/api/docs/swagger-ui-bundle.js"] {
        let (status, csp) = get(&server, path).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(csp, "default-src 'none'; frame-ancestors 'none'", "{path}");
    }
    drop(server);

    let server = production(db.url(), Some("true")).await;
    let (status, csp) = get(&server, "/api/docs").await;
    assert_eq!(status, 200);
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let (status, csp) = get(&server, "/api/openapi.json").await;
    assert_eq!(status, 200);
    assert_eq!(csp, "default-src 'none'; frame-ancestors 'none'");
}
