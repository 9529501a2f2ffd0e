//! What the use-case tests share: a clock the test moves by hand, seeded randomness, and
//! in-memory fakes of the store ports that keep just enough state to honour their contracts.

#![expect(dead_code, clippy::unwrap_used)]

pub(crate) mod leaderboard_store;
pub(crate) mod show_store;
pub(crate) mod training_store;

use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use equoria_application::clock::Clock;
use equoria_application::horses::HorseRecord;
use equoria_application::random::SeededRandomness;
use equoria_domain::horse::{GAME_YEAR, Health, Sex};
use equoria_domain::{BreedId, HorseId, Money, StatValue, Stats, UserId};

/// Seed of the tests' randomness.
pub(crate) const SEED: u64 = 20_260_105;

/// The instant every test starts at (a whole second: the training use case truncates to
/// microseconds, the database's precision).
pub(crate) fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 12, 0, 0).unwrap()
}

/// `years` game years.
pub(crate) fn years(years: i32) -> TimeDelta {
    GAME_YEAR * years
}

/// A clock that stands still until the test moves it.
#[derive(Debug)]
pub(crate) struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub(crate) fn at(now: DateTime<Utc>) -> Arc<Self> {
        Arc::new(Self(Mutex::new(now)))
    }

    pub(crate) fn set(&self, now: DateTime<Utc>) {
        *self.0.lock().unwrap() = now;
    }

    pub(crate) fn advance(&self, by: TimeDelta) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// Randomness from [`SEED`].
pub(crate) fn seeded() -> Arc<SeededRandomness> {
    Arc::new(SeededRandomness::from_seed(SEED))
}

/// A healthy, never-trained, non-gaited horse of `owner`, born at `date_of_birth`, all stats 50.
pub(crate) fn horse(id: i64, owner: UserId, date_of_birth: DateTime<Utc>) -> HorseRecord {
    HorseRecord {
        id: HorseId::new(id),
        owner_id: owner,
        name: format!("Horse {id}"),
        breed_id: BreedId::new(1),
        breed_name: "Thoroughbred".to_owned(),
        breed_gaited: false,
        sex: Sex::Mare,
        date_of_birth,
        stats: Stats::uniform(StatValue::new(50).unwrap()),
        health: Health::Healthy,
        xp: 0,
        stat_points_spent: 0,
        earnings: Money::ZERO,
        training_cooldown_end: None,
        created_at: date_of_birth,
        updated_at: date_of_birth,
    }
}
