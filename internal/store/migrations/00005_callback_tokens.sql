-- Callback tokens: a provider that signs nothing (FNS) calls back to a URL
-- carrying an unguessable per-workflow token. Only its SHA-256 is kept, so
-- the table gives no one a usable URL. A workflow may hold several (a
-- retried activity makes a new one; the provider keeps the first).

-- +goose Up
CREATE TABLE callback_tokens (
    token_sha256 TEXT   NOT NULL PRIMARY KEY,  -- hex
    provider     TEXT   NOT NULL,
    workflow_id  TEXT   NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX callback_tokens_workflow_idx ON callback_tokens (workflow_id);

-- +goose Down
DROP TABLE callback_tokens;
