//! Horses through HTTP against the real database: buying, listing, viewing, renaming,
//! deleting, XP, stat points and results.

#![expect(clippy::unwrap_used)]

mod common;
mod horse_support;

use actix_web::test::TestRequest;
use common::*;
use equoria_test_support::TestDatabase;
use futures_util::future::join_all;
use horse_support::*;
use serde_json::{Value, json};

const STAT_NAMES: [&str; 12] = [
    "speed",
    "stamina",
    "agility",
    "balance",
    "precision",
    "intelligence",
    "boldness",
    "flexibility",
    "obedience",
    "focus",
    "strength",
    "endurance",
];

fn fields(body: &Value) -> Vec<String> {
    let mut fields: Vec<String> = body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {body}"))
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    fields.sort();
    fields
}

async fn money(
    app: &impl actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
    >,
    player: &Player,
) -> i64 {
    let (_, me) = get(app, "/api/auth/me", &player.access).await;
    me["data"]["money"].as_i64().unwrap()
}

#[actix_web::test]
async fn a_new_player_owns_a_three_year_old_thoroughbred_mare() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "starter").await;

    let (status, body) = get(&app, "/api/horses", &player.access).await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(body["pagination"]["total"], 1);
    let horse = &body["data"][0];
    assert_eq!(horse["breed"]["name"], "Thoroughbred");
    assert_eq!(horse["sex"], "Mare");
    assert_eq!(horse["age"], 3);
    assert_eq!(horse["ownerId"], player.id);
    for stat in STAT_NAMES {
        let v = horse["stats"][stat].as_i64().unwrap();
        assert!((1..=100).contains(&v), "{stat} = {v}");
    }
}

#[actix_web::test]
async fn buying_a_horse_debits_1000_coins_through_the_ledger_and_rolls_its_stats() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "buyer").await;

    let horse = buy(&app, &player, "  Comet  ", 2, "stallion", 5).await;

    assert_eq!(horse["name"], "Comet");
    assert_eq!(horse["sex"], "Stallion");
    assert_eq!(horse["age"], 5);
    assert_eq!(horse["breed"], json!({"id": 2, "name": "Arabian"}));
    assert_eq!(horse["health"], "healthy");
    assert_eq!(horse["xp"], 0);
    assert_eq!(horse["trainingCooldownEnd"], Value::Null);
    for stat in STAT_NAMES {
        let v = horse["stats"][stat].as_i64().unwrap();
        assert!((1..=100).contains(&v), "{stat} = {v}");
    }
    assert_eq!(money(&app, &player).await, 9_000);
    let (_, ledger) = get(&app, "/api/users/me/transactions", &player.access).await;
    let entry = &ledger["data"][0];
    assert_eq!(entry["amount"], -1000);
    assert_eq!(entry["reason"], "horse_purchase");
    assert_eq!(entry["balanceAfter"], 9000);
    assert_eq!(
        entry["reference"],
        format!("horse:{}", horse["id"].as_i64().unwrap())
    );
    let house = scalar(
        &db,
        "SELECT COALESCE(SUM(amount), 0)::bigint AS v FROM house_ledger WHERE reason = 'horse_purchase'",
    )
    .await;
    assert_eq!(house, 1000);
}

#[actix_web::test]
async fn the_age_defaults_to_3_and_may_be_anything_from_0_to_20() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "ages").await;

    let (status, body) = post(
        &app,
        "/api/horses",
        &player.access,
        json!({"name": "Default", "breedId": 1, "sex": "Mare"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["age"], 3);
    assert_eq!(buy(&app, &player, "Foal", 1, "Filly", 0).await["age"], 0);
    assert_eq!(
        buy(&app, &player, "Elder", 1, "Gelding", 20).await["age"],
        20
    );
}

#[actix_web::test]
async fn buying_until_the_money_runs_out_is_refused_and_the_ledger_still_sums_to_the_balance() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "spender").await;

    for i in 0..10 {
        buy(&app, &player, &format!("Horse {i}"), 1, "Mare", 3).await;
    }
    let (status, body) = post(
        &app,
        "/api/horses",
        &player.access,
        json!({"name": "One Too Many", "breedId": 1, "sex": "Mare"}),
    )
    .await;

    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("INSUFFICIENT_FUNDS")),
        "{body}"
    );
    assert_eq!(money(&app, &player).await, 0);
    let ledger_sum = scalar(
        &db,
        &format!(
            "SELECT SUM(amount)::bigint AS v FROM ledger_entries WHERE user_id = {}",
            player.id
        ),
    )
    .await;
    assert_eq!(ledger_sum, 0);
    let horses = scalar(
        &db,
        &format!(
            "SELECT COUNT(*) AS v FROM horses WHERE owner_id = {}",
            player.id
        ),
    )
    .await;
    assert_eq!(horses, 11);
}

#[actix_web::test]
async fn a_player_with_100_horses_cannot_buy_another() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "collector").await;
    insert_horses(&db, player.id, 99).await;

    let (status, body) = post(
        &app,
        "/api/horses",
        &player.access,
        json!({"name": "Hundred And One", "breedId": 1, "sex": "Mare"}),
    )
    .await;

    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("HORSE_LIMIT_REACHED")),
        "{body}"
    );
    assert_eq!(body["details"]["limit"], 100);
    assert_eq!(money(&app, &player).await, 10_000);
}

#[actix_web::test]
async fn concurrent_purchases_never_take_a_player_past_100_horses() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "racer").await;
    insert_horses(&db, player.id, 98).await;

    let requests = (0..5).map(|i| {
        post(
            &app,
            "/api/horses",
            &player.access,
            json!({"name": format!("Rush {i}"), "breedId": 1, "sex": "Colt"}),
        )
    });
    let answers = join_all(requests).await;

    let created = answers.iter().filter(|(s, _)| *s == 201).count();
    let refused = answers
        .iter()
        .filter(|(s, b)| *s == 422 && b["code"] == "HORSE_LIMIT_REACHED")
        .count();
    assert_eq!((created, refused), (1, 4), "{answers:?}");
    let horses = scalar(
        &db,
        &format!(
            "SELECT COUNT(*) AS v FROM horses WHERE owner_id = {}",
            player.id
        ),
    )
    .await;
    assert_eq!(horses, 100);
    assert_eq!(money(&app, &player).await, 9_000);
}

#[actix_web::test]
async fn bad_purchase_input_is_a_400_naming_every_offending_field_without_echoing_values() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "sloppy").await;

    let (status, body) = post(
        &app,
        "/api/horses",
        &player.access,
        json!({"name": "x", "breedId": 0, "sex": "Unicorn", "age": -1}),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("VALIDATION_FAILED"))
    );
    assert_eq!(fields(&body), ["age", "breedId", "name", "sex"]);
    assert!(!body.to_string().contains("Unicorn"), "{body}");

    let cases = [
        (
            json!({"name": "Old", "breedId": 1, "sex": "Mare", "age": 21}),
            "age",
        ),
        (
            json!({"name": "Frac", "breedId": 1, "sex": "Mare", "age": 2.5}),
            "age",
        ),
        (
            json!({"name": "Str", "breedId": 1, "sex": "Mare", "age": "3"}),
            "age",
        ),
        (
            json!({"name": "N".repeat(51), "breedId": 1, "sex": "Mare"}),
            "name",
        ),
        (
            json!({"name": "Bad\u{7}Name", "breedId": 1, "sex": "Mare"}),
            "name",
        ),
        (json!({"name": 42, "breedId": 1, "sex": "Mare"}), "name"),
        (
            json!({"name": "Ghost", "breedId": 999, "sex": "Mare"}),
            "breedId",
        ),
        (
            json!({"name": "Ghost", "breedId": "one", "sex": "Mare"}),
            "breedId",
        ),
        (json!({"name": "Ghost", "breedId": 1}), "sex"),
        (
            json!({"name": "Cheater", "breedId": 1, "sex": "Mare", "stats": {"speed": 100}}),
            "stats",
        ),
    ];
    for (request, field) in cases {
        let (status, body) = post(&app, "/api/horses", &player.access, request.clone()).await;
        assert_eq!(status, 400, "{request} -> {body}");
        assert_eq!(body["code"], "VALIDATION_FAILED");
        assert_eq!(fields(&body), [field], "{request}");
    }
    assert_eq!(money(&app, &player).await, 10_000);
}

#[actix_web::test]
async fn horses_need_a_token() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;

    let (status, _) = send(&app, TestRequest::get().uri("/api/horses")).await;
    assert_eq!(status, 401);
    let (status, _) = send(
        &app,
        post_json(
            "/api/horses",
            json!({"name": "Anon", "breedId": 1, "sex": "Mare"}),
        ),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = send(&app, TestRequest::get().uri("/api/horses/1")).await;
    assert_eq!(status, 401);
}

#[actix_web::test]
async fn the_list_filters_by_breed_sex_age_and_name_and_sorts() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "stable").await;
    let starter = starter_horse(&app, &player).await;
    let comet = buy(&app, &player, "Comet", 2, "Stallion", 10).await["id"]
        .as_i64()
        .unwrap();
    let bolt = buy(&app, &player, "bolt", 2, "Gelding", 1).await["id"]
        .as_i64()
        .unwrap();
    let odd = buy(&app, &player, "100% Pure_Gold", 8, "Mare", 15).await["id"]
        .as_i64()
        .unwrap();
    exec(
        &db,
        &format!("UPDATE horses SET earnings = 500 WHERE id = {bolt}"),
    )
    .await;
    exec(
        &db,
        &format!("UPDATE horses SET earnings = 200 WHERE id = {comet}"),
    )
    .await;
    let other = register(&app, "neighbour").await;
    buy(&app, &other, "Comet", 2, "Stallion", 10).await;

    let ids = |body: &Value| -> Vec<i64> {
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["id"].as_i64().unwrap())
            .collect()
    };
    let cases: Vec<(&str, Vec<i64>)> = vec![
        ("", vec![starter, comet, bolt, odd]),
        ("?breedId=2", vec![comet, bolt]),
        ("?sex=mare", vec![starter, odd]),
        ("?minAge=3&maxAge=10", vec![starter, comet]),
        ("?minAge=11", vec![odd]),
        ("?maxAge=2", vec![bolt]),
        ("?name=OM", vec![comet]),
        ("?name=%25", vec![odd]),
        ("?name=_", vec![odd]),
        ("?sort=name", vec![odd, bolt, comet, starter]),
        ("?sort=-name", vec![starter, comet, bolt, odd]),
        ("?sort=age", vec![bolt, starter, comet, odd]),
        ("?sort=-age", vec![odd, comet, starter, bolt]),
        ("?sort=-earnings", vec![bolt, comet, odd, starter]),
        ("?sort=-createdAt", vec![odd, bolt, comet, starter]),
        ("?breedId=2&sort=-age", vec![comet, bolt]),
    ];
    for (query, expected) in cases {
        let (status, body) = get(&app, &format!("/api/horses{query}"), &player.access).await;
        assert_eq!(status, 200, "{query}: {body}");
        assert_eq!(ids(&body), expected, "{query}");
        assert_eq!(body["pagination"]["total"], expected.len(), "{query}");
    }

    let (_, body) = get(&app, "/api/horses?limit=3&page=2", &player.access).await;
    assert_eq!(ids(&body), vec![odd]);
    assert_eq!(
        body["pagination"],
        json!({"page": 2, "limit": 3, "total": 4, "hasMore": false})
    );
}

#[actix_web::test]
async fn invalid_list_parameters_are_400_naming_the_parameter() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "picky").await;

    let cases = [
        ("sort=colour", "sort"),
        ("sort=-", "sort"),
        ("minAge=-1", "minAge"),
        ("maxAge=abc", "maxAge"),
        ("maxAge=100000", "maxAge"),
        ("minAge=5&maxAge=2", "maxAge"),
        ("sex=Unicorn", "sex"),
        ("breedId=x", "breedId"),
        ("breedId=0", "breedId"),
        ("name=", "name"),
        ("limit=0", "limit"),
        ("page=zero", "page"),
    ];
    for (query, field) in cases {
        let (status, body) = get(&app, &format!("/api/horses?{query}"), &player.access).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("VALIDATION_FAILED")),
            "{query}"
        );
        assert_eq!(fields(&body), [field], "{query}");
    }
}

#[actix_web::test]
async fn the_owner_sees_the_full_horse_and_other_players_only_its_public_fields() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let owner = register(&app, "owner").await;
    let visitor = register(&app, "visitor").await;
    let horse = starter_horse(&app, &owner).await;
    let uri = format!("/api/horses/{horse}");

    let (status, full) = get(&app, &uri, &owner.access).await;
    assert_eq!(status, 200, "{full}");
    for key in [
        "stats",
        "xp",
        "health",
        "statPointsAvailable",
        "trainingCooldownEnd",
        "dateOfBirth",
    ] {
        assert!(full["data"].get(key).is_some(), "owner misses {key}");
    }

    let (status, public) = get(&app, &uri, &visitor.access).await;
    assert_eq!(status, 200, "{public}");
    let mut keys: Vec<&str> = public["data"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "age",
            "breed",
            "createdAt",
            "earnings",
            "id",
            "level",
            "name",
            "ownerId",
            "sex"
        ]
    );
    assert_eq!(public["data"]["name"], full["data"]["name"]);

    for uri in [
        "/api/horses/999999",
        "/api/horses/abc",
        "/api/horses/0",
        "/api/horses/-3",
    ] {
        let (status, body) = get(&app, uri, &owner.access).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (404, Some("NOT_FOUND")),
            "{uri}"
        );
    }
    let (status, _) = send(
        &app,
        with_token(TestRequest::put().uri(&uri), &owner.access),
    )
    .await;
    assert_eq!(status, 405);
}

#[actix_web::test]
async fn only_the_owner_can_rename_a_horse_and_the_name_is_validated() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let owner = register(&app, "namer").await;
    let other = register(&app, "meddler").await;
    let horse = starter_horse(&app, &owner).await;
    let uri = format!("/api/horses/{horse}");
    let patch =
        |token: &str, body: Value| with_token(TestRequest::patch().uri(&uri).set_json(body), token);

    let (status, body) = send(&app, patch(&owner.access, json!({"name": " Thunder "}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["name"], "Thunder");

    let (status, body) = send(&app, patch(&other.access, json!({"name": "Stolen"}))).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("NOT_FOUND")));
    for bad in [
        json!({"name": "T"}),
        json!({"name": 7}),
        json!({}),
        json!({"name": "Ok Name", "sex": "Mare"}),
    ] {
        let (status, body) = send(&app, patch(&owner.access, bad.clone())).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("VALIDATION_FAILED")),
            "{bad}"
        );
    }
    let (_, body) = get(&app, &uri, &owner.access).await;
    assert_eq!(body["data"]["name"], "Thunder");
}

#[actix_web::test]
async fn only_the_owner_can_delete_a_horse() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let owner = register(&app, "seller").await;
    let other = register(&app, "thief").await;
    let horse = starter_horse(&app, &owner).await;
    let uri = format!("/api/horses/{horse}");

    let (status, body) = send(
        &app,
        with_token(TestRequest::delete().uri(&uri), &other.access),
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (404, Some("NOT_FOUND")));
    let (status, body) = send(
        &app,
        with_token(TestRequest::delete().uri(&uri), &owner.access),
    )
    .await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(body, Value::Null);

    let (status, _) = get(&app, &uri, &owner.access).await;
    assert_eq!(status, 404);
    let (status, _) = send(
        &app,
        with_token(TestRequest::delete().uri(&uri), &owner.access),
    )
    .await;
    assert_eq!(status, 404);
}

#[actix_web::test]
async fn a_horse_entered_in_a_show_that_has_not_run_cannot_be_deleted_until_it_has_run() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let owner = register(&app, "competitor").await;
    let horse = starter_horse(&app, &owner).await;
    let (show, _) = enter_open_show(&db, "Spring Cup", horse, owner.id).await;
    let uri = format!("/api/horses/{horse}");

    let (status, body) = send(
        &app,
        with_token(TestRequest::delete().uri(&uri), &owner.access),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("HORSE_ENTERED")),
        "{body}"
    );
    let (status, _) = get(&app, &uri, &owner.access).await;
    assert_eq!(status, 200);

    complete_show(&db, show).await;
    let (status, _) = send(
        &app,
        with_token(TestRequest::delete().uri(&uri), &owner.access),
    )
    .await;
    assert_eq!(status, 204);
}

#[actix_web::test]
async fn the_xp_status_counts_stat_points_and_is_the_owners_only() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let owner = register(&app, "xpowner").await;
    let other = register(&app, "xpother").await;
    let horse = starter_horse(&app, &owner).await;
    exec(
        &db,
        &format!("UPDATE horses SET xp = 250, stat_points_spent = 1 WHERE id = {horse}"),
    )
    .await;
    let uri = format!("/api/horses/{horse}/xp");

    let (status, body) = get(&app, &uri, &owner.access).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"],
        json!({"horseId": horse, "xp": 250, "level": 3, "statPointsEarned": 2, "statPointsSpent": 1,
               "statPointsAvailable": 1, "xpToNextStatPoint": 50})
    );
    let (status, _) = get(&app, &uri, &other.access).await;
    assert_eq!(status, 404);
}

#[actix_web::test]
async fn a_stat_point_adds_one_to_a_stat_and_refusals_name_their_reason() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let owner = register(&app, "allocator").await;
    let other = register(&app, "outsider").await;
    let horse = starter_horse(&app, &owner).await;
    let uri = format!("/api/horses/{horse}/allocate-stat");
    let (_, before) = get(&app, &format!("/api/horses/{horse}"), &owner.access).await;
    let speed = before["data"]["stats"]["speed"].as_i64().unwrap();

    let (status, body) = post(&app, &uri, &owner.access, json!({"stat": "speed"})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("NO_STAT_POINTS")),
        "{body}"
    );

    exec(
        &db,
        &format!("UPDATE horses SET xp = 100 WHERE id = {horse}"),
    )
    .await;
    let (status, body) = post(&app, &uri, &other.access, json!({"stat": "speed"})).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = post(&app, &uri, &owner.access, json!({"stat": "Speed"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["stat"], "speed");
    assert_eq!(body["data"]["newValue"], speed + 1);
    assert_eq!(body["data"]["statPointsAvailable"], 0);
    assert_eq!(body["data"]["stats"]["speed"], speed + 1);

    exec(
        &db,
        &format!("UPDATE horses SET xp = 300, focus = 100 WHERE id = {horse}"),
    )
    .await;
    let (status, body) = post(&app, &uri, &owner.access, json!({"stat": "focus"})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("STAT_AT_MAXIMUM")),
        "{body}"
    );

    for bad in [json!({"stat": "charisma"}), json!({"stat": 3}), json!({})] {
        let (status, body) = post(&app, &uri, &owner.access, bad.clone()).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("VALIDATION_FAILED")),
            "{bad}"
        );
        assert_eq!(fields(&body), ["stat"]);
        assert!(!body.to_string().contains("charisma"));
    }
    let spent = scalar(
        &db,
        &format!("SELECT stat_points_spent::bigint AS v FROM horses WHERE id = {horse}"),
    )
    .await;
    assert_eq!(spent, 1);
}

#[actix_web::test]
async fn concurrent_allocations_never_spend_more_points_than_the_horse_has() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let owner = register(&app, "hasty").await;
    let horse = starter_horse(&app, &owner).await;
    exec(
        &db,
        &format!("UPDATE horses SET xp = 200, speed = 10 WHERE id = {horse}"),
    )
    .await;
    let uri = format!("/api/horses/{horse}/allocate-stat");

    let answers =
        join_all((0..6).map(|_| post(&app, &uri, &owner.access, json!({"stat": "speed"})))).await;

    let ok = answers.iter().filter(|(s, _)| *s == 200).count();
    let refused = answers
        .iter()
        .filter(|(s, b)| *s == 422 && b["code"] == "NO_STAT_POINTS")
        .count();
    assert_eq!((ok, refused), (2, 4), "{answers:?}");
    let speed = scalar(
        &db,
        &format!("SELECT speed::bigint AS v FROM horses WHERE id = {horse}"),
    )
    .await;
    let spent = scalar(
        &db,
        &format!("SELECT stat_points_spent::bigint AS v FROM horses WHERE id = {horse}"),
    )
    .await;
    assert_eq!((speed, spent), (12, 2));
}

#[actix_web::test]
async fn the_xp_history_lists_the_horses_xp_events_newest_first() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let owner = register(&app, "historian").await;
    let other = register(&app, "snoop").await;
    let horse = starter_horse(&app, &owner).await;
    exec(
        &db,
        &format!(
            "INSERT INTO horse_xp_events (horse_id, amount, reason, reference, created_at) VALUES \
             ({horse}, 30, 'show_placement', 'show:1', now() - interval '2 days'), \
             ({horse}, 20, 'show_placement', 'show:2', now() - interval '1 day'), \
             ({horse}, 25, 'show_placement', 'show:3', now())"
        ),
    )
    .await;
    let uri = format!("/api/horses/{horse}/xp-history?limit=2");

    let (status, body) = get(&app, &uri, &owner.access).await;
    assert_eq!(status, 200, "{body}");
    let amounts: Vec<i64> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["amount"].as_i64().unwrap())
        .collect();
    assert_eq!(amounts, [25, 20]);
    assert_eq!(body["data"][0]["reference"], "show:3");
    assert_eq!(body["pagination"]["total"], 3);
    assert_eq!(body["pagination"]["hasMore"], true);

    let (status, _) = get(&app, &uri, &other.access).await;
    assert_eq!(status, 404);
}

#[actix_web::test]
async fn a_horses_results_show_its_placements_with_scores_in_two_decimals() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let owner = register(&app, "winner").await;
    let other = register(&app, "spectator").await;
    let horse = starter_horse(&app, &owner).await;
    let (show, entry) = enter_open_show(&db, "Autumn Classic", horse, owner.id).await;
    complete_show(&db, show).await;
    exec(
        &db,
        &format!(
            "INSERT INTO competition_results (show_id, horse_id, horse_name, user_id, entry_id, placement, \
             score, base_score, prize, horse_xp_awarded, owner_xp_awarded) \
             VALUES ({show}, {horse}, 'Starlight', {}, {entry}, 1, 8745, 1700, 500, 30, 20)",
            owner.id
        ),
    )
    .await;
    let uri = format!("/api/horses/{horse}/results");

    for viewer in [&owner, &other] {
        let (status, body) = get(&app, &uri, &viewer.access).await;
        assert_eq!(status, 200, "{body}");
        let result = &body["data"][0];
        assert_eq!(result["showId"], show);
        assert_eq!(result["showName"], "Autumn Classic");
        assert_eq!(result["placement"], 1);
        assert_eq!(result["score"], 87.45);
        assert_eq!(result["prize"], 500);
        assert_eq!(body["pagination"]["total"], 1);
    }
    let (status, _) = get(&app, "/api/horses/999999/results", &owner.access).await;
    assert_eq!(status, 404);
}

#[actix_web::test]
async fn every_breed_horse_and_training_route_is_in_the_openapi_document_and_the_index() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;

    let (status, doc) = send(&app, TestRequest::get().uri("/api/openapi.json")).await;
    assert_eq!(status, 200);
    for (path, method) in [
        ("/api/breeds", "get"),
        ("/api/breeds/{id}", "get"),
        ("/api/disciplines", "get"),
        ("/api/horses", "get"),
        ("/api/horses", "post"),
        ("/api/horses/{id}", "get"),
        ("/api/horses/{id}", "patch"),
        ("/api/horses/{id}", "delete"),
        ("/api/horses/{id}/xp", "get"),
        ("/api/horses/{id}/allocate-stat", "post"),
        ("/api/horses/{id}/xp-history", "get"),
        ("/api/horses/{id}/results", "get"),
        ("/api/training/train", "post"),
        ("/api/training/status/{horseId}", "get"),
        ("/api/training/trainable", "get"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} missing"
        );
    }
    // Request bodies are documented with their wire (camelCase) names.
    let schemas = &doc["components"]["schemas"];
    assert!(
        schemas["BuyHorseRequest"]["properties"]["breedId"].is_object(),
        "{}",
        schemas["BuyHorseRequest"]
    );
    assert!(
        schemas["TrainRequest"]["properties"]["horseId"].is_object(),
        "{}",
        schemas["TrainRequest"]
    );
    let list_params = doc["paths"]["/api/horses"]["get"]["parameters"].to_string();
    for name in [
        "breedId", "sex", "minAge", "maxAge", "name", "sort", "page", "limit",
    ] {
        assert!(
            list_params.contains(&format!("\"{name}\"")),
            "{name} missing from {list_params}"
        );
    }

    let (_, index) = send(&app, TestRequest::get().uri("/api")).await;
    for (name, path) in [
        ("breeds", "/api/breeds"),
        ("disciplines", "/api/disciplines"),
        ("horses", "/api/horses"),
        ("training", "/api/training"),
    ] {
        assert_eq!(index["data"]["resources"][name], path);
    }
}
