//! The connection pool: diesel-async connections managed by deadpool, with
//! every timeout set (deadpool has none by default) and per-connection
//! settings applied when a connection is opened.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use std::sync::Arc;

use diesel::sql_types::Text;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use futures_util::FutureExt;
use secrecy::{ExposeSecret, SecretString};

use crate::StoreError;
use crate::connect::Connector;
use crate::error::from_pool;

/// A pooled PostgreSQL connection.
pub(crate) type PooledConnection = Object<AsyncPgConnection>;

/// How to build the pool. The URL is a secret: it usually carries a password.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub url: SecretString,
    /// Upper bound of open connections.
    pub max_size: usize,
    /// How long a request waits for a free connection before it gets 503.
    pub wait_timeout: Duration,
    /// How long opening a new connection may take.
    pub create_timeout: Duration,
    /// `statement_timeout` set on every new connection: no query holds a
    /// connection longer than this.
    pub statement_timeout: Duration,
    /// `application_name` set on every new connection (visible in
    /// `pg_stat_activity`).
    pub application_name: String,
}

impl PoolSettings {
    /// Settings with the default pool sizing and timeouts (README, "Configuration") for everything
    /// but the URL.
    pub fn new(url: SecretString) -> Self {
        Self {
            url,
            max_size: 10,
            wait_timeout: Duration::from_secs(20),
            create_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(15),
            application_name: "equoria".to_owned(),
        }
    }
}

/// The pool plus what is needed to report on it.
#[derive(Clone)]
pub struct DbPool {
    pub(crate) pool: Pool<AsyncPgConnection>,
    /// The health check's own connection, used only while every pooled
    /// connection is busy (see `crate::health`). Opened on first need by
    /// the pool's manager (same URL and set-up as pooled connections), kept
    /// open, never counted in the pool: a process holds at most
    /// `max_size + 1` connections.
    pub(crate) health: crate::health::HealthConnection,
}

impl std::fmt::Debug for DbPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbPool")
            .field("status", &self.pool.status())
            .finish()
    }
}

/// The runtime that drives the sockets of every pooled connection.
///
/// tokio-postgres runs each connection from a task on the runtime that
/// opened it. actix gives every worker its own runtime, and on graceful
/// shutdown an idle worker stops at once: connections it had opened would
/// die while the other workers, still draining requests, check them out of
/// the shared pool. One process-wide thread owns them instead, for as long
/// as the process lives.
pub(crate) fn connection_runtime() -> Result<&'static tokio::runtime::Runtime, StoreError> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("equoria-db-io")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| StoreError::Other(format!("cannot start the database I/O runtime: {e}")))
}

/// Builds the pool. No connection is opened here: the service starts (and
/// `/ping` answers) even while the database is down, and `/health` reports it.
/// Connections use TLS as the URL's `sslmode` / `sslrootcert` ask (see
/// [`crate::connect`]); an invalid URL is refused here.
pub fn build_pool(settings: &PoolSettings) -> Result<DbPool, StoreError> {
    let connector = Arc::new(
        Connector::parse(settings.url.expose_secret())
            .map_err(|err| StoreError::Other(format!("invalid database URL: {err}")))?,
    );
    let statement_timeout_ms: Arc<str> = settings.statement_timeout.as_millis().to_string().into();
    let application_name: Arc<str> = settings.application_name.as_str().into();
    let mut config = ManagerConfig::default();
    // `Fast` skips the `SELECT 1` on every checkout (+70 % throughput on
    // primary-key reads here). A connection that broke while idle is
    // detected by `is_broken` on return and discarded; a query on it fails
    // with a connection error, which maps to 503.
    config.recycling_method = RecyclingMethod::Fast;
    let connections = connection_runtime()?.handle().clone();
    config.custom_setup = Box::new(move |_url| {
        let statement_timeout_ms = statement_timeout_ms.clone();
        let application_name = application_name.clone();
        let connector = connector.clone();
        let connections = connections.clone();
        async move {
            // Establishing on the connection runtime spawns the
            // connection's driver task there, not on the calling worker.
            let establish = async move {
                let mut conn = connector.connect().await?;
                apply_settings(&mut conn, &statement_timeout_ms, &application_name)
                    .await
                    .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(conn)
            };
            connections.spawn(establish).await.map_err(|e| {
                diesel::ConnectionError::BadConnection(format!("connection task failed: {e}"))
            })?
        }
        .boxed()
    });
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(
        settings.url.expose_secret(),
        config,
    );
    let pool = Pool::builder(manager)
        .max_size(settings.max_size)
        .wait_timeout(Some(settings.wait_timeout))
        .create_timeout(Some(settings.create_timeout))
        .recycle_timeout(Some(settings.create_timeout))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .map_err(|err| StoreError::Other(format!("cannot build the connection pool: {err}")))?;
    Ok(DbPool {
        pool,
        health: crate::health::HealthConnection::default(),
    })
}

/// Sets `statement_timeout` (milliseconds) and `application_name` for the connection's
/// session. The values are bound parameters: no SQL text is built from them.
async fn apply_settings(
    conn: &mut AsyncPgConnection,
    statement_timeout_ms: &str,
    application_name: &str,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "SELECT set_config('statement_timeout', $1, false), \
         set_config('application_name', $2, false)",
    )
    .bind::<Text, _>(statement_timeout_ms)
    .bind::<Text, _>(application_name)
    .execute(conn)
    .await
    .map(|_| ())
}

impl DbPool {
    /// Checks out a connection, waiting at most the configured wait timeout.
    pub async fn get(&self) -> Result<PooledConnection, StoreError> {
        let started = Instant::now();
        let result = self.pool.get().await;
        metrics::histogram!("db_pool_acquire_duration_seconds")
            .record(started.elapsed().as_secs_f64());
        result.map_err(from_pool)
    }

    pub fn status(&self) -> equoria_application::health::PoolStatus {
        let s = self.pool.status();
        equoria_application::health::PoolStatus {
            max_size: s.max_size,
            size: s.size,
            available: s.available,
            waiting: s.waiting,
        }
    }

    /// Stops handing out connections and closes idle ones (shutdown).
    pub fn close(&self) {
        self.pool.close();
    }
}
