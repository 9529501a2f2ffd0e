//! Use cases and the ports they need.
//!
//! Inputs are already-parsed domain types; outputs are domain types or plain
//! read models. Nothing here knows about HTTP or SQL.

pub mod health;

mod error;

pub use error::StoreError;
