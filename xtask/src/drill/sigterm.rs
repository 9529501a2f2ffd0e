//! The SIGTERM drill: every request the server accepted before SIGTERM gets its answer.

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use super::bed::first_horse;
use super::recorder::{Recorder, Sample, get, statuses};
use super::{Bed, PASSWORD, Verdicts, register};
use crate::progress::Progress;
use crate::{Ctx, say};

/// (c) SIGTERM with requests in flight: every request the server accepted gets its answer.
pub(super) fn run(ctx: &Ctx, bed: &Bed, progress: &Progress) -> anyhow::Result<Verdicts> {
    let mut server = bed.start(ctx, "drill-sigterm", &[])?;
    let port = server.port();
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
    progress.phase("load, 3 s before SIGTERM");
    thread::sleep(Duration::from_secs(3));
    progress.phase("SIGTERM sent, waiting for the exit");
    let term_sent = recorder.now();
    say!(
        "sending SIGTERM to the server (pid {}) under load",
        server.pid()
    );
    server.terminate()?;
    let status = server.wait_for_exit(Duration::from_secs(20))?;
    let exited_at = recorder.now();
    thread::sleep(Duration::from_millis(500));
    progress.phase("checking the recorded requests");
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
