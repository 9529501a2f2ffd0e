//! A cluster's life: data directory, first start, reuse of a running server, stop.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::SUPERUSER;
use crate::binaries::find_bin_dir;
use crate::command::{self, describe, run_captured};
use crate::config::{
    self, Options, SERVER_CERT_FILE, SERVER_KEY_FILE, TlsOptions, parse_pid_file_port,
};
use crate::error::{Error, Result, io_error};
use crate::ports::free_port;
use crate::server_user::{RunAs, prepare_dir};
use crate::tls::CertificateAuthority;

/// How often a start is retried when the free port we picked was taken before the server bound it.
const START_ATTEMPTS: u32 = 3;

/// Lines of `postgres.log` quoted in a start failure.
const LOG_TAIL_LINES: usize = 25;

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

    /// The directory of the server programs, where a `psql` of the same version usually is.
    pub(crate) fn bin_dir(&self) -> &Path {
        &self.bin_dir
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
        let output = command::output(&mut command)?;
        match output.status.code() {
            Some(0) => Ok(ServerState::Running),
            // 3: no server running; 4: no accessible data directory.
            Some(3) | Some(4) => Ok(ServerState::NotRunning),
            _ => Err(command::failed(&command, &output)),
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
        let rules = config::hba_rules(self.tls.as_ref());
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
            let server_options =
                config::server_options(self.port, self.tls.is_some(), &self.settings);
            let mut pg_ctl = self.pg_ctl(["start", "-w", "-t", "60"]);
            pg_ctl
                .arg("-l")
                .arg(&self.log_file)
                .arg("-o")
                .arg(server_options);
            let output = command::output(&mut pg_ctl)?;
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
                output: command::combined_output(&output),
                log: self.log_file.clone(),
                log_tail: tail_lines(&new_log, LOG_TAIL_LINES),
            });
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Errors cannot be reported from drop; `stop` is there for callers who want them.
        let _ = self.stop_server();
    }
}

/// The last `n` lines of `text`.
pub(crate) fn tail_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// The part of a file written after byte `offset` (the whole file if it shrank).
pub(crate) fn read_from(path: &Path, offset: u64) -> String {
    let Ok(bytes) = fs::read(path) else {
        return String::new();
    };
    let start = usize::try_from(offset)
        .ok()
        .filter(|&start| start <= bytes.len())
        .unwrap_or(0);
    String::from_utf8_lossy(&bytes[start..]).into_owned()
}

/// A path as a URL query value: every byte but unreserved characters and `/` percent-encoded.
pub(crate) fn percent_encode_path(path: &Path) -> String {
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
