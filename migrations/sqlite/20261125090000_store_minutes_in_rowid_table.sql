-- Minute records move to an ordinary rowid table. A WITHOUT ROWID b-tree keeps at most about
-- 1,000 bytes of a row in its page and spills the rest to an overflow page of its own, so rows
-- of a kilobyte or two left most of every page empty (measured: 174 MB of pages for 66 MB of
-- records). `detail` now holds the record compressed (see db::activity::RecordCodec); rows
-- copied here keep their plain JSON text, which reads the same.
CREATE TABLE activity_minutes_compact (
    id             INTEGER PRIMARY KEY,
    device_id      INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    minute         INTEGER NOT NULL,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    utc_offset     INTEGER NOT NULL,
    total_keys     INTEGER NOT NULL,
    total_clicks   INTEGER NOT NULL,
    active_seconds INTEGER NOT NULL,
    detail         BLOB    NOT NULL,
    received_at    INTEGER NOT NULL,
    -- one row per device and minute: a record sent again replaces the row (the merge rule)
    UNIQUE (device_id, minute)
);
INSERT INTO activity_minutes_compact
    (device_id, minute, user_id, utc_offset, total_keys, total_clicks, active_seconds, detail, received_at)
SELECT device_id, minute, user_id, utc_offset, total_keys, total_clicks, active_seconds, detail, received_at
FROM activity_minutes ORDER BY user_id, minute;
DROP TABLE activity_minutes;
ALTER TABLE activity_minutes_compact RENAME TO activity_minutes;
CREATE INDEX activity_minutes_by_user ON activity_minutes (user_id, minute);
