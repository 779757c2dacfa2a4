-- Teams: members with roles, each member's consent to share their own figures, and invites.
CREATE TABLE teams (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE team_members (
    team_id        INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role           TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    -- 1: the team sees this member's own figures; 0 (the default): they only count in team totals
    shares_figures INTEGER NOT NULL DEFAULT 0 CHECK (shares_figures IN (0, 1)),
    joined_at      INTEGER NOT NULL,
    PRIMARY KEY (team_id, user_id)
) WITHOUT ROWID;
CREATE INDEX team_members_by_user ON team_members (user_id);

CREATE TABLE team_invites (
    id         INTEGER PRIMARY KEY,
    team_id    INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    -- SHA-256 of the code: the link is shown once, like an API token
    code_hash  BLOB    NOT NULL UNIQUE,
    created_by INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    -- NULL: any number of people may join with it
    max_uses   INTEGER CHECK (max_uses IS NULL OR max_uses > 0),
    uses       INTEGER NOT NULL DEFAULT 0,
    revoked_at INTEGER
);
CREATE INDEX team_invites_by_team ON team_invites (team_id);

-- The parts of a day rollup that team statistics add up over many members, in columns of their
-- own so that a team-year reads small JSON instead of every member's whole day rollups.
ALTER TABLE activity_days ADD COLUMN chords TEXT NOT NULL DEFAULT '{}';
ALTER TABLE activity_days ADD COLUMN keys_by_hour TEXT NOT NULL DEFAULT '[]';
UPDATE activity_days
SET chords = coalesce(json_extract(totals, '$.chords'), '{}'),
    keys_by_hour = coalesce(json_extract(totals, '$.keys_by_hour'), '[]');
