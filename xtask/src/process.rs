//! Running child processes so that xtask outlives Ctrl-C / SIGTERM long enough to clean up.
//!
//! Every child process of xtask is a [`Cmd`] of the task's one [`xshell::Shell`] (`ctx.sh`), so
//! it gets that shell's working directory and environment. Short queries may run through
//! xshell itself (`cmd.read()`); everything else runs here, echoed as `$ ...`: in the
//! foreground with [`Ctx::run`] / [`Ctx::status`] / [`Ctx::output`] (the signal target while it
//! runs), in the background with [`Ctx::spawn_logged`] / [`Ctx::spawn`] (servers, nginx, wrk,
//! perf), which return a [`Background`] that is stopped when dropped. A
//! `std::process::Command` made by a library (pg-cluster's `pg_ctl`) is first turned into a
//! shell command with [`Ctx::adopt`]. The only processes this module starts on its own are the
//! `kill` commands that deliver signals; no other module builds a `std::process::Command`.
//!
//! SIGINT, SIGTERM and SIGHUP no longer kill xtask: they are passed on to the child it is
//! waiting for (a terminal's Ctrl-C reaches that child directly too; a second SIGINT does no
//! harm), the child exits, the task returns an error, and the `Drop` of any cluster stops it.

use std::fs::File;
use std::io::{BufRead as _, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use xshell::{Cmd, PushDir, cmd};

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

/// Whether `program` is a file in one of PATH's directories.
pub(crate) fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// Makes sure each `(program, Debian package)` is there (a program on PATH, or an absolute file
/// path), installing the missing packages with
/// apt-get in one go (xtask runs as root on the development machines and in CI; elsewhere the
/// error says what to install). The package lists are refreshed only when the first attempt
/// fails.
pub(crate) fn ensure_programs(ctx: &Ctx, wanted: &[(&str, &str)]) -> anyhow::Result<()> {
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|(program, _)| !on_path(program))
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
        crate::progress::eprint_line(format_args!("$ {cmd}"));
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

    /// Runs `cmd` in the foreground with its stdout read line by line by `on_line` as it comes
    /// (stderr inherited), and fails unless it exits with 0.
    pub fn run_lines(&self, cmd: Cmd<'_>, mut on_line: impl FnMut(&str)) -> anyhow::Result<()> {
        self.check_interrupted()?;
        crate::progress::eprint_line(format_args!("$ {cmd}"));
        let shown = cmd.to_string();
        let mut command = Command::from(cmd);
        command.stdin(Stdio::null()).stdout(Stdio::piped());
        let mut child = command
            .spawn()
            .with_context(|| format!("could not start `{shown}`"))?;
        self.signals.track(child.id());
        if let Some(stdout) = child.stdout.take() {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                on_line(&line);
            }
        }
        let status = child.wait();
        self.signals.untrack(child.id());
        let status = status.with_context(|| format!("waiting for `{shown}`"))?;
        self.check_interrupted()?;
        if !status.success() {
            bail!("`{shown}` failed ({status})");
        }
        Ok(())
    }

    /// Runs `cmd` with stdin closed and its output captured, echoed first, and returns how it
    /// exited whatever the status.
    pub fn output(&self, cmd: Cmd<'_>) -> anyhow::Result<Output> {
        self.check_interrupted()?;
        crate::progress::eprint_line(format_args!("$ {cmd}"));
        self.capture(cmd)
    }

    /// [`Ctx::output`] without the echo, for queries whose result is printed instead.
    pub fn output_quiet(&self, cmd: Cmd<'_>) -> anyhow::Result<Output> {
        self.check_interrupted()?;
        self.capture(cmd)
    }

    fn capture(&self, cmd: Cmd<'_>) -> anyhow::Result<Output> {
        let shown = cmd.to_string();
        let mut command = Command::from(cmd);
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let child = command
            .spawn()
            .with_context(|| format!("could not start `{shown}`"))?;
        let pid = child.id();
        self.signals.track(pid);
        let output = child.wait_with_output();
        self.signals.untrack(pid);
        output.with_context(|| format!("waiting for `{shown}`"))
    }

    /// Starts `cmd` in the background with stdout and stderr appended to `log`; it becomes the
    /// child that signals are passed on to.
    pub fn spawn_logged(&self, cmd: Cmd<'_>, log: &Path) -> anyhow::Result<Background> {
        self.check_interrupted()?;
        crate::progress::eprint_line(format_args!("$ {cmd} >{} 2>&1 &", self.show(log)));
        let out = File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let err = out
            .try_clone()
            .with_context(|| format!("opening {} twice", log.display()))?;
        let background = self.start(cmd, Stdio::from(out), Stdio::from(err))?;
        self.signals.track(background.pid());
        Ok(background)
    }

    /// Starts `cmd` in the background with stdin closed and its output as `output` says,
    /// echoed unless `echo` is false (the caller shows it its own way).
    pub fn spawn(
        &self,
        cmd: Cmd<'_>,
        output: ChildOutput,
        echo: bool,
    ) -> anyhow::Result<Background> {
        self.check_interrupted()?;
        if echo {
            crate::progress::eprint_line(format_args!("$ {cmd} &"));
        }
        let (stdout, stderr) = match output {
            ChildOutput::Captured => (Stdio::piped(), Stdio::piped()),
            ChildOutput::ErrorsOnly => (Stdio::null(), Stdio::inherit()),
            ChildOutput::Discarded => (Stdio::null(), Stdio::null()),
        };
        self.start(cmd, stdout, stderr)
    }

    fn start(&self, cmd: Cmd<'_>, stdout: Stdio, stderr: Stdio) -> anyhow::Result<Background> {
        let shown = cmd.to_string();
        let mut command = Command::from(cmd);
        command.stdin(Stdio::null()).stdout(stdout).stderr(stderr);
        let child = command
            .spawn()
            .with_context(|| format!("could not start `{shown}`"))?;
        Ok(Background {
            child,
            signals: self.signals.clone(),
            shown,
        })
    }

    /// A command that a library built (pg-cluster's `pg_ctl`) as a command of the shell: the
    /// same program, arguments and environment changes. Its working directory, when it has
    /// one, becomes the shell's until the returned guard drops.
    pub fn adopt<'a>(&'a self, command: &Command) -> (Cmd<'a>, Option<PushDir<'a>>) {
        let mut cmd = self.sh.cmd(command.get_program()).args(command.get_args());
        for (key, value) in command.get_envs() {
            cmd = match value {
                Some(value) => cmd.env(key, value),
                None => cmd.env_remove(key),
            };
        }
        let dir = command.get_current_dir().map(|dir| self.sh.push_dir(dir));
        (cmd, dir)
    }
}

/// Where a background child's stdout and stderr go (see [`Ctx::spawn`]).
#[derive(Debug, Clone, Copy)]
pub enum ChildOutput {
    /// Both piped, for [`Background::wait_with_output`].
    Captured,
    /// Stdout discarded, stderr to ours.
    ErrorsOnly,
    /// Both discarded.
    Discarded,
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

    /// Waits for the child to exit and collects what it wrote to its pipes (empty for an
    /// output that was not [`ChildOutput::Captured`]).
    pub fn wait_with_output(mut self) -> anyhow::Result<Output> {
        let stdout = self.child.stdout.take();
        let stderr = self.child.stderr.take();
        let errors = thread::spawn(move || read_all(stderr));
        let stdout = read_all(stdout);
        let status = self
            .child
            .wait()
            .with_context(|| format!("waiting for `{}`", self.shown))?;
        let stderr = errors.join().unwrap_or_default();
        Ok(Output {
            status,
            stdout,
            stderr,
        })
    }

    /// Waits for the child to exit, however long it takes.
    pub fn wait(&mut self) -> anyhow::Result<ExitStatus> {
        self.child
            .wait()
            .with_context(|| format!("waiting for `{}`", self.shown))
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

/// Everything `pipe` yields until it closes (nothing when there is no pipe or it fails).
fn read_all(pipe: Option<impl Read>) -> Vec<u8> {
    let mut bytes = Vec::new();
    if let Some(mut pipe) = pipe {
        let _ = pipe.read_to_end(&mut bytes);
    }
    bytes
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
