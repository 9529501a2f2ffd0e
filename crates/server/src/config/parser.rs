//! Reading and checking one configuration variable at a time.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use equoria_persistence::connect::{DatabaseUrl, RootCerts};
use ipnet::IpNet;
use rand::Rng;
use secrecy::SecretString;

use super::MIN_SECRET_LEN;

const DEV_ORIGINS: &str = "http://localhost:3000,http://localhost:5173";
const DEV_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/equoria_development";
/// Words that mark a secret copied from documentation.
const PLACEHOLDER_MARKERS: [&str; 6] = [
    "your-",
    "change",
    "placeholder",
    "example",
    "secret-here",
    "xxxx",
];

/// Reads variables through `lookup`; every reader returns a usable value (the default when
/// the variable is unset or wrong) and records what was wrong in `errors` (refused) or
/// `warnings` (logged at start-up), so every problem is reported together.
pub(super) struct Parser<'a, L: Fn(&str) -> Option<String>> {
    pub(super) lookup: &'a L,
    pub(super) errors: Vec<String>,
    pub(super) warnings: Vec<String>,
}

impl<L: Fn(&str) -> Option<String>> Parser<'_, L> {
    pub(super) fn string(&mut self, name: &str, default: &str) -> String {
        (self.lookup)(name).unwrap_or_else(|| default.to_owned())
    }

    pub(super) fn number<T: std::str::FromStr + Copy>(&mut self, name: &str, default: T) -> T {
        match (self.lookup)(name) {
            None => default,
            Some(raw) => raw.trim().parse().unwrap_or_else(|_| {
                self.errors
                    .push(format!("{name}: `{raw}` is not a valid whole number"));
                default
            }),
        }
    }

    pub(super) fn positive<T: std::str::FromStr + Copy + PartialOrd + Default + fmt::Display>(
        &mut self,
        name: &str,
        default: T,
    ) -> T {
        let value = self.number(name, default);
        if value <= T::default() {
            self.errors
                .push(format!("{name}: must be greater than 0, got {value}"));
        }
        value
    }

    pub(super) fn boolean(&mut self, name: &str, default: bool) -> bool {
        match (self.lookup)(name).map(|v| v.trim().to_ascii_lowercase()) {
            None => default,
            Some(v) if matches!(v.as_str(), "true" | "1" | "yes" | "on") => true,
            Some(v) if matches!(v.as_str(), "false" | "0" | "no" | "off") => false,
            Some(v) => {
                self.errors
                    .push(format!("{name}: `{v}` is not true or false"));
                default
            }
        }
    }

    pub(super) fn database_url(&mut self, name: &str, strict: bool) -> SecretString {
        match (self.lookup)(name) {
            Some(url) => {
                self.check_database_url(name, &url);
                SecretString::from(url)
            }
            None if strict => {
                self.errors.push(format!(
                    "{name}: required; set it to postgres://USER:PASSWORD@HOST:PORT/DATABASE"
                ));
                SecretString::from(String::new())
            }
            None => SecretString::from(DEV_DATABASE_URL.to_owned()),
        }
    }

    /// Never echoes the URL: it may carry a password.
    pub(super) fn check_database_url(&mut self, name: &str, url: &str) {
        let valid = url::Url::parse(url).is_ok_and(|u| {
            matches!(u.scheme(), "postgres" | "postgresql")
                && u.host_str().is_some_and(|h| !h.is_empty())
        });
        if !valid {
            self.errors.push(format!(
                "{name}: invalid DATABASE_URL format; expected postgres://USER:PASSWORD@HOST:PORT/DATABASE"
            ));
            return;
        }
        // sslmode / sslrootcert, and whatever the driver would refuse at the first connection.
        match DatabaseUrl::parse(url) {
            Err(err) => self.errors.push(format!("{name}: {err}")),
            Ok(parsed) => {
                if let RootCerts::File(path) = parsed.root_certs()
                    && let Err(err) = std::fs::File::open(path)
                {
                    self.warnings.push(format!(
                        "{name}: sslrootcert {} cannot be read ({err}); every connection will fail until it can",
                        path.display()
                    ));
                }
            }
        }
    }

    /// Never echoes the secret.
    pub(super) fn jwt_secret(&mut self, name: &str, strict: bool) -> SecretString {
        match (self.lookup)(name) {
            Some(secret) => {
                let lower = secret.to_ascii_lowercase();
                let placeholder = PLACEHOLDER_MARKERS.iter().any(|m| lower.contains(m))
                    || secret.chars().all(|c| secret.starts_with(c));
                let short = secret.chars().count() < MIN_SECRET_LEN;
                let problem = match (short, placeholder) {
                    (true, _) => Some(format!(
                        "{name}: too short ({} characters); use at least {MIN_SECRET_LEN} random characters, e.g. `openssl rand -hex 48`",
                        secret.chars().count()
                    )),
                    (false, true) => Some(format!(
                        "{name}: looks like a placeholder; generate a random one, e.g. `openssl rand -hex 48`"
                    )),
                    (false, false) => None,
                };
                if let Some(problem) = problem {
                    if strict {
                        self.errors.push(problem);
                    } else {
                        self.warnings.push(problem);
                    }
                }
                SecretString::from(secret)
            }
            None if strict => {
                self.errors.push(format!(
                    "{name}: required (missing/invalid secret); use at least {MIN_SECRET_LEN} random characters, e.g. `openssl rand -hex 48`"
                ));
                SecretString::from(String::new())
            }
            None => {
                self.warnings.push(format!(
                    "{name} is not set: using a random secret for this process only (tokens die with it)"
                ));
                let bytes: [u8; 48] = rand::rng().random();
                SecretString::from(bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
            }
        }
    }

    pub(super) fn origins(&mut self, strict: bool) -> Vec<String> {
        let raw = match (self.lookup)("ALLOWED_ORIGINS") {
            Some(raw) => raw,
            None if strict => {
                self.errors.push(
                    "ALLOWED_ORIGINS: required; a comma-separated list such as https://equoria.example,https://www.equoria.example"
                        .to_owned(),
                );
                return Vec::new();
            }
            None => DEV_ORIGINS.to_owned(),
        };
        let mut origins = Vec::new();
        for origin in raw.split(',').map(str::trim).filter(|o| !o.is_empty()) {
            if origin == "*" {
                self.errors
                    .push("ALLOWED_ORIGINS: `*` is not allowed; list the exact origins".to_owned());
                continue;
            }
            let valid = url::Url::parse(origin).is_ok_and(|u| {
                matches!(u.scheme(), "http" | "https")
                    && u.host_str().is_some()
                    && u.path() == "/"
                    && !origin.ends_with('/')
                    && u.query().is_none()
            });
            if valid {
                origins.push(origin.to_owned());
            } else {
                self.errors.push(format!(
                    "ALLOWED_ORIGINS: `{origin}` is not an origin (scheme://host[:port], no path or trailing slash)"
                ));
            }
        }
        if strict
            && origins.is_empty()
            && !self.errors.iter().any(|e| e.starts_with("ALLOWED_ORIGINS"))
        {
            self.errors
                .push("ALLOWED_ORIGINS: required; list at least one origin".to_owned());
        }
        origins
    }

    /// METRICS_ADDR: an `IP:PORT` socket address, not the public port, and
    /// only with monitoring on.
    pub(super) fn metrics_addr(
        &mut self,
        host: &str,
        port: u16,
        monitoring: bool,
    ) -> Option<SocketAddr> {
        let raw = (self.lookup)("METRICS_ADDR")?;
        let Ok(addr) = raw.trim().parse::<SocketAddr>() else {
            self.errors.push(format!(
                "METRICS_ADDR: `{raw}` is not an IP:PORT address (e.g. 0.0.0.0:9464)"
            ));
            return None;
        };
        if !monitoring {
            self.errors.push(
                "METRICS_ADDR: set while MONITORING_ENABLED is false; unset one of them".to_owned(),
            );
        }
        let same_host = host == "localhost"
            || host
                .parse::<IpAddr>()
                .is_ok_and(|h| h == addr.ip() || h.is_unspecified() || addr.ip().is_unspecified());
        if addr.port() == port && same_host {
            self.errors.push(format!(
                "METRICS_ADDR: port {port} is the public PORT; metrics need a port of their own"
            ));
        }
        Some(addr)
    }

    /// A range of prefix length 0 (`0.0.0.0/0`, `::/0`) trusts every peer:
    /// any client could then write its own X-Forwarded-For and pick a fresh
    /// rate-limit bucket per request.
    pub(super) fn refuse_trust_in_everyone(&mut self, proxies: &[IpNet]) {
        for net in proxies.iter().filter(|net| net.prefix_len() == 0) {
            self.errors.push(format!(
                "TRUSTED_PROXIES: `{net}` trusts every address, so any client could choose its own rate-limit key; list only your proxies' addresses or ranges"
            ));
        }
    }

    pub(super) fn proxies(&mut self) -> Vec<IpNet> {
        let Some(raw) = (self.lookup)("TRUSTED_PROXIES") else {
            return Vec::new();
        };
        raw.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .filter_map(|p| {
                let parsed = p
                    .parse::<IpNet>()
                    .or_else(|_| p.parse::<IpAddr>().map(IpNet::from));
                if parsed.is_err() {
                    self.errors.push(format!(
                        "TRUSTED_PROXIES: `{p}` is not an IP address or CIDR range"
                    ));
                }
                parsed.ok()
            })
            .collect()
    }
}
