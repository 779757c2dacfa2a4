-- Two-factor sign-in (issue 37): an account's TOTP secret and its recovery codes; the same
-- tables as PostgreSQL's migration of the same name.

-- One secret per account. While `confirmed_at` is NULL the account is setting it up (a code from
-- the app confirms it); `last_step` is the 30-second step of the last code accepted, so no code
-- of that step or an earlier one is accepted again.
CREATE TABLE two_factor (
    user_id      INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret       BLOB    NOT NULL,
    created_at   INTEGER NOT NULL,
    confirmed_at INTEGER,
    last_step    INTEGER NOT NULL DEFAULT 0
);

-- Single-use codes for a lost phone, stored as SHA-256 hashes (each holds 60 random bits).
CREATE TABLE recovery_codes (
    id        INTEGER PRIMARY KEY,
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash BLOB    NOT NULL,
    used_at   INTEGER
);
CREATE INDEX recovery_codes_by_user ON recovery_codes (user_id);
