-- Idempotency keys of the requests that move money or create something (see docs/API.md).
--
-- One row per (player, key): the digest of the first request made with the key, and once it
-- answered, that answer. A row is claimed with INSERT .. ON CONFLICT, so of two concurrent
-- requests with one key exactly one does the work, on any replica. A failed attempt deletes
-- its row; rows older than 24 hours are ignored and deleted.
--
-- Backward compatible: a new table that older binaries never read.
CREATE TABLE idempotency_keys (
    user_id         bigint      NOT NULL,
    key             text        NOT NULL,
    -- SHA-256 of the method, path and body of the first request.
    request_hash    bytea       NOT NULL,
    state           text        NOT NULL DEFAULT 'in_progress',
    -- The first answer, once there is one.
    response_status smallint,
    response_body   bytea,
    created_at      timestamptz NOT NULL DEFAULT now(),
    completed_at    timestamptz,
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (user_id, key),
    CONSTRAINT idempotency_keys_user_id_fkey
        FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT idempotency_keys_key_check
        CHECK (octet_length(key) BETWEEN 1 AND 255 AND key ~ '^[!-~]+$'),
    CONSTRAINT idempotency_keys_request_hash_check CHECK (octet_length(request_hash) = 32),
    CONSTRAINT idempotency_keys_state_check CHECK (state IN ('in_progress', 'completed')),
    CONSTRAINT idempotency_keys_response_status_check
        CHECK (response_status BETWEEN 100 AND 599),
    CONSTRAINT idempotency_keys_answer_check
        CHECK ((state = 'completed') = (response_status IS NOT NULL
                                        AND response_body IS NOT NULL
                                        AND completed_at IS NOT NULL))
);

-- The purge of expired keys.
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);
