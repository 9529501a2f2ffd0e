//! No type of the HTTP layer that holds a password, a hash or a token shows
//! it in `Debug` output (which may reach a log line).

#![expect(clippy::unwrap_used)]

use equoria_http::extract::{Fields, FromBody};
use equoria_http::routes::auth::{
    ChangePasswordRequest, LoginRequest, RefreshRequest, RegisterRequest, SessionDto, TokensDto,
    UserDto,
};
use equoria_http::security::jwt::Jwt;
use equoria_http::security::password::Bcrypt;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery staple";
const NEW_PASSWORD: &str = "a brand new password";
const ACCESS: &str = "eyJhbGciOiJIUzI1NiJ9.access-payload.access-signature";
const REFRESH: &str = "eyJhbGciOiJIUzI1NiJ9.refresh-payload.refresh-signature";
const SECRET: &[u8] = b"jwt-signing-secret-0123456789abcdef0123456789abcdef0123456789abcd";

fn read<T: FromBody>(body: Value) -> (T, String) {
    let Value::Object(map) = body else {
        panic!("not an object")
    };
    let mut fields = Fields::new(map);
    let fields_debug = format!("{fields:?}");
    let value = T::from_body(&mut fields);
    fields.finish().unwrap();
    (value, fields_debug)
}

fn tokens() -> TokensDto {
    TokensDto {
        access_token: ACCESS.to_owned(),
        refresh_token: REFRESH.to_owned(),
        token_type: "Bearer",
        expires_in: 900,
    }
}

#[test]
fn requests_responses_and_security_types_never_show_a_secret_in_debug_output() {
    let (register, register_fields) = read::<RegisterRequest>(
        json!({"email": "rider@example.com", "username": "rider", "password": PASSWORD}),
    );
    let (login, login_fields) =
        read::<LoginRequest>(json!({"email": "rider@example.com", "password": PASSWORD}));
    let (refresh, refresh_fields) = read::<RefreshRequest>(json!({"refreshToken": REFRESH}));
    let (change, change_fields) = read::<ChangePasswordRequest>(
        json!({"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}),
    );
    let user = UserDto {
        id: 7,
        email: "rider@example.com".to_owned(),
        username: "rider".to_owned(),
        first_name: None,
        last_name: None,
        bio: None,
        role: "user",
        money: 0,
        xp: 0,
        level: 1,
        created_at: String::new(),
        updated_at: String::new(),
    };
    let outputs = [
        format!("{register:?}"),
        register_fields,
        format!("{login:?}"),
        login_fields,
        format!("{refresh:?}"),
        refresh_fields,
        format!("{change:?}"),
        change_fields,
        format!("{:?}", tokens()),
        format!(
            "{:?}",
            SessionDto {
                user,
                tokens: tokens()
            }
        ),
        format!("{:?}", Jwt::new(SECRET, SECRET)),
        format!("{:?}", Bcrypt::new(4).unwrap()),
    ];
    for debug in &outputs {
        for secret in [
            PASSWORD,
            NEW_PASSWORD,
            ACCESS,
            REFRESH,
            "payload",
            "signature",
            "jwt-signing-secret",
            "$2",
        ] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
    }
    // What is not secret still helps debugging.
    assert!(outputs[0].contains("rider@example.com"), "{}", outputs[0]);
}
