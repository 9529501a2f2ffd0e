//! The one harness that runs our server for a task (staging, compat, bench, drill, fuzz,
//! blue-green, image): the binary's command line with its environment ([`command`]), started in
//! the background with its output in a log ([`Server::start`]), ready once GET /health answers
//! ([`Ready`]), stopped with SIGTERM ([`Server::stop`], [`Server::stop_cleanly`]); a failure
//! quotes the end of the log ([`with_log_tail`]). A server still running when its [`Server`]
//! drops is stopped (see [`Background`]).

use std::ffi::OsStr;
use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use xshell::Cmd;

use crate::dev::{Profile, build_server};
use crate::process::Background;
use crate::{Ctx, db, http, say};

/// How long a server may take until GET /health answers as [`Ready`] asks.
pub(crate) const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// Lines of the server log quoted in a failure.
const LOG_TAIL_LINES: usize = 40;

/// The release build of the server, or the binary named by EQUORIA_SERVER_BIN (to measure a
/// build you already have, or while the workspace does not compile).
pub(crate) fn release_binary(ctx: &Ctx) -> anyhow::Result<PathBuf> {
    match db::env_var("EQUORIA_SERVER_BIN") {
        Some(bin) => {
            say!("using the server binary {bin} (EQUORIA_SERVER_BIN); nothing is built");
            Ok(PathBuf::from(bin))
        }
        None => build_server(ctx, Profile::Release),
    }
}

/// `bin args...` as our tasks run the server binary: the caller's environment without APP_ENV
/// (an alias of NODE_ENV, which a value left in the caller's shell must not override), then
/// `env`, then the `database` (see [`db::Database::apply`]).
pub(crate) fn command<'a, I, K, V>(
    ctx: &'a Ctx,
    bin: &Path,
    args: &[&str],
    env: I,
    database: &db::Database,
) -> Cmd<'a>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<OsStr>,
    V: AsRef<OsStr>,
{
    database.apply(ctx.sh.cmd(bin).args(args).env_remove("APP_ENV").envs(env))
}

/// 48 random bytes from /dev/urandom as 96 hex characters (a JWT secret).
pub(crate) fn random_secret() -> anyhow::Result<String> {
    let mut bytes = [0u8; 48];
    File::open("/dev/urandom")
        .and_then(|mut urandom| urandom.read_exact(&mut bytes))
        .context("reading /dev/urandom for a JWT secret")?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

/// What GET /health must answer before a server counts as ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ready {
    /// Status 200.
    Ok,
    /// Status 200 with `"database": "connected"` in the body (a gate before traffic).
    DatabaseConnected,
}

impl Ready {
    fn what(self) -> &'static str {
        match self {
            Ready::Ok => "200",
            Ready::DatabaseConnected => "200 with the database connected",
        }
    }

    /// Whether `response` is ready; else what it was instead.
    fn judge(self, response: &http::Response) -> Result<(), String> {
        if response.status != 200 {
            return Err(format!("status {}: {}", response.status, response.body));
        }
        if self == Ready::DatabaseConnected {
            let json: serde_json::Value = serde_json::from_str(&response.body).unwrap_or_default();
            if json["database"] != "connected" {
                return Err(format!("200 without database connected: {}", response.body));
            }
        }
        Ok(())
    }
}

/// A server of ours (or anything answering GET /health) running in the background on
/// 127.0.0.1:`port`, with its output in a log file.
#[derive(Debug)]
pub(crate) struct Server {
    process: Background,
    name: String,
    port: u16,
    log: PathBuf,
}

impl Server {
    /// Starts `cmd` with its output in `log` and waits until it is `ready`; on failure it is
    /// stopped and the error quotes the end of the log.
    pub(crate) fn start(
        ctx: &Ctx,
        name: &str,
        cmd: Cmd<'_>,
        port: u16,
        log: &Path,
        ready: Ready,
    ) -> anyhow::Result<Server> {
        let mut server = Server::spawn(ctx, name, cmd, port, log)?;
        match server.wait_until_ready(ctx, ready) {
            Ok(()) => Ok(server),
            Err(error) => {
                drop(server);
                Err(with_log_tail(ctx, log, &error))
            }
        }
    }

    /// Starts `cmd` with its output in `log`, without waiting for it.
    pub(crate) fn spawn(
        ctx: &Ctx,
        name: &str,
        cmd: Cmd<'_>,
        port: u16,
        log: &Path,
    ) -> anyhow::Result<Server> {
        let process = ctx.spawn_logged(cmd, log)?;
        Ok(Server {
            process,
            name: name.to_owned(),
            port,
            log: log.to_path_buf(),
        })
    }

    /// The port on 127.0.0.1.
    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// The process id.
    pub(crate) fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// The log file.
    pub(crate) fn log(&self) -> &Path {
        &self.log
    }

    /// `Some(status)` once the process has exited.
    pub(crate) fn exited(&mut self) -> anyhow::Result<Option<ExitStatus>> {
        self.process.exited()
    }

    /// Polls GET /health until it is `ready` (fails if the process exits or
    /// [`READY_TIMEOUT`] passes).
    pub(crate) fn wait_until_ready(&mut self, ctx: &Ctx, ready: Ready) -> anyhow::Result<()> {
        let name = &self.name;
        say!(
            "waiting up to {} s for GET /health of {name} to answer {}",
            READY_TIMEOUT.as_secs(),
            ready.what()
        );
        let started = Instant::now();
        let mut last = String::from("no attempt made");
        while started.elapsed() < READY_TIMEOUT {
            ctx.check_interrupted()?;
            if let Some(status) = self.process.exited()? {
                bail!(
                    "{name} exited ({status}) before GET /health answered {}",
                    ready.what()
                );
            }
            match http::get(self.port, "/health", Duration::from_secs(2)) {
                Ok(response) => match ready.judge(&response) {
                    Ok(()) => {
                        say!(
                            "{name} ready after {:.1} s: GET /health answered {}",
                            started.elapsed().as_secs_f64(),
                            ready.what()
                        );
                        return Ok(());
                    }
                    Err(instead) => last = instead,
                },
                Err(error) => last = format!("{error:#}"),
            }
            thread::sleep(Duration::from_millis(250));
        }
        bail!(
            "GET /health of {name} did not answer {} within {} s (last attempt: {last})",
            ready.what(),
            READY_TIMEOUT.as_secs()
        )
    }

    /// Sends SIGTERM.
    pub(crate) fn terminate(&self) -> anyhow::Result<()> {
        self.process.terminate()
    }

    /// Waits up to `timeout` for the process to exit: how it exited, `None` if it still runs.
    pub(crate) fn wait_for_exit(
        &mut self,
        timeout: Duration,
    ) -> anyhow::Result<Option<ExitStatus>> {
        self.process.wait_for_exit(timeout)
    }

    /// Sends SIGTERM and waits up to `timeout`: how it exited, `None` if it still runs.
    pub(crate) fn stop(&mut self, timeout: Duration) -> anyhow::Result<Option<ExitStatus>> {
        self.process.terminate()?;
        self.process.wait_for_exit(timeout)
    }

    /// Sends SIGTERM and requires exit code 0 within `timeout` (a graceful shutdown).
    pub(crate) fn stop_cleanly(&mut self, ctx: &Ctx, timeout: Duration) -> anyhow::Result<()> {
        ctx.check_interrupted()?;
        let name = &self.name;
        say!(
            "sending SIGTERM to {name} (pid {}); it must exit with 0 within {} s",
            self.process.pid(),
            timeout.as_secs()
        );
        let sent = Instant::now();
        self.process.terminate()?;
        match self.process.wait_for_exit(timeout)? {
            Some(status) if status.success() => {
                say!(
                    "{name} exited with 0, {:.2} s after SIGTERM",
                    sent.elapsed().as_secs_f64()
                );
                Ok(())
            }
            Some(status) => {
                bail!("after SIGTERM {name} exited with {status}, expected exit code 0")
            }
            None => bail!(
                "{name} was still running {} s after SIGTERM (graceful shutdown must finish sooner)",
                timeout.as_secs()
            ),
        }
    }
}

/// `error`, then the end of the server log `log`.
pub(crate) fn with_log_tail(ctx: &Ctx, log: &Path, error: &anyhow::Error) -> anyhow::Error {
    anyhow!(
        "{error:#}\n--- end of {} ---\n{}",
        ctx.show(log),
        log_tail(log)
    )
}

/// The last lines of `log`, or why there are none.
pub(crate) fn log_tail(log: &Path) -> String {
    match fs::read(log) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let lines: Vec<&str> = text.lines().collect();
            let tail = lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n");
            if tail.trim().is_empty() {
                "(empty)".to_owned()
            } else {
                tail
            }
        }
        Err(error) => format!("(could not read it: {error})"),
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]

    use super::*;

    fn response(status: u16, body: &str) -> http::Response {
        http::Response {
            status,
            headers: Vec::new(),
            body: body.to_owned(),
        }
    }

    #[test]
    fn secrets_are_long_hex_and_differ() {
        let first = random_secret().unwrap();
        let second = random_secret().unwrap();

        assert_eq!(first.len(), 96);
        assert!(first.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(first, second);
    }

    #[test]
    fn readiness_with_the_database_needs_it_connected() {
        let up = response(200, r#"{"status":"ok","database":"connected"}"#);
        let down = response(200, r#"{"status":"ok","database":"disconnected"}"#);

        assert!(Ready::Ok.judge(&down).is_ok());
        assert!(Ready::DatabaseConnected.judge(&up).is_ok());
        assert!(Ready::DatabaseConnected.judge(&down).is_err());
        assert!(Ready::Ok.judge(&response(503, "draining")).is_err());
    }

    #[test]
    fn the_log_tail_keeps_the_last_lines() {
        let dir = std::env::temp_dir().join(format!("xtask-log-tail-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let log = dir.join("server.log");
        let text: String = (1..=50).map(|n| format!("line {n}\n")).collect();
        fs::write(&log, text).unwrap();

        let tail = log_tail(&log);
        let missing = log_tail(&dir.join("missing.log"));
        fs::remove_dir_all(&dir).unwrap();

        assert!(
            tail.starts_with("line 11\n") && tail.ends_with("line 50"),
            "{tail}"
        );
        assert!(missing.starts_with("(could not read it:"), "{missing}");
    }
}
