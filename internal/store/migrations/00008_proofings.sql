-- Proofings: the issuer API's projection of each onboarding's proofing
-- status, written by the workflow's activity under a version that only
-- grows, so that getProofingStatus reads the database alone (it answers
-- while no worker runs) and never sees a status go backwards.
-- proofing_notifications is the outbox of status-change announcements,
-- written in the same transaction as the status it announces.

-- +goose Up
CREATE TABLE proofings (
    proofing_id         TEXT   NOT NULL PRIMARY KEY,
    device_reference_id TEXT   NOT NULL,
    workflow_id         TEXT   NOT NULL,
    status              TEXT   NOT NULL,  -- ProofingStates JSON, as served
    version             BIGINT NOT NULL,
    created_at          BIGINT NOT NULL,  -- Unix microseconds
    updated_at          BIGINT NOT NULL
);

CREATE TABLE proofing_notifications (
    id              TEXT   NOT NULL PRIMARY KEY,
    proofing_id     TEXT   NOT NULL,
    sequence        BIGINT NOT NULL,  -- the version announced
    created_at      BIGINT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL DEFAULT 0,  -- 0 once delivered
    delivered_at    BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT   NOT NULL DEFAULT '',
    UNIQUE (proofing_id, sequence)
);
CREATE INDEX proofing_notifications_due ON proofing_notifications (next_attempt_at) WHERE delivered_at = 0;

-- +goose Down
DROP TABLE proofing_notifications;
DROP TABLE proofings;
