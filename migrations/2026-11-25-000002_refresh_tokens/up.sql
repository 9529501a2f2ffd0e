-- Refresh tokens with rotation and reuse detection.
--
-- Only a hash of the token is stored (token_hash), never the token itself. A token works
-- once: the refresh use case claims it with
--   UPDATE refresh_tokens SET used_at = now()
--   WHERE id = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()
-- so two concurrent refreshes cannot both succeed. Presenting a token whose used_at is set
-- revokes its whole family (every token descended from the same login).
CREATE TABLE refresh_tokens (
    id         uuid        NOT NULL DEFAULT gen_random_uuid(),
    user_id    bigint      NOT NULL,
    -- Shared by every token descended from one login.
    family_id  uuid        NOT NULL,
    -- Hash of the token (for example hex or base64 of SHA-256); never the token.
    token_hash text        NOT NULL,
    -- The token this one was issued in exchange for; NULL for the first of a family.
    parent_id  uuid,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    revoked_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT refresh_tokens_pkey PRIMARY KEY (id),
    CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash),
    CONSTRAINT refresh_tokens_user_id_fkey
        FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT refresh_tokens_parent_id_fkey
        FOREIGN KEY (parent_id) REFERENCES refresh_tokens (id) ON DELETE SET NULL,
    -- No CHECK relates expires_at to created_at: expires_at comes from the application's
    -- clock (injectable in tests), created_at from the database's.
    CONSTRAINT refresh_tokens_token_hash_check CHECK (char_length(token_hash) >= 32)
);

CREATE INDEX idx_refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX idx_refresh_tokens_user ON refresh_tokens (user_id);
-- Keeps ON DELETE SET NULL of parent_id cheap when expired tokens are purged.
CREATE INDEX idx_refresh_tokens_parent ON refresh_tokens (parent_id);
