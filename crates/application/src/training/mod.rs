//! Training: sessions, eligibility status and the list of horses that can train now.

mod ports;
mod service;

pub use ports::*;
pub use service::*;
