//! The blue-green compatibility step of `cargo xtask verify`: the previous commit's binary must
//! still serve on the schema the current commit's migrations produce.
//!
//! During a blue-green (or rolling) deploy the old version keeps serving while the new one
//! migrates the shared database, so every migration must be backward compatible with the code
//! of the commit before it. This step proves it at every merge:
//!
//! 1. the previous commit is `HEAD~1`, the first parent: on the main branch, after a merge, the
//!    commit that was deployed before this one (on a feature branch, the previous commit of the
//!    branch; each commit must stay compatible with its predecessor);
//! 2. its binary is built from a `git worktree` checkout under `target/equoria-compat/`, in the
//!    dev profile and the same target directory as the test step, and kept as
//!    `target/equoria-compat/equoria-<SHA>`: a rerun for the same commit builds nothing;
//! 3. a throwaway database is migrated by the current binary;
//! 4. the previous binary is started on it as staging starts it and goes through the staging
//!    smoke test's probes and SIGTERM exit.
//!
//! Why the dev profile: what this step checks is the SQL the previous code sends to the new
//! schema, which optimisation does not change. Cargo names a workspace crate's artifacts after
//! its path relative to the workspace root, so the previous checkout's crates replace the
//! current ones of the same profile in the shared target dir; in the release profile that cost
//! two thin-LTO builds per run (the previous crates, then the current ones again for the staging
//! binary), 10 to 14 minutes on this 2-core machine. In the dev profile the dependencies are
//! mostly those the test step built, and the release binary of the staging step is left alone.
//!
//! In a shallow clone without `HEAD~1` (CI's default fetch depth of 1) the step says so and
//! passes without checking: fetch with `fetch-depth: 2` or more to run it.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, anyhow};
use xshell::cmd;

use crate::dev::{Profile, build_server};
use crate::server::{self, Server};
use crate::{Ctx, db, say, staging};

/// Under the target dir: the previous binaries (by SHA) and the transient checkout.
const COMPAT_DIR: &str = "equoria-compat";
const CLUSTER_DIR: &str = "equoria-compat-pg";
const DATABASE: &str = "equoria_compat";
const LOG_FILE: &str = "equoria-compat.log";

/// Builds (or reuses) the previous commit's binary, migrates with the current one, runs the
/// staging probes against the previous one.
pub(crate) fn run(ctx: &Ctx) -> anyhow::Result<()> {
    let Some(previous) = previous_commit(ctx)? else {
        return Ok(());
    };
    let started = Instant::now();
    let old_bin = previous_binary(ctx, &previous)?;
    say!(
        "previous binary ready in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // The previous build used the dev profile, so the staging step's release binary is still
    // the current one (a no-op build when the staging step ran first).
    let new_bin = build_server(ctx, Profile::Release)?;

    let cluster = db::start_cluster(ctx, &ctx.target_dir.join(CLUSTER_DIR), true, "compat")?;
    let database = db::database_in(cluster, DATABASE)?;
    let port = equoria_pg_cluster::free_port().context("picking a free port")?;
    let env = staging::environment(port)?;
    let staging_cmd =
        |bin: &Path, args: &[&str]| server::command(ctx, bin, args, env.clone(), &database);

    say!("migrating the throwaway database with the CURRENT binary");
    ctx.run(staging_cmd(&new_bin, &["migrate", "run"]))?;
    let log = ctx.target_dir.join(LOG_FILE);
    say!(
        "starting the PREVIOUS binary ({}) as staging on 127.0.0.1:{port}, output in {}",
        short(&previous),
        ctx.show(&log)
    );
    let command = staging_cmd(&old_bin, &["serve"]);
    let mut server = Server::spawn(ctx, "the previous binary", command, port, &log)?;
    let outcome = staging::exercise(ctx, &mut server);
    drop(server);
    if let Err(error) = outcome {
        return Err(anyhow!(
            "the previous commit {} does not work on the schema of the current one: {error:#}\n\
             (a migration must stay compatible with the code of the commit before it: add \
             columns nullable or with defaults, drop or rename in a later commit)\n\
             --- {} ---\n{}",
            short(&previous),
            ctx.show(&log),
            server::log_tail(&log)
        ));
    }
    if let Some(cluster) = database.cluster {
        db::stop_cluster(ctx, cluster);
    }
    say!(
        "previous commit {} passed the staging probes on the current schema ({:.1} s in all)",
        short(&previous),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `HEAD~1`'s full SHA, or `None` (said why) when this clone does not have it.
fn previous_commit(ctx: &Ctx) -> anyhow::Result<Option<String>> {
    let sh = &ctx.sh;
    let revision = "HEAD~1^{commit}";
    let found = cmd!(sh, "git rev-parse --verify --quiet {revision}")
        .quiet()
        .ignore_stderr()
        .read();
    match found {
        Ok(sha) if !sha.trim().is_empty() => {
            let sha = sha.trim().to_owned();
            say!("previous commit (HEAD~1, first parent): {sha}");
            Ok(Some(sha))
        }
        _ => {
            let shallow = cmd!(sh, "git rev-parse --is-shallow-repository")
                .quiet()
                .read()
                .is_ok_and(|answer| answer.trim() == "true");
            say!(
                "NOTE: compatibility check SKIPPED: HEAD~1 is not in this clone ({}). \
                 Fetch more history (e.g. `git fetch --deepen=1`, or `fetch-depth: 2` in CI) \
                 to run it.",
                if shallow {
                    "shallow clone"
                } else {
                    "HEAD has no parent"
                }
            );
            Ok(None)
        }
    }
}

/// The cached binary of `sha`, built first when missing.
fn previous_binary(ctx: &Ctx, sha: &str) -> anyhow::Result<PathBuf> {
    let dir = ctx.target_dir.join(COMPAT_DIR);
    let bin = dir.join(format!("equoria-{sha}"));
    if bin.is_file() {
        say!(
            "reusing the previous commit's binary {} (cached by SHA)",
            ctx.show(&bin)
        );
        return Ok(bin);
    }
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let checkout = dir.join("checkout");
    remove_checkout(ctx, &checkout);
    let sh = &ctx.sh;
    ctx.run(cmd!(sh, "git worktree add --detach {checkout} {sha}"))?;
    let built = build_in(ctx, &checkout);
    remove_checkout(ctx, &checkout);
    built?;
    let fresh = ctx.target_dir.join("debug").join("equoria");
    // Keep only this commit's binary: older ones are never needed again.
    for entry in fs::read_dir(&dir)?.flatten() {
        if entry.file_name().to_string_lossy().starts_with("equoria-") {
            let _ = fs::remove_file(entry.path());
        }
    }
    let partial = dir.join(format!(".equoria-{sha}.partial"));
    fs::copy(&fresh, &partial)
        .with_context(|| format!("copying {} to {}", fresh.display(), partial.display()))?;
    fs::rename(&partial, &bin).with_context(|| format!("renaming to {}", bin.display()))?;
    fs::remove_file(&fresh).with_context(|| format!("removing {}", fresh.display()))?;
    say!("cached the previous commit's binary as {}", ctx.show(&bin));
    Ok(bin)
}

/// `cargo build -p equoria-server` (dev profile) in `checkout`, into the current target dir.
fn build_in(ctx: &Ctx, checkout: &Path) -> anyhow::Result<()> {
    let sh = &ctx.sh;
    let _dir = sh.push_dir(checkout);
    let target = &ctx.target_dir;
    say!("building the previous commit's binary (dev profile, dependencies shared with the tests)");
    let started = Instant::now();
    ctx.run(cmd!(sh, "cargo build -p equoria-server").env("CARGO_TARGET_DIR", target))?;
    say!(
        "previous commit built in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Removes a leftover checkout (an interrupted earlier run) and its worktree entry.
fn remove_checkout(ctx: &Ctx, checkout: &Path) {
    let sh = &ctx.sh;
    if checkout.exists() {
        let _ = cmd!(sh, "git worktree remove --force {checkout}")
            .quiet()
            .run();
        let _ = fs::remove_dir_all(checkout);
    }
    let _ = cmd!(sh, "git worktree prune").quiet().run();
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}
