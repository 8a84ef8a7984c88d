-- The webhook inbox: every provider webhook is committed here before the
-- gateway answers 200, then delivered to its workflow by the dispatcher
-- (internal/inbox). Same portable SQL on SQLite and PostgreSQL, as in
-- 00001: TEXT, BIGINT, BYTEA; times are BIGINT Unix microseconds, and 0
-- stands for "none" in next_attempt_at, lease_until and delivered_at.

-- +goose Up
CREATE TABLE inbox_events (
    id                 TEXT   NOT NULL PRIMARY KEY,  -- "evt_" + UUIDv7: sorts by arrival
    provider           TEXT   NOT NULL,
    dedupe_key         TEXT   NOT NULL,              -- the provider's event id
    event_type         TEXT   NOT NULL,
    workflow_id        TEXT   NOT NULL DEFAULT '',   -- set by the dispatcher's route
    body               BYTEA  NOT NULL,              -- raw, exactly as received
    received_at        BIGINT NOT NULL,
    status             TEXT   NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'delivered', 'unmatched')),
    attempts           BIGINT NOT NULL DEFAULT 0,    -- delivery attempts made
    unmatched_attempts BIGINT NOT NULL DEFAULT 0,    -- of which ended "unmatched"
    -- When the dispatcher should try next; 0 once delivered or given up.
    next_attempt_at    BIGINT NOT NULL,
    -- A dispatcher holds the row until then (optimistic lease); 0 = free.
    lease_until        BIGINT NOT NULL DEFAULT 0,
    last_error         TEXT   NOT NULL DEFAULT '',
    delivered_at       BIGINT NOT NULL DEFAULT 0,
    -- One row per provider event, however often the provider sends it.
    UNIQUE (provider, dedupe_key)
);

-- The dispatcher's poll: only rows still to deliver (partial index).
CREATE INDEX inbox_events_due_idx ON inbox_events (next_attempt_at)
    WHERE next_attempt_at > 0;
-- The operators' listing, newest first, optionally by provider.
CREATE INDEX inbox_events_received_idx ON inbox_events (received_at, id);
CREATE INDEX inbox_events_provider_idx ON inbox_events (provider, received_at, id);
CREATE INDEX inbox_events_status_idx ON inbox_events (status, received_at, id);

-- +goose Down
DROP TABLE inbox_events;
