//! Least-privilege database roles (`deploy/postgres/roles.sql`): migrations run as the
//! migrator through MIGRATION_DATABASE_URL, the server runs as the application role, which may
//! read and write rows and nothing else.
//!
//! Roles are cluster-wide, so each test creates its own pair, named after its test database,
//! and drops them after the database.

use std::path::PathBuf;
use std::process::{Command, Output};

use equoria_test_support::TestDatabase;
use serde_json::{Value, json};

use crate::support::{Server, command};

const ROLES_SQL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../deploy/postgres/roles.sql"
);
/// Trust authentication on the test cluster ignores it; it is set to exercise that path.
const PASSWORD: &str = "not-checked-on-a-trust-cluster";

/// The test database and its two roles. Fields drop in order: the database goes first, so the
/// roles own nothing any more when they are dropped.
struct Provisioned {
    db: TestDatabase,
    roles: Roles,
}

struct Roles {
    admin_url: String,
    migrator: String,
    app: String,
}

impl Drop for Roles {
    fn drop(&mut self) {
        let sql = format!(
            "DROP ROLE IF EXISTS \"{}\"; DROP ROLE IF EXISTS \"{}\";",
            self.app, self.migrator
        );
        let output = psql(&self.admin_url, &sql);
        if !output.status.success() {
            eprintln!(
                "warning: could not drop roles {} and {}: {}",
                self.app,
                self.migrator,
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
}

impl Provisioned {
    fn app_url(&self) -> String {
        url_as(self.db.url(), &self.roles.app)
    }

    fn migrator_url(&self) -> String {
        url_as(self.db.url(), &self.roles.migrator)
    }
}

fn psql_bin() -> PathBuf {
    equoria_pg_cluster::find_bin_dir()
        .expect("PostgreSQL is installed")
        .join("psql")
}

/// Runs `sql` with psql; errors carry their SQLSTATE (VERBOSITY verbose).
fn psql(url: &str, sql: &str) -> Output {
    Command::new(psql_bin())
        .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-v"])
        .arg("VERBOSITY=verbose")
        .args(["-d", url, "-c", sql])
        .output()
        .unwrap()
}

fn url_as(database_url: &str, role: &str) -> String {
    let mut url = url::Url::parse(database_url).unwrap();
    url.set_username(role).unwrap();
    url.set_password(Some(PASSWORD)).unwrap();
    url.to_string()
}

fn admin_url() -> String {
    std::env::var(equoria_test_support::ENV_VAR).unwrap()
}

fn apply_roles_sql(database: &str, roles: &Roles) -> String {
    let output = Command::new(psql_bin())
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1"])
        .args(["-v", &format!("db={database}")])
        .args(["-v", &format!("migrator_user={}", roles.migrator)])
        .args(["-v", &format!("app_user={}", roles.app)])
        .args(["-v", &format!("migrator_password={PASSWORD}")])
        .args(["-v", &format!("app_password={PASSWORD}")])
        .args(["-d", &roles.admin_url, "-f", ROLES_SQL])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "roles.sql failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn migrate_run(app_url: &str, migrator_url: &str) -> String {
    // DATABASE_URL is the app role: if `migrate` used it instead of MIGRATION_DATABASE_URL,
    // the first CREATE TABLE would be refused.
    let output = command(&[
        ("NODE_ENV", "test"),
        ("DATABASE_URL", app_url),
        ("MIGRATION_DATABASE_URL", migrator_url),
    ])
    .args(["migrate", "run"])
    .output()
    .unwrap();
    assert!(
        output.status.success(),
        "migrate run as the migrator failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A database created empty, roles.sql, `migrate run` as the migrator, then roles.sql once
/// more (as the README says: it also locks the migration table down).
async fn provision() -> Provisioned {
    let db = TestDatabase::empty().await;
    let roles = Roles {
        admin_url: admin_url(),
        migrator: format!("{}_migrator", db.name()),
        app: format!("{}_app", db.name()),
    };
    let provisioned = Provisioned { db, roles };
    let name = provisioned.db.name().to_owned();
    let (app_url, migrator_url) = (provisioned.app_url(), provisioned.migrator_url());
    let roles = &provisioned.roles;
    tokio::task::block_in_place(|| {
        apply_roles_sql(&name, roles);
        let applied = migrate_run(&app_url, &migrator_url);
        assert!(applied.contains("applied"), "{applied}");
        apply_roles_sql(&name, roles);
    });
    provisioned
}

/// Runs `sql` as `url`'s role and returns the SQLSTATE it failed with (None: it succeeded).
fn sqlstate_of(url: &str, sql: &str) -> Option<String> {
    let output = psql(url, sql);
    if output.status.success() {
        return None;
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    // "ERROR:  42501: permission denied for schema public"
    let code = stderr
        .split("ERROR:")
        .nth(1)
        .and_then(|rest| rest.trim_start().split(':').next())
        .unwrap_or_default();
    Some(format!(
        "{code} ({})",
        stderr.lines().next().unwrap_or_default()
    ))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_app_role_is_refused_every_schema_change_but_reads_and_writes_rows() {
    let provisioned = provision().await;
    let app = provisioned.app_url();

    let refused = [
        "CREATE TABLE intruder (id integer)",
        "CREATE TEMPORARY TABLE scratch (id integer)",
        "CREATE VIEW intruder AS SELECT 1",
        "CREATE FUNCTION intruder() RETURNS integer LANGUAGE sql AS 'SELECT 1'",
        "ALTER TABLE users ADD COLUMN intruder integer",
        "ALTER TABLE horses DROP CONSTRAINT horses_sex_check",
        "CREATE INDEX intruder ON users (bio)",
        "DROP TABLE ledger_entries",
        "DROP TRIGGER users_set_updated_at ON users",
        "TRUNCATE house_ledger",
        "TRUNCATE users CASCADE",
        "SELECT setval('users_id_seq', 1)",
        "INSERT INTO __diesel_schema_migrations (version) VALUES ('99999999999999')",
        "DELETE FROM __diesel_schema_migrations",
    ];
    for sql in refused {
        let code = tokio::task::block_in_place(|| sqlstate_of(&app, sql));
        match code {
            Some(code) => assert!(
                code.starts_with("42501"),
                "`{sql}` failed, but not with insufficient_privilege (42501): {code}"
            ),
            None => panic!("the app role was allowed to run `{sql}`"),
        }
    }

    let dml = "INSERT INTO users (email, username, password_hash) \
               VALUES ('dml@roles.test', 'dml_role', 'x'); \
               UPDATE users SET bio = 'rows only' WHERE username = 'dml_role'; \
               SELECT bio FROM users WHERE username = 'dml_role'; \
               DELETE FROM users WHERE username = 'dml_role'; \
               SELECT count(*) FROM __diesel_schema_migrations;";
    let output = tokio::task::block_in_place(|| psql(&app, dml));
    assert!(
        output.status.success(),
        "DML as the app role failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.first(), Some(&"rows only"), "{stdout}");
    assert!(
        lines
            .get(1)
            .is_some_and(|count| count.parse::<u32>().unwrap() >= 8),
        "the app role must be able to read the applied migrations: {stdout}"
    );

    // Every table belongs to the migrator, including the migration bookkeeping.
    let owners = tokio::task::block_in_place(|| {
        psql(
            &admin_url_for(&provisioned),
            "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'",
        )
    });
    assert_eq!(
        String::from_utf8_lossy(&owners.stdout).trim(),
        provisioned.roles.migrator
    );
}

/// The append-only history (money ledgers, XP histories, competition results, training log),
/// each with a column an UPDATE may name (identity columns refuse updates on their own).
const HISTORY_TABLES: [(&str, &str); 6] = [
    ("ledger_entries", "created_at"),
    ("house_ledger", "created_at"),
    ("user_xp_events", "created_at"),
    ("horse_xp_events", "created_at"),
    ("competition_results", "created_at"),
    ("training_sessions", "discipline"),
];

#[tokio::test(flavor = "multi_thread")]
async fn the_app_role_may_only_read_and_append_to_the_history_tables() {
    let provisioned = provision().await;
    let app = provisioned.app_url();
    tokio::task::block_in_place(|| {
        for (table, column) in HISTORY_TABLES {
            for sql in [
                format!("UPDATE {table} SET {column} = {column} WHERE false"),
                format!("DELETE FROM {table} WHERE false"),
            ] {
                let refused = sqlstate_of(&app, &sql);
                assert!(
                    refused
                        .as_deref()
                        .is_some_and(|code| code.starts_with("42501")),
                    "the app role may run `{sql}`: {refused:?}"
                );
            }
            let rights = psql(
                &app,
                &format!(
                    "SELECT has_table_privilege('{table}', 'SELECT') \
                     AND has_table_privilege('{table}', 'INSERT'), count(*) >= 0 FROM {table}"
                ),
            );
            assert!(
                rights.status.success(),
                "{table}: {}",
                String::from_utf8_lossy(&rights.stderr)
            );
            assert_eq!(
                String::from_utf8_lossy(&rights.stdout).trim(),
                "t|t",
                "{table}: the app role must read and append"
            );
        }
        // The other tables keep UPDATE and DELETE (balances, horses, tokens...).
        assert_eq!(
            sqlstate_of(
                &app,
                "UPDATE users SET bio = bio WHERE false; DELETE FROM refresh_tokens WHERE false"
            ),
            None
        );
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn tables_a_later_migration_creates_are_granted_to_the_app_role_automatically() {
    let provisioned = provision().await;
    let (app, migrator) = (provisioned.app_url(), provisioned.migrator_url());

    tokio::task::block_in_place(|| {
        // What a future migration does, run as the migrator after roles.sql.
        let created = psql(
            &migrator,
            "CREATE TABLE stable_notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \
             note text NOT NULL)",
        );
        assert!(
            created.status.success(),
            "{}",
            String::from_utf8_lossy(&created.stderr)
        );

        let written = psql(
            &app,
            "INSERT INTO stable_notes (note) VALUES ('a'), ('b'); \
             UPDATE stable_notes SET note = 'c' WHERE id = 1; \
             DELETE FROM stable_notes WHERE id = 2; \
             SELECT note FROM stable_notes",
        );
        assert!(
            written.status.success(),
            "the default privileges did not reach the new table: {}",
            String::from_utf8_lossy(&written.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&written.stdout).trim(), "c");
        for sql in [
            "TRUNCATE stable_notes",
            "DROP TABLE stable_notes",
            "ALTER TABLE stable_notes ADD COLUMN x integer",
        ] {
            assert!(
                sqlstate_of(&app, sql).is_some_and(|code| code.starts_with("42501")),
                "the app role may run `{sql}` on a new table"
            );
        }
    });
}

fn admin_url_for(provisioned: &Provisioned) -> String {
    equoria_test_support::with_database(&provisioned.roles.admin_url, provisioned.db.name())
}

/// Sends `request`, requires status `expected` and returns the JSON body (null when empty).
async fn send(request: reqwest::RequestBuilder, expected: u16, what: &str) -> Value {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(status, expected, "{what}: {body}");
    body
}

#[tokio::test(flavor = "multi_thread")]
async fn the_whole_api_works_when_the_server_connects_as_the_app_role() {
    let provisioned = provision().await;
    let server = Server::start(&provisioned.app_url(), &[("BCRYPT_SALT_ROUNDS", "4")]).await;
    let client = reqwest::Client::new();
    let c = &client;

    let health = send(c.get(server.url("/health")), 200, "GET /health").await;
    assert_eq!(health["database"], "connected");

    let password = "correct horse battery";
    let registered = send(
        c.post(server.url("/api/auth/register")).json(&json!({
            "email": "rider@roles.test",
            "username": "least_privilege",
            "password": password,
        })),
        201,
        "POST /api/auth/register",
    )
    .await;
    assert_eq!(registered["data"]["user"]["username"], "least_privilege");

    let login = send(
        c.post(server.url("/api/auth/login"))
            .json(&json!({"email": "rider@roles.test", "password": password})),
        200,
        "POST /api/auth/login",
    )
    .await;
    let access = login["data"]["accessToken"].as_str().unwrap().to_owned();
    let refresh = login["data"]["refreshToken"].as_str().unwrap().to_owned();

    let me = send(
        c.get(server.url("/api/auth/me")).bearer_auth(&access),
        200,
        "GET /api/auth/me",
    )
    .await;
    assert_eq!(me["data"]["email"], "rider@roles.test");

    // UPDATE users (and its updated_at trigger).
    let updated = send(
        c.patch(server.url("/api/auth/me"))
            .bearer_auth(&access)
            .json(&json!({"bio": "Runs with data rights only."})),
        200,
        "PATCH /api/auth/me",
    )
    .await;
    assert_eq!(updated["data"]["bio"], "Runs with data rights only.");

    let refreshed = send(
        c.post(server.url("/api/auth/refresh"))
            .json(&json!({"refreshToken": refresh})),
        200,
        "POST /api/auth/refresh",
    )
    .await;
    let access = refreshed["data"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();

    let transactions = send(
        c.get(server.url("/api/users/me/transactions"))
            .bearer_auth(&access),
        200,
        "GET /api/users/me/transactions",
    )
    .await;
    let reasons: Vec<&str> = transactions["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|entry| entry["reason"].as_str())
        .collect();
    assert!(reasons.contains(&"registration_grant"), "{transactions}");

    // Horses: buy (INSERT horses, ledger and house rows, UPDATE users), list, rename, train
    // (training log, discipline score, XP events), delete.
    let breeds = send(
        c.get(server.url("/api/breeds")).bearer_auth(&access),
        200,
        "GET /api/breeds",
    )
    .await;
    assert_eq!(
        breeds["data"].as_array().map(Vec::len),
        Some(12),
        "{breeds}"
    );
    let bought = send(
        c.post(server.url("/api/horses"))
            .bearer_auth(&access)
            .json(&json!({"name": "Grant Select", "breedId": 1, "sex": "Mare"})),
        201,
        "POST /api/horses",
    )
    .await;
    let horse_id = bought["data"]["id"].as_i64().unwrap();
    let horses = send(
        c.get(server.url("/api/horses")).bearer_auth(&access),
        200,
        "GET /api/horses",
    )
    .await;
    assert!(
        horses["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|horse| horse["id"] == horse_id),
        "{horses}"
    );
    send(
        c.patch(server.url(&format!("/api/horses/{horse_id}")))
            .bearer_auth(&access)
            .json(&json!({"name": "Revoke All"})),
        200,
        "PATCH /api/horses/{id}",
    )
    .await;
    send(
        c.post(server.url("/api/training/train"))
            .bearer_auth(&access)
            .json(&json!({"horseId": horse_id, "discipline": "Dressage"})),
        200,
        "POST /api/training/train",
    )
    .await;
    // Shows: create (as an admin), enter (fee through the ledgers), run (results, prizes, XP
    // events): every history row is inserted, none updated.
    let promoted = tokio::task::block_in_place(|| {
        psql(
            &admin_url_for(&provisioned),
            "UPDATE users SET role = 'admin' WHERE username = 'least_privilege'",
        )
    });
    assert!(promoted.status.success());
    let show = send(
        c.post(server.url("/api/shows"))
            .bearer_auth(&access)
            .json(&json!({
                "name": "Append Only Cup", "discipline": "Racing", "entryFee": 10,
                "prizePool": 100, "minLevel": 1, "maxLevel": 10, "maxEntries": 5,
                "closesAt": "2099-01-01T12:00:00Z", "runsAt": "2099-01-01T13:00:00Z",
            })),
        201,
        "POST /api/shows",
    )
    .await;
    let show_id = show["data"]["id"].as_i64().unwrap();
    send(
        c.post(server.url(&format!("/api/shows/{show_id}/entries")))
            .bearer_auth(&access)
            .json(&json!({"horseId": horse_id})),
        201,
        "POST /api/shows/{id}/entries",
    )
    .await;
    let due = tokio::task::block_in_place(|| {
        psql(
            &admin_url_for(&provisioned),
            &format!(
                "UPDATE shows SET closes_at = now() - interval '2 minutes', \
                 runs_at = now() - interval '1 minute' WHERE id = {show_id}"
            ),
        )
    });
    assert!(due.status.success());
    send(
        c.post(server.url(&format!("/api/shows/{show_id}/run")))
            .bearer_auth(&access),
        200,
        "POST /api/shows/{id}/run",
    )
    .await;

    // Deleting the horse sets its id to NULL in its results, XP events and training log
    // (foreign-key actions, which run as the tables' owner).
    let deleted = c
        .delete(server.url(&format!("/api/horses/{horse_id}")))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert!(
        deleted.status().is_success(),
        "DELETE /api/horses/{{id}}: {}",
        deleted.status()
    );

    send(
        c.post(server.url("/api/auth/logout"))
            .json(&json!({"refreshToken": refreshed["data"]["refreshToken"]})),
        204,
        "POST /api/auth/logout",
    )
    .await;
    // UPDATE users and revoke every refresh token of the account.
    send(
        c.post(server.url("/api/auth/change-password"))
            .bearer_auth(&access)
            .json(&json!({"currentPassword": password, "newPassword": "another long passphrase"})),
        204,
        "POST /api/auth/change-password",
    )
    .await;

    let health = send(c.get(server.url("/health")), 200, "GET /health at the end").await;
    assert_eq!(health["database"], "connected");
    assert!(
        !server.log_text().contains("permission denied"),
        "the server log shows a permission error:\n{}",
        server.log_text()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn roles_sql_hands_a_schema_migrated_by_a_superuser_to_the_migrator() {
    // The state of a deployment that ran migrations as the superuser before adopting roles.
    let db = TestDatabase::migrated().await;
    let roles = Roles {
        admin_url: admin_url(),
        migrator: format!("{}_migrator", db.name()),
        app: format!("{}_app", db.name()),
    };
    let provisioned = Provisioned { db, roles };
    let name = provisioned.db.name().to_owned();
    let (app, migrator) = (provisioned.app_url(), provisioned.migrator_url());

    tokio::task::block_in_place(|| {
        apply_roles_sql(&name, &provisioned.roles);
        let owners = psql(
            &admin_url_for(&provisioned),
            "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public' \
             UNION SELECT DISTINCT proowner::regrole::text FROM pg_proc \
             WHERE pronamespace = 'public'::regnamespace",
        );
        assert_eq!(
            String::from_utf8_lossy(&owners.stdout).trim(),
            provisioned.roles.migrator
        );

        // The migrator can now take the newest migration down and up again (DROP + CREATE of
        // objects first created by the superuser)...
        let redo = command(&[
            ("NODE_ENV", "test"),
            ("DATABASE_URL", &app),
            ("MIGRATION_DATABASE_URL", &migrator),
        ])
        .args(["migrate", "redo"])
        .output()
        .unwrap();
        assert!(
            redo.status.success(),
            "migrate redo as the migrator: {}",
            String::from_utf8_lossy(&redo.stderr)
        );
        // ...and the app role still writes rows, including the recreated columns.
        let write = psql(
            &app,
            "INSERT INTO users (email, username, password_hash) VALUES ('a@b.test', 'abc', 'x'); \
             UPDATE shows SET run_attempts = run_attempts WHERE false",
        );
        assert!(
            write.status.success(),
            "{}",
            String::from_utf8_lossy(&write.stderr)
        );
        assert!(
            sqlstate_of(&app, "ALTER TABLE shows DROP COLUMN run_attempts")
                .is_some_and(|code| code.starts_with("42501"))
        );
    });
}
