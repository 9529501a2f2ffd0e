//! Use cases and the ports they need.
//!
//! Inputs are already-parsed domain types; outputs are domain types or plain
//! read models. Nothing here knows about HTTP or SQL: storage, hashing,
//! tokens, the clock and randomness are traits implemented by the adapters
//! and wired by the server binary.

pub mod accounts;
pub mod clock;
pub mod health;
pub mod horses;
pub mod idempotency;
pub mod leaderboards;
pub mod paging;
pub mod random;
pub mod shows;
pub mod training;
pub mod xp;

mod error;

pub use error::StoreError;
