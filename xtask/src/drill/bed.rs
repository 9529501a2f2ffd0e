//! The drills' test bed: the release binary, a migrated database of the drill's own and the
//! secrets every drill server shares; servers started from it with the harness.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use xshell::cmd;

use super::PASSWORD;
use crate::server::{self, Ready, Server, random_secret};
use crate::{Ctx, db, http, say};

/// Limits far above what a drill sends, unless a drill sets its own.
const UNLIMITED: &str = "1000000000";

/// The release binary, a migrated database and the secrets every drill server shares.
#[derive(Debug)]
pub(crate) struct Bed {
    pub bin: PathBuf,
    pub database: db::Database,
    jwt_secret: String,
    jwt_refresh_secret: String,
}

impl Bed {
    /// Builds the release binary, starts a fresh cluster in `target/<cluster_dir>` and migrates.
    pub(crate) fn new(ctx: &Ctx, cluster_dir: &str, database: &str) -> anyhow::Result<Bed> {
        let bin = server::release_binary(ctx)?;
        let cluster = db::start_cluster(ctx, &ctx.target_dir.join(cluster_dir), true, cluster_dir)?;
        let database = db::database_in(cluster, database)?;
        let bed = Bed {
            bin,
            database,
            jwt_secret: random_secret()?,
            jwt_refresh_secret: random_secret()?,
        };
        ctx.run(server::command(
            ctx,
            &bed.bin,
            &["migrate", "run"],
            bed.env(0, &[]),
            &bed.database,
        ))?;
        Ok(bed)
    }

    /// The production environment with limits out of the way, then `extra` (which wins).
    fn env(&self, port: u16, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = [
            ("NODE_ENV", "production"),
            ("HOST", "127.0.0.1"),
            ("LOG_LEVEL", "info"),
            // Production's minimum: the drills register accounts and want them quick.
            ("BCRYPT_SALT_ROUNDS", "10"),
            ("ALLOWED_ORIGINS", "https://drill.equoria.test"),
            ("RATE_LIMIT_MAX_REQUESTS", UNLIMITED),
            ("AUTH_RATE_LIMIT_MAX", UNLIMITED),
            ("DATABASE_POOL_MAX", "4"),
            ("DATABASE_POOL_TIMEOUT_SECS", "2"),
            ("SHUTDOWN_TIMEOUT_SECS", "10"),
            ("JWT_SECRET", self.jwt_secret.as_str()),
            ("JWT_REFRESH_SECRET", self.jwt_refresh_secret.as_str()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        env.push(("PORT".to_owned(), port.to_string()));
        for (key, value) in extra {
            env.retain(|(k, _)| k != key);
            env.push(((*key).to_owned(), (*value).to_owned()));
        }
        env
    }

    /// Starts a server with `extra` environment and waits until /health answers 200.
    pub(crate) fn start(
        &self,
        ctx: &Ctx,
        name: &str,
        extra: &[(&str, &str)],
    ) -> anyhow::Result<Server> {
        let port = equoria_pg_cluster::free_port().context("picking a port for the server")?;
        let log = ctx.target_dir.join(format!("equoria-{name}.log"));
        let shown: Vec<String> = extra.iter().map(|(k, v)| format!("{k}={v}")).collect();
        say!(
            "starting the server on 127.0.0.1:{port} (NODE_ENV=production, pool timeout 2 s{}{})",
            if shown.is_empty() { "" } else { ", " },
            shown.join(" ")
        );
        let command = server::command(
            ctx,
            &self.bin,
            &["serve"],
            self.env(port, extra),
            &self.database,
        );
        Server::start(ctx, "the server", command, port, &log, Ready::Ok)
    }

    /// The drill's own cluster.
    pub(crate) fn cluster(&self) -> anyhow::Result<&equoria_pg_cluster::Cluster> {
        self.database
            .cluster
            .as_ref()
            .ok_or_else(|| anyhow!("the drill needs its own cluster"))
    }

    /// Runs `sql` with psql and returns its unaligned, tuples-only output.
    pub(crate) fn psql(&self, ctx: &Ctx, sql: &str) -> anyhow::Result<String> {
        let sh = &ctx.sh;
        let url = &self.database.url;
        let output = ctx.output_quiet(cmd!(
            sh,
            "psql -X -q -A -t -v ON_ERROR_STOP=1 -d {url} -c {sql}"
        ))?;
        if !output.status.success() {
            bail!("psql failed: {}", String::from_utf8_lossy(&output.stderr));
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }
}

/// Registers an account; returns (access token, user id).
pub(crate) fn register(port: u16, name: &str) -> anyhow::Result<(String, u64)> {
    http::register(port, name, "drill.equoria.test", PASSWORD)
}

/// The id of the first horse the token's owner has.
pub(super) fn first_horse(port: u16, token: &str) -> anyhow::Result<u64> {
    let auth = format!("Bearer {token}");
    let response = http::request(
        port,
        "GET",
        "/api/horses",
        &[("Authorization", &auth)],
        None,
        Duration::from_secs(5),
    )?;
    let json: serde_json::Value = serde_json::from_str(&response.body)?;
    json["data"][0]["id"]
        .as_u64()
        .ok_or_else(|| anyhow!("no horse in {} {}", response.status, response.body))
}

/// SIGTERM; the server must exit (with any status) within 15 s.
pub(crate) fn stop_server(server: &mut Server) -> anyhow::Result<()> {
    if server.stop(Duration::from_secs(15))?.is_none() {
        bail!(
            "the server did not exit after SIGTERM; see {}",
            server.log().display()
        );
    }
    Ok(())
}
