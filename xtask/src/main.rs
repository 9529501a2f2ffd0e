//! Developer automation for Equoria: `cargo xtask <task>` (the alias is in `.cargo/config.toml`).
//!
//! Each task is a `run` function in its own module. Every command goes through one
//! [`xshell::Shell`] rooted at the workspace and is echoed (`$ ...`) before it runs (the rules
//! are in the `process` module's docs); our server is run by the one harness in `server`, and
//! HTTP requests go through the one client in `http`. PostgreSQL clusters are
//! [`equoria_pg_cluster::Cluster`] values, so they are stopped on every way out (success,
//! error, or a signal passed on to the child we are waiting for).

mod backup_drill;
mod bench;
mod bluegreen;
mod compat;
mod db;
mod dev;
mod drill;
mod fuzz;
mod http;
mod image;
mod lint;
mod process;
mod progress;
mod server;
mod staging;
mod test;
mod tools;
mod verify;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use xshell::Shell;

#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "Equoria developer tasks",
    after_help = "Without DATABASE_URL, `dev` and `migrate` run a PostgreSQL cluster of their own \
                  in target/equoria-dev-pg (PostgreSQL server binaries needed)."
)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Run the server on http://127.0.0.1:3000 against the development database: build,
    /// `migrate run`, `seed`, `serve`.
    Dev {
        /// Delete the development cluster's data first (ignored when DATABASE_URL is set).
        #[arg(long)]
        fresh: bool,
    },
    /// Run `equoria migrate <ARGS>` against the development database (e.g. `status`, `redo`).
    Migrate {
        /// Arguments for `equoria migrate`: run | revert [--all] | status | redo.
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Check formatting, clippy with warnings denied, that the domain and application
    /// crates depend on neither Diesel nor actix, the dependency policy (cargo deny) and the
    /// deployment kit (deploy/check-all.sh); missing validators are installed first.
    Lint,
    /// Run the whole test suite against a fresh throwaway PostgreSQL cluster.
    Test {
        /// Passed to the test runner (cargo nextest run, else cargo test), after `--`.
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Staging verification: lint, test, then a release build started with NODE_ENV=staging on
    /// port 3001 and probed over HTTP. Prints a summary; exits non-zero on any failure.
    Verify {
        /// Run only these steps (repeatable), e.g. `--only staging` while working on it.
        #[arg(long, value_enum)]
        only: Vec<verify::Step>,
        /// Leave these steps out (repeatable), e.g. `--skip image` where buildah cannot run.
        #[arg(long, value_enum)]
        skip: Vec<verify::Step>,
    },
    /// Build the server image (docker/Dockerfile) and the backup image (deploy/backup/Dockerfile)
    /// with buildah and run them with podman against a throwaway PostgreSQL: size, numeric
    /// non-root uid, read-only root, HEALTHCHECK, /health, SIGTERM exit 0, a backup and a
    /// restore through the backup image. Writes a CycloneDX SBOM of the server image to target/.
    Image,
    /// Backup and restore drill in a throwaway cluster: seed a migrated database, back it up
    /// with deploy/backup/backup.sh, restore it with restore.sh, compare every table.
    BackupDrill,
    /// Blue-green drill: blue behind nginx on 127.0.0.1, green started and gated on /health,
    /// nginx switched, blue drained, then rolled back, under a bounded load through nginx.
    /// Exits non-zero unless no request failed.
    BluegreenDrill,
    /// Load benchmarks: release server (production config) on a seeded throwaway database,
    /// wrk scenarios on 127.0.0.1, the pgbench and bcrypt ceilings. Prints a table.
    Bench(bench::Options),
    /// Fault drills: database outage, pool exhaustion, SIGTERM under load, rate limiter.
    Drill {
        /// Run only these drills (repeatable).
        #[arg(long, value_enum)]
        only: Vec<drill::Drill>,
    },
    /// Schemathesis run from /api/openapi.json against a release server: no 5xx, no response
    /// outside the document. Bounded in cases and time.
    Fuzz(fuzz::Options),
}

/// What every task needs: the shell, where the workspace and its build output are, and the
/// signal forwarding.
#[derive(Debug)]
pub struct Ctx {
    pub sh: Shell,
    pub root: PathBuf,
    pub target_dir: PathBuf,
    pub signals: process::Signals,
}

impl Ctx {
    fn new() -> anyhow::Result<Ctx> {
        // xtask/ lives directly in the workspace root.
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .context("xtask's manifest directory has no parent")?
            .to_path_buf();
        let sh = Shell::new().context("creating the command shell")?;
        sh.change_dir(&root);
        // Cargo puts build output in CARGO_TARGET_DIR when it is set, so the binaries we run and
        // the clusters we keep go there too.
        let target_dir = match std::env::var_os("CARGO_TARGET_DIR") {
            Some(dir) if !dir.is_empty() => root.join(dir),
            _ => root.join("target"),
        };
        let signals = process::Signals::install()?;
        Ok(Ctx {
            sh,
            root,
            target_dir,
            signals,
        })
    }

    /// `path` relative to the workspace root when it is inside it, for shorter messages.
    pub fn show(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }
}

/// Prints a progress line of xtask's own (commands are echoed as `$ ...`), above the progress
/// bar if one is drawn.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::progress::eprint_line(format_args!("xtask: {}", format_args!($($arg)*)))
    };
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let ctx = match Ctx::new() {
        Ok(ctx) => ctx,
        Err(error) => {
            say!("error: {error:#}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.task {
        Task::Dev { fresh } => dev::run(&ctx, fresh),
        Task::Migrate { args } => dev::run_migrate(&ctx, &args),
        Task::Lint => lint::run(&ctx),
        Task::Test { args } => test::run(&ctx, &args),
        Task::Verify { only, skip } => verify::run(&ctx, &only, &skip),
        Task::Image => image::run(&ctx),
        Task::BackupDrill => backup_drill::run(&ctx),
        Task::BluegreenDrill => bluegreen::run(&ctx),
        Task::Bench(options) => bench::run(&ctx, &options),
        Task::Drill { only } => drill::run(&ctx, &only),
        Task::Fuzz(options) => fuzz::run(&ctx, &options),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            say!("error: {error:#}");
            match ctx.signals.received() {
                // The shell convention for "killed by signal N".
                Some(signal) => ExitCode::from(128u8.saturating_add(signal.number())),
                None => ExitCode::FAILURE,
            }
        }
    }
}
