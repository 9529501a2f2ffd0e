//! The training eligibility rules as SQL conditions on `horses`, built from the domain's
//! constants: the SQL side of `equoria_domain::training::check_training_eligibility` (all but
//! the discipline rule, which depends on the discipline asked for).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use equoria_domain::horse::{Health, born_after_for_max_age, born_at_or_before_for_min_age};
use equoria_domain::training::{TRAINING_MAX_AGE, TRAINING_MIN_AGE};

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

/// May train at `now`: aged `TRAINING_MIN_AGE..=TRAINING_MAX_AGE` whole game years (from the
/// date of birth) and [`ready_to_train`].
#[diesel::dsl::auto_type]
pub(crate) fn trainable(now: DateTime<Utc>) -> _ {
    let born_by: DateTime<Utc> = born_at_or_before_for_min_age(TRAINING_MIN_AGE, now);
    let born_after: DateTime<Utc> = born_after_for_max_age(TRAINING_MAX_AGE, now);
    let ready: ready_to_train = ready_to_train(now);
    horses::date_of_birth
        .le(born_by)
        .and(horses::date_of_birth.gt(born_after))
        .and(ready)
}
