//! What the idempotency use case needs from storage, and the values it stores.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use equoria_domain::UserId;
use thiserror::Error;

use crate::StoreError;

/// The longest key accepted, in bytes.
pub const KEY_MAX_LEN: usize = 255;

/// A client's idempotency key: 1 to [`KEY_MAX_LEN`] visible ASCII characters (`!` to `~`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

/// Why a text is not an [`IdempotencyKey`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("an idempotency key must be 1 to {KEY_MAX_LEN} visible ASCII characters")]
pub struct InvalidIdempotencyKey;

impl IdempotencyKey {
    /// Parses a key; refuses empty or longer than [`KEY_MAX_LEN`] texts, spaces, control
    /// characters and anything outside ASCII.
    pub fn parse(text: &str) -> Result<Self, InvalidIdempotencyKey> {
        let visible = text.bytes().all(|b| b.is_ascii_graphic());
        if text.is_empty() || text.len() > KEY_MAX_LEN || !visible {
            return Err(InvalidIdempotencyKey);
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A digest of the request a key was first used with (method, path and body), so a reuse of
/// the key for another request can be told from a retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestHash(pub [u8; 32]);

/// The answer stored for a completed key: the status and the body bytes (JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub body: Vec<u8>,
}

/// What a claim of a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// The key was free (never used, expired, or abandoned): the caller now holds it and must
    /// either complete or release it.
    Claimed,
    /// Another request holds the key and has not answered yet.
    InProgress { hash: RequestHash },
    /// The key was used and answered.
    Completed {
        hash: RequestHash,
        response: StoredResponse,
    },
}

/// Storage of idempotency keys, shared by every replica.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `(user, key)` for a request with `hash` at `now`, atomically: the key is taken
    /// if no row holds it, or if the row holding it was created before `expired_before`, or is
    /// still in progress and was created before `abandoned_before`. Of two concurrent claims
    /// exactly one is `Claimed`. Otherwise the row found is returned.
    async fn claim(
        &self,
        user: UserId,
        key: &IdempotencyKey,
        hash: &RequestHash,
        now: DateTime<Utc>,
        expired_before: DateTime<Utc>,
        abandoned_before: DateTime<Utc>,
    ) -> Result<ClaimOutcome, StoreError>;

    /// Stores the answer of a claimed key; a key no longer in progress is left as it is.
    async fn complete(
        &self,
        user: UserId,
        key: &IdempotencyKey,
        response: &StoredResponse,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Frees a claimed key that is still in progress (the attempt failed).
    async fn release(&self, user: UserId, key: &IdempotencyKey) -> Result<(), StoreError>;

    /// Deletes every key created before `expired_before`; returns how many.
    async fn purge_expired(&self, expired_before: DateTime<Utc>) -> Result<u64, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_one_to_255_visible_ascii_characters() {
        assert!(IdempotencyKey::parse("a").is_ok());
        assert!(IdempotencyKey::parse("9f1c-4e2a_!~").is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(KEY_MAX_LEN)).is_ok());
        for bad in ["", " ", "a b", "tab\there", "caf\u{e9}", "nul\0"] {
            assert_eq!(
                IdempotencyKey::parse(bad),
                Err(InvalidIdempotencyKey),
                "{bad:?}"
            );
        }
        assert!(IdempotencyKey::parse(&"k".repeat(KEY_MAX_LEN + 1)).is_err());
    }
}
