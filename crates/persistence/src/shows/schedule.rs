//! Which shows are due to run, and the retry delay of a failed scheduled run.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Double, Int4, Int8, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use equoria_application::StoreError;
use equoria_application::shows::ShowStatus;
use equoria_domain::ShowId;

use super::rows::non_negative;
use crate::error::from_diesel;
use crate::schema::shows;

/// Open shows due at `now` and not waiting out a retry delay: fewest failed attempts first,
/// then oldest `runs_at`, then id.
pub(super) async fn due_shows(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<ShowId>, StoreError> {
    let ids: Vec<i64> = shows::table
        .filter(shows::status.eq(ShowStatus::Open.as_str()))
        .filter(shows::runs_at.le(now))
        .filter(shows::next_run_at.is_null().or(shows::next_run_at.le(now)))
        .order((
            shows::run_attempts.asc(),
            shows::runs_at.asc(),
            shows::id.asc(),
        ))
        .limit(i64::from(limit))
        .select(shows::id)
        .load(conn)
        .await
        .map_err(from_diesel)?;
    Ok(ids.into_iter().map(ShowId::new).collect())
}

#[derive(QueryableByName)]
struct Attempts {
    #[diesel(sql_type = Int4)]
    run_attempts: i32,
}

/// Counts one more failed attempt of an open show and delays its next run; the number of
/// failed attempts, 0 when the show is no longer open.
pub(super) async fn postpone_run(
    conn: &mut AsyncPgConnection,
    show: ShowId,
    now: DateTime<Utc>,
    first_delay: std::time::Duration,
    max_delay: std::time::Duration,
) -> Result<u32, StoreError> {
    // The delay doubles with every failure so far (the exponent is capped well before
    // the power could overflow, the delay by `max_delay`).
    let attempts: Option<Attempts> = diesel::sql_query(
        "UPDATE shows SET run_attempts = run_attempts + 1, \
         next_run_at = $2 + make_interval(secs => \
             least($3::float8 * power(2, least(run_attempts, 30)), $4::float8)) \
         WHERE id = $1 AND status = 'open' RETURNING run_attempts",
    )
    .bind::<Int8, _>(show.get())
    .bind::<Timestamptz, _>(now)
    .bind::<Double, _>(first_delay.as_secs_f64())
    .bind::<Double, _>(max_delay.as_secs_f64())
    .get_result(conn)
    .await
    .optional()
    .map_err(from_diesel)?;
    Ok(attempts.map_or(0, |a| non_negative(a.run_attempts)))
}
