-- Personal data at rest: every document belongs to a subject (the person
-- it is about, named by an opaque id without personal data) and its
-- content is sealed with that subject's data key (AES-256-GCM), which is
-- itself wrapped by a master key of the configuration (envelope
-- encryption). Erasing a subject destroys its wrapped key and deletes its
-- documents and sealed blobs; what remains elsewhere (Temporal history
-- payloads sealed with the same key) can no longer be read.

-- +goose Up
CREATE TABLE subject_keys (
    subject       TEXT   NOT NULL PRIMARY KEY,
    key_id        TEXT   NOT NULL UNIQUE, -- named by sealed content and payloads: "sk_" + UUID
    master_key_id TEXT   NOT NULL,        -- the master key that wrapped it
    wrapped_key   BYTEA,                  -- nonce || AES-256-GCM(data key); NULL once erased
    created_at    BIGINT NOT NULL,
    erased_at     BIGINT
);

CREATE TABLE sealed_blobs (
    subject    TEXT   NOT NULL,
    sha256     TEXT   NOT NULL, -- lowercase hex SHA-256 of the plaintext, checked on read
    key_id     TEXT   NOT NULL,
    size       BIGINT NOT NULL, -- of the plaintext
    content    BYTEA  NOT NULL, -- nonce || AES-256-GCM(content), the subject and hash as associated data
    created_at BIGINT NOT NULL,
    PRIMARY KEY (subject, sha256)
);

-- documents lose their foreign key to blobs (a sealed document's content
-- is in sealed_blobs) and gain their subject ('' for documents stored
-- before encryption, whose content stays in blobs).
CREATE TABLE documents_v7 (
    id         TEXT   NOT NULL PRIMARY KEY,
    dedup_key  TEXT   NOT NULL UNIQUE,
    owner      TEXT   NOT NULL,
    subject    TEXT   NOT NULL DEFAULT '',
    sha256     TEXT   NOT NULL,
    title      TEXT   NOT NULL,
    media_type TEXT   NOT NULL,
    size       BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
INSERT INTO documents_v7 (id, dedup_key, owner, subject, sha256, title, media_type, size, created_at)
    SELECT id, dedup_key, owner, '', sha256, title, media_type, size, created_at FROM documents;
DROP TABLE documents;
ALTER TABLE documents_v7 RENAME TO documents;
CREATE INDEX documents_owner_created_idx ON documents (owner, created_at, id);
CREATE INDEX documents_sha256_idx ON documents (sha256);
CREATE INDEX documents_subject_idx ON documents (subject);

-- erasures audit every erasure: who, when, which subject (never personal data).
CREATE TABLE erasures (
    id        TEXT   NOT NULL PRIMARY KEY,
    subject   TEXT   NOT NULL,
    actor     TEXT   NOT NULL,
    forced    BIGINT NOT NULL, -- 1 when running workflows were overridden
    documents BIGINT NOT NULL, -- how many documents were deleted
    erased_at BIGINT NOT NULL
);
CREATE INDEX erasures_subject_idx ON erasures (subject);

-- +goose Down
DROP TABLE erasures;
DROP TABLE sealed_blobs;
DROP TABLE subject_keys;
DROP INDEX documents_subject_idx;
ALTER TABLE documents DROP COLUMN subject;
