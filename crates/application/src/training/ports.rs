//! What the training use cases need from storage.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use equoria_domain::training::TrainingOutcome;
use equoria_domain::{Discipline, DisciplineScore, HorseId, StatGain, UserId};

use crate::StoreError;
use crate::horses::HorseRecord;
use crate::paging::{Page, Paged};

/// An owned horse with its discipline scores (disciplines never trained are absent: score 0).
#[derive(Debug, Clone)]
pub struct TrainingSubject {
    pub horse: HorseRecord,
    pub scores: BTreeMap<Discipline, DisciplineScore>,
}

impl TrainingSubject {
    pub fn score(&self, discipline: Discipline) -> DisciplineScore {
        self.scores
            .get(&discipline)
            .copied()
            .unwrap_or(DisciplineScore::ZERO)
    }
}

/// What happened when a session was written.
#[derive(Debug, Clone)]
pub enum TrainingCommit {
    /// Claimed and written. `stat_gain` is the gain actually applied to the stats as they were
    /// when the horse was claimed (never past 100).
    Committed { stat_gain: Option<StatGain> },
    /// The claim found the horse no longer trainable (another session won the race, or it was
    /// injured meanwhile): nothing was written. The horse as it is now, if it still exists
    /// and is the caller's.
    Lost(Option<HorseRecord>),
}

/// Training storage.
#[async_trait]
pub trait TrainingStore: Send + Sync {
    /// The owner's horse and its scores; `None` if the owner has no such horse.
    async fn training_subject(
        &self,
        owner: UserId,
        id: HorseId,
    ) -> Result<Option<TrainingSubject>, StoreError>;

    /// Writes one session in one transaction: claims the horse with a conditional update of
    /// `training_cooldown_end` (owned, healthy, cooldown over at `now`), sets the discipline
    /// score, applies the stat gain, logs the session and awards the owner XP. Of two
    /// concurrent sessions for one horse exactly one is `Committed`.
    async fn record_training(
        &self,
        owner: UserId,
        id: HorseId,
        outcome: &TrainingOutcome,
        now: DateTime<Utc>,
    ) -> Result<TrainingCommit, StoreError>;

    /// The owner's horses that are 3-20 years old, healthy and off cooldown at `now`, in
    /// purchase order.
    async fn trainable_horses(
        &self,
        owner: UserId,
        now: DateTime<Utc>,
        page: Page,
    ) -> Result<Paged<HorseRecord>, StoreError>;
}
