-- Callback tokens: a provider that signs nothing (FNS) calls back to a URL
-- carrying an unguessable per-workflow token. Only its SHA-256 is kept, so
-- the table gives no one a usable URL. A workflow may hold several (a
-- retried activity makes a new one; the provider keeps the first). Tokens
-- outlive their workflow: a late callback is stored and kept as unmatched.

-- +goose Up
CREATE TABLE callback_tokens (
    token_sha256 TEXT   NOT NULL PRIMARY KEY,  -- hex
    provider     TEXT   NOT NULL,
    workflow_id  TEXT   NOT NULL,
    created_at   BIGINT NOT NULL
);

-- +goose Down
DROP TABLE callback_tokens;
