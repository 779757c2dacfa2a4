-- Click and movement positions per user day and screen size, on the wire format's 64x36 grid:
-- each grid is 2,304 counts as little-endian u32 (9 KiB), kept apart from activity_days so that
-- only the heatmaps read them. Maintained with activity_days, in the same transactions.
CREATE TABLE activity_day_screens (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day     TEXT    NOT NULL,
    width   INTEGER NOT NULL,
    height  INTEGER NOT NULL,
    clicks  BLOB    NOT NULL,
    moves   BLOB    NOT NULL,
    PRIMARY KEY (user_id, day, width, height)
) WITHOUT ROWID;
