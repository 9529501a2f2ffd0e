//! `cargo xtask test`: the whole test suite against a fresh throwaway PostgreSQL cluster.

use anyhow::{Context as _, anyhow};
use xshell::cmd;

use crate::db::{self, env_var};
use crate::{Ctx, say};

/// Where the test cluster lives, under the target dir.
const TEST_CLUSTER_DIR: &str = "equoria-test-pg";
/// Read by equoria-test-support: a server URL (database `postgres`) where it may create a
/// migrated template database and one clone of it per test.
pub(crate) const TEST_DATABASE_VAR: &str = "EQUORIA_TEST_DATABASE_URL";

/// Starts the cluster (unless EQUORIA_TEST_DATABASE_URL is already set), runs the tests with
/// `extra_args`, and stops it.
pub(crate) fn run(ctx: &Ctx, extra_args: &[String]) -> anyhow::Result<()> {
    let sh = &ctx.sh;
    let (url, cluster) = match env_var(TEST_DATABASE_VAR) {
        Some(url) => {
            say!("using {TEST_DATABASE_VAR} from the environment; no cluster is started");
            (url, None)
        }
        None => {
            let dir = ctx.target_dir.join(TEST_CLUSTER_DIR);
            let cluster = db::start_cluster(ctx, &dir, true, "test").map_err(|error| {
                anyhow!(
                    "{error:#}\n(for the tests the variable is {TEST_DATABASE_VAR}: a server URL \
                     such as postgres://postgres@127.0.0.1:5432/postgres, where test databases \
                     may be created)"
                )
            })?;
            (cluster.url("postgres"), Some(cluster))
        }
    };

    say!("running the tests with {TEST_DATABASE_VAR}={url}");
    let runner = if nextest_available(ctx) {
        cmd!(
            sh,
            "cargo nextest run --workspace --no-fail-fast {extra_args...}"
        )
    } else {
        say!("cargo-nextest is not installed: using cargo test");
        cmd!(sh, "cargo test --workspace --no-fail-fast {extra_args...}")
    };
    let result = ctx
        .run(runner.env(TEST_DATABASE_VAR, &url))
        .context("tests failed");

    if let Some(cluster) = cluster {
        db::stop_cluster(ctx, cluster);
    }
    result
}

fn nextest_available(ctx: &Ctx) -> bool {
    let sh = &ctx.sh;
    cmd!(sh, "cargo nextest --version")
        .quiet()
        .ignore_stdout()
        .ignore_stderr()
        .run()
        .is_ok()
}
