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
//!
//! The drill's nginx is in `nginx`, the load and its table in `load`; the colours are servers
//! of the shared harness (crate::server).

mod load;
mod nginx;

use std::fs;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use crate::server::{self, Ready, Server, random_secret};
use crate::{Ctx, db, drill, say};
use load::Load;
use nginx::{Nginx, ensure_nginx};

const DIR: &str = "bluegreen";
const CLUSTER_DIR: &str = "equoria-bluegreen-pg";
const DATABASE: &str = "equoria_bluegreen";
const UNLIMITED: &str = "1000000000";
const ALLOWED_ORIGINS: &str = "https://bluegreen.equoria.test";
/// SHUTDOWN_TIMEOUT_SECS of both colours, and how long we wait for an exit after SIGTERM.
const SHUTDOWN_SECS: u64 = 10;
const EXIT_TIMEOUT: Duration = Duration::from_secs(SHUTDOWN_SECS + 5);
/// How long the load runs on a colour between the steps.
const STEADY: Duration = Duration::from_secs(3);
/// After the old nginx workers are gone, before SIGTERM to the old colour.
const SETTLE: Duration = Duration::from_secs(1);
/// How long the old nginx workers may take to exit after a reload.
const OLD_WORKERS_TIMEOUT: Duration = Duration::from_secs(15);
/// The load's timeout of a connect, a read or a write.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// The drill's phases, in order; the load counts its requests by phase.
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
pub(crate) fn run(ctx: &Ctx) -> anyhow::Result<()> {
    ensure_nginx(ctx)?;
    let dir = ctx.target_dir.join(DIR);
    let (blue_bin, green_bin) = prepare_binaries(ctx, &dir)?;

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
        jwt_secret: random_secret()?,
        jwt_refresh_secret: random_secret()?,
        dir: dir.clone(),
    };
    say!(
        "server environment: NODE_ENV=staging HOST=127.0.0.1 ALLOWED_ORIGINS={ALLOWED_ORIGINS} \
         RATE_LIMIT_MAX_REQUESTS={UNLIMITED} AUTH_RATE_LIMIT_MAX={UNLIMITED} \
         TRUSTED_PROXIES=127.0.0.1 SHUTDOWN_TIMEOUT_SECS={SHUTDOWN_SECS} BCRYPT_SALT_ROUNDS=10 \
         JWT_SECRET/JWT_REFRESH_SECRET=<fresh random, 96 hex chars each>"
    );
    say!("applying migrations with the release binary (blue)");
    ctx.run(colours.command(ctx, &blue_bin, &["migrate", "run"], 0))?;

    let nginx = Nginx::new(&dir, ports.nginx)?;
    nginx.write_upstream(ports.blue)?;
    let mut blue = Some(colours.start(ctx, "blue", &blue_bin, ports.blue)?);
    let nginx_server = nginx.start(ctx)?;
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
    drop(nginx_server);
    drop(blue);
    let failed = load::print_report(&report, &ports, total);
    if let Some(cluster) = colours.database.cluster {
        db::stop_cluster(ctx, cluster);
    }
    outcome?;
    check_traffic(&report, &ports)?;
    if failed > 0 {
        bail!("{failed} requests through nginx failed during the blue-green drill");
    }
    say!("blue-green drill passed: no request failed");
    Ok(())
}

/// Blue and green: byte copies of the release binary in a fresh `dir`.
fn prepare_binaries(ctx: &Ctx, dir: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    let release = server::release_binary(ctx)?;
    if dir.exists() {
        fs::remove_dir_all(dir).with_context(|| format!("clearing {}", dir.display()))?;
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
    Ok((blue_bin, green_bin))
}

/// The switch must really have moved the traffic: steady phases served by one colour only.
fn check_traffic(report: &[load::PhaseStats], ports: &Ports) -> anyhow::Result<()> {
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
    blue: &mut Option<Server>,
    (blue_bin, green_bin): (&Path, &Path),
) -> anyhow::Result<()> {
    load.phase(0);
    thread::sleep(STEADY);
    load.alive()?;

    load.phase(1);
    let mut green = Some(colours.start(ctx, "green", green_bin, ports.green)?);

    load.phase(2);
    nginx.switch(ctx, ports.green)?;
    load.alive()?;

    load.phase(3);
    stop(ctx, blue, "blue")?;

    load.phase(4);
    thread::sleep(STEADY);
    load.alive()?;

    load.phase(5);
    say!("rolling back: blue again on 127.0.0.1:{}", ports.blue);
    *blue = Some(colours.start(ctx, "blue-again", blue_bin, ports.blue)?);

    load.phase(6);
    nginx.switch(ctx, ports.blue)?;
    load.alive()?;

    load.phase(7);
    stop(ctx, &mut green, "green")?;

    load.phase(8);
    thread::sleep(STEADY);
    load.alive()
}

/// The ports on 127.0.0.1 of both colours and of nginx.
#[derive(Debug)]
struct Ports {
    blue: u16,
    green: u16,
    nginx: u16,
}

/// What both colours share: the database and the secrets.
#[derive(Debug)]
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

    /// `bin args...` with the colours' environment on `port`.
    fn command<'a>(&self, ctx: &'a Ctx, bin: &Path, args: &[&str], port: u16) -> xshell::Cmd<'a> {
        server::command(ctx, bin, args, self.env(port), &self.database)
    }

    /// Starts `bin serve` on `port` and gates on its /health: 200 with the database connected.
    fn start(&self, ctx: &Ctx, name: &str, bin: &Path, port: u16) -> anyhow::Result<Server> {
        let log = self.dir.join(format!("logs/{name}.log"));
        say!("starting {name} on 127.0.0.1:{port}");
        let command = self.command(ctx, bin, &["serve"], port);
        Server::start(ctx, name, command, port, &log, Ready::DatabaseConnected)
    }
}

/// SIGTERM, then requires exit code 0 within the shutdown timeout (+5 s).
fn stop(ctx: &Ctx, server: &mut Option<Server>, name: &str) -> anyhow::Result<()> {
    let Some(mut running) = server.take() else {
        bail!("{name} is not running");
    };
    running.stop_cleanly(ctx, EXIT_TIMEOUT)
}

/// Registers the drill's account through nginx; returns its access token.
fn register_through(port: u16) -> anyhow::Result<String> {
    let (token, _) = drill::register(port, "bluegreen_drill")?;
    say!("registered the drill account through nginx (token for GET /api/auth/me)");
    Ok(token)
}
