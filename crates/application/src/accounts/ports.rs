//! What the account use cases need from the outside world.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use equoria_domain::account::{Email, Password, Redacted, Role, Username};
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

/// A user's session epoch: a counter bumped, under the user's row lock,
/// whenever every session of the user is revoked (a password change).
///
/// A request that authenticates (login: the password; refresh: the token)
/// reads the epoch with the credentials, and the transaction that stores
/// the new refresh token locks the user's row and stores it only if the
/// epoch has not moved. So a login that verified the old password while
/// the password changed, or a refresh racing a revocation, cannot leave a
/// valid refresh token behind: either it committed first and the
/// revocation revokes its token, or the revocation committed first and the
/// token is never stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SessionEpoch(pub i64);

/// What login needs to check a password. `Debug` leaves the hash out.
#[derive(Clone)]
pub struct Credentials {
    pub id: UserId,
    pub role: Role,
    pub password_hash: String,
    /// The session epoch when the hash was read.
    pub session_epoch: SessionEpoch,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("id", &self.id)
            .field("role", &self.role)
            .field("password_hash", &Redacted)
            .field("session_epoch", &self.session_epoch)
            .finish()
    }
}

/// A new account, already validated and with its password hashed. `Debug`
/// leaves the hash out.
#[derive(Clone)]
pub struct NewAccount {
    pub email: Email,
    pub username: Username,
    pub password_hash: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

impl std::fmt::Debug for NewAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAccount")
            .field("email", &self.email)
            .field("username", &self.username)
            .field("password_hash", &Redacted)
            .field("first_name", &self.first_name)
            .field("last_name", &self.last_name)
            .finish()
    }
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

/// A refresh token to remember: only its hash is stored. `Debug` leaves
/// the hash out.
#[derive(Clone)]
pub struct NewRefreshToken {
    pub id: Uuid,
    pub user_id: UserId,
    pub family_id: Uuid,
    pub token_hash: String,
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for NewRefreshToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewRefreshToken")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("family_id", &self.family_id)
            .field("token_hash", &Redacted)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// What happened when a refresh token was presented for rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotation {
    /// The token was live and is now used; its successor is stored.
    Rotated,
    /// The token had already been used when the request read it: its whole
    /// family is now revoked.
    Reused,
    /// Unknown, expired or revoked; or live when the request read it but
    /// used or revoked by a concurrent request before this one could claim
    /// it (a benign race: nothing is revoked).
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
    /// recorded) and gives the starter horse, all or nothing. Returns the
    /// profile and the new account's session epoch.
    async fn create_account(
        &self,
        account: NewAccount,
        grant: Money,
        starter: StarterHorse,
    ) -> Result<(UserProfile, SessionEpoch), CreateAccountError>;
    async fn credentials_by_email(&self, email: &Email) -> Result<Option<Credentials>, StoreError>;
    async fn credentials_by_id(&self, id: UserId) -> Result<Option<Credentials>, StoreError>;
    async fn profile(&self, id: UserId) -> Result<Option<UserProfile>, StoreError>;
    async fn update_profile(
        &self,
        id: UserId,
        patch: ProfilePatch,
    ) -> Result<Option<UserProfile>, StoreError>;
    /// Stores the new hash, bumps the session epoch and revokes every
    /// refresh token of the user, in one transaction.
    async fn change_password(&self, id: UserId, password_hash: String) -> Result<(), StoreError>;
    /// Replaces the hash by `new_hash` (the same password at another cost)
    /// only if it is still `old_hash`, so a concurrent password change is
    /// never undone. Sessions are untouched. False if the hash had changed.
    async fn rehash_password(
        &self,
        id: UserId,
        old_hash: &str,
        new_hash: String,
    ) -> Result<bool, StoreError>;
    async fn list_users(&self, page: Page) -> Result<Paged<UserProfile>, StoreError>;
    async fn set_role(&self, id: UserId, role: Role) -> Result<Option<UserProfile>, StoreError>;
    async fn xp_history(&self, id: UserId, page: Page) -> Result<Paged<XpEvent>, StoreError>;
    async fn transactions(&self, id: UserId, page: Page) -> Result<Paged<LedgerEntry>, StoreError>;

    /// Stores the first token of a new session if the user's session epoch
    /// is still `epoch`, checked under the user's row lock in the storing
    /// transaction. False (nothing stored) if every session of the user was
    /// revoked since `epoch` was read.
    async fn store_refresh_token(
        &self,
        token: NewRefreshToken,
        epoch: SessionEpoch,
    ) -> Result<bool, StoreError>;
    /// Marks the presented token used and stores `next` in the same family,
    /// atomically and under the user's row lock, if the session epoch is
    /// still `epoch`. Of two concurrent rotations of one token exactly one
    /// gets `Rotated`; the other, which read the token while it was unused,
    /// gets `Invalid` and revokes nothing. A token that was already used
    /// when the request read it is reuse: its family is revoked.
    async fn rotate_refresh_token(
        &self,
        presented_hash: &str,
        next: NewRefreshToken,
        epoch: SessionEpoch,
        now: DateTime<Utc>,
    ) -> Result<Rotation, StoreError>;
    /// Revokes the family of the presented token, under the user's row
    /// lock (so a concurrent rotation's new token is revoked too); false if
    /// unknown.
    async fn revoke_family(&self, presented_hash: &str) -> Result<bool, StoreError>;
}

/// Password hashing. Implementations run the work off the async workers.
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    async fn hash(&self, password: Password) -> Result<String, String>;
    /// Verifies against `hash`, or against a dummy hash of the configured
    /// cost when `None`, so an unknown account costs the same time as a
    /// known one.
    async fn verify(&self, password: Password, hash: Option<String>) -> bool;
    /// Whether `hash` was made with other parameters than this hasher's
    /// (another cost): after a successful verification the password is then
    /// hashed again and stored. The default, for hashers with one fixed
    /// scheme, is never.
    fn needs_rehash(&self, _hash: &str) -> bool {
        false
    }
}

/// A freshly issued access + refresh pair. `Debug` leaves the tokens out.
#[derive(Clone)]
pub struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: String,
    /// Access token lifetime in seconds.
    pub expires_in: i64,
    pub refresh: NewRefreshToken,
}

impl std::fmt::Debug for IssuedTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedTokens")
            .field("access_token", &Redacted)
            .field("refresh_token", &Redacted)
            .field("expires_in", &self.expires_in)
            .field("refresh", &self.refresh)
            .finish()
    }
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

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use chrono::TimeZone;

    use super::*;
    use crate::accounts::{Registration, Session};

    const PASSWORD: &str = "correct horse battery staple";
    const HASH: &str = "$2b$04$abcdefghijklmnopqrstuuSECRETHASHSECRETHASHSECRETHASH";
    const TOKEN_HASH: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    const ACCESS: &str = "eyJhbGciOiJIUzI1NiJ9.access-payload.access-signature";
    const REFRESH: &str = "eyJhbGciOiJIUzI1NiJ9.refresh-payload.refresh-signature";

    fn refresh() -> NewRefreshToken {
        NewRefreshToken {
            id: Uuid::nil(),
            user_id: UserId::new(7),
            family_id: Uuid::nil(),
            token_hash: TOKEN_HASH.to_owned(),
            expires_at: Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap(),
        }
    }

    fn tokens() -> IssuedTokens {
        IssuedTokens {
            access_token: ACCESS.to_owned(),
            refresh_token: REFRESH.to_owned(),
            expires_in: 900,
            refresh: refresh(),
        }
    }

    #[test]
    fn debug_output_of_every_type_holding_a_secret_hides_it() {
        let email = Email::parse("rider@example.com").unwrap();
        let username = Username::parse("rider").unwrap();
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let user = UserProfile {
            id: UserId::new(7),
            email: "rider@example.com".to_owned(),
            username: "rider".to_owned(),
            first_name: None,
            last_name: None,
            bio: None,
            role: Role::User,
            money: 0,
            xp: 0,
            created_at: now,
            updated_at: now,
        };
        let outputs = [
            format!(
                "{:?}",
                Credentials {
                    id: UserId::new(7),
                    role: Role::User,
                    password_hash: HASH.to_owned(),
                    session_epoch: SessionEpoch(3),
                }
            ),
            format!(
                "{:?}",
                NewAccount {
                    email: email.clone(),
                    username: username.clone(),
                    password_hash: HASH.to_owned(),
                    first_name: None,
                    last_name: None,
                }
            ),
            format!("{:?}", refresh()),
            format!("{:?}", tokens()),
            format!(
                "{:?}",
                Session {
                    user,
                    tokens: tokens(),
                }
            ),
            format!(
                "{:?}",
                Registration {
                    email,
                    username,
                    password: Password::parse(PASSWORD).unwrap(),
                    first_name: None,
                    last_name: None,
                }
            ),
        ];
        for debug in outputs {
            for secret in [
                PASSWORD,
                HASH,
                TOKEN_HASH,
                ACCESS,
                REFRESH,
                "SECRETHASH",
                "payload",
            ] {
                assert!(!debug.contains(secret), "{debug}");
            }
            assert!(debug.contains("[REDACTED]"), "{debug}");
        }
    }
}
