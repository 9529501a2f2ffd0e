//! Leaderboards through HTTP (ranks, ties, pages, caching) and the query plans behind them.

#![expect(clippy::unwrap_used)]

mod common;
mod show_support;

use std::time::{Duration, Instant};

use actix_web::test::{self, TestRequest};
use chrono::{DateTime, TimeDelta, Utc};
use common::*;
use diesel::sql_types::{BigInt, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use equoria_http::HttpSettings;
use equoria_persistence::leaderboard_sql as sql;
use equoria_test_support::TestDatabase;
use serde_json::{Value, json};
use show_support::*;

fn column(body: &Value, field: &str) -> Vec<Value> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e[field].clone())
        .collect()
}

#[actix_web::test]
async fn player_boards_break_ties_by_id_and_ranks_continue_across_pages() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let mut ids = Vec::new();
    for name in ["ann", "bob", "cid", "dee"] {
        ids.push(register(&app, name).await.id);
    }
    // ann and bob tie on 250 XP (bob gained his this week, ann 40 days ago); cid has 40.
    for (id, xp, days_ago) in [(ids[0], 250, 40), (ids[1], 250, 0), (ids[2], 40, 2)] {
        exec(&db, &format!("UPDATE users SET xp = {xp} WHERE id = {id}")).await;
        exec(
            &db,
            &format!(
                "INSERT INTO user_xp_events (user_id, amount, reason, created_at) \
                 VALUES ({id}, {xp}, 'training', now() - interval '{days_ago} days')"
            ),
        )
        .await;
    }

    let (status, page1) = send(
        &app,
        TestRequest::get().uri("/api/leaderboards/players/level?limit=2"),
    )
    .await;
    assert_eq!(status, 200, "{page1}");
    let (_, page2) = send(
        &app,
        TestRequest::get().uri("/api/leaderboards/players/level?limit=2&page=2"),
    )
    .await;
    assert_eq!(column(&page1, "rank"), [json!(1), json!(2)]);
    assert_eq!(column(&page2, "rank"), [json!(3), json!(4)]);
    let order: Vec<Value> = column(&page1, "userId")
        .into_iter()
        .chain(column(&page2, "userId"))
        .collect();
    assert_eq!(order, ids.iter().map(|i| json!(i)).collect::<Vec<_>>());
    assert_eq!(page1["data"][0]["level"], 3);
    assert_eq!(
        page1["pagination"],
        json!({"page": 1, "limit": 2, "total": 4, "hasMore": true})
    );

    let (_, week) = send(
        &app,
        TestRequest::get().uri("/api/leaderboards/players/xp?period=week"),
    )
    .await;
    assert_eq!(column(&week, "userId"), [json!(ids[1]), json!(ids[2])]);
    assert_eq!(column(&week, "xpGained"), [json!(250), json!(40)]);
    let (_, default) = send(&app, TestRequest::get().uri("/api/leaderboards/players/xp")).await;
    assert_eq!(
        default["data"], week["data"],
        "the default period is the week"
    );
    let (_, month) = send(
        &app,
        TestRequest::get().uri("/api/leaderboards/players/xp?period=month"),
    )
    .await;
    assert_eq!(column(&month, "userId"), [json!(ids[1]), json!(ids[2])]);
    let (_, all) = send(
        &app,
        TestRequest::get().uri("/api/leaderboards/players/xp?period=all"),
    )
    .await;
    assert_eq!(
        column(&all, "userId"),
        [json!(ids[0]), json!(ids[1]), json!(ids[2])]
    );
    assert_eq!(column(&all, "rank"), [json!(1), json!(2), json!(3)]);

    let (status, body) = send(
        &app,
        TestRequest::get().uri("/api/leaderboards/players/xp?period=year"),
    )
    .await;
    assert_eq!(
        (status, body["errors"][0]["field"].as_str()),
        (400, Some("period"))
    );
    let (status, _) = send(
        &app,
        TestRequest::get().uri("/api/leaderboards/players/level?limit=0"),
    )
    .await;
    assert_eq!(status, 400);
    let (status, body) = send(
        &app,
        TestRequest::get().uri("/api/leaderboards/players/level?page=51&limit=20"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"], json!([]), "boards stop at 1,000 positions");
}

#[actix_web::test]
async fn horse_boards_and_recent_winners_follow_shows_that_ran() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let admin = register(&app, "show_admin").await;
    make_admin(&db, &admin).await;
    let mut riders = Vec::new();
    for (i, stat) in [90, 60, 30].into_iter().enumerate() {
        let p = register(&app, &format!("rider_{i}")).await;
        let h = insert_horse(
            &db,
            p.id,
            HorseSpec {
                name: "Runner",
                stat,
                ..Default::default()
            },
        )
        .await;
        riders.push((p, h));
    }
    let mut shows = Vec::new();
    for round in 0..2 {
        let show = create_show(
            &app,
            &admin,
            show_body(&format!("Cup {round}"), "Racing", 0, 1_000, 10),
        )
        .await;
        for (p, h) in &riders {
            assert_eq!(enter(&app, p, show, *h).await.0, 201);
        }
        assert_eq!(run(&app, &admin, show).await.0, 200);
        shows.push(show);
    }

    let (status, wins) = send(
        &app,
        TestRequest::get().uri("/api/leaderboards/horses/wins"),
    )
    .await;
    assert_eq!(status, 200, "{wins}");
    assert_eq!(column(&wins, "horseId"), [json!(riders[0].1)]);
    assert_eq!(wins["data"][0]["wins"], 2);
    assert_eq!(wins["data"][0]["earnings"], 1_000);
    assert_eq!(wins["data"][0]["breed"], "Thoroughbred");

    let (_, earnings) = send(
        &app,
        TestRequest::get().uri("/api/leaderboards/horses/earnings"),
    )
    .await;
    let horses: Vec<Value> = riders.iter().map(|r| json!(r.1)).collect();
    assert_eq!(column(&earnings, "horseId"), horses);
    assert_eq!(
        column(&earnings, "earnings"),
        [json!(1_000), json!(600), json!(400)]
    );
    assert_eq!(column(&earnings, "rank"), [json!(1), json!(2), json!(3)]);

    let (_, recent) = send(
        &app,
        TestRequest::get().uri("/api/leaderboards/recent-winners"),
    )
    .await;
    assert_eq!(
        column(&recent, "showId"),
        [json!(shows[1]), json!(shows[0])]
    );
    assert_eq!(recent["data"][0]["prize"], 500);

    let (status, index) = send(&app, TestRequest::get().uri("/api/leaderboards")).await;
    assert_eq!(status, 200, "{index}");
    let data = &index["data"];
    assert_eq!(data["playersByLevel"].as_array().unwrap().len(), 4);
    assert_eq!(data["horsesByWins"][0]["horseId"], riders[0].1);
    assert_eq!(data["recentWinners"][0]["showId"], shows[1]);
    assert_eq!(data["playersByXp"]["week"][0]["userId"], riders[0].0.id);
    assert_xp_invariants(&db).await;
}

#[actix_web::test]
async fn boards_are_cacheable_and_revalidate_with_if_none_match() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    register(&app, "ann").await;

    for uri in [
        "/api/leaderboards",
        "/api/leaderboards/players/level?limit=5",
    ] {
        let res = test::call_service(&app, TestRequest::get().uri(uri).to_request()).await;
        assert_eq!(res.status(), 200);
        let etag = res
            .headers()
            .get("etag")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        let cache = res
            .headers()
            .get("cache-control")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(cache, "public, max-age=30");

        let res = test::call_service(
            &app,
            TestRequest::get()
                .uri(uri)
                .insert_header(("if-none-match", etag.clone()))
                .to_request(),
        )
        .await;
        assert_eq!(res.status(), 304, "{uri}");
        assert_eq!(res.headers().get("etag").unwrap().to_str().unwrap(), etag);
        assert!(test::read_body(res).await.is_empty());

        // A change to the board changes the tag.
        register(&app, &format!("late_{}", etag.len() + uri.len())).await;
        let res = test::call_service(
            &app,
            TestRequest::get()
                .uri(uri)
                .insert_header(("if-none-match", etag.clone()))
                .to_request(),
        )
        .await;
        assert_eq!(res.status(), 200, "{uri}");
    }
}

/// The ETag and body of a 200, or the ETag of a 304 (empty body).
async fn tagged<S, B>(app: &S, uri: &str, if_none_match: Option<&str>) -> (u16, String, Vec<u8>)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let mut req = TestRequest::get().uri(uri);
    if let Some(tag) = if_none_match {
        req = req.insert_header(("if-none-match", tag.to_owned()));
    }
    let res = test::call_service(app, req.to_request()).await;
    let status = res.status().as_u16();
    let etag = res
        .headers()
        .get("etag")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    (status, etag, test::read_body(res).await.to_vec())
}

#[actix_web::test]
async fn a_cached_board_keeps_its_etag_within_the_ttl_and_shows_changes_after_it() {
    const TTL: Duration = Duration::from_millis(1_000);
    let db = TestDatabase::migrated().await;
    let cached = app_with(
        &db,
        Options {
            settings: HttpSettings {
                public_cache_ttl: TTL,
                ..HttpSettings::for_tests()
            },
            ..Options::default()
        },
    )
    .await;
    let fresh = app(&db).await;
    register(&fresh, "ann").await;
    let uri = "/api/leaderboards/players/level?limit=5";

    // A cached answer and a fresh one with the same content: same body, same tag.
    let started = Instant::now();
    let (status, etag, body) = tagged(&cached, uri, None).await;
    assert_eq!(status, 200);
    assert_eq!(
        tagged(&fresh, uri, None).await,
        (200, etag.clone(), body.clone())
    );
    assert_eq!(tagged(&cached, uri, None).await, (200, etag.clone(), body));

    // The board changes: within the TTL the cache still answers 304 to the old tag.
    register(&fresh, "bob").await;
    let (status, new_etag, _) = tagged(&fresh, uri, Some(&etag)).await;
    assert_eq!(status, 200);
    assert_ne!(new_etag, etag);
    let (status, cached_etag, body) = tagged(&cached, uri, Some(&etag)).await;
    assert!(
        started.elapsed() < TTL,
        "the test was too slow to observe the cache"
    );
    assert_eq!((status, cached_etag), (304, etag.clone()));
    assert!(body.is_empty());

    // After the TTL the cache reads the board again: the fresh content and its tag.
    tokio::time::sleep(TTL + Duration::from_millis(200)).await;
    let (status, cached_etag, body) = tagged(&cached, uri, Some(&etag)).await;
    assert_eq!((status, cached_etag), (200, new_etag));
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["pagination"]["total"], 2);
}

// ---------------------------------------------------------------------------------------------
// Query plans: no board query may scan a whole big table.

#[derive(diesel::QueryableByName)]
struct PlanRow {
    #[diesel(sql_type = Text)]
    #[diesel(column_name = "QUERY PLAN")]
    plan: String,
}

/// Fills the database with `users` players, `horses` horses, `results` results (10 per
/// completed show, one show a minute going back in time) and as many XP events spread over a
/// year. Foreign keys are not checked while loading (session_replication_role = replica).
async fn seed_big_game(db: &TestDatabase, users: i64, horses: i64, results: i64) {
    let shows = results / 10;
    let statements = [
        "SET session_replication_role = replica".to_owned(),
        format!(
            "INSERT INTO users (email, username, password_hash, xp) \
             SELECT 'p' || g || '@example.com', 'p_' || g, 'x', (g::bigint * 7919) % 5000 \
             FROM generate_series(1, {users}) g"
        ),
        format!(
            "INSERT INTO horses (owner_id, breed_id, name, sex, date_of_birth, {columns}, \
             earnings, wins) \
             SELECT 1 + g % {users}, 1 + g % 12, 'Horse ' || g, 'Mare', now() - interval '60 days', \
             {values}, (g::bigint * 104729) % 100000, \
             CASE WHEN g % 3 = 0 THEN (g * 31) % 17 ELSE 0 END \
             FROM generate_series(1, {horses}) g",
            columns = stat_columns(),
            values = stat_values(50),
        ),
        format!(
            "INSERT INTO shows (name, discipline, entry_fee, prize_pool, min_level, max_level, \
             max_entries, entry_count, closes_at, runs_at, status, completed_at, house_refund) \
             SELECT 'Show ' || g, 'Racing', 0, 100, 1, 10, 10, 10, t, t, 'completed', t, 0 \
             FROM (SELECT g, now() - g * interval '1 minute' AS t \
                   FROM generate_series(1, {shows}) g) s"
        ),
        format!(
            "INSERT INTO competition_results (show_id, horse_id, horse_name, user_id, entry_id, \
             placement, score, base_score, prize, horse_xp_awarded, owner_xp_awarded, created_at) \
             SELECT 1 + (g - 1) / 10, 1 + (g * 7) % {horses}, 'Horse', 1 + g % {users}, g, \
             1 + (g - 1) % 10, 5000, 5000, 0, 20, 0, now() - ((g - 1) / 10) * interval '1 minute' \
             FROM generate_series(1, {results}) g"
        ),
        format!(
            "INSERT INTO user_xp_events (user_id, amount, reason, created_at) \
             SELECT 1 + g % {users}, 5, 'training', now() - (g % 525600) * interval '1 minute' \
             FROM generate_series(1, {results}) g"
        ),
        "SET session_replication_role = origin".to_owned(),
        "VACUUM ANALYZE users, horses, shows, competition_results, user_xp_events".to_owned(),
    ];
    let mut conn = db.connect().await;
    for statement in statements {
        diesel::sql_query(&statement)
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
}

/// Every `Seq Scan` node of a JSON plan, by relation name.
fn seq_scans(node: &Value, found: &mut Vec<String>) {
    if node["Node Type"] == "Seq Scan" {
        found.push(node["Relation Name"].as_str().unwrap_or("?").to_owned());
    }
    if let Some(children) = node["Plans"].as_array() {
        for child in children {
            seq_scans(child, found);
        }
    }
}

async fn explain(
    conn: &mut diesel_async::AsyncPgConnection,
    query: &str,
    binds: (i64, Option<i64>, Option<DateTime<Utc>>),
) -> Value {
    let explain = format!("EXPLAIN (FORMAT JSON) {query}");
    let q = diesel::sql_query(&explain).bind::<BigInt, _>(binds.0);
    let rows: Vec<PlanRow> = match (binds.1, binds.2) {
        (Some(offset), Some(since)) => q
            .bind::<BigInt, _>(offset)
            .bind::<Timestamptz, _>(since)
            .load(conn)
            .await
            .unwrap(),
        (Some(offset), None) => q.bind::<BigInt, _>(offset).load(conn).await.unwrap(),
        (None, Some(since)) => q.bind::<Timestamptz, _>(since).load(conn).await.unwrap(),
        (None, None) => q.load(conn).await.unwrap(),
    };
    serde_json::from_str(&rows[0].plan).unwrap()
}

/// The plan PostgreSQL may settle on for a statement that stays prepared (the server caches the
/// board statements per connection): the generic plan, made without the parameter values.
async fn explain_generic(
    conn: &mut diesel_async::AsyncPgConnection,
    query: &str,
    binds: (i64, Option<i64>, Option<DateTime<Utc>>),
) -> Value {
    let mut types = vec!["bigint"];
    let mut args = vec![binds.0.to_string()];
    if let Some(offset) = binds.1 {
        types.push("bigint");
        args.push(offset.to_string());
    }
    if let Some(since) = binds.2 {
        types.push("timestamptz");
        args.push(format!("'{}'", since.to_rfc3339()));
    }
    let prepare = format!("PREPARE board_plan({}) AS {query}", types.join(", "));
    diesel::sql_query(prepare).execute(conn).await.unwrap();
    diesel::sql_query("SET plan_cache_mode = force_generic_plan")
        .execute(conn)
        .await
        .unwrap();
    let explain = format!(
        "EXPLAIN (FORMAT JSON) EXECUTE board_plan({})",
        args.join(", ")
    );
    let rows: Vec<PlanRow> = diesel::sql_query(explain).load(conn).await.unwrap();
    for cleanup in ["RESET plan_cache_mode", "DEALLOCATE board_plan"] {
        diesel::sql_query(cleanup).execute(conn).await.unwrap();
    }
    serde_json::from_str(&rows[0].plan).unwrap()
}

/// EXPLAINs every board query (first page, last page of the board, and the totals), with its
/// parameter values and, where the server keeps it prepared, as the generic plan, and fails on a sequential
/// scan of a game table; returns the plans for the record.
async fn assert_boards_use_indexes(db: &TestDatabase) -> Vec<(String, Value)> {
    let mut conn = db.connect().await;
    let since = Utc::now() - TimeDelta::days(7);
    let depth = 1_000;
    let mut plans = Vec::new();
    let boards: [(&str, &str, &str, bool); 6] = [
        (
            "players by level",
            sql::PLAYERS_BY_LEVEL,
            sql::PLAYERS_BY_LEVEL_TOTAL,
            false,
        ),
        (
            "players by XP, all",
            sql::PLAYERS_BY_TOTAL_XP,
            sql::PLAYERS_BY_TOTAL_XP_TOTAL,
            false,
        ),
        (
            "players by XP, week",
            sql::PLAYERS_BY_XP_SINCE,
            sql::PLAYERS_BY_XP_SINCE_TOTAL,
            true,
        ),
        (
            "horses by earnings",
            sql::HORSES_BY_EARNINGS,
            sql::HORSES_BY_EARNINGS_TOTAL,
            false,
        ),
        (
            "horses by wins",
            sql::HORSES_BY_WINS,
            sql::HORSES_BY_WINS_TOTAL,
            false,
        ),
        (
            "recent winners",
            sql::RECENT_WINNERS,
            sql::RECENT_WINNERS_TOTAL,
            false,
        ),
    ];
    for (name, rows, total, period) in boards {
        let since = period.then_some(since);
        for (label, query, binds) in [
            ("first page", rows, (20, Some(0), since)),
            ("last page", rows, (20, Some(980), since)),
            ("total", total, (depth, None, since)),
        ] {
            let mut kinds = vec![("custom", explain(&mut conn, query, binds).await)];
            if !sql::PLANNED_PER_CALL.contains(&query) {
                kinds.push(("generic", explain_generic(&mut conn, query, binds).await));
            }
            for (kind, plan) in kinds {
                let mut scans = Vec::new();
                seq_scans(&plan[0]["Plan"], &mut scans);
                scans.retain(|table| table != "breeds");
                assert!(
                    scans.is_empty(),
                    "{name} ({label}, {kind} plan) scans {scans:?}:\n{plan:#}"
                );
                plans.push((format!("{name} ({label}, {kind} plan)"), plan));
            }
        }
    }
    plans
}

/// A scaled-down game (20,000 horses, 200,000 results) keeps this test quick; the planner
/// sees real statistics (VACUUM ANALYZE) and tables far larger than a page.
#[actix_web::test]
async fn no_board_query_scans_a_whole_table() {
    let db = TestDatabase::migrated().await;
    seed_big_game(&db, 5_000, 20_000, 200_000).await;
    assert_boards_use_indexes(&db).await;
}

/// The scale: 100,000 horses and 1,000,000 results. Run with
/// `cargo nextest run -p equoria-http --test leaderboards --run-ignored only`; prints the
/// plans.
#[actix_web::test]
#[ignore = "seeds 1,000,000 results (about a minute); run on demand"]
async fn no_board_query_scans_a_whole_table_at_full_scale() {
    let db = TestDatabase::migrated().await;
    let started = Instant::now();
    seed_big_game(&db, 20_000, 100_000, 1_000_000).await;
    eprintln!("seeded in {:?}", started.elapsed());
    for (name, plan) in assert_boards_use_indexes(&db).await {
        eprintln!("== {name}\n{plan:#}");
    }
}
