//! The account use cases.

use crate::xp::XpEvent;
use std::sync::Arc;

use equoria_domain::UserId;
use equoria_domain::account::{Email, Password, Role, Username};
use equoria_domain::breed::seeded_breed;
use equoria_domain::horse::{HorseName, PurchaseAge, Sex};
use equoria_domain::money::STARTING_MONEY;
use uuid::Uuid;

use super::ports::*;
use crate::StoreError;
use crate::clock::Clock;
use crate::paging::{Page, Paged};

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

/// A registered or logged-in player with a fresh token pair.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: UserProfile,
    pub tokens: IssuedTokens,
}

/// Registration input, already parsed.
#[derive(Debug, Clone)]
pub struct Registration {
    pub email: Email,
    pub username: Username,
    pub password: Password,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

/// Name of the starter horse every new player gets.
pub const STARTER_HORSE_NAME: &str = "Starlight";
/// Breed of the starter horse (api.md: a 3-year-old Thoroughbred mare).
pub const STARTER_HORSE_BREED: &str = "Thoroughbred";

/// The account use cases, with their ports.
#[derive(Clone)]
pub struct Accounts {
    store: Arc<dyn AccountStore>,
    hasher: Arc<dyn PasswordHasher>,
    tokens: Arc<dyn TokenIssuer>,
    clock: Arc<dyn Clock>,
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
    ) -> Self {
        Self {
            store,
            hasher,
            tokens,
            clock,
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
        let stats = breed.roll_stats(&mut rand::rng());
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
        let user = self
            .store
            .create_account(account, STARTING_MONEY, starter)
            .await
            .map_err(|e| match e {
                CreateAccountError::DuplicateEmail => AccountError::DuplicateEmail,
                CreateAccountError::DuplicateUsername => AccountError::DuplicateUsername,
                CreateAccountError::Store(s) => AccountError::Store(s),
            })?;
        self.open_session(user).await
    }

    /// Checks the password (same cost whether or not the email exists, and
    /// for a malformed email, passed as `None`).
    #[tracing::instrument(skip_all)]
    pub async fn login(
        &self,
        email: Option<&Email>,
        password: Password,
    ) -> Result<Session, AccountError> {
        let credentials = match email {
            Some(email) => self.store.credentials_by_email(email).await?,
            None => None,
        };
        let (user_id, hash) = match credentials {
            Some(c) => (Some(c.id), Some(c.password_hash)),
            None => (None, None),
        };
        let verified = self.hasher.verify(password, hash).await;
        let user_id = user_id
            .filter(|_| verified)
            .ok_or(AccountError::InvalidCredentials)?;
        let user = self
            .store
            .profile(user_id)
            .await?
            .ok_or(AccountError::InvalidCredentials)?;
        self.open_session(user).await
    }

    async fn open_session(&self, user: UserProfile) -> Result<Session, AccountError> {
        let tokens = self
            .tokens
            .issue(user.id, user.role, Uuid::new_v4(), self.clock.now())
            .map_err(|e| AccountError::Internal(e.to_string()))?;
        self.store
            .store_refresh_token(tokens.refresh.clone())
            .await?;
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
        let role = self
            .store
            .credentials_by_id(claims.user_id)
            .await?
            .map(|c| c.role)
            .ok_or(AccountError::InvalidToken)?;
        let next = self
            .tokens
            .issue(claims.user_id, role, claims.family_id, now)
            .map_err(|e| AccountError::Internal(e.to_string()))?;
        let presented = self.tokens.hash_refresh(refresh_token);
        match self
            .store
            .rotate_refresh_token(&presented, next.refresh.clone(), now)
            .await?
        {
            Rotation::Rotated { .. } => Ok(next),
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
    pub async fn change_password(
        &self,
        user_id: UserId,
        current: Password,
        new: Password,
    ) -> Result<(), AccountError> {
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
