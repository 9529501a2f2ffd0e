DROP INDEX idx_user_xp_events_created;
DROP INDEX idx_user_xp_events_user_created;
DROP TABLE user_xp_events;
