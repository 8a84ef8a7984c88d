-- A fourth, terminal inbox status: "failed", for an event Temporal refuses
-- for good (an invalid argument, a workflow id that cannot exist), kept
-- with the reason and never retried. SQLite cannot alter a CHECK
-- constraint, so the table is rebuilt, with the same portable SQL on both
-- databases.

-- +goose Up
CREATE TABLE inbox_events_next (
    id                 TEXT   NOT NULL PRIMARY KEY,
    provider           TEXT   NOT NULL,
    dedupe_key         TEXT   NOT NULL,
    event_type         TEXT   NOT NULL,
    workflow_id        TEXT   NOT NULL DEFAULT '',
    body               BYTEA  NOT NULL,
    received_at        BIGINT NOT NULL,
    status             TEXT   NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'delivered', 'unmatched', 'failed')),
    attempts           BIGINT NOT NULL DEFAULT 0,
    unmatched_attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at    BIGINT NOT NULL,
    lease_until        BIGINT NOT NULL DEFAULT 0,
    last_error         TEXT   NOT NULL DEFAULT '',
    delivered_at       BIGINT NOT NULL DEFAULT 0,
    UNIQUE (provider, dedupe_key)
);
INSERT INTO inbox_events_next (id, provider, dedupe_key, event_type, workflow_id, body, received_at, status,
    attempts, unmatched_attempts, next_attempt_at, lease_until, last_error, delivered_at)
SELECT id, provider, dedupe_key, event_type, workflow_id, body, received_at, status,
    attempts, unmatched_attempts, next_attempt_at, lease_until, last_error, delivered_at FROM inbox_events;
DROP TABLE inbox_events;
ALTER TABLE inbox_events_next RENAME TO inbox_events;
CREATE INDEX inbox_events_due_idx ON inbox_events (next_attempt_at, id) WHERE next_attempt_at > 0;
CREATE INDEX inbox_events_received_idx ON inbox_events (received_at, id);
CREATE INDEX inbox_events_provider_idx ON inbox_events (provider, received_at, id);
CREATE INDEX inbox_events_status_idx ON inbox_events (status, received_at, id);

-- +goose Down
CREATE TABLE inbox_events_prev (
    id                 TEXT   NOT NULL PRIMARY KEY,
    provider           TEXT   NOT NULL,
    dedupe_key         TEXT   NOT NULL,
    event_type         TEXT   NOT NULL,
    workflow_id        TEXT   NOT NULL DEFAULT '',
    body               BYTEA  NOT NULL,
    received_at        BIGINT NOT NULL,
    status             TEXT   NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'delivered', 'unmatched')),
    attempts           BIGINT NOT NULL DEFAULT 0,
    unmatched_attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at    BIGINT NOT NULL,
    lease_until        BIGINT NOT NULL DEFAULT 0,
    last_error         TEXT   NOT NULL DEFAULT '',
    delivered_at       BIGINT NOT NULL DEFAULT 0,
    UNIQUE (provider, dedupe_key)
);
INSERT INTO inbox_events_prev (id, provider, dedupe_key, event_type, workflow_id, body, received_at, status,
    attempts, unmatched_attempts, next_attempt_at, lease_until, last_error, delivered_at)
SELECT id, provider, dedupe_key, event_type, workflow_id, body, received_at,
    CASE WHEN status = 'failed' THEN 'unmatched' ELSE status END,
    attempts, unmatched_attempts, next_attempt_at, lease_until, last_error, delivered_at FROM inbox_events;
DROP TABLE inbox_events;
ALTER TABLE inbox_events_prev RENAME TO inbox_events;
CREATE INDEX inbox_events_due_idx ON inbox_events (next_attempt_at) WHERE next_attempt_at > 0;
CREATE INDEX inbox_events_received_idx ON inbox_events (received_at, id);
CREATE INDEX inbox_events_provider_idx ON inbox_events (provider, received_at, id);
CREATE INDEX inbox_events_status_idx ON inbox_events (status, received_at, id);
