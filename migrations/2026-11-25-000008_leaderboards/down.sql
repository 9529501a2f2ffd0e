DROP INDEX idx_user_xp_events_created_gain;
DROP INDEX idx_horses_wins;
ALTER TABLE horses DROP CONSTRAINT horses_wins_check;
ALTER TABLE horses DROP COLUMN wins;
