-- Pairing an agent by code (RFC 8628's device flow): the agent asks for a code, its person
-- approves it in the web UI while logged in, and the agent collects an API token of its own.
CREATE TABLE pairing_requests (
    id               INTEGER PRIMARY KEY,
    -- the agent's secret for collecting its token, stored only as its SHA-256 (like tokens)
    device_code_hash BLOB    NOT NULL UNIQUE,
    -- what the person approves: XXXX-XXXX
    user_code        TEXT    NOT NULL UNIQUE,
    device_name      TEXT    NOT NULL,
    platform         TEXT    NOT NULL,
    agent_version    TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    -- who approved or denied it, and when; approved is 1 or 0 once decided
    user_id          INTEGER REFERENCES users (id) ON DELETE CASCADE,
    approved         INTEGER,
    decided_at       INTEGER,
    -- set when the agent collected its token: a code gives one token
    token_id         INTEGER REFERENCES api_tokens (id) ON DELETE SET NULL,
    collected_at     INTEGER
);
CREATE INDEX pairing_requests_by_expiry ON pairing_requests (expires_at);
