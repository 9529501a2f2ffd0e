//! Shows through HTTP: creation, entries (atomic, concurrent), runs (one transaction, exactly
//! once), results and the dashboard.

#![expect(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod show_support;

use actix_web::test::TestRequest;
use chrono::{TimeDelta, Utc};
use common::*;
use equoria_test_support::TestDatabase;
use futures_util::future::join_all;
use serde_json::{Value, json};
use show_support::*;

#[actix_web::test]
async fn an_admin_creates_a_show_that_anyone_can_list_and_read() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let admin = register(&app, "show_admin").await;
    make_admin(&db, &admin).await;

    let id = create_show(
        &app,
        &admin,
        show_body("  Spring Derby ", "show-jumping", 100, 5_000, 10),
    )
    .await;
    create_show(&app, &admin, show_body("Desert Race", "Racing", 0, 100, 2)).await;

    let (status, body) = send(&app, TestRequest::get().uri(&format!("/api/shows/{id}"))).await;
    assert_eq!(status, 200, "{body}");
    let show = &body["data"];
    assert_eq!(show["name"], "Spring Derby");
    assert_eq!(show["discipline"], "Show Jumping");
    assert_eq!(show["entryFee"], 100);
    assert_eq!(show["prizePool"], 5_000);
    assert_eq!(show["entryCount"], 0);
    assert_eq!(show["status"], "open");
    assert_eq!(show["completedAt"], Value::Null);

    let (status, body) = send(
        &app,
        TestRequest::get().uri("/api/shows?discipline=racing&status=open&limit=1"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"][0]["name"], "Desert Race");
    assert_eq!(
        body["pagination"],
        json!({"page": 1, "limit": 1, "total": 1, "hasMore": false})
    );

    let (status, body) = send(
        &app,
        TestRequest::get().uri("/api/shows?status=done&discipline=Jousting"),
    )
    .await;
    assert_eq!(status, 400);
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["status", "discipline"]);

    for uri in [
        "/api/shows/999999",
        "/api/shows/abc",
        "/api/shows/999999/entries",
        "/api/shows/999999/results",
    ] {
        let (status, _) = send(&app, TestRequest::get().uri(uri)).await;
        assert_eq!(status, 404, "{uri}");
    }
    let (status, _) = send(&app, TestRequest::delete().uri(&format!("/api/shows/{id}"))).await;
    assert_eq!(status, 405);
}

#[actix_web::test]
async fn creating_a_show_needs_an_admin_a_unique_name_and_reports_every_bad_field() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "plain_rider").await;
    let admin = register(&app, "show_admin").await;
    make_admin(&db, &admin).await;

    let body = show_body("Derby", "Racing", 10, 100, 5);
    let (status, _) = send(&app, post_json("/api/shows", body.clone())).await;
    assert_eq!(status, 401);
    let (status, _) = send(
        &app,
        with_token(post_json("/api/shows", body.clone()), &player.access),
    )
    .await;
    assert_eq!(status, 403);

    create_show(&app, &admin, body.clone()).await;
    let (status, resp) = send(
        &app,
        with_token(post_json("/api/shows", body), &admin.access),
    )
    .await;
    assert_eq!(
        (status, resp["code"].as_str()),
        (409, Some("SHOW_NAME_TAKEN"))
    );

    let bad = json!({
        "name": " ", "discipline": "Jousting", "entryFee": 100_001, "prizePool": -1,
        "minLevel": 0, "maxLevel": 0, "maxEntries": 1,
        "closesAt": "2030-01-02T00:00:00Z", "runsAt": "2030-01-01T00:00:00Z",
    });
    let (status, resp) = send(
        &app,
        with_token(post_json("/api/shows", bad), &admin.access),
    )
    .await;
    assert_eq!(
        (status, resp["code"].as_str()),
        (400, Some("VALIDATION_FAILED"))
    );
    let fields: Vec<&str> = resp["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "name",
            "discipline",
            "entryFee",
            "prizePool",
            "minLevel",
            "maxLevel",
            "maxEntries",
            "closesAt"
        ]
    );
    assert!(
        !resp.to_string().contains("Jousting"),
        "the submitted value is echoed: {resp}"
    );

    let (status, resp) = send(
        &app,
        with_token(
            post_json(
                "/api/shows",
                json!({"name": "X", "closesAt": "soon", "entryFee": "ten"}),
            ),
            &admin.access,
        ),
    )
    .await;
    assert_eq!(status, 400);
    let fields: Vec<&str> = resp["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"entryFee")
            && fields.contains(&"runsAt")
            && fields.contains(&"discipline"),
        "{resp}"
    );
}

#[actix_web::test]
async fn entering_debits_the_fee_with_a_ledger_entry_in_the_same_transaction() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let admin = register(&app, "show_admin").await;
    make_admin(&db, &admin).await;
    let rider = register(&app, "rider_one").await;
    let horse = starter_horse(&db, rider.id).await;
    let show = create_show(&app, &admin, show_body("Derby", "Racing", 250, 1_000, 5)).await;

    let (status, body) = enter(&app, &rider, show, horse).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["horseId"], horse);
    assert_eq!(body["data"]["feePaid"], 250);
    assert_eq!(body["data"]["username"], "rider_one");

    assert_eq!(money_of(&db, rider.id).await, 10_000 - 250);
    let (status, body) = send(
        &app,
        with_token(
            TestRequest::get().uri("/api/users/me/transactions"),
            &rider.access,
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"][0]["reason"], "show_entry_fee");
    assert_eq!(body["data"][0]["amount"], -250);
    assert_eq!(body["data"][0]["balanceAfter"], 9_750);

    let (status, body) = send(
        &app,
        TestRequest::get().uri(&format!("/api/shows/{show}/entries")),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["pagination"]["total"], 1);
    assert_eq!(body["data"][0]["horseName"], "Starlight");
    let (_, body) = send(&app, TestRequest::get().uri(&format!("/api/shows/{show}"))).await;
    assert_eq!(body["data"]["entryCount"], 1);
    assert_money_invariants(&db).await;
}

#[actix_web::test]
async fn each_entry_rule_is_refused_with_its_own_status_and_code() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let admin = register(&app, "show_admin").await;
    make_admin(&db, &admin).await;
    let rider = register(&app, "rider_one").await;
    let other = register(&app, "rider_two").await;
    let starter = starter_horse(&db, rider.id).await;
    let foal = insert_horse(
        &db,
        rider.id,
        HorseSpec {
            name: "Foal",
            age: 1,
            ..Default::default()
        },
    )
    .await;
    let veteran = insert_horse(
        &db,
        rider.id,
        HorseSpec {
            name: "Veteran",
            age: 22,
            ..Default::default()
        },
    )
    .await;
    let injured = insert_horse(
        &db,
        rider.id,
        HorseSpec {
            name: "Limpy",
            health: "injured",
            ..Default::default()
        },
    )
    .await;
    let expert = insert_horse(
        &db,
        rider.id,
        HorseSpec {
            name: "Expert",
            xp: 5_000,
            ..Default::default()
        },
    )
    .await;
    let others = starter_horse(&db, other.id).await;

    let show = create_show(&app, &admin, show_body("Derby", "Racing", 100, 1_000, 2)).await;
    let gaited = create_show(&app, &admin, show_body("Walk On", "Gaited", 0, 0, 5)).await;
    let pricey = create_show(&app, &admin, show_body("Gold Cup", "Racing", 100_000, 0, 5)).await;
    let closes = Utc::now() - TimeDelta::seconds(1);
    let mut closed_body = show_body("Yesterday", "Racing", 0, 0, 5);
    closed_body["closesAt"] = json!(closes.to_rfc3339());
    closed_body["runsAt"] = json!((closes + TimeDelta::hours(1)).to_rfc3339());
    let closed = create_show(&app, &admin, closed_body).await;

    let expect = |status: u16, code: &str| (status, code.to_owned());
    let code = |(s, b): (u16, Value)| (s, b["code"].as_str().unwrap_or_default().to_owned());

    assert_eq!(
        code(enter(&app, &rider, show, others).await),
        expect(404, "NOT_FOUND")
    );
    assert_eq!(
        code(enter(&app, &rider, 999_999, starter).await),
        expect(404, "NOT_FOUND")
    );
    assert_eq!(
        code(enter(&app, &rider, show, foal).await),
        expect(422, "TOO_YOUNG")
    );
    let (status, body) = enter(&app, &rider, show, veteran).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("TOO_OLD")));
    assert_eq!(
        body["details"],
        json!({"age": 22, "minAge": 3, "maxAge": 21})
    );
    // The message states the rule; the horse's age is in the details only.
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains("21") && !message.contains("22"), "{body}");
    // A horseId that is not a positive whole number is malformed input (400 on the field), as
    // on every route that takes one in a body; a well-formed id of no horse of yours is the
    // 404 above.
    for horse_id in [0, -3] {
        let (status, body) = enter(&app, &rider, show, horse_id).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("VALIDATION_FAILED")),
            "{body}"
        );
        assert_eq!(body["errors"][0]["field"], "horseId", "{body}");
    }
    assert_eq!(
        code(enter(&app, &rider, show, injured).await),
        expect(422, "INJURED")
    );
    let (status, body) = enter(&app, &rider, show, expert).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("LEVEL_OUT_OF_RANGE"))
    );
    assert_eq!(
        body["details"],
        json!({"level": 51, "minLevel": 1, "maxLevel": 10})
    );
    assert_eq!(
        code(enter(&app, &rider, gaited, starter).await),
        expect(422, "DISCIPLINE_NOT_ALLOWED")
    );
    assert_eq!(
        code(enter(&app, &rider, closed, starter).await),
        expect(409, "SHOW_CLOSED")
    );
    let (status, body) = enter(&app, &rider, pricey, starter).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("INSUFFICIENT_FUNDS"))
    );
    assert_eq!(
        body["details"],
        json!({"entryFee": 100_000, "money": 10_000})
    );

    assert_eq!(enter(&app, &rider, show, starter).await.0, 201);
    assert_eq!(
        code(enter(&app, &rider, show, starter).await),
        expect(409, "ALREADY_ENTERED")
    );
    assert_eq!(enter(&app, &other, show, others).await.0, 201);
    let late = insert_horse(
        &db,
        other.id,
        HorseSpec {
            name: "Latecomer",
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        code(enter(&app, &other, show, late).await),
        expect(409, "SHOW_FULL")
    );

    let (status, _) = enter(
        &app,
        &Player {
            access: "bad".into(),
            ..rider.clone()
        },
        show,
        starter,
    )
    .await;
    assert_eq!(status, 401);
    let (status, body) = send(
        &app,
        with_token(
            post_json(&format!("/api/shows/{show}/entries"), json!({"horse": 1})),
            &rider.access,
        ),
    )
    .await;
    assert_eq!(status, 400, "{body}");

    // Only the two accepted entries cost anything.
    assert_eq!(money_of(&db, rider.id).await, 9_900);
    assert_eq!(money_of(&db, other.id).await, 9_900);
    assert_money_invariants(&db).await;
}

/// 24 concurrent entries into a show with room for 6: one player who can afford only 2 fees
/// enters 5 horses (two of them twice), others enter one horse each, and one horse of
/// another player is entered 3 times at once.
#[actix_web::test]
async fn concurrent_entries_never_overdraw_overfill_or_double_enter() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let admin = register(&app, "show_admin").await;
    make_admin(&db, &admin).await;
    let fee = 1_000;
    let max_entries = 6;
    let show = create_show(
        &app,
        &admin,
        show_body("Rush Hour", "Racing", fee, 3_000, max_entries),
    )
    .await;

    let poor = register(&app, "poor_rider").await;
    // 10,000 - 7,500 = 2,500: enough for two fees, not three.
    exec(
        &db,
        &format!(
            "UPDATE users SET money = money - 7500 WHERE id = {}",
            poor.id
        ),
    )
    .await;
    exec(
        &db,
        &format!(
            "INSERT INTO ledger_entries (user_id, amount, balance_after, reason) \
             VALUES ({}, -7500, 2500, 'horse_purchase')",
            poor.id
        ),
    )
    .await;
    exec(&db, &format!("INSERT INTO house_ledger (amount, reason, user_id) VALUES (7500, 'horse_purchase', {})", poor.id)).await;
    let mut attempts: Vec<(Player, i64)> = Vec::new();
    let mut poor_horses = vec![starter_horse(&db, poor.id).await];
    for name in ["Poor Two", "Poor Three", "Poor Four", "Poor Five"] {
        poor_horses.push(
            insert_horse(
                &db,
                poor.id,
                HorseSpec {
                    name,
                    ..Default::default()
                },
            )
            .await,
        );
    }
    for h in &poor_horses {
        attempts.push((poor.clone(), *h));
    }
    attempts.push((poor.clone(), poor_horses[0]));
    attempts.push((poor.clone(), poor_horses[1]));

    let twin = register(&app, "twin_rider").await;
    let twin_horse = starter_horse(&db, twin.id).await;
    for _ in 0..3 {
        attempts.push((twin.clone(), twin_horse));
    }
    for i in 0..14 {
        let p = register(&app, &format!("crowd_{i:02}")).await;
        let h = starter_horse(&db, p.id).await;
        attempts.push((p, h));
    }
    assert!(attempts.len() >= 20);

    let outcomes = join_all(attempts.iter().map(|(p, h)| enter(&app, p, show, *h))).await;
    let mut created = 0;
    for (status, body) in &outcomes {
        match status {
            201 => created += 1,
            409 => assert!(
                matches!(body["code"].as_str(), Some("ALREADY_ENTERED" | "SHOW_FULL")),
                "{body}"
            ),
            422 => assert_eq!(body["code"], "INSUFFICIENT_FUNDS", "{body}"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(created, max_entries, "the show fills up exactly");

    let entries = scalar(
        &db,
        &format!("SELECT count(*) AS value FROM show_entries WHERE show_id = {show}"),
    )
    .await;
    let distinct = scalar(
        &db,
        &format!(
            "SELECT count(DISTINCT horse_id) AS value FROM show_entries WHERE show_id = {show}"
        ),
    )
    .await;
    let counter = scalar(
        &db,
        &format!("SELECT entry_count::bigint AS value FROM shows WHERE id = {show}"),
    )
    .await;
    assert_eq!(
        (entries, distinct, counter),
        (max_entries, max_entries, max_entries)
    );
    let poor_entries = scalar(
        &db,
        &format!(
            "SELECT count(*) AS value FROM show_entries WHERE user_id = {}",
            poor.id
        ),
    )
    .await;
    assert!(
        poor_entries <= 2,
        "the poor rider paid for {poor_entries} entries"
    );
    assert_eq!(money_of(&db, poor.id).await, 2_500 - poor_entries * fee);
    let fees = scalar(&db, &format!("SELECT COALESCE(sum(amount), 0)::bigint AS value FROM house_ledger WHERE reason = 'show_entry_fee' AND reference = 'show:{show}'")).await;
    assert_eq!(fees, max_entries * fee);
    assert_money_invariants(&db).await;
}

#[actix_web::test]
async fn running_a_show_pays_the_podium_awards_xp_and_completes_it_once() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let admin = register(&app, "show_admin").await;
    make_admin(&db, &admin).await;
    let show = create_show(
        &app,
        &admin,
        show_body("Grand Prix", "Racing", 100, 1_001, 10),
    )
    .await;
    let mut riders = Vec::new();
    // Stats far apart so luck (+-9 %) cannot reorder them: 90 > 70 > 50 > 30.
    for (i, stat) in [30, 90, 50, 70].into_iter().enumerate() {
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
        assert_eq!(enter(&app, &p, show, h).await.0, 201);
        riders.push((p, h, stat));
    }

    let (status, body) = run(&app, &admin, show).await;
    assert_eq!(status, 200, "{body}");
    // 50 % / 30 % / 20 % of 1,001 rounded down: 500 + 300 + 200 = 1,000; 1 coin back.
    assert_eq!(body["data"]["entrants"], 4);
    assert_eq!(body["data"]["prizesPaid"], 1_000);
    assert_eq!(body["data"]["houseRefund"], 1);

    let (status, body) = send(
        &app,
        TestRequest::get().uri(&format!("/api/shows/{show}/results")),
    )
    .await;
    assert_eq!(status, 200);
    let results = body["data"].as_array().unwrap();
    let placements: Vec<i64> = results
        .iter()
        .map(|r| r["placement"].as_i64().unwrap())
        .collect();
    assert_eq!(placements, [1, 2, 3, 4]);
    let by_stat = |stat| riders.iter().find(|r| r.2 == stat).unwrap();
    let expected = [
        (90, 500, 30, 20),
        (70, 300, 27, 15),
        (50, 200, 25, 10),
        (30, 0, 20, 0),
    ];
    for (result, (stat, prize, horse_xp, owner_xp)) in results.iter().zip(expected) {
        let (player, horse, _) = by_stat(stat);
        assert_eq!(result["horseId"], *horse);
        assert_eq!(result["prize"], prize);
        assert_eq!(result["horseXp"], horse_xp);
        assert_eq!(result["ownerXp"], owner_xp);
        assert_eq!(money_of(&db, player.id).await, 10_000 - 100 + prize);
        let xp = scalar(
            &db,
            &format!("SELECT xp AS value FROM users WHERE id = {}", player.id),
        )
        .await;
        assert_eq!(xp, owner_xp);
        assert!(result["score"].as_f64().unwrap() > 0.0);
    }
    let (_, show_body) = send(&app, TestRequest::get().uri(&format!("/api/shows/{show}"))).await;
    assert_eq!(show_body["data"]["status"], "completed");
    assert_eq!(show_body["data"]["houseRefund"], 1);
    let pool_out = scalar(&db, &format!("SELECT sum(amount)::bigint AS value FROM house_ledger WHERE reference = 'show:{show}' AND reason IN ('show_prize_pool', 'show_pool_refund')")).await;
    assert_eq!(pool_out, -1_000);

    let (status, body) = run(&app, &admin, show).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("ALREADY_RUN")));
    let (status, body) = enter(&app, &riders[0].0, show, riders[0].1).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("SHOW_CLOSED")));
    let (status, _) = run(&app, &riders[0].0, show).await;
    assert_eq!(status, 403);
    assert_eq!(run(&app, &admin, 999_999).await.0, 404);

    assert_money_invariants(&db).await;
    assert_xp_invariants(&db).await;
}

#[actix_web::test]
async fn a_show_without_entries_completes_and_returns_its_whole_pool_to_the_house() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let admin = register(&app, "show_admin").await;
    make_admin(&db, &admin).await;
    let show = create_show(
        &app,
        &admin,
        show_body("Empty Ring", "Dressage", 10, 7_777, 10),
    )
    .await;

    let (status, body) = run(&app, &admin, show).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["entrants"], 0);
    assert_eq!(body["data"]["prizesPaid"], 0);
    assert_eq!(body["data"]["houseRefund"], 7_777);
    let flows = scalar(
        &db,
        &format!("SELECT count(*) AS value FROM house_ledger WHERE reference = 'show:{show}'"),
    )
    .await;
    assert_eq!(flows, 2, "the pool out and the refund in are both recorded");
    let (_, body) = send(
        &app,
        TestRequest::get().uri(&format!("/api/shows/{show}/results")),
    )
    .await;
    assert_eq!(body["pagination"]["total"], 0);
    assert_money_invariants(&db).await;
}

#[actix_web::test]
async fn a_show_with_one_entrant_pays_the_winner_and_refunds_the_rest() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let admin = register(&app, "show_admin").await;
    make_admin(&db, &admin).await;
    let rider = register(&app, "lonely_rider").await;
    let show = create_show(&app, &admin, show_body("Solo", "Racing", 0, 999, 10)).await;
    assert_eq!(
        enter(&app, &rider, show, starter_horse(&db, rider.id).await)
            .await
            .0,
        201
    );

    let (status, body) = run(&app, &admin, show).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["prizesPaid"], 499);
    assert_eq!(body["data"]["houseRefund"], 500);
    assert_eq!(money_of(&db, rider.id).await, 10_499);
    assert_money_invariants(&db).await;
    assert_xp_invariants(&db).await;
}

/// Two application instances with their own pools (as two replicas would be) run the same
/// show at the same moment, several times over.
#[actix_web::test]
async fn two_concurrent_runs_of_a_show_produce_one_set_of_results_and_one_payout() {
    let db = TestDatabase::migrated().await;
    let first = app(&db).await;
    let second = app(&db).await;
    let admin = register(&first, "show_admin").await;
    make_admin(&db, &admin).await;
    let mut riders = Vec::new();
    for i in 0..5 {
        let p = register(&first, &format!("racer_{i}")).await;
        let h = starter_horse(&db, p.id).await;
        riders.push((p, h));
    }
    for round in 0..3 {
        let show = create_show(
            &first,
            &admin,
            show_body(&format!("Duel {round}"), "Racing", 10, 1_000, 10),
        )
        .await;
        for (p, h) in &riders {
            assert_eq!(enter(&first, p, show, *h).await.0, 201);
        }
        let ((a, _), (b, _)) =
            futures_util::join!(run(&first, &admin, show), run(&second, &admin, show));
        let mut statuses = [a, b];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "round {round}");
        let results = scalar(
            &db,
            &format!("SELECT count(*) AS value FROM competition_results WHERE show_id = {show}"),
        )
        .await;
        assert_eq!(results, 5);
        let prizes = scalar(&db, &format!("SELECT count(*) AS value FROM ledger_entries WHERE reason = 'show_prize' AND reference = 'show:{show}'")).await;
        assert_eq!(prizes, 3);
        let pools = scalar(&db, &format!("SELECT count(*) AS value FROM house_ledger WHERE reason = 'show_prize_pool' AND reference = 'show:{show}'")).await;
        assert_eq!(pools, 1);
    }
    assert_money_invariants(&db).await;
    assert_xp_invariants(&db).await;
}

#[actix_web::test]
async fn the_scheduler_runs_shows_whose_time_has_come_and_leaves_the_others() {
    let db = TestDatabase::migrated().await;
    let state = state_for(db.url(), equoria_http::HttpSettings::for_tests());
    let app = actix_web::test::init_service(equoria_http::build(state.clone())).await;
    let admin = register(&app, "show_admin").await;
    make_admin(&db, &admin).await;
    let rider = register(&app, "rider_one").await;
    let due = create_show(&app, &admin, show_body("Due Now", "Racing", 0, 100, 5)).await;
    let later = create_show(&app, &admin, show_body("Later", "Racing", 0, 100, 5)).await;
    assert_eq!(
        enter(&app, &rider, due, starter_horse(&db, rider.id).await)
            .await
            .0,
        201
    );
    exec(&db, &format!("UPDATE shows SET closes_at = now() - interval '2 minutes', runs_at = now() - interval '1 minute' WHERE id = {due}")).await;

    let (a, b) = futures_util::join!(state.shows.run_due(), state.shows.run_due());
    let ran: Vec<i64> = a
        .unwrap()
        .into_iter()
        .chain(b.unwrap())
        .map(|s| s.show_id.get())
        .collect();
    assert_eq!(ran, [due], "the due show runs once, the other waits");
    let status = |id: i64| {
        format!(
            "SELECT CASE status WHEN 'completed' THEN 1 ELSE 0 END::bigint AS value FROM shows WHERE id = {id}"
        )
    };
    assert_eq!(scalar(&db, &status(due)).await, 1);
    assert_eq!(scalar(&db, &status(later)).await, 0);
    assert!(state.shows.run_due().await.unwrap().is_empty());
    assert_money_invariants(&db).await;
}

#[actix_web::test]
async fn players_see_their_results_and_dashboard() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let admin = register(&app, "show_admin").await;
    make_admin(&db, &admin).await;
    let rider = register(&app, "rider_one").await;
    let starter = starter_horse(&db, rider.id).await;
    let second = insert_horse(
        &db,
        rider.id,
        HorseSpec {
            name: "Second",
            ..Default::default()
        },
    )
    .await;
    insert_horse(
        &db,
        rider.id,
        HorseSpec {
            name: "Baby",
            age: 1,
            ..Default::default()
        },
    )
    .await;
    insert_horse(
        &db,
        rider.id,
        HorseSpec {
            name: "Sore",
            health: "injured",
            ..Default::default()
        },
    )
    .await;
    exec(
        &db,
        &format!(
            "UPDATE horses SET training_cooldown_end = now() + interval '1 day' WHERE id = {second}"
        ),
    )
    .await;

    let ran = create_show(&app, &admin, show_body("Past Cup", "Racing", 0, 300, 5)).await;
    assert_eq!(enter(&app, &rider, ran, starter).await.0, 201);
    assert_eq!(run(&app, &admin, ran).await.0, 200);
    let upcoming = create_show(&app, &admin, show_body("Next Cup", "Racing", 0, 300, 5)).await;
    assert_eq!(enter(&app, &rider, upcoming, starter).await.0, 201);

    let (status, body) = send(
        &app,
        with_token(
            TestRequest::get().uri("/api/users/me/results"),
            &rider.access,
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["pagination"]["total"], 1);
    assert_eq!(body["data"][0]["showName"], "Past Cup");
    assert_eq!(body["data"][0]["placement"], 1);
    assert_eq!(body["data"][0]["prize"], 150);
    let (status, _) = send(&app, TestRequest::get().uri("/api/users/me/results")).await;
    assert_eq!(status, 401);

    let (status, body) = send(
        &app,
        with_token(
            TestRequest::get().uri("/api/users/me/dashboard"),
            &rider.access,
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let d = &body["data"];
    assert_eq!(d["user"]["username"], "rider_one");
    assert_eq!(d["user"]["money"], 10_150);
    assert_eq!(d["horseCount"], 4);
    // The starter (3 years old) only: the second is on cooldown, the others too young / injured.
    assert_eq!(d["trainableNow"], 1);
    assert_eq!(d["upcomingEntries"].as_array().unwrap().len(), 1);
    assert_eq!(d["upcomingEntries"][0]["showId"], upcoming);
    assert_eq!(d["recentResults"][0]["showId"], ran);
}

#[actix_web::test]
async fn every_show_route_is_in_the_openapi_document() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let (status, doc) = send(&app, TestRequest::get().uri("/api/openapi.json")).await;
    assert_eq!(status, 200);
    for (path, method) in [
        ("/api/shows", "get"),
        ("/api/shows", "post"),
        ("/api/shows/{id}", "get"),
        ("/api/shows/{id}/entries", "get"),
        ("/api/shows/{id}/entries", "post"),
        ("/api/shows/{id}/run", "post"),
        ("/api/shows/{id}/results", "get"),
        ("/api/users/me/results", "get"),
        ("/api/users/me/dashboard", "get"),
        ("/api/leaderboards", "get"),
        ("/api/leaderboards/players/level", "get"),
        ("/api/leaderboards/players/xp", "get"),
        ("/api/leaderboards/horses/earnings", "get"),
        ("/api/leaderboards/horses/wins", "get"),
        ("/api/leaderboards/recent-winners", "get"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} missing"
        );
    }
    let (_, index) = send(&app, TestRequest::get().uri("/api")).await;
    assert_eq!(index["data"]["resources"]["shows"], "/api/shows");
    assert_eq!(
        index["data"]["resources"]["leaderboards"],
        "/api/leaderboards"
    );
}

#[actix_web::test]
async fn show_request_schemas_use_the_wire_names() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let (_, doc) = send(&app, TestRequest::get().uri("/api/openapi.json")).await;
    let create = &doc["components"]["schemas"]["CreateShowRequest"]["properties"];
    for field in [
        "entryFee",
        "prizePool",
        "minLevel",
        "maxLevel",
        "maxEntries",
        "closesAt",
        "runsAt",
    ] {
        assert!(create[field].is_object(), "{field} missing: {create}");
    }
    assert!(doc["components"]["schemas"]["EntryRequest"]["properties"]["horseId"].is_object());
}

#[actix_web::test]
async fn the_prize_pool_is_bounded_and_a_larger_one_is_a_400_naming_the_field() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let admin = register(&app, "pool_admin").await;
    make_admin(&db, &admin).await;
    let max = equoria_domain::competition::MAX_PRIZE_POOL_COINS;

    for pool in [max + 1, i64::MAX] {
        let (status, body) = send(
            &app,
            with_token(
                post_json("/api/shows", show_body("Too Rich", "Racing", 0, pool, 5)),
                &admin.access,
            ),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("VALIDATION_FAILED")),
            "{body}"
        );
        assert_eq!(body["errors"][0]["field"], "prizePool", "{body}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains(&max.to_string()),
            "{body}"
        );
    }
    create_show(&app, &admin, show_body("Rich Enough", "Racing", 0, max, 5)).await;
    // The database refuses what the API would, whoever writes the row.
    let mut conn = db.connect().await;
    let refused = diesel_async::RunQueryDsl::execute(
        diesel::sql_query(format!(
            "UPDATE shows SET prize_pool = {} WHERE name = 'Rich Enough'",
            max + 1
        )),
        &mut conn,
    )
    .await;
    assert!(
        refused.is_err_and(|e| e.to_string().contains("shows_prize_pool_max_check")),
        "the bound is not in the database"
    );
}

/// Holds the show row locked, as a long transaction would (for example a run in progress);
/// dropping the connection releases the lock.
async fn lock_show_row(db: &TestDatabase, show: i64) -> diesel_async::AsyncPgConnection {
    use diesel_async::RunQueryDsl;
    let mut conn = db.connect().await;
    diesel::sql_query("BEGIN").execute(&mut conn).await.unwrap();
    diesel::sql_query(format!("SELECT id FROM shows WHERE id = {show} FOR UPDATE"))
        .execute(&mut conn)
        .await
        .unwrap();
    conn
}

#[actix_web::test]
async fn entries_for_a_show_that_no_longer_takes_entries_never_wait_for_its_row_lock() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let admin = register(&app, "lock_admin").await;
    make_admin(&db, &admin).await;
    let rider = register(&app, "lock_rider").await;
    let horse = starter_horse(&db, rider.id).await;
    let closed = create_show(&app, &admin, show_body("Closed Gate", "Racing", 0, 100, 5)).await;
    exec(
        &db,
        &format!(
            "UPDATE shows SET closes_at = now() - interval '2 minutes', \
             runs_at = now() - interval '1 minute' WHERE id = {closed}"
        ),
    )
    .await;

    let holder = lock_show_row(&db, closed).await;
    // Many attempts while the row is locked: each is refused at once, none queues on the lock
    // (which would also keep the scheduler's SKIP LOCKED claim away from the show).
    for _ in 0..5 {
        let (status, body) = tokio::time::timeout(
            std::time::Duration::from_secs(2),
            enter(&app, &rider, closed, horse),
        )
        .await
        .expect("an entry for a closed show waited for the show's row lock");
        assert_eq!(
            (status, body["code"].as_str()),
            (409, Some("SHOW_CLOSED")),
            "{body}"
        );
    }
    drop(holder);

    // An open show still takes its entry under the lock, as before.
    let open = create_show(&app, &admin, show_body("Open Gate", "Racing", 0, 100, 5)).await;
    assert_eq!(enter(&app, &rider, open, horse).await.0, 201);
    assert_eq!(enter(&app, &rider, open, horse).await.0, 409);
}

#[actix_web::test]
async fn a_show_whose_run_keeps_failing_backs_off_and_does_not_hold_the_head_of_the_queue() {
    use equoria_application::shows::ShowStore;
    let db = TestDatabase::migrated().await;
    let state = state_for(db.url(), equoria_http::HttpSettings::for_tests());
    let app = actix_web::test::init_service(equoria_http::build(state.clone())).await;
    let admin = register(&app, "retry_admin").await;
    make_admin(&db, &admin).await;
    let failing = create_show(&app, &admin, show_body("Broken", "Racing", 0, 100, 5)).await;
    let healthy = create_show(&app, &admin, show_body("Healthy", "Racing", 0, 100, 5)).await;
    // The failing show is the oldest due show: the head of the queue.
    exec(&db, &format!("UPDATE shows SET closes_at = now() - interval '3 minutes', runs_at = now() - interval '2 minutes' WHERE id = {failing}")).await;
    exec(&db, &format!("UPDATE shows SET closes_at = now() - interval '2 minutes', runs_at = now() - interval '1 minute' WHERE id = {healthy}")).await;
    // Its run fails inside the run transaction, every time, until the trigger goes.
    exec(
        &db,
        &format!(
            "CREATE FUNCTION fail_broken_show() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN IF NEW.id = {failing} AND NEW.status = 'completed' THEN \
             RAISE EXCEPTION 'simulated failure of show %', NEW.id; END IF; RETURN NEW; END $$"
        ),
    )
    .await;
    exec(
        &db,
        "CREATE TRIGGER fail_broken_show BEFORE UPDATE ON shows \
         FOR EACH ROW EXECUTE FUNCTION fail_broken_show()",
    )
    .await;

    let ran: Vec<i64> = state
        .shows
        .run_due()
        .await
        .unwrap()
        .iter()
        .map(|s| s.show_id.get())
        .collect();
    assert_eq!(ran, [healthy]);
    let attempts = format!("SELECT run_attempts::bigint AS value FROM shows WHERE id = {failing}");
    assert_eq!(scalar(&db, &attempts).await, 1);
    let wait = scalar(
        &db,
        &format!(
            "SELECT extract(epoch FROM next_run_at - now())::bigint AS value FROM shows WHERE id = {failing}"
        ),
    )
    .await;
    assert!((25..=30).contains(&wait), "first retry in {wait} s");

    // Backing off: the next passes do not try it again before its time.
    assert!(state.shows.run_due().await.unwrap().is_empty());
    assert_eq!(scalar(&db, &attempts).await, 1);

    // Once its time has come, a show that never failed still goes first: with room for one
    // show per pass, the failing show cannot starve the others.
    let fresh = create_show(&app, &admin, show_body("Fresh", "Racing", 0, 100, 5)).await;
    exec(&db, &format!("UPDATE shows SET closes_at = now() - interval '2 minutes', runs_at = now() - interval '1 minute' WHERE id = {fresh}")).await;
    exec(
        &db,
        &format!("UPDATE shows SET next_run_at = now() - interval '1 second' WHERE id = {failing}"),
    )
    .await;
    let pool = equoria_persistence::build_pool(&equoria_persistence::PoolSettings::new(
        secrecy::SecretString::from(db.url().to_owned()),
    ))
    .unwrap();
    let due = |limit| pool.due_shows(Utc::now(), limit);
    let head: Vec<i64> = due(1).await.unwrap().iter().map(|s| s.get()).collect();
    assert_eq!(head, [fresh]);
    let all: Vec<i64> = due(10).await.unwrap().iter().map(|s| s.get()).collect();
    assert_eq!(all, [fresh, failing]);

    // The second failure doubles the wait.
    assert_eq!(state.shows.run_due().await.unwrap().len(), 1);
    assert_eq!(scalar(&db, &attempts).await, 2);
    let wait = scalar(
        &db,
        &format!(
            "SELECT extract(epoch FROM next_run_at - now())::bigint AS value FROM shows WHERE id = {failing}"
        ),
    )
    .await;
    assert!((55..=60).contains(&wait), "second retry in {wait} s");

    // Repaired, it runs on its next turn.
    exec(&db, "DROP TRIGGER fail_broken_show ON shows").await;
    exec(
        &db,
        &format!("UPDATE shows SET next_run_at = now() - interval '1 second' WHERE id = {failing}"),
    )
    .await;
    let ran: Vec<i64> = state
        .shows
        .run_due()
        .await
        .unwrap()
        .iter()
        .map(|s| s.show_id.get())
        .collect();
    assert_eq!(ran, [failing]);
    assert_money_invariants(&db).await;
}
