//! TLS for tokio-postgres through rustls (the `ring` provider): the client configuration for
//! each [`Verification`], and the `MakeTlsConnect` that tokio-postgres drives.

use std::fmt;
use std::future::Future;
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_postgres::Socket;
use tokio_postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect, TlsStream};

use super::ConnectError;
use super::url::{RootCerts, Verification};

/// A client configuration ready for handshakes, with the words that name its roots in errors.
#[derive(Clone)]
pub(super) struct Tls {
    config: Arc<ClientConfig>,
    /// "sslrootcert /etc/ca.pem" or "the system's trusted roots".
    roots: Arc<str>,
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tls")
            .field("roots", &self.roots)
            .finish_non_exhaustive()
    }
}

/// The `ring` provider: pure Rust and assembly, no cmake or aws-lc to build. rustls now nudges
/// towards aws-lc-rs for post-quantum key exchange, which PostgreSQL servers do not offer yet.
#[expect(deprecated, reason = "ring is the chosen provider; see above")]
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Builds the rustls configuration. Reads `sslrootcert` (or the system's roots) when a chain is
/// to be checked.
pub(super) fn client_config(
    verification: Verification,
    root_certs: &RootCerts,
) -> Result<Tls, ConnectError> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|err| ConnectError::TlsSetup(err.to_string()))?;
    let (verifier, roots): (Arc<dyn ServerCertVerifier>, String) = match verification {
        Verification::None => (
            Arc::new(EncryptOnly(provider)),
            "nothing (certificates are not checked)".to_owned(),
        ),
        Verification::Chain | Verification::ChainAndName => {
            let (store, roots) = root_store(root_certs)?;
            let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider)
                .build()
                .map_err(|err| ConnectError::TlsSetup(err.to_string()))?;
            if verification == Verification::Chain {
                (Arc::new(ChainOnly(webpki)), roots)
            } else {
                (webpki, roots)
            }
        }
    };
    let config = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(Tls {
        config: Arc::new(config),
        roots: roots.into(),
    })
}

/// The roots named by `sslrootcert`, or the system's. The system's are the platform's store
/// (honouring `SSL_CERT_FILE` / `SSL_CERT_DIR`); where it is empty, as in an image without a CA
/// bundle, the Mozilla roots compiled into the binary.
fn root_store(root_certs: &RootCerts) -> Result<(RootCertStore, String), ConnectError> {
    let mut store = RootCertStore::empty();
    match root_certs {
        RootCerts::File(path) => {
            let described = format!("sslrootcert {}", path.display());
            for cert in read_pem_certs(path)? {
                store
                    .add(cert)
                    .map_err(|err| ConnectError::RootCertInvalid {
                        path: path.display().to_string(),
                        detail: err.to_string(),
                    })?;
            }
            Ok((store, described))
        }
        RootCerts::Default | RootCerts::System => {
            let native = rustls_native_certs::load_native_certs();
            let (added, _ignored) = store.add_parsable_certificates(native.certs);
            if added == 0 {
                store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
                return Ok((
                    store,
                    "the built-in Mozilla roots (no system CA bundle was found; set sslrootcert)"
                        .to_owned(),
                ));
            }
            Ok((store, "the system's trusted roots".to_owned()))
        }
    }
}

fn read_pem_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, ConnectError> {
    let bytes = std::fs::read(path).map_err(|source| ConnectError::RootCertUnreadable {
        path: path.display().to_string(),
        source,
    })?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| ConnectError::RootCertInvalid {
            path: path.display().to_string(),
            detail: format!("not a PEM file ({err})"),
        })?;
    if certs.is_empty() {
        return Err(ConnectError::RootCertInvalid {
            path: path.display().to_string(),
            detail: "it holds no PEM certificate (-----BEGIN CERTIFICATE-----)".to_owned(),
        });
    }
    Ok(certs)
}

/// `sslmode=require` without a root file: encrypted, nothing checked (libpq's meaning). The
/// handshake signatures are still verified, so the peer holds the key of the certificate it
/// sent.
#[derive(Debug)]
struct EncryptOnly(Arc<CryptoProvider>);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca`: the full WebPKI check, except that a certificate issued for another name is
/// accepted. rustls checks the name last, so "wrong name" means everything else passed.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// A TLS failure with one host, as tokio-postgres hands it back to [`super::Connector::connect`].
#[derive(Debug, Clone, thiserror::Error)]
pub enum TlsFailure {
    #[error("certificate for {host} not trusted: {reason}")]
    Untrusted { host: String, reason: String },
    #[error("TLS handshake with {host} failed: {detail}")]
    Handshake { host: String, detail: String },
    #[error("`{host}` cannot be used as a TLS server name")]
    BadName { host: String },
}

impl MakeTlsConnect<Socket> for Tls {
    type Stream = RustlsStream;
    type TlsConnect = ConnectOne;
    type Error = TlsFailure;

    fn make_tls_connect(&mut self, host: &str) -> Result<ConnectOne, TlsFailure> {
        let name = ServerName::try_from(host.to_owned()).map_err(|_| TlsFailure::BadName {
            host: host.to_owned(),
        })?;
        Ok(ConnectOne {
            tls: self.clone(),
            host: host.to_owned(),
            name,
        })
    }
}

/// One handshake with one host.
pub(super) struct ConnectOne {
    tls: Tls,
    host: String,
    name: ServerName<'static>,
}

impl TlsConnect<Socket> for ConnectOne {
    type Stream = RustlsStream;
    type Error = TlsFailure;
    type Future = Pin<Box<dyn Future<Output = Result<RustlsStream, TlsFailure>> + Send>>;

    fn connect(self, stream: Socket) -> Self::Future {
        Box::pin(async move {
            let connector = tokio_rustls::TlsConnector::from(self.tls.config.clone());
            connector
                .connect(self.name, stream)
                .await
                .map(RustlsStream)
                .map_err(|err| failure(&self.host, &self.tls.roots, &err))
        })
    }
}

/// Puts a handshake error into an operator's words.
fn failure(host: &str, roots: &str, err: &io::Error) -> TlsFailure {
    let rustls_error = err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    match rustls_error {
        Some(rustls::Error::InvalidCertificate(cert_error)) => TlsFailure::Untrusted {
            host: host.to_owned(),
            reason: certificate_reason(cert_error, roots),
        },
        Some(other) => TlsFailure::Handshake {
            host: host.to_owned(),
            detail: other.to_string(),
        },
        None => TlsFailure::Handshake {
            host: host.to_owned(),
            detail: err.to_string(),
        },
    }
}

fn certificate_reason(error: &CertificateError, roots: &str) -> String {
    match error {
        CertificateError::UnknownIssuer => {
            format!("it is not issued by a certificate authority in {roots}")
        }
        CertificateError::NotValidForName => {
            "it is issued for another host name; connect by a name the certificate lists".to_owned()
        }
        CertificateError::NotValidForNameContext { presented, .. } => format!(
            "it is issued for {}; connect by a name the certificate lists",
            if presented.is_empty() {
                "no host name".to_owned()
            } else {
                presented
                    .iter()
                    .map(|name| plain_name(name))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ),
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            format!("it has expired ({error})")
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            format!("it is not valid yet ({error}); check the clocks")
        }
        other => other.to_string(),
    }
}

/// webpki lists a certificate's names as `DnsName("db.example")` or `IpAddress(10.0.0.1)`;
/// operators want `db.example` and `10.0.0.1`.
fn plain_name(presented: &str) -> &str {
    for (prefix, suffix) in [("DnsName(\"", "\")"), ("IpAddress(", ")")] {
        if let Some(inner) = presented
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(suffix))
        {
            return inner;
        }
    }
    presented
}

/// The encrypted stream tokio-postgres reads and writes.
pub(super) struct RustlsStream(tokio_rustls::client::TlsStream<Socket>);

impl TlsStream for RustlsStream {
    fn channel_binding(&self) -> ChannelBinding {
        // SCRAM then authenticates without channel binding (SCRAM-SHA-256, not -PLUS).
        ChannelBinding::none()
    }
}

impl AsyncRead for RustlsStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for RustlsStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn an_unreadable_root_file_is_named_with_the_reason() {
        let err = client_config(
            Verification::ChainAndName,
            &RootCerts::File("/nonexistent/ca.pem".into()),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "sslrootcert /nonexistent/ca.pem cannot be read: No such file or directory (os error 2)"
        );
    }

    #[test]
    fn a_root_file_without_certificates_is_refused() {
        let path =
            std::env::temp_dir().join(format!("equoria-not-a-ca-{}.pem", std::process::id()));
        std::fs::write(&path, "just text\n").unwrap();
        let err = client_config(Verification::Chain, &RootCerts::File(path.clone())).unwrap_err();
        let _ = std::fs::remove_file(&path);
        assert!(
            err.to_string().contains("holds no PEM certificate"),
            "{err}"
        );
    }

    #[test]
    fn the_system_roots_are_never_empty() {
        let (store, _) = root_store(&RootCerts::System).unwrap();
        assert!(!store.is_empty());
    }

    #[test]
    fn certificate_names_are_shown_plainly() {
        assert_eq!(plain_name("DnsName(\"db.example\")"), "db.example");
        assert_eq!(plain_name("IpAddress(10.0.0.1)"), "10.0.0.1");
        assert_eq!(plain_name("DirectoryName"), "DirectoryName");
    }

    #[test]
    fn unknown_issuers_name_the_roots_that_were_consulted() {
        let reason = certificate_reason(&CertificateError::UnknownIssuer, "sslrootcert /x/ca.pem");
        assert_eq!(
            reason,
            "it is not issued by a certificate authority in sslrootcert /x/ca.pem"
        );
    }
}
