//! Which database a task talks to: DATABASE_URL when the user set one, else a throwaway cluster
//! under the target directory.

use std::path::Path;

use anyhow::Context as _;
use equoria_pg_cluster::{Cluster, Options};
use xshell::Cmd;

use crate::{Ctx, say};

/// The development cluster's directory, under the target dir.
pub(crate) const DEV_CLUSTER_DIR: &str = "equoria-dev-pg";
/// The development database inside it.
pub(crate) const DEV_DATABASE: &str = "equoria_dev";

/// A database URL, and the cluster serving it when we started one (stopped when this drops).
#[derive(Debug)]
pub(crate) struct Database {
    pub url: String,
    pub cluster: Option<Cluster>,
}

impl Database {
    /// Points `cmd` at this database: DATABASE_URL, and no MIGRATION_DATABASE_URL (which the
    /// server prefers for migrations) left over from the caller's shell when the database is
    /// our own cluster.
    pub(crate) fn apply<'a>(&self, cmd: Cmd<'a>) -> Cmd<'a> {
        let cmd = cmd.env("DATABASE_URL", &self.url);
        if self.cluster.is_some() {
            cmd.env_remove("MIGRATION_DATABASE_URL")
        } else {
            cmd
        }
    }
}

/// A non-empty environment variable.
pub(crate) fn env_var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

/// DATABASE_URL if set; otherwise starts (or reuses) the development cluster and makes sure
/// `equoria_dev` exists in it.
pub(crate) fn dev_database(ctx: &Ctx, fresh: bool) -> anyhow::Result<Database> {
    if let Some(url) = env_var("DATABASE_URL") {
        say!("using DATABASE_URL from the environment; no PostgreSQL cluster is started");
        if fresh {
            say!("--fresh ignored: it only applies to the cluster xtask runs itself");
        }
        return Ok(Database { url, cluster: None });
    }
    let cluster = start_cluster(
        ctx,
        &ctx.target_dir.join(DEV_CLUSTER_DIR),
        fresh,
        "development",
    )?;
    database_in(cluster, DEV_DATABASE)
}

/// Makes sure `database` exists in `cluster` and returns its URL with the cluster attached.
pub(crate) fn database_in(cluster: Cluster, database: &str) -> anyhow::Result<Database> {
    let created = cluster
        .ensure_database(database)
        .with_context(|| format!("creating database {database}"))?;
    say!(
        "database {database} {}",
        if created { "created" } else { "exists" }
    );
    Ok(Database {
        url: cluster.url(database),
        cluster: Some(cluster),
    })
}

/// Starts (or with `fresh`, recreates) a cluster in `dir`, explaining what happened.
pub(crate) fn start_cluster(
    ctx: &Ctx,
    dir: &Path,
    fresh: bool,
    purpose: &str,
) -> anyhow::Result<Cluster> {
    let options = Options {
        fresh,
        ..Options::default()
    };
    start_cluster_with(ctx, dir, options, purpose)
}

/// [`start_cluster`] with server settings of the caller's (see [`Options::settings`]).
pub(crate) fn start_cluster_with(
    ctx: &Ctx,
    dir: &Path,
    options: Options,
    purpose: &str,
) -> anyhow::Result<Cluster> {
    let fresh = options.fresh;
    ctx.check_interrupted()?;
    say!(
        "starting {} {purpose} PostgreSQL cluster in {}",
        if fresh { "a fresh" } else { "the" },
        ctx.show(dir)
    );
    let cluster = Cluster::start(dir, options).with_context(|| {
        format!(
            "could not start the {purpose} PostgreSQL cluster in {}",
            ctx.show(dir)
        )
    })?;
    if dir.canonicalize().ok().as_deref() != Some(cluster.dir()) {
        say!(
            "the postgres OS user cannot reach {}, so the cluster lives in {}",
            ctx.show(dir),
            cluster.dir().display()
        );
    }
    if cluster.is_owned() {
        say!(
            "PostgreSQL listening on 127.0.0.1:{} (data {}, log {}); it stops when xtask exits",
            cluster.port(),
            ctx.show(cluster.data_dir()),
            ctx.show(cluster.log_file())
        );
    } else {
        say!(
            "PostgreSQL already running on 127.0.0.1:{} in {} (started by another process, \
             left running)",
            cluster.port(),
            ctx.show(cluster.data_dir())
        );
    }
    Ok(cluster)
}

/// Stops `cluster` now, saying so; errors are reported but do not fail the task.
pub(crate) fn stop_cluster(ctx: &Ctx, cluster: Cluster) {
    if !cluster.is_owned() {
        return;
    }
    let dir = ctx.show(cluster.dir());
    match cluster.stop() {
        Ok(()) => say!("stopped the PostgreSQL cluster in {dir}"),
        Err(error) => say!("warning: could not stop the PostgreSQL cluster in {dir}: {error}"),
    }
}
