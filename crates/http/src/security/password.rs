//! bcrypt, always on the blocking pool: a hash costs ~50-200 ms of CPU and
//! would stall every connection of an async worker.

use async_trait::async_trait;
use equoria_application::accounts::PasswordHasher;
use equoria_domain::account::Password;

/// bcrypt with a fixed cost, and a dummy hash of that cost so that a login
/// for an unknown email takes as long as one for a known email.
#[derive(Clone)]
pub struct Bcrypt {
    cost: u32,
    dummy_hash: String,
    rehash_on_login: bool,
}

impl std::fmt::Debug for Bcrypt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bcrypt")
            .field("cost", &self.cost)
            .field("rehash_on_login", &self.rehash_on_login)
            .finish_non_exhaustive()
    }
}

impl Bcrypt {
    /// Computes the dummy hash (one bcrypt run at start-up).
    pub fn new(cost: u32) -> Result<Self, String> {
        let filler: [u8; 16] = rand::random();
        let dummy_hash =
            bcrypt::hash(filler, cost).map_err(|e| format!("bcrypt cost {cost}: {e}"))?;
        Ok(Self {
            cost,
            dummy_hash,
            rehash_on_login: true,
        })
    }

    /// Whether a hash of another cost is replaced at the next successful
    /// login (the default). Off, hashes keep the cost they were made with
    /// until the password changes.
    pub fn rehash_on_login(mut self, enabled: bool) -> Self {
        self.rehash_on_login = enabled;
        self
    }
}

#[async_trait]
impl PasswordHasher for Bcrypt {
    async fn hash(&self, password: Password) -> Result<String, String> {
        let cost = self.cost;
        tokio::task::spawn_blocking(move || bcrypt::hash(password.expose(), cost))
            .await
            .map_err(|e| format!("hashing task failed: {e}"))?
            .map_err(|e| format!("bcrypt: {e}"))
    }

    async fn verify(&self, password: Password, hash: Option<String>) -> bool {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy_hash.clone());
        let matched = tokio::task::spawn_blocking(move || {
            bcrypt::verify(password.expose(), &hash).unwrap_or(false)
        })
        .await
        .unwrap_or(false);
        known && matched
    }

    /// A hash of another cost than the configured one (BCRYPT_SALT_ROUNDS
    /// was raised or lowered since it was made), or one that is not a bcrypt
    /// hash at all, is replaced at the next successful login.
    fn needs_rehash(&self, hash: &str) -> bool {
        self.rehash_on_login
            && hash
                .parse::<bcrypt::HashParts>()
                .map_or(true, |parts| parts.get_cost() != self.cost)
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use super::*;

    fn cost_of(hash: &str) -> u32 {
        hash.parse::<bcrypt::HashParts>().unwrap().get_cost()
    }

    #[test]
    fn the_dummy_hash_for_unknown_emails_has_the_configured_cost() {
        for cost in [4, 5] {
            assert_eq!(cost_of(&Bcrypt::new(cost).unwrap().dummy_hash), cost);
        }
    }

    #[test]
    fn only_hashes_of_another_cost_need_rehashing() {
        let hasher = Bcrypt::new(5).unwrap();
        assert!(!hasher.needs_rehash(&bcrypt::hash("pw", 5).unwrap()));
        assert!(hasher.needs_rehash(&bcrypt::hash("pw", 4).unwrap()));
        assert!(hasher.needs_rehash("not a bcrypt hash"));
        let keeping = Bcrypt::new(5).unwrap().rehash_on_login(false);
        assert!(!keeping.needs_rehash(&bcrypt::hash("pw", 4).unwrap()));
    }
}
