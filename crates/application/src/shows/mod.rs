//! Shows: creation by admins, entries (fee and capacity in one transaction), runs (one
//! transaction from claim to completion, by an admin or the scheduler), results and the
//! player's dashboard.

mod ports;
pub mod scheduler;
mod service;

pub use ports::*;
pub use service::*;
