//! Running child processes so that xtask outlives Ctrl-C / SIGTERM long enough to clean up.
//!
//! SIGINT, SIGTERM and SIGHUP no longer kill xtask: they are passed on to the child it is
//! waiting for (a terminal's Ctrl-C reaches that child directly too; a second SIGINT does no
//! harm), the child exits, the task returns an error, and the `Drop` of any cluster stops it.

use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use xshell::{Cmd, cmd};

use crate::{Ctx, say};

/// A signal xtask received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signal(i32);

impl Signal {
    /// The name `kill -<NAME>` understands.
    pub fn name(self) -> &'static str {
        match self.0 {
            SIGINT => "INT",
            SIGTERM => "TERM",
            SIGHUP => "HUP",
            _ => "TERM",
        }
    }

    pub fn number(self) -> u8 {
        u8::try_from(self.0).unwrap_or(15)
    }
}

#[derive(Debug, Default)]
struct Shared {
    /// The child we are waiting for; signals are forwarded to it.
    child: Mutex<Option<u32>>,
    /// The last signal received, 0 for none.
    received: AtomicI32,
}

/// Signal forwarding, installed once per process.
#[derive(Debug, Clone)]
pub struct Signals {
    shared: Arc<Shared>,
}

impl Signals {
    pub fn install() -> anyhow::Result<Signals> {
        let shared = Arc::new(Shared::default());
        let mut incoming = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])
            .context("installing the signal handlers")?;
        let forward_to = Arc::clone(&shared);
        thread::spawn(move || {
            for number in incoming.forever() {
                let signal = Signal(number);
                forward_to.received.store(number, Ordering::SeqCst);
                let child = *lock(&forward_to.child);
                match child {
                    Some(pid) => {
                        say!(
                            "received SIG{}: passing it on to process {pid}, then cleaning up",
                            signal.name()
                        );
                        // `kill` may race with the child exiting on its own: nothing to report.
                        let _ = Command::new("kill")
                            .arg(format!("-{}", signal.name()))
                            .arg(pid.to_string())
                            .stderr(Stdio::null())
                            .status();
                    }
                    None => say!("received SIG{}: stopping after this step", signal.name()),
                }
            }
        });
        Ok(Signals { shared })
    }

    /// The last signal received, if any: a task should stop starting new work.
    pub fn received(&self) -> Option<Signal> {
        match self.shared.received.load(Ordering::SeqCst) {
            0 => None,
            number => Some(Signal(number)),
        }
    }

    fn track(&self, pid: u32) {
        *lock(&self.shared.child) = Some(pid);
    }

    fn untrack(&self, pid: u32) {
        let mut child = lock(&self.shared.child);
        if *child == Some(pid) {
            *child = None;
        }
    }
}

fn lock(mutex: &Mutex<Option<u32>>) -> MutexGuard<'_, Option<u32>> {
    // The guarded value is a plain pid: a panic elsewhere cannot leave it inconsistent.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Makes sure each `(program, Debian package)` is there (a program on PATH, or an absolute file
/// path), installing the missing packages with
/// apt-get in one go (xtask runs as root on the development machines and in CI; elsewhere the
/// error says what to install). The package lists are refreshed only when the first attempt
/// fails.
pub fn ensure_programs(ctx: &Ctx, wanted: &[(&str, &str)]) -> anyhow::Result<()> {
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|(program, _)| !crate::bench::on_path(program))
        .map(|(_, package)| *package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let list = missing.join(" ");
    say!("installing the missing Debian packages: {list}");
    let sh = &ctx.sh;
    let packages = &missing;
    let install = || {
        ctx.run(cmd!(
            sh,
            "apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends {packages...}"
        ))
    };
    install()
        .or_else(|_| {
            ctx.run(cmd!(sh, "apt-get -o DPkg::Lock::Timeout=600 update"))?;
            install()
        })
        .with_context(|| {
            format!("installing {list} failed: install it yourself (`apt-get install {list}`)")
        })
}

impl Ctx {
    /// Fails if a signal arrived: the caller should not start anything new.
    pub fn check_interrupted(&self) -> anyhow::Result<()> {
        match self.signals.received() {
            Some(signal) => bail!("interrupted by SIG{}", signal.name()),
            None => Ok(()),
        }
    }

    /// Runs `cmd` in the foreground (output inherited) and fails unless it exits with 0.
    pub fn run(&self, cmd: Cmd<'_>) -> anyhow::Result<()> {
        let shown = cmd.to_string();
        let status = self.status(cmd)?;
        self.check_interrupted()?;
        if !status.success() {
            bail!("`{shown}` failed ({status})");
        }
        Ok(())
    }

    /// Runs `cmd` in the foreground and returns how it exited.
    pub fn status(&self, cmd: Cmd<'_>) -> anyhow::Result<ExitStatus> {
        self.check_interrupted()?;
        eprintln!("$ {cmd}");
        let shown = cmd.to_string();
        let mut command = Command::from(cmd);
        let mut child = command
            .spawn()
            .with_context(|| format!("could not start `{shown}`"))?;
        self.signals.track(child.id());
        let status = child.wait();
        self.signals.untrack(child.id());
        status.with_context(|| format!("waiting for `{shown}`"))
    }

    /// Starts `cmd` in the background with stdout and stderr appended to `log`.
    pub fn spawn_logged(&self, cmd: Cmd<'_>, log: &Path) -> anyhow::Result<Background> {
        self.check_interrupted()?;
        eprintln!("$ {cmd} >{} 2>&1 &", self.show(log));
        let shown = cmd.to_string();
        let out = File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let err = out
            .try_clone()
            .with_context(|| format!("opening {} twice", log.display()))?;
        let mut command = Command::from(cmd);
        command
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err));
        let child = command
            .spawn()
            .with_context(|| format!("could not start `{shown}`"))?;
        self.signals.track(child.id());
        Ok(Background {
            child,
            signals: self.signals.clone(),
            shown,
        })
    }
}

/// A background child; dropping it while it still runs sends SIGTERM, then SIGKILL after 10 s.
#[derive(Debug)]
pub struct Background {
    child: Child,
    signals: Signals,
    shown: String,
}

impl Background {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `Some(status)` once it has exited.
    pub fn exited(&mut self) -> anyhow::Result<Option<ExitStatus>> {
        self.child
            .try_wait()
            .with_context(|| format!("checking on `{}`", self.shown))
    }

    /// Sends SIGTERM (through the `kill` command: std has no signals).
    pub fn terminate(&self) -> anyhow::Result<()> {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status()
            .context("running `kill -TERM`")?;
        if !status.success() {
            bail!("`kill -TERM {}` failed ({status})", self.pid());
        }
        Ok(())
    }

    /// Waits up to `timeout` for the child to exit.
    pub fn wait_for_exit(&mut self, timeout: Duration) -> anyhow::Result<Option<ExitStatus>> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.exited()? {
                return Ok(Some(status));
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.signals.untrack(self.child.id());
        if matches!(self.child.try_wait(), Ok(None)) {
            say!(
                "stopping `{}` (pid {}) left running",
                self.shown,
                self.pid()
            );
            let stopped = self.terminate().is_ok()
                && matches!(self.wait_for_exit(Duration::from_secs(10)), Ok(Some(_)));
            if !stopped {
                let _ = self.child.kill();
                let _ = self.child.wait();
            }
        }
    }
}
