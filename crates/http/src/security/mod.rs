//! Password hashing and token signing: the adapters behind the account
//! ports, plus the extractors that authenticate requests.

pub mod auth;
pub mod jwt;
pub mod password;
pub mod rate_limit;
