-- Click and movement grids per display: a desktop of several monitors keeps one grid per monitor,
-- named by the desktop's size and where the monitor sits on it (wire::DisplayPlace). The grids
-- kept so far were each a whole screen: the one display of a desktop of its own size, at (0, 0).
CREATE TABLE activity_day_displays (
    id             INTEGER PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day            TEXT    NOT NULL,
    desktop_width  INTEGER NOT NULL,
    desktop_height INTEGER NOT NULL,
    x              INTEGER NOT NULL,
    y              INTEGER NOT NULL,
    width          INTEGER NOT NULL,
    height         INTEGER NOT NULL,
    clicks         BLOB    NOT NULL,
    moves          BLOB    NOT NULL,
    UNIQUE (user_id, day, desktop_width, desktop_height, x, y, width, height)
);

INSERT INTO activity_day_displays (user_id, day, desktop_width, desktop_height, x, y, width, height, clicks, moves)
SELECT user_id, day, width, height, 0, 0, width, height, clicks, moves FROM activity_day_screens;

DROP TABLE activity_day_screens;
ALTER TABLE activity_day_displays RENAME TO activity_day_screens;
