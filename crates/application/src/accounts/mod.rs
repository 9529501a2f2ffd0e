//! Accounts: registration, login, rotating refresh tokens, profiles, roles
//! and progression read models.

mod ports;
mod service;

pub use ports::*;
pub use service::*;
