//! The data the scenarios run on: a template account registered through the API (its hash has
//! the server's bcrypt cost), then 10,000 players with 100,000 horses and their shows seeded in
//! SQL (bench/seed.sql); the tokens the login scenarios leave behind.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use xshell::cmd;

use super::Bench;
use crate::progress::Progress;
use crate::{http, say};

/// The seeded ids (see bench/seed.sql).
pub(super) const USER_BASE: u64 = 1_000_000;
pub(super) const HORSE_BASE: u64 = 1_000_000;
pub(super) const PLAYERS: u64 = 10_000;
/// Players 1..=COSTLY_PLAYERS have the server's bcrypt cost (the login scenario's); the others
/// a cost-4 hash (the user flow's, see bench/seed.sql).
pub(super) const COSTLY_PLAYERS: u64 = 1_000;
pub(super) const HORSES: u64 = 100_000;
/// The seeded shows, each with ten entries and ten results.
const SHOWS: u64 = 100_000;
const ENTRIES: u64 = 10 * SHOWS;
/// The rows bench/seed.sql inserts, the seeding progress's total: players, horses, shows,
/// entries, results, one XP event per horse and per player, two ledger entries per player (the
/// grant and the prizes), and the house's (one per player, one per show).
const SEED_ROWS: u64 =
    PLAYERS + HORSES + SHOWS + 2 * ENTRIES + HORSES + PLAYERS + 2 * PLAYERS + PLAYERS + SHOWS;
/// The one password every seeded player has (the template account's).
pub(super) const PASSWORD: &str = "bench-password-0001";

const SEED_SQL: &str = include_str!("seed.sql");

/// Registers the template account (its hash has the server's bcrypt cost) and seeds, or on
/// `--keep-data` only resets what the previous run changed.
pub(super) fn prepare(bench: &Bench<'_>, reuse: bool) -> anyhow::Result<()> {
    let ctx = bench.ctx;
    let sh = &ctx.sh;
    let url = bench.url.as_str();
    let port = bench.server.port();
    let flow_hashes = flow_hashes_sql();
    if reuse {
        say!("reusing the seeded database; resetting training cooldowns");
        let sql = "UPDATE horses SET training_cooldown_end = NULL \
                   WHERE training_cooldown_end IS NOT NULL; DELETE FROM refresh_tokens;";
        ctx.run(cmd!(sh, "psql -X -q -v ON_ERROR_STOP=1 -d {url} -c {sql}"))?;
        return ctx.run(cmd!(
            sh,
            "psql -X -q -v ON_ERROR_STOP=1 -d {url} -c {flow_hashes}"
        ));
    }
    http::register(port, "bench_template", "bench.equoria.test", PASSWORD)?;
    let seed = bench.work.join("seed.sql");
    fs::write(&seed, SEED_SQL).with_context(|| format!("writing {}", seed.display()))?;
    say!(
        "seeding 10,000 players, 100,000 horses, 100,000 shows, 1,000,000 entries and results \
         (SQL generate_series, then VACUUM ANALYZE)"
    );
    let started = Instant::now();
    seed_with_progress(bench, &seed)?;
    ctx.run(cmd!(
        sh,
        "psql -X -q -v ON_ERROR_STOP=1 -d {url} -c {flow_hashes}"
    ))?;
    say!("seeded in {:.1} s", started.elapsed().as_secs_f64());
    // The VACUUM at the end of the seed script left most of the horses' pages not all-visible
    // here (every index-only scan of a board then visits the heap: -40 % on the wins board), and
    // autovacuum then went over the new tables during the measurements; a second pass over the
    // whole database from a new session sets the visibility map. Say what it achieved.
    let sql = "VACUUM (ANALYZE)";
    ctx.run(cmd!(sh, "psql -X -q -v ON_ERROR_STOP=1 -d {url} -c {sql}"))?;
    let sql = "SELECT relallvisible || ' of ' || relpages FROM pg_class WHERE relname = 'horses'";
    let output = ctx.output_quiet(cmd!(sh, "psql -X -A -t -d {url} -c {sql}"))?;
    say!(
        "horses: {} pages all-visible",
        String::from_utf8_lossy(&output.stdout).trim()
    );
    Ok(())
}

/// Runs the seed script with psql echoing each statement (`-e`) and printing its command tag,
/// which move the progress: rows inserted of [`SEED_ROWS`], and the statement running.
fn seed_with_progress(bench: &Bench<'_>, seed: &Path) -> anyhow::Result<()> {
    let sh = &bench.ctx.sh;
    let url = bench.url.as_str();
    let progress = Progress::counter("seeding", SEED_ROWS, "rows");
    bench.ctx.run_lines(
        cmd!(sh, "psql -X -A -t -e -v ON_ERROR_STOP=1 -d {url} -f {seed}"),
        |line| match seed_line(line) {
            Some(SeedLine::Inserted(rows)) => progress.advance(rows),
            Some(SeedLine::Running(what)) => progress.set_message(&what),
            None => {}
        },
    )?;
    progress.finish();
    Ok(())
}

/// What a line of psql's output during the seed tells.
#[derive(Debug, PartialEq, Eq)]
enum SeedLine {
    /// The command tag of an INSERT: how many rows it inserted.
    Inserted(u64),
    /// An echoed statement began: what it does.
    Running(String),
}

fn seed_line(line: &str) -> Option<SeedLine> {
    if let Some(rows) = line.strip_prefix("INSERT 0 ") {
        return rows.trim().parse().ok().map(SeedLine::Inserted);
    }
    let words: Vec<&str> = line.split_whitespace().collect();
    let what = match words.as_slice() {
        ["INSERT", "INTO", table, ..] => format!("inserting into {table}"),
        ["UPDATE", table, ..] if table.parse::<u64>().is_err() => format!("updating {table}"),
        ["CREATE", "TEMP", "TABLE", table, ..] => format!("collecting {table}"),
        ["VACUUM", ..] if line.contains('(') => "vacuuming".to_owned(),
        _ => return None,
    };
    Some(SeedLine::Running(what))
}

/// Gives the user flow's players (all but the first COSTLY_PLAYERS) the benchmark password
/// hashed at bcrypt cost 4, so that thousands of them can log in within seconds (login
/// verifies at the cost stored in the hash). Only rows without such a hash change, so a
/// database kept from an older seed is brought up to date too.
fn flow_hashes_sql() -> String {
    format!(
        "CREATE EXTENSION IF NOT EXISTS pgcrypto; \
         UPDATE users SET password_hash = (SELECT crypt('{PASSWORD}', gen_salt('bf', 4))) \
         WHERE id > {} AND password_hash NOT LIKE '$2a$04$%'; \
         DROP EXTENSION pgcrypto;",
        USER_BASE + COSTLY_PLAYERS
    )
}

/// A fresh access token of the template account.
pub(super) fn login(port: u16, email: &str) -> anyhow::Result<(String, Duration)> {
    let body = format!(r#"{{"email":"{email}","password":"{PASSWORD}"}}"#);
    let started = Instant::now();
    let response = http::request(
        port,
        "POST",
        "/api/auth/login",
        &[],
        Some(&body),
        Duration::from_secs(30),
    )?;
    let took = started.elapsed();
    if response.status != 200 {
        bail!(
            "login as {email} answered {}: {}",
            response.status,
            response.body
        );
    }
    let json: serde_json::Value = serde_json::from_str(&response.body)?;
    let token = json["data"]["accessToken"]
        .as_str()
        .ok_or_else(|| anyhow!("no data.accessToken in {}", response.body))?;
    Ok((token.to_owned(), took))
}

/// Joins the token files of the login scenario, one line per distinct player.
pub(super) fn merge_tokens(dir: &Path) -> anyhow::Result<(PathBuf, usize)> {
    let mut by_user = BTreeMap::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "txt") {
            for line in fs::read_to_string(&path)?.lines() {
                if let Some((id, token)) = line.split_once(' ') {
                    by_user.insert(id.to_owned(), token.to_owned());
                }
            }
        }
    }
    let merged = dir.join("players.tokens");
    let text: String = by_user
        .iter()
        .map(|(id, token)| format!("{id} {token}\n"))
        .collect();
    fs::write(&merged, text)?;
    Ok((merged, by_user.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_progress_reads_insert_tags_and_echoed_statements() {
        assert_eq!(
            seed_line("INSERT 0 1000000"),
            Some(SeedLine::Inserted(1_000_000))
        );
        assert_eq!(
            seed_line(
                "INSERT INTO show_entries (id, show_id, horse_id, user_id, fee_paid, created_at)"
            ),
            Some(SeedLine::Running("inserting into show_entries".to_owned()))
        );
        assert_eq!(
            seed_line("UPDATE horses h"),
            Some(SeedLine::Running("updating horses".to_owned()))
        );
        assert_eq!(seed_line("UPDATE 100000"), None);
        assert_eq!(
            seed_line("VACUUM (FREEZE, ANALYZE);"),
            Some(SeedLine::Running("vacuuming".to_owned()))
        );
        assert_eq!(seed_line("VACUUM"), None);
        assert_eq!(seed_line("1000100000"), None);
        assert_eq!(seed_line("SELECT 1000000"), None);
    }

    #[test]
    fn the_seed_total_counts_every_inserting_statement() {
        let inserts = SEED_SQL.matches("\nINSERT INTO ").count();
        assert_eq!(inserts, 11);
        assert_eq!(SEED_ROWS, 2_450_000);
    }
}
