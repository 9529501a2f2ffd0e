//! Database URLs: the libpq parameters that tokio-postgres does not understand are taken out
//! here, everything else is passed through to tokio-postgres's own parser.
//!
//! Handled here: `sslmode` (tokio-postgres knows only `disable`, `prefer` and `require`, and
//! never verifies a certificate by itself) and `sslrootcert`. Every other parameter, and the
//! user, password, host, port and database, reach tokio-postgres unchanged.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use percent_encoding::percent_decode_str;

/// libpq's `sslmode`: whether to encrypt, and what to check about the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Plaintext only.
    Disable,
    /// TLS when the server accepts it, plaintext when it refuses it (the default).
    Prefer,
    /// TLS or fail; the certificate is not checked (unless `sslrootcert` names a file, in
    /// which case the chain is, as libpq does).
    Require,
    /// TLS, with a certificate chain that leads to a trusted root.
    VerifyCa,
    /// TLS, with a trusted chain and a certificate issued for the host connected to.
    VerifyFull,
}

impl SslMode {
    /// Every accepted value, in the order of the documentation.
    pub const NAMES: [&'static str; 5] =
        ["disable", "prefer", "require", "verify-ca", "verify-full"];

    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SslMode {
    type Err = UrlError;

    fn from_str(value: &str) -> Result<Self, UrlError> {
        match value {
            "disable" => Ok(SslMode::Disable),
            // libpq also accepts `allow` (plaintext first, TLS if refused); TLS whenever the
            // server offers it is strictly better, so it is treated as `prefer`.
            "allow" | "prefer" => Ok(SslMode::Prefer),
            "require" => Ok(SslMode::Require),
            "verify-ca" => Ok(SslMode::VerifyCa),
            "verify-full" => Ok(SslMode::VerifyFull),
            other => Err(UrlError::UnknownSslMode(other.to_owned())),
        }
    }
}

/// The certificate authorities a server certificate must lead to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootCerts {
    /// No `sslrootcert`: the system's trusted roots, used by `verify-ca` and `verify-full`
    /// only (`prefer` and `require` then check nothing, as with libpq).
    Default,
    /// `sslrootcert=system`: the system's trusted roots, and (as libpq 16 does) `verify-full`
    /// unless another mode is given, which is then refused when weaker.
    System,
    /// `sslrootcert=PATH`: the CA certificates of a PEM file, the only roots trusted.
    File(PathBuf),
}

/// What the server's certificate is checked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// Encryption only: any certificate is accepted.
    None,
    /// The chain must lead to a trusted root; the names in the certificate do not matter.
    Chain,
    /// A trusted chain, and the certificate names the host connected to.
    ChainAndName,
}

/// A database URL taken apart: tokio-postgres's configuration plus the TLS parameters.
#[derive(Clone)]
pub struct DatabaseUrl {
    pub(super) postgres: tokio_postgres::Config,
    ssl_mode: SslMode,
    root_certs: RootCerts,
}

impl fmt::Debug for DatabaseUrl {
    // Never the password; tokio-postgres's own Debug would print the rest of the URL, which
    // operators do not need in a log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseUrl")
            .field("ssl_mode", &self.ssl_mode)
            .field("root_certs", &self.root_certs)
            .finish_non_exhaustive()
    }
}

/// Why a database URL was refused. Never contains the URL (it may carry a password).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("expected postgres://USER:PASSWORD@HOST:PORT/DATABASE[?sslmode=...]")]
    NotAUrl,
    #[error(
        "sslmode `{0}` is not one of disable, prefer (the default), require, verify-ca, verify-full"
    )]
    UnknownSslMode(String),
    #[error(
        "sslrootcert is empty: give the path of a PEM file with the CA certificate(s), or `system`"
    )]
    EmptyRootCert,
    #[error(
        "sslrootcert=system needs sslmode=verify-full (got sslmode={0}): the system roots vouch for host names"
    )]
    SystemRootsNeedVerifyFull(SslMode),
    #[error("a query parameter is not valid percent-encoded UTF-8")]
    BadEncoding,
    #[error("{0}")]
    Invalid(String),
}

impl DatabaseUrl {
    /// Parses a `postgres://` or `postgresql://` URL.
    pub fn parse(raw: &str) -> Result<DatabaseUrl, UrlError> {
        let raw = raw.trim();
        if !(raw.starts_with("postgres://") || raw.starts_with("postgresql://")) {
            return Err(UrlError::NotAUrl);
        }
        let (base, query) = match raw.split_once('?') {
            Some((base, query)) => (base, query),
            None => (raw, ""),
        };
        let mut ssl_mode = None;
        let mut root_cert = None;
        let mut passed_through = Vec::new();
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match decode(key)?.as_str() {
                "sslmode" => ssl_mode = Some(decode(value)?.parse::<SslMode>()?),
                "sslrootcert" => root_cert = Some(decode(value)?),
                _ => passed_through.push(pair),
            }
        }
        let root_certs = match root_cert.as_deref() {
            None => RootCerts::Default,
            Some("") => return Err(UrlError::EmptyRootCert),
            Some("system") => RootCerts::System,
            Some(path) => RootCerts::File(PathBuf::from(path)),
        };
        let ssl_mode = match (ssl_mode, &root_certs) {
            (None, RootCerts::System) => SslMode::VerifyFull,
            (Some(mode), RootCerts::System) if mode != SslMode::VerifyFull => {
                return Err(UrlError::SystemRootsNeedVerifyFull(mode));
            }
            (mode, _) => mode.unwrap_or(SslMode::Prefer),
        };

        let mut rest = base.to_owned();
        if !passed_through.is_empty() {
            rest.push('?');
            rest.push_str(&passed_through.join("&"));
        }
        let mut postgres = tokio_postgres::Config::from_str(&rest).map_err(|err| {
            // tokio-postgres names the option, never the value.
            UrlError::Invalid(match std::error::Error::source(&err) {
                Some(cause) => format!("{err}: {cause}"),
                None => err.to_string(),
            })
        })?;
        postgres.ssl_mode(match ssl_mode {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
                tokio_postgres::config::SslMode::Require
            }
        });
        Ok(DatabaseUrl {
            postgres,
            ssl_mode,
            root_certs,
        })
    }

    pub fn ssl_mode(&self) -> SslMode {
        self.ssl_mode
    }

    pub fn root_certs(&self) -> &RootCerts {
        &self.root_certs
    }

    /// What is checked about the server's certificate. As with libpq, `prefer` and `require`
    /// check the chain when `sslrootcert` names a file, and nothing otherwise.
    pub fn verification(&self) -> Verification {
        match (self.ssl_mode, &self.root_certs) {
            (SslMode::VerifyFull, _) => Verification::ChainAndName,
            (SslMode::VerifyCa, _) | (_, RootCerts::File(_)) => Verification::Chain,
            _ => Verification::None,
        }
    }
}

fn decode(text: &str) -> Result<String, UrlError> {
    percent_decode_str(text)
        .decode_utf8()
        .map(|decoded| decoded.into_owned())
        .map_err(|_| UrlError::BadEncoding)
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]

    use super::*;

    fn parse(raw: &str) -> DatabaseUrl {
        DatabaseUrl::parse(raw).unwrap()
    }

    #[test]
    fn prefer_without_verification_is_the_default() {
        let url = parse("postgres://app:pw@db.example:5433/equoria");
        assert_eq!(url.ssl_mode(), SslMode::Prefer);
        assert_eq!(url.root_certs(), &RootCerts::Default);
        assert_eq!(url.verification(), Verification::None);
        assert_eq!(url.postgres.get_ports(), &[5433]);
        assert_eq!(url.postgres.get_dbname(), Some("equoria"));
        assert_eq!(url.postgres.get_password(), Some(&b"pw"[..]));
    }

    #[test]
    fn every_libpq_mode_is_understood_and_passed_on_as_tokio_postgres_knows_it() {
        use tokio_postgres::config::SslMode as Tp;
        for (name, mode, tp, verification) in [
            ("disable", SslMode::Disable, Tp::Disable, Verification::None),
            ("prefer", SslMode::Prefer, Tp::Prefer, Verification::None),
            ("require", SslMode::Require, Tp::Require, Verification::None),
            (
                "verify-ca",
                SslMode::VerifyCa,
                Tp::Require,
                Verification::Chain,
            ),
            (
                "verify-full",
                SslMode::VerifyFull,
                Tp::Require,
                Verification::ChainAndName,
            ),
        ] {
            let url = parse(&format!("postgres://a@h/d?sslmode={name}"));
            assert_eq!(url.ssl_mode(), mode, "{name}");
            assert_eq!(url.postgres.get_ssl_mode(), tp, "{name}");
            assert_eq!(url.verification(), verification, "{name}");
            assert_eq!(mode.as_str(), name);
            assert!(SslMode::NAMES.contains(&name));
        }
    }

    #[test]
    fn a_root_cert_file_makes_require_check_the_chain_like_libpq() {
        let url = parse("postgresql://a@h/d?sslmode=require&sslrootcert=%2Fetc%2Fca%20bundle.pem");
        assert_eq!(
            url.root_certs(),
            &RootCerts::File("/etc/ca bundle.pem".into())
        );
        assert_eq!(url.verification(), Verification::Chain);
    }

    #[test]
    fn other_parameters_reach_tokio_postgres_untouched() {
        let url = parse(
            "postgres://a@h/d?application_name=x%20y&sslmode=verify-full&connect_timeout=7&sslrootcert=/ca.pem",
        );
        assert_eq!(url.postgres.get_application_name(), Some("x y"));
        assert_eq!(
            url.postgres.get_connect_timeout(),
            Some(&std::time::Duration::from_secs(7))
        );
        assert_eq!(url.ssl_mode(), SslMode::VerifyFull);
    }

    #[test]
    fn unknown_modes_are_refused_with_the_accepted_list() {
        let err = DatabaseUrl::parse("postgres://a:secret@h/d?sslmode=verify_full").unwrap_err();
        assert_eq!(err, UrlError::UnknownSslMode("verify_full".to_owned()));
        let text = err.to_string();
        assert!(
            text.contains("`verify_full`") && text.contains("verify-full"),
            "{text}"
        );
        assert!(!text.contains("secret"));
    }

    #[test]
    fn system_roots_mean_verify_full() {
        let url = parse("postgres://a@h/d?sslrootcert=system");
        assert_eq!(url.ssl_mode(), SslMode::VerifyFull);
        assert_eq!(url.root_certs(), &RootCerts::System);
        assert_eq!(
            DatabaseUrl::parse("postgres://a@h/d?sslrootcert=system&sslmode=require").unwrap_err(),
            UrlError::SystemRootsNeedVerifyFull(SslMode::Require)
        );
    }

    #[test]
    fn malformed_urls_are_refused_without_echoing_them() {
        assert_eq!(
            DatabaseUrl::parse("host=h user=a").unwrap_err(),
            UrlError::NotAUrl
        );
        assert_eq!(
            DatabaseUrl::parse("postgres://a@h/d?sslrootcert=").unwrap_err(),
            UrlError::EmptyRootCert
        );
        let err = DatabaseUrl::parse("postgres://a:hunter2@h/d?no_such_option=1").unwrap_err();
        assert!(matches!(err, UrlError::Invalid(_)));
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn debug_output_hides_the_password() {
        let url = parse("postgres://a:hunter2@h/d?sslmode=require");
        let text = format!("{url:?}");
        assert!(
            !text.contains("hunter2") && text.contains("Require"),
            "{text}"
        );
    }
}
