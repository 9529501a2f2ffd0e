-- Benchmark data for `cargo xtask bench`: 10,000 players, 100,000 horses, 100,000 completed
-- shows with 10 entries and 10 results each (1,000,000 of both), and the XP and money history
-- that keeps every invariant of the migrations (CHECKs, FKs, users.xp == sum of XP events,
-- users.money == sum of ledger entries, sum(users.money) + sum(house_ledger) == 0 for the
-- seeded players).
--
-- Ids are chosen (OVERRIDING SYSTEM VALUE) so the load scripts can compute them:
--   player m (1..10000): users.id = 1000000 + m, email playerM@bench.equoria.test
--   horse k (1..100000): horses.id = 1000000 + k, owned by player (k - 1) / 10 + 1
--   show s (1..100000), entry/result (s - 1) * 10 + j for place j (1..10)
-- Players 1..1000 share the password hash of the account `bench_template`, registered through
-- the API just before this runs (so the hash has the server's configured bcrypt cost): the
-- login scenario measures their logins. xtask then gives players 1001..10000, the user
-- flow's, the same password hashed at bcrypt cost 4 (`flow_hashes_sql` in bench.rs).
\set ON_ERROR_STOP 1
SET synchronous_commit = off;
BEGIN;

INSERT INTO users (id, email, username, password_hash, created_at)
OVERRIDING SYSTEM VALUE
SELECT 1000000 + m,
       'player' || m || '@bench.equoria.test',
       'player' || m,
       (SELECT password_hash FROM users WHERE username = 'bench_template'),
       now() - (m % 365) * interval '1 day'
FROM generate_series(1, 10000) AS m;

INSERT INTO horses (id, owner_id, breed_id, name, sex, date_of_birth,
                    speed, stamina, agility, balance, precision, intelligence,
                    boldness, flexibility, obedience, focus, strength, endurance, created_at)
OVERRIDING SYSTEM VALUE
SELECT 1000000 + k,
       1000000 + (k - 1) / 10 + 1,
       (k % 12) + 1,
       'Horse ' || k,
       (ARRAY['Stallion', 'Mare', 'Gelding', 'Colt', 'Filly'])[k % 5 + 1],
       -- Ages 3 to 15 game years (a game year is 7 days): every horse may train.
       now() - ((3 + k % 13) * 7 + 1) * interval '1 day',
       (k * 7) % 101, (k * 11) % 101, (k * 13) % 101, (k * 17) % 101,
       (k * 19) % 101, (k * 23) % 101, (k * 29) % 101, (k * 31) % 101,
       (k * 37) % 101, (k * 41) % 101, (k * 43) % 101, (k * 47) % 101,
       now() - (k % 365) * interval '1 day'
FROM generate_series(1, 100000) AS k;

INSERT INTO shows (id, name, discipline, entry_fee, prize_pool, min_level, max_level,
                   max_entries, entry_count, closes_at, runs_at, status, completed_at,
                   house_refund, created_at)
OVERRIDING SYSTEM VALUE
SELECT s,
       'Bench Show ' || s,
       (ARRAY['Western Pleasure', 'Reining', 'Cutting', 'Barrel Racing', 'Roping',
              'Team Penning', 'Rodeo', 'Hunter', 'Saddleseat', 'Endurance', 'Eventing',
              'Dressage', 'Show Jumping', 'Vaulting', 'Polo', 'Cross Country',
              'Combined Driving', 'Fine Harness', 'Gymkhana', 'Steeplechase', 'Racing',
              'Harness Racing'])[s % 22 + 1],
       0, 1000, 1, 100, 10, 10,
       t - interval '1 hour', t, 'completed', t, 0, t - interval '1 day'
FROM (SELECT s, now() - (100001 - s) * interval '5 minutes' AS t
      FROM generate_series(1, 100000) AS s) AS shows_at;

-- Ten distinct horses per show: j * 10007 mod 100000 differs for j = 1..10.
CREATE TEMP TABLE bench_entries ON COMMIT DROP AS
SELECT (s - 1) * 10 + j AS id, s, j,
       ((s * 7919 + j * 10007) % 100000) + 1 AS k,
       now() - (100001 - s) * interval '5 minutes' AS t
FROM generate_series(1, 100000) AS s, generate_series(1, 10) AS j;

INSERT INTO show_entries (id, show_id, horse_id, user_id, fee_paid, created_at)
OVERRIDING SYSTEM VALUE
SELECT id, s, 1000000 + k, 1000000 + (k - 1) / 10 + 1, 0, t - interval '2 hours'
FROM bench_entries;

INSERT INTO competition_results (id, show_id, horse_id, horse_name, user_id, entry_id,
                                 placement, score, base_score, prize,
                                 horse_xp_awarded, owner_xp_awarded, created_at)
OVERRIDING SYSTEM VALUE
SELECT id, s, 1000000 + k, 'Horse ' || k, 1000000 + (k - 1) / 10 + 1, id,
       j, 9000 - j * 300 + s % 97, 8000 - j * 300 + s % 89,
       CASE j WHEN 1 THEN 500 WHEN 2 THEN 300 WHEN 3 THEN 200 ELSE 0 END,
       CASE WHEN j <= 3 THEN 20 - j * 5 ELSE 2 END,
       CASE WHEN j <= 3 THEN 20 - j * 5 ELSE 2 END,
       t
FROM bench_entries;

-- Horse totals from their results, with the XP history that explains them.
UPDATE horses h
SET wins = a.wins, earnings = a.earnings, xp = a.xp
FROM (SELECT horse_id,
             count(*) FILTER (WHERE placement = 1)::integer AS wins,
             sum(prize) AS earnings,
             sum(horse_xp_awarded) AS xp
      FROM competition_results GROUP BY horse_id) AS a
WHERE h.id = a.horse_id;

INSERT INTO horse_xp_events (horse_id, amount, reason, reference, created_at)
SELECT id, xp, 'show_placement', 'bench seed', now() - interval '1 day'
FROM horses WHERE id > 1000000 AND xp > 0;

-- Player XP and money from their results: one registration grant and one prize total each.
CREATE TEMP TABLE bench_player_totals ON COMMIT DROP AS
SELECT u.id, coalesce(sum(r.owner_xp_awarded), 0) AS xp, coalesce(sum(r.prize), 0) AS prizes
FROM users u LEFT JOIN competition_results r ON r.user_id = u.id
WHERE u.id > 1000000
GROUP BY u.id;

UPDATE users u SET xp = t.xp, money = 10000 + t.prizes
FROM bench_player_totals t WHERE u.id = t.id;

-- Spread over the last 60 days so the week and month XP boards have data.
INSERT INTO user_xp_events (user_id, amount, reason, reference, created_at)
SELECT id, xp, 'show_placement', 'bench seed', now() - (id % 60) * interval '1 day'
FROM bench_player_totals WHERE xp > 0;

INSERT INTO ledger_entries (user_id, amount, balance_after, reason, reference, created_at)
SELECT id, 10000, 10000, 'registration_grant', NULL, now() - interval '400 days'
FROM bench_player_totals ORDER BY id;
INSERT INTO ledger_entries (user_id, amount, balance_after, reason, reference, created_at)
SELECT id, prizes, 10000 + prizes, 'show_prize', 'bench seed', now() - interval '1 day'
FROM bench_player_totals WHERE prizes > 0 ORDER BY id;

INSERT INTO house_ledger (amount, reason, reference, user_id, created_at)
SELECT -10000, 'registration_grant', NULL, id, now() - interval '400 days'
FROM bench_player_totals;
INSERT INTO house_ledger (amount, reason, reference, user_id, created_at)
SELECT -prize_pool, 'show_prize_pool', 'show:' || id, NULL, completed_at
FROM shows WHERE id <= 100000;

-- Identity columns continue after the chosen ids.
SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT max(id) FROM users));
SELECT setval(pg_get_serial_sequence('horses', 'id'), (SELECT max(id) FROM horses));
SELECT setval(pg_get_serial_sequence('shows', 'id'), (SELECT max(id) FROM shows));
SELECT setval(pg_get_serial_sequence('show_entries', 'id'), (SELECT max(id) FROM show_entries));
SELECT setval(pg_get_serial_sequence('competition_results', 'id'),
              (SELECT max(id) FROM competition_results));

COMMIT;

-- FREEZE: every page all-visible, so the boards' index-only scans skip the heap (a plain
-- VACUUM right after the load left the visibility map unset here: 1,000 heap fetches per count).
VACUUM (FREEZE, ANALYZE);
