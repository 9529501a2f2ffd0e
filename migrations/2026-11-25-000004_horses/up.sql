-- Horses and everything that belongs to one horse alone: per-discipline training scores, the
-- training log and the horse XP history.
--
-- Discipline names are stored exactly as game-rules.md spells them ('Western Pleasure', ...);
-- stat names in lower case ('speed', ...). The same lists appear in the shows migration.

CREATE TABLE horses (
    id                    bigint GENERATED ALWAYS AS IDENTITY,
    owner_id              bigint      NOT NULL,
    breed_id              integer     NOT NULL,
    -- Stored trimmed: 2-50 characters, no control characters.
    name                  text        NOT NULL,
    sex                   text        NOT NULL,
    -- Age in game years is floor(days since date_of_birth / 7); never stored.
    date_of_birth         timestamptz NOT NULL,
    speed                 smallint    NOT NULL,
    stamina               smallint    NOT NULL,
    agility               smallint    NOT NULL,
    balance               smallint    NOT NULL,
    precision             smallint    NOT NULL,
    intelligence          smallint    NOT NULL,
    boldness              smallint    NOT NULL,
    flexibility           smallint    NOT NULL,
    obedience             smallint    NOT NULL,
    focus                 smallint    NOT NULL,
    strength              smallint    NOT NULL,
    endurance             smallint    NOT NULL,
    health                text        NOT NULL DEFAULT 'healthy',
    -- Horse XP (competition only). Stat points available = floor(xp / 100) - stat_points_spent.
    xp                    bigint      NOT NULL DEFAULT 0,
    stat_points_spent     integer     NOT NULL DEFAULT 0,
    -- Total prize money won, in whole coins.
    earnings              bigint      NOT NULL DEFAULT 0,
    -- One global training cooldown per horse; NULL = never trained. Training claims the horse
    -- with a conditional UPDATE on this column, so two concurrent sessions cannot both succeed.
    training_cooldown_end timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT horses_pkey PRIMARY KEY (id),
    CONSTRAINT horses_owner_id_fkey
        FOREIGN KEY (owner_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT horses_breed_id_fkey
        FOREIGN KEY (breed_id) REFERENCES breeds (id) ON DELETE RESTRICT,
    CONSTRAINT horses_name_check
        CHECK (name = btrim(name) AND char_length(name) BETWEEN 2 AND 50
               AND name !~ '[\x01-\x1f\x7f]'),
    CONSTRAINT horses_sex_check CHECK (sex IN ('Stallion', 'Mare', 'Gelding', 'Colt', 'Filly')),
    CONSTRAINT horses_speed_check CHECK (speed BETWEEN 0 AND 100),
    CONSTRAINT horses_stamina_check CHECK (stamina BETWEEN 0 AND 100),
    CONSTRAINT horses_agility_check CHECK (agility BETWEEN 0 AND 100),
    CONSTRAINT horses_balance_check CHECK (balance BETWEEN 0 AND 100),
    CONSTRAINT horses_precision_check CHECK (precision BETWEEN 0 AND 100),
    CONSTRAINT horses_intelligence_check CHECK (intelligence BETWEEN 0 AND 100),
    CONSTRAINT horses_boldness_check CHECK (boldness BETWEEN 0 AND 100),
    CONSTRAINT horses_flexibility_check CHECK (flexibility BETWEEN 0 AND 100),
    CONSTRAINT horses_obedience_check CHECK (obedience BETWEEN 0 AND 100),
    CONSTRAINT horses_focus_check CHECK (focus BETWEEN 0 AND 100),
    CONSTRAINT horses_strength_check CHECK (strength BETWEEN 0 AND 100),
    CONSTRAINT horses_endurance_check CHECK (endurance BETWEEN 0 AND 100),
    CONSTRAINT horses_health_check CHECK (health IN ('healthy', 'injured')),
    CONSTRAINT horses_xp_check CHECK (xp >= 0),
    CONSTRAINT horses_stat_points_spent_check
        CHECK (stat_points_spent >= 0 AND stat_points_spent <= xp / 100),
    CONSTRAINT horses_earnings_check CHECK (earnings >= 0)
);

-- Lookup indexes: horses by owner, by breed, by training cooldown end.
CREATE INDEX idx_horses_owner ON horses (owner_id);
CREATE INDEX idx_horses_breed ON horses (breed_id);
CREATE INDEX idx_horses_training ON horses (training_cooldown_end);
-- Owner's horse list in creation order (default sort, paginated).
CREATE INDEX idx_horses_owner_created ON horses (owner_id, created_at, id);
-- Horses-by-earnings leaderboard; id breaks ties.
CREATE INDEX idx_horses_earnings ON horses (earnings DESC, id);

CREATE TRIGGER horses_set_updated_at
    BEFORE UPDATE ON horses
    FOR EACH ROW EXECUTE FUNCTION equoria_set_updated_at();

-- A horse's training score per discipline. A missing row means score 0.
CREATE TABLE discipline_scores (
    horse_id   bigint      NOT NULL,
    discipline text        NOT NULL,
    score      smallint    NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT discipline_scores_pkey PRIMARY KEY (horse_id, discipline),
    CONSTRAINT discipline_scores_horse_id_fkey
        FOREIGN KEY (horse_id) REFERENCES horses (id) ON DELETE CASCADE,
    CONSTRAINT discipline_scores_discipline_check
        CHECK (discipline IN (
            'Western Pleasure', 'Reining', 'Cutting', 'Barrel Racing',
            'Roping', 'Team Penning', 'Rodeo', 'Hunter',
            'Saddleseat', 'Endurance', 'Eventing', 'Dressage',
            'Show Jumping', 'Vaulting', 'Polo', 'Cross Country',
            'Combined Driving', 'Fine Harness', 'Gaited', 'Gymkhana',
            'Steeplechase', 'Racing', 'Harness Racing')),
    CONSTRAINT discipline_scores_score_check CHECK (score BETWEEN 0 AND 100)
);

CREATE TRIGGER discipline_scores_set_updated_at
    BEFORE UPDATE ON discipline_scores
    FOR EACH ROW EXECUTE FUNCTION equoria_set_updated_at();

-- Training log: one row per successful session, written in the session's transaction.
CREATE TABLE training_sessions (
    id               bigint GENERATED ALWAYS AS IDENTITY,
    horse_id         bigint      NOT NULL,
    -- The owner who trained (and received the XP).
    user_id          bigint      NOT NULL,
    discipline       text        NOT NULL,
    score_before     smallint    NOT NULL,
    score_after      smallint    NOT NULL,
    -- Set together when the 15% stat gain happened. The amount is what was actually added
    -- (the 1-3 roll, less whatever the cap at 100 cut off, hence 0 is possible).
    stat_gained      text,
    stat_gain_amount smallint,
    -- Owner XP awarded for the session (+5 under the current rules).
    xp_awarded       integer     NOT NULL,
    trained_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT training_sessions_pkey PRIMARY KEY (id),
    CONSTRAINT training_sessions_horse_id_fkey
        FOREIGN KEY (horse_id) REFERENCES horses (id) ON DELETE CASCADE,
    CONSTRAINT training_sessions_user_id_fkey
        FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT training_sessions_discipline_check
        CHECK (discipline IN (
            'Western Pleasure', 'Reining', 'Cutting', 'Barrel Racing',
            'Roping', 'Team Penning', 'Rodeo', 'Hunter',
            'Saddleseat', 'Endurance', 'Eventing', 'Dressage',
            'Show Jumping', 'Vaulting', 'Polo', 'Cross Country',
            'Combined Driving', 'Fine Harness', 'Gaited', 'Gymkhana',
            'Steeplechase', 'Racing', 'Harness Racing')),
    CONSTRAINT training_sessions_score_before_check CHECK (score_before BETWEEN 0 AND 100),
    CONSTRAINT training_sessions_score_after_check
        CHECK (score_after BETWEEN 0 AND 100 AND score_after >= score_before),
    CONSTRAINT training_sessions_stat_gained_check
        CHECK (stat_gained IN (
            'speed', 'stamina', 'agility', 'balance', 'precision', 'intelligence',
            'boldness', 'flexibility', 'obedience', 'focus', 'strength', 'endurance')),
    CONSTRAINT training_sessions_stat_gain_amount_check CHECK (stat_gain_amount BETWEEN 0 AND 3),
    CONSTRAINT training_sessions_stat_gain_pair_check
        CHECK ((stat_gained IS NULL) = (stat_gain_amount IS NULL)),
    CONSTRAINT training_sessions_xp_awarded_check CHECK (xp_awarded >= 0)
);

CREATE INDEX idx_training_sessions_horse_trained ON training_sessions (horse_id, trained_at);
CREATE INDEX idx_training_sessions_user ON training_sessions (user_id);

-- Horse XP history: every change of horses.xp, written in the same transaction.
CREATE TABLE horse_xp_events (
    id         bigint GENERATED ALWAYS AS IDENTITY,
    horse_id   bigint      NOT NULL,
    -- XP never decreases, so every event adds.
    amount     integer     NOT NULL,
    -- snake_case cause, e.g. 'show_placement'.
    reason     text        NOT NULL,
    -- What caused it, e.g. 'show:42'.
    reference  text,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT horse_xp_events_pkey PRIMARY KEY (id),
    CONSTRAINT horse_xp_events_horse_id_fkey
        FOREIGN KEY (horse_id) REFERENCES horses (id) ON DELETE CASCADE,
    CONSTRAINT horse_xp_events_amount_check CHECK (amount > 0),
    CONSTRAINT horse_xp_events_reason_check CHECK (reason ~ '^[a-z][a-z0-9_]{0,49}$'),
    CONSTRAINT horse_xp_events_reference_check CHECK (char_length(reference) <= 200)
);

CREATE INDEX idx_horse_xp_events_horse_created ON horse_xp_events (horse_id, created_at);
