//! Idempotency keys: a retried request that changes state (buying a horse, entering a show,
//! training, creating a show) is answered with the first answer instead of being done twice.
//!
//! A key belongs to one player. The first request with a key claims it, does the work and
//! stores its answer; a retry with the same request (same hash) gets that answer back, a
//! different request with the same key is refused, and a request arriving while the first is
//! still running waits a bounded time for its answer. A failed attempt (a server error, a
//! panic, a disconnect) releases the key so the client can retry. Keys expire after
//! [`KEY_LIFETIME`].

mod ports;
mod service;

pub use ports::*;
pub use service::*;
