//! Shared arrangement for in-process HTTP tests: the real application stack
//! on a real (per-test) database.

#![expect(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub(crate) mod codes;

use std::sync::Arc;
use std::time::Duration;

use actix_http::Request;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test::{self, TestRequest};
use equoria_application::accounts::PasswordHasher;
use equoria_application::clock::SystemClock;
use equoria_application::random::SeededRandomness;
use equoria_http::security::jwt::Jwt;
use equoria_http::security::password::Bcrypt;
use equoria_http::security::password_work::PasswordWork;
use equoria_http::security::rate_limit::{ClientIp, RateLimits, limiter};
use equoria_http::{AppState, HttpSettings};
use equoria_persistence::{PoolSettings, build_pool};
use equoria_test_support::TestDatabase;
use secrecy::SecretString;
use serde_json::{Value, json};

pub(crate) const ACCESS_SECRET: &[u8] =
    b"test-access-secret-0123456789abcdef0123456789abcdef0123456789abcd";
pub(crate) const REFRESH_SECRET: &[u8] =
    b"test-refresh-secret-0123456789abcdef0123456789abcdef0123456789ab";
pub(crate) const PASSWORD: &str = "correct horse battery";
/// Seed of every test application's randomness: stat rolls, training sessions and show
/// runs come out the same on every run.
pub(crate) const RANDOM_SEED: u64 = 0x00e9_0051_a5ee_d000;

/// The stat columns of `horses` in rule order (`speed, stamina, ...`), for raw inserts.
pub(crate) fn stat_columns() -> String {
    equoria_domain::Stat::ALL
        .map(equoria_domain::Stat::as_str)
        .join(", ")
}

/// `value` once per stat, comma separated: the values for [`stat_columns`].
pub(crate) fn stat_values(value: impl std::fmt::Display) -> String {
    vec![value.to_string(); equoria_domain::stats::STAT_COUNT].join(", ")
}

/// Knobs a test may turn.
#[derive(Clone)]
pub(crate) struct Options {
    pub settings: HttpSettings,
    pub general_limit: u32,
    pub auth_limit: u32,
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// bcrypt cost (the minimum, 4, keeps tests fast).
    pub bcrypt_cost: u32,
    pub password_work: PasswordWork,
    /// A hasher of the test's own instead of bcrypt at `bcrypt_cost`.
    pub hasher: Option<Arc<dyn PasswordHasher>>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            settings: HttpSettings::for_tests(),
            general_limit: 10_000,
            auth_limit: 10_000,
            trusted_proxies: vec![],
            bcrypt_cost: 4,
            password_work: PasswordWork::new(64, Duration::from_secs(30)),
            hasher: None,
        }
    }
}

/// The application wired to `url`: bcrypt at `options.bcrypt_cost` (or the
/// test's own hasher), fixed JWT secrets, the system clock, randomness from
/// [`RANDOM_SEED`], limits from `options`.
pub(crate) fn state_with(url: &str, options: Options) -> AppState {
    let pool = build_pool(&PoolSettings::new(SecretString::from(url.to_owned()))).unwrap();
    let window = Duration::from_secs(900);
    let ip = ClientIp::new(options.trusted_proxies);
    let limits = RateLimits {
        general: limiter(window, options.general_limit, ip.clone()).unwrap(),
        auth: limiter(window, options.auth_limit, ip).unwrap(),
        password_work: options.password_work,
    };
    AppState::wire(
        options.settings,
        pool,
        options
            .hasher
            .unwrap_or_else(|| Arc::new(Bcrypt::new(options.bcrypt_cost).unwrap())),
        Arc::new(Jwt::new(ACCESS_SECRET, REFRESH_SECRET)),
        Arc::new(SystemClock),
        Arc::new(SeededRandomness::from_seed(RANDOM_SEED)),
        limits,
    )
}

pub(crate) fn state_for(url: &str, settings: HttpSettings) -> AppState {
    state_with(
        url,
        Options {
            settings,
            ..Options::default()
        },
    )
}

pub(crate) async fn app(
    db: &TestDatabase,
) -> impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error> {
    test::init_service(equoria_http::build(state_for(
        db.url(),
        HttpSettings::for_tests(),
    )))
    .await
}

pub(crate) async fn app_with(
    db: &TestDatabase,
    options: Options,
) -> impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error> {
    test::init_service(equoria_http::build(state_with(db.url(), options))).await
}

/// The JSON body of `res`; an error body must be a documented error envelope.
pub(crate) async fn json_body(res: ServiceResponse<impl MessageBody>) -> Value {
    let status = res.status().as_u16();
    let path = res.request().path().to_owned();
    let bytes = test::read_body(res).await;
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("body is not JSON ({e}): {bytes:?}"));
    codes::check_error_answer(&path, status, &body);
    body
}

/// Sends a request and returns status and JSON body (Null for empty bodies). An error body
/// must be a documented error envelope ([`codes::check_error_answer`]).
pub(crate) async fn send<S, B>(app: &S, req: TestRequest) -> (u16, Value)
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let res = test::call_service(app, req.to_request()).await;
    let status = res.status().as_u16();
    let path = res.request().path().to_owned();
    let bytes = test::read_body(res).await;
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    };
    codes::check_error_answer(&path, status, &body);
    (status, body)
}

pub(crate) fn post_json(uri: &str, body: Value) -> TestRequest {
    TestRequest::post().uri(uri).set_json(body)
}

pub(crate) fn with_token(req: TestRequest, token: &str) -> TestRequest {
    req.insert_header(("authorization", format!("Bearer {token}")))
}

/// A registered player's tokens and id.
#[derive(Debug, Clone)]
pub(crate) struct Player {
    pub id: i64,
    pub access: String,
    pub refresh: String,
}

pub(crate) async fn register<S, B>(app: &S, username: &str) -> Player
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let (status, body) = send(
        app,
        post_json(
            "/api/auth/register",
            json!({"email": format!("{username}@example.com"), "username": username, "password": PASSWORD}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    Player {
        id: body["data"]["user"]["id"].as_i64().unwrap(),
        access: body["data"]["accessToken"].as_str().unwrap().to_owned(),
        refresh: body["data"]["refreshToken"].as_str().unwrap().to_owned(),
    }
}

/// Makes a player an admin directly in the database (there is no API to
/// become one without an admin) and logs in again for a fresh token.
pub(crate) async fn make_admin(db: &TestDatabase, player: &Player) {
    use diesel_async::RunQueryDsl;
    let mut conn = db.connect().await;
    diesel::sql_query(format!(
        "UPDATE users SET role = 'admin' WHERE id = {}",
        player.id
    ))
    .execute(&mut conn)
    .await
    .unwrap();
}
