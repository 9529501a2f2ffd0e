//! The training use cases.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};
use equoria_domain::training::{
    Ineligible, check_trainable, check_training_eligibility, next_training_at, train,
};
use equoria_domain::{Discipline, DisciplineScore, HorseId, StatGain, UserId};

use super::ports::*;
use crate::StoreError;
use crate::clock::Clock;
use crate::horses::{Horse, HorseRecord};
use crate::paging::{Page, Paged};
use crate::random::Randomness;

/// Why a training request was refused.
#[derive(Debug, thiserror::Error)]
pub enum TrainingError {
    /// No such horse owned by the caller.
    #[error("horse not found")]
    NotFound,
    #[error(transparent)]
    Ineligible(Ineligible),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What one session did.
#[derive(Debug, Clone)]
pub struct TrainingReport {
    pub horse_id: HorseId,
    pub discipline: Discipline,
    pub score_before: DisciplineScore,
    pub score_after: DisciplineScore,
    pub stat_gain: Option<StatGain>,
    pub xp_awarded: u32,
    /// The horse may train again from this instant on.
    pub next_eligible_at: DateTime<Utc>,
}

/// Whether a horse can train now, in any discipline its breed allows.
#[derive(Debug, Clone)]
pub struct TrainingStatus {
    pub horse_id: HorseId,
    pub eligible: bool,
    /// Why not, when not eligible (never `DisciplineNotAllowed`: some discipline is always
    /// allowed).
    pub reason: Option<Ineligible>,
    /// When the horse will be able to train, if that moment is known: the end of the
    /// cooldown, or for a horse too young the later of its third birthday and the end of the
    /// cooldown. `None` when eligible now, injured or too old.
    pub next_eligible_at: Option<DateTime<Utc>>,
    /// Every discipline with the horse's score (0 where it never trained).
    pub scores: BTreeMap<Discipline, DisciplineScore>,
    /// Disciplines the breed may train in (all but Gaited for non-gaited breeds).
    pub allowed: Vec<Discipline>,
}

/// Whether the horse can train now in some discipline its breed allows (see
/// [`check_trainable`]).
fn general_eligibility(horse: &HorseRecord, now: DateTime<Utc>) -> Result<(), Ineligible> {
    check_trainable(
        horse.age(now),
        horse.health,
        horse.training_cooldown_end,
        now,
    )
}

/// The training use cases, with their ports.
#[derive(Clone)]
pub struct Training {
    store: Arc<dyn TrainingStore>,
    clock: Arc<dyn Clock>,
    randomness: Arc<dyn Randomness>,
}

impl std::fmt::Debug for Training {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Training").finish_non_exhaustive()
    }
}

impl Training {
    pub fn new(
        store: Arc<dyn TrainingStore>,
        clock: Arc<dyn Clock>,
        randomness: Arc<dyn Randomness>,
    ) -> Self {
        Self {
            store,
            clock,
            randomness,
        }
    }

    /// Trains a horse in a discipline, exactly per the rules: eligibility first (422 reasons),
    /// then the session's effects in one transaction that claims the horse.
    #[tracing::instrument(skip_all, fields(horse.id = %id, discipline = %discipline))]
    pub async fn train(
        &self,
        owner: UserId,
        id: HorseId,
        discipline: Discipline,
    ) -> Result<TrainingReport, TrainingError> {
        let subject = self
            .store
            .training_subject(owner, id)
            .await?
            .ok_or(TrainingError::NotFound)?;
        // Microseconds: what the database stores, so the reported cooldown end is the stored one.
        let now = self.clock.now().trunc_subsecs(6);
        let horse = &subject.horse;
        check_training_eligibility(
            horse.age(now),
            horse.health,
            horse.breed_gaited,
            discipline,
            horse.training_cooldown_end,
            now,
        )
        .map_err(TrainingError::Ineligible)?;
        let outcome = train(
            subject.score(discipline),
            &horse.stats,
            discipline,
            now,
            &mut self.randomness.rng(),
        );
        match self.store.record_training(owner, id, &outcome, now).await? {
            TrainingCommit::Committed { stat_gain } => Ok(TrainingReport {
                horse_id: id,
                discipline,
                score_before: outcome.score_before,
                score_after: outcome.score_after,
                stat_gain,
                xp_awarded: outcome.xp_awarded,
                next_eligible_at: outcome.cooldown_end,
            }),
            TrainingCommit::Lost(None) => Err(TrainingError::NotFound),
            TrainingCommit::Lost(Some(fresh)) => match general_eligibility(&fresh, now) {
                Err(reason) => Err(TrainingError::Ineligible(reason)),
                // Nothing explains the lost claim any more: the state moved on; retry.
                Ok(()) => Err(TrainingError::Store(StoreError::Contention)),
            },
        }
    }

    /// Whether the caller's horse can train now, and its scores.
    pub async fn status(
        &self,
        owner: UserId,
        id: HorseId,
    ) -> Result<TrainingStatus, TrainingError> {
        let subject = self
            .store
            .training_subject(owner, id)
            .await?
            .ok_or(TrainingError::NotFound)?;
        let now = self.clock.now();
        let horse = &subject.horse;
        let verdict = general_eligibility(horse, now);
        let next_eligible_at = verdict.err().and_then(|reason| {
            next_training_at(reason, horse.date_of_birth, horse.training_cooldown_end)
        });
        let scores = Discipline::ALL
            .into_iter()
            .map(|d| (d, subject.score(d)))
            .collect();
        Ok(TrainingStatus {
            horse_id: id,
            eligible: verdict.is_ok(),
            reason: verdict.err(),
            next_eligible_at,
            scores,
            allowed: Discipline::ALL
                .into_iter()
                .filter(|d| d.allows(horse.breed_gaited))
                .collect(),
        })
    }

    /// The caller's horses that can train now in at least one discipline: 3-20 years old,
    /// healthy and off cooldown (every breed may train some discipline).
    pub async fn trainable(
        &self,
        owner: UserId,
        page: Page,
    ) -> Result<Paged<Horse>, TrainingError> {
        let now = self.clock.now();
        let paged = self.store.trainable_horses(owner, now, page).await?;
        Ok(paged.map(|record| Horse {
            age: record.age(now),
            as_of: now,
            record,
        }))
    }
}
