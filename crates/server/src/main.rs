//! The `equoria` binary: reads the configuration, wires the adapters to the
//! ports, serves HTTP, and owns signals and shutdown. Also the operator's
//! commands: migrations, health check, configuration check.

mod cli;
mod config;
mod healthcheck;
mod logging;
mod seed;
mod serve;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command, ConfigCommand};
use crate::config::{Config, Environment};

/// Exit code for an invalid configuration (distinct from runtime failure).
const EXIT_BAD_CONFIG: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    load_dotenv();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => with_config(serve::run),
        Command::Migrate { action } => with_config(|loaded| {
            logging::init(&loaded.config);
            cli::migrate(&loaded.config, action)
        }),
        Command::Seed => with_config(|loaded| {
            logging::init(&loaded.config);
            seed::run(&loaded.config)
        }),
        Command::Healthcheck { url, timeout_secs } => healthcheck::run(url, timeout_secs),
        Command::Config {
            command: ConfigCommand::Check,
        } => match Config::from_env() {
            Ok(loaded) => {
                #[expect(clippy::print_stdout)]
                {
                    println!(
                        "configuration is valid for {}",
                        loaded.config.environment.as_str()
                    );
                    for warning in &loaded.warnings {
                        println!("warning: {warning}");
                    }
                    for line in loaded.config.redacted_lines() {
                        println!("{line}");
                    }
                }
                ExitCode::SUCCESS
            }
            Err(errors) => {
                eprint!("{errors}");
                ExitCode::from(EXIT_BAD_CONFIG)
            }
        },
    }
}

/// `.env` is a development convenience only: it is never read when the
/// process environment says test, staging or production.
fn load_dotenv() {
    let environment = Environment::from_lookup(&|name| std::env::var(name).ok());
    if environment == Environment::Development {
        // A missing .env is the normal case.
        let _ = dotenvy::dotenv();
    }
}

/// Loads and validates the configuration, or exits 2 listing every problem
/// before anything binds or connects.
fn with_config(f: impl FnOnce(config::Loaded) -> anyhow::Result<()>) -> ExitCode {
    let loaded = match Config::from_env() {
        Ok(loaded) => loaded,
        Err(errors) => {
            eprint!("{errors}");
            return ExitCode::from(EXIT_BAD_CONFIG);
        }
    };
    match f(loaded) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = format!("{err:#}"), "equoria stopped with an error");
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
