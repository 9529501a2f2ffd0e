//! `/api/auth`: registration, login, token rotation, logout, own profile.

use actix_web::{HttpResponse, web};
use equoria_application::accounts::{IssuedTokens, ProfilePatch, Registration, UserProfile};
use equoria_domain::account::{
    BIO_MAX_CHARS, Email, PROFILE_NAME_MAX_CHARS, Password, ProfileTextError, Redacted, Username,
    parse_profile_text,
};
use equoria_domain::progression::Level;
use serde::Serialize;
use utoipa::ToSchema;

use crate::dto::{created, ok};
use crate::extract::{Body, Fields, FromBody};
use crate::security::auth::AuthUser;
use crate::{ApiError, AppState, validate};

/// A player's own full profile.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserDto {
    pub id: i64,
    pub email: String,
    pub username: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub bio: Option<String>,
    /// `user`, `moderator` or `admin`.
    pub role: &'static str,
    /// Whole coins.
    pub money: i64,
    pub xp: i64,
    pub level: u32,
    pub created_at: String,
    pub updated_at: String,
}

impl From<UserProfile> for UserDto {
    fn from(u: UserProfile) -> Self {
        Self {
            id: u.id.get(),
            level: level_of(u.xp),
            email: u.email,
            username: u.username,
            first_name: u.first_name,
            last_name: u.last_name,
            bio: u.bio,
            role: u.role.as_str(),
            money: u.money,
            xp: u.xp,
            created_at: u.created_at.to_rfc3339(),
            updated_at: u.updated_at.to_rfc3339(),
        }
    }
}

/// Level for a stored XP total (XP is never negative; saturates at u32).
pub fn level_of(xp: i64) -> u32 {
    Level::from_xp(u32::try_from(xp.max(0)).unwrap_or(u32::MAX)).get()
}

/// Tokens plus the profile, returned by register and login. `Debug` leaves
/// the tokens out.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionDto {
    pub user: UserDto,
    #[serde(flatten)]
    pub tokens: TokensDto,
}

impl std::fmt::Debug for SessionDto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionDto")
            .field("user", &self.user)
            .field("tokens", &self.tokens)
            .finish()
    }
}

/// A token pair. `Debug` leaves the tokens out.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokensDto {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Access token lifetime in seconds (900).
    pub expires_in: i64,
}

impl std::fmt::Debug for TokensDto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokensDto")
            .field("access_token", &Redacted)
            .field("refresh_token", &Redacted)
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

impl From<IssuedTokens> for TokensDto {
    fn from(t: IssuedTokens) -> Self {
        Self {
            access_token: t.access_token,
            refresh_token: t.refresh_token,
            token_type: "Bearer",
            expires_in: t.expires_in,
        }
    }
}

/// `Debug` leaves the password out.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct RegisterRequest {
    email: String,
    /// 3-30 of `[A-Za-z0-9_]`.
    username: String,
    /// 12-72 bytes.
    password: String,
    #[schema(nullable = false)]
    first_name: Option<String>,
    #[schema(nullable = false)]
    last_name: Option<String>,
}

impl FromBody for RegisterRequest {
    fn from_body(f: &mut Fields) -> Self {
        Self {
            email: f.required("email"),
            username: f.required("username"),
            password: f.required("password"),
            first_name: f.optional("firstName"),
            last_name: f.optional("lastName"),
        }
    }
}

impl std::fmt::Debug for RegisterRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisterRequest")
            .field("email", &self.email)
            .field("username", &self.username)
            .field("password", &Redacted)
            .field("first_name", &self.first_name)
            .field("last_name", &self.last_name)
            .finish()
    }
}

fn optional_text(
    value: Option<String>,
    max: usize,
    multiline: bool,
) -> Result<Option<String>, ProfileTextError> {
    value
        .map(|v| parse_profile_text(&v, max, multiline))
        .transpose()
}

/// Create an account: 10,000 coins and a starter horse.
#[utoipa::path(post, path = "/api/auth/register", tag = "auth", request_body = RegisterRequest, responses(
    (status = 201, description = "Registered", body = inline(crate::dto::Success<SessionDto>)),
    (status = 400, description = "Invalid input", body = crate::error::ErrorEnvelope),
    (status = 409, description = "Email or username taken (EMAIL_TAKEN, USERNAME_TAKEN)", body = crate::error::ErrorEnvelope)))]
pub async fn register(
    state: web::Data<AppState>,
    Body(body): Body<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    validate! {
        email = Email::parse(&body.email) => "email",
        username = Username::parse(&body.username) => "username",
        password = Password::parse(&body.password) => "password",
        first_name = optional_text(body.first_name, PROFILE_NAME_MAX_CHARS, false) => "firstName",
        last_name = optional_text(body.last_name, PROFILE_NAME_MAX_CHARS, false) => "lastName",
    }
    let session = state
        .accounts
        .register(Registration {
            email,
            username,
            password,
            first_name,
            last_name,
        })
        .await?;
    Ok(created(SessionDto {
        user: session.user.into(),
        tokens: session.tokens.into(),
    }))
}

/// `Debug` leaves the password out.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct LoginRequest {
    email: String,
    password: String,
}

impl FromBody for LoginRequest {
    fn from_body(f: &mut Fields) -> Self {
        Self {
            email: f.required("email"),
            password: f.required("password"),
        }
    }
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("email", &self.email)
            .field("password", &Redacted)
            .finish()
    }
}

/// Log in with email and password.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest, responses(
    (status = 200, description = "Logged in", body = inline(crate::dto::Success<SessionDto>)),
    (status = 401, description = "Invalid email or password (INVALID_CREDENTIALS)", body = crate::error::ErrorEnvelope)))]
pub async fn login(
    state: web::Data<AppState>,
    Body(body): Body<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    // A malformed email cannot match an account: it is answered exactly like
    // a wrong password, after the same bcrypt work, rather than with a 400.
    // A password over 72 bytes cannot match either: same answer, no bcrypt.
    let email = Email::parse(&body.email).ok();
    let session = state
        .accounts
        .login(email.as_ref(), Password::candidate(&body.password).ok())
        .await?;
    Ok(ok(SessionDto {
        user: session.user.into(),
        tokens: session.tokens.into(),
    }))
}

/// `Debug` leaves the token out.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct RefreshRequest {
    refresh_token: String,
}

impl FromBody for RefreshRequest {
    fn from_body(f: &mut Fields) -> Self {
        Self {
            refresh_token: f.required("refreshToken"),
        }
    }
}

impl std::fmt::Debug for RefreshRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshRequest")
            .field("refresh_token", &Redacted)
            .finish()
    }
}

/// Exchange a refresh token for a new pair (single use; reuse revokes the session family).
#[utoipa::path(post, path = "/api/auth/refresh", tag = "auth", request_body = RefreshRequest, responses(
    (status = 200, description = "New token pair", body = inline(crate::dto::Success<TokensDto>)),
    (status = 401, description = "Invalid, expired, revoked (INVALID_TOKEN) or reused (TOKEN_REUSED)", body = crate::error::ErrorEnvelope)))]
pub async fn refresh(
    state: web::Data<AppState>,
    Body(body): Body<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let tokens = state.accounts.refresh(&body.refresh_token).await?;
    Ok(ok(TokensDto::from(tokens)))
}

/// Revoke the session family of a refresh token.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", request_body = RefreshRequest, responses(
    (status = 204, description = "Logged out"),
    (status = 401, description = "Invalid refresh token", body = crate::error::ErrorEnvelope)))]
pub async fn logout(
    state: web::Data<AppState>,
    Body(body): Body<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    state.accounts.logout(&body.refresh_token).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `Debug` leaves both passwords out.
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct ChangePasswordRequest {
    current_password: String,
    /// 12-72 bytes.
    new_password: String,
}

impl FromBody for ChangePasswordRequest {
    fn from_body(f: &mut Fields) -> Self {
        Self {
            current_password: f.required("currentPassword"),
            new_password: f.required("newPassword"),
        }
    }
}

impl std::fmt::Debug for ChangePasswordRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangePasswordRequest")
            .field("current_password", &Redacted)
            .field("new_password", &Redacted)
            .finish()
    }
}

/// Change the password; every refresh token of the account is revoked.
#[utoipa::path(post, path = "/api/auth/change-password", tag = "auth", request_body = ChangePasswordRequest,
    security(("bearer" = [])), responses(
    (status = 204, description = "Changed"),
    (status = 400, description = "Invalid new password", body = crate::error::ErrorEnvelope),
    (status = 401, description = "Not authenticated", body = crate::error::ErrorEnvelope),
    (status = 403, description = "Current password incorrect (INCORRECT_PASSWORD)", body = crate::error::ErrorEnvelope)))]
pub async fn change_password(
    state: web::Data<AppState>,
    user: AuthUser,
    Body(body): Body<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    validate! { new_password = Password::parse(&body.new_password) => "newPassword" }
    state
        .accounts
        .change_password(
            user.id,
            // Over 72 bytes: answered as a wrong current password, no bcrypt.
            Password::candidate(&body.current_password).ok(),
            new_password,
        )
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's full profile.
#[utoipa::path(get, path = "/api/auth/me", tag = "auth", security(("bearer" = [])), responses(
    (status = 200, description = "Own profile", body = inline(crate::dto::Success<UserDto>)),
    (status = 401, description = "Not authenticated", body = crate::error::ErrorEnvelope)))]
pub async fn me(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    let profile = state.accounts.profile(user.id).await?;
    Ok(ok(UserDto::from(profile)))
}

#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct UpdateProfileRequest {
    /// At most 50 characters; empty clears it.
    first_name: Option<String>,
    last_name: Option<String>,
    /// At most 500 characters.
    bio: Option<String>,
}

impl FromBody for UpdateProfileRequest {
    fn from_body(f: &mut Fields) -> Self {
        Self {
            first_name: f.optional("firstName"),
            last_name: f.optional("lastName"),
            bio: f.optional("bio"),
        }
    }
}

/// Update first name, last name or bio.
#[utoipa::path(patch, path = "/api/auth/me", tag = "auth", request_body = UpdateProfileRequest,
    security(("bearer" = [])), responses(
    (status = 200, description = "Updated profile", body = inline(crate::dto::Success<UserDto>)),
    (status = 400, description = "Invalid input", body = crate::error::ErrorEnvelope),
    (status = 401, description = "Not authenticated", body = crate::error::ErrorEnvelope)))]
pub async fn update_me(
    state: web::Data<AppState>,
    user: AuthUser,
    Body(body): Body<UpdateProfileRequest>,
) -> Result<HttpResponse, ApiError> {
    validate! {
        first_name = optional_text(body.first_name, PROFILE_NAME_MAX_CHARS, false) => "firstName",
        last_name = optional_text(body.last_name, PROFILE_NAME_MAX_CHARS, false) => "lastName",
        bio = optional_text(body.bio, BIO_MAX_CHARS, true) => "bio",
    }
    let profile = state
        .accounts
        .update_profile(
            user.id,
            ProfilePatch {
                first_name,
                last_name,
                bio,
            },
        )
        .await?;
    Ok(ok(UserDto::from(profile)))
}
