//! Creating a show.

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use equoria_application::shows::{CreateShowError, ShowView};
use equoria_domain::UserId;
use equoria_domain::competition::NewShow;

use super::rows::{ShowRow, level_i32};
use crate::error::from_diesel;
use crate::schema::shows;

/// Inserts the show; a taken name is [`CreateShowError::DuplicateName`].
pub(super) async fn create_show(
    conn: &mut AsyncPgConnection,
    show: NewShow,
    created_by: UserId,
) -> Result<ShowView, CreateShowError> {
    let inserted = diesel::insert_into(shows::table)
        .values((
            shows::name.eq(show.name.as_str()),
            shows::discipline.eq(show.discipline.name()),
            shows::entry_fee.eq(show.entry_fee.money().coins()),
            shows::prize_pool.eq(show.prize_pool.coins()),
            shows::min_level.eq(level_i32(show.level_range.min())),
            shows::max_level.eq(level_i32(show.level_range.max())),
            shows::max_entries.eq(i32::try_from(show.max_entries.get()).unwrap_or(i32::MAX)),
            shows::closes_at.eq(show.schedule.closes_at()),
            shows::runs_at.eq(show.schedule.runs_at()),
            shows::created_by.eq(created_by.get()),
        ))
        .returning(ShowRow::as_returning())
        .get_result::<ShowRow>(conn)
        .await;
    match inserted {
        Ok(row) => Ok(row.into_view()?),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info))
            if info.constraint_name() == Some("shows_name_key") =>
        {
            Err(CreateShowError::DuplicateName)
        }
        Err(e) => Err(from_diesel(e).into()),
    }
}
