//! Command line: `equoria [serve]`, `migrate`, `healthcheck`, `config check`.

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use equoria_persistence::migrations;
use secrecy::ExposeSecret;

use crate::config::Config;

#[derive(Debug, Parser)]
#[command(name = "equoria", version, about = "Equoria game backend")]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Serve the HTTP API (the default).
    Serve,
    /// Manage the database schema (embedded migrations, advisory-locked).
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Create the demo accounts (admin, alice, bob) if missing; not in staging or production.
    Seed,
    /// Exit 0 if `/health` answers 200, 1 otherwise (for container
    /// HEALTHCHECKs: no curl needed). Probes HOST:PORT by default.
    Healthcheck {
        /// Full URL to probe instead of http://HOST:PORT/health.
        #[arg(long)]
        url: Option<String>,
        #[arg(long, default_value_t = 5)]
        timeout_secs: u64,
    },
    /// Configuration commands.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ConfigCommand {
    /// Validate the environment and print the effective configuration with
    /// secrets redacted; exit 2 when invalid.
    Check,
}

#[derive(Debug, Clone, Copy, Subcommand)]
pub(crate) enum MigrateAction {
    /// Apply every pending migration.
    Run,
    /// Revert the newest migration (or all of them with --all).
    Revert {
        /// Revert every migration: drops every table and all the data.
        #[arg(long)]
        all: bool,
        /// Required with --all in staging and production.
        #[arg(long)]
        yes_drop_everything: bool,
    },
    /// List migrations and whether each is applied.
    Status,
    /// Revert the newest migration and apply it again.
    Redo,
}

/// Runs a migration command with MIGRATION_DATABASE_URL (else DATABASE_URL).
#[expect(clippy::print_stdout)]
pub(crate) fn migrate(config: &Config, action: MigrateAction) -> anyhow::Result<()> {
    if let MigrateAction::Revert {
        all: true,
        yes_drop_everything: false,
    } = action
        && config.environment.is_strict()
    {
        bail!(
            "refusing `migrate revert --all` in {}: it drops every table and all the data; \
             take a backup, then run it again with --yes-drop-everything if that is really meant",
            config.environment.as_str()
        );
    }
    let url = config.migration_url().expose_secret();
    match action {
        MigrateAction::Run => {
            let applied = migrations::run_pending(url, config.migration_lock_timeout)
                .context("migrate run")?;
            if applied.is_empty() {
                println!("schema is up to date");
            }
            for name in applied {
                println!("applied {name}");
            }
        }
        MigrateAction::Revert { all: false, .. } => {
            match migrations::revert_last(url, config.migration_lock_timeout)
                .context("migrate revert")?
            {
                Some(name) => println!("reverted {name}"),
                None => println!("nothing to revert"),
            }
        }
        MigrateAction::Revert { all: true, .. } => {
            let reverted = migrations::revert_all(url, config.migration_lock_timeout)
                .context("migrate revert --all")?;
            if reverted.is_empty() {
                println!("nothing to revert");
            }
            for name in reverted {
                println!("reverted {name}");
            }
        }
        MigrateAction::Status => {
            for state in migrations::status(url).context("migrate status")? {
                println!(
                    "[{}] {}",
                    if state.applied { "applied" } else { "pending" },
                    state.name
                );
            }
        }
        MigrateAction::Redo => {
            match migrations::redo(url, config.migration_lock_timeout).context("migrate redo")? {
                Some(name) => println!("redid {name}"),
                None => println!("nothing to redo"),
            }
        }
    }
    Ok(())
}
