//! `cargo xtask backup-drill`: proves that a backup taken by `deploy/backup/backup.sh` restores
//! to exactly the data it was taken from (a backup nobody has restored is a hope, not a
//! backup).
//!
//! In a throwaway cluster:
//! 1. `deploy/postgres/roles.sql` creates the migrator and application roles and the database;
//! 2. `equoria migrate run` applies the schema as the migrator (MIGRATION_DATABASE_URL);
//! 3. the application role seeds a few thousand rows into every table ([`SEED_SQL`]);
//! 4. `backup.sh` dumps it as the migrator, timed;
//! 5. `restore.sh --new` restores into a new database (as the superuser, owned by the
//!    migrator), and `restore.sh --replace` into an empty database that roles.sql created (as
//!    the migrator alone: the path for a rebuilt cluster), each timed;
//! 6. for every table of schema public, the row count and an md5 over all rows (in a fixed
//!    order) must be equal in the three databases, and so must the sequence positions and the
//!    schema with its owners and grants (`pg_dump --schema-only`).
//!
//! Prints the figures and the times; any difference is an error (non-zero exit).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use xshell::cmd;

use crate::dev::{Profile, build_server};
use crate::{Ctx, db, say};

const CLUSTER_DIR: &str = "equoria-backup-drill-pg";
/// Under the target dir: the seed script and the backups.
const WORK_DIR: &str = "equoria-backup-drill";
const SOURCE_DB: &str = "equoria_drill";
const NEW_DB: &str = "equoria_drill_restored";
const REPLACE_DB: &str = "equoria_drill_replaced";
/// The role names the deployment examples use (deploy/k8s/secret.example.yaml).
pub(crate) const MIGRATOR: &str = "equoria_owner";
pub(crate) const APP: &str = "equoria_app";
/// The drill cluster trusts every local connection, so the password is not checked; it is in
/// the URLs so the scripts' password handling (moved to PGPASSWORD, never printed) runs.
pub(crate) const URL_PASSWORD: &str = "drill%20pass%40word";
/// The seed writes more than this many rows; fewer means it did not run as intended.
const MIN_ROWS: u64 = 30_000;

/// What one database holds, as compared.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Figures {
    /// Table name -> (rows, md5 of all rows as text, ordered).
    pub tables: BTreeMap<String, (u64, String)>,
    /// `name|last_value` per sequence.
    pub sequences: Vec<String>,
    /// `pg_dump --schema-only`: tables, indexes, triggers, functions, owners, grants, default
    /// privileges.
    pub schema: String,
}

pub(crate) fn run(ctx: &Ctx) -> anyhow::Result<()> {
    let started = Instant::now();
    let sh = &ctx.sh;
    let bin = build_server(ctx, Profile::Debug)?;
    let pg_bin = equoria_pg_cluster::find_bin_dir()
        .context("the drill needs the PostgreSQL client programs (psql, pg_dump, pg_restore)")?;
    let psql = pg_bin.join("psql");

    let work = ctx.target_dir.join(WORK_DIR);
    if work.exists() {
        fs::remove_dir_all(&work).with_context(|| format!("removing {}", ctx.show(&work)))?;
    }
    let backups = work.join("backups");
    fs::create_dir_all(&backups).with_context(|| format!("creating {}", ctx.show(&backups)))?;
    let seed = work.join("seed.sql");
    fs::write(&seed, SEED_SQL).with_context(|| format!("writing {}", ctx.show(&seed)))?;

    let cluster = db::start_cluster(ctx, &ctx.target_dir.join(CLUSTER_DIR), true, "backup drill")?;
    let admin = cluster.url("postgres");
    let as_role = |role: &str, database: &str| {
        format!(
            "postgres://{role}:{URL_PASSWORD}@127.0.0.1:{}/{database}",
            cluster.port()
        )
    };
    let apply_roles = |database: &str| apply_roles(ctx, &psql, &admin, database);

    say!("step 1: roles {MIGRATOR} (migrator) and {APP} (application) and database {SOURCE_DB}");
    apply_roles(SOURCE_DB)?;

    say!("step 2: migrations as {MIGRATOR}, through MIGRATION_DATABASE_URL");
    ctx.run(
        cmd!(sh, "{bin} migrate run")
            .env_remove("APP_ENV")
            .env("NODE_ENV", "test")
            .env("DATABASE_URL", as_role(APP, SOURCE_DB))
            .env("MIGRATION_DATABASE_URL", as_role(MIGRATOR, SOURCE_DB)),
    )?;
    // Again after the first migration: locks __diesel_schema_migrations down for the app role.
    apply_roles(SOURCE_DB)?;

    say!("step 3: seeding {SOURCE_DB} as {APP} ({})", ctx.show(&seed));
    // Without the password: psql's command line is echoed (trust authentication needs none).
    let app_url = format!("postgres://{APP}@127.0.0.1:{}/{SOURCE_DB}", cluster.port());
    ctx.run(cmd!(sh, "{psql} -X -q -d {app_url} -f {seed}"))?;

    let scripts = ctx.root.join("deploy/backup");
    say!("step 4: backup with deploy/backup/backup.sh as {MIGRATOR}");
    let clock = Instant::now();
    ctx.run(
        cmd!(sh, "{scripts}/backup.sh")
            .env("BACKUP_DIR", &backups)
            .env("BACKUP_DATABASE_URL", as_role(MIGRATOR, SOURCE_DB))
            .env("PG_BIN_DIR", &pg_bin)
            .env_remove("PGPASSWORD")
            .ignore_stdout(),
    )?;
    let backup_time = clock.elapsed();
    let dump = only_dump(&backups)?;
    let dump_bytes = fs::metadata(&dump).map(|meta| meta.len()).unwrap_or(0);

    say!("step 5a: restore.sh --new into {NEW_DB} (superuser, database owned by {MIGRATOR})");
    let clock = Instant::now();
    ctx.run(
        cmd!(sh, "{scripts}/restore.sh --new {dump}")
            .env("RESTORE_DATABASE_URL", cluster.url(NEW_DB))
            .env("RESTORE_DB_OWNER", MIGRATOR)
            .env("PG_BIN_DIR", &pg_bin)
            .env_remove("PGPASSWORD"),
    )?;
    let new_time = clock.elapsed();
    apply_roles(NEW_DB)?;

    say!(
        "step 5b: restore.sh --replace into the empty {REPLACE_DB} made by roles.sql (as {MIGRATOR})"
    );
    apply_roles(REPLACE_DB)?;
    let clock = Instant::now();
    ctx.run(
        cmd!(sh, "{scripts}/restore.sh --replace --yes {dump}")
            .env("RESTORE_DATABASE_URL", as_role(MIGRATOR, REPLACE_DB))
            .env("PG_BIN_DIR", &pg_bin)
            .env_remove("PGPASSWORD"),
    )?;
    let replace_time = clock.elapsed();
    // As restore.sh says: a dump restored by the migrator picks up its default privileges at
    // CREATE TABLE, and pg_dump only adds grants, so __diesel_schema_migrations would be
    // writable by the app role until roles.sql converges the grants again.
    apply_roles(REPLACE_DB)?;

    say!("step 6: comparing every table, sequence and the schema");
    let source = figures(ctx, &pg_bin, &cluster.url(SOURCE_DB))?;
    let restored_new = figures(ctx, &pg_bin, &cluster.url(NEW_DB))?;
    let restored_replace = figures(ctx, &pg_bin, &cluster.url(REPLACE_DB))?;
    for (database, figures) in [
        (SOURCE_DB, &source),
        (NEW_DB, &restored_new),
        (REPLACE_DB, &restored_replace),
    ] {
        let file = work.join(format!("schema-{database}.sql"));
        fs::write(&file, &figures.schema).with_context(|| format!("writing {}", file.display()))?;
    }
    let app_writes = app_can_write(ctx, &psql, &as_role(APP, REPLACE_DB));

    let mut differences = Vec::new();
    say!("");
    say!(
        "{:<27} {:>6}  {:<32}  {:<9}  {:<9}",
        "table",
        "rows",
        "md5 of all rows",
        "--new",
        "--replace"
    );
    let mut total = 0;
    for (table, (rows, md5)) in &source.tables {
        total += rows;
        let verdicts =
            [&restored_new, &restored_replace].map(|restored| match restored.tables.get(table) {
                Some((r, m)) if r == rows && m == md5 => "equal".to_owned(),
                Some((r, _)) if r != rows => format!("{r} rows"),
                Some(_) => "md5 DIFF".to_owned(),
                None => "MISSING".to_owned(),
            });
        for (verdict, mode) in verdicts.iter().zip(["--new", "--replace"]) {
            if verdict != "equal" {
                differences.push(format!("{table} ({mode}): {verdict}"));
            }
        }
        say!(
            "{table:<27} {rows:>6}  {md5:<32}  {:<9}  {:<9}",
            verdicts[0],
            verdicts[1]
        );
    }
    say!("{:<27} {total:>6}", "total");
    for (mode, restored) in [("--new", &restored_new), ("--replace", &restored_replace)] {
        for table in restored.tables.keys() {
            if !source.tables.contains_key(table) {
                differences.push(format!("{table} ({mode}): not in the source database"));
            }
        }
    }
    let compare = |what: &str, same: [bool; 2]| {
        let word = |equal: bool| if equal { "equal" } else { "DIFFERENT" };
        say!("{what:<68}  {:<9}  {:<9}", word(same[0]), word(same[1]));
    };
    compare(
        &format!("sequence positions ({})", source.sequences.len()),
        [
            restored_new.sequences == source.sequences,
            restored_replace.sequences == source.sequences,
        ],
    );
    compare(
        "schema, owners and grants (pg_dump --schema-only)",
        [
            restored_new.schema == source.schema,
            restored_replace.schema == source.schema,
        ],
    );
    for (mode, restored) in [("--new", &restored_new), ("--replace", &restored_replace)] {
        if restored.sequences != source.sequences {
            differences.push(format!("sequence positions differ ({mode})"));
        }
        if restored.schema != source.schema {
            differences.push(format!("schema, owners or grants differ ({mode})"));
        }
    }
    match &app_writes {
        Ok(()) => say!("{APP} can write rows in the restored {REPLACE_DB}: yes"),
        Err(error) => {
            say!("{APP} can write rows in the restored {REPLACE_DB}: NO ({error:#})");
            differences.push(format!("{APP} cannot write the restored database"));
        }
    }
    say!("");
    say!(
        "times: backup {} (dump {:.1} MiB, {}), restore --new {}, restore --replace {}; drill {}",
        seconds(backup_time),
        dump_bytes as f64 / (1024.0 * 1024.0),
        ctx.show(&dump),
        seconds(new_time),
        seconds(replace_time),
        seconds(started.elapsed())
    );

    db::stop_cluster(ctx, cluster);
    if total < MIN_ROWS {
        bail!(
            "the seed wrote only {total} rows (expected at least {MIN_ROWS}): the drill proves too little"
        );
    }
    if !differences.is_empty() {
        bail!(
            "backup drill FAILED: the restored data differs from the original:\n  {}",
            differences.join("\n  ")
        );
    }
    say!(
        "backup drill PASSED: {} tables, {total} rows, restored twice, identical",
        source.tables.len()
    );
    Ok(())
}

/// Runs deploy/postgres/roles.sql as the superuser (`admin` URL) for `database`: the migrator
/// and application roles, the database, the grants. Idempotent.
pub(crate) fn apply_roles(
    ctx: &Ctx,
    psql: &Path,
    admin: &str,
    database: &str,
) -> anyhow::Result<()> {
    let sh = &ctx.sh;
    let roles_sql = ctx.root.join("deploy/postgres/roles.sql");
    ctx.run(cmd!(
        sh,
        "{psql} -X -q -v ON_ERROR_STOP=1 -v db={database} -v migrator_user={MIGRATOR} -v app_user={APP} -d {admin} -f {roles_sql}"
    ))
}

/// The one dump backup.sh wrote into the fresh `dir`.
pub(crate) fn only_dump(dir: &Path) -> anyhow::Result<PathBuf> {
    let mut dumps = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "dump") {
            dumps.push(path);
        }
    }
    match dumps.as_slice() {
        [dump] => Ok(dump.clone()),
        _ => bail!(
            "expected exactly one .dump in {} after backup.sh, found {}",
            dir.display(),
            dumps.len()
        ),
    }
}

/// Row counts and checksums of every table, sequence positions and the schema dump.
pub(crate) fn figures(ctx: &Ctx, pg_bin: &Path, url: &str) -> anyhow::Result<Figures> {
    let sh = &ctx.sh;
    let psql = pg_bin.join("psql");
    let pg_dump = pg_bin.join("pg_dump");
    let query = |sql: &str| -> anyhow::Result<String> {
        cmd!(
            sh,
            "{psql} -X -q -A -t -F | -v ON_ERROR_STOP=1 -d {url} -c {sql}"
        )
        .quiet()
        .read()
        .with_context(|| format!("querying {url}"))
    };
    let names =
        query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")?;
    let mut tables = BTreeMap::new();
    if !names.trim().is_empty() {
        let union = names
            .lines()
            .map(|name| {
                format!(
                    "SELECT '{literal}', count(*), \
                     coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), 'no rows') \
                     FROM public.\"{ident}\" t",
                    literal = name.replace('\'', "''"),
                    ident = name.replace('"', "\"\"")
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        for line in query(&union)?.lines() {
            let mut fields = line.split('|');
            let (Some(name), Some(rows), Some(md5)) = (fields.next(), fields.next(), fields.next())
            else {
                bail!("unexpected line from the checksum query: {line:?}");
            };
            let rows = rows
                .parse()
                .with_context(|| format!("row count of {name}: {rows:?}"))?;
            tables.insert(name.to_owned(), (rows, md5.to_owned()));
        }
    }
    let sequences = query(
        "SELECT sequencename || '|' || coalesce(last_value::text, 'unused') \
         FROM pg_sequences WHERE schemaname = 'public' ORDER BY sequencename",
    )?
    .lines()
    .map(str::to_owned)
    .collect();
    // The random \restrict key of recent pg_dump releases is pinned so equal schemas compare
    // equal (as tests/e2e/migrations.rs does).
    let schema = cmd!(
        sh,
        "{pg_dump} --schema-only --restrict-key=equoria --dbname {url}"
    )
    .quiet()
    .read()
    .with_context(|| format!("pg_dump --schema-only of {url}"))?;
    Ok(Figures {
        tables,
        sequences,
        schema: normalise_checks(&schema),
    })
}

/// PostgreSQL re-parses CHECK expressions on restore and flattens nested ANDs (the stored
/// `((a AND b) AND c)` of a BETWEEN comes back as `(a AND b AND c)`), so pg_dump prints the same
/// constraint with different parentheses. Lines holding a CHECK are compared without them;
/// every other line (columns, indexes, triggers, functions, owners, grants) exactly.
fn normalise_checks(schema: &str) -> String {
    schema
        .lines()
        .map(|line| {
            if line.contains(" CHECK (") {
                line.replace(['(', ')'], "")
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The application role can insert and delete a row in the restored database (its grants
/// came back with the dump).
fn app_can_write(ctx: &Ctx, psql: &Path, url: &str) -> anyhow::Result<()> {
    let sh = &ctx.sh;
    let sql = "INSERT INTO users (email, username, password_hash) \
               VALUES ('after-restore@drill.equoria.test', 'after_restore', 'x'); \
               DELETE FROM users WHERE username = 'after_restore';";
    let output = cmd!(sh, "{psql} -X -q -v ON_ERROR_STOP=1 -d {url} -c {sql}")
        .quiet()
        .ignore_status()
        .output()
        .context("running psql as the application role")?;
    if !output.status.success() {
        bail!(
            "insert and delete failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

fn seconds(duration: Duration) -> String {
    format!("{:.2} s", duration.as_secs_f64())
}

/// The drill's data: see the comment at its top.
pub(crate) const SEED_SQL: &str = r##"-- Seed data of `cargo xtask backup-drill`, run by psql as the application role (so it also
-- shows that role can write every table). A few thousand rows per table, consistent with the
-- schema's CHECKs and with the ledger invariants (users.money == sum of the user's ledger
-- entries, sum(users.money) + sum(house_ledger.amount) == 0, users.xp == sum of its XP events).
-- Deterministic (no random(), no now()), so the checksums are the same on every run. Expects a
-- freshly migrated database: users, horses and shows get ids 1..n in insertion order.
\set ON_ERROR_STOP on
\set users 3000
\set horses 6000
\set shows 300
\set entries_per_show 10
\set sessions 4000
\set disciplines '{"Western Pleasure","Reining","Cutting","Barrel Racing","Roping","Team Penning","Rodeo","Hunter","Saddleseat","Endurance","Eventing","Dressage","Show Jumping","Vaulting","Polo","Cross Country","Combined Driving","Fine Harness","Gaited","Gymkhana","Steeplechase","Racing","Harness Racing"}'
\set stats '{speed,stamina,agility,balance,precision,intelligence,boldness,flexibility,obedience,focus,strength,endurance}'
\set sexes '{Stallion,Mare,Gelding,Colt,Filly}'
\set t0 '''2026-01-01 00:00:00+00''::timestamptz'

BEGIN;

INSERT INTO users (email, username, password_hash, first_name, last_name, bio, role, created_at, updated_at)
SELECT 'player' || i || '@drill.equoria.test',
       'player_' || i,
       '$2b$12$' || substr(md5('salt' || i), 1, 22) || substr(md5('hash' || i) || md5('h' || i), 1, 31),
       CASE WHEN i % 3 = 0 THEN 'Rider' END,
       CASE WHEN i % 3 = 0 THEN 'N° ' || i END,
       CASE WHEN i % 5 = 0 THEN E'Breeds "greys", commas, \\backslashes\\,\nnew lines and ünïcødé ' || i END,
       CASE WHEN i % 500 = 0 THEN 'admin' WHEN i % 100 = 0 THEN 'moderator' ELSE 'user' END,
       :t0 + i * interval '1 minute',
       :t0 + i * interval '1 minute'
FROM generate_series(1, :users) AS i;

INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, parent_id, expires_at, used_at, revoked_at, created_at)
SELECT md5('token' || i)::uuid, i, md5('family' || i)::uuid, md5('t' || i) || md5('u' || i), NULL,
       :t0 + interval '7 days', CASE WHEN i % 3 = 0 THEN :t0 + interval '1 day' END,
       CASE WHEN i % 11 = 0 THEN :t0 + interval '2 days' END, :t0 + i * interval '1 minute'
FROM generate_series(1, :users) AS i;
INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, parent_id, expires_at, created_at)
SELECT md5('child' || i)::uuid, i, md5('family' || i)::uuid, md5('c' || i) || md5('d' || i),
       md5('token' || i)::uuid, :t0 + interval '8 days', :t0 + interval '1 day'
FROM generate_series(3, :users, 3) AS i;

-- Two horses per player: horse i belongs to player ((i - 1) % users) + 1.
INSERT INTO horses (owner_id, breed_id, name, sex, date_of_birth, speed, stamina, agility, balance,
                    precision, intelligence, boldness, flexibility, obedience, focus, strength,
                    endurance, health, xp, stat_points_spent, training_cooldown_end, created_at, updated_at)
SELECT (i - 1) % :users + 1, (i - 1) % 12 + 1,
       CASE WHEN i % 7 = 0 THEN 'Étoile ' || i ELSE 'Horse ' || i END,
       (:'sexes'::text[])[i % 5 + 1],
       :t0 - (i % 20) * interval '7 days' - interval '21 days',
       i * 3 % 101, i * 7 % 101, i * 11 % 101, i * 13 % 101, i * 17 % 101, i * 19 % 101,
       i * 23 % 101, i * 29 % 101, i * 31 % 101, i * 37 % 101, i * 41 % 101, i * 43 % 101,
       CASE WHEN i % 13 = 0 THEN 'injured' ELSE 'healthy' END,
       i % 7 * 100, i % 3 % (i % 7 + 1),
       CASE WHEN i % 4 = 0 THEN :t0 + (i % 48) * interval '1 hour' END,
       :t0 + interval '3 days' + i * interval '30 seconds',
       :t0 + interval '3 days' + i * interval '30 seconds'
FROM generate_series(1, :horses) AS i;

INSERT INTO shows (name, discipline, entry_fee, prize_pool, min_level, max_level, max_entries,
                   entry_count, closes_at, runs_at, status, completed_at, house_refund, created_by, created_at)
SELECT 'Drill Show ' || s, (:'disciplines'::text[])[s % 23 + 1], 100, 5000, 1, 10, 20,
       :entries_per_show, :t0 + interval '10 days' + s * interval '1 hour',
       :t0 + interval '10 days' + s * interval '1 hour' + interval '10 minutes',
       CASE WHEN s <= :shows - 50 THEN 'completed' ELSE 'open' END,
       CASE WHEN s <= :shows - 50 THEN :t0 + interval '10 days' + s * interval '1 hour' + interval '11 minutes' END,
       CASE WHEN s <= :shows - 50 THEN 0 END,
       500, :t0 + interval '9 days'
FROM generate_series(1, :shows) AS s;

-- Entries: show s takes horses s*10+1 .. s*10+10 (all distinct, every horse at most once).
INSERT INTO show_entries (show_id, horse_id, user_id, fee_paid, created_at)
SELECT s, s * :entries_per_show + j, (s * :entries_per_show + j - 1) % :users + 1, 100,
       :t0 + interval '10 days' + s * interval '1 hour' - interval '30 minutes' + j * interval '1 second'
FROM generate_series(1, :shows) AS s, generate_series(1, :entries_per_show) AS j;

-- Results of the completed shows: placement j for the j-th entry; prizes 2500/1500/1000.
INSERT INTO competition_results (show_id, horse_id, horse_name, user_id, entry_id, placement, score,
                                 base_score, prize, horse_xp_awarded, owner_xp_awarded, stat_gained, created_at)
SELECT e.show_id, e.horse_id, h.name, e.user_id, e.id, p.placement,
       9000 - p.placement * 300 + e.id % 50, 8000 - p.placement * 250,
       CASE p.placement WHEN 1 THEN 2500 WHEN 2 THEN 1500 WHEN 3 THEN 1000 ELSE 0 END,
       CASE WHEN p.placement <= 3 THEN 40 - p.placement * 10 ELSE 0 END,
       CASE WHEN p.placement <= 3 THEN 20 - p.placement * 5 ELSE 0 END,
       CASE WHEN p.placement <= 3 THEN (:'stats'::text[])[e.id % 12 + 1] END,
       sh.completed_at
FROM show_entries e
JOIN shows sh ON sh.id = e.show_id AND sh.status = 'completed'
JOIN horses h ON h.id = e.horse_id
CROSS JOIN LATERAL (SELECT e.horse_id - e.show_id * :entries_per_show AS placement) p;

INSERT INTO training_sessions (horse_id, user_id, discipline, score_before, score_after, stat_gained,
                               stat_gain_amount, xp_awarded, trained_at)
SELECT i % :horses + 1, (i % :horses) % :users + 1, (:'disciplines'::text[])[i % 23 + 1],
       i % 90, i % 90 + i % 5,
       CASE WHEN i % 7 = 0 THEN (:'stats'::text[])[i % 12 + 1] END,
       CASE WHEN i % 7 = 0 THEN i % 4 END,
       5, :t0 + interval '10 days' + i * interval '17 minutes'
FROM generate_series(1, :sessions) AS i;

INSERT INTO discipline_scores (horse_id, discipline, score, updated_at)
SELECT horse_id, discipline, max(score_after), max(trained_at)
FROM training_sessions
GROUP BY horse_id, discipline;

INSERT INTO horse_xp_events (horse_id, amount, reason, reference, created_at)
SELECT horse_id, horse_xp_awarded, 'show_placement', 'show:' || show_id, created_at
FROM competition_results
WHERE horse_xp_awarded > 0
ORDER BY id;

INSERT INTO user_xp_events (user_id, amount, reason, reference, created_at)
SELECT user_id, amount, reason, reference, created_at
FROM (
    SELECT user_id, xp_awarded AS amount, 'training' AS reason,
           'training_session:' || id AS reference, trained_at AS created_at, 1 AS kind, id
    FROM training_sessions
    UNION ALL
    SELECT user_id, owner_xp_awarded, 'show_placement', 'show:' || show_id, created_at, 2, id
    FROM competition_results
    WHERE owner_xp_awarded > 0
) events
ORDER BY created_at, kind, id;

-- Every coin movement, in time order; balance_after is the running sum per player.
INSERT INTO ledger_entries (user_id, amount, balance_after, reason, reference, created_at)
SELECT user_id, amount,
       sum(amount) OVER (PARTITION BY user_id ORDER BY created_at, kind, ref_id),
       reason, reference, created_at
FROM (
    SELECT id AS user_id, 10000::bigint AS amount, 'registration_grant' AS reason,
           NULL::text AS reference, created_at, 1 AS kind, id AS ref_id
    FROM users
    UNION ALL
    SELECT owner_id, -1000, 'horse_purchase', 'horse:' || id, created_at, 2, id FROM horses
    UNION ALL
    SELECT user_id, -fee_paid, 'show_entry_fee', 'show:' || show_id, created_at, 3, id FROM show_entries
    UNION ALL
    SELECT user_id, prize, 'show_prize', 'show:' || show_id, created_at, 4, id
    FROM competition_results WHERE prize > 0
) moves
ORDER BY created_at, kind, ref_id;

INSERT INTO house_ledger (amount, reason, reference, user_id, created_at)
SELECT amount, reason, reference, user_id, created_at
FROM (
    SELECT -amount AS amount, reason, reference, user_id, created_at, id
    FROM ledger_entries WHERE reason IN ('registration_grant', 'horse_purchase', 'show_entry_fee')
    UNION ALL
    SELECT -prize_pool, 'show_prize_pool', 'show:' || id, NULL, completed_at, id
    FROM shows WHERE status = 'completed'
) flows
ORDER BY created_at, id;

-- Totals follow their histories (an explicit updated_at is kept by the trigger).
UPDATE users u
SET money = coalesce((SELECT sum(amount) FROM ledger_entries l WHERE l.user_id = u.id), 0),
    xp = coalesce((SELECT sum(amount) FROM user_xp_events x WHERE x.user_id = u.id), 0),
    updated_at = u.created_at + interval '1 day';
UPDATE horses h
SET xp = h.xp + coalesce((SELECT sum(amount) FROM horse_xp_events x WHERE x.horse_id = h.id), 0),
    earnings = coalesce((SELECT sum(prize) FROM competition_results r WHERE r.horse_id = h.id), 0),
    wins = (SELECT count(*) FROM competition_results r WHERE r.horse_id = h.id AND r.placement = 1),
    updated_at = h.created_at + interval '1 day';

-- The invariants the game relies on; a failure aborts the drill before any backup is taken.
DO $$
BEGIN
    IF (SELECT sum(money) FROM users) + (SELECT sum(amount) FROM house_ledger) <> 0 THEN
        RAISE EXCEPTION 'seed: sum(users.money) + sum(house_ledger.amount) <> 0';
    END IF;
    IF EXISTS (SELECT FROM users u WHERE u.money <> (SELECT balance_after FROM ledger_entries l
               WHERE l.user_id = u.id ORDER BY l.id DESC LIMIT 1)) THEN
        RAISE EXCEPTION 'seed: a player''s money differs from the last balance_after';
    END IF;
END
$$;
COMMIT;
"##;
