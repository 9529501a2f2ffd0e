//! Starts real servers (about a second each) in directories under Cargo's target tmp dir.
#![expect(clippy::unwrap_used)]

use equoria_pg_cluster::{CertificateAuthority, Cluster, Options, TlsOptions};
use std::fs;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::Command;

fn cluster_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("pg-cluster-test-{name}"))
}

fn fresh() -> Options {
    Options {
        fresh: true,
        ..Options::default()
    }
}

/// Runs `sql` through psql against `url` and returns what it printed.
fn psql(url: &str, sql: &str) -> String {
    let output = Command::new("psql")
        .args(["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", url, "-c", sql])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "psql failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn accepts_connections(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

#[test]
fn a_started_cluster_serves_its_url_until_stopped() {
    let cluster = Cluster::start(&cluster_dir("serves"), fresh()).unwrap();
    let port = cluster.port();

    assert!(cluster.is_owned());
    assert_eq!(
        cluster.url("postgres"),
        format!("postgres://postgres@127.0.0.1:{port}/postgres")
    );
    assert_eq!(psql(&cluster.url("postgres"), "select 1"), "1");

    cluster.stop().unwrap();
    assert!(!accepts_connections(port));
}

#[test]
fn databases_are_created_once_and_survive_a_restart() {
    let dir = cluster_dir("reuse");
    let cluster = Cluster::start(&dir, fresh()).unwrap();
    assert!(cluster.ensure_database("equoria_kept").unwrap());
    assert!(!cluster.ensure_database("equoria_kept").unwrap());
    cluster.stop().unwrap();

    let reused = Cluster::start(&dir, Options::default()).unwrap();

    assert!(reused.database_exists("equoria_kept").unwrap());
    assert_eq!(
        psql(&reused.url("equoria_kept"), "select current_database()"),
        "equoria_kept"
    );
}

#[test]
fn fresh_wipes_the_previous_data() {
    let dir = cluster_dir("fresh");
    let cluster = Cluster::start(&dir, fresh()).unwrap();
    cluster.create_database("equoria_old").unwrap();
    cluster.stop().unwrap();

    let wiped = Cluster::start(&dir, fresh()).unwrap();

    assert!(!wiped.database_exists("equoria_old").unwrap());
}

#[test]
fn dropping_the_cluster_stops_the_server() {
    let cluster = Cluster::start(&cluster_dir("drop"), fresh()).unwrap();
    let port = cluster.port();
    let pid_file = cluster.data_dir().join("postmaster.pid");
    assert!(pid_file.exists());

    drop(cluster);

    assert!(!pid_file.exists());
    assert!(!accepts_connections(port));
}

#[test]
fn a_stale_pid_file_from_a_crashed_run_is_removed() {
    let dir = cluster_dir("stale");
    let cluster = Cluster::start(&dir, fresh()).unwrap();
    let data_dir = cluster.data_dir().to_path_buf();
    cluster.stop().unwrap();
    // What a killed server leaves behind, naming a PID that is now someone else's (our own).
    let stale = format!(
        "{}\n{}\n1700000000\n5432\n\n127.0.0.1\n  1  2\nready   \n",
        std::process::id(),
        data_dir.display()
    );
    fs::write(data_dir.join("postmaster.pid"), stale).unwrap();

    let restarted = Cluster::start(&dir, Options::default()).unwrap();

    assert_eq!(psql(&restarted.url("postgres"), "select 1"), "1");
}

#[test]
fn a_second_start_attaches_to_the_running_server_and_leaves_it_running() {
    let dir = cluster_dir("attach");
    let first = Cluster::start(&dir, fresh()).unwrap();

    let second = Cluster::start(&dir, Options::default()).unwrap();
    assert!(!second.is_owned());
    assert_eq!(second.port(), first.port());
    drop(second);

    assert_eq!(psql(&first.url("postgres"), "select 1"), "1");
    let refused = Cluster::start(&dir, fresh()).unwrap_err();
    assert!(refused.to_string().contains("Stop it first"), "{refused}");
}

#[test]
fn invalid_database_names_never_reach_sql() {
    let cluster = Cluster::start(&cluster_dir("names"), fresh()).unwrap();

    let error = cluster
        .create_database("x\"; DROP DATABASE postgres; --")
        .unwrap_err();

    assert!(
        error.to_string().contains("invalid database name"),
        "{error}"
    );
    assert!(cluster.database_exists("postgres").unwrap());
}

/// Runs psql against `url`; returns (success, stdout, stderr).
fn try_psql(url: &str, sql: &str) -> (bool, String, String) {
    let output = Command::new("psql")
        .args(["-X", "-A", "-t", url, "-c", sql])
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).trim().to_owned(),
        String::from_utf8_lossy(&output.stderr).trim().to_owned(),
    )
}

#[test]
fn a_tls_cluster_serves_verified_tls_and_nothing_else() {
    let cluster = Cluster::start(
        &cluster_dir("tls"),
        Options {
            tls: Some(TlsOptions::default()),
            ..fresh()
        },
    )
    .unwrap();
    let ca = cluster.tls_ca_file().unwrap().to_path_buf();
    let url = cluster.tls_url("postgres").unwrap();
    assert_eq!(
        url,
        format!(
            "{}?sslmode=verify-full&sslrootcert={}",
            cluster.url("postgres"),
            ca.display()
        )
    );

    // libpq checks the chain and the host name (127.0.0.1 is in the certificate).
    assert_eq!(
        psql(
            &url,
            "select ssl from pg_stat_ssl where pid = pg_backend_pid()"
        ),
        "t"
    );
    let key = cluster.data_dir().join("server.key");
    let mode = std::os::unix::fs::PermissionsExt::mode(&fs::metadata(&key).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);

    let plain = format!("{}?sslmode=disable", cluster.url("postgres"));
    let (ok, _, stderr) = try_psql(&plain, "select 1");
    assert!(!ok);
    assert!(stderr.contains("no encryption"), "{stderr}");

    // The cluster's own helpers still work (psql prefers TLS).
    assert!(cluster.ensure_database("equoria_tls").unwrap());
}

#[test]
fn a_server_certificate_is_only_valid_for_its_names_and_its_ca() {
    let cluster = Cluster::start(
        &cluster_dir("tls-names"),
        Options {
            tls: Some(TlsOptions {
                server_names: vec!["localhost".to_owned()],
                tls_only: false,
            }),
            ..fresh()
        },
    )
    .unwrap();
    let ca = cluster.tls_ca_file().unwrap().display().to_string();
    let port = cluster.port();

    let by_name = format!(
        "postgres://postgres@localhost:{port}/postgres?sslmode=verify-full&sslrootcert={ca}"
    );
    assert_eq!(psql(&by_name, "select 1"), "1");
    let by_address = cluster.tls_url("postgres").unwrap();
    let (ok, _, stderr) = try_psql(&by_address, "select 1");
    assert!(!ok && stderr.contains("127.0.0.1"), "{stderr}");

    let other_ca = CertificateAuthority::generate(&cluster_dir("tls-other-ca"), "other").unwrap();
    let wrong_ca = format!(
        "postgres://postgres@localhost:{port}/postgres?sslmode=verify-ca&sslrootcert={}",
        other_ca.cert_file().display()
    );
    let (ok, _, stderr) = try_psql(&wrong_ca, "select 1");
    assert!(
        !ok && stderr.contains("certificate verify failed"),
        "{stderr}"
    );

    // Not TLS-only: a plain connection is accepted too.
    let plain = format!("{}?sslmode=disable", cluster.url("postgres"));
    assert_eq!(psql(&plain, "select 1"), "1");
}
