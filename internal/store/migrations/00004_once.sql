-- Side effects an activity must not repeat when it is retried (a billable
-- Mandarin session): the activity records that it started the call, then
-- the provider's answer the moment it comes, under a key derived from the
-- workflow run. Same portable SQL on SQLite and PostgreSQL.

-- +goose Up
CREATE TABLE once_records (
    key         TEXT   NOT NULL PRIMARY KEY,  -- e.g. "mandarin-session/WORKFLOW_ID/RUN_ID"
    attempts    BIGINT NOT NULL DEFAULT 0,    -- calls started under this key
    value       TEXT   NOT NULL DEFAULT '',   -- the provider's answer, once known
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- +goose Down
DROP TABLE once_records;
