//! TLS against real PostgreSQL servers started here: one that accepts TLS only (`ssl=on`,
//! `hostssl` rules), with a certificate made for `localhost` by a CA made for the test, and one
//! without TLS. Each test starts its own servers (about a second each) and stops them.
#![expect(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use diesel::sql_types::Bool;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use equoria_persistence::connect::Connector;
use equoria_persistence::{PoolSettings, StoreError, build_pool, migrations};
use equoria_pg_cluster::{CertificateAuthority, Cluster, Options, TlsOptions};
use secrecy::SecretString;

fn scratch(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("persistence-tls-{name}"))
}

/// A server that accepts TLS only, with a certificate for `localhost` (not for 127.0.0.1).
fn tls_only_cluster(name: &str) -> Cluster {
    Cluster::start(
        &scratch(name),
        Options {
            fresh: true,
            tls: Some(TlsOptions {
                server_names: vec!["localhost".to_owned()],
                tls_only: true,
            }),
            ..Options::default()
        },
    )
    .unwrap()
}

fn url(host: &str, cluster: &Cluster, params: &str) -> String {
    format!(
        "postgres://postgres@{host}:{}/postgres?{params}",
        cluster.port()
    )
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[derive(diesel::QueryableByName)]
struct Ssl {
    #[diesel(sql_type = Bool)]
    ssl: bool,
}

async fn uses_tls(conn: &mut AsyncPgConnection) -> bool {
    diesel::sql_query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .get_result::<Ssl>(conn)
        .await
        .unwrap()
        .ssl
}

/// Connects with `url`: whether TLS is in use, or the error in words.
fn connect(url: &str) -> Result<bool, String> {
    runtime().block_on(async {
        let connector = Connector::parse(url).map_err(|e| e.to_string())?;
        let mut conn = connector.connect().await.map_err(|e| e.to_string())?;
        Ok(uses_tls(&mut conn).await)
    })
}

fn ca_param(ca: &Path) -> String {
    format!("sslrootcert={}", ca.display())
}

#[test]
fn a_tls_only_server_is_reached_as_each_sslmode_promises() {
    let cluster = tls_only_cluster("modes");
    let ca = ca_param(cluster.tls_ca_file().unwrap());
    let other_ca = CertificateAuthority::generate(&scratch("modes-other-ca"), "other").unwrap();
    let other = ca_param(other_ca.cert_file());

    // Encrypted and fully verified: the certificate names localhost.
    let verify_full = url("localhost", &cluster, &format!("sslmode=verify-full&{ca}"));
    assert_eq!(connect(&verify_full), Ok(true));
    // Encrypted, nothing verified: libpq's `require`, and `prefer` (the default).
    assert_eq!(
        connect(&url("127.0.0.1", &cluster, "sslmode=require")),
        Ok(true)
    );
    assert_eq!(connect(&url("127.0.0.1", &cluster, "")), Ok(true));
    // verify-ca checks the chain only, so another host name is fine...
    let verify_ca = url("127.0.0.1", &cluster, &format!("sslmode=verify-ca&{ca}"));
    assert_eq!(connect(&verify_ca), Ok(true));

    // ...but verify-full refuses a certificate for another name.
    let wrong_host = url("127.0.0.1", &cluster, &format!("sslmode=verify-full&{ca}"));
    let err = connect(&wrong_host).unwrap_err();
    assert_eq!(
        err,
        "certificate for 127.0.0.1 not trusted: it is issued for localhost; \
         connect by a name the certificate lists"
    );

    // A CA that did not sign the certificate is refused under verify-ca, verify-full, and
    // (as with libpq) under require once sslrootcert names a file.
    for mode in ["verify-ca", "verify-full", "require"] {
        let wrong_ca = url("localhost", &cluster, &format!("sslmode={mode}&{other}"));
        let err = connect(&wrong_ca).unwrap_err();
        assert_eq!(
            err,
            format!(
                "certificate for localhost not trusted: it is not issued by a certificate \
                 authority in sslrootcert {}",
                other_ca.cert_file().display()
            ),
            "{mode}"
        );
    }

    // Plaintext is refused by the server; the message says what to change.
    let err = connect(&url("127.0.0.1", &cluster, "sslmode=disable")).unwrap_err();
    assert!(
        err.starts_with("the server requires TLS") && err.contains("but sslmode=disable"),
        "{err}"
    );

    let err = connect(&url(
        "localhost",
        &cluster,
        "sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
    ))
    .unwrap_err();
    assert_eq!(
        err,
        "sslrootcert /nonexistent/ca.pem cannot be read: No such file or directory (os error 2)"
    );
}

#[test]
fn the_pool_and_the_migrations_connect_over_verified_tls() {
    let cluster = tls_only_cluster("pool");
    let ca = ca_param(cluster.tls_ca_file().unwrap());
    let good = url("localhost", &cluster, &format!("sslmode=verify-full&{ca}"));
    let wrong_host = url("127.0.0.1", &cluster, &format!("sslmode=verify-full&{ca}"));

    // Migrations are blocking: they run from a plain thread, as `equoria migrate` does.
    let applied = migrations::run_pending(&good, migrations::DEFAULT_LOCK_TIMEOUT).unwrap();
    assert!(!applied.is_empty());
    assert!(migrations::status(&good).unwrap().iter().all(|m| m.applied));
    let err = migrations::status(&wrong_host).unwrap_err().to_string();
    assert!(
        err.starts_with("cannot connect to the database: certificate for 127.0.0.1 not trusted"),
        "{err}"
    );

    runtime().block_on(async {
        let pool = build_pool(&PoolSettings::new(SecretString::from(good))).unwrap();
        let mut conn = pool.get().await.unwrap();
        assert!(uses_tls(&mut conn).await);
        drop(conn);

        let pool = build_pool(&PoolSettings::new(SecretString::from(wrong_host))).unwrap();
        match pool.get().await {
            Err(StoreError::Unavailable(message)) => {
                assert!(
                    message.contains("certificate for 127.0.0.1 not trusted"),
                    "{message}"
                );
            }
            Err(other) => panic!("expected Unavailable, got {other:?}"),
            Ok(_) => panic!("a certificate for another host name was accepted"),
        }
    });

    let bad_mode = PoolSettings::new(SecretString::from(url("localhost", &cluster, "sslmode=on")));
    let err = build_pool(&bad_mode).unwrap_err().to_string();
    assert!(err.contains("sslmode `on` is not one of"), "{err}");
}

#[test]
fn without_tls_on_the_server_prefer_falls_back_and_require_says_why_it_fails() {
    let cluster = Cluster::start(
        &scratch("plain"),
        Options {
            fresh: true,
            ..Options::default()
        },
    )
    .unwrap();

    assert_eq!(connect(&url("127.0.0.1", &cluster, "")), Ok(false));
    assert_eq!(
        connect(&url("127.0.0.1", &cluster, "sslmode=prefer")),
        Ok(false)
    );
    assert_eq!(
        connect(&url("127.0.0.1", &cluster, "sslmode=disable")),
        Ok(false)
    );
    for mode in ["require", "verify-ca", "verify-full"] {
        let err = connect(&url("127.0.0.1", &cluster, &format!("sslmode={mode}"))).unwrap_err();
        assert_eq!(
            err,
            format!("the server does not accept TLS but sslmode={mode}")
        );
    }
}
