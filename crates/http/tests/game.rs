//! A whole game through HTTP: players register, buy horses, train, enter shows that an admin
//! creates and runs, and the money and XP books balance at the end.

#![expect(clippy::unwrap_used)]

mod common;
mod show_support;

use actix_web::test::TestRequest;
use common::*;
use equoria_test_support::TestDatabase;
use serde_json::json;
use show_support::*;

#[actix_web::test]
async fn a_whole_game_keeps_every_coin_and_xp_point_accounted_for() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let admin = register(&app, "game_master").await;
    make_admin(&db, &admin).await;

    // Players register and buy horses (1,000 coins each).
    let mut stables = Vec::new();
    for (i, name) in ["alice", "bruno", "chloe", "dmitri", "erin"]
        .into_iter()
        .enumerate()
    {
        let player = register(&app, name).await;
        let mut horses = vec![starter_horse(&db, player.id).await];
        for n in 0..=(i % 2) {
            let (status, body) = send(
                &app,
                with_token(
                    post_json(
                        "/api/horses",
                        json!({"name": format!("{name} colt {n}"), "breedId": 1 + i, "sex": "Gelding", "age": 4 + n}),
                    ),
                    &player.access,
                ),
            )
            .await;
            assert_eq!(status, 201, "{body}");
            horses.push(body["data"]["id"].as_i64().unwrap());
        }
        stables.push((player, horses));
    }

    // Everyone trains every horse once in Racing (owner +5 XP each).
    for (player, horses) in &stables {
        for horse in horses {
            let (status, body) = send(
                &app,
                with_token(
                    post_json(
                        "/api/training/train",
                        json!({"horseId": horse, "discipline": "Racing"}),
                    ),
                    &player.access,
                ),
            )
            .await;
            assert_eq!(status, 200, "{body}");
        }
        // The cooldown holds: a second session is refused.
        let (status, body) = send(
            &app,
            with_token(
                post_json(
                    "/api/training/train",
                    json!({"horseId": horses[0], "discipline": "Racing"}),
                ),
                &player.access,
            ),
        )
        .await;
        assert_eq!((status, body["code"].as_str()), (422, Some("ON_COOLDOWN")));
    }

    // Three shows: entries from everyone, one show nobody enters.
    let racing = create_show(
        &app,
        &admin,
        show_body("Spring Racing", "Racing", 150, 2_500, 20),
    )
    .await;
    let dressage = create_show(
        &app,
        &admin,
        show_body("Summer Dressage", "Dressage", 75, 1_001, 4),
    )
    .await;
    let empty = create_show(&app, &admin, show_body("Autumn Polo", "Polo", 10, 500, 10)).await;
    let mut entered = 0;
    for (player, horses) in &stables {
        for horse in horses {
            assert_eq!(enter(&app, player, racing, *horse).await.0, 201);
            entered += 1;
        }
        let (status, body) = enter(&app, player, dressage, horses[0]).await;
        assert!(
            status == 201 || (status == 409 && body["code"] == "SHOW_FULL"),
            "{status} {body}"
        );
    }
    assert_money_invariants(&db).await;

    for show in [racing, dressage, empty] {
        let (status, body) = run(&app, &admin, show).await;
        assert_eq!(status, 200, "{body}");
    }
    let (_, body) = send(
        &app,
        TestRequest::get().uri(&format!("/api/shows/{racing}/results?limit=100")),
    )
    .await;
    assert_eq!(body["pagination"]["total"], entered);
    let placements: Vec<i64> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["placement"].as_i64().unwrap())
        .collect();
    assert_eq!(placements, (1..=entered).collect::<Vec<_>>());
    assert_eq!(body["data"][0]["prize"], 1_250);

    // Every player sees their own results; the dashboard agrees with the ledger.
    for (player, horses) in &stables {
        let (status, results) = send(
            &app,
            with_token(
                TestRequest::get().uri("/api/users/me/results?limit=100"),
                &player.access,
            ),
        )
        .await;
        assert_eq!(status, 200);
        assert!(results["pagination"]["total"].as_i64().unwrap() >= horses.len() as i64);
        let (_, dash) = send(
            &app,
            with_token(
                TestRequest::get().uri("/api/users/me/dashboard"),
                &player.access,
            ),
        )
        .await;
        assert_eq!(dash["data"]["horseCount"], horses.len());
        assert_eq!(
            dash["data"]["trainableNow"], 0,
            "every horse is on cooldown"
        );
        assert_eq!(dash["data"]["upcomingEntries"], json!([]));
        assert_eq!(
            dash["data"]["user"]["money"],
            money_of(&db, player.id).await
        );
    }

    // The books: balances equal ledgers, and sum(balances) + house flows == 0, i.e. the coins
    // players hold are exactly grants - purchases - fees + prizes.
    assert_money_invariants(&db).await;
    assert_xp_invariants(&db).await;
    let grants = scalar(&db, "SELECT sum(amount)::bigint AS value FROM ledger_entries WHERE reason = 'registration_grant'").await;
    let purchases = scalar(
        &db,
        "SELECT sum(-amount)::bigint AS value FROM ledger_entries WHERE reason = 'horse_purchase'",
    )
    .await;
    let fees = scalar(
        &db,
        "SELECT sum(-amount)::bigint AS value FROM ledger_entries WHERE reason = 'show_entry_fee'",
    )
    .await;
    let prizes = scalar(
        &db,
        "SELECT sum(amount)::bigint AS value FROM ledger_entries WHERE reason = 'show_prize'",
    )
    .await;
    let held = scalar(&db, "SELECT sum(money)::bigint AS value FROM users").await;
    assert_eq!(held, grants - purchases - fees + prizes);
    assert_eq!(grants, 6 * 10_000);
    assert_eq!(purchases, 7 * 1_000);
    let refunds = scalar(&db, "SELECT sum(house_refund)::bigint AS value FROM shows").await;
    assert_eq!(
        prizes + refunds,
        2_500 + 1_001 + 500,
        "every pool is paid out or refunded"
    );

    let (status, boards) = send(&app, TestRequest::get().uri("/api/leaderboards")).await;
    assert_eq!(status, 200);
    assert_eq!(boards["data"]["recentWinners"].as_array().unwrap().len(), 2);
}
