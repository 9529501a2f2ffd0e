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

mod tls;

pub use tls::CertificateAuthority;

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs;
use std::io;
use std::net::TcpListener;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The role every cluster is initialised with (`initdb -U postgres`); also the OS user that runs
/// the server when we are root.
pub const SUPERUSER: &str = "postgres";

/// Where Debian and Ubuntu install one `bin/` per PostgreSQL major version.
const DEBIAN_VERSIONS_ROOT: &str = "/usr/lib/postgresql";

/// Connection slots: integration tests run in parallel and each holds a small pool.
const MAX_CONNECTIONS: u32 = 300;

/// How often a start is retried when the free port we picked was taken before the server bound it.
const START_ATTEMPTS: u32 = 3;

/// Lines of `postgres.log` quoted in a start failure.
const LOG_TAIL_LINES: usize = 25;

/// How [`Cluster::start`] treats an existing data directory.
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
const SERVER_CERT_FILE: &str = "server.crt";
const SERVER_KEY_FILE: &str = "server.key";

/// Why a cluster could not be started, stopped or used. Every message says what was attempted
/// and, where a command failed, its output.
#[derive(Debug)]
pub enum Error {
    /// `initdb` / `pg_ctl` are not installed where we look.
    BinariesNotFound {
        /// The places that were searched, in order.
        searched: Vec<PathBuf>,
    },
    /// We are root, so the server must run as another OS user, and that user is unusable.
    ServerUser {
        /// What went wrong, in words.
        detail: String,
    },
    /// A file-system or process-spawning operation failed.
    Io {
        /// What we were doing, e.g. "creating /x/y".
        action: String,
        /// The underlying error.
        source: io::Error,
    },
    /// A PostgreSQL tool exited unsuccessfully.
    Command {
        /// The command line, for copy-pasting.
        command: String,
        /// Its exit status, in words.
        status: String,
        /// Its stdout and stderr.
        output: String,
    },
    /// `pg_ctl start` failed; the server log usually says why.
    StartFailed {
        /// The command line, for copy-pasting.
        command: String,
        /// `pg_ctl`'s exit status, in words.
        status: String,
        /// `pg_ctl`'s own output.
        output: String,
        /// The server log file.
        log: PathBuf,
        /// The last lines that this start attempt wrote to the log.
        log_tail: String,
    },
    /// `fresh` was asked for, but a server we did not start is still running in the directory.
    StillRunning {
        /// The data directory in use.
        data_dir: PathBuf,
        /// The command that stops that server.
        stop_command: String,
    },
    /// A database name outside `[A-Za-z_][A-Za-z0-9_]{0,62}`.
    InvalidDatabaseName {
        /// The name that was refused.
        name: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BinariesNotFound { searched } => {
                let searched: Vec<String> =
                    searched.iter().map(|p| p.display().to_string()).collect();
                write!(
                    f,
                    "PostgreSQL server binaries (initdb and pg_ctl) are needed to run a throwaway \
                     database cluster, but were not found (searched PATH and {DEBIAN_VERSIONS_ROOT}/*/bin: {}). \
                     Install them (Debian/Ubuntu: `apt-get install postgresql`), \
                     or set DATABASE_URL to use an existing database instead",
                    if searched.is_empty() {
                        "nothing to search".to_owned()
                    } else {
                        searched.join(", ")
                    }
                )
            }
            Error::ServerUser { detail } => write!(
                f,
                "running as root, and PostgreSQL refuses to run as root, so the server runs as the \
                 OS user `{SUPERUSER}`: {detail}"
            ),
            Error::Io { action, source } => write!(f, "{action}: {source}"),
            Error::Command {
                command,
                status,
                output,
            } => write!(
                f,
                "`{command}` failed ({status}){}",
                indented_output(output)
            ),
            Error::StartFailed {
                command,
                status,
                output,
                log,
                log_tail,
            } => write!(
                f,
                "could not start PostgreSQL: `{command}` failed ({status}){}\nlast lines of {}:{}",
                indented_output(output),
                log.display(),
                indented_output(log_tail)
            ),
            Error::StillRunning {
                data_dir,
                stop_command,
            } => write!(
                f,
                "a PostgreSQL server that this process did not start is running in {}; \
                 refusing to delete its data. Stop it first: {stop_command}",
                data_dir.display()
            ),
            Error::InvalidDatabaseName { name } => write!(
                f,
                "invalid database name {name:?}: expected 1-63 ASCII letters, digits or `_`, \
                 not starting with a digit"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Shorthand for this crate's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn io_error(action: impl Into<String>) -> impl FnOnce(io::Error) -> Error {
    let action = action.into();
    move |source| Error::Io { action, source }
}

fn indented_output(output: &str) -> String {
    let output = output.trim_end();
    if output.is_empty() {
        return " (no output)".to_owned();
    }
    let mut text = String::new();
    for line in output.lines() {
        text.push_str("\n    ");
        text.push_str(line);
    }
    text
}

/// Asks the kernel for a TCP port on 127.0.0.1 that is free right now. Another process may take
/// it before we use it; [`Cluster::start`] retries when that happens.
pub fn free_port() -> io::Result<u16> {
    let listener = TcpListener::bind(("127.0.0.1", 0))?;
    Ok(listener.local_addr()?.port())
}

/// The directory holding `initdb` and `pg_ctl`: the first `initdb` on `PATH` (symlinks resolved,
/// so `/usr/local/bin/initdb -> /usr/lib/postgresql/15/bin/initdb` yields the real `bin/`, where
/// `psql` of the same version also lives), else the highest version under
/// `/usr/lib/postgresql/*/bin`.
pub fn find_bin_dir() -> Result<PathBuf> {
    find_bin_dir_in(
        std::env::var_os("PATH").as_deref(),
        Path::new(DEBIAN_VERSIONS_ROOT),
    )
}

/// [`find_bin_dir`] with the search places as parameters, for tests.
fn find_bin_dir_in(path_var: Option<&OsStr>, versions_root: &Path) -> Result<PathBuf> {
    let mut searched = Vec::new();
    if let Some(path_var) = path_var {
        for dir in std::env::split_paths(path_var) {
            if dir.as_os_str().is_empty() {
                continue;
            }
            let initdb = dir.join("initdb");
            if is_executable(&initdb) {
                // Resolve symlinks so the companion tools come from the same installation.
                let real_dir = fs::canonicalize(&initdb)
                    .ok()
                    .and_then(|real| real.parent().map(Path::to_path_buf))
                    .unwrap_or_else(|| dir.clone());
                for candidate in [real_dir, dir.clone()] {
                    if has_server_tools(&candidate) {
                        return Ok(candidate);
                    }
                }
            }
            searched.push(dir);
        }
    }

    let mut versions: Vec<(Vec<u32>, PathBuf)> = Vec::new();
    if let Ok(entries) = fs::read_dir(versions_root) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(version) = parse_version(&name) else {
                continue;
            };
            let bin = entry.path().join("bin");
            if has_server_tools(&bin) {
                versions.push((version, bin));
            } else {
                searched.push(bin);
            }
        }
    }
    versions.sort();
    match versions.pop() {
        Some((_, bin)) => Ok(bin),
        None => {
            searched.push(versions_root.join("*").join("bin"));
            Err(Error::BinariesNotFound { searched })
        }
    }
}

/// "15" -> [15], "9.6" -> [9, 6]; anything else is not a version directory.
fn parse_version(name: &OsStr) -> Option<Vec<u32>> {
    let name = name.to_str()?;
    name.split('.').map(|part| part.parse().ok()).collect()
}

fn has_server_tools(dir: &Path) -> bool {
    is_executable(&dir.join("initdb")) && is_executable(&dir.join("pg_ctl"))
}

fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// Who runs the server-side commands.
#[derive(Debug, Clone)]
enum RunAs {
    /// We are not root: run them directly.
    CurrentUser,
    /// We are root: run them through `runuser` as this user.
    User { name: String, uid: u32, gid: u32 },
}

impl RunAs {
    fn detect() -> Result<RunAs> {
        if effective_uid()? != 0 {
            return Ok(RunAs::CurrentUser);
        }
        let id = |flag: &str| -> Result<u32> {
            let output = Command::new("id")
                .args([flag, SUPERUSER])
                .output()
                .map_err(|e| Error::ServerUser {
                    detail: format!("could not run `id {flag} {SUPERUSER}`: {e}"),
                })?;
            let text = String::from_utf8_lossy(&output.stdout);
            if !output.status.success() {
                return Err(Error::ServerUser {
                    detail: format!(
                        "there is no such user (`id {flag} {SUPERUSER}`: {}); \
                         Debian's postgresql package creates it, or run as a normal user",
                        String::from_utf8_lossy(&output.stderr).trim()
                    ),
                });
            }
            text.trim().parse().map_err(|_| Error::ServerUser {
                detail: format!("`id {flag} {SUPERUSER}` printed {:?}", text.trim()),
            })
        };
        Ok(RunAs::User {
            name: SUPERUSER.to_owned(),
            uid: id("-u")?,
            gid: id("-g")?,
        })
    }

    /// A command that runs `program` as the server user.
    fn command(&self, program: &Path) -> Command {
        match self {
            RunAs::CurrentUser => Command::new(program),
            RunAs::User { name, .. } => {
                let mut command = Command::new("runuser");
                command.args(["-u", name, "--"]).arg(program);
                command
            }
        }
    }

    /// Gives `path` to the server user (no-op when we are that user already).
    fn hand_over(&self, path: &Path) -> Result<()> {
        if let RunAs::User { uid, gid, name } = self {
            std::os::unix::fs::chown(path, Some(*uid), Some(*gid)).map_err(io_error(format!(
                "giving {} to the OS user {name}",
                path.display()
            )))?;
        }
        Ok(())
    }

    /// Whether the server user can create files in `dir` (every ancestor must be traversable).
    fn can_write(&self, dir: &Path) -> bool {
        match self {
            RunAs::CurrentUser => true,
            RunAs::User { .. } => {
                let mut test = self.command(Path::new("test"));
                test.arg("-w").arg(dir).arg("-a").arg("-x").arg(dir);
                test.stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null());
                test.status().is_ok_and(|status| status.success())
            }
        }
    }
}

/// The effective user id, from `/proc/self/status` (no libc needed), else from `id -u`.
fn effective_uid() -> Result<u32> {
    if let Ok(status) = fs::read_to_string("/proc/self/status")
        && let Some(uid) = parse_effective_uid(&status)
    {
        return Ok(uid);
    }
    let output = Command::new("id")
        .arg("-u")
        .output()
        .map_err(io_error("running `id -u` to learn whether we are root"))?;
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .map_err(|_| Error::Io {
            action: "running `id -u` to learn whether we are root".to_owned(),
            source: io::Error::other("unexpected output"),
        })
}

/// The second field of the `Uid:` line (real, effective, saved, file-system).
fn parse_effective_uid(proc_status: &str) -> Option<u32> {
    let line = proc_status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

/// Runs `command`, capturing its output; a non-zero exit becomes [`Error::Command`].
fn run_captured(command: &mut Command) -> Result<Output> {
    command.stdin(Stdio::null());
    let output = command
        .output()
        .map_err(io_error(format!("running `{}`", describe(command))))?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(Error::Command {
            command: describe(command),
            status: output.status.to_string(),
            output: combined_output(&output),
        })
    }
}

fn combined_output(output: &Output) -> String {
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    text
}

/// A command line for messages that can be pasted into a shell: arguments with characters a
/// shell would interpret are single-quoted.
fn describe(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|arg| shell_quote(&arg.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@+%".contains(c));
    if plain {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// The last `n` lines of `text`.
fn tail_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// The part of a file written after byte `offset` (the whole file if it shrank).
fn read_from(path: &Path, offset: u64) -> String {
    let Ok(bytes) = fs::read(path) else {
        return String::new();
    };
    let start = usize::try_from(offset)
        .ok()
        .filter(|&start| start <= bytes.len())
        .unwrap_or(0);
    String::from_utf8_lossy(&bytes[start..]).into_owned()
}

/// The port line of a `postmaster.pid` file (its 4th line).
fn parse_pid_file_port(contents: &str) -> Option<u16> {
    contents.lines().nth(3)?.trim().parse().ok()
}

/// Database names we are willing to put into SQL: `[A-Za-z_][A-Za-z0-9_]{0,62}`.
fn check_database_name(name: &str) -> Result<()> {
    let valid = !name.is_empty()
        && name.len() <= 63
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if valid {
        Ok(())
    } else {
        Err(Error::InvalidDatabaseName {
            name: name.to_owned(),
        })
    }
}

/// What `pg_ctl status` says about a data directory.
#[derive(Debug, PartialEq, Eq)]
enum ServerState {
    Running,
    NotRunning,
}

/// A PostgreSQL server on 127.0.0.1 whose data lives in a directory we chose.
///
/// Invariant: when `owned` is true this value started the server and stops it exactly once, in
/// [`Cluster::stop`] or on drop; when false (the server was already running in that directory,
/// started by another process) it never stops it.
#[derive(Debug)]
pub struct Cluster {
    bin_dir: PathBuf,
    dir: PathBuf,
    data_dir: PathBuf,
    log_file: PathBuf,
    port: u16,
    run_as: RunAs,
    owned: bool,
    stopped: bool,
    /// [`Options::settings`], for every start of the server.
    settings: Vec<(String, String)>,
    /// [`Options::tls`].
    tls: Option<TlsOptions>,
    /// The CA that signed the server certificate, once made.
    ca: Option<CertificateAuthority>,
}

impl Cluster {
    /// Starts a cluster whose files live in `dir` (created if needed): data in `dir/data`, server
    /// log in `dir/postgres.log`.
    ///
    /// - A new (or half-initialised) data directory is created with `initdb`; with
    ///   [`Options::fresh`] an existing one is deleted first.
    /// - A `postmaster.pid` left by a crashed run is removed when `pg_ctl status` says no server
    ///   runs there.
    /// - If a server started by another process already runs there (say `cargo xtask dev` in
    ///   another terminal), this attaches to it and will not stop it.
    /// - As root, `dir` is given to the `postgres` OS user; if that user cannot reach it (a parent
    ///   directory such as `/root` is not traversable), the cluster lives in a directory under the
    ///   system temp dir instead: [`Cluster::dir`] says where.
    pub fn start(dir: &Path, options: Options) -> Result<Cluster> {
        let bin_dir = find_bin_dir()?;
        let run_as = RunAs::detect()?;
        let dir = prepare_dir(dir, &run_as)?;
        let mut cluster = Cluster {
            bin_dir,
            data_dir: dir.join("data"),
            log_file: dir.join("postgres.log"),
            dir,
            port: 0,
            run_as,
            owned: false,
            stopped: false,
            settings: options.settings,
            tls: options.tls,
            ca: None,
        };

        if cluster.data_dir.join("postmaster.pid").exists() {
            match cluster.status()? {
                ServerState::Running if options.fresh => {
                    return Err(Error::StillRunning {
                        data_dir: cluster.data_dir.clone(),
                        stop_command: describe(&cluster.pg_ctl(["stop", "-m", "fast"])),
                    });
                }
                ServerState::Running => {
                    if let Some(port) = cluster.running_port() {
                        cluster.port = port;
                        return Ok(cluster);
                    }
                    // A server in the middle of starting or stopping: fall through, and let
                    // pg_ctl report what it finds.
                }
                ServerState::NotRunning => {
                    let pid_file = cluster.data_dir.join("postmaster.pid");
                    fs::remove_file(&pid_file).map_err(io_error(format!(
                        "removing the stale {} of a server that is no longer running",
                        pid_file.display()
                    )))?;
                }
            }
        }

        if options.fresh {
            cluster.wipe()?;
        }
        if !cluster.data_dir.join("PG_VERSION").exists() {
            cluster.init()?;
        }
        cluster.write_hba()?;
        if cluster.tls.is_some() {
            cluster.make_certificates()?;
        }
        cluster.start_server()?;
        cluster.owned = true;
        Ok(cluster)
    }

    /// `postgres://postgres@127.0.0.1:PORT/<database>`.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/{database}", self.port)
    }

    /// With TLS, the URL of `database` that verifies the server like a careful client:
    /// [`Cluster::url`] plus `?sslmode=verify-full&sslrootcert=<CA file>`. `None` without TLS.
    pub fn tls_url(&self, database: &str) -> Option<String> {
        let ca = self.tls_ca_file()?;
        Some(format!(
            "{}?sslmode=verify-full&sslrootcert={}",
            self.url(database),
            percent_encode_path(ca)
        ))
    }

    /// The certificate authority (PEM) that signed the server certificate, when this value
    /// started the server with [`Options::tls`]: what clients pass as `sslrootcert`.
    pub fn tls_ca_file(&self) -> Option<&Path> {
        self.ca.as_ref().map(CertificateAuthority::cert_file)
    }

    /// The TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The directory holding `data/` and `postgres.log` (see [`Cluster::start`] for when it
    /// differs from the one asked for).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The PostgreSQL data directory (`PGDATA`).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The server log.
    pub fn log_file(&self) -> &Path {
        &self.log_file
    }

    /// Whether this value started the server (and so will stop it). False when it attached to a
    /// server another process had started in the same directory.
    pub fn is_owned(&self) -> bool {
        self.owned
    }

    /// Whether `database` exists.
    pub fn database_exists(&self, database: &str) -> Result<bool> {
        check_database_name(database)?;
        let output = self.psql(&format!(
            "SELECT 1 FROM pg_database WHERE datname = '{database}'"
        ))?;
        Ok(String::from_utf8_lossy(&output.stdout).trim() == "1")
    }

    /// Creates `database` (an error if it exists).
    pub fn create_database(&self, database: &str) -> Result<()> {
        check_database_name(database)?;
        self.psql(&format!("CREATE DATABASE \"{database}\""))?;
        Ok(())
    }

    /// Creates `database` unless it exists; returns whether it was created.
    pub fn ensure_database(&self, database: &str) -> Result<bool> {
        if self.database_exists(database)? {
            return Ok(false);
        }
        self.create_database(database)?;
        Ok(true)
    }

    /// Stops the server (`pg_ctl stop -m fast -w`) if this value started it, reporting failure.
    /// Dropping does the same but ignores errors.
    pub fn stop(mut self) -> Result<()> {
        self.stop_server()
    }

    fn stop_server(&mut self) -> Result<()> {
        if !self.owned || self.stopped {
            return Ok(());
        }
        self.stopped = true;
        if !self.data_dir.join("postmaster.pid").exists() {
            // Already gone (e.g. it received the terminal's Ctrl-C itself).
            return Ok(());
        }
        run_captured(&mut self.pg_ctl(["stop", "-m", "fast", "-w"]))?;
        Ok(())
    }

    /// `pg_ctl -D <data> <args>`, as the server user. Public for outage drills (`stop -m fast`,
    /// then `restart`, which reuses the options of the last start, port included); the value
    /// still stops the server on [`Cluster::stop`] or drop if it runs then.
    pub fn pg_ctl<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut command = self.run_as.command(&self.bin_dir.join("pg_ctl"));
        command.arg("-D").arg(&self.data_dir).args(args);
        // The server user may not be allowed into our working directory.
        command.current_dir(&self.dir);
        command
    }

    fn status(&self) -> Result<ServerState> {
        let mut command = self.pg_ctl(["status"]);
        command.stdin(Stdio::null());
        let output = command
            .output()
            .map_err(io_error(format!("running `{}`", describe(&command))))?;
        match output.status.code() {
            Some(0) => Ok(ServerState::Running),
            // 3: no server running; 4: no accessible data directory.
            Some(3) | Some(4) => Ok(ServerState::NotRunning),
            _ => Err(Error::Command {
                command: describe(&command),
                status: output.status.to_string(),
                output: combined_output(&output),
            }),
        }
    }

    fn running_port(&self) -> Option<u16> {
        let contents = fs::read_to_string(self.data_dir.join("postmaster.pid")).ok()?;
        parse_pid_file_port(&contents)
    }

    fn wipe(&self) -> Result<()> {
        if self.data_dir.exists() {
            fs::remove_dir_all(&self.data_dir)
                .map_err(io_error(format!("deleting {}", self.data_dir.display())))?;
        }
        if self.log_file.exists() {
            fs::remove_file(&self.log_file)
                .map_err(io_error(format!("deleting {}", self.log_file.display())))?;
        }
        Ok(())
    }

    fn init(&self) -> Result<()> {
        if self.data_dir.exists() {
            // Left by an initdb that was interrupted: start over.
            fs::remove_dir_all(&self.data_dir).map_err(io_error(format!(
                "deleting the half-initialised {}",
                self.data_dir.display()
            )))?;
        }
        let mut initdb = self.run_as.command(&self.bin_dir.join("initdb"));
        initdb
            .arg("-D")
            .arg(&self.data_dir)
            .args(["-U", SUPERUSER, "--auth=trust", "--encoding=UTF8"])
            // The C locale works with any encoding whatever the caller's LANG is, and sorts the
            // same on every machine.
            .arg("--locale=C")
            // Throwaway: nothing needs to survive a power cut.
            .arg("--no-sync")
            .current_dir(&self.dir);
        if let Err(error) = run_captured(&mut initdb) {
            let _ = fs::remove_dir_all(&self.data_dir);
            return Err(error);
        }
        Ok(())
    }

    /// Trust on loopback only, over TLS only when [`TlsOptions::tls_only`] asks for it. Written
    /// on every start, so a data directory reused with other options gets the right rules.
    fn write_hba(&self) -> Result<()> {
        let kind = match &self.tls {
            Some(tls) if tls.tls_only => "hostssl",
            _ => "host",
        };
        let mut rules = String::from(
            "# Written by equoria-pg-cluster on every start: trust on loopback only.\n",
        );
        for database in ["all", "replication"] {
            for address in ["127.0.0.1/32", "::1/128"] {
                rules.push_str(&format!("{kind} {database} all {address} trust\n"));
            }
        }
        let path = self.data_dir.join("pg_hba.conf");
        // Overwriting keeps the file's owner (the server user).
        fs::write(&path, rules).map_err(io_error(format!("writing {}", path.display())))
    }

    /// A new CA in `<dir>/tls` and a server certificate from it in the data directory, given to
    /// the server user.
    fn make_certificates(&mut self) -> Result<()> {
        let Some(tls) = &self.tls else {
            return Ok(());
        };
        let ca_dir = self.dir.join("tls");
        let ca = CertificateAuthority::generate(&ca_dir, "equoria-pg-cluster throwaway CA")?;
        let cert = self.data_dir.join(SERVER_CERT_FILE);
        let key = self.data_dir.join(SERVER_KEY_FILE);
        ca.issue_server_certificate(&tls.server_names, &cert, &key)?;
        for file in [&cert, &key] {
            self.run_as.hand_over(file)?;
        }
        self.ca = Some(ca);
        Ok(())
    }

    fn start_server(&mut self) -> Result<()> {
        let mut attempt = 1;
        loop {
            self.port = free_port().map_err(io_error("picking a free TCP port on 127.0.0.1"))?;
            let log_offset = fs::metadata(&self.log_file).map_or(0, |m| m.len());
            // fsync, synchronous_commit and full_page_writes are off: a crash may corrupt this
            // cluster, which is fine for throwaway development and test data, and it makes
            // creating a database per test several times faster.
            let mut server_options = format!(
                "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' \
                 -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
                 -c max_connections={MAX_CONNECTIONS}",
                self.port
            );
            if self.tls.is_some() {
                server_options.push_str(&format!(
                    " -c ssl=on -c ssl_cert_file={SERVER_CERT_FILE} \
                     -c ssl_key_file={SERVER_KEY_FILE}"
                ));
            }
            for (name, value) in &self.settings {
                server_options.push_str(&format!(" -c {name}='{value}'"));
            }
            let mut pg_ctl = self.pg_ctl(["start", "-w", "-t", "60"]);
            pg_ctl
                .arg("-l")
                .arg(&self.log_file)
                .arg("-o")
                .arg(server_options);
            pg_ctl.stdin(Stdio::null());
            let output = pg_ctl
                .output()
                .map_err(io_error(format!("running `{}`", describe(&pg_ctl))))?;
            if output.status.success() {
                return Ok(());
            }
            let new_log = read_from(&self.log_file, log_offset);
            let port_taken =
                new_log.contains("could not bind") || new_log.contains("already in use");
            if port_taken && attempt < START_ATTEMPTS {
                attempt += 1;
                continue;
            }
            return Err(Error::StartFailed {
                command: describe(&pg_ctl),
                status: output.status.to_string(),
                output: combined_output(&output),
                log: self.log_file.clone(),
                log_tail: tail_lines(&new_log, LOG_TAIL_LINES),
            });
        }
    }

    fn psql(&self, sql: &str) -> Result<Output> {
        let bundled = self.bin_dir.join("psql");
        let program = if is_executable(&bundled) {
            bundled
        } else {
            PathBuf::from("psql")
        };
        let mut psql = Command::new(program);
        psql.args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d"])
            .arg(self.url("postgres"))
            .arg("-c")
            .arg(sql);
        run_captured(&mut psql)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Errors cannot be reported from drop; `stop` is there for callers who want them.
        let _ = self.stop_server();
    }
}

/// Creates `requested` and makes sure the server user can write in it; falls back to a
/// directory under the system temp dir when it cannot (see [`Cluster::start`]).
fn prepare_dir(requested: &Path, run_as: &RunAs) -> Result<PathBuf> {
    fs::create_dir_all(requested).map_err(io_error(format!("creating {}", requested.display())))?;
    let dir = fs::canonicalize(requested)
        .map_err(io_error(format!("resolving {}", requested.display())))?;
    if let RunAs::CurrentUser = run_as {
        return Ok(dir);
    }

    run_as.hand_over(&dir)?;
    if let Some(parent) = dir.parent() {
        allow_traversal(parent)?;
    }
    if run_as.can_write(&dir) {
        return Ok(dir);
    }

    let fallback = std::env::temp_dir().join(format!("equoria-pg{}", sanitize(&dir)));
    fs::create_dir_all(&fallback).map_err(io_error(format!("creating {}", fallback.display())))?;
    fs::set_permissions(&fallback, fs::Permissions::from_mode(0o700))
        .map_err(io_error(format!("restricting {}", fallback.display())))?;
    run_as.hand_over(&fallback)?;
    if run_as.can_write(&fallback) {
        return Ok(fallback);
    }
    Err(Error::ServerUser {
        detail: format!(
            "it can write neither {} nor {}; make every parent directory traversable \
             (chmod o+x) or run as a normal user",
            dir.display(),
            fallback.display()
        ),
    })
}

/// Adds `o+x` to `dir` so the server user can pass through it (it cannot list or read it).
fn allow_traversal(dir: &Path) -> Result<()> {
    let meta = fs::metadata(dir).map_err(io_error(format!("inspecting {}", dir.display())))?;
    let mode = meta.permissions().mode();
    if mode & 0o001 == 0 && meta.uid() == 0 {
        fs::set_permissions(dir, fs::Permissions::from_mode(mode | 0o001)).map_err(io_error(
            format!("making {} traversable (chmod o+x)", dir.display()),
        ))?;
    }
    Ok(())
}

/// A path as a URL query value: every byte but unreserved characters and `/` percent-encoded.
fn percent_encode_path(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut encoded = String::new();
    for &byte in path.as_os_str().as_bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// `/srv/equoria/target/x` -> `-srv-equoria-target-x`: a file name that is unique per path.
fn sanitize(path: &Path) -> String {
    let text: OsString = path.as_os_str().to_owned();
    text.to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

#[cfg(test)]
mod tests;
