//! `equoria serve`: builds the pool and the app, binds, and shuts down
//! gracefully on SIGTERM or SIGINT.

use std::sync::Arc;

use actix_web::HttpServer;
use anyhow::Context;
use equoria_application::clock::SystemClock;
use equoria_application::idempotency::Idempotency;
use equoria_application::random::SeededRandomness;
use equoria_application::shows::scheduler::{DEFAULT_SCHEDULER_INTERVAL, run_scheduler};
use equoria_http::security::jwt::Jwt;
use equoria_http::security::password::Bcrypt;
use equoria_http::security::password_work::PasswordWork;
use equoria_http::security::rate_limit::{ClientIp, RateLimits, limiter};
use equoria_http::{AppState, HttpSettings};
use equoria_persistence::DbPool;
use equoria_persistence::{PoolSettings, build_pool};
use secrecy::ExposeSecret;

use crate::config::{Config, Loaded};
use crate::logging;

/// Serves until a termination signal, then drains (SHUTDOWN_DRAIN_SECS,
/// `/health` 503), stops accepting connections, lets in-flight requests
/// finish (up to SHUTDOWN_TIMEOUT_SECS), closes the pool and returns (exit 0).
pub(crate) fn run(loaded: Loaded) -> anyhow::Result<()> {
    let Loaded { config, warnings } = loaded;
    logging::init(&config);
    for warning in &warnings {
        tracing::warn!("{warning}");
    }
    actix_web::rt::System::new().block_on(serve(config))
}

async fn serve(config: Config) -> anyhow::Result<()> {
    if config.monitoring_enabled {
        equoria_http::metrics::install()
            .map_err(anyhow::Error::msg)
            .context("installing the metrics recorder")?;
    }
    let pool = build_pool(&pool_settings(&config)).context("building the database pool")?;
    let state = app_state(&config, &pool)?;
    let housekeeping = actix_web::rt::spawn(housekeeping(
        state.limits.clone(),
        state.idempotency.clone(),
    ));
    // Runs shows whose runs_at has passed. Every replica runs one; each show is claimed in its
    // run transaction, so exactly one replica runs it.
    let (stop_scheduler, scheduler_stop) = tokio::sync::oneshot::channel::<()>();
    let scheduler = actix_web::rt::spawn(run_scheduler(
        state.shows.as_ref().clone(),
        SHOW_SCHEDULER_INTERVAL,
        async move {
            let _ = scheduler_stop.await;
        },
    ));

    let metrics_server = match config.metrics_addr {
        Some(addr) => Some(metrics_listener(addr, &state)?),
        None => None,
    };
    let lifecycle = state.clone();
    let server = HttpServer::new(move || equoria_http::build(state.clone()))
        .shutdown_timeout(config.shutdown_timeout.as_secs())
        // Slow clients: the request head must arrive within this bound (the
        // body's own bound is the body deadline middleware), an idle
        // keep-alive connection is closed, and a closing client gets this
        // long to acknowledge.
        .client_request_timeout(config.client_request_timeout)
        .client_disconnect_timeout(config.client_disconnect_timeout)
        .keep_alive(config.keep_alive)
        .disable_signals()
        .bind((config.host.as_str(), config.port))
        .with_context(|| format!("binding {}:{}", config.host, config.port))?;
    for addr in server.addrs() {
        tracing::info!(
            address = %addr,
            environment = config.environment.as_str(),
            version = equoria_http::routes::ops::VERSION,
            "equoria listening"
        );
    }
    let server = server.run();
    let stopper = actix_web::rt::spawn(stop_on_signal(
        server.handle(),
        lifecycle,
        config.shutdown_drain,
    ));
    let metrics_handle = metrics_server.as_ref().map(actix_web::dev::Server::handle);
    let metrics_task = metrics_server.map(actix_web::rt::spawn);
    server.await.context("running the HTTP server")?;
    // Metrics stay scrapeable through the drain; they stop with the server.
    if let Some(handle) = metrics_handle {
        handle.stop(false).await;
    }
    if let Some(task) = metrics_task {
        let _ = task.await;
    }
    stopper.abort();
    housekeeping.abort();
    // Let a show run in progress commit (or roll back) before the pool closes.
    let _ = stop_scheduler.send(());
    if tokio::time::timeout(config.shutdown_timeout, scheduler)
        .await
        .is_err()
    {
        tracing::warn!("show scheduler did not stop in time; its transaction is rolled back");
    }
    pool.close();
    tracing::info!("equoria stopped");
    Ok(())
}

/// Time between two passes of the show scheduler (see
/// `equoria_application::shows::scheduler`): a show runs at most this long after its `runs_at`.
pub(crate) const SHOW_SCHEDULER_INTERVAL: std::time::Duration = DEFAULT_SCHEDULER_INTERVAL;

/// How long the server keeps serving the connections it has already accepted
/// after it stops accepting new ones, before the graceful stop begins.
///
/// actix's graceful stop closes at once every connection whose first request
/// has not been read yet, and drops connections the accept thread has handed
/// to a worker that has not picked them up: both were accepted, neither gets
/// an answer. Pausing the accept loop first and waiting this long lets those
/// connections deliver their request, which then counts as in flight and is
/// answered. Connections still in the kernel's listen backlog at the pause are
/// never accepted: they are reset when the listener closes, and the client
/// sees a refused or reset connection it can retry elsewhere.
pub(crate) const ACCEPT_QUIESCE: std::time::Duration = std::time::Duration::from_millis(250);

/// The listener of METRICS_ADDR: `/metrics` only, one worker, sharing the
/// process-wide registry and the pool figures of `state`.
fn metrics_listener(
    addr: std::net::SocketAddr,
    state: &AppState,
) -> anyhow::Result<actix_web::dev::Server> {
    let state = state.clone();
    let server = HttpServer::new(move || equoria_http::metrics::app(state.clone()))
        .workers(1)
        .shutdown_timeout(1)
        .disable_signals()
        .bind(addr)
        .with_context(|| format!("binding METRICS_ADDR {addr}"))?;
    for addr in server.addrs() {
        tracing::info!(address = %addr, "metrics listening (GET /metrics)");
    }
    Ok(server.run())
}

/// On the first SIGTERM or SIGINT: report draining on `/health` at once
/// while serving everything as before for `drain` (SHUTDOWN_DRAIN_SECS), so
/// load balancers stop routing here before the listener closes; then stop
/// accepting, let the accepted connections deliver their requests
/// ([`ACCEPT_QUIESCE`]), and stop gracefully (in-flight requests finish
/// within SHUTDOWN_TIMEOUT_SECS).
async fn stop_on_signal(
    server: actix_web::dev::ServerHandle,
    state: AppState,
    drain: std::time::Duration,
) {
    termination_signal().await;
    state.start_draining();
    if !drain.is_zero() {
        tracing::info!(
            seconds = drain.as_secs(),
            "draining: /health answers 503 while requests are still served"
        );
        tokio::time::sleep(drain).await;
    }
    server.pause().await;
    tokio::time::sleep(ACCEPT_QUIESCE).await;
    server.stop(true).await;
}

/// Resolves on the first SIGTERM or SIGINT.
async fn termination_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot install signal handlers; falling back to Ctrl-C only");
        let _ = tokio::signal::ctrl_c().await;
        return;
    };
    let name = tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    };
    tracing::info!(signal = name, "shutting down: draining in-flight requests");
}

pub(crate) fn pool_settings(config: &Config) -> PoolSettings {
    let mut settings = PoolSettings::new(config.database_url.clone());
    settings.max_size = config.database_pool_max;
    settings.wait_timeout = config.database_pool_timeout;
    settings.create_timeout = config
        .database_pool_timeout
        .min(std::time::Duration::from_secs(5));
    settings
}

fn http_settings(config: &Config) -> HttpSettings {
    HttpSettings {
        environment: config.environment.as_str().to_owned(),
        hsts: config.environment.is_strict(),
        allowed_origins: config.allowed_origins.clone(),
        max_body_bytes: equoria_http::settings::DEFAULT_MAX_BODY_BYTES,
        health_timeout: std::time::Duration::from_secs(2),
        // With METRICS_ADDR, /metrics lives on its own listener only.
        monitoring_enabled: config.monitoring_enabled && config.metrics_addr.is_none(),
        body_timeout: config.client_body_timeout,
        api_docs_enabled: config.api_docs_enabled,
        public_cache_ttl: config.public_cache_ttl,
    }
}

/// Wires the adapters to the ports: the system clock, randomness seeded
/// from the operating system. Everything here is built once and shared by
/// all workers (the rate limiters above all: one set of buckets).
pub(crate) fn app_state(config: &Config, pool: &DbPool) -> anyhow::Result<AppState> {
    let hasher = Bcrypt::new(config.bcrypt_salt_rounds)
        .map_err(anyhow::Error::msg)?
        .rehash_on_login(config.bcrypt_rehash_on_login);
    let tokens = Jwt::new(
        config.jwt_secret.expose_secret().as_bytes(),
        config.jwt_refresh_secret.expose_secret().as_bytes(),
    );
    let client_ip = ClientIp::new(config.trusted_proxies.clone());
    let limits = RateLimits {
        general: limiter(
            config.rate_limit_window,
            config.rate_limit_max_requests,
            client_ip.clone(),
        )
        .map_err(anyhow::Error::msg)?,
        auth: limiter(
            config.rate_limit_window,
            config.auth_rate_limit_max,
            client_ip,
        )
        .map_err(anyhow::Error::msg)?,
        password_work: PasswordWork::new(config.bcrypt_max_concurrent, config.bcrypt_queue_timeout),
    };
    Ok(AppState::wire(
        http_settings(config),
        pool.clone(),
        Arc::new(hasher),
        Arc::new(tokens),
        Arc::new(SystemClock),
        Arc::new(SeededRandomness::from_os()?),
        limits,
    ))
}

/// Periodic chores: drain metric histogram buffers every 5 s (so memory
/// stays flat without scrapes), drop rate-limit buckets of clients that
/// have gone quiet every minute, and delete expired idempotency keys every
/// 5 minutes (in its own task, so a slow database never delays the rest).
async fn housekeeping(limits: RateLimits, idempotency: Arc<Idempotency>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
    let mut ticks: u64 = 0;
    let mut purge: Option<actix_web::rt::task::JoinHandle<()>> = None;
    loop {
        tick.tick().await;
        equoria_http::metrics::upkeep();
        ticks += 1;
        if ticks.is_multiple_of(12) {
            limits.evict_idle();
        }
        if ticks.is_multiple_of(60) && purge.as_ref().is_none_or(|task| task.is_finished()) {
            purge = Some(actix_web::rt::spawn(purge_idempotency_keys(
                idempotency.clone(),
            )));
        }
    }
}

/// Deletes the idempotency keys past their lifetime (every replica does it; deleting rows
/// another replica already deleted is harmless).
async fn purge_idempotency_keys(idempotency: Arc<Idempotency>) {
    match idempotency.purge_expired().await {
        Ok(0) => {}
        Ok(deleted) => tracing::debug!(deleted, "expired idempotency keys deleted"),
        Err(err) => tracing::warn!(error = %err, "expired idempotency keys not deleted"),
    }
}
