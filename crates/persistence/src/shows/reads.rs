//! Reading shows and their entries.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use equoria_application::StoreError;
use equoria_application::paging::{Page, Paged};
use equoria_application::shows::{EntryView, ShowFilter, ShowView};
use equoria_domain::{HorseId, ShowId, UserId};

use super::rows::{ShowRow, money};
use crate::error::from_diesel;
use crate::schema::{horses, show_entries, shows, users};

/// Whether the show exists.
pub(super) async fn show_exists(
    conn: &mut AsyncPgConnection,
    id: ShowId,
) -> Result<bool, StoreError> {
    diesel::select(diesel::dsl::exists(shows::table.find(id.get())))
        .get_result(conn)
        .await
        .map_err(from_diesel)
}

/// One show, `None` when it does not exist.
pub(super) async fn show(
    conn: &mut AsyncPgConnection,
    id: ShowId,
) -> Result<Option<ShowView>, StoreError> {
    let row: Option<ShowRow> = shows::table
        .find(id.get())
        .select(ShowRow::as_select())
        .first(conn)
        .await
        .optional()
        .map_err(from_diesel)?;
    row.map(ShowRow::into_view).transpose()
}

/// One page of the shows matching `filter`, by `runs_at` then id.
pub(super) async fn list_shows(
    conn: &mut AsyncPgConnection,
    filter: ShowFilter,
    page: Page,
) -> Result<Paged<ShowView>, StoreError> {
    let query = || {
        let mut q = shows::table.into_boxed();
        if let Some(status) = filter.status {
            q = q.filter(shows::status.eq(status.as_str()));
        }
        if let Some(discipline) = filter.discipline {
            q = q.filter(shows::discipline.eq(discipline.name()));
        }
        q
    };
    let total: i64 = query()
        .count()
        .get_result(conn)
        .await
        .map_err(from_diesel)?;
    let rows: Vec<ShowRow> = query()
        .order((shows::runs_at.asc(), shows::id.asc()))
        .limit(i64::from(page.limit()))
        .offset(page.offset())
        .select(ShowRow::as_select())
        .load(conn)
        .await
        .map_err(from_diesel)?;
    let items = rows
        .into_iter()
        .map(ShowRow::into_view)
        .collect::<Result<_, _>>()?;
    Ok(Paged { items, total, page })
}

/// One page of a show's entries in entry order, `None` when the show does not exist.
pub(super) async fn entries(
    conn: &mut AsyncPgConnection,
    show: ShowId,
    page: Page,
) -> Result<Option<Paged<EntryView>>, StoreError> {
    if !show_exists(conn, show).await? {
        return Ok(None);
    }
    let total: i64 = show_entries::table
        .filter(show_entries::show_id.eq(show.get()))
        .count()
        .get_result(conn)
        .await
        .map_err(from_diesel)?;
    type Row = (
        i64,
        Option<i64>,
        Option<String>,
        i64,
        String,
        i64,
        DateTime<Utc>,
    );
    let rows: Vec<Row> = show_entries::table
        .left_join(horses::table)
        .inner_join(users::table)
        .filter(show_entries::show_id.eq(show.get()))
        .order(show_entries::id.asc())
        .limit(i64::from(page.limit()))
        .offset(page.offset())
        .select((
            show_entries::id,
            show_entries::horse_id,
            horses::name.nullable(),
            show_entries::user_id,
            users::username,
            show_entries::fee_paid,
            show_entries::created_at,
        ))
        .load(conn)
        .await
        .map_err(from_diesel)?;
    let items = rows
        .into_iter()
        .map(
            |(id, horse_id, horse_name, user_id, username, fee_paid, created_at)| {
                Ok(EntryView {
                    id,
                    show_id: show,
                    horse_id: horse_id.map(HorseId::new),
                    horse_name,
                    user_id: UserId::new(user_id),
                    username,
                    fee_paid: money(fee_paid)?,
                    created_at,
                })
            },
        )
        .collect::<Result<_, StoreError>>()?;
    Ok(Some(Paged { items, total, page }))
}
