-- FNS identification agents: each acts under its own API token, returned
-- when the partner creates the agent. Workflows name an agent by its FNS
-- id; the activity takes the token from here, so it never enters history.
-- (Tokens are kept as FNS gives them; the personal-data issue encrypts
-- this store.)

-- +goose Up
CREATE TABLE fns_agents (
    agent_id    TEXT   NOT NULL PRIMARY KEY,
    username    TEXT   NOT NULL,
    token       TEXT   NOT NULL,
    created_at  BIGINT NOT NULL
);

-- +goose Down
DROP TABLE fns_agents;
