//! Arrangement and assertions shared by the show, leaderboard and whole-game tests.

#![expect(clippy::unwrap_used)]
// Not `expect`: the show and leaderboard tests use every helper, the other test crates only some.
#![allow(dead_code)]

use actix_http::Request;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test::TestRequest;
use chrono::{TimeDelta, Utc};
use diesel::sql_types::BigInt;
use diesel_async::RunQueryDsl;
use equoria_test_support::TestDatabase;
use serde_json::{Value, json};

use crate::common::*;

#[derive(diesel::QueryableByName)]
struct Scalar {
    #[diesel(sql_type = BigInt)]
    value: i64,
}

/// Runs a statement on the test database.
pub(crate) async fn exec(db: &TestDatabase, sql: &str) {
    let mut conn = db.connect().await;
    diesel::sql_query(sql)
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// One bigint from a query whose single column is named `value`.
pub(crate) async fn scalar(db: &TestDatabase, sql: &str) -> i64 {
    let mut conn = db.connect().await;
    diesel::sql_query(sql)
        .get_result::<Scalar>(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .value
}

/// A horse inserted directly: every stat `stat`, the given age in game years, breed 1
/// (Thoroughbred, not gaited) unless `breed_id` says otherwise.
pub(crate) struct HorseSpec {
    pub name: &'static str,
    pub age: i64,
    pub stat: i64,
    pub breed_id: i64,
    pub health: &'static str,
    pub xp: i64,
}

impl Default for HorseSpec {
    fn default() -> Self {
        Self {
            name: "Test Horse",
            age: 5,
            stat: 50,
            breed_id: 1,
            health: "healthy",
            xp: 0,
        }
    }
}

pub(crate) async fn insert_horse(db: &TestDatabase, owner: i64, spec: HorseSpec) -> i64 {
    scalar(
        db,
        &format!(
            "INSERT INTO horses (owner_id, breed_id, name, sex, date_of_birth, {columns}, \
             health, xp) VALUES ({owner}, {breed}, '{name}', 'Mare', \
             now() - interval '{days} days' - interval '1 hour', {values}, '{health}', {xp}) \
             RETURNING id AS value",
            columns = stat_columns(),
            values = stat_values(spec.stat),
            breed = spec.breed_id,
            name = spec.name,
            days = spec.age * 7,
            health = spec.health,
            xp = spec.xp,
        ),
    )
    .await
}

/// The starter horse every registered player owns.
pub(crate) async fn starter_horse(db: &TestDatabase, owner: i64) -> i64 {
    scalar(
        db,
        &format!("SELECT min(id) AS value FROM horses WHERE owner_id = {owner}"),
    )
    .await
}

pub(crate) async fn money_of(db: &TestDatabase, user: i64) -> i64 {
    scalar(
        db,
        &format!("SELECT money AS value FROM users WHERE id = {user}"),
    )
    .await
}

/// A show body; closes and runs `minutes` from now.
pub(crate) fn show_body(
    name: &str,
    discipline: &str,
    fee: i64,
    pool: i64,
    max_entries: i64,
) -> Value {
    let closes = Utc::now() + TimeDelta::minutes(30);
    json!({
        "name": name,
        "discipline": discipline,
        "entryFee": fee,
        "prizePool": pool,
        "minLevel": 1,
        "maxLevel": 10,
        "maxEntries": max_entries,
        "closesAt": closes.to_rfc3339(),
        "runsAt": (closes + TimeDelta::minutes(30)).to_rfc3339(),
    })
}

/// Creates a show as `admin` and returns its id.
pub(crate) async fn create_show<S, B>(app: &S, admin: &Player, body: Value) -> i64
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let (status, body) = send(
        app,
        with_token(post_json("/api/shows", body), &admin.access),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["data"]["id"].as_i64().unwrap()
}

/// Enters a horse; returns status and body.
pub(crate) async fn enter<S, B>(app: &S, player: &Player, show: i64, horse: i64) -> (u16, Value)
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    send(
        app,
        with_token(
            post_json(
                &format!("/api/shows/{show}/entries"),
                json!({"horseId": horse}),
            ),
            &player.access,
        ),
    )
    .await
}

pub(crate) async fn run<S, B>(app: &S, admin: &Player, show: i64) -> (u16, Value)
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    send(
        app,
        with_token(
            TestRequest::post().uri(&format!("/api/shows/{show}/run")),
            &admin.access,
        ),
    )
    .await
}

/// The money invariants of the ledgers, checked on the whole database:
/// no negative balance; for every user `money == sum(ledger_entries.amount)` and the newest
/// entry's `balance_after == money`; and `sum(users.money) + sum(house_ledger.amount) == 0`.
pub(crate) async fn assert_money_invariants(db: &TestDatabase) {
    let negative = scalar(db, "SELECT count(*) AS value FROM users WHERE money < 0").await;
    assert_eq!(negative, 0, "negative balances");
    let mismatched = scalar(
        db,
        "SELECT count(*) AS value FROM users u WHERE u.money <> \
         COALESCE((SELECT sum(l.amount) FROM ledger_entries l WHERE l.user_id = u.id), 0)",
    )
    .await;
    assert_eq!(mismatched, 0, "users whose money differs from their ledger");
    let stale = scalar(
        db,
        "SELECT count(*) AS value FROM users u WHERE EXISTS (SELECT 1 FROM ledger_entries l \
         WHERE l.user_id = u.id) AND u.money <> (SELECT l.balance_after FROM ledger_entries l \
         WHERE l.user_id = u.id ORDER BY l.id DESC LIMIT 1)",
    )
    .await;
    assert_eq!(
        stale, 0,
        "users whose last balance_after differs from their money"
    );
    let net = scalar(
        db,
        "SELECT ((SELECT COALESCE(sum(money), 0) FROM users) \
         + (SELECT COALESCE(sum(amount), 0) FROM house_ledger))::bigint AS value",
    )
    .await;
    assert_eq!(net, 0, "sum(users.money) + sum(house_ledger.amount)");
}

/// XP invariants: for every user `xp == sum(user_xp_events.amount)`, for every horse
/// `xp == sum(horse_xp_events.amount)` and `wins == count of its 1st places`.
pub(crate) async fn assert_xp_invariants(db: &TestDatabase) {
    let users = scalar(
        db,
        "SELECT count(*) AS value FROM users u WHERE u.xp <> \
         COALESCE((SELECT sum(e.amount) FROM user_xp_events e WHERE e.user_id = u.id), 0)",
    )
    .await;
    assert_eq!(users, 0, "users whose xp differs from their XP history");
    let horses = scalar(
        db,
        "SELECT count(*) AS value FROM horses h WHERE h.xp <> \
         COALESCE((SELECT sum(e.amount) FROM horse_xp_events e WHERE e.horse_id = h.id), 0) \
         OR h.wins <> (SELECT count(*) FROM competition_results r \
                       WHERE r.horse_id = h.id AND r.placement = 1) \
         OR h.earnings <> COALESCE((SELECT sum(r.prize) FROM competition_results r \
                                    WHERE r.horse_id = h.id), 0)",
    )
    .await;
    assert_eq!(
        horses, 0,
        "horses whose xp, wins or earnings differ from their history"
    );
}
