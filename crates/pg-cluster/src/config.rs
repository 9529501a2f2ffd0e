//! What a server is started with: the caller's [`Options`], the `-c` settings this crate
//! passes to `postgres`, the client authentication rules of `pg_hba.conf`, and what the
//! server leaves in `postmaster.pid`.

/// Connection slots: integration tests run in parallel and each holds a small pool.
const MAX_CONNECTIONS: u32 = 300;

/// How [`Cluster::start`](crate::Cluster::start) treats an existing data directory.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Delete the data directory (and its log) first, so the cluster starts empty. Refused while
    /// a server started by someone else still runs in it.
    pub fresh: bool,
    /// Server settings passed as `-c name=value` after this crate's defaults, which they
    /// override (e.g. `fsync=on` where the figures should be those of a durable database).
    /// They apply to a server this call starts, not to one found already running.
    pub settings: Vec<(String, String)>,
    /// Serve TLS (see [`TlsOptions`]); `None` (the default) leaves TLS off. Applies to a server
    /// this call starts: new certificates are made on every start.
    pub tls: Option<TlsOptions>,
}

/// TLS for a cluster: `ssl=on` with a server certificate (and key, mode 0600, owned by the
/// server user) in the data directory, signed by a certificate authority made for the cluster
/// in `<dir>/tls/ca.pem`.
#[derive(Debug, Clone)]
pub struct TlsOptions {
    /// What the server certificate is valid for (subjectAltName entries; IP addresses become IP
    /// entries). Default: `127.0.0.1` and `localhost`.
    pub server_names: Vec<String>,
    /// Accept TLS connections only: pg_hba.conf has `hostssl` lines and no `host` lines, so a
    /// client without TLS is refused ("no pg_hba.conf entry ... no encryption"). Default: true.
    pub tls_only: bool,
}

impl Default for TlsOptions {
    fn default() -> Self {
        TlsOptions {
            server_names: vec!["127.0.0.1".to_owned(), "localhost".to_owned()],
            tls_only: true,
        }
    }
}

/// Where the server's certificate and key live, relative to the data directory.
pub(crate) const SERVER_CERT_FILE: &str = "server.crt";
pub(crate) const SERVER_KEY_FILE: &str = "server.key";

/// The `postgres` options (`pg_ctl -o`) of a server on 127.0.0.1:`port`: loopback TCP only, no
/// Unix socket, durability off, this crate's connection slots, TLS when asked for, then the
/// caller's `settings`, which override the rest.
pub(crate) fn server_options(port: u16, tls: bool, settings: &[(String, String)]) -> String {
    // fsync, synchronous_commit and full_page_writes are off: a crash may corrupt this
    // cluster, which is fine for throwaway development and test data, and it makes
    // creating a database per test several times faster.
    let mut options = format!(
        "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' \
         -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
         -c max_connections={MAX_CONNECTIONS}"
    );
    if tls {
        options.push_str(&format!(
            " -c ssl=on -c ssl_cert_file={SERVER_CERT_FILE} -c ssl_key_file={SERVER_KEY_FILE}"
        ));
    }
    for (name, value) in settings {
        options.push_str(&format!(" -c {name}='{value}'"));
    }
    options
}

/// `pg_hba.conf`: trust on loopback only, over TLS only when [`TlsOptions::tls_only`] asks for
/// it (`tls` is `None` without TLS).
pub(crate) fn hba_rules(tls: Option<&TlsOptions>) -> String {
    let kind = match tls {
        Some(tls) if tls.tls_only => "hostssl",
        _ => "host",
    };
    let mut rules =
        String::from("# Written by equoria-pg-cluster on every start: trust on loopback only.\n");
    for database in ["all", "replication"] {
        for address in ["127.0.0.1/32", "::1/128"] {
            rules.push_str(&format!("{kind} {database} all {address} trust\n"));
        }
    }
    rules
}

/// The port line of a `postmaster.pid` file (its 4th line).
pub(crate) fn parse_pid_file_port(contents: &str) -> Option<u16> {
    contents.lines().nth(3)?.trim().parse().ok()
}
