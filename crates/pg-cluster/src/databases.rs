//! The databases of a cluster, created and looked up with `psql` as the superuser.

use std::path::PathBuf;
use std::process::Output;

use crate::binaries::is_executable;
use crate::cluster::Cluster;
use crate::command::{self, run_captured};
use crate::error::{Error, Result};

impl Cluster {
    /// Whether `database` exists.
    pub fn database_exists(&self, database: &str) -> Result<bool> {
        check_database_name(database)?;
        let output = self.psql(&format!(
            "SELECT 1 FROM pg_database WHERE datname = '{database}'"
        ))?;
        Ok(String::from_utf8_lossy(&output.stdout).trim() == "1")
    }

    /// Creates `database` (an error if it exists).
    pub fn create_database(&self, database: &str) -> Result<()> {
        check_database_name(database)?;
        self.psql(&format!("CREATE DATABASE \"{database}\""))?;
        Ok(())
    }

    /// Creates `database` unless it exists; returns whether it was created.
    pub fn ensure_database(&self, database: &str) -> Result<bool> {
        if self.database_exists(database)? {
            return Ok(false);
        }
        self.create_database(database)?;
        Ok(true)
    }

    fn psql(&self, sql: &str) -> Result<Output> {
        let bundled = self.bin_dir().join("psql");
        let program = if is_executable(&bundled) {
            bundled
        } else {
            PathBuf::from("psql")
        };
        let mut psql = command::program(program);
        psql.args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d"])
            .arg(self.url("postgres"))
            .arg("-c")
            .arg(sql);
        run_captured(&mut psql)
    }
}

/// Database names we are willing to put into SQL: `[A-Za-z_][A-Za-z0-9_]{0,62}`.
pub(crate) fn check_database_name(name: &str) -> Result<()> {
    let valid = !name.is_empty()
        && name.len() <= 63
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if valid {
        Ok(())
    } else {
        Err(Error::InvalidDatabaseName {
            name: name.to_owned(),
        })
    }
}
