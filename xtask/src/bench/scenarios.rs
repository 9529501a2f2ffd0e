//! The scenarios, in order: unloaded reads, the bcrypt ceiling, logins under load beside
//! /ping, and the user flow at 500 connections at three paces.

use std::fs;
use std::thread;

use anyhow::bail;
use xshell::cmd;

use super::Bench;
use super::data::{
    COSTLY_PLAYERS, HORSE_BASE, HORSES, PASSWORD, PLAYERS, USER_BASE, login, merge_tokens,
};
use super::wrk::{Load, Row, measure, measure_together};
use crate::say;

/// Logins one at a time that give the bcrypt ceiling (their median).
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

/// The scenarios [`run`] measures, one progress step each: four reads, the bcrypt ceiling, the
/// logins beside /ping, the flow's logins, then its runs.
pub(super) const STEPS: u64 = 4 + 1 + 1 + 1 + FLOW_PACES.len() as u64;

/// Every scenario's row, in the table's order.
pub(super) fn run(bench: &Bench<'_>) -> anyhow::Result<Vec<Row>> {
    let mut rows = reads(bench)?;
    let (ceiling, per_hash) = bcrypt_ceiling(bench)?;
    logins_under_load(bench, &mut rows, ceiling, per_hash)?;
    user_flow(bench, &mut rows)?;
    Ok(rows)
}

/// A load of `plain.lua`: GET `path` on `connections` connections.
fn plain(name: &'static str, path: &'static str, connections: usize) -> Load {
    Load {
        name,
        script: include_str!("plain.lua"),
        path,
        connections,
        threads: 2,
        timeout_secs: 2,
        env: Vec::new(),
    }
}

/// /ping (first: the reference for "ping under logins"), /health, a horse, a leaderboard
/// without and with the cache.
fn reads(bench: &Bench<'_>) -> anyhow::Result<Vec<Row>> {
    let port = bench.server.port();
    let duration = bench.options.duration;
    let mut rows = Vec::new();
    rows.push(measure(
        bench,
        &plain("GET /ping", "/ping", 64),
        duration,
        true,
        "",
    )?);
    rows.push(measure(
        bench,
        &plain("GET /health", "/health", 64),
        duration,
        true,
        "",
    )?);

    let (token, _) = login(port, "bench_template@bench.equoria.test")?;
    let horse = Load {
        name: "GET /api/horses/{id} (auth)",
        script: include_str!("horse.lua"),
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
    rows.push(measure(bench, &horse, duration, true, "")?);

    rows.extend(leaderboard(bench)?);
    Ok(rows)
}

/// The wins board without the public cache (the second server), then with it.
fn leaderboard(bench: &Bench<'_>) -> anyhow::Result<[Row; 2]> {
    let duration = bench.options.duration;
    let board = |name| Load {
        name,
        script: include_str!("leaderboard.lua"),
        path: "/",
        connections: 64,
        threads: 2,
        timeout_secs: 2,
        env: Vec::new(),
    };
    let uncached = measure(
        &bench.on(bench.uncached),
        &board("GET /api/leaderboards/horses/wins, cache off"),
        duration,
        true,
        "PUBLIC_CACHE_TTL_MS=0",
    )?;
    let cached = measure(
        bench,
        &board("GET /api/leaderboards/horses/wins, cache on"),
        duration,
        true,
        "PUBLIC_CACHE_TTL_MS=2000",
    )?;
    Ok([uncached, cached])
}

/// Sequential logins, one at a time: the logins per second the cores allow, and the time of
/// one hash.
fn bcrypt_ceiling(bench: &Bench<'_>) -> anyhow::Result<(f64, f64)> {
    let port = bench.server.port();
    bench.step(
        "bcrypt ceiling",
        &format!("{SEQUENTIAL_LOGINS} logins one at a time"),
    );
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
    Ok((ceiling, per_hash))
}

/// Logins of the costly players under load together with /ping.
fn logins_under_load(
    bench: &Bench<'_>,
    rows: &mut Vec<Row>,
    ceiling: f64,
    per_hash: f64,
) -> anyhow::Result<()> {
    let duration = bench.options.duration;
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    let token_dir = bench.work.join("tokens");
    let _ = fs::remove_dir_all(&token_dir);
    fs::create_dir_all(&token_dir)?;
    let logins = Load {
        name: "POST /api/auth/login",
        script: include_str!("login.lua"),
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
    let ping_beside = plain("GET /ping (during logins)", "/ping", 64);
    bench.step("POST /api/auth/login with GET /ping beside it", "");
    let both = measure_together(bench, &[&logins, &ping_beside], duration)?;
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
    Ok(())
}

/// The user flow at 500 connections. Step 1: the flow players (cheap hashes) log in, each
/// once in turn; the tokens are kept for the next steps. Measured, but not against the p99
/// target, which is for the steps after the login.
fn user_flow(bench: &Bench<'_>, rows: &mut Vec<Row>) -> anyhow::Result<()> {
    let duration = bench.options.duration;
    let sh = &bench.ctx.sh;
    let url = &bench.url;
    let flow_token_dir = bench.work.join("flow-tokens");
    let _ = fs::remove_dir_all(&flow_token_dir);
    fs::create_dir_all(&flow_token_dir)?;
    let flow_threads = 2;
    let flow_logins = Load {
        name: "user flow, step 1: POST /api/auth/login (bcrypt cost 4)",
        script: include_str!("login.lua"),
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
    let mut login_row = measure(bench, &flow_logins, duration, false, "")?;
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
        bench
            .ctx
            .run(cmd!(sh, "psql -X -q -v ON_ERROR_STOP=1 -d {url} -c {sql}"))?;
        let flow = Load {
            name,
            script: include_str!("flow.lua"),
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
        rows.push(measure(bench, &flow, duration, false, &note)?);
    }
    Ok(())
}
