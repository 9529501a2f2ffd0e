//! The load that runs through nginx for the whole drill: CLIENTS keep-alive clients counting
//! every request by phase, and the per-phase table.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::bail;

use super::{PHASES, Ports, REQUEST_TIMEOUT};
use crate::http::Client;
use crate::say;

/// The load never runs longer than this, whatever happens to the steps.
const LOAD_LIMIT: Duration = Duration::from_secs(180);
/// Keep-alive clients, each on its own thread.
const CLIENTS: usize = 2;
/// Each client's pause between an answer and its next request.
const PAUSE: Duration = Duration::from_millis(10);
/// Which upstream answered: the drill's nginx adds it to every response.
const UPSTREAM_HEADER: &str = "x-drill-upstream";

/// Per-phase figures of the load.
#[derive(Debug, Default, Clone)]
pub(super) struct PhaseStats {
    sent: u64,
    failed: u64,
    /// Reused keep-alive connections closed before any response byte, retried on a new one.
    stale_retries: u64,
    pub(super) by_upstream: BTreeMap<String, u64>,
    errors: Vec<String>,
    started: Option<Instant>,
    ended: Option<Instant>,
}

#[derive(Debug)]
struct Shared {
    phase: AtomicUsize,
    stop: AtomicBool,
    stats: Mutex<Vec<PhaseStats>>,
}

/// The load: CLIENTS threads, each one keep-alive connection to nginx, cycling through
/// GET /api, GET /health and an authenticated GET /api/auth/me until stopped (or LOAD_LIMIT).
#[derive(Debug)]
pub(super) struct Load {
    shared: Arc<Shared>,
    workers: Vec<thread::JoinHandle<()>>,
}

impl Load {
    pub(super) fn start(port: u16, token: String) -> Load {
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

    pub(super) fn phase(&self, index: usize) {
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
    pub(super) fn alive(&self) -> anyhow::Result<()> {
        if self.workers.iter().any(thread::JoinHandle::is_finished) {
            bail!(
                "the load stopped before the drill ended (limit {} s)",
                LOAD_LIMIT.as_secs()
            );
        }
        Ok(())
    }

    pub(super) fn finish(self) -> Vec<PhaseStats> {
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
    let mut client = Client::new(port, REQUEST_TIMEOUT);
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
            Ok(response) => {
                let upstream = response.header(UPSTREAM_HEADER).unwrap_or("-");
                *stats.by_upstream.entry(upstream.to_owned()).or_default() += 1;
                let status = response.status;
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

/// Prints the per-phase table; returns the number of failed requests.
pub(super) fn print_report(stats: &[PhaseStats], ports: &Ports, total: Duration) -> u64 {
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
