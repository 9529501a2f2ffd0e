//! The crate's error type: every message says what was attempted and, where a command failed,
//! its output.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::SUPERUSER;
use crate::binaries::DEBIAN_VERSIONS_ROOT;

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

/// Turns an I/O error into [`Error::Io`] saying what was being done.
pub(crate) fn io_error(action: impl Into<String>) -> impl FnOnce(io::Error) -> Error {
    let action = action.into();
    move |source| Error::Io { action, source }
}

/// Command output or a log excerpt, one indented line each, for error messages.
pub(crate) fn indented_output(output: &str) -> String {
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
