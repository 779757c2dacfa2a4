-- Key detail (per-key counts, chords, pointer cells) now arrives in closed hour blocks of at least
-- 200 key presses (keytrack_wire::blocks); minute records keep totals only.
CREATE TABLE activity_blocks (
    id          INTEGER PRIMARY KEY,
    device_id   INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- start of the block's first hour and end of its last, Unix seconds
    starts_at   INTEGER NOT NULL,
    ends_at     INTEGER NOT NULL,
    presses     INTEGER NOT NULL,
    -- the block as the wire format's JSON, compressed (db::activity::RecordCodec)
    detail      BLOB    NOT NULL,
    received_at INTEGER NOT NULL,
    -- a block sent again (a retry) replaces the stored one
    UNIQUE (device_id, starts_at)
);
CREATE INDEX activity_blocks_by_user ON activity_blocks (user_id, ends_at);

-- Minute records of the first release hold key detail: `keytrack serve` folds it into blocks by
-- the same rule when it starts, user by user (rollups::fold_first_release_detail).
CREATE TABLE minute_detail_to_fold (user_id INTEGER PRIMARY KEY);
INSERT INTO minute_detail_to_fold SELECT DISTINCT user_id FROM activity_minutes;

-- Day rollups gain figures hour by hour (team statistics are made of member-hours). Rollups are
-- sums of the records, so they are not converted: the server rebuilds them when it starts.
DROP TABLE activity_days;
DELETE FROM activity_day_screens;
CREATE TABLE activity_days (
    id             INTEGER PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- the user's day (their time zone and day start), YYYY-MM-DD
    day            TEXT    NOT NULL,
    -- the whole rollup (domain::rollup::DayTotals), encoded
    totals         BLOB    NOT NULL,
    -- headline figures, so that comparisons with another period sum columns
    total_keys     INTEGER NOT NULL,
    total_clicks   INTEGER NOT NULL,
    active_seconds INTEGER NOT NULL,
    typed_keys     INTEGER NOT NULL,
    typing_ms      INTEGER NOT NULL,
    -- the parts team statistics read, encoded on their own: figures per hour, chord counts
    hours          BLOB    NOT NULL,
    chords         BLOB    NOT NULL,
    UNIQUE (user_id, day)
);
