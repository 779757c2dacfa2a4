-- Day rollups move to rowid tables that hold them in a compact binary form (db::days): as JSON
-- (2-4 KB a day) and as two dense 9 KB position grids, in WITHOUT ROWID tables, every row spilled
-- into overflow pages and a year's statistics read thousands of pages. Rollups are sums of the
-- minute records, so they are not converted: `keytrack serve` rebuilds them from the minute
-- records when it starts (rollups::build_missing), as for data from before rollups existed.
DROP TABLE activity_days;
DROP TABLE activity_day_screens;

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
    -- the parts team statistics add up over many members, encoded on their own
    chords         BLOB    NOT NULL,
    keys_by_hour   BLOB    NOT NULL,
    UNIQUE (user_id, day)
);

-- Click and movement positions per user day and screen size on the wire format's 64x36 grid,
-- only the cells with any count (domain::rollup::ScreenGrid::to_blobs).
CREATE TABLE activity_day_screens (
    id      INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day     TEXT    NOT NULL,
    width   INTEGER NOT NULL,
    height  INTEGER NOT NULL,
    clicks  BLOB    NOT NULL,
    moves   BLOB    NOT NULL,
    UNIQUE (user_id, day, width, height)
);
