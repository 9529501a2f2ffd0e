//! Arrangement helpers for the horse, breed and training tests: direct database writes for
//! states the API cannot reach quickly (ages, injuries, XP, show entries), and short-hands.

#![expect(dead_code, clippy::unwrap_used)]

use actix_http::Request;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test::TestRequest;
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use equoria_test_support::TestDatabase;
use serde_json::{Value, json};

use crate::common::{Player, post_json, send, stat_columns, stat_values, with_token};

#[derive(QueryableByName)]
struct Scalar {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    v: i64,
}

/// Runs a statement.
pub(crate) async fn exec(db: &TestDatabase, sql: &str) {
    let mut conn = db.connect().await;
    diesel::sql_query(sql)
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Runs a query returning one bigint column named `v`.
pub(crate) async fn scalar(db: &TestDatabase, sql: &str) -> i64 {
    let mut conn = db.connect().await;
    diesel::sql_query(sql)
        .get_result::<Scalar>(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .v
}

pub(crate) async fn get<S, B>(app: &S, uri: &str, token: &str) -> (u16, Value)
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    send(app, with_token(TestRequest::get().uri(uri), token)).await
}

pub(crate) async fn post<S, B>(app: &S, uri: &str, token: &str, body: Value) -> (u16, Value)
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    send(app, with_token(post_json(uri, body), token)).await
}

/// Buys a horse and returns its JSON (asserting 201).
pub(crate) async fn buy<S, B>(
    app: &S,
    player: &Player,
    name: &str,
    breed_id: i64,
    sex: &str,
    age: i64,
) -> Value
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let (status, body) = post(
        app,
        "/api/horses",
        &player.access,
        json!({"name": name, "breedId": breed_id, "sex": sex, "age": age}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["data"].clone()
}

/// The id of the player's starter horse (their first horse).
pub(crate) async fn starter_horse<S, B>(app: &S, player: &Player) -> i64
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let (status, body) = get(app, "/api/horses?sort=createdAt&limit=1", &player.access).await;
    assert_eq!(status, 200, "{body}");
    body["data"][0]["id"].as_i64().unwrap()
}

/// Makes a horse exactly `years` game years old (plus an hour, so the age cannot tick over
/// during the test).
pub(crate) async fn set_age(db: &TestDatabase, horse_id: i64, years: i64) {
    exec(
        db,
        &format!(
            "UPDATE horses SET date_of_birth = now() - interval '{} days' - interval '1 hour' WHERE id = {horse_id}",
            years * 7
        ),
    )
    .await;
}

/// Inserts `count` plain horses for `owner` directly (no purchase, no ledger).
pub(crate) async fn insert_horses(db: &TestDatabase, owner: i64, count: i64) {
    exec(
        db,
        &format!(
            "INSERT INTO horses (owner_id, breed_id, name, sex, date_of_birth, {columns}) \
             SELECT {owner}, 1, 'Filler ' || g, 'Mare', now() - interval '30 days', \
             {values} FROM generate_series(1, {count}) g",
            columns = stat_columns(),
            values = stat_values(10),
        ),
    )
    .await;
}

/// An open show (closing tomorrow) with the horse entered; returns (show id, entry id).
pub(crate) async fn enter_open_show(
    db: &TestDatabase,
    name: &str,
    horse_id: i64,
    owner: i64,
) -> (i64, i64) {
    let show = scalar(
        db,
        &format!(
            "INSERT INTO shows (name, discipline, entry_fee, prize_pool, min_level, max_level, max_entries, \
             closes_at, runs_at, entry_count) VALUES ('{name}', 'Dressage', 0, 1000, 1, 10, 10, \
             now() + interval '1 day', now() + interval '2 days', 1) RETURNING id AS v"
        ),
    )
    .await;
    let entry = scalar(
        db,
        &format!(
            "INSERT INTO show_entries (show_id, horse_id, user_id, fee_paid) \
             VALUES ({show}, {horse_id}, {owner}, 0) RETURNING id AS v"
        ),
    )
    .await;
    (show, entry)
}

/// Marks a show as run (no payouts; enough for the delete rule and results).
pub(crate) async fn complete_show(db: &TestDatabase, show: i64) {
    exec(
        db,
        &format!(
            "UPDATE shows SET status = 'completed', completed_at = now(), house_refund = 0 WHERE id = {show}"
        ),
    )
    .await;
}
