//! Certificates for clusters that speak TLS, made with the `openssl` command-line tool (Debian's
//! PostgreSQL server packages depend on it through `ssl-cert`, so it is there wherever `initdb`
//! is). Keys are ECDSA P-256: quick to make, and accepted by PostgreSQL and by every TLS client.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::command::{self, run_captured};
use crate::error::{Result, io_error};

/// Validity of every certificate made here: long enough that a kept development cluster never
/// sees one expire.
const VALID_DAYS: &str = "3650";

/// A certificate authority that signs server certificates for throwaway clusters (and, in tests,
/// a second one whose certificate a client must not accept for another's server).
#[derive(Debug, Clone)]
pub struct CertificateAuthority {
    cert_file: PathBuf,
    key_file: PathBuf,
}

impl CertificateAuthority {
    /// Makes a new CA in `dir` (created if needed): `dir/ca.pem` (the certificate clients
    /// trust, mode 0644) and `dir/ca.key` (mode 0600). Existing files there are replaced.
    pub fn generate(dir: &Path, common_name: &str) -> Result<CertificateAuthority> {
        fs::create_dir_all(dir).map_err(io_error(format!("creating {}", dir.display())))?;
        let cert_file = dir.join("ca.pem");
        let key_file = dir.join("ca.key");
        let mut req = openssl();
        req.args(["req", "-x509", "-new", "-nodes"])
            .args(["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"])
            .arg("-keyout")
            .arg(&key_file)
            .arg("-out")
            .arg(&cert_file)
            .args(["-days", VALID_DAYS, "-subj"])
            .arg(format!("/CN={}", subject_value(common_name)))
            .args(["-addext", "basicConstraints=critical,CA:TRUE"])
            .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
        run_captured(&mut req)?;
        restrict(&key_file)?;
        fs::set_permissions(&cert_file, fs::Permissions::from_mode(0o644))
            .map_err(io_error(format!("making {} readable", cert_file.display())))?;
        Ok(CertificateAuthority {
            cert_file,
            key_file,
        })
    }

    /// The CA certificate (PEM): what a client passes as `sslrootcert`.
    pub fn cert_file(&self) -> &Path {
        &self.cert_file
    }

    /// Issues a server certificate valid for `names` (DNS names, or IP addresses such as
    /// `127.0.0.1`, which go into the subjectAltName as IP entries), writing the certificate to
    /// `cert_file` and its key to `key_file` (mode 0600). The first name is also the subject's
    /// common name.
    pub fn issue_server_certificate(
        &self,
        names: &[String],
        cert_file: &Path,
        key_file: &Path,
    ) -> Result<()> {
        let work = cert_file.with_extension("work");
        fs::create_dir_all(&work).map_err(io_error(format!("creating {}", work.display())))?;
        let outcome = self.issue_in(&work, names, cert_file, key_file);
        let _ = fs::remove_dir_all(&work);
        outcome
    }

    fn issue_in(
        &self,
        work: &Path,
        names: &[String],
        cert_file: &Path,
        key_file: &Path,
    ) -> Result<()> {
        let request = work.join("server.csr");
        let extensions = work.join("extensions.cnf");
        let common_name = names.first().map_or("localhost", String::as_str);
        let mut req = openssl();
        req.args(["req", "-new", "-nodes"])
            .args(["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"])
            .arg("-keyout")
            .arg(key_file)
            .arg("-out")
            .arg(&request)
            .arg("-subj")
            .arg(format!("/CN={}", subject_value(common_name)));
        run_captured(&mut req)?;
        restrict(key_file)?;

        fs::write(&extensions, server_extensions(names))
            .map_err(io_error(format!("writing {}", extensions.display())))?;
        let mut sign = openssl();
        sign.args(["x509", "-req", "-in"])
            .arg(&request)
            .arg("-CA")
            .arg(&self.cert_file)
            .arg("-CAkey")
            .arg(&self.key_file)
            .arg("-set_serial")
            .arg(serial())
            .args(["-days", VALID_DAYS, "-out"])
            .arg(cert_file)
            .arg("-extfile")
            .arg(&extensions);
        run_captured(&mut sign)?;
        Ok(())
    }
}

fn openssl() -> Command {
    command::program("openssl")
}

/// Mode 0600: PostgreSQL refuses a key file that others can read.
fn restrict(path: &Path) -> Result<()> {
    fs::set_permissions(path, fs::Permissions::from_mode(0o600)).map_err(io_error(format!(
        "restricting {} to mode 0600",
        path.display()
    )))
}

/// `-subj` treats `/` and `=` specially; names here never need them.
fn subject_value(name: &str) -> String {
    name.chars()
        .map(|c| if c == '/' || c == '=' { '_' } else { c })
        .collect()
}

/// The v3 extensions of a server certificate: subjectAltName with one entry per name (IP
/// addresses as `IP:`, the rest as `DNS:`), not a CA, usable for TLS server authentication.
fn server_extensions(names: &[String]) -> String {
    let alt_names: Vec<String> = names
        .iter()
        .map(|name| {
            if name.parse::<std::net::IpAddr>().is_ok() {
                format!("IP:{name}")
            } else {
                format!("DNS:{name}")
            }
        })
        .collect();
    format!(
        "subjectAltName={}\nbasicConstraints=critical,CA:FALSE\n\
         keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
        alt_names.join(",")
    )
}

/// A serial number that differs between certificates of one CA (clients may cache by
/// issuer and serial).
fn serial() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    format!("0x{:x}{:04x}", nanos, std::process::id() & 0xffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_addresses_and_dns_names_get_their_own_alt_name_kinds() {
        let text = server_extensions(&["127.0.0.1".to_owned(), "localhost".to_owned()]);
        assert!(
            text.starts_with("subjectAltName=IP:127.0.0.1,DNS:localhost\n"),
            "{text}"
        );
        assert!(text.contains("extendedKeyUsage=serverAuth"));
        assert!(text.contains("CA:FALSE"));
    }

    #[test]
    fn subject_values_cannot_inject_attributes() {
        assert_eq!(subject_value("a/CN=b"), "a_CN_b");
    }
}
