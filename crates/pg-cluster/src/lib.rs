//! Throwaway PostgreSQL clusters for development and tests.
//!
//! [`Cluster::start`] creates (with `initdb`) or reuses a data directory, starts a server that
//! listens on a free port of `127.0.0.1` only (no Unix socket), and stops it again on
//! [`Cluster::stop`] or when the value is dropped. Authentication is `trust` for the superuser
//! `postgres`, and durability is switched off for speed: never keep data you care about in one.
//!
//! `initdb`, `pg_ctl` and `postgres` refuse to run as root, so when the effective user is root
//! every server-side command runs as the OS user `postgres` (`runuser -u postgres -- ...`) and the
//! cluster directory is handed to that user. Client commands (`psql`) connect over TCP and run as
//! whoever we are.
//!
//! With [`Options::tls`] the server speaks TLS with a certificate signed by a certificate
//! authority made for the cluster ([`Cluster::tls_ca_file`]), and by default accepts nothing
//! else, as managed PostgreSQL services do; [`Cluster::tls_url`] is a URL that verifies it.
//!
//! Only `std` is used (certificates come from the `openssl` tool), so the crate builds in no time
//! for `xtask` and for test helpers.

//!
//! Modules by concern: [`Cluster`]'s life in `cluster`, its databases in `databases`, the
//! server's settings and authentication rules in `config`, the OS user that runs the server in
//! `server_user`, where the programs are in `binaries`, certificates in `tls`, free ports in
//! `ports`, errors in `error`. Every child process is made and run by the `command` module.

mod binaries;
mod cluster;
mod command;
mod config;
mod databases;
mod error;
mod ports;
mod server_user;
mod tls;

pub use binaries::find_bin_dir;
pub use cluster::Cluster;
pub use config::{Options, TlsOptions};
pub use error::{Error, Result};
pub use ports::free_port;
pub use tls::CertificateAuthority;

/// The role every cluster is initialised with (`initdb -U postgres`); also the OS user that runs
/// the server when we are root.
pub const SUPERUSER: &str = "postgres";

#[cfg(test)]
mod tests;
