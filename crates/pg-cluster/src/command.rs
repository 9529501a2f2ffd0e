//! The one place where this crate makes and runs child processes (`initdb`, `pg_ctl`, `psql`,
//! `openssl`, `id`, `runuser`, `test`): every other module builds its command with [`program`]
//! and runs it with one of the functions below, so stdin is never inherited and failures read
//! the same everywhere. The crate is a library used by tests as well as by xtask, so it cannot
//! use xtask's shell; it spawns nothing in the background (`pg_ctl` detaches the server itself).

use std::ffi::OsStr;
use std::io;
use std::process::{Command, Output, Stdio};

use crate::error::{Error, Result, io_error};

/// A command for `program`, to be run by one of this module's functions.
pub(crate) fn program(program: impl AsRef<OsStr>) -> Command {
    Command::new(program)
}

/// Runs `command` with stdin closed and captures its output, whatever its exit status.
pub(crate) fn capture(command: &mut Command) -> io::Result<Output> {
    command.stdin(Stdio::null()).output()
}

/// [`capture`], with a failure to start it as [`Error::Io`].
pub(crate) fn output(command: &mut Command) -> Result<Output> {
    capture(command).map_err(io_error(format!("running `{}`", describe(command))))
}

/// Runs `command`, capturing its output; a non-zero exit becomes [`Error::Command`].
pub(crate) fn run_captured(command: &mut Command) -> Result<Output> {
    let output = output(command)?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(failed(command, &output))
    }
}

/// Whether `command` (all output discarded) ran and exited with 0.
pub(crate) fn succeeds(command: &mut Command) -> bool {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// [`Error::Command`] for `command`, which exited as `output` says.
pub(crate) fn failed(command: &Command, output: &Output) -> Error {
    Error::Command {
        command: describe(command),
        status: output.status.to_string(),
        output: combined_output(output),
    }
}

/// Stdout then stderr, as text.
pub(crate) fn combined_output(output: &Output) -> String {
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    text
}

/// A command line for messages that can be pasted into a shell: arguments with characters a
/// shell would interpret are single-quoted.
pub(crate) fn describe(command: &Command) -> String {
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
