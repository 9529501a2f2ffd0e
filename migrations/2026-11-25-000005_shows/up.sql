-- Shows (competitions), their entries and their immutable results.
--
-- Scores are stored as integer hundredths of a point (score 87.45 is stored as 8745), since
-- the rules round scores to 2 decimals: exact, no numeric/bigdecimal needed.

CREATE TABLE shows (
    id           bigint GENERATED ALWAYS AS IDENTITY,
    name         text        NOT NULL,
    discipline   text        NOT NULL,
    -- Whole coins.
    entry_fee    bigint      NOT NULL,
    prize_pool   bigint      NOT NULL,
    -- Horse level range (horse level = floor(horse xp / 100) + 1), inclusive.
    min_level    integer     NOT NULL,
    max_level    integer     NOT NULL,
    max_entries  integer     NOT NULL,
    -- Number of show_entries rows. Entering a show increments it with a conditional
    --   UPDATE shows SET entry_count = entry_count + 1
    --   WHERE id = $1 AND status = 'open' AND closes_at > now() AND entry_count < max_entries
    -- in the entry's transaction, so concurrent entries can never exceed max_entries.
    entry_count  integer     NOT NULL DEFAULT 0,
    closes_at    timestamptz NOT NULL,
    runs_at      timestamptz NOT NULL,
    -- A show is run exactly once: the run claims it with
    --   UPDATE shows SET status = 'completed', ... WHERE id = $1 AND status = 'open'
    -- inside the run's single transaction.
    status       text        NOT NULL DEFAULT 'open',
    completed_at timestamptz,
    -- Part of the prize pool not paid out (fewer than 3 entrants, rounding), returned to the
    -- house when the show ran (and recorded in house_ledger). Set exactly when completed.
    house_refund bigint,
    -- The admin who created it; kept as NULL if that account is ever deleted.
    created_by   bigint,
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- No updated_at: the only changes are entry_count (its own audit is show_entries) and the
    -- completion, which completed_at records.
    CONSTRAINT shows_pkey PRIMARY KEY (id),
    CONSTRAINT shows_name_key UNIQUE (name),
    CONSTRAINT shows_created_by_fkey
        FOREIGN KEY (created_by) REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT shows_name_check
        CHECK (name = btrim(name) AND char_length(name) BETWEEN 1 AND 100
               AND name !~ '[\x01-\x1f\x7f]'),
    CONSTRAINT shows_discipline_check
        CHECK (discipline IN (
            'Western Pleasure', 'Reining', 'Cutting', 'Barrel Racing',
            'Roping', 'Team Penning', 'Rodeo', 'Hunter',
            'Saddleseat', 'Endurance', 'Eventing', 'Dressage',
            'Show Jumping', 'Vaulting', 'Polo', 'Cross Country',
            'Combined Driving', 'Fine Harness', 'Gaited', 'Gymkhana',
            'Steeplechase', 'Racing', 'Harness Racing')),
    CONSTRAINT shows_entry_fee_check CHECK (entry_fee BETWEEN 0 AND 100000),
    CONSTRAINT shows_prize_pool_check CHECK (prize_pool >= 0),
    CONSTRAINT shows_level_range_check CHECK (min_level >= 1 AND min_level <= max_level),
    CONSTRAINT shows_max_entries_check CHECK (max_entries BETWEEN 2 AND 200),
    CONSTRAINT shows_entry_count_check CHECK (entry_count >= 0 AND entry_count <= max_entries),
    CONSTRAINT shows_schedule_check CHECK (closes_at <= runs_at),
    CONSTRAINT shows_status_check CHECK (status IN ('open', 'completed')),
    CONSTRAINT shows_completion_check
        CHECK (CASE status
                   WHEN 'open' THEN completed_at IS NULL AND house_refund IS NULL
                   WHEN 'completed' THEN completed_at IS NOT NULL AND house_refund IS NOT NULL
                   ELSE true -- an unknown status is shows_status_check's to report
               END),
    CONSTRAINT shows_house_refund_check CHECK (house_refund BETWEEN 0 AND prize_pool)
);

-- Scheduler: open shows whose runs_at has passed.
CREATE INDEX idx_shows_status_runs ON shows (status, runs_at);
-- Public listing filtered by status and discipline, in schedule order.
CREATE INDEX idx_shows_listing ON shows (status, discipline, runs_at);
-- Recent winners: latest completed shows first.
CREATE INDEX idx_shows_completed ON shows (completed_at DESC, id DESC) WHERE status = 'completed';

-- One row per (show, horse) entry; the fee was debited in the same transaction.
--
-- horse_id is nullable with ON DELETE SET NULL because entries of shows that already ran are
-- history and must not stop the owner from deleting the horse later (the API allows deleting
-- a horse unless it is entered in a show that has not run). The "has not run" part is
-- enforced by the trigger below, which refuses to delete a horse with an entry in an open
-- show with SQLSTATE 23503 (foreign_key_violation), exactly as ON DELETE RESTRICT would; the
-- application answers 409 before it gets there.
CREATE TABLE show_entries (
    id         bigint GENERATED ALWAYS AS IDENTITY,
    show_id    bigint      NOT NULL,
    -- NULL only once the horse was deleted after the show ran.
    horse_id   bigint,
    -- The horse's owner when it entered, who paid the fee.
    user_id    bigint      NOT NULL,
    fee_paid   bigint      NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT show_entries_pkey PRIMARY KEY (id),
    CONSTRAINT show_entries_show_id_horse_id_key UNIQUE (show_id, horse_id),
    CONSTRAINT show_entries_show_id_fkey
        FOREIGN KEY (show_id) REFERENCES shows (id) ON DELETE RESTRICT,
    CONSTRAINT show_entries_horse_id_fkey
        FOREIGN KEY (horse_id) REFERENCES horses (id) ON DELETE SET NULL,
    -- Money changed hands: a user with entries cannot be hard-deleted.
    CONSTRAINT show_entries_user_id_fkey
        FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE RESTRICT,
    CONSTRAINT show_entries_fee_paid_check CHECK (fee_paid >= 0)
);

CREATE INDEX idx_show_entries_horse ON show_entries (horse_id);
CREATE INDEX idx_show_entries_user ON show_entries (user_id);

CREATE FUNCTION equoria_forbid_deleting_entered_horse() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    IF EXISTS (
        SELECT 1
        FROM show_entries e
        JOIN shows s ON s.id = e.show_id
        WHERE e.horse_id = OLD.id AND s.status = 'open'
    ) THEN
        RAISE EXCEPTION 'horse % is entered in a show that has not run', OLD.id
            USING ERRCODE = 'foreign_key_violation',
                  CONSTRAINT = 'show_entries_horse_id_fkey',
                  TABLE = 'show_entries';
    END IF;
    RETURN OLD;
END;
$$;

CREATE TRIGGER horses_forbid_deleting_entered_horse
    BEFORE DELETE ON horses
    FOR EACH ROW EXECUTE FUNCTION equoria_forbid_deleting_entered_horse();

-- Results are immutable history (never updated, never deleted by the application).
--
-- Deleting a horse later keeps its results: horse_id becomes NULL (ON DELETE SET NULL) and
-- horse_name keeps the name the horse competed under, so past shows, recent winners and the
-- owner's results stay complete. Shows, entries and users with results cannot be deleted
-- (ON DELETE RESTRICT).
CREATE TABLE competition_results (
    id               bigint GENERATED ALWAYS AS IDENTITY,
    show_id          bigint      NOT NULL,
    -- NULL only once the horse was deleted.
    horse_id         bigint,
    -- The horse's name at the time of the show.
    horse_name       text        NOT NULL,
    -- The owner who received the prize and the owner XP.
    user_id          bigint      NOT NULL,
    entry_id         bigint      NOT NULL,
    -- 1 = winner. Ranking: score desc, then base_score desc, then earlier entry.
    placement        integer     NOT NULL,
    -- Final score in hundredths of a point: round(base * training * age * luck, 2) * 100.
    score            integer     NOT NULL,
    -- Base score (0.5*s1 + 0.3*s2 + 0.2*s3) in hundredths of a point, exact.
    base_score       integer     NOT NULL,
    -- Whole coins paid to the owner (and added to the horse's earnings).
    prize            bigint      NOT NULL,
    horse_xp_awarded integer     NOT NULL,
    owner_xp_awarded integer     NOT NULL,
    -- The primary stat that gained +1 from this placement, if any.
    stat_gained      text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT competition_results_pkey PRIMARY KEY (id),
    CONSTRAINT competition_results_show_id_placement_key UNIQUE (show_id, placement),
    CONSTRAINT competition_results_show_id_horse_id_key UNIQUE (show_id, horse_id),
    CONSTRAINT competition_results_entry_id_key UNIQUE (entry_id),
    CONSTRAINT competition_results_show_id_fkey
        FOREIGN KEY (show_id) REFERENCES shows (id) ON DELETE RESTRICT,
    CONSTRAINT competition_results_horse_id_fkey
        FOREIGN KEY (horse_id) REFERENCES horses (id) ON DELETE SET NULL,
    CONSTRAINT competition_results_user_id_fkey
        FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE RESTRICT,
    CONSTRAINT competition_results_entry_id_fkey
        FOREIGN KEY (entry_id) REFERENCES show_entries (id) ON DELETE RESTRICT,
    CONSTRAINT competition_results_horse_name_check
        CHECK (char_length(horse_name) BETWEEN 1 AND 50),
    CONSTRAINT competition_results_placement_check CHECK (placement >= 1),
    CONSTRAINT competition_results_score_check CHECK (score >= 0),
    CONSTRAINT competition_results_base_score_check CHECK (base_score BETWEEN 0 AND 10000),
    CONSTRAINT competition_results_prize_check CHECK (prize >= 0),
    CONSTRAINT competition_results_horse_xp_awarded_check CHECK (horse_xp_awarded >= 0),
    CONSTRAINT competition_results_owner_xp_awarded_check CHECK (owner_xp_awarded >= 0),
    CONSTRAINT competition_results_stat_gained_check
        CHECK (stat_gained IN (
            'speed', 'stamina', 'agility', 'balance', 'precision', 'intelligence',
            'boldness', 'flexibility', 'obedience', 'focus', 'strength', 'endurance'))
);

-- Lookup indexes: results by horse and by show.
CREATE INDEX idx_results_horse ON competition_results (horse_id);
CREATE INDEX idx_results_show ON competition_results (show_id);
-- Horses-by-wins leaderboard and recent winners: first places only.
CREATE INDEX idx_results_wins ON competition_results (horse_id) WHERE placement = 1;
CREATE INDEX idx_results_recent_winners ON competition_results (created_at DESC, id DESC)
    WHERE placement = 1;
-- A player's results, newest first.
CREATE INDEX idx_results_user_created ON competition_results (user_id, created_at);
