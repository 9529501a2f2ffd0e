//! PostgreSQL adapters: the connection pool, embedded migrations and the
//! repository implementations of the application ports.
//!
//! Row structs and the Diesel schema never leave this crate; everything that
//! crosses the boundary is a domain or application type.

pub mod accounts;
mod cached_sql;
pub mod connect;
pub mod error;
pub mod health;
pub mod horses;
pub mod leaderboards;
pub mod ledger;
pub mod migrations;
pub mod pool;
pub mod schema;
pub mod shows;
pub mod training;

pub use error::StoreError;
pub use pool::{DbPool, PoolSettings, build_pool};
