-- Money ledgers.
--
-- ledger_entries: every change of a player's balance, written in the same transaction as the
-- change (which is a single conditional UPDATE, e.g. money = money - $fee WHERE money >= $fee).
-- Invariant per user: users.money == sum(ledger_entries.amount), and balance_after is the
-- balance right after the entry, so the newest entry's balance_after == users.money.
--
-- house_ledger: every flow between players (or a show's prize pool) and "the house", signed
-- from the house's point of view (positive = the house receives). Every coin a player holds
-- came from the house (registration grant; prizes out of a pool the house funds) and every
-- coin a player spends goes to it (purchases, entry fees). When a show's run records, in its
-- one transaction, the pool paid out ('show_prize_pool', -prize_pool), the prizes
-- (ledger_entries 'show_prize') and the unpaid rest ('show_pool_refund', +shows.house_refund),
-- then in every committed state:
--   sum(users.money) + sum(house_ledger.amount) == 0
-- i.e. sum(users.money) == -(net house flow) == grants - purchases - fees + prizes.
--
-- Reasons are closed lists, each with the sign it must carry; a new kind of flow is a new
-- migration that extends both the list and the sign rule.
CREATE TABLE ledger_entries (
    id            bigint GENERATED ALWAYS AS IDENTITY,
    user_id       bigint      NOT NULL,
    -- Signed whole coins: positive credits the player, negative debits.
    amount        bigint      NOT NULL,
    balance_after bigint      NOT NULL,
    reason        text        NOT NULL,
    -- What it was for, e.g. 'horse:7' or 'show:42'.
    reference     text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ledger_entries_pkey PRIMARY KEY (id),
    CONSTRAINT ledger_entries_user_id_fkey
        FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT ledger_entries_amount_check CHECK (amount <> 0),
    CONSTRAINT ledger_entries_balance_after_check CHECK (balance_after >= 0),
    CONSTRAINT ledger_entries_reason_check
        CHECK (reason IN ('registration_grant', 'horse_purchase', 'show_entry_fee', 'show_prize')),
    CONSTRAINT ledger_entries_amount_sign_check
        CHECK (CASE
                   WHEN reason IN ('registration_grant', 'show_prize') THEN amount > 0
                   WHEN reason IN ('horse_purchase', 'show_entry_fee') THEN amount < 0
                   ELSE true -- an unknown reason is ledger_entries_reason_check's to report
               END),
    CONSTRAINT ledger_entries_reference_check CHECK (char_length(reference) <= 200)
);

-- A player's transactions, newest first (ids are monotonic within the ledger).
CREATE INDEX idx_ledger_entries_user ON ledger_entries (user_id, id);

CREATE TABLE house_ledger (
    id         bigint GENERATED ALWAYS AS IDENTITY,
    -- Signed whole coins: positive = the house receives, negative = the house pays out.
    amount     bigint      NOT NULL,
    reason     text        NOT NULL,
    -- What it was for, e.g. 'show:42'.
    reference  text,
    -- The player on the other side, when there is one (not for a show's pool or refund).
    -- Kept as NULL if that account is ever deleted: the house's history stays whole.
    user_id    bigint,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT house_ledger_pkey PRIMARY KEY (id),
    CONSTRAINT house_ledger_user_id_fkey
        FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT house_ledger_amount_check CHECK (amount <> 0),
    CONSTRAINT house_ledger_reason_check
        CHECK (reason IN ('registration_grant', 'horse_purchase', 'show_entry_fee',
                          'show_prize_pool', 'show_pool_refund')),
    CONSTRAINT house_ledger_amount_sign_check
        CHECK (CASE
                   WHEN reason IN ('registration_grant', 'show_prize_pool') THEN amount < 0
                   WHEN reason IN ('horse_purchase', 'show_entry_fee', 'show_pool_refund')
                       THEN amount > 0
                   ELSE true -- an unknown reason is house_ledger_reason_check's to report
               END),
    CONSTRAINT house_ledger_reference_check CHECK (char_length(reference) <= 200)
);

CREATE INDEX idx_house_ledger_user ON house_ledger (user_id);
CREATE INDEX idx_house_ledger_created ON house_ledger (created_at);
