-- Accounts, API tokens, devices and the per-minute activity they upload.
-- Times are Unix seconds (UTC).

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    email          TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    -- argon2id, PHC string format
    password_hash  TEXT    NOT NULL,
    display_name   TEXT    NOT NULL DEFAULT '',
    -- IANA name; analytics count days and hours in it
    timezone       TEXT    NOT NULL DEFAULT 'UTC',
    day_start_hour INTEGER NOT NULL DEFAULT 0 CHECK (day_start_hour BETWEEN 0 AND 23),
    created_at     INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    -- SHA-256 of the token: the token itself is shown once and never stored
    token_hash   BLOB    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);

CREATE TABLE devices (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- the id the agent made for itself; unique per user only
    agent_device_id TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    first_seen      INTEGER NOT NULL,
    last_seen       INTEGER NOT NULL,
    UNIQUE (user_id, agent_device_id)
);

-- One row per device and minute: a record sent again replaces the row (the idempotent merge rule).
CREATE TABLE activity_minutes (
    device_id      INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    minute         INTEGER NOT NULL,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    utc_offset     INTEGER NOT NULL,
    total_keys     INTEGER NOT NULL,
    total_clicks   INTEGER NOT NULL,
    active_seconds INTEGER NOT NULL,
    -- the whole record as the wire format's JSON
    detail         TEXT    NOT NULL,
    received_at    INTEGER NOT NULL,
    PRIMARY KEY (device_id, minute)
) WITHOUT ROWID;
CREATE INDEX activity_minutes_by_user ON activity_minutes (user_id, minute);
