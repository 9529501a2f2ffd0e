//! The account use cases.

use crate::xp::XpEvent;
use std::sync::Arc;

use equoria_domain::UserId;
use equoria_domain::account::{Email, Password, Redacted, Role, Username};
use equoria_domain::breed::seeded_breed;
use equoria_domain::horse::{HorseName, PurchaseAge, Sex};
use equoria_domain::money::STARTING_MONEY;
use uuid::Uuid;

use super::ports::*;
use crate::StoreError;
use crate::clock::Clock;
use crate::paging::{Page, Paged};
use crate::random::Randomness;

/// Why an account operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("email already registered")]
    DuplicateEmail,
    #[error("username already taken")]
    DuplicateUsername,
    /// Unknown email or wrong password: deliberately indistinguishable.
    #[error("invalid email or password")]
    InvalidCredentials,
    #[error("the current password is incorrect")]
    WrongCurrentPassword,
    #[error("invalid or expired token")]
    InvalidToken,
    /// An already-used refresh token was presented; its family is revoked.
    #[error("refresh token reused; session revoked")]
    TokenReused,
    #[error("user not found")]
    NotFound,
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A registered or logged-in player with a fresh token pair. `Debug`
/// leaves the tokens out.
#[derive(Clone)]
pub struct Session {
    pub user: UserProfile,
    pub tokens: IssuedTokens,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("user", &self.user)
            .field("tokens", &self.tokens)
            .finish()
    }
}

/// Registration input, already parsed. `Debug` leaves the password out.
#[derive(Clone)]
pub struct Registration {
    pub email: Email,
    pub username: Username,
    pub password: Password,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("email", &self.email)
            .field("username", &self.username)
            .field("password", &Redacted)
            .field("first_name", &self.first_name)
            .field("last_name", &self.last_name)
            .finish()
    }
}

/// Name of the starter horse every new player gets.
pub const STARTER_HORSE_NAME: &str = "Starlight";
/// Breed of the starter horse (a 3-year-old Thoroughbred mare, docs/GAME-RULES.md).
pub const STARTER_HORSE_BREED: &str = "Thoroughbred";

/// The account use cases, with their ports.
#[derive(Clone)]
pub struct Accounts {
    store: Arc<dyn AccountStore>,
    hasher: Arc<dyn PasswordHasher>,
    tokens: Arc<dyn TokenIssuer>,
    clock: Arc<dyn Clock>,
    randomness: Arc<dyn Randomness>,
}

impl std::fmt::Debug for Accounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Accounts").finish_non_exhaustive()
    }
}

impl Accounts {
    pub fn new(
        store: Arc<dyn AccountStore>,
        hasher: Arc<dyn PasswordHasher>,
        tokens: Arc<dyn TokenIssuer>,
        clock: Arc<dyn Clock>,
        randomness: Arc<dyn Randomness>,
    ) -> Self {
        Self {
            store,
            hasher,
            tokens,
            clock,
            randomness,
        }
    }

    pub fn tokens(&self) -> &dyn TokenIssuer {
        self.tokens.as_ref()
    }

    /// Creates the account with 10,000 coins and a starter horse, then
    /// opens a session.
    #[tracing::instrument(skip_all)]
    pub async fn register(&self, input: Registration) -> Result<Session, AccountError> {
        let password_hash = self
            .hasher
            .hash(input.password)
            .await
            .map_err(AccountError::Internal)?;
        let now = self.clock.now();
        let breed = seeded_breed(STARTER_HORSE_BREED).ok_or_else(|| {
            AccountError::Internal("starter breed missing from the breed table".to_owned())
        })?;
        let stats = breed.roll_stats(&mut self.randomness.rng());
        let starter = StarterHorse {
            name: HorseName::parse(STARTER_HORSE_NAME)
                .map_err(|e| AccountError::Internal(e.to_string()))?,
            breed: breed.name,
            sex: Sex::Mare,
            date_of_birth: PurchaseAge::default().date_of_birth(now),
            stats,
        };
        let account = NewAccount {
            email: input.email,
            username: input.username,
            password_hash,
            first_name: input.first_name,
            last_name: input.last_name,
        };
        let (user, epoch) = self
            .store
            .create_account(account, STARTING_MONEY, starter)
            .await
            .map_err(|e| match e {
                CreateAccountError::DuplicateEmail => AccountError::DuplicateEmail,
                CreateAccountError::DuplicateUsername => AccountError::DuplicateUsername,
                CreateAccountError::Store(s) => AccountError::Store(s),
            })?;
        self.open_session(user, epoch).await
    }

    /// Checks the password (same cost whether or not the email exists, and
    /// for a malformed email, passed as `None`).
    ///
    /// `password` is `None` for a candidate longer than a password can be
    /// (72 bytes): bcrypt would compare only its first 72 bytes, so such a
    /// candidate is answered exactly like a wrong password without being
    /// hashed. A hash made at another cost than the hasher's is replaced
    /// after a successful check. The session is opened only if no password
    /// change committed since the hash was read.
    #[tracing::instrument(skip_all)]
    pub async fn login(
        &self,
        email: Option<&Email>,
        password: Option<Password>,
    ) -> Result<Session, AccountError> {
        let password = password.ok_or(AccountError::InvalidCredentials)?;
        let credentials = match email {
            Some(email) => self.store.credentials_by_email(email).await?,
            None => None,
        };
        let hash = credentials.as_ref().map(|c| c.password_hash.clone());
        let rehash_with = hash
            .as_deref()
            .is_some_and(|h| self.hasher.needs_rehash(h))
            .then(|| password.clone());
        let verified = self.hasher.verify(password, hash).await;
        let credentials = credentials
            .filter(|_| verified)
            .ok_or(AccountError::InvalidCredentials)?;
        if let Some(password) = rehash_with {
            self.rehash(&credentials, password).await;
        }
        let user = self
            .store
            .profile(credentials.id)
            .await?
            .ok_or(AccountError::InvalidCredentials)?;
        self.open_session(user, credentials.session_epoch).await
    }

    /// Stores a hash of the configured cost for a password just verified
    /// against an older hash. A failure only delays the upgrade to the next
    /// login, so it is logged, not returned.
    async fn rehash(&self, credentials: &Credentials, password: Password) {
        let outcome = match self.hasher.hash(password).await {
            Ok(new_hash) => self
                .store
                .rehash_password(credentials.id, &credentials.password_hash, new_hash)
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        if let Err(cause) = outcome {
            tracing::warn!(user.id = %credentials.id, cause, "password rehash failed");
        }
    }

    /// Issues a new session family and stores its refresh token if the
    /// user's sessions were not revoked since `epoch` was read; if they were
    /// (a password change committed meanwhile), the caller's credentials are
    /// stale and the answer is `InvalidCredentials`.
    async fn open_session(
        &self,
        user: UserProfile,
        epoch: SessionEpoch,
    ) -> Result<Session, AccountError> {
        let tokens = self
            .tokens
            .issue(user.id, user.role, Uuid::new_v4(), self.clock.now())
            .map_err(|e| AccountError::Internal(e.to_string()))?;
        if !self
            .store
            .store_refresh_token(tokens.refresh.clone(), epoch)
            .await?
        {
            return Err(AccountError::InvalidCredentials);
        }
        Ok(Session { user, tokens })
    }

    /// Rotates a refresh token: single use, reuse revokes the family.
    #[tracing::instrument(skip_all)]
    pub async fn refresh(&self, refresh_token: &str) -> Result<IssuedTokens, AccountError> {
        let claims = self
            .tokens
            .verify_refresh(refresh_token)
            .map_err(|_| AccountError::InvalidToken)?;
        let now = self.clock.now();
        // The role is re-read at rotation; the new access token carries it.
        // The session epoch read with it must still hold when the new token
        // is stored.
        let credentials = self
            .store
            .credentials_by_id(claims.user_id)
            .await?
            .ok_or(AccountError::InvalidToken)?;
        let next = self
            .tokens
            .issue(claims.user_id, credentials.role, claims.family_id, now)
            .map_err(|e| AccountError::Internal(e.to_string()))?;
        let presented = self.tokens.hash_refresh(refresh_token);
        match self
            .store
            .rotate_refresh_token(
                &presented,
                next.refresh.clone(),
                credentials.session_epoch,
                now,
            )
            .await?
        {
            Rotation::Rotated => Ok(next),
            Rotation::Reused => {
                tracing::warn!(user.id = %claims.user_id, "refresh token reused; family revoked");
                Err(AccountError::TokenReused)
            }
            Rotation::Invalid => Err(AccountError::InvalidToken),
        }
    }

    /// Revokes the family of the presented refresh token.
    pub async fn logout(&self, refresh_token: &str) -> Result<(), AccountError> {
        self.tokens
            .verify_refresh(refresh_token)
            .map_err(|_| AccountError::InvalidToken)?;
        let presented = self.tokens.hash_refresh(refresh_token);
        if self.store.revoke_family(&presented).await? {
            Ok(())
        } else {
            Err(AccountError::InvalidToken)
        }
    }

    /// Changes the password and revokes every refresh token of the user.
    ///
    /// `current` is `None` for a candidate longer than a password can be: it
    /// is answered exactly like a wrong current password, without bcrypt.
    pub async fn change_password(
        &self,
        user_id: UserId,
        current: Option<Password>,
        new: Password,
    ) -> Result<(), AccountError> {
        let current = current.ok_or(AccountError::WrongCurrentPassword)?;
        let credentials = self
            .store
            .credentials_by_id(user_id)
            .await?
            .ok_or(AccountError::NotFound)?;
        if !self
            .hasher
            .verify(current, Some(credentials.password_hash))
            .await
        {
            return Err(AccountError::WrongCurrentPassword);
        }
        let hash = self
            .hasher
            .hash(new)
            .await
            .map_err(AccountError::Internal)?;
        self.store.change_password(user_id, hash).await?;
        Ok(())
    }

    pub async fn profile(&self, user_id: UserId) -> Result<UserProfile, AccountError> {
        self.store
            .profile(user_id)
            .await?
            .ok_or(AccountError::NotFound)
    }

    pub async fn update_profile(
        &self,
        user_id: UserId,
        patch: ProfilePatch,
    ) -> Result<UserProfile, AccountError> {
        self.store
            .update_profile(user_id, patch)
            .await?
            .ok_or(AccountError::NotFound)
    }

    /// The caller's current role, read from storage (not from the token), so
    /// a demotion takes effect at once on admin routes.
    pub async fn current_role(&self, user_id: UserId) -> Result<Option<Role>, AccountError> {
        Ok(self.store.credentials_by_id(user_id).await?.map(|c| c.role))
    }

    pub async fn list_users(&self, page: Page) -> Result<Paged<UserProfile>, AccountError> {
        Ok(self.store.list_users(page).await?)
    }

    pub async fn set_role(&self, user_id: UserId, role: Role) -> Result<UserProfile, AccountError> {
        self.store
            .set_role(user_id, role)
            .await?
            .ok_or(AccountError::NotFound)
    }

    pub async fn xp_history(
        &self,
        user_id: UserId,
        page: Page,
    ) -> Result<Paged<XpEvent>, AccountError> {
        Ok(self.store.xp_history(user_id, page).await?)
    }

    pub async fn transactions(
        &self,
        user_id: UserId,
        page: Page,
    ) -> Result<Paged<LedgerEntry>, AccountError> {
        Ok(self.store.transactions(user_id, page).await?)
    }
}
