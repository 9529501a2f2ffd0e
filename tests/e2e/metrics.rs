//! METRICS_ADDR: `/metrics` on a listener of its own, and then never on the
//! public port.

use equoria_test_support::TestDatabase;

use crate::support::{Server, free_port};

async fn get(url: String) -> (u16, String) {
    let res = reqwest::get(url).await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

#[tokio::test]
async fn with_metrics_addr_the_metrics_port_serves_the_exposition_and_the_public_port_404s() {
    let db = TestDatabase::migrated().await;
    let metrics_port = free_port();
    let metrics_addr = format!("127.0.0.1:{metrics_port}");
    let server = Server::start(db.url(), &[("METRICS_ADDR", &metrics_addr)]).await;
    // Traffic on the public port is what the metrics port reports.
    assert_eq!(get(server.url("/ping")).await.0, 200);

    let (status, body) = get(server.url("/metrics")).await;
    assert_eq!(status, 404, "{body}");
    let envelope: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(envelope["code"], "NOT_FOUND", "{body}");

    let (status, text) = get(format!("http://{metrics_addr}/metrics")).await;
    assert_eq!(status, 200, "{text}");
    for needle in [
        r#"http_requests_total{method="GET",route="/ping",status="200"} "#,
        "db_pool_max_size",
        "process_resident_memory_bytes",
    ] {
        assert!(text.contains(needle), "missing `{needle}` in:\n{text}");
    }
    // Only /metrics lives there.
    let (status, body) = get(format!("http://{metrics_addr}/ping")).await;
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("NOT_FOUND"), "{body}");
}

#[tokio::test]
async fn without_metrics_addr_the_public_port_serves_metrics() {
    let db = TestDatabase::migrated().await;
    let server = Server::start(db.url(), &[]).await;
    let (status, text) = get(server.url("/metrics")).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("db_pool_max_size"), "{text}");
}

/// A bad METRICS_ADDR is reported with the other problems, before anything binds.
#[test]
fn an_invalid_metrics_addr_is_listed_with_the_other_configuration_errors() {
    let output = crate::support::command(&[
        ("NODE_ENV", "production"),
        ("METRICS_ADDR", "somewhere:port"),
    ])
    .arg("serve")
    .output()
    .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for needle in [
        "DATABASE_URL",
        "JWT_SECRET",
        "METRICS_ADDR: `somewhere:port`",
    ] {
        assert!(stderr.contains(needle), "missing {needle} in:\n{stderr}");
    }
}
