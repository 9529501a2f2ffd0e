-- Leaderboard support: every board is answered by walking one index for at most a page's
-- worth of rows (boards are at most 1,000 positions deep), never by scanning a whole table.
--
--   players by level        users (xp DESC, id)                 idx_users_xp (000001)
--   players by XP, all time users (xp DESC, id)                 idx_users_xp
--   players by XP, period   user_xp_events since a time         idx_user_xp_events_created_gain
--   horses by earnings      horses (earnings DESC, id)          idx_horses_earnings (000004)
--   horses by wins          horses (wins DESC, earnings DESC, id) idx_horses_wins
--   recent winners          1st places, newest first            idx_results_recent_winners (000005)

-- Number of 1st places of the horse. Invariant: wins == count of its competition_results with
-- placement = 1; the show run raises it in the run's transaction, next to the result row.
-- Denormalised so the wins board is an index walk rather than an aggregate over all results.
ALTER TABLE horses ADD COLUMN wins integer NOT NULL DEFAULT 0;
ALTER TABLE horses ADD CONSTRAINT horses_wins_check CHECK (wins >= 0);

-- Backfill for databases that already hold results.
UPDATE horses h
SET wins = w.wins
FROM (
    SELECT horse_id, count(*)::integer AS wins
    FROM competition_results
    WHERE placement = 1 AND horse_id IS NOT NULL
    GROUP BY horse_id
) w
WHERE h.id = w.horse_id;

-- Horses-by-wins board: wins desc, then earnings desc, then id. Only winners are listed.
CREATE INDEX idx_horses_wins ON horses (wins DESC, earnings DESC, id) WHERE wins > 0;

-- Players-by-XP-in-a-period board: an index-only range scan over the period's events.
CREATE INDEX idx_user_xp_events_created_gain ON user_xp_events (created_at) INCLUDE (user_id, amount);
