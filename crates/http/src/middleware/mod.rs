//! Cross-cutting request handling.

pub mod edge;
pub mod request_id;

pub use request_id::RequestId;
