-- Minute records move to one row per device and clock hour (UTC): an upload of an hour of
-- minutes writes one row and two index entries instead of sixty of each (BENCHMARKS.md). The row
-- holds the hour's records (db::activity::HourRecords) and their sums; `first_minute` and
-- `last_minute` tell whether a range of minutes takes the whole row or part of it (a day of a
-- time zone half an hour off UTC begins inside an hour).
CREATE TABLE activity_hours (
    id             INTEGER PRIMARY KEY,
    device_id      INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    -- start of the hour, Unix seconds
    hour           INTEGER NOT NULL,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    first_minute   INTEGER NOT NULL,
    last_minute    INTEGER NOT NULL,
    -- sums of the hour's records
    minutes        INTEGER NOT NULL,
    total_keys     INTEGER NOT NULL,
    total_clicks   INTEGER NOT NULL,
    active_seconds INTEGER NOT NULL,
    records        BLOB    NOT NULL,
    received_at    INTEGER NOT NULL,
    -- one row per device and hour; a record sent again replaces its copy inside the row
    UNIQUE (device_id, hour)
);
CREATE INDEX activity_hours_by_user ON activity_hours (user_id, hour);
-- The records of `activity_minutes` need decoding to move, so `keytrack serve` moves them when it
-- starts (rollups::move_minutes_into_hours) and then drops that table.
