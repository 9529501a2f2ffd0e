//! Breeds and horses: buying, listing, viewing, renaming, deleting, horse XP
//! and stat points, and a horse's competition results.

mod ports;
mod service;

pub use ports::*;
pub use service::*;
