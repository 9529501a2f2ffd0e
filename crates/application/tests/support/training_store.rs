//! An in-memory [`TrainingStore`].

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use equoria_application::StoreError;
use equoria_application::horses::HorseRecord;
use equoria_application::paging::{Page, Paged};
use equoria_application::training::{TrainingCommit, TrainingStore, TrainingSubject};
use equoria_domain::training::{TRAINING_MAX_AGE, TRAINING_MIN_AGE, TrainingOutcome};
use equoria_domain::{Discipline, DisciplineScore, HorseId, UserId};

/// What the fake keeps.
#[derive(Debug, Default)]
pub(crate) struct TrainingState {
    pub horses: BTreeMap<HorseId, HorseRecord>,
    pub scores: BTreeMap<(HorseId, Discipline), DisciplineScore>,
    /// Sessions written.
    pub sessions: u32,
}

/// A change of the stored state made by "someone else" at a chosen moment of a session.
pub(crate) type Interference = Box<dyn FnOnce(&mut TrainingState) + Send>;

/// Claims like the real store: the session is written only if the horse is still the owner's,
/// healthy and off cooldown at `now`; otherwise the claim is lost and the horse re-read.
#[derive(Default)]
pub(crate) struct FakeTrainingStore {
    state: Mutex<TrainingState>,
    /// Runs once, just before the next claim (another session or an injury wins the race).
    before_claim: Mutex<Option<Interference>>,
    /// Runs once, after the next lost claim and before the re-read.
    after_lost_claim: Mutex<Option<Interference>>,
}

impl FakeTrainingStore {
    pub(crate) fn with(horses: impl IntoIterator<Item = HorseRecord>) -> Self {
        let store = Self::default();
        store
            .state()
            .horses
            .extend(horses.into_iter().map(|h| (h.id, h)));
        store
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, TrainingState> {
        self.state.lock().unwrap()
    }

    pub(crate) fn horse(&self, id: HorseId) -> HorseRecord {
        self.state().horses[&id].clone()
    }

    pub(crate) fn before_claim(&self, change: impl FnOnce(&mut TrainingState) + Send + 'static) {
        *self.before_claim.lock().unwrap() = Some(Box::new(change));
    }

    pub(crate) fn after_lost_claim(
        &self,
        change: impl FnOnce(&mut TrainingState) + Send + 'static,
    ) {
        *self.after_lost_claim.lock().unwrap() = Some(Box::new(change));
    }

    fn interfere(&self, hook: &Mutex<Option<Interference>>) {
        if let Some(change) = hook.lock().unwrap().take() {
            change(&mut self.state());
        }
    }

    fn owned(&self, owner: UserId, id: HorseId) -> Option<HorseRecord> {
        self.state()
            .horses
            .get(&id)
            .filter(|h| h.owner_id == owner)
            .cloned()
    }
}

fn off_cooldown(horse: &HorseRecord, now: DateTime<Utc>) -> bool {
    horse.training_cooldown_end.is_none_or(|end| end <= now)
}

#[async_trait]
impl TrainingStore for FakeTrainingStore {
    async fn training_subject(
        &self,
        owner: UserId,
        id: HorseId,
    ) -> Result<Option<TrainingSubject>, StoreError> {
        let Some(horse) = self.owned(owner, id) else {
            return Ok(None);
        };
        let scores = self
            .state()
            .scores
            .iter()
            .filter(|((h, _), _)| *h == id)
            .map(|((_, d), s)| (*d, *s))
            .collect();
        Ok(Some(TrainingSubject { horse, scores }))
    }

    async fn record_training(
        &self,
        owner: UserId,
        id: HorseId,
        outcome: &TrainingOutcome,
        now: DateTime<Utc>,
    ) -> Result<TrainingCommit, StoreError> {
        self.interfere(&self.before_claim);
        {
            let mut state = self.state();
            let claimable = state.horses.get(&id).is_some_and(|h| {
                h.owner_id == owner && h.health.is_healthy() && off_cooldown(h, now)
            });
            if claimable {
                if let Some(horse) = state.horses.get_mut(&id) {
                    horse.training_cooldown_end = Some(outcome.cooldown_end);
                    horse.stats = outcome.stats_after(horse.stats);
                }
                state
                    .scores
                    .insert((id, outcome.discipline), outcome.score_after);
                state.sessions += 1;
                return Ok(TrainingCommit::Committed {
                    stat_gain: outcome.stat_gain,
                });
            }
        }
        self.interfere(&self.after_lost_claim);
        Ok(TrainingCommit::Lost(self.owned(owner, id)))
    }

    async fn trainable_horses(
        &self,
        owner: UserId,
        now: DateTime<Utc>,
        page: Page,
    ) -> Result<Paged<HorseRecord>, StoreError> {
        let trainable: Vec<HorseRecord> = self
            .state()
            .horses
            .values()
            .filter(|h| {
                h.owner_id == owner
                    && (TRAINING_MIN_AGE..=TRAINING_MAX_AGE).contains(&h.age(now))
                    && h.health.is_healthy()
                    && off_cooldown(h, now)
            })
            .cloned()
            .collect();
        Ok(Paged {
            total: trainable.len() as i64,
            items: trainable,
            page,
        })
    }
}
