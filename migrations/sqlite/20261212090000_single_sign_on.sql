-- Single sign-on (issue 37): the identities of an OpenID provider an account signs in with; the
-- same table as PostgreSQL's migration of the same name.

-- One row per (issuer, subject): the provider's own name for the person, which never changes
-- (unlike an email address). `email` is the address the provider gave when the row was made, for
-- the administrator's eyes. An account made by single sign-on has no password: its
-- `users.password_hash` is empty, and no password matches it.
CREATE TABLE sso_identities (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    issuer        TEXT    NOT NULL,
    subject       TEXT    NOT NULL,
    email         TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    last_login_at INTEGER,
    UNIQUE (issuer, subject)
);
CREATE INDEX sso_identities_by_user ON sso_identities (user_id);
