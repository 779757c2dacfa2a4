-- Per-user-day sums of the minute records (domain::rollup::DayTotals), kept up to date in the
-- same transaction as every upload. Statistics read these: a year is 365 rows, not 125,000.
-- `day` is the user's day (their time zone and day start); changing either rebuilds the rows.
CREATE TABLE activity_days (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day     TEXT    NOT NULL,
    totals  TEXT    NOT NULL,
    -- headline figures out of `totals`, so that comparisons with another period sum columns
    -- instead of reading every day's JSON
    total_keys     INTEGER NOT NULL,
    total_clicks   INTEGER NOT NULL,
    active_seconds INTEGER NOT NULL,
    typed_keys     INTEGER NOT NULL,
    typing_ms      INTEGER NOT NULL,
    PRIMARY KEY (user_id, day)
) WITHOUT ROWID;
