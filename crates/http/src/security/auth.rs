//! Extractors that authenticate a request.
//!
//! [`AuthUser`] checks the bearer access token (signature, expiry, type)
//! without touching the database, so authenticated reads stay cheap.
//! [`AdminUser`] additionally re-reads the role from the database, so a
//! demoted admin loses admin routes at once rather than when their access
//! token expires.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use equoria_domain::UserId;
use equoria_domain::account::Role;

use crate::{ApiError, AppState};

/// The caller, authenticated by a valid access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthUser {
    pub id: UserId,
    /// Role at the time the token was issued.
    pub role: Role,
}

/// The caller, authenticated and currently an admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdminUser(pub AuthUser);

fn authenticate(req: &HttpRequest) -> Result<AuthUser, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal("application state missing"))?;
    let header_value = req.headers().get(header::AUTHORIZATION).ok_or_else(|| {
        ApiError::unauthorized(
            "Authentication is required: send Authorization: Bearer <accessToken>.",
        )
    })?;
    let token = header_value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::unauthorized("The Authorization header must be `Bearer <accessToken>`.")
        })?;
    let claims = state.accounts.tokens().verify_access(token).map_err(|e| {
        ApiError::unauthorized("The access token is invalid or expired.").with_cause(e.to_string())
    })?;
    Ok(AuthUser {
        id: claims.user_id,
        role: claims.role,
    })
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(authenticate(req))
    }
}

impl FromRequest for AdminUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let user = authenticate(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let user = user?;
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let role = state
                .accounts
                .current_role(user.id)
                .await
                .map_err(ApiError::from)?;
            match role {
                Some(Role::Admin) => Ok(AdminUser(user)),
                Some(_) => Err(ApiError::admin_only()),
                None => Err(ApiError::unauthorized("The account no longer exists.")),
            }
        })
    }
}
