//! Training through HTTP against the real database: sessions, every refusal reason, the
//! concurrency rule, status and the trainable list.

#![expect(clippy::unwrap_used)]

mod common;
mod horse_support;

use chrono::{DateTime, Duration, Utc};
use common::*;
use equoria_test_support::TestDatabase;
use futures_util::future::join_all;
use horse_support::*;
use serde_json::{Value, json};

fn time(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(
        value
            .as_str()
            .unwrap_or_else(|| panic!("not a time: {value}")),
    )
    .unwrap()
    .with_timezone(&Utc)
}

fn train_body(horse: i64, discipline: &str) -> Value {
    json!({"horseId": horse, "discipline": discipline})
}

#[actix_web::test]
async fn a_session_raises_the_score_by_5_awards_5_xp_and_starts_a_7_day_cooldown() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "trainer").await;
    let horse = starter_horse(&app, &player).await;

    let started = Utc::now();
    let (status, body) = post(
        &app,
        "/api/training/train",
        &player.access,
        train_body(horse, "Dressage"),
    )
    .await;

    assert_eq!(status, 200, "{body}");
    let data = &body["data"];
    assert_eq!(data["horseId"], horse);
    assert_eq!(data["discipline"], "Dressage");
    assert_eq!(
        (data["scoreBefore"].as_i64(), data["scoreAfter"].as_i64()),
        (Some(0), Some(5))
    );
    assert_eq!(data["xpAwarded"], 5);
    let next = time(&data["nextEligibleAt"]);
    assert!(next >= started + Duration::days(7) && next <= Utc::now() + Duration::days(7));

    let (_, progress) = get(&app, "/api/users/me/progress", &player.access).await;
    assert_eq!(progress["data"]["xp"], 5);
    let (_, xp) = get(&app, "/api/users/me/xp-history", &player.access).await;
    assert_eq!(xp["data"][0]["reason"], "training");
    assert_eq!(xp["data"][0]["reference"], format!("horse:{horse}"));
    let sessions = scalar(
        &db,
        &format!("SELECT COUNT(*) AS v FROM training_sessions WHERE horse_id = {horse}"),
    )
    .await;
    assert_eq!(sessions, 1);
    let (_, status_body) = get(
        &app,
        &format!("/api/training/status/{horse}"),
        &player.access,
    )
    .await;
    assert_eq!(status_body["data"]["disciplineScores"]["Dressage"], 5);
    let (_, horse_body) = get(&app, &format!("/api/horses/{horse}"), &player.access).await;
    assert_eq!(time(&horse_body["data"]["trainingCooldownEnd"]), next);
}

#[actix_web::test]
async fn a_second_session_within_7_days_is_refused_on_cooldown_with_the_time_it_ends() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "eager").await;
    let horse = starter_horse(&app, &player).await;
    let (_, first) = post(
        &app,
        "/api/training/train",
        &player.access,
        train_body(horse, "Racing"),
    )
    .await;

    // One global cooldown: another discipline is refused as well.
    let (status, body) = post(
        &app,
        "/api/training/train",
        &player.access,
        train_body(horse, "Polo"),
    )
    .await;

    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("ON_COOLDOWN")),
        "{body}"
    );
    assert_eq!(
        time(&body["details"]["nextEligibleAt"]),
        time(&first["data"]["nextEligibleAt"])
    );
}

#[actix_web::test]
async fn once_the_cooldown_has_ended_the_horse_trains_again_and_the_score_stops_at_100() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "patient").await;
    let horse = starter_horse(&app, &player).await;
    post(
        &app,
        "/api/training/train",
        &player.access,
        train_body(horse, "Hunter"),
    )
    .await;
    exec(&db, &format!("UPDATE horses SET training_cooldown_end = now() - interval '1 second' WHERE id = {horse}")).await;

    let (status, body) = post(
        &app,
        "/api/training/train",
        &player.access,
        train_body(horse, "hunter"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (
            body["data"]["scoreBefore"].as_i64(),
            body["data"]["scoreAfter"].as_i64()
        ),
        (Some(5), Some(10))
    );

    exec(
        &db,
        &format!("UPDATE horses SET training_cooldown_end = NULL WHERE id = {horse}"),
    )
    .await;
    exec(
        &db,
        &format!("UPDATE discipline_scores SET score = 98 WHERE horse_id = {horse}"),
    )
    .await;
    let (status, body) = post(
        &app,
        "/api/training/train",
        &player.access,
        train_body(horse, "Hunter"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (
            body["data"]["scoreBefore"].as_i64(),
            body["data"]["scoreAfter"].as_i64()
        ),
        (Some(98), Some(100))
    );
    let sessions = scalar(
        &db,
        &format!("SELECT COUNT(*) AS v FROM training_sessions WHERE horse_id = {horse}"),
    )
    .await;
    assert_eq!(sessions, 3);
}

#[actix_web::test]
async fn horses_train_from_age_3_to_age_20_inclusive() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "ages").await;
    let horse = starter_horse(&app, &player).await;
    let train = |d: &'static str| {
        post(
            &app,
            "/api/training/train",
            &player.access,
            train_body(horse, d),
        )
    };

    set_age(&db, horse, 2).await;
    let (status, body) = train("Reining").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("TOO_YOUNG")),
        "{body}"
    );
    assert_eq!(body["details"]["age"], 2);

    set_age(&db, horse, 21).await;
    let (status, body) = train("Reining").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("TOO_OLD")),
        "{body}"
    );

    set_age(&db, horse, 20).await;
    let (status, body) = train("Reining").await;
    assert_eq!(status, 200, "{body}");

    exec(
        &db,
        &format!("UPDATE horses SET training_cooldown_end = NULL WHERE id = {horse}"),
    )
    .await;
    set_age(&db, horse, 3).await;
    let (status, body) = train("Reining").await;
    assert_eq!(status, 200, "{body}");
}

#[actix_web::test]
async fn an_injured_horse_cannot_train() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "vet").await;
    let horse = starter_horse(&app, &player).await;
    exec(
        &db,
        &format!("UPDATE horses SET health = 'injured' WHERE id = {horse}"),
    )
    .await;

    let (status, body) = post(
        &app,
        "/api/training/train",
        &player.access,
        train_body(horse, "Cutting"),
    )
    .await;

    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("INJURED")),
        "{body}"
    );
    let sessions = scalar(
        &db,
        &format!("SELECT COUNT(*) AS v FROM training_sessions WHERE horse_id = {horse}"),
    )
    .await;
    assert_eq!(sessions, 0);
}

#[actix_web::test]
async fn only_gaited_breeds_train_in_the_gaited_discipline() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "gaits").await;
    let thoroughbred = starter_horse(&app, &player).await;
    let saddlebred = buy(&app, &player, "High Step", 3, "Gelding", 4).await["id"]
        .as_i64()
        .unwrap();

    let (status, body) = post(
        &app,
        "/api/training/train",
        &player.access,
        train_body(thoroughbred, "Gaited"),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("DISCIPLINE_NOT_ALLOWED")),
        "{body}"
    );

    let (status, body) = post(
        &app,
        "/api/training/train",
        &player.access,
        train_body(saddlebred, "gaited"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["discipline"], "Gaited");
}

#[actix_web::test]
async fn bad_training_input_is_a_400_and_someone_elses_horse_is_a_404() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "confused").await;
    let other = register(&app, "bystander").await;
    let horse = starter_horse(&app, &player).await;
    let others_horse = starter_horse(&app, &other).await;

    let cases = [
        (
            json!({"horseId": horse, "discipline": "Quidditch"}),
            vec!["discipline"],
        ),
        (
            json!({"horseId": horse, "discipline": "show  jumping"}),
            vec!["discipline"],
        ),
        (
            json!({"horseId": "abc", "discipline": "Dressage"}),
            vec!["horseId"],
        ),
        (
            json!({"horseId": 1.5, "discipline": "Dressage"}),
            vec!["horseId"],
        ),
        (
            json!({"horseId": 0, "discipline": "Dressage"}),
            vec!["horseId"],
        ),
        (json!({"discipline": 5}), vec!["discipline", "horseId"]),
        (
            json!({"horseId": horse, "discipline": "Dressage", "boost": true}),
            vec!["boost"],
        ),
    ];
    for (request, expected) in cases {
        let (status, body) =
            post(&app, "/api/training/train", &player.access, request.clone()).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("VALIDATION_FAILED")),
            "{request}"
        );
        let mut fields: Vec<&str> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        fields.sort_unstable();
        assert_eq!(fields, expected, "{request}");
        assert!(!body.to_string().contains("Quidditch"));
    }
    for missing in [others_horse, 999_999] {
        let (status, body) = post(
            &app,
            "/api/training/train",
            &player.access,
            train_body(missing, "Dressage"),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (404, Some("NOT_FOUND")),
            "{body}"
        );
    }
    let (status, body) = send(
        &app,
        actix_web::test::TestRequest::get().uri("/api/training/train"),
    )
    .await;
    assert_eq!(status, 405, "{body}");
    let (status, _) = send(
        &app,
        post_json("/api/training/train", train_body(horse, "Dressage")),
    )
    .await;
    assert_eq!(status, 401);
}

#[actix_web::test]
async fn of_concurrent_sessions_for_one_horse_exactly_one_succeeds() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "stampede").await;
    let horse = starter_horse(&app, &player).await;

    let answers = join_all((0..8).map(|i| {
        let discipline = if i % 2 == 0 { "Dressage" } else { "Racing" };
        post(
            &app,
            "/api/training/train",
            &player.access,
            train_body(horse, discipline),
        )
    }))
    .await;

    let won: Vec<&Value> = answers
        .iter()
        .filter(|(s, _)| *s == 200)
        .map(|(_, b)| b)
        .collect();
    let refused = answers
        .iter()
        .filter(|(s, b)| *s == 422 && b["code"] == "ON_COOLDOWN")
        .count();
    assert_eq!((won.len(), refused), (1, 7), "{answers:?}");
    let total_score = scalar(&db, &format!("SELECT COALESCE(SUM(score), 0)::bigint AS v FROM discipline_scores WHERE horse_id = {horse}")).await;
    assert_eq!(total_score, 5);
    let sessions = scalar(
        &db,
        &format!("SELECT COUNT(*) AS v FROM training_sessions WHERE horse_id = {horse}"),
    )
    .await;
    assert_eq!(sessions, 1);
    let awards = scalar(
        &db,
        &format!(
            "SELECT COUNT(*) AS v FROM user_xp_events WHERE user_id = {} AND reason = 'training'",
            player.id
        ),
    )
    .await;
    assert_eq!(awards, 1);
    let (_, progress) = get(&app, "/api/users/me/progress", &player.access).await;
    assert_eq!(progress["data"]["xp"], 5);
}

#[actix_web::test]
async fn a_reported_stat_gain_is_exactly_what_changed_in_the_horses_stats() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "gains").await;
    let mut horses = vec![starter_horse(&app, &player).await];
    for i in 0..9 {
        horses.push(
            buy(&app, &player, &format!("Pupil {i}"), 1, "Mare", 5).await["id"]
                .as_i64()
                .unwrap(),
        );
    }

    for horse in horses {
        let (_, before) = get(&app, &format!("/api/horses/{horse}"), &player.access).await;
        let (status, body) = post(
            &app,
            "/api/training/train",
            &player.access,
            train_body(horse, "Show Jumping"),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let (_, after) = get(&app, &format!("/api/horses/{horse}"), &player.access).await;
        let mut expected = before["data"]["stats"].clone();
        let gain = &body["data"]["statGain"];
        if !gain.is_null() {
            let stat = gain["stat"].as_str().unwrap();
            assert!(
                ["agility", "precision", "intelligence"].contains(&stat),
                "{gain}"
            );
            let amount = gain["amount"].as_i64().unwrap();
            assert!((1..=3).contains(&amount), "{gain}");
            let old = expected[stat].as_i64().unwrap();
            assert_eq!(gain["newValue"].as_i64().unwrap(), old + amount);
            expected[stat] = json!(old + amount);
        }
        assert_eq!(after["data"]["stats"], expected, "horse {horse}: {body}");
        let logged = scalar(
            &db,
            &format!("SELECT COALESCE(SUM(stat_gain_amount), 0)::bigint AS v FROM training_sessions WHERE horse_id = {horse}"),
        )
        .await;
        assert_eq!(logged, gain["amount"].as_i64().unwrap_or(0));
    }
}

#[actix_web::test]
async fn the_status_says_whether_the_horse_can_train_why_not_and_until_when() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "watcher").await;
    let other = register(&app, "stranger").await;
    let horse = starter_horse(&app, &player).await;
    let uri = format!("/api/training/status/{horse}");

    let (status, body) = get(&app, &uri, &player.access).await;
    assert_eq!(status, 200, "{body}");
    let data = &body["data"];
    assert_eq!(data["eligible"], true);
    assert!(
        data.get("reason").is_none() && data.get("nextEligibleAt").is_none(),
        "{data}"
    );
    let scores = data["disciplineScores"].as_object().unwrap();
    assert_eq!(scores.len(), 23);
    assert!(scores.values().all(|v| v == 0));
    assert_eq!(data["allowedDisciplines"].as_array().unwrap().len(), 22);

    let (_, trained) = post(
        &app,
        "/api/training/train",
        &player.access,
        train_body(horse, "Rodeo"),
    )
    .await;
    let (_, body) = get(&app, &uri, &player.access).await;
    assert_eq!(
        (
            body["data"]["eligible"].as_bool(),
            body["data"]["reason"].as_str()
        ),
        (Some(false), Some("ON_COOLDOWN"))
    );
    assert_eq!(
        time(&body["data"]["nextEligibleAt"]),
        time(&trained["data"]["nextEligibleAt"])
    );
    assert_eq!(body["data"]["disciplineScores"]["Rodeo"], 5);

    exec(
        &db,
        &format!("UPDATE horses SET training_cooldown_end = NULL WHERE id = {horse}"),
    )
    .await;
    set_age(&db, horse, 1).await;
    let (_, body) = get(&app, &uri, &player.access).await;
    assert_eq!(body["data"]["reason"], "TOO_YOUNG");
    let third_birthday = time(&body["data"]["nextEligibleAt"]);
    let expected = Utc::now() + Duration::days(14) - Duration::hours(1);
    assert!(
        (third_birthday - expected).num_seconds().abs() < 60,
        "{third_birthday} vs {expected}"
    );

    set_age(&db, horse, 5).await;
    exec(
        &db,
        &format!("UPDATE horses SET health = 'injured' WHERE id = {horse}"),
    )
    .await;
    let (_, body) = get(&app, &uri, &player.access).await;
    assert_eq!(body["data"]["reason"], "INJURED");
    assert!(body["data"].get("nextEligibleAt").is_none());

    let (status, _) = get(&app, &uri, &other.access).await;
    assert_eq!(status, 404);
    let (status, _) = get(&app, "/api/training/status/abc", &player.access).await;
    assert_eq!(status, 404);
}

#[actix_web::test]
async fn the_trainable_list_holds_exactly_the_callers_horses_that_can_train_now() {
    let db = TestDatabase::migrated().await;
    let app = app(&db).await;
    let player = register(&app, "coach").await;
    let other = register(&app, "rival").await;
    let starter = starter_horse(&app, &player).await;
    let _foal = buy(&app, &player, "Foal", 1, "Colt", 1).await;
    let injured = buy(&app, &player, "Limping", 1, "Mare", 10).await["id"]
        .as_i64()
        .unwrap();
    let resting = buy(&app, &player, "Resting", 1, "Mare", 5).await["id"]
        .as_i64()
        .unwrap();
    let veteran = buy(&app, &player, "Veteran", 1, "Gelding", 20).await["id"]
        .as_i64()
        .unwrap();
    let retired = buy(&app, &player, "Retired", 1, "Gelding", 20).await["id"]
        .as_i64()
        .unwrap();
    set_age(&db, retired, 21).await;
    exec(
        &db,
        &format!("UPDATE horses SET health = 'injured' WHERE id = {injured}"),
    )
    .await;
    post(
        &app,
        "/api/training/train",
        &player.access,
        train_body(resting, "Polo"),
    )
    .await;
    buy(&app, &other, "Not Mine", 1, "Mare", 5).await;

    let (status, body) = get(&app, "/api/training/trainable", &player.access).await;

    assert_eq!(status, 200, "{body}");
    let ids: Vec<i64> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [starter, veteran]);
    assert_eq!(body["pagination"]["total"], 2);
}
