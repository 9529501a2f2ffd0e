ALTER TABLE shows
    DROP CONSTRAINT shows_prize_pool_max_check,
    DROP CONSTRAINT shows_run_attempts_check,
    DROP COLUMN next_run_at,
    DROP COLUMN run_attempts;
