-- Schema shared verbatim by SQLite and PostgreSQL, so only portable types:
--   TEXT for strings, BIGINT for integers, BYTEA for binary content
--   (PostgreSQL's binary type; SQLite accepts the name and stores the
--   driver's []byte values as BLOBs unchanged).
-- Timestamps are BIGINT microseconds since the Unix epoch (UTC), which
-- compare, sort and round-trip identically on both databases.

-- +goose Up
CREATE TABLE blobs (
    sha256     TEXT   NOT NULL PRIMARY KEY, -- lowercase hex SHA-256 of content
    size       BIGINT NOT NULL,
    content    BYTEA  NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE documents (
    id         TEXT   NOT NULL PRIMARY KEY,
    -- dedup_key is the hex SHA-256 of (owner, sha256, title, media_type);
    -- its uniqueness makes PutDocument idempotent without indexing
    -- unbounded titles directly.
    dedup_key  TEXT   NOT NULL UNIQUE,
    owner      TEXT   NOT NULL,
    sha256     TEXT   NOT NULL REFERENCES blobs (sha256),
    title      TEXT   NOT NULL,
    media_type TEXT   NOT NULL,
    size       BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE INDEX documents_owner_created_idx ON documents (owner, created_at, id);
CREATE INDEX documents_sha256_idx ON documents (sha256);

-- +goose Down
DROP TABLE documents;
DROP TABLE blobs;
