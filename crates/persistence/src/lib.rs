//! PostgreSQL adapters: the connection pool, embedded migrations and the
//! repository implementations of the application ports.
//!
//! Row structs and the Diesel schema never leave this crate; everything that
//! crosses the boundary is a domain or application type. Public are the
//! connection settings (`connect`), the migrations (`migrations`), the pool and
//! the SQL of the leaderboards (for the plan test); the store implementations
//! are reached through the application's port traits on [`DbPool`].

mod accounts;
mod cached_sql;
pub mod connect;
mod error;
mod health;
mod horses;
mod idempotency;
mod leaderboards;
mod ledger;
pub mod migrations;
mod pool;
mod schema;
mod shows;
mod stat_columns;
mod training;

pub use error::StoreError;
pub use leaderboards::sql as leaderboard_sql;
pub use pool::{DbPool, PoolSettings, build_pool};
