//! `cargo xtask drill`: fault drills against the release server in its production
//! configuration and a throwaway PostgreSQL cluster of the drill's own. Each drill records
//! every request's outcome and time, then checks them; it prints PASS/FAIL with the figures.
//!
//! - outage: the database is stopped for 10 s under a light load;
//! - pool: every pool connection is held by requests blocked on a table lock;
//! - sigterm: SIGTERM while requests are in flight;
//! - rate-limit: the 6th auth attempt of a window, with and without a forged X-Forwarded-For.
//!
//! The test bed (binary, database, servers) is in `bed`, the request loops in `recorder`, each
//! drill in a module of its own; each tells the progress which phase it is in.

mod bed;
mod outage;
mod pool;
mod rate_limit;
mod recorder;
mod sigterm;

use std::time::Duration;

use anyhow::bail;

use crate::progress::Progress;
use crate::{Ctx, say};

pub(crate) use bed::{Bed, register, stop_server};

const CLUSTER_DIR: &str = "equoria-drill-pg";
const DATABASE: &str = "equoria_drill";
const PASSWORD: &str = "drill-password-0001";
/// DATABASE_POOL_TIMEOUT_SECS of every drill server: "fail fast" means within this (+ slack).
const POOL_TIMEOUT: Duration = Duration::from_secs(2);
const SLACK: Duration = Duration::from_millis(500);

/// Which drills to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Drill {
    Outage,
    Pool,
    Sigterm,
    RateLimit,
}

impl Drill {
    const ALL: [Drill; 4] = [Drill::Outage, Drill::Pool, Drill::Sigterm, Drill::RateLimit];
}

/// A drill's verdicts: (passed, what was checked with the figures).
#[derive(Debug, Default)]
struct Verdicts(Vec<(bool, String)>);

impl Verdicts {
    fn check(&mut self, passed: bool, text: String) {
        say!("  {}  {text}", if passed { "PASS" } else { "FAIL" });
        self.0.push((passed, text));
    }
    fn passed(&self) -> bool {
        self.0.iter().all(|(passed, _)| *passed)
    }
}

/// `cargo xtask drill`: the drills asked for (all by default), then a summary.
pub(crate) fn run(ctx: &Ctx, only: &[Drill]) -> anyhow::Result<()> {
    let drills: Vec<Drill> = Drill::ALL
        .into_iter()
        .filter(|d| only.is_empty() || only.contains(d))
        .collect();
    let bed = Bed::new(ctx, CLUSTER_DIR, DATABASE)?;
    let progress = Progress::steps("drill", drills.len() as u64);
    let mut summary = Vec::new();
    for drill in drills {
        ctx.check_interrupted()?;
        say!("");
        say!("==> drill: {drill:?}");
        progress.step(&format!("{drill:?}"), "starting the server");
        let result = match drill {
            Drill::Outage => outage::run(ctx, &bed, &progress),
            Drill::Pool => pool::run(ctx, &bed, &progress),
            Drill::Sigterm => sigterm::run(ctx, &bed, &progress),
            Drill::RateLimit => rate_limit::run(ctx, &bed, &progress),
        };
        let passed = match result {
            Ok(verdicts) => verdicts.passed(),
            Err(error) => {
                say!("  FAIL  the drill could not run: {error:#}");
                false
            }
        };
        summary.push((drill, passed));
    }
    progress.finish();
    say!("");
    for (drill, passed) in &summary {
        say!("{}  {drill:?}", if *passed { "PASS" } else { "FAIL" });
    }
    if summary.iter().any(|(_, passed)| !passed) {
        bail!("some drills failed");
    }
    Ok(())
}
