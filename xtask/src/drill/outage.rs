//! The outage drill: the database stops for 10 s under a light load, then comes back.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use anyhow::bail;

use super::recorder::{Recorder, Sample, get, max_took, statuses};
use super::{Bed, PASSWORD, POOL_TIMEOUT, SLACK, Verdicts, register, stop_server};
use crate::progress::Progress;
use crate::{Ctx, say};

const OUTAGE: Duration = Duration::from_secs(10);

/// (a) The database stops for 10 s under a light load, then comes back.
pub(super) fn run(ctx: &Ctx, bed: &Bed, progress: &Progress) -> anyhow::Result<Verdicts> {
    let mut server = bed.start(ctx, "drill-outage", &[])?;
    let port = server.port();
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
    progress.phase("light load, 3 s before the outage");
    thread::sleep(Duration::from_secs(3));
    let cluster = bed.cluster()?;
    progress.phase("stopping PostgreSQL");
    let stop_sent = recorder.now();
    say!(
        "stopping PostgreSQL (pg_ctl stop -m fast) for {} s",
        OUTAGE.as_secs()
    );
    let stop = cluster.pg_ctl(["stop", "-m", "fast", "-w"]);
    let (command, _dir) = ctx.adopt(&stop);
    let status = ctx.status(command)?;
    let stopped = recorder.now();
    if !status.success() {
        bail!("pg_ctl stop failed ({status})");
    }
    progress.phase(&format!("database down for {} s", OUTAGE.as_secs()));
    thread::sleep(OUTAGE);
    progress.phase("starting PostgreSQL again");
    let restart_sent = recorder.now();
    say!("starting PostgreSQL again (pg_ctl restart: the same options and port)");
    let mut restart = cluster.pg_ctl(["restart", "-w", "-t", "60", "-l"]);
    restart.arg(cluster.log_file());
    let (command, _dir) = ctx.adopt(&restart);
    let status = ctx.status(command.ignore_stdout())?;
    let restarted = recorder.now();
    if !status.success() {
        bail!("pg_ctl restart failed ({status})");
    }
    progress.phase("recovering, 8 s");
    thread::sleep(Duration::from_secs(8));
    progress.phase("checking the recorded requests");
    let samples = recorder.finish();
    let exited = server.exited()?;

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
        .collect::<BTreeSet<_>>();
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
            server.pid(),
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
        bed.psql(
            ctx,
            &format!("SELECT count(*) FROM users WHERE email IN ({list})"),
        )?
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
