//! The training eligibility rules as SQL conditions on `horses`, built from the domain's
//! constants: the SQL side of `equoria_domain::training::check_training_eligibility` (all but
//! the discipline rule, which depends on the discipline asked for).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use equoria_domain::horse::Health;
use equoria_domain::training::training_birth_window;

use crate::schema::horses;

/// Healthy and off the training cooldown at `now` (never trained, or the cooldown has ended):
/// the part of the rules that the training claim re-checks under the row lock.
#[diesel::dsl::auto_type]
pub(crate) fn ready_to_train(now: DateTime<Utc>) -> _ {
    let healthy: &'static str = Health::Healthy.as_str();
    horses::health.eq(healthy).and(
        horses::training_cooldown_end
            .is_null()
            .or(horses::training_cooldown_end.le(now)),
    )
}

/// May train at `now`: born inside the domain's `training_birth_window` (the training ages,
/// from the date of birth) and [`ready_to_train`].
#[diesel::dsl::auto_type]
pub(crate) fn trainable(now: DateTime<Utc>) -> _ {
    let window = training_birth_window(now);
    // Both ends of the training window are set, so the `MIN_UTC`/`MAX_UTC` fallbacks never apply.
    let born_by: DateTime<Utc> = window.born_at_or_before.unwrap_or(DateTime::<Utc>::MIN_UTC);
    let born_after: DateTime<Utc> = window.born_after.unwrap_or(DateTime::<Utc>::MAX_UTC);
    let ready: ready_to_train = ready_to_train(now);
    horses::date_of_birth
        .le(born_by)
        .and(horses::date_of_birth.gt(born_after))
        .and(ready)
}
