//! The pool drill: every pool connection held by requests blocked on a table lock.

use std::thread;
use std::time::{Duration, Instant};

use xshell::cmd;

use super::bed::first_horse;
use super::{Bed, POOL_TIMEOUT, SLACK, Verdicts, register, stop_server};
use crate::process::ChildOutput;
use crate::progress::Progress;
use crate::{Ctx, http, say};

/// (b) Both pool connections held by requests blocked on a table lock.
pub(super) fn run(ctx: &Ctx, bed: &Bed, progress: &Progress) -> anyhow::Result<Verdicts> {
    let mut server = bed.start(ctx, "drill-pool", &[("DATABASE_POOL_MAX", "2")])?;
    let port = server.port();
    let (token, _) = register(port, "pool_reader")?;
    let horse = first_horse(port, &token)?;
    let path = format!("/api/horses/{horse}");
    let hold = Duration::from_secs(8);
    say!(
        "holding LOCK TABLE horses IN ACCESS EXCLUSIVE MODE for {} s from psql",
        hold.as_secs()
    );
    progress.phase(&format!(
        "table locked for {} s, requests blocking on it",
        hold.as_secs()
    ));
    let sh = &ctx.sh;
    let url = &bed.database.url;
    let sql = format!(
        "BEGIN; LOCK TABLE horses IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep({}); COMMIT;",
        hold.as_secs()
    );
    let mut locker = ctx.spawn(
        cmd!(sh, "psql -X -q -d {url} -c {sql}"),
        ChildOutput::ErrorsOnly,
        true,
    )?;
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
    progress.phase("waiting for the lock's release");
    let _ = locker.wait();
    let released = start.elapsed();
    let holders: Vec<(Option<u16>, Duration)> =
        holders.into_iter().filter_map(|h| h.join().ok()).collect();
    progress.phase("recovery");
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
