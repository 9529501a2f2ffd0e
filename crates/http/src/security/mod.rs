//! Password hashing and token signing: the adapters behind the account
//! ports, plus the extractors that authenticate requests.

pub mod auth;
pub mod body_deadline;
pub mod jwt;
pub mod password;
pub mod password_work;
pub mod rate_limit;
