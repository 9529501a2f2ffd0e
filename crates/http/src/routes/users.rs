//! `/api/users`: profiles, progression, history, roles.

use actix_web::{HttpResponse, web};
use equoria_application::accounts::{LedgerEntry, UserProfile};
use equoria_domain::UserId;
use equoria_domain::account::Role;
use equoria_domain::progression::Progress;
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::{UserDto, level_of};
use crate::dto::{Paging, XpEventDto, list, ok};
use crate::extract::{Body, Fields, FromBody};
use crate::security::auth::{AdminUser, AuthUser};
use crate::{ApiError, AppState, validate};

/// What anyone may see of a player. `email` only for the player and admins.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublicUserDto {
    pub id: i64,
    pub username: String,
    pub level: u32,
    pub xp: i64,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl PublicUserDto {
    fn new(u: UserProfile, show_email: bool) -> Self {
        Self {
            id: u.id.get(),
            level: level_of(u.xp),
            username: u.username,
            xp: u.xp,
            created_at: u.created_at.to_rfc3339(),
            email: show_email.then_some(u.email),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProgressDto {
    pub level: u32,
    pub xp: i64,
    /// XP earned inside the current level (xp % 100).
    pub xp_into_level: u32,
    /// XP still missing for the next level (100 - xp % 100).
    pub xp_to_next_level: u32,
    pub progress_percent: u32,
}

/// A ledger entry: signed amount and the balance after it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LedgerEntryDto {
    pub id: i64,
    pub amount: i64,
    pub reason: String,
    pub reference: Option<String>,
    pub balance_after: i64,
    pub created_at: String,
}

impl From<LedgerEntry> for LedgerEntryDto {
    fn from(e: LedgerEntry) -> Self {
        Self {
            id: e.id,
            amount: e.amount,
            reason: e.reason,
            reference: e.reference,
            balance_after: e.balance_after,
            created_at: e.created_at.to_rfc3339(),
        }
    }
}

/// All players (admin only).
#[utoipa::path(get, path = "/api/users", tag = "users", params(crate::dto::PageQuery), security(("bearer" = [])), responses(
    (status = 200, description = "Players", body = inline(crate::dto::ListResponse<UserDto>)),
    (status = 401, description = "Not authenticated", body = crate::error::ErrorEnvelope),
    (status = 403, description = "Not an admin", body = crate::error::ErrorEnvelope)))]
pub async fn list_users(
    state: web::Data<AppState>,
    _admin: AdminUser,
    Paging(page): Paging,
) -> Result<HttpResponse, ApiError> {
    let users = state.accounts.list_users(page).await?;
    Ok(list(users, UserDto::from))
}

fn parse_user_id(raw: &str) -> Result<UserId, ApiError> {
    crate::dto::path_id(raw)
        .map(UserId::new)
        .ok_or_else(ApiError::not_found)
}

/// A player's public profile.
#[utoipa::path(get, path = "/api/users/{id}", tag = "users", params(("id" = i64, Path, description = "User id")),
    security(("bearer" = [])), responses(
    (status = 200, description = "Public profile (email only for the player and admins)", body = inline(crate::dto::Success<PublicUserDto>)),
    (status = 404, description = "No such player", body = crate::error::ErrorEnvelope)))]
pub async fn get_user(
    state: web::Data<AppState>,
    viewer: Option<AuthUser>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_user_id(&id)?;
    let profile = state.accounts.profile(id).await?;
    let show_email = match viewer {
        Some(v) if v.id == id => true,
        Some(v) if v.role == Role::Admin => {
            state.accounts.current_role(v.id).await? == Some(Role::Admin)
        }
        _ => false,
    };
    Ok(ok(PublicUserDto::new(profile, show_email)))
}

/// The caller's level and progress.
#[utoipa::path(get, path = "/api/users/me/progress", tag = "users", security(("bearer" = [])), responses(
    (status = 200, description = "Progress", body = inline(crate::dto::Success<ProgressDto>)),
    (status = 401, description = "Not authenticated", body = crate::error::ErrorEnvelope)))]
pub async fn my_progress(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    let profile = state.accounts.profile(user.id).await?;
    let progress = Progress::from_xp(u32::try_from(profile.xp.max(0)).unwrap_or(u32::MAX));
    Ok(ok(ProgressDto {
        level: progress.level.get(),
        xp: profile.xp,
        xp_into_level: progress.xp_into_level,
        xp_to_next_level: progress.xp_to_next_level,
        progress_percent: progress.progress_percent,
    }))
}

/// The caller's XP events, newest first.
#[utoipa::path(get, path = "/api/users/me/xp-history", tag = "users", params(crate::dto::PageQuery),
    security(("bearer" = [])), responses(
    (status = 200, description = "XP events", body = inline(crate::dto::ListResponse<XpEventDto>)),
    (status = 401, description = "Not authenticated", body = crate::error::ErrorEnvelope)))]
pub async fn my_xp_history(
    state: web::Data<AppState>,
    user: AuthUser,
    Paging(page): Paging,
) -> Result<HttpResponse, ApiError> {
    let events = state.accounts.xp_history(user.id, page).await?;
    Ok(list(events, XpEventDto::from))
}

/// The caller's money ledger, newest first.
#[utoipa::path(get, path = "/api/users/me/transactions", tag = "users", params(crate::dto::PageQuery),
    security(("bearer" = [])), responses(
    (status = 200, description = "Ledger entries", body = inline(crate::dto::ListResponse<LedgerEntryDto>)),
    (status = 401, description = "Not authenticated", body = crate::error::ErrorEnvelope)))]
pub async fn my_transactions(
    state: web::Data<AppState>,
    user: AuthUser,
    Paging(page): Paging,
) -> Result<HttpResponse, ApiError> {
    let entries = state.accounts.transactions(user.id, page).await?;
    Ok(list(entries, LedgerEntryDto::from))
}

#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct RoleRequest {
    /// `user`, `moderator` or `admin`.
    role: String,
}

impl FromBody for RoleRequest {
    fn from_body(f: &mut Fields) -> Self {
        Self {
            role: f.required("role"),
        }
    }
}

/// Change a player's role (admin only).
#[utoipa::path(patch, path = "/api/users/{id}/role", tag = "users", params(("id" = i64, Path, description = "User id")),
    request_body = RoleRequest, security(("bearer" = [])), responses(
    (status = 200, description = "Updated player", body = inline(crate::dto::Success<UserDto>)),
    (status = 400, description = "Unknown role", body = crate::error::ErrorEnvelope),
    (status = 403, description = "Not an admin", body = crate::error::ErrorEnvelope),
    (status = 404, description = "No such player", body = crate::error::ErrorEnvelope)))]
pub async fn set_role(
    state: web::Data<AppState>,
    _admin: AdminUser,
    id: web::Path<String>,
    Body(body): Body<RoleRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_user_id(&id)?;
    validate! { role = body.role.parse::<Role>() => "role" }
    let profile = state.accounts.set_role(id, role).await?;
    Ok(ok(UserDto::from(profile)))
}
