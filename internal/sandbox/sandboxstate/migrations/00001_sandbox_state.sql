-- One generic table holds every sandbox's state: each row is one object
-- (a session, an applicant, a queued webhook...) as JSON, written through
-- on every change. The sandbox that owns a row decides what kind and id mean.

-- +goose Up
CREATE TABLE sandbox_state (
    sandbox    TEXT NOT NULL, -- the owning sandbox, e.g. "mandarin"
    kind       TEXT NOT NULL, -- the object's kind within the sandbox
    id         TEXT NOT NULL, -- the object's id within the kind
    body       TEXT NOT NULL, -- the object as JSON
    updated_at TEXT NOT NULL, -- RFC 3339 UTC time of the last write, for people reading the file
    PRIMARY KEY (sandbox, kind, id)
);

-- +goose Down
DROP TABLE sandbox_state;
