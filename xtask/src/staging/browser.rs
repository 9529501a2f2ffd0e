//! The staging step's browser test: `tests/browser/api-docs.mjs` drives `GET /api/docs` of the
//! staging server in headless Chromium through playwright-core (the page renders, lists every
//! operation of `/api/openapi.json`, and a "try it" call of `GET /ping` gets 200).
//!
//! Debian's chromium, Node.js and npm are installed with apt-get when missing, and
//! playwright-core with `npm ci` from the committed lock file (never a browser download of its
//! own). The run is bounded: the script stops itself after 90 s, and `timeout` kills it 30 s
//! later if it did not.

use std::fs;
use std::path::Path;

use anyhow::Context as _;
use xshell::cmd;

use crate::{Ctx, process, say};

/// The browser tests' npm package, relative to the workspace root.
const PACKAGE_DIR: &str = "tests/browser";
const SCRIPT: &str = "api-docs.mjs";
/// Written at every run; `docs/images/api-docs.png` is a copy of one.
const SCREENSHOT: &str = "equoria-api-docs.png";
/// Upper bound of one run, above the script's own 90 s watchdog.
const TIME_LIMIT_SECS: &str = "120";
const CHROMIUM: &str = "/usr/bin/chromium";

/// Runs the API reference test against the server on 127.0.0.1:`port`.
pub(super) fn api_docs(ctx: &Ctx, port: u16) -> anyhow::Result<()> {
    process::ensure_programs(
        ctx,
        &[(CHROMIUM, "chromium"), ("node", "nodejs"), ("npm", "npm")],
    )?;
    let package = ctx.root.join(PACKAGE_DIR);
    install_driver(ctx, &package)?;

    let sh = &ctx.sh;
    let script = package.join(SCRIPT);
    let screenshot = ctx.target_dir.join(SCREENSHOT);
    let base_url = format!("http://127.0.0.1:{port}");
    say!("driving {base_url}/api/docs in headless Chromium");
    ctx.run(
        cmd!(
            sh,
            "timeout --kill-after=10 {TIME_LIMIT_SECS} node {script} {screenshot}"
        )
        .env("EQUORIA_BASE_URL", &base_url)
        .env("CHROMIUM", CHROMIUM),
    )
    .context("the API reference failed in the browser (see the FAIL lines above)")?;
    say!(
        "screenshot of the API reference in {}",
        ctx.show(&screenshot)
    );
    Ok(())
}

/// `npm ci` in `package` unless its node_modules was installed from the current lock file.
fn install_driver(ctx: &Ctx, package: &Path) -> anyhow::Result<()> {
    if installed_from_current_lock(package) {
        return Ok(());
    }
    say!(
        "installing the browser test's driver (playwright-core) from {}/package-lock.json",
        PACKAGE_DIR
    );
    let sh = &ctx.sh;
    ctx.run(cmd!(
        sh,
        "npm ci --prefix {package} --no-audit --no-fund --ignore-scripts"
    ))
    .context("`npm ci` of the browser tests failed (it needs the npm registry once)")
}

/// npm writes `node_modules/.package-lock.json` at each install: newer than the lock file
/// means installed from it.
fn installed_from_current_lock(package: &Path) -> bool {
    let modified = |path: &Path| fs::metadata(path).and_then(|meta| meta.modified()).ok();
    match (
        modified(&package.join("node_modules/.package-lock.json")),
        modified(&package.join("package-lock.json")),
    ) {
        (Some(installed), Some(lock)) => installed >= lock,
        _ => false,
    }
}
