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

use std::fs::{self, File};
use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use equoria_pg_cluster::{Options, TlsOptions};
use xshell::{Cmd, cmd};

use crate::dev::{Profile, build_server};
use crate::http;
use crate::{Ctx, db, say};

const CLUSTER_DIR: &str = "equoria-staging-pg";
const DATABASE: &str = "equoria_staging";
const PORT: u16 = 3001;
const LOG_FILE: &str = "equoria-staging.log";
const ALLOWED_ORIGINS: &str = "https://staging.equoria.test";
const READY_TIMEOUT: Duration = Duration::from_secs(30);
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(35);
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);
const LOG_TAIL_LINES: usize = 40;

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
pub fn run<'a>(ctx: &'a Ctx) -> anyhow::Result<()> {
    let sh = &ctx.sh;
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
    // APP_ENV is an alias of NODE_ENV: a value left in the caller's shell must not win.
    let staging_cmd = |cmd: Cmd<'a>| {
        database
            .apply(cmd.env_remove("APP_ENV").envs(staging_env.clone()))
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
    ctx.run(staging_cmd(cmd!(sh, "{bin} migrate run")))?;

    ensure_port_free()?;
    let log = ctx.target_dir.join(LOG_FILE);
    say!(
        "starting the release server on 127.0.0.1:{PORT}, output in {}",
        ctx.show(&log)
    );
    let mut server = ctx.spawn_logged(staging_cmd(cmd!(sh, "{bin} serve")), &log)?;
    let outcome = exercise_with(ctx, &mut server, PORT, || browser::api_docs(ctx, PORT));
    drop(server); // stops it if a failure left it running, before the cluster goes
    if let Err(error) = outcome {
        return Err(anyhow!(
            "{error:#}\n--- last {LOG_TAIL_LINES} lines of {} ---\n{}",
            ctx.show(&log),
            log_tail(&log)
        ));
    }
    if let Some(cluster) = database.cluster {
        db::stop_cluster(ctx, cluster);
    }
    say!("staging smoke test passed");
    Ok(())
}

/// The environment of a staging server on 127.0.0.1:`port` (fresh JWT secrets each call).
pub fn environment(port: u16) -> anyhow::Result<Vec<(&'static str, String)>> {
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

/// Waits for readiness on `port`, probes, then requires a clean exit on SIGTERM.
pub fn exercise(
    ctx: &Ctx,
    server: &mut crate::process::Background,
    port: u16,
) -> anyhow::Result<()> {
    exercise_with(ctx, server, port, || Ok(()))
}

/// [`exercise`] with `more_checks` run after the probes, while the server still serves.
fn exercise_with(
    ctx: &Ctx,
    server: &mut crate::process::Background,
    port: u16,
    more_checks: impl FnOnce() -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    wait_until_ready(ctx, server, port)?;
    probe_all(port)?;
    ctx.check_interrupted()?;
    more_checks()?;

    ctx.check_interrupted()?;
    say!(
        "sending SIGTERM to the server (pid {}); it must exit with 0 within {} s",
        server.pid(),
        SHUTDOWN_TIMEOUT.as_secs()
    );
    let sent = Instant::now();
    server.terminate()?;
    match server.wait_for_exit(SHUTDOWN_TIMEOUT)? {
        Some(status) if status.success() => {
            say!(
                "server exited with 0, {:.1} s after SIGTERM",
                sent.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Some(status) => {
            bail!("after SIGTERM the server exited with {status}, expected exit code 0")
        }
        None => bail!(
            "the server was still running {} s after SIGTERM (graceful shutdown must finish sooner)",
            SHUTDOWN_TIMEOUT.as_secs()
        ),
    }
}

/// Polls GET /health on 127.0.0.1:`port` until it answers 200 (fails if the server exits or
/// 30 s pass).
pub fn wait_until_ready(
    ctx: &Ctx,
    server: &mut crate::process::Background,
    port: u16,
) -> anyhow::Result<()> {
    say!(
        "waiting up to {} s for GET /health to answer 200",
        READY_TIMEOUT.as_secs()
    );
    let started = Instant::now();
    let mut last = String::from("no attempt made");
    while started.elapsed() < READY_TIMEOUT {
        ctx.check_interrupted()?;
        if let Some(status) = server.exited()? {
            bail!("the server exited ({status}) before GET /health answered 200");
        }
        match http::get(port, "/health", Duration::from_secs(2)) {
            Ok(response) if response.status == 200 => {
                say!(
                    "server ready after {:.1} s",
                    started.elapsed().as_secs_f64()
                );
                return Ok(());
            }
            Ok(response) => last = format!("status {}: {}", response.status, response.body),
            Err(error) => last = format!("{error:#}"),
        }
        thread::sleep(Duration::from_millis(250));
    }
    bail!(
        "GET /health did not answer 200 within {} s (last attempt: {last})",
        READY_TIMEOUT.as_secs()
    )
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

/// 48 random bytes from /dev/urandom as 96 hex characters.
pub fn random_secret() -> anyhow::Result<String> {
    let mut bytes = [0u8; 48];
    File::open("/dev/urandom")
        .and_then(|mut urandom| urandom.read_exact(&mut bytes))
        .context("reading /dev/urandom for a JWT secret")?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

pub fn log_tail(log: &Path) -> String {
    match fs::read(log) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let lines: Vec<&str> = text.lines().collect();
            let tail = lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n");
            if tail.trim().is_empty() {
                "(empty)".to_owned()
            } else {
                tail
            }
        }
        Err(error) => format!("(could not read it: {error})"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn secrets_are_long_hex_and_differ() {
        let first = random_secret().unwrap();
        let second = random_secret().unwrap();

        assert_eq!(first.len(), 96);
        assert!(first.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(first, second);
    }

    #[test]
    fn long_bodies_are_shortened_on_a_char_boundary() {
        let long = "é".repeat(400);

        let short = shorten(&long);

        assert_eq!(short.chars().count(), 303);
        assert!(short.ends_with("..."));
    }
}
