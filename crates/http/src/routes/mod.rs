//! Route handlers, one module per resource. Their errors become statuses in
//! [`crate::error`].

pub mod auth;
pub mod breeds;
pub mod docs;
pub mod horses;
pub mod leaderboards;
pub mod ops;
pub mod shows;
pub mod training;
pub mod users;
