//! `equoria seed` creates the demo accounts once and is safe to repeat.

use equoria_test_support::TestDatabase;

use crate::support::command;

#[tokio::test]
async fn seeding_twice_creates_the_demo_accounts_once() {
    let db = TestDatabase::migrated().await;
    let seed = || {
        let output = command(&[
            ("DATABASE_URL", db.url()),
            ("NODE_ENV", "development"),
            ("BCRYPT_SALT_ROUNDS", "4"),
        ])
        .arg("seed")
        .output()
        .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let first = seed();
    assert_eq!(first.matches("created").count(), 3, "{first}");
    let second = seed();
    assert_eq!(second.matches("already exists").count(), 3, "{second}");

    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        role: String,
    }
    let mut conn = db.connect().await;
    let admin: Row = diesel::sql_query("SELECT role FROM users WHERE email = 'admin@equoria.test'")
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(admin.role, "admin");
}

#[test]
fn seeding_is_refused_in_staging_and_production() {
    for environment in ["staging", "production"] {
        let output = command(&[
            ("NODE_ENV", environment),
            ("DATABASE_URL", "postgres://u:p@127.0.0.1:1/x"),
            ("JWT_SECRET", &"a1".repeat(40)),
            ("JWT_REFRESH_SECRET", &"b2".repeat(40)),
            ("ALLOWED_ORIGINS", "https://equoria.example"),
        ])
        .arg("seed")
        .output()
        .unwrap();
        assert!(!output.status.success(), "{environment}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("refusing to seed") && stderr.contains(environment),
            "{environment}: {stderr}"
        );
    }
}
