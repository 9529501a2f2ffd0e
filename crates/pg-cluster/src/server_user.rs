//! Which OS user runs the server-side commands, and the cluster directory that user must be
//! able to write.
//!
//! `initdb`, `pg_ctl` and `postgres` refuse to run as root, so when the effective user is root
//! they run as the OS user `postgres` (`runuser -u postgres -- ...`) and the cluster directory
//! is handed to that user.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::SUPERUSER;
use crate::command;
use crate::error::{Error, Result, io_error};

/// Who runs the server-side commands.
#[derive(Debug, Clone)]
pub(crate) enum RunAs {
    /// We are not root: run them directly.
    CurrentUser,
    /// We are root: run them through `runuser` as this user.
    User { name: String, uid: u32, gid: u32 },
}

impl RunAs {
    pub(crate) fn detect() -> Result<RunAs> {
        if effective_uid()? != 0 {
            return Ok(RunAs::CurrentUser);
        }
        let id =
            |flag: &str| -> Result<u32> {
                let output = command::capture(command::program("id").args([flag, SUPERUSER]))
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
    pub(crate) fn command(&self, program: &Path) -> Command {
        match self {
            RunAs::CurrentUser => command::program(program),
            RunAs::User { name, .. } => {
                let mut runuser = command::program("runuser");
                runuser.args(["-u", name, "--"]).arg(program);
                runuser
            }
        }
    }

    /// Gives `path` to the server user (no-op when we are that user already).
    pub(crate) fn hand_over(&self, path: &Path) -> Result<()> {
        if let RunAs::User { uid, gid, name } = self {
            std::os::unix::fs::chown(path, Some(*uid), Some(*gid)).map_err(io_error(format!(
                "giving {} to the OS user {name}",
                path.display()
            )))?;
        }
        Ok(())
    }

    /// Whether the server user can create files in `dir` (every ancestor must be traversable).
    pub(crate) fn can_write(&self, dir: &Path) -> bool {
        match self {
            RunAs::CurrentUser => true,
            RunAs::User { .. } => {
                let mut test = self.command(Path::new("test"));
                test.arg("-w").arg(dir).arg("-a").arg("-x").arg(dir);
                command::succeeds(&mut test)
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
    let output = command::capture(command::program("id").arg("-u"))
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
pub(crate) fn parse_effective_uid(proc_status: &str) -> Option<u32> {
    let line = proc_status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

/// Creates `requested` and makes sure the server user can write in it; falls back to a
/// directory under the system temp dir when it cannot (see [`Cluster::start`](crate::Cluster::start)).
pub(crate) fn prepare_dir(requested: &Path, run_as: &RunAs) -> Result<PathBuf> {
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

/// `/srv/equoria/target/x` -> `-srv-equoria-target-x`: a file name that is unique per path.
pub(crate) fn sanitize(path: &Path) -> String {
    let text: OsString = path.as_os_str().to_owned();
    text.to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}
