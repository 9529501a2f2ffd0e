//! [`LeaderboardStore`] on PostgreSQL.
//!
//! Each board is one ordered index walk (see migration `000008_leaderboards` for the index of
//! each) with `LIMIT`/`OFFSET` bounded by [`BOARD_DEPTH`]; the total is counted over the same
//! walk capped at [`BOARD_DEPTH`] rows, so neither query grows with the tables. The period XP
//! board is the exception that cannot be an index walk in its final order: it aggregates the
//! events of the period (an index-only range scan on `created_at`), whose size is bounded by the
//! period, not by the table. Every `ORDER BY` ends with an id, so positions are deterministic.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Int4, Int8, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use equoria_application::StoreError;
use equoria_application::leaderboards::*;
use equoria_application::paging::{Page, Paged};
use equoria_domain::{HorseId, Money, ShowId, UserId};
use futures_util::future::try_join;

use crate::DbPool;
use crate::cached_sql::Cached;
use crate::error::from_diesel;

#[derive(Debug, diesel::QueryableByName)]
struct Total {
    #[diesel(sql_type = BigInt)]
    total: i64,
}

#[derive(Debug, diesel::QueryableByName)]
struct PlayerRow {
    #[diesel(sql_type = Int8)]
    id: i64,
    #[diesel(sql_type = Text)]
    username: String,
    #[diesel(sql_type = Int8)]
    xp: i64,
    #[diesel(sql_type = Int8)]
    gained: i64,
}

#[derive(Debug, diesel::QueryableByName)]
struct HorseRow {
    #[diesel(sql_type = Int8)]
    id: i64,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    breed: String,
    #[diesel(sql_type = Int8)]
    owner_id: i64,
    #[diesel(sql_type = Text)]
    owner_username: String,
    #[diesel(sql_type = Int8)]
    earnings: i64,
    #[diesel(sql_type = Int4)]
    wins: i32,
}

#[derive(Debug, diesel::QueryableByName)]
struct WinnerRow {
    #[diesel(sql_type = Int8)]
    show_id: i64,
    #[diesel(sql_type = Text)]
    show_name: String,
    #[diesel(sql_type = Text)]
    discipline: String,
    #[diesel(sql_type = Timestamptz)]
    completed_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Int8>)]
    horse_id: Option<i64>,
    #[diesel(sql_type = Text)]
    horse_name: String,
    #[diesel(sql_type = Int8)]
    user_id: i64,
    #[diesel(sql_type = Text)]
    username: String,
    #[diesel(sql_type = Int4)]
    score: i32,
    #[diesel(sql_type = Int8)]
    prize: i64,
}

/// The SQL of every board, public so the plan test can EXPLAIN exactly what runs. Each board
/// query takes `$1` = limit, `$2` = offset (the period board also `$3` = start of the period);
/// each `_TOTAL` query takes `$1` = the board depth (the period one also `$2` = the start).
pub mod sql {
    pub const PLAYERS_BY_LEVEL: &str = "SELECT u.id, u.username, u.xp, u.xp AS gained \
         FROM users u ORDER BY u.xp DESC, u.id LIMIT $1 OFFSET $2";
    pub const PLAYERS_BY_LEVEL_TOTAL: &str = "SELECT count(*) AS total FROM \
         (SELECT 1 FROM users u ORDER BY u.xp DESC, u.id LIMIT $1) t";

    pub const PLAYERS_BY_TOTAL_XP: &str = "SELECT u.id, u.username, u.xp, u.xp AS gained \
         FROM users u WHERE u.xp > 0 ORDER BY u.xp DESC, u.id LIMIT $1 OFFSET $2";
    pub const PLAYERS_BY_TOTAL_XP_TOTAL: &str = "SELECT count(*) AS total FROM \
         (SELECT 1 FROM users u WHERE u.xp > 0 ORDER BY u.xp DESC, u.id LIMIT $1) t";

    pub const PLAYERS_BY_XP_SINCE: &str = "SELECT u.id, u.username, u.xp, g.gained \
         FROM (SELECT user_id, sum(amount)::bigint AS gained FROM user_xp_events \
               WHERE created_at >= $3 GROUP BY user_id \
               ORDER BY gained DESC, user_id LIMIT $1 OFFSET $2) g \
         JOIN users u ON u.id = g.user_id \
         ORDER BY g.gained DESC, u.id";
    pub const PLAYERS_BY_XP_SINCE_TOTAL: &str = "SELECT count(*) AS total FROM \
         (SELECT DISTINCT user_id FROM user_xp_events WHERE created_at >= $2 LIMIT $1) t";

    pub const HORSES_BY_EARNINGS: &str = "SELECT h.id, h.name, b.name AS breed, h.owner_id, \
         u.username AS owner_username, h.earnings, h.wins \
         FROM (SELECT * FROM horses WHERE earnings > 0 ORDER BY earnings DESC, id \
               LIMIT $1 OFFSET $2) h \
         JOIN breeds b ON b.id = h.breed_id JOIN users u ON u.id = h.owner_id \
         ORDER BY h.earnings DESC, h.id";
    pub const HORSES_BY_EARNINGS_TOTAL: &str = "SELECT count(*) AS total FROM \
         (SELECT 1 FROM horses WHERE earnings > 0 ORDER BY earnings DESC, id LIMIT $1) t";

    pub const HORSES_BY_WINS: &str = "SELECT h.id, h.name, b.name AS breed, h.owner_id, \
         u.username AS owner_username, h.earnings, h.wins \
         FROM (SELECT * FROM horses WHERE wins > 0 ORDER BY wins DESC, earnings DESC, id \
               LIMIT $1 OFFSET $2) h \
         JOIN breeds b ON b.id = h.breed_id JOIN users u ON u.id = h.owner_id \
         ORDER BY h.wins DESC, h.earnings DESC, h.id";
    pub const HORSES_BY_WINS_TOTAL: &str = "SELECT count(*) AS total FROM \
         (SELECT 1 FROM horses WHERE wins > 0 ORDER BY wins DESC, earnings DESC, id \
          LIMIT $1) t";

    pub const RECENT_WINNERS: &str = "SELECT r.show_id, s.name AS show_name, s.discipline, \
         s.completed_at, r.horse_id, r.horse_name, r.user_id, u.username, r.score, r.prize \
         FROM (SELECT * FROM competition_results WHERE placement = 1 \
               ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2) r \
         JOIN shows s ON s.id = r.show_id JOIN users u ON u.id = r.user_id \
         ORDER BY r.created_at DESC, r.id DESC";
    /// Planned at every call with their parameter values rather than kept prepared: their
    /// generic plan (made without the values) cannot tell how many rows the first step yields
    /// and joins by sequential scans. The plan test checks both plans of every other statement.
    pub const PLANNED_PER_CALL: [&str; 2] = [PLAYERS_BY_XP_SINCE, RECENT_WINNERS];

    pub const RECENT_WINNERS_TOTAL: &str = "SELECT count(*) AS total FROM \
         (SELECT 1 FROM competition_results WHERE placement = 1 \
          ORDER BY created_at DESC, id DESC LIMIT $1) t";
}

fn depth() -> i64 {
    i64::from(BOARD_DEPTH)
}

/// How many rows of the page are still within the board's depth.
fn page_limit(page: Page) -> i64 {
    i64::from(page.limit()).min(depth() - page.offset()).max(0)
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Other(format!(
        "stored leaderboard data violates its invariants: {what}"
    ))
}

fn into_player_standing(r: PlayerRow) -> PlayerStanding {
    PlayerStanding {
        user_id: UserId::new(r.id),
        username: r.username,
        xp: r.xp,
    }
}

fn into_xp_gain(r: PlayerRow) -> PlayerXpGain {
    PlayerXpGain {
        user_id: UserId::new(r.id),
        username: r.username,
        xp_gained: r.gained,
        xp: r.xp,
    }
}

fn into_horse_standing(r: HorseRow) -> Result<HorseStanding, StoreError> {
    Ok(HorseStanding {
        horse_id: HorseId::new(r.id),
        name: r.name,
        breed: r.breed,
        owner_id: UserId::new(r.owner_id),
        owner_username: r.owner_username,
        earnings: Money::new(r.earnings).map_err(corrupt)?,
        wins: u32::try_from(r.wins).map_err(corrupt)?,
    })
}

impl DbPool {
    async fn board<R, T>(
        &self,
        rows_sql: &'static str,
        total_sql: &'static str,
        since: Option<DateTime<Utc>>,
        page: Page,
        convert: impl Fn(R) -> Result<T, StoreError>,
    ) -> Result<Paged<T>, StoreError>
    where
        R: diesel::QueryableByName<diesel::pg::Pg> + Send + 'static,
    {
        let conn = self.get().await?;
        let mut shared: &AsyncPgConnection = &conn;
        let keep = |sql: &str| !sql::PLANNED_PER_CALL.contains(&sql);
        let total = diesel::sql_query(total_sql).bind::<BigInt, _>(depth());
        let rows = diesel::sql_query(rows_sql)
            .bind::<BigInt, _>(page_limit(page))
            .bind::<BigInt, _>(page.offset());
        // The total and the page in one round trip (pipelined).
        let (total, rows): (Total, Vec<R>) = match since {
            None => {
                let total = Cached::new(total, keep(total_sql)).get_result(&mut shared);
                let rows = Cached::new(rows, keep(rows_sql)).load(&mut shared);
                try_join(total, rows).await
            }
            Some(since) => {
                let total = total.bind::<Timestamptz, _>(since);
                let rows = rows.bind::<Timestamptz, _>(since);
                let total = Cached::new(total, keep(total_sql)).get_result(&mut shared);
                let rows = Cached::new(rows, keep(rows_sql)).load(&mut shared);
                try_join(total, rows).await
            }
        }
        .map_err(from_diesel)?;
        let items = rows.into_iter().map(convert).collect::<Result<_, _>>()?;
        Ok(Paged {
            items,
            total: total.total,
            page,
        })
    }
}

#[async_trait]
impl LeaderboardStore for DbPool {
    async fn players_by_level(&self, page: Page) -> Result<Paged<PlayerStanding>, StoreError> {
        self.board(
            sql::PLAYERS_BY_LEVEL,
            sql::PLAYERS_BY_LEVEL_TOTAL,
            None,
            page,
            |r: PlayerRow| Ok(into_player_standing(r)),
        )
        .await
    }

    async fn players_by_xp_since(
        &self,
        since: DateTime<Utc>,
        page: Page,
    ) -> Result<Paged<PlayerXpGain>, StoreError> {
        self.board(
            sql::PLAYERS_BY_XP_SINCE,
            sql::PLAYERS_BY_XP_SINCE_TOTAL,
            Some(since),
            page,
            |r: PlayerRow| Ok(into_xp_gain(r)),
        )
        .await
    }

    async fn players_by_total_xp(&self, page: Page) -> Result<Paged<PlayerXpGain>, StoreError> {
        self.board(
            sql::PLAYERS_BY_TOTAL_XP,
            sql::PLAYERS_BY_TOTAL_XP_TOTAL,
            None,
            page,
            |r: PlayerRow| Ok(into_xp_gain(r)),
        )
        .await
    }

    async fn horses_by_earnings(&self, page: Page) -> Result<Paged<HorseStanding>, StoreError> {
        self.board(
            sql::HORSES_BY_EARNINGS,
            sql::HORSES_BY_EARNINGS_TOTAL,
            None,
            page,
            into_horse_standing,
        )
        .await
    }

    async fn horses_by_wins(&self, page: Page) -> Result<Paged<HorseStanding>, StoreError> {
        self.board(
            sql::HORSES_BY_WINS,
            sql::HORSES_BY_WINS_TOTAL,
            None,
            page,
            into_horse_standing,
        )
        .await
    }

    async fn recent_winners(&self, page: Page) -> Result<Paged<RecentWinner>, StoreError> {
        self.board(
            sql::RECENT_WINNERS,
            sql::RECENT_WINNERS_TOTAL,
            None,
            page,
            |r: WinnerRow| {
                Ok(RecentWinner {
                    show_id: ShowId::new(r.show_id),
                    show_name: r.show_name,
                    discipline: r.discipline,
                    completed_at: r.completed_at,
                    horse_id: r.horse_id.map(HorseId::new),
                    horse_name: r.horse_name,
                    user_id: UserId::new(r.user_id),
                    username: r.username,
                    score_hundredths: u32::try_from(r.score).map_err(corrupt)?,
                    prize: Money::new(r.prize).map_err(corrupt)?,
                })
            },
        )
        .await
    }
}
