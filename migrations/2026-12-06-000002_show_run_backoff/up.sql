-- Failed scheduled runs back off instead of holding the head of the scheduler's queue, and
-- prize pools get the upper bound the application enforces.
--
-- Backward compatible: both columns have defaults (an older binary that inserts shows without
-- them keeps working, and its scheduler simply ignores them), and adding them rewrites nothing.
ALTER TABLE shows
    -- Scheduled runs of this show that failed so far.
    ADD COLUMN run_attempts integer NOT NULL DEFAULT 0,
    -- After a failed run: the show is not due again before this instant. NULL: never failed.
    ADD COLUMN next_run_at timestamptz,
    ADD CONSTRAINT shows_run_attempts_check CHECK (run_attempts >= 0);

-- The application refuses pools above 10,000,000 coins (no payout can then overflow a
-- balance). NOT VALID: rows written before are not re-checked, new rows are.
ALTER TABLE shows
    ADD CONSTRAINT shows_prize_pool_max_check CHECK (prize_pool <= 10000000) NOT VALID;
