//! `cargo xtask drill`: fault drills against the release server in its production
//! configuration and a throwaway PostgreSQL cluster of the drill's own. Each drill records
//! every request's outcome and time, then checks them; it prints PASS/FAIL with the figures.
//!
//! - outage: the database is stopped for 10 s under a light load;
//! - pool: every pool connection is held by requests blocked on a table lock;
//! - sigterm: SIGTERM while requests are in flight;
//! - rate-limit: the 6th auth attempt of a window, with and without a forged X-Forwarded-For.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use xshell::cmd;

use crate::process::Background;
use crate::{Ctx, db, http, say, staging};

const CLUSTER_DIR: &str = "equoria-drill-pg";
const DATABASE: &str = "equoria_drill";
const UNLIMITED: &str = "1000000000";
const PASSWORD: &str = "drill-password-0001";
/// DATABASE_POOL_TIMEOUT_SECS of every drill server: "fail fast" means within this (+ slack).
const POOL_TIMEOUT: Duration = Duration::from_secs(2);
const SLACK: Duration = Duration::from_millis(500);
const OUTAGE: Duration = Duration::from_secs(10);

/// Which drills to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Drill {
    Outage,
    Pool,
    Sigterm,
    RateLimit,
}

impl Drill {
    const ALL: [Drill; 4] = [Drill::Outage, Drill::Pool, Drill::Sigterm, Drill::RateLimit];
}

/// The release binary, a migrated database and the secrets every drill server shares.
pub struct Bed {
    pub bin: PathBuf,
    pub database: db::Database,
    jwt_secret: String,
    jwt_refresh_secret: String,
}

/// A running server and where it listens.
pub struct Server {
    pub process: Background,
    pub port: u16,
    pub log: PathBuf,
}

impl Bed {
    /// Builds the release binary, starts a fresh cluster in `target/<cluster_dir>` and migrates.
    pub fn new(ctx: &Ctx, cluster_dir: &str, database: &str) -> anyhow::Result<Bed> {
        let bin = crate::bench::server_binary(ctx)?;
        let cluster = db::start_cluster(ctx, &ctx.target_dir.join(cluster_dir), true, cluster_dir)?;
        let database = db::database_in(cluster, database)?;
        let bed = Bed {
            bin,
            database,
            jwt_secret: staging::random_secret()?,
            jwt_refresh_secret: staging::random_secret()?,
        };
        let sh = &ctx.sh;
        let bin = &bed.bin;
        ctx.run(
            bed.database
                .apply(cmd!(sh, "{bin} migrate run").envs(bed.env(0, &[]))),
        )?;
        Ok(bed)
    }

    /// The production environment with limits out of the way, then `extra` (which wins).
    fn env(&self, port: u16, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = [
            ("NODE_ENV", "production"),
            ("HOST", "127.0.0.1"),
            ("LOG_LEVEL", "info"),
            // Production's minimum: the drills register accounts and want them quick.
            ("BCRYPT_SALT_ROUNDS", "10"),
            ("ALLOWED_ORIGINS", "https://drill.equoria.test"),
            ("RATE_LIMIT_MAX_REQUESTS", UNLIMITED),
            ("AUTH_RATE_LIMIT_MAX", UNLIMITED),
            ("DATABASE_POOL_MAX", "4"),
            ("DATABASE_POOL_TIMEOUT_SECS", "2"),
            ("SHUTDOWN_TIMEOUT_SECS", "10"),
            ("JWT_SECRET", self.jwt_secret.as_str()),
            ("JWT_REFRESH_SECRET", self.jwt_refresh_secret.as_str()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        env.push(("PORT".to_owned(), port.to_string()));
        for (key, value) in extra {
            env.retain(|(k, _)| k != key);
            env.push(((*key).to_owned(), (*value).to_owned()));
        }
        env
    }

    /// Starts a server with `extra` environment and waits until /health answers 200.
    pub fn start(&self, ctx: &Ctx, name: &str, extra: &[(&str, &str)]) -> anyhow::Result<Server> {
        let sh = &ctx.sh;
        let port = equoria_pg_cluster::free_port().context("picking a port for the server")?;
        let log = ctx.target_dir.join(format!("equoria-{name}.log"));
        let shown: Vec<String> = extra.iter().map(|(k, v)| format!("{k}={v}")).collect();
        say!(
            "starting the server on 127.0.0.1:{port} (NODE_ENV=production, pool timeout 2 s{}{})",
            if shown.is_empty() { "" } else { ", " },
            shown.join(" ")
        );
        let bin = &self.bin;
        let command = self.database.apply(
            cmd!(sh, "{bin} serve")
                .env_remove("APP_ENV")
                .envs(self.env(port, extra)),
        );
        let mut process = ctx.spawn_logged(command, &log)?;
        staging::wait_until_ready(ctx, &mut process, port)?;
        Ok(Server { process, port, log })
    }

    pub fn cluster(&self) -> anyhow::Result<&equoria_pg_cluster::Cluster> {
        self.database
            .cluster
            .as_ref()
            .ok_or_else(|| anyhow!("the drill needs its own cluster"))
    }

    /// Runs `sql` with psql and returns its unaligned, tuples-only output.
    pub fn psql(&self, sql: &str) -> anyhow::Result<String> {
        let output = std::process::Command::new("psql")
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d"])
            .arg(&self.database.url)
            .arg("-c")
            .arg(sql)
            .output()
            .context("running psql")?;
        if !output.status.success() {
            bail!("psql failed: {}", String::from_utf8_lossy(&output.stderr));
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }
}

/// Registers an account; returns (access token, user id).
pub fn register(port: u16, name: &str) -> anyhow::Result<(String, u64)> {
    http::register(port, name, "drill.equoria.test", PASSWORD)
}

/// The id of the first horse the token's owner has.
fn first_horse(port: u16, token: &str) -> anyhow::Result<u64> {
    let auth = format!("Bearer {token}");
    let response = http::request(
        port,
        "GET",
        "/api/horses",
        &[("Authorization", &auth)],
        None,
        Duration::from_secs(5),
    )?;
    let json: serde_json::Value = serde_json::from_str(&response.body)?;
    json["data"][0]["id"]
        .as_u64()
        .ok_or_else(|| anyhow!("no horse in {} {}", response.status, response.body))
}

/// One request's outcome.
#[derive(Debug, Clone)]
struct Sample {
    kind: &'static str,
    /// Seconds since the drill's start when it was sent, and how long it took.
    sent: f64,
    took: f64,
    status: Option<u16>,
    /// Transport error (None when a status came back); `refused` when the connect failed.
    error: Option<String>,
    refused: bool,
    detail: String,
}

impl Sample {
    fn done(&self) -> f64 {
        self.sent + self.took
    }
    fn ok(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Background request loops that record every outcome until stopped.
struct Recorder {
    start: Instant,
    samples: Arc<Mutex<Vec<Sample>>>,
    stop: Arc<AtomicBool>,
    workers: Vec<thread::JoinHandle<()>>,
}

/// What a recorder loop sends: (method, path, headers, JSON body, detail to remember).
type Planned = (
    &'static str,
    String,
    Vec<(String, String)>,
    Option<String>,
    String,
);

type MakeRequest = dyn Fn(u64) -> Planned + Send + Sync;

impl Recorder {
    fn new() -> Recorder {
        Recorder {
            start: Instant::now(),
            samples: Arc::new(Mutex::new(Vec::new())),
            stop: Arc::new(AtomicBool::new(false)),
            workers: Vec::new(),
        }
    }

    fn now(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    /// Loops `make(n)` -> (method, path, headers, body, detail) every `pause`, as `kind`.
    fn spawn(&mut self, kind: &'static str, port: u16, pause: Duration, make: Arc<MakeRequest>) {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let samples = Arc::clone(&self.samples);
        let stop = Arc::clone(&self.stop);
        let start = self.start;
        self.workers.push(thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let n = COUNTER.fetch_add(1, Ordering::SeqCst);
                let (method, path, headers, body, detail) = make(n);
                let headers: Vec<(&str, &str)> = headers
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                let sent = start.elapsed().as_secs_f64();
                let result = http::request(
                    port,
                    method,
                    &path,
                    &headers,
                    body.as_deref(),
                    Duration::from_secs(10),
                );
                let took = start.elapsed().as_secs_f64() - sent;
                let sample = match result {
                    Ok(response) => Sample {
                        kind,
                        sent,
                        took,
                        status: Some(response.status),
                        error: None,
                        refused: false,
                        detail,
                    },
                    Err(error) => {
                        let text = format!("{error:#}");
                        Sample {
                            kind,
                            sent,
                            took,
                            status: None,
                            refused: text.starts_with("connecting to"),
                            error: Some(text),
                            detail,
                        }
                    }
                };
                samples
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(sample);
                thread::sleep(pause);
            }
        }));
    }

    fn finish(self) -> Vec<Sample> {
        self.stop.store(true, Ordering::SeqCst);
        for worker in self.workers {
            let _ = worker.join();
        }
        self.samples
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

fn get(path: String, token: Option<&str>) -> Planned {
    let headers = token
        .map(|t| vec![("Authorization".to_owned(), format!("Bearer {t}"))])
        .unwrap_or_default();
    ("GET", path, headers, None, String::new())
}

/// A drill's verdicts: (passed, what was checked with the figures).
#[derive(Debug, Default)]
struct Verdicts(Vec<(bool, String)>);

impl Verdicts {
    fn check(&mut self, passed: bool, text: String) {
        say!("  {}  {text}", if passed { "PASS" } else { "FAIL" });
        self.0.push((passed, text));
    }
    fn passed(&self) -> bool {
        self.0.iter().all(|(passed, _)| *passed)
    }
}

pub fn run(ctx: &Ctx, only: &[Drill]) -> anyhow::Result<()> {
    let drills: Vec<Drill> = Drill::ALL
        .into_iter()
        .filter(|d| only.is_empty() || only.contains(d))
        .collect();
    let bed = Bed::new(ctx, CLUSTER_DIR, DATABASE)?;
    let mut summary = Vec::new();
    for drill in drills {
        ctx.check_interrupted()?;
        say!("");
        say!("==> drill: {drill:?}");
        let result = match drill {
            Drill::Outage => outage(ctx, &bed),
            Drill::Pool => pool(ctx, &bed),
            Drill::Sigterm => sigterm(ctx, &bed),
            Drill::RateLimit => rate_limit(ctx, &bed),
        };
        let passed = match result {
            Ok(verdicts) => verdicts.passed(),
            Err(error) => {
                say!("  FAIL  the drill could not run: {error:#}");
                false
            }
        };
        summary.push((drill, passed));
    }
    say!("");
    for (drill, passed) in &summary {
        say!("{}  {drill:?}", if *passed { "PASS" } else { "FAIL" });
    }
    if summary.iter().any(|(_, passed)| !passed) {
        bail!("some drills failed");
    }
    Ok(())
}

fn max_took(samples: &[&Sample]) -> f64 {
    samples.iter().map(|s| s.took).fold(0.0, f64::max)
}

fn statuses(samples: &[&Sample]) -> String {
    let mut counts = std::collections::BTreeMap::new();
    for s in samples {
        let key = match (s.status, s.refused) {
            (Some(status), _) => status.to_string(),
            (None, true) => "refused".to_owned(),
            (None, false) => "transport error".to_owned(),
        };
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// (a) The database stops for 10 s under a light load, then comes back.
fn outage(ctx: &Ctx, bed: &Bed) -> anyhow::Result<Verdicts> {
    let mut server = bed.start(ctx, "drill-outage", &[])?;
    let port = server.port;
    let (token, _) = register(port, "outage_reader")?;
    let mut recorder = Recorder::new();
    let tok = token.clone();
    recorder.spawn(
        "ping",
        port,
        Duration::from_millis(100),
        Arc::new(|_| get("/ping".into(), None)),
    );
    recorder.spawn(
        "health",
        port,
        Duration::from_millis(100),
        Arc::new(|_| get("/health".into(), None)),
    );
    recorder.spawn(
        "read",
        port,
        Duration::from_millis(50),
        Arc::new(move |_| get("/api/horses".into(), Some(&tok))),
    );
    recorder.spawn(
        "write",
        port,
        Duration::from_millis(150),
        Arc::new(|n| {
            let name = format!("outage_w{n}");
            let body = format!(r#"{{"email":"{name}@drill.equoria.test","username":"{name}","password":"{PASSWORD}"}}"#);
            ("POST", "/api/auth/register".into(), Vec::new(), Some(body), format!("{name}@drill.equoria.test"))
        }),
    );
    thread::sleep(Duration::from_secs(3));
    let cluster = bed.cluster()?;
    let stop_sent = recorder.now();
    say!(
        "stopping PostgreSQL (pg_ctl stop -m fast) for {} s",
        OUTAGE.as_secs()
    );
    let status = cluster.pg_ctl(["stop", "-m", "fast", "-w"]).status()?;
    let stopped = recorder.now();
    if !status.success() {
        bail!("pg_ctl stop failed ({status})");
    }
    thread::sleep(OUTAGE);
    let restart_sent = recorder.now();
    say!("starting PostgreSQL again (pg_ctl restart: the same options and port)");
    let status = cluster
        .pg_ctl(["restart", "-w", "-t", "60", "-l"])
        .arg(cluster.log_file())
        .stdout(std::process::Stdio::null())
        .status()?;
    let restarted = recorder.now();
    if !status.success() {
        bail!("pg_ctl restart failed ({status})");
    }
    thread::sleep(Duration::from_secs(8));
    let samples = recorder.finish();
    let exited = server.process.exited()?;

    let mut v = Verdicts::default();
    say!(
        "timeline: stop sent {stop_sent:.2} s, database down {stopped:.2} s, restart sent \
         {restart_sent:.2} s, database up {restarted:.2} s, {} requests recorded",
        samples.len()
    );
    let first_503 = samples
        .iter()
        .filter(|s| s.kind == "health" && s.sent >= stop_sent && s.status == Some(503))
        .map(Sample::done)
        .fold(f64::INFINITY, f64::min);
    // The fast shutdown ends sessions at once, so /health may turn before pg_ctl returns.
    v.check(
        first_503 - stop_sent <= 2.0,
        format!(
            "/health answered 503 {:.2} s after `pg_ctl stop` was sent (it returned after {:.2} s; limit 2 s)",
            first_503 - stop_sent,
            stopped - stop_sent
        ),
    );
    let during: Vec<&Sample> = samples
        .iter()
        .filter(|s| {
            matches!(s.kind, "read" | "write") && s.sent >= stopped && s.done() <= restart_sent
        })
        .collect();
    let all_503 = !during.is_empty() && during.iter().all(|s| s.status == Some(503));
    let slowest = max_took(&during);
    v.check(
        all_503 && slowest <= (POOL_TIMEOUT + SLACK).as_secs_f64(),
        format!(
            "API during the outage: {} requests ({}), slowest {:.2} s (all 503 within pool timeout 2 s + 0.5 s)",
            during.len(),
            statuses(&during),
            slowest
        ),
    );
    let pings: Vec<&Sample> = samples.iter().filter(|s| s.kind == "ping").collect();
    let bad_pings = pings.iter().filter(|s| s.status != Some(200)).count();
    v.check(
        bad_pings == 0,
        format!(
            "/ping: {} requests, {bad_pings} not 200, slowest {:.3} s",
            pings.len(),
            max_took(&pings)
        ),
    );
    let last_failure = samples
        .iter()
        .filter(|s| s.kind != "ping" && s.sent >= restarted - 0.5 && !s.ok())
        .map(Sample::done)
        .fold(restarted, f64::max);
    let after_ok = samples
        .iter()
        .filter(|s| s.sent > last_failure)
        .filter(|s| s.ok())
        .map(|s| s.kind)
        .collect::<std::collections::BTreeSet<_>>();
    v.check(
        last_failure - restarted <= 5.0 && after_ok.len() == 4,
        format!(
            "recovered {:.2} s after the database was back (limit 5 s); kinds answering 2xx after: {:?}",
            last_failure - restarted,
            after_ok
        ),
    );
    v.check(
        exited.is_none(),
        format!(
            "server still running, same process (pid {}): {}",
            server.process.pid(),
            exited.is_none()
        ),
    );
    let acknowledged: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.kind == "write" && s.status == Some(201))
        .collect();
    let list = acknowledged
        .iter()
        .map(|s| format!("'{}'", s.detail))
        .collect::<Vec<_>>()
        .join(",");
    let found: usize = if acknowledged.is_empty() {
        0
    } else {
        bed.psql(&format!(
            "SELECT count(*) FROM users WHERE email IN ({list})"
        ))?
        .parse()?
    };
    v.check(
        !acknowledged.is_empty() && found == acknowledged.len(),
        format!(
            "acknowledged registrations (201): {}, found in the database afterwards: {found}",
            acknowledged.len()
        ),
    );
    stop_server(&mut server)?;
    Ok(v)
}

/// (b) Both pool connections held by requests blocked on a table lock.
fn pool(ctx: &Ctx, bed: &Bed) -> anyhow::Result<Verdicts> {
    let mut server = bed.start(ctx, "drill-pool", &[("DATABASE_POOL_MAX", "2")])?;
    let port = server.port;
    let (token, _) = register(port, "pool_reader")?;
    let horse = first_horse(port, &token)?;
    let path = format!("/api/horses/{horse}");
    let hold = Duration::from_secs(8);
    say!(
        "holding LOCK TABLE horses IN ACCESS EXCLUSIVE MODE for {} s from psql",
        hold.as_secs()
    );
    let url = bed.database.url.clone();
    let sql = format!(
        "BEGIN; LOCK TABLE horses IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep({}); COMMIT;",
        hold.as_secs()
    );
    let locker = thread::spawn(move || {
        std::process::Command::new("psql")
            .args(["-X", "-q", "-d", &url, "-c", &sql])
            .stdout(std::process::Stdio::null())
            .status()
    });
    let start = Instant::now();
    thread::sleep(Duration::from_millis(700));
    // The authenticated read on its own thread: its status (None if no answer) and its time.
    let auth = format!("Bearer {token}");
    let timed_read = || {
        let (path, auth) = (path.clone(), auth.clone());
        thread::spawn(move || {
            let sent = Instant::now();
            let r = http::request(
                port,
                "GET",
                &path,
                &[("Authorization", &auth)],
                None,
                Duration::from_secs(30),
            );
            (r.map(|r| r.status).ok(), sent.elapsed())
        })
    };
    // Two requests that block on the lock, each holding one of the two pool connections.
    let holders: Vec<_> = (0..2).map(|_| timed_read()).collect();
    thread::sleep(Duration::from_millis(500));
    let probes: Vec<_> = (0..6).map(|_| timed_read()).collect();
    let ping = http::get(port, "/ping", Duration::from_secs(2))
        .map(|r| r.status)
        .ok();
    let probes: Vec<(Option<u16>, Duration)> =
        probes.into_iter().filter_map(|p| p.join().ok()).collect();
    let _ = locker.join();
    let released = start.elapsed();
    let holders: Vec<(Option<u16>, Duration)> =
        holders.into_iter().filter_map(|h| h.join().ok()).collect();
    let after = Instant::now();
    let mut recovered = None;
    while after.elapsed() < Duration::from_secs(5) {
        if let Ok(r) = http::request(
            port,
            "GET",
            &path,
            &[("Authorization", &auth)],
            None,
            Duration::from_secs(5),
        ) && r.status == 200
        {
            recovered = Some(after.elapsed());
            break;
        }
        thread::sleep(Duration::from_millis(50));
    }

    let mut v = Verdicts::default();
    let slowest = probes
        .iter()
        .map(|(_, d)| d.as_secs_f64())
        .fold(0.0, f64::max);
    v.check(
        !probes.is_empty() && probes.iter().all(|(s, _)| *s == Some(503)) && slowest <= (POOL_TIMEOUT + SLACK).as_secs_f64(),
        format!(
            "with both pool connections held, {} further requests got {:?}, slowest {slowest:.2} s (503 within 2 s + 0.5 s)",
            probes.len(),
            probes.iter().map(|(s, _)| *s).collect::<Vec<_>>()
        ),
    );
    v.check(
        ping == Some(200),
        format!("/ping during the exhaustion: {ping:?}"),
    );
    say!(
        "  info  lock released after {:.1} s; the two blocked requests answered {:?} after {:?} s",
        released.as_secs_f64(),
        holders.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        holders
            .iter()
            .map(|(_, d)| format!("{:.1}", d.as_secs_f64()))
            .collect::<Vec<_>>()
    );
    v.check(
        recovered.is_some_and(|d| d <= Duration::from_secs(1)),
        format!(
            "after the lock was released the next request answered 200 after {:?}",
            recovered.map(|d| format!("{:.2} s", d.as_secs_f64()))
        ),
    );
    stop_server(&mut server)?;
    Ok(v)
}

/// (c) SIGTERM with requests in flight: every request the server accepted gets its answer.
fn sigterm(ctx: &Ctx, bed: &Bed) -> anyhow::Result<Verdicts> {
    let mut server = bed.start(ctx, "drill-sigterm", &[])?;
    let port = server.port;
    let (token, _) = register(port, "sigterm_reader")?;
    let horse = first_horse(port, &token)?;
    let mut recorder = Recorder::new();
    for _ in 0..8 {
        let tok = token.clone();
        recorder.spawn(
            "read",
            port,
            Duration::ZERO,
            Arc::new(move |_| get(format!("/api/horses/{horse}"), Some(&tok))),
        );
    }
    for _ in 0..2 {
        recorder.spawn(
            "write",
            port,
            Duration::ZERO,
            Arc::new(|n| {
                let name = format!("sigterm_w{n}");
                let body = format!(r#"{{"email":"{name}@drill.equoria.test","username":"{name}","password":"{PASSWORD}"}}"#);
                ("POST", "/api/auth/register".into(), Vec::new(), Some(body), name)
            }),
        );
    }
    thread::sleep(Duration::from_secs(3));
    let term_sent = recorder.now();
    say!(
        "sending SIGTERM to the server (pid {}) under load",
        server.process.pid()
    );
    server.process.terminate()?;
    let status = server.process.wait_for_exit(Duration::from_secs(20))?;
    let exited_at = recorder.now();
    thread::sleep(Duration::from_millis(500));
    let samples = recorder.finish();

    let mut v = Verdicts::default();
    let before: Vec<&Sample> = samples.iter().filter(|s| s.sent < term_sent).collect();
    let around: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.sent < term_sent && s.done() > term_sent)
        .collect();
    // Sent after SIGTERM and turned away before the server took the connection: refused at
    // connect, or reset while still in the listen backlog when the listener closed. A clean
    // close with no answer means the server accepted the connection and dropped the request:
    // that is a failure (the HTTP/1.1 idle-close race), even if it came after the signal.
    let turned_away = |s: &Sample| {
        s.status.is_none()
            && s.sent >= term_sent
            && (s.refused
                || s.error
                    .as_deref()
                    .is_some_and(|e| e.contains("Connection reset")))
    };
    let accepted_failed: Vec<&Sample> = samples
        .iter()
        .filter(|s| !s.ok() && !turned_away(s))
        .collect();
    let refused = samples.iter().filter(|s| s.refused).count();
    let cut = samples
        .iter()
        .filter(|s| turned_away(s) && !s.refused)
        .count();
    for s in accepted_failed.iter().take(5) {
        say!(
            "  info  failed: {} sent {:.3} s: {:?} {:?}",
            s.kind,
            s.sent,
            s.status,
            s.error
        );
    }
    v.check(
        accepted_failed.is_empty(),
        format!(
            "{} requests, {} sent before SIGTERM, {} in flight when it arrived; failed among \
             accepted: {} ({}); turned away after SIGTERM: {refused} refused at connect, {cut} \
             reset in the listen backlog",
            samples.len(),
            before.len(),
            around.len(),
            accepted_failed.len(),
            statuses(&accepted_failed)
        ),
    );
    v.check(
        status.is_some_and(|s| s.success()),
        format!(
            "server exit {:?}, {:.2} s after SIGTERM",
            status.map(|s| s.to_string()),
            exited_at - term_sent
        ),
    );
    Ok(v)
}

/// (d) AUTH_RATE_LIMIT_MAX=5: the 6th attempt is 429, and forging X-Forwarded-For does not help.
fn rate_limit(ctx: &Ctx, bed: &Bed) -> anyhow::Result<Verdicts> {
    let mut server = bed.start(
        ctx,
        "drill-rate-limit",
        &[
            ("AUTH_RATE_LIMIT_MAX", "5"),
            ("RATE_LIMIT_WINDOW_MS", "900000"),
        ],
    )?;
    let port = server.port;
    let body = format!(r#"{{"email":"nobody@drill.equoria.test","password":"{PASSWORD}-wrong"}}"#);
    let mut seen = Vec::new();
    for n in 1..=8 {
        let forged: Vec<(&str, &str)> = match n {
            7 => vec![("X-Forwarded-For", "203.0.113.7")],
            8 => vec![
                ("X-Forwarded-For", "198.51.100.23, 203.0.113.8"),
                ("X-Real-IP", "203.0.113.9"),
            ],
            _ => Vec::new(),
        };
        let response = http::request(
            port,
            "POST",
            "/api/auth/login",
            &forged,
            Some(&body),
            Duration::from_secs(10),
        )?;
        seen.push(response.status);
    }
    let mut v = Verdicts::default();
    v.check(
        seen[..5].iter().all(|s| *s == 401) && seen[5] == 429,
        format!(
            "attempts 1-5 answered {:?} (401 expected), the 6th {}",
            &seen[..5],
            seen[5]
        ),
    );
    v.check(
        seen[6] == 429 && seen[7] == 429,
        format!("with a forged X-Forwarded-For: {}, with forged X-Forwarded-For and X-Real-IP: {} (429 expected)", seen[6], seen[7]),
    );
    let ping = http::get(port, "/ping", Duration::from_secs(2))?.status;
    v.check(ping == 200, format!("/ping while limited: {ping}"));
    stop_server(&mut server)?;
    Ok(v)
}

pub fn stop_server(server: &mut Server) -> anyhow::Result<()> {
    server.process.terminate()?;
    if server
        .process
        .wait_for_exit(Duration::from_secs(15))?
        .is_none()
    {
        bail!(
            "the server did not exit after SIGTERM; see {}",
            server.log.display()
        );
    }
    Ok(())
}
