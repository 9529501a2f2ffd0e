//! Test databases: every test gets its own database, cloned from a migrated
//! template and dropped afterwards, so tests run in parallel and never see
//! each other's rows.
//!
//! The server to use is named by `EQUORIA_TEST_DATABASE_URL` (a superuser
//! URL; `cargo xtask test` starts a throwaway cluster and sets it). The
//! template is named after a fingerprint of `migrations/` and built once,
//! under an advisory lock, by whichever test process needs it first.

#![expect(clippy::expect_used)] // a test fixture that cannot be built must stop the test loudly

use diesel::sql_types::{BigInt, Bool, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

/// Variable naming the PostgreSQL server tests may create databases on.
pub const ENV_VAR: &str = "EQUORIA_TEST_DATABASE_URL";
const TEMPLATE_LOCK: i64 = 0x4551_5445_4d50_4c54; // "EQTEMPLT"

/// A database owned by one test; dropped (forcibly) when this value drops.
#[derive(Debug)]
pub struct TestDatabase {
    url: String,
    name: String,
    admin_url: String,
}

impl TestDatabase {
    /// A fresh database with the whole schema and seed data applied.
    pub async fn migrated() -> Self {
        let admin_url = admin_url();
        let template = format!("equoria_tmpl_{}", env!("EQUORIA_MIGRATIONS_HASH"));
        ensure_template(&admin_url, &template).await;
        Self::create(admin_url, Some(&template)).await
    }

    /// A fresh database with nothing in it (no migrations applied).
    pub async fn empty() -> Self {
        Self::create(admin_url(), None).await
    }

    async fn create(admin_url: String, template: Option<&str>) -> Self {
        let name = format!("equoria_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = connect(&admin_url).await;
        let template_clause = template
            .map(|t| format!(" TEMPLATE \"{t}\""))
            .unwrap_or_default();
        diesel::sql_query(format!("CREATE DATABASE \"{name}\"{template_clause}"))
            .execute(&mut admin)
            .await
            .expect("CREATE DATABASE for a test");
        Self {
            url: with_database(&admin_url, &name),
            name,
            admin_url,
        }
    }

    /// Connection URL of this test's database.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// A direct connection for arranging and asserting.
    pub async fn connect(&self) -> AsyncPgConnection {
        connect(&self.url).await
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs inside or outside a runtime; a private thread with its
        // own runtime works in both cases.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut admin = AsyncPgConnection::establish(&admin_url).await.ok()?;
                diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&mut admin)
                    .await
                    .ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            eprintln!("warning: could not drop test database {}", self.name);
        }
    }
}

fn admin_url() -> String {
    std::env::var(ENV_VAR).unwrap_or_else(|_| {
        panic!(
            "{ENV_VAR} is not set. Run the tests with `cargo xtask test` (it starts a throwaway \
             PostgreSQL), or point {ENV_VAR} at a server where tests may create databases."
        )
    })
}

async fn connect(url: &str) -> AsyncPgConnection {
    AsyncPgConnection::establish(url)
        .await
        .unwrap_or_else(|err| panic!("cannot connect to the test PostgreSQL server: {err}"))
}

/// Replaces the database name in a PostgreSQL URL.
pub fn with_database(url: &str, database: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("EQUORIA_TEST_DATABASE_URL is a URL");
    parsed.set_path(&format!("/{database}"));
    parsed.to_string()
}

async fn ensure_template(admin_url: &str, template: &str) {
    let mut admin = connect(admin_url).await;
    diesel::sql_query("SELECT pg_advisory_lock($1)")
        .bind::<BigInt, _>(TEMPLATE_LOCK)
        .execute(&mut admin)
        .await
        .expect("template lock");
    let exists: bool = diesel::select(
        diesel::dsl::sql::<Bool>("EXISTS (SELECT 1 FROM pg_database WHERE datname = ")
            .bind::<Text, _>(template)
            .sql(")"),
    )
    .get_result(&mut admin)
    .await
    .expect("looking up the template database");
    if !exists {
        // Build under a temporary name and rename when complete, so a crash
        // half-way never leaves a broken template behind.
        let building = format!("{template}_building");
        for sql in [
            format!("DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"),
            format!("CREATE DATABASE \"{building}\""),
        ] {
            diesel::sql_query(sql)
                .execute(&mut admin)
                .await
                .expect("preparing the template");
        }
        let url = with_database(admin_url, &building);
        tokio::task::spawn_blocking(move || {
            equoria_persistence::migrations::run_pending(
                &url,
                equoria_persistence::migrations::DEFAULT_LOCK_TIMEOUT,
            )
        })
        .await
        .expect("migration task")
        .unwrap_or_else(|err| panic!("migrating the test template failed: {err}"));
        diesel::sql_query(format!(
            "ALTER DATABASE \"{building}\" RENAME TO \"{template}\""
        ))
        .execute(&mut admin)
        .await
        .expect("publishing the template");
    }
    diesel::sql_query("SELECT pg_advisory_unlock($1)")
        .bind::<BigInt, _>(TEMPLATE_LOCK)
        .execute(&mut admin)
        .await
        .expect("template unlock");
}
