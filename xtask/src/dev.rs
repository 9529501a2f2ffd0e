//! `cargo xtask dev` and `cargo xtask migrate`: the server and its migrations against the
//! development database.

use std::path::PathBuf;

use anyhow::bail;
use xshell::cmd;

use crate::db;
use crate::{Ctx, say};

/// The port `dev` serves on.
const DEV_PORT: &str = "3000";

/// Which cargo profile to build the server with.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Profile {
    Debug,
    Release,
}

/// Builds the `equoria` binary of the server package and returns its path.
pub(crate) fn build_server(ctx: &Ctx, profile: Profile) -> anyhow::Result<PathBuf> {
    let sh = &ctx.sh;
    let (flag, dir): (&[&str], &str) = match profile {
        Profile::Debug => (&[], "debug"),
        Profile::Release => (&["--release"], "release"),
    };
    say!("building the server ({dir})");
    ctx.run(cmd!(sh, "cargo build {flag...} -p equoria-server"))?;
    let bin = ctx.target_dir.join(dir).join("equoria");
    if !bin.is_file() {
        bail!(
            "`cargo build -p equoria-server` succeeded but {} does not exist: \
             the server's binary must be named `equoria`",
            bin.display()
        );
    }
    Ok(bin)
}

/// `cargo xtask dev [--fresh]`.
pub(crate) fn run(ctx: &Ctx, fresh: bool) -> anyhow::Result<()> {
    let sh = &ctx.sh;
    let database = db::dev_database(ctx, fresh)?;
    let url = database.url.as_str();
    let bin = build_server(ctx, Profile::Debug)?;
    let env = [("NODE_ENV", "development"), ("PORT", DEV_PORT)];

    say!("applying pending migrations");
    ctx.run(database.apply(cmd!(sh, "{bin} migrate run").envs(env)))?;
    say!("seeding reference data");
    ctx.run(database.apply(cmd!(sh, "{bin} seed").envs(env)))?;

    say!("serving on http://127.0.0.1:{DEV_PORT} (NODE_ENV=development); Ctrl-C stops it");
    say!("database: {url}");
    match &database.cluster {
        Some(cluster) if cluster.is_owned() => say!(
            "the PostgreSQL cluster lives in {} and stops with the server \
             (its data is kept for the next run; --fresh wipes it)",
            ctx.show(cluster.dir())
        ),
        Some(cluster) => say!(
            "the PostgreSQL cluster in {} was already running and is left running",
            ctx.show(cluster.dir())
        ),
        None => {}
    }
    let status = ctx.status(database.apply(cmd!(sh, "{bin} serve").envs(env)));

    if let Some(cluster) = database.cluster {
        db::stop_cluster(ctx, cluster);
    }
    let status = status?;
    if let Some(signal) = ctx.signals.received() {
        say!("server stopped after SIG{} ({status})", signal.name());
        return Ok(());
    }
    if !status.success() {
        bail!("the server exited with {status}");
    }
    say!("server exited");
    Ok(())
}

/// `cargo xtask migrate <args...>`.
pub(crate) fn run_migrate(ctx: &Ctx, args: &[String]) -> anyhow::Result<()> {
    let sh = &ctx.sh;
    let database = db::dev_database(ctx, false)?;
    let bin = build_server(ctx, Profile::Debug)?;
    say!(
        "running `equoria migrate {}` against {}",
        args.join(" "),
        database.url
    );
    let result =
        ctx.run(database.apply(cmd!(sh, "{bin} migrate {args...}").env("NODE_ENV", "development")));
    if let Some(cluster) = database.cluster {
        db::stop_cluster(ctx, cluster);
    }
    result
}
