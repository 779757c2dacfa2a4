-- A site administrator, a sign-up policy, site invites, password resets and an audit log (issue 36).

-- The administrators of the server (a role apart from a team's roles); a disabled account keeps
-- everything but can do nothing; a session belongs to one `session_generation` of its account,
-- and moving it on ends every session of the account (a password reset or change, a disable);
-- `must_change_password`: the next login asks for a new one first.
ALTER TABLE users ADD COLUMN is_admin INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN disabled_at INTEGER;
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN last_login_at INTEGER;
ALTER TABLE users ADD COLUMN session_generation INTEGER NOT NULL DEFAULT 0;
-- A server made before administrators keeps one: its first account.
UPDATE users SET is_admin = 1 WHERE id = (SELECT min(id) FROM users);
CREATE INDEX users_by_admin ON users (is_admin) WHERE is_admin;

-- Settings an administrator changes in the UI: `signup` = open | invite | closed.
CREATE TABLE site_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- A server that had accounts before the policy existed stays open as it was; a new one starts
-- invite-only (the setting is absent, and absent reads as `invite`).
INSERT INTO site_settings (key, value) SELECT 'signup', 'open' WHERE EXISTS (SELECT 1 FROM users);

-- Links that let someone make an account when sign-up is by invite: single use, expiring,
-- revocable, optionally for one email address; stored as the SHA-256 of the code.
CREATE TABLE site_invites (
    id         INTEGER PRIMARY KEY,
    code_hash  BLOB    NOT NULL UNIQUE,
    email      TEXT,
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    used_by    INTEGER REFERENCES users (id) ON DELETE SET NULL,
    revoked_at INTEGER
);

-- One-time password reset links (by email, valid an hour; or made by an administrator, a day),
-- stored as the SHA-256 of the token.
CREATE TABLE password_resets (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash BLOB    NOT NULL UNIQUE,
    made_by    INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX password_resets_by_user ON password_resets (user_id);

-- What happened, who did it, to whom, when and from which address. Never a password, a token, a
-- link or a count of keys. Who and whom are kept by email too, so the record outlives a deleted
-- account.
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    action    TEXT    NOT NULL,
    actor_id  INTEGER,
    actor     TEXT    NOT NULL DEFAULT '',
    target_id INTEGER,
    target    TEXT    NOT NULL DEFAULT '',
    detail    TEXT    NOT NULL DEFAULT '',
    address   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_by_time ON audit_log (at);
CREATE INDEX audit_log_by_target ON audit_log (target_id, at);
CREATE INDEX audit_log_by_actor ON audit_log (actor_id, at);
CREATE INDEX audit_log_by_action ON audit_log (action, at);
