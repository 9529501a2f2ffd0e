//! Reading show results: a show's (by placement) and a player's (newest first).

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Int4, Int8, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use equoria_application::StoreError;
use equoria_application::paging::{Page, Paged};
use equoria_application::shows::ResultView;
use equoria_domain::{HorseId, ShowId, UserId};

use super::reads::show_exists;
use super::rows::{money, non_negative, parse_discipline};
use crate::error::from_diesel;

/// A result with its show and owner, as every result list reads it.
#[derive(Debug, QueryableByName)]
struct ResultRow {
    #[diesel(sql_type = Int8)]
    id: i64,
    #[diesel(sql_type = Int8)]
    show_id: i64,
    #[diesel(sql_type = Text)]
    show_name: String,
    #[diesel(sql_type = Text)]
    discipline: String,
    #[diesel(sql_type = Nullable<Int8>)]
    horse_id: Option<i64>,
    #[diesel(sql_type = Text)]
    horse_name: String,
    #[diesel(sql_type = Int8)]
    user_id: i64,
    #[diesel(sql_type = Text)]
    username: String,
    #[diesel(sql_type = Int4)]
    placement: i32,
    #[diesel(sql_type = Int4)]
    score: i32,
    #[diesel(sql_type = Int4)]
    base_score: i32,
    #[diesel(sql_type = Int8)]
    prize: i64,
    #[diesel(sql_type = Int4)]
    horse_xp_awarded: i32,
    #[diesel(sql_type = Int4)]
    owner_xp_awarded: i32,
    #[diesel(sql_type = Nullable<Text>)]
    stat_gained: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
}

impl ResultRow {
    fn into_view(self) -> Result<ResultView, StoreError> {
        Ok(ResultView {
            id: self.id,
            show_id: ShowId::new(self.show_id),
            show_name: self.show_name,
            discipline: parse_discipline(&self.discipline)?,
            horse_id: self.horse_id.map(HorseId::new),
            horse_name: self.horse_name,
            user_id: UserId::new(self.user_id),
            username: self.username,
            placement: non_negative(self.placement),
            score_hundredths: non_negative(self.score),
            base_score_hundredths: non_negative(self.base_score),
            prize: money(self.prize)?,
            horse_xp: non_negative(self.horse_xp_awarded),
            owner_xp: non_negative(self.owner_xp_awarded),
            stat_gained: self.stat_gained,
            created_at: self.created_at,
        })
    }
}

/// The `SELECT .. FROM` of [`ResultRow`], as a literal for `concat!`.
macro_rules! select_results {
    () => {
        "SELECT r.id, r.show_id, s.name AS show_name, s.discipline, r.horse_id, \
         r.horse_name, r.user_id, u.username, r.placement, r.score, r.base_score, r.prize, \
         r.horse_xp_awarded, r.owner_xp_awarded, r.stat_gained, r.created_at \
         FROM competition_results r JOIN shows s ON s.id = r.show_id \
         JOIN users u ON u.id = r.user_id"
    };
}

/// Which results a page lists, in which order. Every statement is a constant; the key is
/// bound as `$1`, the page as `$2` (limit) and `$3` (offset).
#[derive(Debug, Clone, Copy)]
pub(super) enum ResultScope {
    /// A show's results, by placement.
    Show(ShowId),
    /// A player's results, newest first.
    User(UserId),
}

impl ResultScope {
    fn key(self) -> i64 {
        match self {
            ResultScope::Show(id) => id.get(),
            ResultScope::User(id) => id.get(),
        }
    }

    fn count_sql(self) -> &'static str {
        match self {
            ResultScope::Show(_) => {
                "SELECT count(*) AS total FROM competition_results r WHERE r.show_id = $1"
            }
            ResultScope::User(_) => {
                "SELECT count(*) AS total FROM competition_results r WHERE r.user_id = $1"
            }
        }
    }

    fn page_sql(self) -> &'static str {
        match self {
            ResultScope::Show(_) => concat!(
                select_results!(),
                " WHERE r.show_id = $1 ORDER BY r.placement LIMIT $2 OFFSET $3"
            ),
            ResultScope::User(_) => concat!(
                select_results!(),
                " WHERE r.user_id = $1 ORDER BY r.created_at DESC, r.id DESC LIMIT $2 OFFSET $3"
            ),
        }
    }
}

#[derive(Debug, QueryableByName)]
struct Total {
    #[diesel(sql_type = BigInt)]
    total: i64,
}

/// One page of the results of `scope`.
pub(super) async fn result_page(
    conn: &mut AsyncPgConnection,
    scope: ResultScope,
    page: Page,
) -> Result<Paged<ResultView>, StoreError> {
    let total: Total = diesel::sql_query(scope.count_sql())
        .bind::<Int8, _>(scope.key())
        .get_result(conn)
        .await
        .map_err(from_diesel)?;
    let rows: Vec<ResultRow> = diesel::sql_query(scope.page_sql())
        .bind::<Int8, _>(scope.key())
        .bind::<BigInt, _>(i64::from(page.limit()))
        .bind::<BigInt, _>(page.offset())
        .load(conn)
        .await
        .map_err(from_diesel)?;
    let items = rows
        .into_iter()
        .map(ResultRow::into_view)
        .collect::<Result<_, _>>()?;
    Ok(Paged {
        items,
        total: total.total,
        page,
    })
}

/// One page of a show's results by placement, `None` when the show does not exist.
pub(super) async fn show_results(
    conn: &mut AsyncPgConnection,
    show: ShowId,
    page: Page,
) -> Result<Option<Paged<ResultView>>, StoreError> {
    if !show_exists(conn, show).await? {
        return Ok(None);
    }
    result_page(conn, ResultScope::Show(show), page)
        .await
        .map(Some)
}
