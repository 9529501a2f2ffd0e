//! `cargo xtask bench`: the release server in its production configuration against a throwaway
//! PostgreSQL seeded with realistic volumes, loaded from wrk on 127.0.0.1, scenario by
//! scenario, each bounded in time; then the database's own ceiling (`pgbench -S`) and the
//! bcrypt ceiling, so the API's share of each can be read off.
//!
//! Everything shares this machine's cores: client, server and database. The figures are only
//! comparable with runs on the same kind of machine, and only when nothing else runs.
//!
//! Modules: the scenarios in `scenarios`, the data they run on in `data`, wrk and what it
//! measured in `wrk`, the `--profile` sampling in `profile`, the pgbench ceiling and the final
//! table in `report`. What they share is one [`Bench`] value, passed explicitly.

mod chart;
mod data;
mod profile;
mod report;
mod scenarios;
mod wrk;

use std::fs;
use std::path::PathBuf;

use anyhow::Context as _;
use xshell::cmd;

use crate::progress::Progress;
use crate::server::{self, Ready, Server, random_secret};
use crate::{Ctx, db, say};

const CLUSTER_DIR: &str = "equoria-bench-pg";
const DATABASE: &str = "equoria_bench";
const LOG_FILE: &str = "equoria-bench.log";
const UNCACHED_LOG_FILE: &str = "equoria-bench-uncached.log";
/// PUBLIC_CACHE_TTL_MS of the measured server (the default of production).
const CACHE_TTL_MS: &str = "2000";
const WORK_DIR: &str = "equoria-bench";
/// Limits far above what a run can send, so the limiter never answers for the server.
const UNLIMITED: &str = "1000000000";

/// `cargo xtask bench` options.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct Options {
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
    /// Also write the run's chart (throughput and p50/p99 latency per scenario, SVG) here,
    /// relative to the workspace root, e.g. `docs/images/bench.svg`; it is always written to
    /// target/bench/bench.svg.
    #[arg(long, value_name = "PATH")]
    pub chart: Option<PathBuf>,
}

/// What the steps of a run share: the task's context, the options, the running server and
/// where the benchmark keeps its files.
#[derive(Debug)]
struct Bench<'a> {
    ctx: &'a Ctx,
    options: &'a Options,
    server: &'a Server,
    /// The same server with the public cache off (PUBLIC_CACHE_TTL_MS=0), for the leaderboard
    /// scenario's comparison; idle otherwise.
    uncached: &'a Server,
    /// The benchmark database's URL.
    url: String,
    /// Scripts, token files and perf data, under the target dir.
    work: PathBuf,
    /// With `--profile`: the benchmark database, whose pg_stat_statements is read after each
    /// scenario.
    profile_database: Option<String>,
    /// Which scenario of how many is running, once the data is ready.
    progress: Option<Progress>,
}

impl Bench<'_> {
    /// Shows that the next scenario, `name`, begins with `phase`.
    fn step(&self, name: &str, phase: &str) {
        if let Some(progress) = &self.progress {
            progress.step(name, phase);
        }
    }

    /// Shows that the current scenario enters `phase`.
    fn phase(&self, phase: &str) {
        if let Some(progress) = &self.progress {
            progress.phase(phase);
        }
    }
}

/// `cargo xtask bench`.
pub(crate) fn run(ctx: &Ctx, options: &Options) -> anyhow::Result<()> {
    ensure_wrk(ctx)?;
    let bin = server::release_binary(ctx)?;
    let (database, seeded) = start_database(ctx, options)?;
    let work = ctx.target_dir.join(WORK_DIR);
    fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;

    let port = equoria_pg_cluster::free_port().context("picking a port for the server")?;
    let env = server_env(port, options.pool, CACHE_TTL_MS)?;
    say!(
        "server environment: NODE_ENV=production LOG_LEVEL=info (JSON logs) BCRYPT_SALT_ROUNDS=12 \
         BCRYPT_REHASH_ON_LOGIN=false PUBLIC_CACHE_TTL_MS={CACHE_TTL_MS} \
         DATABASE_POOL_MAX={} RATE_LIMIT_MAX_REQUESTS=AUTH_RATE_LIMIT_MAX={UNLIMITED} \
         (so the limiter never answers for the server) JWT secrets fresh random",
        options.pool
    );
    let server_cmd = |args: &[&str]| server::command(ctx, &bin, args, env.clone(), &database);
    ctx.run(server_cmd(&["migrate", "run"]))?;

    let log = ctx.target_dir.join(LOG_FILE);
    say!(
        "starting the server on 127.0.0.1:{port}; its JSON log goes to {}",
        ctx.show(&log)
    );
    let server = Server::start(
        ctx,
        "the server",
        server_cmd(&["serve"]),
        port,
        &log,
        Ready::Ok,
    )?;
    let uncached = start_uncached(ctx, &bin, options, &database)?;
    let bench = Bench {
        ctx,
        options,
        server: &server,
        uncached: &uncached,
        url: database.url.clone(),
        work,
        profile_database: None,
        progress: None,
    };
    let outcome = measure_all(bench, &database, seeded && options.keep_data);
    drop(uncached);
    drop(server);
    outcome.map_err(|error| server::with_log_tail(ctx, &log, &error))?;
    if let Some(cluster) = database.cluster {
        db::stop_cluster(ctx, cluster);
    }
    Ok(())
}

/// A second server like the measured one but with PUBLIC_CACHE_TTL_MS=0 (its log in
/// `equoria-bench-uncached.log`).
fn start_uncached(
    ctx: &Ctx,
    bin: &std::path::Path,
    options: &Options,
    database: &db::Database,
) -> anyhow::Result<Server> {
    let port = equoria_pg_cluster::free_port().context("picking a port for the server")?;
    let env = server_env(port, options.pool, "0")?;
    let log = ctx.target_dir.join(UNCACHED_LOG_FILE);
    say!(
        "starting the same server with PUBLIC_CACHE_TTL_MS=0 on 127.0.0.1:{port}; its log goes to {}",
        ctx.show(&log)
    );
    Server::start(
        ctx,
        "the server without cache",
        server::command(ctx, bin, &["serve"], env, database),
        port,
        &log,
        Ready::Ok,
    )
}

/// The benchmark cluster, durable as in production, and whether it already holds the seeded
/// database.
fn start_database(ctx: &Ctx, options: &Options) -> anyhow::Result<(db::Database, bool)> {
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
    Ok((db::database_in(cluster, DATABASE)?, seeded))
}

/// The production configuration of the server on 127.0.0.1:`port`, with limits out of the way
/// and the public cache's time to live `cache_ttl_ms`.
fn server_env(
    port: u16,
    pool: usize,
    cache_ttl_ms: &str,
) -> anyhow::Result<Vec<(&'static str, String)>> {
    Ok(vec![
        ("NODE_ENV", "production".to_owned()),
        ("HOST", "127.0.0.1".to_owned()),
        ("PORT", port.to_string()),
        ("LOG_LEVEL", "info".to_owned()),
        ("BCRYPT_SALT_ROUNDS", "12".to_owned()),
        // The flow players' cost-4 hashes must stay cheap for the whole run.
        ("BCRYPT_REHASH_ON_LOGIN", "false".to_owned()),
        ("JWT_SECRET", random_secret()?),
        ("JWT_REFRESH_SECRET", random_secret()?),
        ("ALLOWED_ORIGINS", "https://bench.equoria.test".to_owned()),
        ("DATABASE_POOL_MAX", pool.to_string()),
        ("RATE_LIMIT_MAX_REQUESTS", UNLIMITED.to_owned()),
        ("AUTH_RATE_LIMIT_MAX", UNLIMITED.to_owned()),
        ("PUBLIC_CACHE_TTL_MS", cache_ttl_ms.to_owned()),
    ])
}

impl<'a> Bench<'a> {
    /// The same bench aimed at `server`.
    fn on(&self, server: &'a Server) -> Bench<'a> {
        Bench {
            ctx: self.ctx,
            options: self.options,
            server,
            uncached: self.uncached,
            url: self.url.clone(),
            work: self.work.clone(),
            profile_database: self.profile_database.clone(),
            // The cache-off run is the first half of the wins board's progress step, which
            // the cache-on run on `self` reports.
            progress: None,
        }
    }
}

/// Data, scenarios, the pgbench ceiling, the table.
fn measure_all(mut bench: Bench<'_>, database: &db::Database, reuse: bool) -> anyhow::Result<()> {
    data::prepare(&bench, reuse)?;
    if bench.options.profile {
        let sh = &bench.ctx.sh;
        let sql = "CREATE EXTENSION IF NOT EXISTS pg_stat_statements";
        let url = &bench.url;
        bench
            .ctx
            .run(cmd!(sh, "psql -X -q -v ON_ERROR_STOP=1 -d {url} -c {sql}"))?;
        bench.profile_database = Some(bench.url.clone());
    }
    bench.progress = Some(Progress::steps("bench", scenarios::STEPS + 1));
    let rows = scenarios::run(&bench)?;
    bench.step("database ceiling (pgbench -S)", "initialising");
    let pgbench = report::pgbench_ceiling(&bench, database)?;
    if let Some(progress) = bench.progress.take() {
        progress.finish();
    }
    let title = chart_title(bench.ctx, bench.options);
    report::print(&rows, pgbench, bench.server);
    chart::write(bench.ctx, &rows, &title, bench.options.chart.as_deref())
}

/// When and where the run took place, for the chart: date, cores, load, duration.
fn chart_title(ctx: &Ctx, options: &Options) -> String {
    let sh = &ctx.sh;
    let date = ctx
        .output_quiet(cmd!(sh, "date -u +%Y-%m-%d"))
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let load = fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    format!(
        "cargo xtask bench, {date}: {cores} cores shared by wrk, the server and PostgreSQL \
         (load average {}), {} s per scenario",
        load.join(" "),
        options.duration
    )
}

/// Installs wrk from Debian when it is missing.
pub(crate) fn ensure_wrk(ctx: &Ctx) -> anyhow::Result<()> {
    crate::process::ensure_programs(ctx, &[("wrk", "wrk")])
}
