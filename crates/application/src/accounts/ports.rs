//! What the account use cases need from the outside world.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use equoria_domain::account::{Email, Password, Role, Username};
use equoria_domain::horse::{HorseName, Sex};
use equoria_domain::{Money, Stats, UserId};
use uuid::Uuid;

use crate::StoreError;
use crate::paging::{Page, Paged};

/// A player's full profile (what the owner and admins see).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserProfile {
    pub id: UserId,
    pub email: String,
    pub username: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub bio: Option<String>,
    pub role: Role,
    pub money: i64,
    pub xp: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What login needs to check a password.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub id: UserId,
    pub role: Role,
    pub password_hash: String,
}

/// A new account, already validated and with its password hashed.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub email: Email,
    pub username: Username,
    pub password_hash: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

/// The horse every new player receives.
#[derive(Debug, Clone)]
pub struct StarterHorse {
    pub name: HorseName,
    /// Name of a seeded breed.
    pub breed: &'static str,
    pub sex: Sex,
    pub date_of_birth: DateTime<Utc>,
    pub stats: Stats,
}

/// Profile fields a player may change; `None` leaves a field as it is,
/// `Some("")` clears it.
#[derive(Debug, Clone, Default)]
pub struct ProfilePatch {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub bio: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateAccountError {
    #[error("email already registered")]
    DuplicateEmail,
    #[error("username already taken")]
    DuplicateUsername,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A refresh token to remember: only its hash is stored.
#[derive(Debug, Clone)]
pub struct NewRefreshToken {
    pub id: Uuid,
    pub user_id: UserId,
    pub family_id: Uuid,
    pub token_hash: String,
    pub expires_at: DateTime<Utc>,
}

/// What happened when a refresh token was presented for rotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The token was live and is now used; its successor is stored.
    Rotated { role: Role },
    /// The token had already been used: its whole family is now revoked.
    Reused,
    /// Unknown, expired or revoked.
    Invalid,
}

use crate::xp::XpEvent;

/// One money movement of a player.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub id: i64,
    pub amount: i64,
    pub reason: String,
    pub reference: Option<String>,
    pub balance_after: i64,
    pub created_at: DateTime<Utc>,
}

/// Account storage. Every method is one transaction.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates the user, grants `grant` through the ledger (house flow
    /// recorded) and gives the starter horse, all or nothing.
    async fn create_account(
        &self,
        account: NewAccount,
        grant: Money,
        starter: StarterHorse,
    ) -> Result<UserProfile, CreateAccountError>;
    async fn credentials_by_email(&self, email: &Email) -> Result<Option<Credentials>, StoreError>;
    async fn credentials_by_id(&self, id: UserId) -> Result<Option<Credentials>, StoreError>;
    async fn profile(&self, id: UserId) -> Result<Option<UserProfile>, StoreError>;
    async fn update_profile(
        &self,
        id: UserId,
        patch: ProfilePatch,
    ) -> Result<Option<UserProfile>, StoreError>;
    /// Stores the new hash and revokes every refresh token of the user.
    async fn change_password(&self, id: UserId, password_hash: String) -> Result<(), StoreError>;
    async fn list_users(&self, page: Page) -> Result<Paged<UserProfile>, StoreError>;
    async fn set_role(&self, id: UserId, role: Role) -> Result<Option<UserProfile>, StoreError>;
    async fn xp_history(&self, id: UserId, page: Page) -> Result<Paged<XpEvent>, StoreError>;
    async fn transactions(&self, id: UserId, page: Page) -> Result<Paged<LedgerEntry>, StoreError>;

    async fn store_refresh_token(&self, token: NewRefreshToken) -> Result<(), StoreError>;
    /// Marks the presented token used and stores `next` in the same family,
    /// atomically: of two concurrent rotations of one token exactly one
    /// gets `Rotated`. A token presented again after use revokes its family.
    async fn rotate_refresh_token(
        &self,
        presented_hash: &str,
        next: NewRefreshToken,
        now: DateTime<Utc>,
    ) -> Result<Rotation, StoreError>;
    /// Revokes the family of the presented token; false if unknown.
    async fn revoke_family(&self, presented_hash: &str) -> Result<bool, StoreError>;
}

/// Password hashing. Implementations run the work off the async workers.
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    async fn hash(&self, password: Password) -> Result<String, String>;
    /// Verifies against `hash`, or against a dummy hash of the same cost
    /// when `None`, so an unknown account costs the same time as a known one.
    async fn verify(&self, password: Password, hash: Option<String>) -> bool;
}

/// A freshly issued access + refresh pair.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: String,
    /// Access token lifetime in seconds.
    pub expires_in: i64,
    pub refresh: NewRefreshToken,
}

/// Verified claims of a refresh token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshClaims {
    pub user_id: UserId,
    pub family_id: Uuid,
}

/// Verified claims of an access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessClaims {
    pub user_id: UserId,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid token: {0}")]
pub struct TokenError(pub String);

/// Signs and verifies tokens.
pub trait TokenIssuer: Send + Sync {
    /// A new pair; the refresh token joins `family_id`.
    fn issue(
        &self,
        user_id: UserId,
        role: Role,
        family_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<IssuedTokens, TokenError>;
    fn verify_access(&self, token: &str) -> Result<AccessClaims, TokenError>;
    fn verify_refresh(&self, token: &str) -> Result<RefreshClaims, TokenError>;
    /// The stored form of a refresh token.
    fn hash_refresh(&self, token: &str) -> String;
}
