//! Equoria's game rules as pure types and functions.
//!
//! This crate performs no I/O and reads neither the clock nor a global random generator: the
//! current time (`now: DateTime<Utc>`) and randomness (`rng: &mut impl Rng`) are parameters, so
//! every rule is deterministic under test. Values are parsed once into types whose constructors
//! enforce their invariants (stats within `0..=100`, money never negative, ...), and errors carry
//! the offending value and say what was expected; each also offers a [`ClientMessage`], the text
//! for players, built from the rule's constants and never quoting the value.
//!
//! Modules follow the game rules (`docs/GAME-RULES.md`): [`stats`], [`discipline`], [`breed`],
//! [`money`] and [`ledger`], [`progression`], [`horse`], [`training`] and [`competition`].

pub mod account;
pub mod breed;
pub mod client;
pub mod competition;
pub mod discipline;
pub mod horse;
pub mod ids;
pub mod ledger;
pub mod money;
pub mod progression;
pub mod stats;
pub mod text;
pub mod training;

pub use client::ClientMessage;
pub use discipline::{Discipline, DisciplineScore};
pub use ids::{BreedId, HorseId, ShowId, UserId};
pub use money::Money;
pub use progression::Level;
pub use stats::{Stat, StatGain, StatValue, Stats};
