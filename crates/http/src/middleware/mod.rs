//! Cross-cutting request handling.

pub mod cors;
pub mod edge;
pub mod idempotency;
pub mod request_id;
pub mod storable;

pub use request_id::RequestId;
