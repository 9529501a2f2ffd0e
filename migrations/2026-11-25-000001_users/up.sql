-- Players and their progression totals.
--
-- Conventions for every migration in this directory:
--   * entity primary keys are `bigint GENERATED ALWAYS AS IDENTITY` (breeds: integer); the
--     application never chooses ids, so insert structs simply omit `id`;
--   * every time is `timestamptz`;
--   * constraint names follow PostgreSQL's defaults (`<table>_pkey`, `<table>_<cols>_key`,
--     `<table>_<col>_fkey`, `<table>_<what>_check`) so errors can be mapped by name;
--     plain indexes are named `idx_<table>_<purpose>`;
--   * every rule of game-rules.md that fits in one row is a CHECK, so a bug in the code
--     cannot store an impossible value;
--   * `down.sql` drops exactly what `up.sql` created, in reverse order.

-- Keeps `updated_at` honest on tables whose rows change. Same semantics as Diesel's
-- `diesel_manage_updated_at`: if an UPDATE changes the row but does not set `updated_at`
-- itself, it becomes the transaction's timestamp; an explicit value is respected.
CREATE FUNCTION equoria_set_updated_at() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW IS DISTINCT FROM OLD AND NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
        NEW.updated_at := current_timestamp;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY,
    -- Normalised to lower case by the application; the CHECK makes sure it was.
    email         text        NOT NULL,
    -- Case is kept for display; uniqueness ignores it (users_username_lower_key).
    username      text        NOT NULL,
    password_hash text        NOT NULL,
    first_name    text,
    last_name     text,
    bio           text,
    role          text        NOT NULL DEFAULT 'user',
    -- Whole coins. Invariant: money == sum(ledger_entries.amount) for this user, so the
    -- starting 10,000 arrives as a 'registration_grant' ledger entry, not as a default.
    money         bigint      NOT NULL DEFAULT 0,
    -- Level is floor(xp / 100) + 1 and is never stored. XP never decreases; every change is
    -- a user_xp_events row.
    xp            bigint      NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_pkey PRIMARY KEY (id),
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_email_check
        CHECK (email = lower(email) AND char_length(email) BETWEEN 3 AND 254
               AND position('@' IN email) > 1),
    CONSTRAINT users_username_check CHECK (username ~ '^[A-Za-z0-9_]{3,30}$'),
    CONSTRAINT users_password_hash_check CHECK (password_hash <> ''),
    CONSTRAINT users_first_name_check CHECK (char_length(first_name) <= 100),
    CONSTRAINT users_last_name_check CHECK (char_length(last_name) <= 100),
    CONSTRAINT users_bio_check CHECK (char_length(bio) <= 1000),
    CONSTRAINT users_role_check CHECK (role IN ('user', 'moderator', 'admin')),
    CONSTRAINT users_money_check CHECK (money >= 0),
    CONSTRAINT users_xp_check CHECK (xp >= 0)
);

-- Usernames are unique regardless of case ("Rider" and "rider" are the same player).
CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username));
-- Players-by-level leaderboard: level desc, xp desc, id asc == xp desc, id asc.
CREATE INDEX idx_users_xp ON users (xp DESC, id);

CREATE TRIGGER users_set_updated_at
    BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION equoria_set_updated_at();
