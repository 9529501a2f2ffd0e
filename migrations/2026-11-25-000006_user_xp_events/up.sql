-- Player XP history: every change of users.xp, written in the same transaction as the change.
-- Invariant: users.xp == sum(user_xp_events.amount) for that user (XP only ever grows).
CREATE TABLE user_xp_events (
    id         bigint GENERATED ALWAYS AS IDENTITY,
    user_id    bigint      NOT NULL,
    amount     integer     NOT NULL,
    -- snake_case cause: 'training', 'show_placement', ...
    reason     text        NOT NULL,
    -- What caused it, e.g. 'training_session:17' or 'show:42'.
    reference  text,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT user_xp_events_pkey PRIMARY KEY (id),
    CONSTRAINT user_xp_events_user_id_fkey
        FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT user_xp_events_amount_check CHECK (amount > 0),
    CONSTRAINT user_xp_events_reason_check CHECK (reason ~ '^[a-z][a-z0-9_]{0,49}$'),
    CONSTRAINT user_xp_events_reference_check CHECK (char_length(reference) <= 200)
);

-- A player's XP history, newest first.
CREATE INDEX idx_user_xp_events_user_created ON user_xp_events (user_id, created_at);
-- XP-gained-in-period leaderboard (week / month): events since a point in time.
CREATE INDEX idx_user_xp_events_created ON user_xp_events (created_at);
