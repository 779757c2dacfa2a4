-- Deleted accounts. Their ids are never given to a new account, so that nothing still naming one
-- (a session cookie in another browser) can ever act for someone else.
CREATE TABLE deleted_accounts (
    id         INTEGER PRIMARY KEY,
    deleted_at INTEGER NOT NULL
);

-- With `keytrack serve --retain-minutes-days N`, the user's records from before this instant (Unix
-- seconds, a whole hour) were removed. The day rollups of earlier days are kept as they were: a
-- rebuild (a new time zone or day start, a removed device) sums the days after it only.
ALTER TABLE users ADD COLUMN records_since INTEGER;
