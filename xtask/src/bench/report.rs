//! The database's own ceiling (`pgbench -S`) and the final table, made to be pasted.

use std::fs;
use std::thread;

use anyhow::{anyhow, bail};
use xshell::cmd;

use super::Bench;
use super::wrk::{Row, memory_kib};
use crate::server::Server;
use crate::{db, say};

const PGBENCH_DATABASE: &str = "pgbench_scratch";

/// `pgbench -S -M prepared` with as many clients as the pool has connections.
pub(super) fn pgbench_ceiling(bench: &Bench<'_>, database: &db::Database) -> anyhow::Result<f64> {
    let (ctx, options) = (bench.ctx, bench.options);
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
    bench.phase(&format!("measuring {seconds} s"));
    let output = ctx.output(cmd!(
        sh,
        "pgbench -S -M prepared -c {clients} -j 2 -T {seconds} {url}"
    ))?;
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

#[expect(
    clippy::print_stdout,
    reason = "the table is the task's output, made to be pasted"
)]
pub(super) fn print(rows: &[Row], pgbench_tps: f64, server: &Server) {
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
