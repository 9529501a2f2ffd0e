//! `cargo xtask bluegreen-drill`: the blue-green switch and the rollback of deploy/blue-green.sh
//! and deploy/rollback.sh, done for real with native processes and nginx on 127.0.0.1 while a
//! bounded load runs through nginx the whole time.
//!
//! Blue is the release binary (`target/bluegreen/blue/equoria`), green "the new build": a byte
//! copy of the same release binary in `target/bluegreen/green/equoria`. Both serve with
//! NODE_ENV=staging against one throwaway PostgreSQL cluster migrated by the release binary.
//! nginx runs in the foreground with its own prefix, pid file and logs under target/bluegreen,
//! plain HTTP on a loopback port (TLS is not part of this drill: deploy/nginx/check.sh covers it).
//! Its server block mirrors the proxy settings of deploy/nginx/equoria.conf and includes an
//! upstream file rewritten exactly as `switch_upstream` in deploy/lib/blue-green-common.sh does.
//!
//! Steps: blue behind nginx -> green started and gated on /health (200, database connected) ->
//! upstream rewritten, `nginx -t`, `nginx -s reload`, wait until the old nginx workers are gone
//! -> blue drained with SIGTERM (exit 0 required) -> rollback: blue started again, gated,
//! switched back, green drained and stopped. Every request of the load counts by phase; any
//! non-2xx or transport error is a failure and the task fails unless there are none.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use xshell::cmd;

use crate::process::Background;
use crate::{Ctx, bench, db, drill, http, say, staging};

const DIR: &str = "bluegreen";
const CLUSTER_DIR: &str = "equoria-bluegreen-pg";
const DATABASE: &str = "equoria_bluegreen";
const UNLIMITED: &str = "1000000000";
const ALLOWED_ORIGINS: &str = "https://bluegreen.equoria.test";
/// SHUTDOWN_TIMEOUT_SECS of both colours, and how long we wait for an exit after SIGTERM.
const SHUTDOWN_SECS: u64 = 10;
const EXIT_TIMEOUT: Duration = Duration::from_secs(SHUTDOWN_SECS + 5);
const HEALTH_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the load runs on a colour between the steps.
const STEADY: Duration = Duration::from_secs(3);
/// After the old nginx workers are gone, before SIGTERM to the old colour.
const SETTLE: Duration = Duration::from_secs(1);
const OLD_WORKERS_TIMEOUT: Duration = Duration::from_secs(15);
/// The load never runs longer than this, whatever happens to the steps.
const LOAD_LIMIT: Duration = Duration::from_secs(180);
const CLIENTS: usize = 2;
const PAUSE: Duration = Duration::from_millis(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
const UPSTREAM_HEADER: &str = "x-drill-upstream";

const PHASES: [&str; 9] = [
    "blue live",
    "green start + gate",
    "switch to green",
    "blue drain + stop",
    "green live",
    "rollback: blue start + gate",
    "switch back to blue",
    "green drain + stop",
    "blue live again",
];

/// `cargo xtask bluegreen-drill`.
pub fn run(ctx: &Ctx) -> anyhow::Result<()> {
    ensure_nginx(ctx)?;
    let release = bench::server_binary(ctx)?;
    let dir = ctx.target_dir.join(DIR);
    if dir.exists() {
        fs::remove_dir_all(&dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    for sub in ["blue", "green", "logs", "tmp"] {
        fs::create_dir_all(dir.join(sub)).with_context(|| format!("creating {sub}"))?;
    }
    let blue_bin = dir.join("blue/equoria");
    let green_bin = dir.join("green/equoria");
    fs::copy(&release, &blue_bin).context("copying the release binary for blue")?;
    fs::copy(&release, &green_bin).context("copying the release binary for green")?;
    say!(
        "blue = {}, green (\"the new build\") = {}: byte copies of the release build {}",
        ctx.show(&blue_bin),
        ctx.show(&green_bin),
        ctx.show(&release)
    );

    let cluster = db::start_cluster(ctx, &ctx.target_dir.join(CLUSTER_DIR), true, "blue-green")?;
    let database = db::database_in(cluster, DATABASE)?;
    let free = || equoria_pg_cluster::free_port().context("picking a free port");
    let ports = Ports {
        blue: free()?,
        green: free()?,
        nginx: free()?,
    };
    let colours = Colours {
        database,
        jwt_secret: staging::random_secret()?,
        jwt_refresh_secret: staging::random_secret()?,
        dir: dir.clone(),
    };
    say!(
        "server environment: NODE_ENV=staging HOST=127.0.0.1 ALLOWED_ORIGINS={ALLOWED_ORIGINS} \
         RATE_LIMIT_MAX_REQUESTS={UNLIMITED} AUTH_RATE_LIMIT_MAX={UNLIMITED} \
         TRUSTED_PROXIES=127.0.0.1 SHUTDOWN_TIMEOUT_SECS={SHUTDOWN_SECS} BCRYPT_SALT_ROUNDS=10 \
         JWT_SECRET/JWT_REFRESH_SECRET=<fresh random, 96 hex chars each>"
    );
    say!("applying migrations with the release binary (blue)");
    let sh = &ctx.sh;
    ctx.run(
        colours
            .database
            .apply(cmd!(sh, "{blue_bin} migrate run").envs(colours.env(0))),
    )?;

    let nginx = Nginx::new(&dir, ports.nginx)?;
    nginx.write_upstream(ports.blue)?;
    let mut blue = colours.start(ctx, "blue", &blue_bin, ports.blue)?;
    let mut nginx_process = nginx.start(ctx)?;
    let token = register_through(ports.nginx)?;

    let load = Load::start(ports.nginx, token);
    let started = Instant::now();
    let outcome = steps(
        ctx,
        &colours,
        &nginx,
        &load,
        &ports,
        &mut blue,
        (&blue_bin, &green_bin),
    );
    let report = load.finish();
    let total = started.elapsed();
    drop(nginx_process.take());
    drop(blue);
    let failed = print_report(&report, &ports, total);
    if let Some(cluster) = colours.database.cluster {
        db::stop_cluster(ctx, cluster);
    }
    outcome?;
    // The switch must really have moved the traffic: steady phases served by one colour only.
    for (phase, colour, port) in [(4, "green", ports.green), (8, "blue", ports.blue)] {
        let served = &report[phase].by_upstream;
        let expected = format!("127.0.0.1:{port}");
        if served.keys().any(|upstream| *upstream != expected) || served.is_empty() {
            bail!(
                "phase \"{}\" was not served by {colour} alone: {served:?}",
                PHASES[phase]
            );
        }
    }
    if failed > 0 {
        bail!("{failed} requests through nginx failed during the blue-green drill");
    }
    say!("blue-green drill passed: no request failed");
    Ok(())
}

/// The switch to green and the rollback, with the load running. `blue` is replaced by the
/// restarted blue of the rollback.
fn steps(
    ctx: &Ctx,
    colours: &Colours,
    nginx: &Nginx,
    load: &Load,
    ports: &Ports,
    blue: &mut Option<Background>,
    (blue_bin, green_bin): (&Path, &Path),
) -> anyhow::Result<()> {
    load.phase(0);
    thread::sleep(STEADY);
    load.alive()?;

    load.phase(1);
    let mut green = colours.start(ctx, "green", green_bin, ports.green)?;

    load.phase(2);
    nginx.switch(ctx, ports.green)?;
    load.alive()?;

    load.phase(3);
    stop(blue, "blue")?;

    load.phase(4);
    thread::sleep(STEADY);
    load.alive()?;

    load.phase(5);
    say!("rolling back: blue again on 127.0.0.1:{}", ports.blue);
    *blue = colours.start(ctx, "blue-again", blue_bin, ports.blue)?;

    load.phase(6);
    nginx.switch(ctx, ports.blue)?;
    load.alive()?;

    load.phase(7);
    stop(&mut green, "green")?;

    load.phase(8);
    thread::sleep(STEADY);
    load.alive()
}

#[derive(Debug)]
struct Ports {
    blue: u16,
    green: u16,
    nginx: u16,
}

/// What both colours share: the database and the secrets.
struct Colours {
    database: db::Database,
    jwt_secret: String,
    jwt_refresh_secret: String,
    dir: PathBuf,
}

impl Colours {
    fn env(&self, port: u16) -> Vec<(String, String)> {
        let port = port.to_string();
        [
            ("NODE_ENV", "staging"),
            ("HOST", "127.0.0.1"),
            ("PORT", port.as_str()),
            ("ALLOWED_ORIGINS", ALLOWED_ORIGINS),
            ("RATE_LIMIT_MAX_REQUESTS", UNLIMITED),
            ("AUTH_RATE_LIMIT_MAX", UNLIMITED),
            ("TRUSTED_PROXIES", "127.0.0.1"),
            ("SHUTDOWN_TIMEOUT_SECS", "10"),
            ("BCRYPT_SALT_ROUNDS", "10"),
            ("JWT_SECRET", self.jwt_secret.as_str()),
            ("JWT_REFRESH_SECRET", self.jwt_refresh_secret.as_str()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    /// Starts `bin serve` on `port` and gates on its /health: 200 with the database connected.
    fn start(
        &self,
        ctx: &Ctx,
        name: &str,
        bin: &Path,
        port: u16,
    ) -> anyhow::Result<Option<Background>> {
        let sh = &ctx.sh;
        let log = self.dir.join(format!("logs/{name}.log"));
        say!("starting {name} on 127.0.0.1:{port}");
        let command = self.database.apply(
            cmd!(sh, "{bin} serve")
                .env_remove("APP_ENV")
                .envs(self.env(port)),
        );
        let mut process = ctx.spawn_logged(command, &log)?;
        if let Err(error) = health_gate(ctx, &mut process, name, port) {
            return Err(anyhow!(
                "{error:#}\n--- end of {} ---\n{}",
                ctx.show(&log),
                staging::log_tail(&log)
            ));
        }
        Ok(Some(process))
    }
}

/// Polls GET /health on 127.0.0.1:`port` until it answers 200 with `database` "connected".
fn health_gate(ctx: &Ctx, process: &mut Background, name: &str, port: u16) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut last = String::from("no attempt made");
    while started.elapsed() < HEALTH_TIMEOUT {
        ctx.check_interrupted()?;
        if let Some(status) = process.exited()? {
            bail!("{name} exited ({status}) before its /health gate passed");
        }
        match http::get(port, "/health", Duration::from_secs(2)) {
            Ok(response) if response.status == 200 => {
                let json: serde_json::Value =
                    serde_json::from_str(&response.body).unwrap_or_default();
                if json["database"] == "connected" {
                    say!(
                        "health gate passed: {name} /health 200, database connected, after {:.1} s",
                        started.elapsed().as_secs_f64()
                    );
                    return Ok(());
                }
                last = format!("200 without database connected: {}", response.body);
            }
            Ok(response) => last = format!("status {}: {}", response.status, response.body),
            Err(error) => last = format!("{error:#}"),
        }
        thread::sleep(Duration::from_millis(250));
    }
    bail!(
        "{name} failed its health gate within {} s (last: {last})",
        HEALTH_TIMEOUT.as_secs()
    )
}

/// SIGTERM, then requires exit code 0 within the shutdown timeout (+5 s).
fn stop(process: &mut Option<Background>, name: &str) -> anyhow::Result<()> {
    let Some(mut running) = process.take() else {
        bail!("{name} is not running");
    };
    say!("SIGTERM to {name} (pid {}): drain and exit", running.pid());
    let sent = Instant::now();
    running.terminate()?;
    match running.wait_for_exit(EXIT_TIMEOUT)? {
        Some(status) if status.success() => {
            say!(
                "{name} exited with 0, {:.2} s after SIGTERM",
                sent.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Some(status) => bail!("{name} exited with {status} after SIGTERM, expected 0"),
        None => bail!(
            "{name} still ran {} s after SIGTERM",
            EXIT_TIMEOUT.as_secs()
        ),
    }
}

/// Installs nginx-light from Debian when nginx is missing.
fn ensure_nginx(ctx: &Ctx) -> anyhow::Result<()> {
    if bench::on_path("nginx") || Path::new("/usr/sbin/nginx").is_file() {
        return Ok(());
    }
    say!("nginx is missing: installing the Debian package nginx-light");
    let sh = &ctx.sh;
    ctx.run(cmd!(sh, "apt-get install -y nginx-light"))
        .or_else(|_| {
            ctx.run(cmd!(sh, "apt-get update"))?;
            ctx.run(cmd!(sh, "apt-get install -y nginx-light"))
        })
        .context("installing nginx failed: install it yourself (`apt-get install nginx-light`)")
}

/// The drill's nginx: prefix, configuration, upstream file and pid file under target/bluegreen.
struct Nginx {
    prefix: PathBuf,
    conf: PathBuf,
    upstream: PathBuf,
    pid_file: PathBuf,
    error_log: PathBuf,
    port: u16,
}

impl Nginx {
    fn new(prefix: &Path, port: u16) -> anyhow::Result<Nginx> {
        let nginx = Nginx {
            prefix: prefix.to_path_buf(),
            conf: prefix.join("nginx.conf"),
            upstream: prefix.join("upstream.conf"),
            pid_file: prefix.join("nginx.pid"),
            error_log: prefix.join("logs/error.log"),
            port,
        };
        let p = prefix.display();
        // nginx started by root would switch its workers to `nobody`, which cannot write here.
        let user = if is_root() { "user root;\n" } else { "" };
        let conf = format!(
            "# Generated by `cargo xtask bluegreen-drill`: plain HTTP on 127.0.0.1, proxy settings\n\
             # of deploy/nginx/equoria.conf, upstream file rewritten like deploy/blue-green.sh.\n\
             {user}daemon off;\n\
             worker_processes 1;\n\
             pid {pid};\n\
             error_log {err} info;\n\
             events {{ worker_connections 512; }}\n\
             http {{\n\
             \x20   access_log {p}/logs/access.log;\n\
             \x20   client_body_temp_path {p}/tmp/body;\n\
             \x20   proxy_temp_path {p}/tmp/proxy;\n\
             \x20   fastcgi_temp_path {p}/tmp/fastcgi;\n\
             \x20   uwsgi_temp_path {p}/tmp/uwsgi;\n\
             \x20   scgi_temp_path {p}/tmp/scgi;\n\
             \x20   include {upstream};\n\
             \x20   server {{\n\
             \x20       listen 127.0.0.1:{port};\n\
             \x20       server_tokens off;\n\
             \x20       keepalive_timeout 65s;\n\
             \x20       keepalive_requests 100000;\n\
             \x20       location / {{\n\
             \x20           proxy_pass http://equoria_backend;\n\
             \x20           proxy_http_version 1.1;\n\
             \x20           proxy_set_header Connection \"\";\n\
             \x20           proxy_set_header Host $host;\n\
             \x20           proxy_set_header X-Forwarded-For $remote_addr;\n\
             \x20           proxy_set_header X-Real-IP $remote_addr;\n\
             \x20           proxy_set_header X-Forwarded-Proto $scheme;\n\
             \x20           proxy_connect_timeout 5s;\n\
             \x20           proxy_send_timeout 30s;\n\
             \x20           proxy_read_timeout 60s;\n\
             \x20           proxy_next_upstream error timeout;\n\
             \x20           proxy_next_upstream_tries 2;\n\
             \x20           add_header X-Drill-Upstream $upstream_addr always;\n\
             \x20       }}\n\
             \x20   }}\n\
             }}\n",
            pid = nginx.pid_file.display(),
            err = nginx.error_log.display(),
            upstream = nginx.upstream.display(),
        );
        fs::write(&nginx.conf, conf).context("writing the drill's nginx.conf")?;
        Ok(nginx)
    }

    /// The upstream file of deploy/lib/blue-green-common.sh, written atomically.
    fn write_upstream(&self, port: u16) -> anyhow::Result<()> {
        let text = format!(
            "# Written by cargo xtask bluegreen-drill. Do not edit by hand.\n\
             upstream equoria_backend {{\n\
             \x20   server 127.0.0.1:{port} max_fails=3 fail_timeout=10s;\n\
             \x20   keepalive 32;\n\
             \x20   keepalive_timeout 60s;\n\
             }}\n"
        );
        let tmp = self.upstream.with_extension("conf.tmp");
        fs::write(&tmp, text).context("writing the upstream file")?;
        if self.upstream.exists() {
            fs::copy(&self.upstream, self.upstream.with_extension("conf.prev"))
                .context("keeping the previous upstream file")?;
        }
        fs::rename(&tmp, &self.upstream).context("replacing the upstream file")
    }

    fn args(&self) -> [String; 6] {
        [
            "-p".to_owned(),
            self.prefix.display().to_string(),
            "-c".to_owned(),
            self.conf.display().to_string(),
            "-e".to_owned(),
            self.error_log.display().to_string(),
        ]
    }

    /// `nginx -t`, then nginx in the foreground; waits until it proxies /health.
    fn start(&self, ctx: &Ctx) -> anyhow::Result<Option<Background>> {
        let sh = &ctx.sh;
        let args = &self.args();
        ctx.run(cmd!(sh, "nginx -t -q {args...}"))?;
        let log = self.prefix.join("logs/nginx.out");
        let mut process = ctx.spawn_logged(cmd!(sh, "nginx {args...}"), &log)?;
        let started = Instant::now();
        loop {
            if let Some(status) = process.exited()? {
                bail!("nginx exited ({status}): see {}", ctx.show(&self.error_log));
            }
            if http::get(self.port, "/health", Duration::from_secs(2))
                .is_ok_and(|response| response.status == 200)
            {
                say!(
                    "nginx (pid {}) proxies 127.0.0.1:{} to blue",
                    process.pid(),
                    self.port
                );
                return Ok(Some(process));
            }
            if started.elapsed() > Duration::from_secs(10) {
                bail!("nginx did not proxy /health within 10 s");
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// The switch of deploy/blue-green.sh: rewrite the upstream, `nginx -t` (restore the old
    /// file when it fails), `nginx -s reload`; then wait until the old generation of workers
    /// has exited (their connections to the old colour are gone) and a moment more.
    fn switch(&self, ctx: &Ctx, port: u16) -> anyhow::Result<()> {
        let sh = &ctx.sh;
        let args = &self.args();
        let master = self.master_pid()?;
        let old_workers = children_of(master);
        self.write_upstream(port)?;
        if let Err(error) = ctx.run(cmd!(sh, "nginx -t -q {args...}")) {
            fs::rename(self.upstream.with_extension("conf.prev"), &self.upstream)
                .context("restoring the previous upstream file")?;
            return Err(error.context("nginx -t rejected the new upstream; previous one restored"));
        }
        let reloaded = Instant::now();
        ctx.run(cmd!(sh, "nginx -s reload {args...}"))?;
        say!(
            "nginx reloaded with upstream 127.0.0.1:{port}; waiting for the old workers {old_workers:?} to exit"
        );
        loop {
            let alive: Vec<u32> = old_workers
                .iter()
                .copied()
                .filter(|pid| Path::new(&format!("/proc/{pid}")).exists())
                .filter(|pid| children_of(master).contains(pid))
                .collect();
            if alive.is_empty() {
                break;
            }
            if reloaded.elapsed() > OLD_WORKERS_TIMEOUT {
                bail!(
                    "old nginx workers {alive:?} still run {} s after the reload",
                    OLD_WORKERS_TIMEOUT.as_secs()
                );
            }
            thread::sleep(Duration::from_millis(50));
        }
        say!(
            "old nginx workers gone {:.2} s after the reload; settling {} s",
            reloaded.elapsed().as_secs_f64(),
            SETTLE.as_secs()
        );
        thread::sleep(SETTLE);
        let response = http::get(self.port, "/health", REQUEST_TIMEOUT)?;
        say!(
            "through nginx now: /health {} (new connections go to 127.0.0.1:{port})",
            response.status
        );
        Ok(())
    }

    fn master_pid(&self) -> anyhow::Result<u32> {
        let text = fs::read_to_string(&self.pid_file)
            .with_context(|| format!("reading {}", self.pid_file.display()))?;
        text.trim()
            .parse()
            .with_context(|| format!("bad pid in {}", self.pid_file.display()))
    }
}

fn is_root() -> bool {
    fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .find(|line| line.starts_with("Uid:"))
            .and_then(|line| line.split_whitespace().nth(2))
            == Some("0")
    })
}

/// Pids whose parent is `parent` (from /proc/<pid>/stat).
fn children_of(parent: u32) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
                // "pid (comm) state ppid ...": comm may hold spaces, so split after ')'.
                stat.rsplit_once(')')
                    .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                    .and_then(|ppid| ppid.parse::<u32>().ok())
                    == Some(parent)
            })
        })
        .collect()
}

/// Registers the drill's account through nginx; returns its access token.
fn register_through(port: u16) -> anyhow::Result<String> {
    let (token, _) = drill::register(port, "bluegreen_drill")?;
    say!("registered the drill account through nginx (token for GET /api/auth/me)");
    Ok(token)
}

/// Per-phase figures of the load.
#[derive(Debug, Default, Clone)]
struct PhaseStats {
    sent: u64,
    failed: u64,
    /// Reused keep-alive connections closed before any response byte, retried on a new one.
    stale_retries: u64,
    by_upstream: BTreeMap<String, u64>,
    errors: Vec<String>,
    started: Option<Instant>,
    ended: Option<Instant>,
}

struct Shared {
    phase: AtomicUsize,
    stop: AtomicBool,
    stats: Mutex<Vec<PhaseStats>>,
}

/// The load: CLIENTS threads, each one keep-alive connection to nginx, cycling through
/// GET /api, GET /health and an authenticated GET /api/auth/me until stopped (or LOAD_LIMIT).
struct Load {
    shared: Arc<Shared>,
    workers: Vec<thread::JoinHandle<()>>,
}

impl Load {
    fn start(port: u16, token: String) -> Load {
        let mut stats = vec![PhaseStats::default(); PHASES.len()];
        stats[0].started = Some(Instant::now());
        let shared = Arc::new(Shared {
            phase: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            stats: Mutex::new(stats),
        });
        say!(
            "load: {CLIENTS} keep-alive clients through nginx 127.0.0.1:{port}, GET /api, /health, \
             /api/auth/me, {} ms pause, {} s per-request timeout, at most {} s",
            PAUSE.as_millis(),
            REQUEST_TIMEOUT.as_secs(),
            LOAD_LIMIT.as_secs()
        );
        let workers = (0..CLIENTS)
            .map(|index| {
                let shared = Arc::clone(&shared);
                let auth = format!("Bearer {token}");
                thread::spawn(move || client_loop(&shared, port, index, &auth))
            })
            .collect();
        Load { shared, workers }
    }

    fn phase(&self, index: usize) {
        let now = Instant::now();
        let mut stats = lock(&self.shared.stats);
        let previous = self.shared.phase.swap(index, Ordering::SeqCst);
        if previous != index {
            stats[previous].ended = Some(now);
        }
        stats[index].started = Some(now);
        say!("phase {}: {}", index + 1, PHASES[index]);
    }

    /// Fails when the load stopped on its own (LOAD_LIMIT reached).
    fn alive(&self) -> anyhow::Result<()> {
        if self.workers.iter().any(thread::JoinHandle::is_finished) {
            bail!(
                "the load stopped before the drill ended (limit {} s)",
                LOAD_LIMIT.as_secs()
            );
        }
        Ok(())
    }

    fn finish(self) -> Vec<PhaseStats> {
        self.shared.stop.store(true, Ordering::SeqCst);
        for worker in self.workers {
            let _ = worker.join();
        }
        let mut stats = lock(&self.shared.stats).clone();
        let last = self.shared.phase.load(Ordering::SeqCst);
        stats[last].ended.get_or_insert_with(Instant::now);
        stats
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn client_loop(shared: &Shared, port: u16, index: usize, auth: &str) {
    let started = Instant::now();
    let mut client = Client::new(port);
    let mut n = index;
    while !shared.stop.load(Ordering::SeqCst) && started.elapsed() < LOAD_LIMIT {
        let (path, headers): (&str, Vec<(&str, &str)>) = match n % 3 {
            0 => ("/api", vec![]),
            1 => ("/health", vec![]),
            _ => ("/api/auth/me", vec![("Authorization", auth)]),
        };
        n += 1;
        let phase = shared.phase.load(Ordering::SeqCst);
        let outcome = client.get(path, &headers);
        let mut guard = lock(&shared.stats);
        let stats = &mut guard[phase];
        stats.sent += 1;
        stats.stale_retries += u64::from(client.take_retried());
        match outcome {
            Ok((status, upstream)) => {
                *stats.by_upstream.entry(upstream).or_default() += 1;
                if !(200..300).contains(&status) {
                    stats.failed += 1;
                    if stats.errors.len() < 5 {
                        stats.errors.push(format!("GET {path}: status {status}"));
                    }
                }
            }
            Err(error) => {
                stats.failed += 1;
                if stats.errors.len() < 5 {
                    stats.errors.push(format!("GET {path}: {error:#}"));
                }
            }
        }
        drop(guard);
        thread::sleep(PAUSE);
    }
}

/// An HTTP/1.1 client on one keep-alive connection to 127.0.0.1:`port`.
struct Client {
    port: u16,
    conn: Option<BufReader<TcpStream>>,
    retried: bool,
}

/// Why a request failed, and whether the server sent nothing at all.
struct Failure {
    error: anyhow::Error,
    nothing_received: bool,
}

impl Client {
    fn new(port: u16) -> Client {
        Client {
            port,
            conn: None,
            retried: false,
        }
    }

    fn take_retried(&mut self) -> bool {
        std::mem::take(&mut self.retried)
    }

    /// GET `path`; returns the status and the X-Drill-Upstream header. Like browsers and
    /// HTTP client libraries, a GET on a reused keep-alive connection that the server closed
    /// before sending any byte is retried once on a new connection (RFC 9112, 9.3.1); those
    /// retries are counted and reported.
    fn get(&mut self, path: &str, headers: &[(&str, &str)]) -> anyhow::Result<(u16, String)> {
        let reused = self.conn.is_some();
        match self.attempt(path, headers) {
            Ok(result) => Ok(result),
            Err(failure) if reused && failure.nothing_received => {
                self.retried = true;
                self.attempt(path, headers).map_err(|failure| failure.error)
            }
            Err(failure) => Err(failure.error),
        }
    }

    fn attempt(&mut self, path: &str, headers: &[(&str, &str)]) -> Result<(u16, String), Failure> {
        let result = self.exchange(path, headers);
        if result.is_err() {
            self.conn = None;
        }
        result
    }

    fn exchange(&mut self, path: &str, headers: &[(&str, &str)]) -> Result<(u16, String), Failure> {
        let port = self.port;
        let fail = |error: anyhow::Error, nothing_received: bool| Failure {
            error,
            nothing_received,
        };
        if self.conn.is_none() {
            let address = SocketAddr::from(([127, 0, 0, 1], port));
            let stream = TcpStream::connect_timeout(&address, REQUEST_TIMEOUT)
                .with_context(|| format!("connecting to {address}"))
                .map_err(|e| fail(e, false))?;
            stream
                .set_read_timeout(Some(REQUEST_TIMEOUT))
                .and_then(|()| stream.set_write_timeout(Some(REQUEST_TIMEOUT)))
                .and_then(|()| stream.set_nodelay(true))
                .context("setting socket options")
                .map_err(|e| fail(e, false))?;
            self.conn = Some(BufReader::new(stream));
        }
        let conn = self
            .conn
            .as_mut()
            .ok_or_else(|| fail(anyhow!("no connection"), false))?;
        let mut request = format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: equoria-xtask-bluegreen\r\n\
             Accept: application/json\r\n"
        );
        for (name, value) in headers {
            let _ = write!(request, "{name}: {value}\r\n");
        }
        request.push_str("\r\n");
        // A write to a connection the server closed can still succeed; the read tells.
        conn.get_mut()
            .write_all(request.as_bytes())
            .with_context(|| format!("sending GET {path}"))
            .map_err(|e| fail(e, true))?;

        let mut line = String::new();
        let read = conn
            .read_line(&mut line)
            .with_context(|| format!("reading the status line of GET {path}"));
        match read {
            Ok(0) => return Err(fail(anyhow!("connection closed before a response"), true)),
            Ok(_) => {}
            Err(error) => {
                let reset = error.chain().any(|cause| {
                    cause
                        .downcast_ref::<std::io::Error>()
                        .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionReset)
                });
                return Err(fail(error, reset));
            }
        }
        read_rest(conn, &line)
            .with_context(|| format!("reading the response to GET {path}"))
            .map_err(|e| fail(e, false))
            .map(|(status, upstream, close)| {
                if close {
                    self.conn = None;
                }
                (status, upstream)
            })
    }
}

/// Reads headers and body after `status_line`: (status, upstream header, connection closes).
fn read_rest(
    conn: &mut BufReader<TcpStream>,
    status_line: &str,
) -> anyhow::Result<(u16, String, bool)> {
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or_else(|| anyhow!("bad status line {:?}", status_line.trim_end()))?;
    let mut length = 0usize;
    let mut chunked = false;
    let mut close = false;
    let mut upstream = String::from("-");
    loop {
        let mut line = String::new();
        if conn.read_line(&mut line)? == 0 {
            bail!("connection closed in the headers");
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
        match name.as_str() {
            "content-length" => length = value.parse().context("bad Content-Length")?,
            "transfer-encoding" => chunked = value.to_ascii_lowercase().contains("chunked"),
            "connection" => close = value.eq_ignore_ascii_case("close"),
            UPSTREAM_HEADER => value.clone_into(&mut upstream),
            _ => {}
        }
    }
    if chunked {
        loop {
            let mut size_line = String::new();
            if conn.read_line(&mut size_line)? == 0 {
                bail!("connection closed in a chunked body");
            }
            let hex = size_line.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(hex, 16).context("bad chunk size")?;
            if size == 0 {
                // Trailers (none expected), then the blank line.
                loop {
                    let mut trailer = String::new();
                    if conn.read_line(&mut trailer)? == 0 || trailer.trim_end().is_empty() {
                        break;
                    }
                }
                break;
            }
            let mut chunk = vec![0u8; size + 2];
            conn.read_exact(&mut chunk)?;
        }
    } else {
        let mut body = vec![0u8; length];
        conn.read_exact(&mut body)?;
    }
    Ok((status, upstream, close))
}

/// Prints the per-phase table; returns the number of failed requests.
fn print_report(stats: &[PhaseStats], ports: &Ports, total: Duration) -> u64 {
    let name_of = |upstream: &str| {
        if upstream.ends_with(&format!(":{}", ports.blue)) {
            format!("blue({upstream})")
        } else if upstream.ends_with(&format!(":{}", ports.green)) {
            format!("green({upstream})")
        } else {
            upstream.to_owned()
        }
    };
    say!("blue-green drill: requests through nginx by phase");
    say!(
        "  {:<2} {:<28} {:>7} {:>6} {:>7} {:>7}  served by",
        "#",
        "phase",
        "time s",
        "sent",
        "failed",
        "retried"
    );
    let (mut sent, mut failed, mut retried) = (0, 0, 0);
    for (index, (phase, stat)) in PHASES.iter().zip(stats).enumerate() {
        let seconds = match (stat.started, stat.ended) {
            (Some(start), Some(end)) => format!("{:.2}", (end - start).as_secs_f64()),
            _ => "-".to_owned(),
        };
        let served: Vec<String> = stat
            .by_upstream
            .iter()
            .map(|(upstream, count)| format!("{} x{count}", name_of(upstream)))
            .collect();
        say!(
            "  {:<2} {:<28} {:>7} {:>6} {:>7} {:>7}  {}",
            index + 1,
            phase,
            seconds,
            stat.sent,
            stat.failed,
            stat.stale_retries,
            served.join(", ")
        );
        for error in &stat.errors {
            say!("       failure: {error}");
        }
        sent += stat.sent;
        failed += stat.failed;
        retried += stat.stale_retries;
    }
    say!(
        "  total: {sent} sent, {failed} failed, {retried} retried on a fresh connection after a \
         reused keep-alive connection closed before any response byte; {:.1} s under load",
        total.as_secs_f64()
    );
    failed
}
