//! The player's dashboard figures.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Int8, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use equoria_application::StoreError;
use equoria_application::paging::Page;
use equoria_application::shows::{DashboardFacts, UpcomingEntry};
use equoria_domain::{HorseId, ShowId, UserId};

use super::results::{ResultScope, result_page};
use super::rows::{count_u32, parse_discipline};
use crate::error::from_diesel;
use crate::schema::horses;

/// An entry of the player in a show that has not run.
#[derive(Debug, QueryableByName)]
struct UpcomingRow {
    #[diesel(sql_type = Int8)]
    entry_id: i64,
    #[diesel(sql_type = Int8)]
    show_id: i64,
    #[diesel(sql_type = Text)]
    show_name: String,
    #[diesel(sql_type = Text)]
    discipline: String,
    #[diesel(sql_type = Nullable<Int8>)]
    horse_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    horse_name: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    runs_at: DateTime<Utc>,
}

impl UpcomingRow {
    fn into_entry(self) -> Result<UpcomingEntry, StoreError> {
        Ok(UpcomingEntry {
            entry_id: self.entry_id,
            show_id: ShowId::new(self.show_id),
            show_name: self.show_name,
            discipline: parse_discipline(&self.discipline)?,
            horse_id: self.horse_id.map(HorseId::new),
            horse_name: self.horse_name,
            runs_at: self.runs_at,
        })
    }
}

/// The player's horse counts, upcoming entries and latest results at `now`; `recent`
/// bounds both lists.
pub(super) async fn dashboard(
    conn: &mut AsyncPgConnection,
    user: UserId,
    now: DateTime<Utc>,
    recent: u32,
) -> Result<DashboardFacts, StoreError> {
    let horse_count: i64 = horses::table
        .filter(horses::owner_id.eq(user.get()))
        .count()
        .get_result(conn)
        .await
        .map_err(from_diesel)?;
    let trainable_now = trainable_now(conn, user, now).await?;
    let upcoming: Vec<UpcomingRow> = diesel::sql_query(
        "SELECT e.id AS entry_id, s.id AS show_id, s.name AS show_name, s.discipline, \
         e.horse_id, h.name AS horse_name, s.runs_at \
         FROM show_entries e JOIN shows s ON s.id = e.show_id \
         LEFT JOIN horses h ON h.id = e.horse_id \
         WHERE e.user_id = $1 AND s.status = 'open' \
         ORDER BY s.runs_at, e.id LIMIT $2",
    )
    .bind::<Int8, _>(user.get())
    .bind::<BigInt, _>(i64::from(recent))
    .load(conn)
    .await
    .map_err(from_diesel)?;
    let upcoming_entries = upcoming
        .into_iter()
        .map(UpcomingRow::into_entry)
        .collect::<Result<_, StoreError>>()?;
    let first = Page::new(1, recent.clamp(1, Page::MAX_LIMIT))
        .map_err(|e| StoreError::Other(format!("dashboard page: {e}")))?;
    let recent_results = result_page(conn, ResultScope::User(user), first)
        .await?
        .items;
    Ok(DashboardFacts {
        horse_count: count_u32(horse_count),
        trainable_now,
        upcoming_entries,
        recent_results,
    })
}

/// How many of the player's horses could train at `now`: aged 3 to 20, healthy, off
/// cooldown.
async fn trainable_now(
    conn: &mut AsyncPgConnection,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<u32, StoreError> {
    let count: i64 = horses::table
        .filter(horses::owner_id.eq(user.get()))
        .filter(crate::horses::trainable(now))
        .count()
        .get_result(conn)
        .await
        .map_err(from_diesel)?;
    Ok(count_u32(count))
}
