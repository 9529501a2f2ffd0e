//! The staging smoke test of `cargo xtask verify`: a release build started as staging would
//! start it, against a fresh database, probed over HTTP, then stopped with SIGTERM.
//!
//! The database accepts TLS only (as managed PostgreSQL services do) and the server verifies
//! it fully: DATABASE_URL and MIGRATION_DATABASE_URL carry `sslmode=verify-full` and the
//! throwaway cluster's CA as `sslrootcert`, so the smoke proves the TLS path end to end.
//!
//! After the HTTP probes, the API reference (`/api/docs`, on by default in staging) is driven
//! in headless Chromium (see [`browser`]).

mod browser;

use std::net::TcpListener;
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use equoria_pg_cluster::{Options, TlsOptions};

use crate::dev::{Profile, build_server};
use crate::http;
use crate::server::{self, Ready, Server, random_secret};
use crate::{Ctx, db, say};

const CLUSTER_DIR: &str = "equoria-staging-pg";
const DATABASE: &str = "equoria_staging";
const PORT: u16 = 3001;
const LOG_FILE: &str = "equoria-staging.log";
const ALLOWED_ORIGINS: &str = "https://staging.equoria.test";
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(35);
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// What a probed path must answer.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// 200 with a JSON body whose `database` is "connected".
    HealthyDatabase,
    /// Exactly 200.
    Ok,
    /// Anything but a 5xx (the route may answer 401/404 until its feature lands).
    NoServerError,
}

const PROBES: [(&str, Expect); 5] = [
    ("/health", Expect::HealthyDatabase),
    ("/ping", Expect::Ok),
    ("/api", Expect::Ok),
    ("/api/users", Expect::NoServerError),
    ("/api/leaderboards", Expect::NoServerError),
];

/// Build, migrate, start, probe, stop.
pub(crate) fn run(ctx: &Ctx) -> anyhow::Result<()> {
    ensure_port_free()?;
    let bin = build_server(ctx, Profile::Release)?;

    let options = Options {
        fresh: true,
        tls: Some(TlsOptions::default()),
        ..Options::default()
    };
    let cluster =
        db::start_cluster_with(ctx, &ctx.target_dir.join(CLUSTER_DIR), options, "staging")?;
    let mut database = db::database_in(cluster, DATABASE)?;
    database.url = database
        .cluster
        .as_ref()
        .and_then(|cluster| cluster.tls_url(DATABASE))
        .context("the staging cluster was started with TLS but has no CA")?;
    let staging_env = environment(PORT)?;
    let staging_cmd = |args: &[&str]| {
        server::command(ctx, &bin, args, staging_env.clone(), &database)
            .env("MIGRATION_DATABASE_URL", &database.url)
    };
    say!(
        "staging environment: NODE_ENV=staging HOST=127.0.0.1 PORT={PORT} \
         ALLOWED_ORIGINS={ALLOWED_ORIGINS} BCRYPT_SALT_ROUNDS=10 DATABASE_URL={} \
         MIGRATION_DATABASE_URL=<the same> \
         JWT_SECRET/JWT_REFRESH_SECRET=<fresh random, 96 hex chars each>",
        database.url
    );

    say!("applying migrations to the fresh staging database");
    ctx.run(staging_cmd(&["migrate", "run"]))?;

    ensure_port_free()?;
    let log = ctx.target_dir.join(LOG_FILE);
    say!(
        "starting the release server on 127.0.0.1:{PORT}, output in {}",
        ctx.show(&log)
    );
    let mut server = Server::spawn(ctx, "the server", staging_cmd(&["serve"]), PORT, &log)?;
    let outcome = exercise_with(ctx, &mut server, || browser::api_docs(ctx, PORT));
    drop(server); // stops it if a failure left it running, before the cluster goes
    if let Err(error) = outcome {
        return Err(server::with_log_tail(ctx, &log, &error));
    }
    if let Some(cluster) = database.cluster {
        db::stop_cluster(ctx, cluster);
    }
    say!("staging smoke test passed");
    Ok(())
}

/// The environment of a staging server on 127.0.0.1:`port` (fresh JWT secrets each call).
pub(crate) fn environment(port: u16) -> anyhow::Result<Vec<(&'static str, String)>> {
    let jwt_secret = random_secret()?;
    let jwt_refresh_secret = random_secret()?;
    if jwt_secret == jwt_refresh_secret {
        bail!("the two generated JWT secrets are equal: /dev/urandom is broken");
    }
    Ok(vec![
        ("NODE_ENV", "staging".to_owned()),
        ("HOST", "127.0.0.1".to_owned()),
        ("PORT", port.to_string()),
        ("JWT_SECRET", jwt_secret),
        ("JWT_REFRESH_SECRET", jwt_refresh_secret),
        ("ALLOWED_ORIGINS", ALLOWED_ORIGINS.to_owned()),
        ("BCRYPT_SALT_ROUNDS", "10".to_owned()),
    ])
}

/// Waits for readiness, probes, then requires a clean exit on SIGTERM.
pub(crate) fn exercise(ctx: &Ctx, server: &mut Server) -> anyhow::Result<()> {
    exercise_with(ctx, server, || Ok(()))
}

/// [`exercise`] with `more_checks` run after the probes, while the server still serves.
fn exercise_with(
    ctx: &Ctx,
    server: &mut Server,
    more_checks: impl FnOnce() -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    server.wait_until_ready(ctx, Ready::Ok)?;
    probe_all(server.port())?;
    ctx.check_interrupted()?;
    more_checks()?;
    ctx.check_interrupted()?;
    server.stop_cleanly(ctx, SHUTDOWN_TIMEOUT)
}

/// Runs every probe against 127.0.0.1:`port`, reports each, and fails if any failed.
fn probe_all(port: u16) -> anyhow::Result<()> {
    let mut failed = Vec::new();
    for (path, expect) in PROBES {
        match probe(port, path, expect) {
            Ok(detail) => say!("  PASS  GET {path:<18} {detail}"),
            Err(error) => {
                say!("  FAIL  GET {path:<18} {error:#}");
                failed.push(path);
            }
        }
    }
    if !failed.is_empty() {
        bail!("HTTP probes failed: {}", failed.join(", "));
    }
    Ok(())
}

fn probe(port: u16, path: &str, expect: Expect) -> anyhow::Result<String> {
    let response = http::get(port, path, PROBE_TIMEOUT)?;
    let status = response.status;
    let body = || shorten(&response.body);
    match expect {
        Expect::HealthyDatabase => {
            if status != 200 {
                bail!("status {status}, expected 200: {}", body());
            }
            let json: serde_json::Value = serde_json::from_str(&response.body)
                .with_context(|| format!("body is not JSON: {}", body()))?;
            match json.get("database").and_then(|value| value.as_str()) {
                Some("connected") => Ok("200, database connected".to_owned()),
                other => bail!(
                    "`database` is {other:?}, expected \"connected\": {}",
                    body()
                ),
            }
        }
        Expect::Ok if status == 200 => Ok("200".to_owned()),
        Expect::Ok => bail!("status {status}, expected 200: {}", body()),
        Expect::NoServerError if status < 500 => Ok(format!("{status} (anything but 5xx)")),
        Expect::NoServerError => bail!("status {status}, a server error: {}", body()),
    }
}

fn shorten(text: &str) -> String {
    const MAX: usize = 300;
    let text = text.trim();
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}

/// Fails clearly when something already listens on the staging port.
fn ensure_port_free() -> anyhow::Result<()> {
    TcpListener::bind(("127.0.0.1", PORT))
        .map(drop)
        .map_err(|error| {
            anyhow!(
                "port {PORT} on 127.0.0.1 is busy ({error}): the staging smoke test needs it. \
             See what holds it with `ss -ltnp 'sport = :{PORT}'` and stop it"
            )
        })
}

#[cfg(test)]
mod tests {

    use super::*;

    #[test]
    fn long_bodies_are_shortened_on_a_char_boundary() {
        let long = "é".repeat(400);

        let short = shorten(&long);

        assert_eq!(short.chars().count(), 303);
        assert!(short.ends_with("..."));
    }
}
