//! The binary over TLS: `migrate`, `seed` and `serve` against a server that accepts TLS only,
//! with a certificate for `localhost` made by a CA of the test; and what each says when TLS
//! cannot be had.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use equoria_pg_cluster::{Cluster, Options, TlsOptions};

use crate::support::{Server, command};

const DATABASE: &str = "equoria_e2e_tls";

fn tls_only_cluster() -> Cluster {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("e2e-tls-pg");
    let cluster = Cluster::start(
        &dir,
        Options {
            fresh: true,
            tls: Some(TlsOptions {
                server_names: vec!["localhost".to_owned()],
                tls_only: true,
            }),
            ..Options::default()
        },
    )
    .unwrap();
    cluster.create_database(DATABASE).unwrap();
    cluster
}

fn url(cluster: &Cluster, host: &str, params: &str) -> String {
    format!(
        "postgres://postgres@{host}:{}/{DATABASE}?{params}",
        cluster.port()
    )
}

/// Runs `equoria <args>` with NODE_ENV=test plus `env`: (success, stdout + stderr).
fn run(env: &[(&str, &str)], args: &[&str]) -> (bool, String) {
    let mut all = vec![("NODE_ENV", "test"), ("BCRYPT_SALT_ROUNDS", "4")];
    all.extend_from_slice(env);
    let output = command(&all).args(args).output().unwrap();
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

/// Polls `/health` until it answers `status` (at most 10 s); returns the body.
async fn health_becomes(server: &Server, status: u16) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let res = reqwest::get(server.url("/health")).await.unwrap();
        let got = res.status().as_u16();
        let body = res.text().await.unwrap();
        if got == status {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "/health answered {got}, not {status}: {body}\n{}",
            server.log_text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn migrate_seed_and_serve_use_verified_tls_and_say_why_when_they_cannot() {
    let cluster = tls_only_cluster();
    let ca = cluster.tls_ca_file().unwrap().display().to_string();
    let verified = url(
        &cluster,
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    );
    let wrong_host = url(
        &cluster,
        "127.0.0.1",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    );
    let plaintext = url(&cluster, "127.0.0.1", "sslmode=disable");

    // MIGRATION_DATABASE_URL wins for migrations: the serving URL is not even usable here.
    let (ok, out) = run(
        &[
            ("DATABASE_URL", &wrong_host),
            ("MIGRATION_DATABASE_URL", &verified),
        ],
        &["migrate", "run"],
    );
    assert!(ok, "{out}");
    let (ok, out) = run(
        &[
            ("DATABASE_URL", &verified),
            ("MIGRATION_DATABASE_URL", &wrong_host),
        ],
        &["migrate", "status"],
    );
    assert!(!ok);
    assert!(
        out.contains(
            "cannot connect to the database: certificate for 127.0.0.1 not trusted: it is issued for localhost"
        ),
        "{out}"
    );
    let (ok, out) = run(&[("DATABASE_URL", &plaintext)], &["migrate", "status"]);
    assert!(!ok);
    assert!(
        out.contains("the server requires TLS") && out.contains("but sslmode=disable"),
        "{out}"
    );

    let (ok, out) = run(&[("DATABASE_URL", &verified)], &["seed"]);
    assert!(ok, "{out}");

    let server = Server::start(&verified, &[]).await;
    let body = health_becomes(&server, 200).await;
    assert!(body.contains("\"connected\""), "{body}");
    drop(server);

    for (bad_url, expected) in [
        (&wrong_host, "certificate for 127.0.0.1 not trusted"),
        (&plaintext, "the server requires TLS"),
    ] {
        let server = Server::start(bad_url, &[]).await;
        health_becomes(&server, 503).await;
        let log = server.log_text();
        assert!(log.contains(expected), "no `{expected}` in the log:\n{log}");
    }
}

#[test]
fn config_check_refuses_an_unknown_sslmode() {
    let (ok, out) = run(
        &[(
            "DATABASE_URL",
            "postgres://app:hunter2@db.internal:5432/equoria?sslmode=required",
        )],
        &["config", "check"],
    );
    assert!(!ok);
    assert!(
        out.contains(
            "DATABASE_URL: sslmode `required` is not one of disable, prefer (the default), require, verify-ca, verify-full"
        ),
        "{out}"
    );
    assert!(!out.contains("hunter2"), "{out}");
}
