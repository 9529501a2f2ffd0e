//! Background request loops that record every request's outcome and time.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::http;

#[derive(Debug, Clone)]
pub(super) struct Sample {
    pub(super) kind: &'static str,
    /// Seconds since the drill's start when it was sent, and how long it took.
    pub(super) sent: f64,
    pub(super) took: f64,
    pub(super) status: Option<u16>,
    /// Transport error (None when a status came back); `refused` when the connect failed.
    pub(super) error: Option<String>,
    pub(super) refused: bool,
    pub(super) detail: String,
}

impl Sample {
    pub(super) fn done(&self) -> f64 {
        self.sent + self.took
    }
    pub(super) fn ok(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Background request loops that record every outcome until stopped.
pub(super) struct Recorder {
    start: Instant,
    /// Numbers the requests of every loop of this recorder (`make`'s argument).
    counter: Arc<AtomicU64>,
    samples: Arc<Mutex<Vec<Sample>>>,
    stop: Arc<AtomicBool>,
    workers: Vec<thread::JoinHandle<()>>,
}

/// What a recorder loop sends: (method, path, headers, JSON body, detail to remember).
pub(super) type Planned = (
    &'static str,
    String,
    Vec<(String, String)>,
    Option<String>,
    String,
);

pub(super) type MakeRequest = dyn Fn(u64) -> Planned + Send + Sync;

impl Recorder {
    pub(super) fn new() -> Recorder {
        Recorder {
            start: Instant::now(),
            counter: Arc::new(AtomicU64::new(0)),
            samples: Arc::new(Mutex::new(Vec::new())),
            stop: Arc::new(AtomicBool::new(false)),
            workers: Vec::new(),
        }
    }

    pub(super) fn now(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    /// Loops `make(n)` -> (method, path, headers, body, detail) every `pause`, as `kind`.
    pub(super) fn spawn(
        &mut self,
        kind: &'static str,
        port: u16,
        pause: Duration,
        make: Arc<MakeRequest>,
    ) {
        let counter = Arc::clone(&self.counter);
        let samples = Arc::clone(&self.samples);
        let stop = Arc::clone(&self.stop);
        let start = self.start;
        self.workers.push(thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let n = counter.fetch_add(1, Ordering::SeqCst);
                let (method, path, headers, body, detail) = make(n);
                let headers: Vec<(&str, &str)> = headers
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                let sent = start.elapsed().as_secs_f64();
                let result = http::request(
                    port,
                    method,
                    &path,
                    &headers,
                    body.as_deref(),
                    Duration::from_secs(10),
                );
                let took = start.elapsed().as_secs_f64() - sent;
                let sample = match result {
                    Ok(response) => Sample {
                        kind,
                        sent,
                        took,
                        status: Some(response.status),
                        error: None,
                        refused: false,
                        detail,
                    },
                    Err(error) => {
                        let text = format!("{error:#}");
                        Sample {
                            kind,
                            sent,
                            took,
                            status: None,
                            refused: text.starts_with("connecting to"),
                            error: Some(text),
                            detail,
                        }
                    }
                };
                samples
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(sample);
                thread::sleep(pause);
            }
        }));
    }

    pub(super) fn finish(self) -> Vec<Sample> {
        self.stop.store(true, Ordering::SeqCst);
        for worker in self.workers {
            let _ = worker.join();
        }
        self.samples
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

pub(super) fn get(path: String, token: Option<&str>) -> Planned {
    let headers = token
        .map(|t| vec![("Authorization".to_owned(), format!("Bearer {t}"))])
        .unwrap_or_default();
    ("GET", path, headers, None, String::new())
}

pub(super) fn max_took(samples: &[&Sample]) -> f64 {
    samples.iter().map(|s| s.took).fold(0.0, f64::max)
}

pub(super) fn statuses(samples: &[&Sample]) -> String {
    let mut counts = std::collections::BTreeMap::new();
    for s in samples {
        let key = match (s.status, s.refused) {
            (Some(status), _) => status.to_string(),
            (None, true) => "refused".to_owned(),
            (None, false) => "transport error".to_owned(),
        };
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}
