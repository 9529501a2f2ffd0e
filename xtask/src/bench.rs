//! `cargo xtask bench`: the release server in its production configuration against a throwaway
//! PostgreSQL seeded with realistic volumes, loaded from wrk on 127.0.0.1, scenario by
//! scenario, each bounded in time; then the database's own ceiling (`pgbench -S`) and the
//! bcrypt ceiling, so the API's share of each can be read off.
//!
//! Everything shares this machine's cores: client, server and database. The figures are only
//! comparable with runs on the same kind of machine, and only when nothing else runs.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use xshell::{Cmd, cmd};

use crate::dev::{Profile, build_server};
use crate::process::Background;
use crate::{Ctx, db, http, say, staging};

const CLUSTER_DIR: &str = "equoria-bench-pg";
const DATABASE: &str = "equoria_bench";
const PGBENCH_DATABASE: &str = "pgbench_scratch";
const LOG_FILE: &str = "equoria-bench.log";
const WORK_DIR: &str = "equoria-bench";
/// The seeded ids (see bench/seed.sql).
const USER_BASE: u64 = 1_000_000;
const HORSE_BASE: u64 = 1_000_000;
const PLAYERS: u64 = 10_000;
/// Players 1..=COSTLY_PLAYERS have the server's bcrypt cost (the login scenario's); the others
/// a cost-4 hash (the user flow's, see bench/seed.sql).
const COSTLY_PLAYERS: u64 = 1_000;
const HORSES: u64 = 100_000;
/// The one password every seeded player has (the template account's).
const PASSWORD: &str = "bench-password-0001";
/// Limits far above what a run can send, so the limiter never answers for the server.
const UNLIMITED: &str = "1000000000";
const WARMUP_SECS: u64 = 3;
const SEQUENTIAL_LOGINS: usize = 5;

/// The user flow's runs: each connection's mean pause between an answer and its next request,
/// in ms (exponentially distributed, see bench/flow.lua). 0 is the saturated closed loop (mean
/// latency = connections / throughput, whatever the server does); the others are 500 players
/// who each act every half second or every second on average, plus the time of the answer:
/// far busier than people reading a screen.
const FLOW_PACES: [(u64, &str); 3] = [
    (0, "user flow, steps 2-3: list own horses + train, no pause"),
    (
        500,
        "user flow, steps 2-3: list own horses + train, 0.5 s mean pause",
    ),
    (
        1000,
        "user flow, steps 2-3: list own horses + train, 1 s mean pause",
    ),
];

/// The user flow's concurrency.
const FLOW_CONNECTIONS: usize = 500;

const COMMON_LUA: &str = include_str!("bench/common.lua");
const SEED_SQL: &str = include_str!("bench/seed.sql");

/// `cargo xtask bench` options.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Seconds each measured scenario runs (after a warm-up of 3 s where one makes sense).
    #[arg(long, default_value_t = 10)]
    pub duration: u64,
    /// DATABASE_POOL_MAX of the server, and pgbench's client count.
    #[arg(long, default_value_t = 16)]
    pub pool: usize,
    /// Reuse the seeded database of an earlier run (training cooldowns are reset) instead of
    /// starting from an empty cluster and seeding again (about a minute).
    #[arg(long)]
    pub keep_data: bool,
    /// Sample every CPU with `perf record -e cpu-clock -a` during each measured scenario and
    /// print where the time went (by process and shared object, then the top symbols).
    #[arg(long)]
    pub profile: bool,
}

/// Set from `--profile` once, before the scenarios run.
static PROFILE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
/// With `--profile`: the benchmark database, whose pg_stat_statements is read after each scenario.
static PROFILE_DATABASE: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// One scenario's load.
#[derive(Debug, Clone)]
struct Load {
    name: &'static str,
    /// The scenario's script (common.lua is prepended).
    script: &'static str,
    path: &'static str,
    connections: usize,
    threads: usize,
    timeout_secs: u64,
    env: Vec<(&'static str, String)>,
}

/// What wrk measured (from the `BENCH_RESULT` line of common.lua).
#[derive(Debug, Clone, Default)]
struct Measured {
    requests: u64,
    seconds: f64,
    p50_ms: f64,
    p95_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    socket_errors: u64,
    non_2xx: u64,
    /// Status classes, when the script counted them.
    c2xx: u64,
    c422: u64,
    c4xx: u64,
    c5xx: u64,
}

impl Measured {
    fn rate(&self) -> f64 {
        if self.seconds > 0.0 {
            self.requests as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// One line of the final table.
#[derive(Debug)]
struct Row {
    name: String,
    connections: usize,
    measured: Measured,
    /// Peak VmRSS of the server while the scenario ran, in KiB.
    peak_rss_kib: u64,
    note: String,
}

pub fn run<'a>(ctx: &'a Ctx, options: &Options) -> anyhow::Result<()> {
    let sh = &ctx.sh;
    ensure_wrk(ctx)?;
    PROFILE.store(options.profile, std::sync::atomic::Ordering::SeqCst);
    let bin = server_binary(ctx)?;

    // Durable, as in production (the throwaway clusters of the tests run without fsync).
    let mut settings: Vec<(String, String)> = ["fsync", "synchronous_commit", "full_page_writes"]
        .iter()
        .map(|name| ((*name).to_owned(), "on".to_owned()))
        .collect();
    if options.profile {
        settings.push((
            "shared_preload_libraries".to_owned(),
            "pg_stat_statements".to_owned(),
        ));
    }
    let cluster = db::start_cluster_with(
        ctx,
        &ctx.target_dir.join(CLUSTER_DIR),
        equoria_pg_cluster::Options {
            fresh: !options.keep_data,
            settings,
            ..equoria_pg_cluster::Options::default()
        },
        "benchmark",
    )?;
    let seeded = cluster
        .database_exists(DATABASE)
        .context("looking for the benchmark database")?;
    let database = db::database_in(cluster, DATABASE)?;
    let work = ctx.target_dir.join(WORK_DIR);
    fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;

    let port = equoria_pg_cluster::free_port().context("picking a port for the server")?;
    let port_text = port.to_string();
    let pool_text = options.pool.to_string();
    let jwt_secret = staging::random_secret()?;
    let jwt_refresh_secret = staging::random_secret()?;
    let env = [
        ("NODE_ENV", "production"),
        ("HOST", "127.0.0.1"),
        ("PORT", port_text.as_str()),
        ("LOG_LEVEL", "info"),
        ("BCRYPT_SALT_ROUNDS", "12"),
        // The flow players' cost-4 hashes must stay cheap for the whole run.
        ("BCRYPT_REHASH_ON_LOGIN", "false"),
        ("JWT_SECRET", jwt_secret.as_str()),
        ("JWT_REFRESH_SECRET", jwt_refresh_secret.as_str()),
        ("ALLOWED_ORIGINS", "https://bench.equoria.test"),
        ("DATABASE_POOL_MAX", pool_text.as_str()),
        ("RATE_LIMIT_MAX_REQUESTS", UNLIMITED),
        ("AUTH_RATE_LIMIT_MAX", UNLIMITED),
    ];
    say!(
        "server environment: NODE_ENV=production LOG_LEVEL=info (JSON logs) BCRYPT_SALT_ROUNDS=12 \
         BCRYPT_REHASH_ON_LOGIN=false \
         DATABASE_POOL_MAX={} RATE_LIMIT_MAX_REQUESTS=AUTH_RATE_LIMIT_MAX={UNLIMITED} \
         (so the limiter never answers for the server) JWT secrets fresh random",
        options.pool
    );
    let server_cmd = |cmd: Cmd<'a>| database.apply(cmd.env_remove("APP_ENV").envs(env));
    ctx.run(server_cmd(cmd!(sh, "{bin} migrate run")))?;

    let log = ctx.target_dir.join(LOG_FILE);
    say!(
        "starting the server on 127.0.0.1:{port}; its JSON log goes to {}",
        ctx.show(&log)
    );
    let mut server = ctx.spawn_logged(server_cmd(cmd!(sh, "{bin} serve")), &log)?;
    let outcome = (|| {
        staging::wait_until_ready(ctx, &mut server, port)?;
        prepare_data(ctx, &database.url, port, seeded && options.keep_data, &work)?;
        if options.profile {
            let sql = "CREATE EXTENSION IF NOT EXISTS pg_stat_statements";
            let url = &database.url;
            ctx.run(cmd!(sh, "psql -X -q -v ON_ERROR_STOP=1 -d {url} -c {sql}"))?;
            let _ = PROFILE_DATABASE.set(database.url.clone());
        }
        let rows = scenarios(ctx, &server, port, &database.url, options, &work)?;
        let pgbench = pgbench_ceiling(ctx, &database, options)?;
        report(&rows, &pgbench, &server);
        Ok(())
    })();
    drop(server);
    if let Err(error) = outcome {
        let error: anyhow::Error = error;
        return Err(anyhow!(
            "{error:#}\n--- end of {} ---\n{}",
            ctx.show(&log),
            staging::log_tail(&log)
        ));
    }
    if let Some(cluster) = database.cluster {
        db::stop_cluster(ctx, cluster);
    }
    Ok(())
}

/// The release build of the server, or the binary named by EQUORIA_SERVER_BIN (to measure a
/// build you already have, or while the workspace does not compile).
pub fn server_binary(ctx: &Ctx) -> anyhow::Result<PathBuf> {
    match db::env_var("EQUORIA_SERVER_BIN") {
        Some(bin) => {
            say!("using the server binary {bin} (EQUORIA_SERVER_BIN); nothing is built");
            Ok(PathBuf::from(bin))
        }
        None => build_server(ctx, Profile::Release),
    }
}

/// Installs wrk from Debian when it is missing.
pub fn ensure_wrk(ctx: &Ctx) -> anyhow::Result<()> {
    crate::process::ensure_programs(ctx, &[("wrk", "wrk")])
}

pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// Registers the template account (its hash has the server's bcrypt cost) and seeds, or on
/// `--keep-data` only resets what the previous run changed.
fn prepare_data(ctx: &Ctx, url: &str, port: u16, reuse: bool, work: &Path) -> anyhow::Result<()> {
    let sh = &ctx.sh;
    let flow_hashes = flow_hashes_sql();
    if reuse {
        say!("reusing the seeded database; resetting training cooldowns");
        let sql = "UPDATE horses SET training_cooldown_end = NULL \
                   WHERE training_cooldown_end IS NOT NULL; DELETE FROM refresh_tokens;";
        ctx.run(cmd!(sh, "psql -X -q -v ON_ERROR_STOP=1 -d {url} -c {sql}"))?;
        return ctx.run(cmd!(
            sh,
            "psql -X -q -v ON_ERROR_STOP=1 -d {url} -c {flow_hashes}"
        ));
    }
    http::register(port, "bench_template", "bench.equoria.test", PASSWORD)?;
    let seed = work.join("seed.sql");
    fs::write(&seed, SEED_SQL).with_context(|| format!("writing {}", seed.display()))?;
    say!(
        "seeding 10,000 players, 100,000 horses, 100,000 shows, 1,000,000 entries and results \
         (SQL generate_series, then VACUUM ANALYZE)"
    );
    let started = Instant::now();
    ctx.run(cmd!(
        sh,
        "psql -X -q -o /dev/null -v ON_ERROR_STOP=1 -d {url} -f {seed}"
    ))?;
    ctx.run(cmd!(
        sh,
        "psql -X -q -v ON_ERROR_STOP=1 -d {url} -c {flow_hashes}"
    ))?;
    say!("seeded in {:.1} s", started.elapsed().as_secs_f64());
    // The VACUUM at the end of the seed script left most of the horses' pages not all-visible
    // here (every index-only scan of a board then visits the heap: -40 % on the wins board), and
    // autovacuum then went over the new tables during the measurements; a second pass over the
    // whole database from a new session sets the visibility map. Say what it achieved.
    let sql = "VACUUM (ANALYZE)";
    ctx.run(cmd!(sh, "psql -X -q -v ON_ERROR_STOP=1 -d {url} -c {sql}"))?;
    let sql = "SELECT relallvisible || ' of ' || relpages FROM pg_class WHERE relname = 'horses'";
    let output = std::process::Command::new("psql")
        .args(["-X", "-A", "-t", "-d", url, "-c", sql])
        .output()
        .context("running psql")?;
    say!(
        "horses: {} pages all-visible",
        String::from_utf8_lossy(&output.stdout).trim()
    );
    Ok(())
}

/// Gives the user flow's players (all but the first COSTLY_PLAYERS) the benchmark password
/// hashed at bcrypt cost 4, so that thousands of them can log in within seconds (login
/// verifies at the cost stored in the hash). Only rows without such a hash change, so a
/// database kept from an older seed is brought up to date too.
fn flow_hashes_sql() -> String {
    format!(
        "CREATE EXTENSION IF NOT EXISTS pgcrypto; \
         UPDATE users SET password_hash = (SELECT crypt('{PASSWORD}', gen_salt('bf', 4))) \
         WHERE id > {} AND password_hash NOT LIKE '$2a$04$%'; \
         DROP EXTENSION pgcrypto;",
        USER_BASE + COSTLY_PLAYERS
    )
}

/// A fresh access token of the template account.
fn login(port: u16, email: &str) -> anyhow::Result<(String, Duration)> {
    let body = format!(r#"{{"email":"{email}","password":"{PASSWORD}"}}"#);
    let started = Instant::now();
    let response = http::request(
        port,
        "POST",
        "/api/auth/login",
        &[],
        Some(&body),
        Duration::from_secs(30),
    )?;
    let took = started.elapsed();
    if response.status != 200 {
        bail!(
            "login as {email} answered {}: {}",
            response.status,
            response.body
        );
    }
    let json: serde_json::Value = serde_json::from_str(&response.body)?;
    let token = json["data"]["accessToken"]
        .as_str()
        .ok_or_else(|| anyhow!("no data.accessToken in {}", response.body))?;
    Ok((token.to_owned(), took))
}

fn scenarios(
    ctx: &Ctx,
    server: &Background,
    port: u16,
    url: &str,
    options: &Options,
    work: &Path,
) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    let duration = options.duration;
    let plain = |name, path, connections| Load {
        name,
        script: include_str!("bench/plain.lua"),
        path,
        connections,
        threads: 2,
        timeout_secs: 2,
        env: Vec::new(),
    };

    // Unloaded /ping first: the reference for "ping under logins".
    let ping = plain("GET /ping", "/ping", 64);
    rows.push(measure(ctx, server, port, &ping, duration, true, "")?);
    rows.push(measure(
        ctx,
        server,
        port,
        &plain("GET /health", "/health", 64),
        duration,
        true,
        "",
    )?);

    let (token, _) = login(port, "bench_template@bench.equoria.test")?;
    let horse = Load {
        name: "GET /api/horses/{id} (auth)",
        script: include_str!("bench/horse.lua"),
        path: "/",
        connections: 64,
        threads: 2,
        timeout_secs: 2,
        env: vec![
            ("BENCH_TOKEN", token),
            ("BENCH_HORSE_MIN", (HORSE_BASE + 1).to_string()),
            ("BENCH_HORSE_MAX", (HORSE_BASE + HORSES).to_string()),
        ],
    };
    rows.push(measure(ctx, server, port, &horse, duration, true, "")?);

    let board = Load {
        name: "GET /api/leaderboards/horses/wins",
        script: include_str!("bench/leaderboard.lua"),
        path: "/",
        connections: 64,
        threads: 2,
        timeout_secs: 2,
        env: Vec::new(),
    };
    rows.push(measure(ctx, server, port, &board, duration, true, "")?);

    // The bcrypt ceiling: sequential logins, one at a time.
    let mut times = Vec::new();
    for n in 1..=SEQUENTIAL_LOGINS {
        let (_, took) = login(port, &format!("player{n}@bench.equoria.test"))?;
        times.push(took.as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let per_hash = times[times.len() / 2];
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    let ceiling = cores as f64 / per_hash;
    say!(
        "one login at a time: median {:.0} ms over {SEQUENTIAL_LOGINS} (bcrypt cost 12): \
         ceiling {cores} cores / {:.3} s = {ceiling:.1} logins/s",
        per_hash * 1000.0,
        per_hash
    );

    // Logins under load together with /ping.
    let token_dir = work.join("tokens");
    let _ = fs::remove_dir_all(&token_dir);
    fs::create_dir_all(&token_dir)?;
    let logins = Load {
        name: "POST /api/auth/login",
        script: include_str!("bench/login.lua"),
        path: "/",
        connections: 2 * cores + 2,
        threads: 1,
        timeout_secs: 10,
        env: vec![
            ("BENCH_FIRST_PLAYER", "1".to_owned()),
            ("BENCH_PLAYERS", COSTLY_PLAYERS.to_string()),
            ("BENCH_PASSWORD", PASSWORD.to_owned()),
            ("BENCH_TOKEN_DIR", token_dir.display().to_string()),
        ],
    };
    let ping_beside = Load {
        name: "GET /ping (during logins)",
        ..ping.clone()
    };
    let both = measure_together(ctx, server, port, &[&logins, &ping_beside], duration)?;
    let unloaded_ping = rows[0].measured.rate();
    let mut both = both.into_iter();
    if let (Some(mut login_row), Some(mut ping_row)) = (both.next(), both.next()) {
        let rate = login_row.measured.c2xx as f64 / login_row.measured.seconds.max(0.001);
        login_row.note = format!(
            "{rate:.1} logins/s = {:.0} % of the bcrypt ceiling {ceiling:.1}/s ({:.0} ms/hash)",
            100.0 * rate / ceiling,
            per_hash * 1000.0
        );
        ping_row.note = format!(
            "{:.0} % of unloaded /ping",
            100.0 * ping_row.measured.rate() / unloaded_ping.max(1.0)
        );
        rows.push(login_row);
        rows.push(ping_row);
    }

    // The user flow at 500 connections. Step 1: the flow players (cheap hashes) log in, each
    // once in turn; the tokens are kept for the next steps. Measured, but not against the p99
    // target, which is for the steps after the login.
    let flow_token_dir = work.join("flow-tokens");
    let _ = fs::remove_dir_all(&flow_token_dir);
    fs::create_dir_all(&flow_token_dir)?;
    let flow_threads = 2;
    let flow_logins = Load {
        name: "user flow, step 1: POST /api/auth/login (bcrypt cost 4)",
        script: include_str!("bench/login.lua"),
        path: "/",
        connections: FLOW_CONNECTIONS,
        threads: flow_threads,
        timeout_secs: 10,
        env: vec![
            ("BENCH_FIRST_PLAYER", (COSTLY_PLAYERS + 1).to_string()),
            ("BENCH_PLAYERS", (PLAYERS - COSTLY_PLAYERS).to_string()),
            ("BENCH_SEQUENTIAL", "1".to_owned()),
            ("BENCH_THREADS", flow_threads.to_string()),
            ("BENCH_PASSWORD", PASSWORD.to_owned()),
            ("BENCH_TOKEN_DIR", flow_token_dir.display().to_string()),
        ],
    };
    let mut login_row = measure(ctx, server, port, &flow_logins, duration, false, "")?;
    let tokens = merge_tokens(&flow_token_dir)?;
    if tokens.1 < flow_threads {
        bail!("the flow players' logins obtained only {} tokens", tokens.1);
    }
    login_row.note = format!("tokens for {} distinct players", tokens.1);
    rows.push(login_row);
    let note = format!("{} logged-in players, 10 horses each", tokens.1);
    for (think_ms, name) in FLOW_PACES {
        // Each run starts with every horse off cooldown, so its trains are real trainings.
        let sql = "UPDATE horses SET training_cooldown_end = NULL \
                   WHERE training_cooldown_end IS NOT NULL";
        ctx.run(cmd!(
            ctx.sh,
            "psql -X -q -v ON_ERROR_STOP=1 -d {url} -c {sql}"
        ))?;
        let flow = Load {
            name,
            script: include_str!("bench/flow.lua"),
            path: "/",
            connections: FLOW_CONNECTIONS,
            threads: flow_threads,
            timeout_secs: 5,
            env: vec![
                ("BENCH_TOKENS_FILE", tokens.0.display().to_string()),
                ("BENCH_USER_BASE", USER_BASE.to_string()),
                ("BENCH_HORSE_BASE", HORSE_BASE.to_string()),
                ("BENCH_THREADS", flow_threads.to_string()),
                ("BENCH_THINK_MS", think_ms.to_string()),
            ],
        };
        rows.push(measure(ctx, server, port, &flow, duration, false, &note)?);
    }
    Ok(rows)
}

/// Joins the token files of the login scenario, one line per distinct player.
fn merge_tokens(dir: &Path) -> anyhow::Result<(PathBuf, usize)> {
    let mut by_user = BTreeMap::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "txt") {
            for line in fs::read_to_string(&path)?.lines() {
                if let Some((id, token)) = line.split_once(' ') {
                    by_user.insert(id.to_owned(), token.to_owned());
                }
            }
        }
    }
    let merged = dir.join("players.tokens");
    let text: String = by_user
        .iter()
        .map(|(id, token)| format!("{id} {token}\n"))
        .collect();
    fs::write(&merged, text)?;
    Ok((merged, by_user.len()))
}

fn measure(
    ctx: &Ctx,
    server: &Background,
    port: u16,
    load: &Load,
    seconds: u64,
    warm_up: bool,
    note: &str,
) -> anyhow::Result<Row> {
    if warm_up {
        say!("warming up: {} for {WARMUP_SECS} s", load.name);
        let child = spawn_wrk(ctx, port, load, WARMUP_SECS, false)?;
        child.wait_with_output()?;
    }
    let mut rows = measure_together(ctx, server, port, &[load], seconds)?;
    let mut row = rows.pop().ok_or_else(|| anyhow!("no measurement"))?;
    row.note = note.to_owned();
    Ok(row)
}

/// Runs the loads at the same time for `seconds`, sampling the server's RSS meanwhile.
fn measure_together(
    ctx: &Ctx,
    server: &Background,
    port: u16,
    loads: &[&Load],
    seconds: u64,
) -> anyhow::Result<Vec<Row>> {
    ctx.check_interrupted()?;
    let children = loads
        .iter()
        .map(|load| spawn_wrk(ctx, port, load, seconds, true))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let perf_data = ctx
        .target_dir
        .join(WORK_DIR)
        .join(format!("{}.perf.data", slug(loads[0].name)));
    let perf = if PROFILE.load(std::sync::atomic::Ordering::SeqCst) {
        let window = seconds.saturating_sub(1).max(1).to_string();
        Some(
            Command::new("perf")
                .args(["record", "-e", "cpu-clock", "-F", "499", "-a", "-g", "-o"])
                .arg(&perf_data)
                .args(["--", "sleep", &window])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .context("starting perf record (is perf installed?)")?,
        )
    } else {
        None
    };
    let pid = server.pid();
    let mut peak = 0;
    let deadline = Instant::now() + Duration::from_secs(seconds + 30);
    let mut outputs = Vec::new();
    let mut pending: Vec<Option<Child>> = children.into_iter().map(Some).collect();
    while outputs.len() < pending.len() {
        if let Some((rss, _)) = memory_kib(pid) {
            peak = peak.max(rss);
        }
        for slot in pending.iter_mut() {
            let done = match slot {
                Some(child) => child.try_wait()?.is_some(),
                None => false,
            };
            if done && let Some(child) = slot.take() {
                outputs.push(child.wait_with_output()?);
            }
        }
        if Instant::now() > deadline {
            bail!("wrk did not finish {} s after its duration", 30);
        }
        thread::sleep(Duration::from_millis(100));
    }
    if let Some(mut perf) = perf {
        perf.wait()?;
        print_profile(&perf_data, loads[0].name);
    }
    // `outputs` is in finishing order; match them back by the scenario name wrk printed.
    let mut rows = Vec::new();
    for load in loads {
        let tag = format!("BENCH_SCENARIO {}", load.name);
        let output = outputs
            .iter()
            .find(|output| String::from_utf8_lossy(&output.stdout).contains(&tag))
            .ok_or_else(|| anyhow!("no output of wrk for {}", load.name))?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let measured = parse_result(&stdout).with_context(|| {
            format!(
                "wrk for {} ({}): {}{}",
                load.name,
                output.status,
                stdout,
                String::from_utf8_lossy(&output.stderr)
            )
        })?;
        say!(
            "{}: {:.0} req/s, p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, {} socket errors, {} non-2xx",
            load.name,
            measured.rate(),
            measured.p50_ms,
            measured.p95_ms,
            measured.p99_ms,
            measured.socket_errors,
            measured.non_2xx
        );
        rows.push(Row {
            name: load.name.to_owned(),
            connections: load.connections,
            measured,
            peak_rss_kib: peak,
            note: String::new(),
        });
    }
    Ok(rows)
}

/// Where the CPU time went during a scenario: by process and object, then the top symbols.
#[allow(
    clippy::print_stdout,
    reason = "the profile is part of the task's output"
)]
fn print_profile(data: &Path, name: &str) {
    let report = |sort: &str, limit: &str| {
        Command::new("perf")
            .args([
                "report",
                "--stdio",
                "-g",
                "none",
                "--sort",
                sort,
                "--percent-limit",
                limit,
                "-i",
            ])
            .arg(data)
            .output()
            .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
            .unwrap_or_default()
    };
    let lines = |text: String, max: usize| {
        text.lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .take(max)
            .map(|line| format!("    {}", line.trim_end()))
            .collect::<Vec<_>>()
            .join("\n")
    };
    println!("profile of {name} (perf cpu-clock, all CPUs), by process and object:");
    println!("{}", lines(report("comm,dso", "2"), 14));
    println!("  top symbols:");
    println!("{}", lines(report("comm,sym", "1"), 20));
    if let Some(url) = PROFILE_DATABASE.get() {
        print_statements(url);
    }
}

/// The statements PostgreSQL spent its time on since the last call (pg_stat_statements), then
/// a reset for the next scenario.
#[allow(
    clippy::print_stdout,
    reason = "the profile is part of the task's output"
)]
fn print_statements(url: &str) {
    let sql = "SELECT round(100 * total_exec_time / sum(total_exec_time) OVER ())::int || ' %  ' \
               || calls || ' calls  ' || round((total_exec_time / calls)::numeric, 3) \
               || ' ms each  ' || left(regexp_replace(query, '\\s+', ' ', 'g'), 110) \
               FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database \
               WHERE datname = current_database()) ORDER BY total_exec_time DESC LIMIT 10";
    let top = Command::new("psql")
        .args(["-X", "-A", "-t", "-d", url, "-c", sql])
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
        .unwrap_or_default();
    println!("  PostgreSQL execution time by statement (pg_stat_statements, planning excluded):");
    for line in top.lines().filter(|line| !line.trim().is_empty()) {
        println!("    {line}");
    }
    let _ = Command::new("psql")
        .args([
            "-X",
            "-q",
            "-d",
            url,
            "-c",
            "SELECT pg_stat_statements_reset()",
        ])
        .output();
}

fn spawn_wrk(ctx: &Ctx, port: u16, load: &Load, seconds: u64, echo: bool) -> anyhow::Result<Child> {
    let dir = ctx.target_dir.join(WORK_DIR);
    let script = dir.join(format!("{}.lua", slug(load.name)));
    let text = format!(
        "{COMMON_LUA}\n{}\nio.write(\"BENCH_SCENARIO {}\\n\")\n",
        load.script, load.name
    );
    fs::write(&script, text).with_context(|| format!("writing {}", script.display()))?;
    let url = format!("http://127.0.0.1:{port}{}", load.path);
    let mut command = Command::new("wrk");
    command
        .arg(format!("-t{}", load.threads))
        .arg(format!("-c{}", load.connections))
        .arg(format!("-d{seconds}s"))
        .arg(format!("--timeout={}s", load.timeout_secs))
        .arg("-s")
        .arg(&script)
        .arg(&url)
        .envs(load.env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if echo {
        eprintln!(
            "$ wrk -t{} -c{} -d{seconds}s --timeout={}s -s {} {url}   # {}",
            load.threads,
            load.connections,
            load.timeout_secs,
            ctx.show(&script),
            load.name
        );
    }
    command.spawn().context("starting wrk")
}

fn slug(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

fn parse_result(stdout: &str) -> anyhow::Result<Measured> {
    let line = stdout
        .lines()
        .find_map(|line| line.strip_prefix("BENCH_RESULT "))
        .ok_or_else(|| anyhow!("no BENCH_RESULT line"))?;
    let json: serde_json::Value = serde_json::from_str(line)?;
    let n = |key: &str| json[key].as_u64().unwrap_or(0);
    let ms = |key: &str| n(key) as f64 / 1000.0;
    Ok(Measured {
        requests: n("requests"),
        seconds: n("duration_us") as f64 / 1e6,
        p50_ms: ms("p50_us"),
        p95_ms: ms("p95_us"),
        p99_ms: ms("p99_us"),
        max_ms: ms("max_us"),
        socket_errors: n("connect") + n("read") + n("write") + n("timeout"),
        non_2xx: n("status"),
        c2xx: n("c2xx"),
        c422: n("c422"),
        c4xx: n("c4xx"),
        c5xx: n("c5xx"),
    })
}

/// (VmRSS, VmHWM) of `pid` in KiB.
pub fn memory_kib(pid: u32) -> Option<(u64, u64)> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// `pgbench -S -M prepared` with as many clients as the pool has connections.
fn pgbench_ceiling(ctx: &Ctx, database: &db::Database, options: &Options) -> anyhow::Result<f64> {
    let sh = &ctx.sh;
    let Some(cluster) = &database.cluster else {
        bail!("pgbench needs the benchmark's own cluster");
    };
    cluster.ensure_database(PGBENCH_DATABASE)?;
    let url = cluster.url(PGBENCH_DATABASE);
    say!("database ceiling: pgbench -S (primary-key SELECTs, prepared) on a scratch database");
    ctx.run(cmd!(sh, "pgbench -i -q -s 10 {url}"))?;
    let clients = options.pool.to_string();
    let seconds = options.duration.to_string();
    eprintln!("$ pgbench -S -M prepared -c {clients} -j 2 -T {seconds} {url}");
    let output = Command::new("pgbench")
        .args([
            "-S", "-M", "prepared", "-c", &clients, "-j", "2", "-T", &seconds, &url,
        ])
        .output()
        .context("running pgbench")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let tps = stdout
        .lines()
        .find_map(|line| {
            line.strip_prefix("tps = ")
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse::<f64>().ok())
        })
        .ok_or_else(|| anyhow!("no `tps = ` in pgbench's output: {stdout}"))?;
    say!("pgbench -S -M prepared -c {clients} -j 2: {tps:.0} tps");
    Ok(tps)
}

#[allow(
    clippy::print_stdout,
    reason = "the table is the task's output, made to be pasted"
)]
fn report(rows: &[Row], pgbench_tps: &f64, server: &Background) {
    let hwm = memory_kib(server.pid()).map_or(0, |(_, hwm)| hwm);
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    let load = fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!();
    println!(
        "## cargo xtask bench: {cores} cores shared by wrk, the server and PostgreSQL; \
         load average before the summary: {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!();
    println!(
        "| scenario | conns | req/s | p50 ms | p95 ms | p99 ms | max ms | socket errors | non-2xx | peak RSS MiB | notes |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for row in rows {
        let m = &row.measured;
        let mut note = row.note.clone();
        if m.c2xx + m.c422 + m.c4xx + m.c5xx > 0 {
            note = format!(
                "{note}{}2xx {}, 422 {}, other 4xx {}, 5xx {}",
                if note.is_empty() { "" } else { "; " },
                m.c2xx,
                m.c422,
                m.c4xx,
                m.c5xx
            );
        }
        println!(
            "| {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.1} | {} | {} | {:.1} | {} |",
            row.name,
            row.connections,
            m.rate(),
            m.p50_ms,
            m.p95_ms,
            m.p99_ms,
            m.max_ms,
            m.socket_errors,
            m.non_2xx,
            row.peak_rss_kib as f64 / 1024.0,
            note
        );
    }
    println!();
    let horse = rows
        .iter()
        .find(|row| row.name.starts_with("GET /api/horses/"))
        .map_or(0.0, |row| row.measured.rate());
    println!(
        "database ceiling (pgbench -S -M prepared, same clients as the pool): {pgbench_tps:.0} tps; \
         GET /api/horses/{{id}} reached {:.0} % of it",
        100.0 * horse / pgbench_tps.max(1.0)
    );
    println!(
        "server peak RSS over the whole run (VmHWM): {:.1} MiB",
        hwm as f64 / 1024.0
    );
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn the_result_line_of_common_lua_is_parsed() {
        let out = "Running 1s test\nBENCH_RESULT {\"requests\":2000,\"duration_us\":2000000,\
                   \"p50_us\":500,\"p95_us\":900,\"p99_us\":1500,\"max_us\":9000,\"connect\":1,\
                   \"read\":2,\"write\":0,\"timeout\":3,\"status\":4,\"c2xx\":0,\"c422\":0,\
                   \"c4xx\":0,\"c5xx\":4}\n";

        let measured = parse_result(out).unwrap();

        assert_eq!(measured.rate(), 1000.0);
        assert_eq!(measured.p99_ms, 1.5);
        assert_eq!(measured.socket_errors, 6);
        assert_eq!(measured.non_2xx, 4);
        assert_eq!(measured.c5xx, 4);
    }

    #[test]
    fn memory_of_this_process_is_read() {
        let (rss, hwm) = memory_kib(std::process::id()).unwrap();
        assert!(rss > 0 && hwm >= rss);
    }
}
