//! XP histories, shared by players and horses.

use chrono::{DateTime, Utc};

/// One XP change of a player or of a horse, as its history lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XpEvent {
    pub id: i64,
    pub amount: i32,
    pub reason: String,
    pub reference: Option<String>,
    pub created_at: DateTime<Utc>,
}
