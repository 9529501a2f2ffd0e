//! The HTTP adapter: routes, DTOs, extractors and middleware, and the one
//! place where errors become status codes.
//!
//! [`app::build`] assembles the whole application so that the server binary
//! and the in-process tests serve exactly the same stack.

pub mod app;
pub mod caching;
pub mod dto;
pub mod error;
pub mod extract;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod routes;
pub mod security;
pub mod settings;
pub mod state;

pub use app::build;
pub use error::ApiError;
pub use settings::HttpSettings;
pub use state::AppState;
