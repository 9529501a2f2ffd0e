//! Opening PostgreSQL connections, in plaintext or over TLS (rustls), as libpq's `sslmode`
//! and `sslrootcert` in the database URL ask; every failure in an operator's words.
//!
//! | `sslmode` | TLS | certificate checked |
//! |---|---|---|
//! | `disable` | never | - |
//! | `prefer` (default) | when the server accepts it | only with `sslrootcert=FILE`: the chain |
//! | `require` | always | only with `sslrootcert=FILE`: the chain |
//! | `verify-ca` | always | chain to `sslrootcert`, else the system roots |
//! | `verify-full` | always | the chain, and the host name in the certificate |
//!
//! The pool ([`crate::pool`]) and the migrations ([`crate::migrations`]) connect through here
//! only. URL parsing lives in [`url`], the rustls side in `tls`.

mod tls;
pub mod url;

use diesel::ConnectionError;
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use tokio::sync::OnceCell;
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;

pub use self::tls::TlsFailure;
pub use self::url::{DatabaseUrl, RootCerts, SslMode, UrlError, Verification};

/// Why a connection could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("invalid database URL: {0}")]
    Url(#[from] UrlError),
    #[error("sslrootcert {path} cannot be read: {source}")]
    RootCertUnreadable {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("sslrootcert {path} cannot be used: {detail}")]
    RootCertInvalid { path: String, detail: String },
    #[error("cannot set up TLS: {0}")]
    TlsSetup(String),
    #[error("the server does not accept TLS but sslmode={0}")]
    TlsRefused(SslMode),
    #[error(
        "the server requires TLS (pg_hba.conf has no entry for connections without encryption) \
         but sslmode=disable; use sslmode=require, or verify-full with the server's CA"
    )]
    TlsRequired,
    #[error(transparent)]
    Tls(TlsFailure),
    #[error("the server refused the connection: {0}")]
    Refused(String),
    #[error("{0}")]
    Other(String),
    #[error("setting up the connection failed: {0}")]
    Setup(ConnectionError),
}

impl From<ConnectError> for ConnectionError {
    fn from(err: ConnectError) -> Self {
        match err {
            ConnectError::Url(url) => ConnectionError::InvalidConnectionUrl(url.to_string()),
            ConnectError::Setup(setup) => setup,
            other => ConnectionError::BadConnection(other.to_string()),
        }
    }
}

/// Opens connections to one database URL. The TLS configuration (and `sslrootcert`) is read at
/// the first connection that needs it and kept for the life of the value: a replaced CA file
/// is picked up on restart.
#[derive(Debug)]
pub struct Connector {
    url: DatabaseUrl,
    tls: OnceCell<tls::Tls>,
}

impl Connector {
    pub fn new(url: DatabaseUrl) -> Connector {
        Connector {
            url,
            tls: OnceCell::new(),
        }
    }

    pub fn parse(raw: &str) -> Result<Connector, UrlError> {
        DatabaseUrl::parse(raw).map(Connector::new)
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// Opens one connection; its driver task runs on the current runtime.
    pub async fn connect(&self) -> Result<AsyncPgConnection, ConnectError> {
        let mode = self.url.ssl_mode();
        if mode == SslMode::Disable {
            let (client, connection) = self
                .url
                .postgres
                .connect(NoTls)
                .await
                .map_err(|err| explain(&err, mode))?;
            return AsyncPgConnection::try_from_client_and_connection(client, connection)
                .await
                .map_err(ConnectError::Setup);
        }
        let tls = self
            .tls
            .get_or_try_init(|| async {
                tls::client_config(self.url.verification(), self.url.root_certs())
            })
            .await?
            .clone();
        let (client, connection) = self
            .url
            .postgres
            .connect(tls)
            .await
            .map_err(|err| explain(&err, mode))?;
        AsyncPgConnection::try_from_client_and_connection(client, connection)
            .await
            .map_err(ConnectError::Setup)
    }
}

/// A blocking connection for diesel's synchronous APIs (migrations). Its I/O runs on the
/// process-wide database runtime, so call this from plain threads or `spawn_blocking`, never
/// from inside an async task.
pub fn establish_blocking(
    raw_url: &str,
) -> Result<AsyncConnectionWrapper<AsyncPgConnection>, ConnectionError> {
    let connector = Connector::parse(raw_url).map_err(ConnectError::from)?;
    let runtime = crate::pool::connection_runtime()
        .map_err(|err| ConnectionError::BadConnection(err.to_string()))?;
    let connection = runtime.block_on(connector.connect())?;
    // The wrapper blocks on the runtime it finds current: the one driving this connection.
    let _current = runtime.enter();
    Ok(AsyncConnectionWrapper::from(connection))
}

/// What a tokio-postgres connection error means, in words that point at the fix.
fn explain(err: &tokio_postgres::Error, mode: SslMode) -> ConnectError {
    let source = std::error::Error::source(err);
    if let Some(failure) = source.and_then(|cause| cause.downcast_ref::<TlsFailure>()) {
        return ConnectError::Tls(failure.clone());
    }
    if let Some(db) = err.as_db_error() {
        let no_encryption = *db.code() == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
            && db.message().contains("no encryption");
        if no_encryption && mode == SslMode::Disable {
            return ConnectError::TlsRequired;
        }
        return ConnectError::Refused(db.message().to_owned());
    }
    // tokio-postgres's words when the server answers "N" to the TLS request.
    if source.is_some_and(|cause| cause.to_string() == "server does not support TLS") {
        return ConnectError::TlsRefused(mode);
    }
    ConnectError::Other(match source {
        Some(cause) => format!("{err}: {cause}"),
        None => err.to_string(),
    })
}
