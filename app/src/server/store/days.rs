//! Day rollups (`activity_days`, `activity_day_screens`) and the minute rows they are built from.

use futures::TryStreamExt;
use keytrack_wire::{ActivityMinute, DisplayPlace};

use super::activity::HourRecords;
use super::engine::{Db, on_engine};

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The format of stored rollups: postcard's compact binary after this version byte. Rollups are
/// sums of the minute records, so a new format comes with a migration that clears them, and the
/// server rebuilds them at start; or, when the new format only adds fields at the end, with a way
/// to read the old one (below) and a rebuild at start of the users who have it
/// (`rollups::build_missing`), which keeps the days retention took the records of.
const ROLLUP_FORMAT: u8 = 4;
/// Format 3 added `DayTotals::active` and `DayTotals::pairs` at the end, format 4
/// `DayTotals::apps` and `DayTotals::excluded_seconds`. Postcard writes fields in order, and an
/// empty list, an empty map and a zero are one zero byte each: so a format 3 rollup followed by
/// two zero bytes is that rollup in format 4 (blocks stored before format 4 name no application),
/// a format 2 rollup followed by four. The other types stored in this format did not change and
/// ignore the extra bytes.
const FORMAT_WITHOUT_APPS: u8 = 3;
pub(crate) const FORMAT_WITHOUT_ACTIVE_MINUTES: u8 = 2;

/// A stored rollup that does not decode.
#[derive(Debug, thiserror::Error)]
#[error("a stored day rollup is unreadable: {0}")]
pub struct UnreadableRollup(String);

pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, UnreadableRollup> {
    postcard::to_extend(value, vec![ROLLUP_FORMAT]).map_err(|e| UnreadableRollup(e.to_string()))
}

pub fn decode<T: DeserializeOwned>(stored: &[u8]) -> Result<T, UnreadableRollup> {
    match stored.split_first() {
        Some((&ROLLUP_FORMAT, rest)) => postcard::from_bytes(rest).map_err(|e| UnreadableRollup(e.to_string())),
        Some((&format @ (FORMAT_WITHOUT_APPS | FORMAT_WITHOUT_ACTIVE_MINUTES), rest)) => {
            let missing = if format == FORMAT_WITHOUT_APPS { 2 } else { 4 };
            let mut upgraded = Vec::with_capacity(rest.len() + missing);
            upgraded.extend_from_slice(rest);
            upgraded.resize(rest.len() + missing, 0);
            postcard::from_bytes(&upgraded).map_err(|e| UnreadableRollup(e.to_string()))
        }
        _ => Err(UnreadableRollup("unknown format".into())),
    }
}

/// Only the presses per key of a stored rollup ([`DayTotals`]'s first field, so the rest is never
/// decoded): what team averages of ergonomic figures need from each member-day.
///
/// [`DayTotals`]: crate::domain::rollup::DayTotals
pub fn decode_keys(stored: &[u8]) -> Result<Vec<i64>, UnreadableRollup> {
    match stored.split_first() {
        Some((&(ROLLUP_FORMAT | FORMAT_WITHOUT_APPS | FORMAT_WITHOUT_ACTIVE_MINUTES), rest)) => {
            postcard::take_from_bytes::<Vec<i64>>(rest)
                .map(|(keys, _)| keys)
                .map_err(|e| UnreadableRollup(e.to_string()))
        }
        _ => Err(UnreadableRollup("unknown format".into())),
    }
}

/// A day's chord counts (the `chords` column) as a list, the chords' names borrowed from
/// `stored`: what a team-year reads from thousands of member-days, without building a map and a
/// `String` for each.
pub fn decode_chords(stored: &[u8]) -> Result<Vec<(&str, i64)>, UnreadableRollup> {
    match stored.split_first() {
        // Format 3 only added fields to `DayTotals`: a chord map reads the same in both.
        Some((&(ROLLUP_FORMAT | FORMAT_WITHOUT_APPS | FORMAT_WITHOUT_ACTIVE_MINUTES), rest)) => {
            postcard::from_bytes::<ChordList<'_>>(rest).map(|list| list.0).map_err(|e| UnreadableRollup(e.to_string()))
        }
        _ => Err(UnreadableRollup("unknown format".into())),
    }
}

/// A stored chord map (`BTreeMap<String, i64>`) read as its entries, in stored order.
struct ChordList<'a>(Vec<(&'a str, i64)>);

impl<'de> serde::Deserialize<'de> for ChordList<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> serde::de::Visitor<'de> for Entries {
            type Value = ChordList<'de>;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("chord counts")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(1_024));
                while let Some(entry) = map.next_entry::<&'de str, i64>()? {
                    entries.push(entry);
                }
                Ok(ChordList(entries))
            }
        }
        deserializer.deserialize_map(Entries)
    }
}

/// A day rollup ready to store.
pub struct DayRow {
    pub day: String,
    pub totals: Vec<u8>,
    pub headline: Headline,
    /// The day's figures per clock hour, for team statistics.
    pub hours: Vec<u8>,
    /// The day's chord counts, for the team's top chords.
    pub chords: Vec<u8>,
}

/// A day's click and movement grids on one display, ready to store.
pub struct ScreenRow {
    pub day: String,
    pub place: DisplayPlace,
    pub clicks: Vec<u8>,
    pub moves: Vec<u8>,
}

/// A day's headline figures, kept in columns beside its rollup.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Headline {
    pub total_keys: i64,
    pub total_clicks: i64,
    pub active_seconds: i64,
    pub typed_keys: i64,
    pub typing_ms: i64,
}

/// Stores day rollups and their grids, each replacing the stored one (rebuilds, and uploads on
/// PostgreSQL; SQLite's uploads store theirs on the writer thread with the same statements,
/// `db::uploads`).
pub async fn save_rollups<'c>(
    db: impl Into<Db<'c>>,
    user_id: i64,
    days: &[DayRow],
    screens: &[ScreenRow],
) -> Result<(), sqlx::Error> {
    let mut db = db.into();
    let (save_day, save_screen) = (db.pick(SAVE_DAY, SAVE_DAY_POSTGRES), db.pick(SAVE_SCREEN, SAVE_SCREEN_POSTGRES));
    for row in days {
        let h = row.headline;
        on_engine!(db.reborrow(), |e| {
            sqlx::query(save_day)
                .bind(user_id)
                .bind(&row.day)
                .bind(&row.totals)
                .bind(h.total_keys)
                .bind(h.total_clicks)
                .bind(h.active_seconds)
                .bind(h.typed_keys)
                .bind(h.typing_ms)
                .bind(&row.hours)
                .bind(&row.chords)
                .execute(e)
                .await
                .map(|_| ())
        })?;
    }
    for row in screens {
        let p = &row.place;
        on_engine!(db.reborrow(), |e| {
            sqlx::query(save_screen)
                .bind(user_id)
                .bind(&row.day)
                .bind(i64::from(p.desktop_width))
                .bind(i64::from(p.desktop_height))
                .bind(i64::from(p.x))
                .bind(i64::from(p.y))
                .bind(i64::from(p.width))
                .bind(i64::from(p.height))
                .bind(&row.clicks)
                .bind(&row.moves)
                .execute(e)
                .await
                .map(|_| ())
        })?;
    }
    Ok(())
}

/// The statement that stores a day rollup, with the day as `$2` is spelled on the engine.
macro_rules! save_day {
    ($day:literal) => {
        concat!(
            "INSERT INTO activity_days (user_id, day, totals, total_keys, total_clicks, active_seconds, typed_keys,
                 typing_ms, hours, chords)
             VALUES ($1, ",
            $day,
            ", $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (user_id, day) DO UPDATE SET totals = excluded.totals, total_keys = excluded.total_keys,
                 total_clicks = excluded.total_clicks, active_seconds = excluded.active_seconds,
                 typed_keys = excluded.typed_keys, typing_ms = excluded.typing_ms, hours = excluded.hours,
                 chords = excluded.chords"
        )
    };
}

/// The statement that stores a day's grids on one display.
macro_rules! save_screen {
    ($day:literal) => {
        concat!(
            "INSERT INTO activity_day_screens
                 (user_id, day, desktop_width, desktop_height, x, y, width, height, clicks, moves)
             VALUES ($1, ",
            $day,
            ", $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (user_id, day, desktop_width, desktop_height, x, y, width, height)
             DO UPDATE SET clicks = excluded.clicks, moves = excluded.moves"
        )
    };
}

/// Stores a day rollup on SQLite (both connections use it: the pool's and the upload writer's).
pub const SAVE_DAY: &str = save_day!("$2");
const SAVE_DAY_POSTGRES: &str = save_day!("$2::date");
/// Stores a day's grids on one display on SQLite.
pub const SAVE_SCREEN: &str = save_screen!("$2");
const SAVE_SCREEN_POSTGRES: &str = save_screen!("$2::date");

/// A grid row as read: day, the display's place (six columns), clicks, moves.
type ScreenColumns = (String, i64, i64, i64, i64, i64, i64, Vec<u8>, Vec<u8>);

fn split_row(
    (day, desktop_width, desktop_height, x, y, width, height, clicks, moves): ScreenColumns,
) -> (String, DisplayPlace, Vec<u8>, Vec<u8>) {
    let size = |n: i64| u32::try_from(n).unwrap_or(0);
    let place = DisplayPlace {
        desktop_width: size(desktop_width),
        desktop_height: size(desktop_height),
        x: size(x),
        y: size(y),
        width: size(width),
        height: size(height),
    };
    (day, place, clicks, moves)
}

/// The headline figures of the days `from..=to` (`YYYY-MM-DD`), summed.
pub async fn headline_sum<'c>(
    db: impl Into<Db<'c>>,
    user_id: i64,
    from: &str,
    to: &str,
) -> Result<Headline, sqlx::Error> {
    let db = db.into();
    // PostgreSQL sums BIGINTs as NUMERIC: cast back. Its days are DATEs, named here as text.
    let sql = db.pick(
        "SELECT coalesce(sum(total_keys), 0) AS total_keys, coalesce(sum(total_clicks), 0) AS total_clicks,
                coalesce(sum(active_seconds), 0) AS active_seconds, coalesce(sum(typed_keys), 0) AS typed_keys,
                coalesce(sum(typing_ms), 0) AS typing_ms
         FROM activity_days WHERE user_id = $1 AND day >= $2 AND day <= $3",
        "SELECT coalesce(sum(total_keys), 0)::bigint AS total_keys,
                coalesce(sum(total_clicks), 0)::bigint AS total_clicks,
                coalesce(sum(active_seconds), 0)::bigint AS active_seconds,
                coalesce(sum(typed_keys), 0)::bigint AS typed_keys, coalesce(sum(typing_ms), 0)::bigint AS typing_ms
         FROM activity_days WHERE user_id = $1 AND day >= $2::date AND day <= $3::date",
    );
    on_engine!(db, |e| sqlx::query_as(sql).bind(user_id).bind(from).bind(to).fetch_one(e).await)
}

/// The headline figures of the user's minutes in `[start, end)`: a part of a day, which the day
/// rollups cannot give (today so far against yesterday up to the same time).
pub async fn headline_between<'c>(
    db: impl Into<Db<'c>>,
    user_id: i64,
    (start, end): (i64, i64),
) -> Result<Headline, sqlx::Error> {
    let mut sum = Headline::default();
    let add = |total: &mut i64, n: u64| *total = total.saturating_add(i64::try_from(n).unwrap_or(i64::MAX));
    for (_, hour) in super::activity::hours_between(db, user_id, (start, end)).await? {
        for record in hour.records.iter().filter(|r| (start..end).contains(&r.minute)) {
            add(&mut sum.total_keys, record.total_presses());
            add(&mut sum.total_clicks, record.clicks.total());
            add(&mut sum.active_seconds, u64::from(record.active_seconds));
            add(&mut sum.typed_keys, u64::from(record.typing.typed_keys));
            add(&mut sum.typing_ms, u64::from(record.typing.typing_ms));
        }
    }
    Ok(sum)
}

/// Deletes all the user's day rollups and grids.
pub async fn delete_all<'c>(db: impl Into<Db<'c>>, user_id: i64) -> Result<(), sqlx::Error> {
    let mut db = db.into();
    for sql in ["DELETE FROM activity_days WHERE user_id = $1", "DELETE FROM activity_day_screens WHERE user_id = $1"] {
        on_engine!(db.reborrow(), |e| sqlx::query(sql).bind(user_id).execute(e).await.map(|_| ()))?;
    }
    Ok(())
}

/// Deletes the user's day rollups and grids from day `first` (`YYYY-MM-DD`) on.
pub async fn delete_from<'c>(db: impl Into<Db<'c>>, user_id: i64, first: &str) -> Result<(), sqlx::Error> {
    let mut db = db.into();
    let statements = [
        db.pick(
            "DELETE FROM activity_days WHERE user_id = $1 AND day >= $2",
            "DELETE FROM activity_days WHERE user_id = $1 AND day >= $2::date",
        ),
        db.pick(
            "DELETE FROM activity_day_screens WHERE user_id = $1 AND day >= $2",
            "DELETE FROM activity_day_screens WHERE user_id = $1 AND day >= $2::date",
        ),
    ];
    for sql in statements {
        on_engine!(db.reborrow(), |e| sqlx::query(sql).bind(user_id).bind(first).execute(e).await.map(|_| ()))?;
    }
    Ok(())
}

/// The grids of the days `from..=to` (`YYYY-MM-DD`), with their day: (day, display, clicks, moves).
pub async fn screens_of_days<'c>(
    db: impl Into<Db<'c>>,
    user_id: i64,
    from: &str,
    to: &str,
) -> Result<Vec<(String, DisplayPlace, Vec<u8>, Vec<u8>)>, sqlx::Error> {
    let db = db.into();
    let sql = db.pick(
        "SELECT day, desktop_width, desktop_height, x, y, width, height, clicks, moves FROM activity_day_screens
         WHERE user_id = $1 AND day >= $2 AND day <= $3",
        "SELECT day::text, desktop_width::bigint, desktop_height::bigint, x::bigint, y::bigint, width::bigint,
                height::bigint, clicks, moves
         FROM activity_day_screens WHERE user_id = $1 AND day >= $2::date AND day <= $3::date",
    );
    let rows: Vec<ScreenColumns> =
        on_engine!(db, |e| sqlx::query_as(sql).bind(user_id).bind(from).bind(to).fetch_all(e).await)?;
    Ok(rows.into_iter().map(split_row).collect())
}

/// The user's first day with activity (`YYYY-MM-DD`).
pub async fn first_day<'c>(db: impl Into<Db<'c>>, user_id: i64) -> Result<Option<String>, sqlx::Error> {
    let db = db.into();
    let sql = db.pick(
        "SELECT min(day) FROM activity_days WHERE user_id = $1",
        "SELECT min(day)::text FROM activity_days WHERE user_id = $1",
    );
    on_engine!(db, |e| sqlx::query_scalar(sql).bind(user_id).fetch_one(e).await)
}

/// Rollups of the days `from..=to` (`YYYY-MM-DD`), encoded, in day order.
pub async fn range<'c>(
    db: impl Into<Db<'c>>,
    user_id: i64,
    from: &str,
    to: &str,
) -> Result<Vec<(String, Vec<u8>)>, sqlx::Error> {
    let db = db.into();
    let sql = db.pick(
        "SELECT day, totals FROM activity_days WHERE user_id = $1 AND day >= $2 AND day <= $3 ORDER BY day",
        "SELECT day::text, totals FROM activity_days
         WHERE user_id = $1 AND day >= $2::date AND day <= $3::date ORDER BY day",
    );
    on_engine!(db, |e| sqlx::query_as(sql).bind(user_id).bind(from).bind(to).fetch_all(e).await)
}

/// Calls `each` with every hour block of the user that counts at or after `from` (its last minute;
/// see `rollups::block_last_minute`), as stored (see `activity::RecordCodec`).
pub async fn for_each_block<'c>(
    db: impl Into<Db<'c>>,
    user_id: i64,
    from: i64,
    mut each: impl FnMut(&[u8]),
) -> Result<(), sqlx::Error> {
    let db = db.into();
    let sql = db.pick(
        "SELECT detail FROM activity_blocks WHERE user_id = $1 AND max(ends_at - 60, starts_at) >= $2",
        "SELECT detail FROM activity_blocks WHERE user_id = $1 AND greatest(ends_at - 60, starts_at) >= $2",
    );
    on_engine!(db, |e| {
        let mut rows = sqlx::query_scalar::<_, Vec<u8>>(sql).bind(user_id).bind(from).fetch(e);
        while let Some(detail) = rows.try_next().await? {
            each(&detail);
        }
        Ok(())
    })
}

/// Calls `each` with every minute record of the user from minute `from` on, every device's, in
/// minute order. Returns the number of stored hours that could not be read (left out).
pub async fn for_each_minute<'c>(
    db: impl Into<Db<'c>>,
    user_id: i64,
    from: i64,
    each: impl FnMut(&ActivityMinute),
) -> Result<usize, sqlx::Error> {
    on_engine!(db.into(), |e| {
        let rows = sqlx::query_as::<_, (i64, Vec<u8>)>(
            "SELECT hour, records FROM activity_hours
             WHERE user_id = $1 AND hour >= $2 AND last_minute >= $3 ORDER BY hour",
        )
        .bind(user_id)
        .bind(super::activity::first_hour_of(from))
        .bind(from)
        .fetch(e);
        minutes_in_order(rows, from, each).await
    })
}

/// The records of stored hours (in hour order) from minute `from` on, in minute order, to `each`.
async fn minutes_in_order(
    mut rows: impl futures::Stream<Item = Result<(i64, Vec<u8>), sqlx::Error>> + Unpin,
    from: i64,
    mut each: impl FnMut(&ActivityMinute),
) -> Result<usize, sqlx::Error> {
    let mut unreadable = 0;
    // The devices' records of the hour at hand, put in minute order once the next hour begins.
    let mut hour: (i64, Vec<ActivityMinute>) = (i64::MIN, Vec::new());
    let mut flush = |records: &mut Vec<ActivityMinute>| {
        records.sort_by_key(|r| r.minute);
        records.iter().filter(|r| r.minute >= from).for_each(&mut each);
        records.clear();
    };
    while let Some((start, stored)) = rows.try_next().await? {
        if start != hour.0 {
            flush(&mut hour.1);
            hour.0 = start;
        }
        match HourRecords::decode(start, &stored) {
            Ok(records) => hour.1.extend(records.records),
            Err(_) => unreadable += 1,
        }
    }
    flush(&mut hour.1);
    Ok(unreadable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rollup::DayTotals;

    #[test]
    fn rollups_round_trip_and_a_foreign_format_is_an_error() {
        let mut day = DayTotals::default().shaped();
        day.keys[3] = 12;
        day.chords.insert("Ctrl+KeyC".into(), 2);
        day.best_bursts.insert(960, 1);
        day.clicks = [3, 1, 0, 0];
        day.keys_by_hour[9] = -4;
        day.seconds_by_hour[23] = 7;
        let stored = encode(&day).expect("encode");
        assert_eq!(stored[0], ROLLUP_FORMAT);
        assert_eq!(decode::<DayTotals>(&stored).expect("decode"), day);
        assert!(decode::<DayTotals>(b"{\"keys\":{}}").is_err(), "JSON of the old format");
        assert!(decode::<DayTotals>(&stored[..stored.len() / 2]).is_err());
        assert!(decode::<DayTotals>(&[]).is_err());
    }

    #[test]
    fn a_rollup_stored_without_active_minutes_reads_as_one_with_none() {
        let mut day = DayTotals::default().shaped();
        day.keys[7] = 40;
        day.active_minutes = 3;
        crate::domain::breaks::set_minute(&mut day.active, 3, true);
        let stored = encode(&day).expect("encode");
        // The same rollup as format 2 wrote it: without the last four fields (the bit list's
        // length, 1, and its one word, 8; the empty pair list's length, 0; the empty application
        // map's, 0; no excluded seconds, 0: a byte each as varints).
        assert_eq!(stored[stored.len() - 5..], [1, 8, 0, 0, 0]);
        let mut old = stored[..stored.len() - 5].to_vec();
        old[0] = FORMAT_WITHOUT_ACTIVE_MINUTES;
        let read = decode::<DayTotals>(&old).expect("decode format 2");
        assert_eq!((read.keys[7], read.active_minutes, read.active.len()), (40, 3, 0));
    }

    #[test]
    fn a_rollup_stored_without_applications_reads_as_one_with_none() {
        let mut day = DayTotals::default().shaped();
        day.keys[7] = 40;
        day.pairs = vec![1, 2, 3, 4, 5, 6];
        let stored = encode(&day).expect("encode");
        // Format 3 ended with the pair list: the empty application map and the zero seconds
        // after it are a zero byte each.
        assert_eq!(stored[stored.len() - 2..], [0, 0]);
        let mut old = stored[..stored.len() - 2].to_vec();
        old[0] = FORMAT_WITHOUT_APPS;
        assert_eq!(decode::<DayTotals>(&old).expect("decode format 3"), day);
        day.apps.insert("xterm".into(), [3, 1, 20]);
        day.excluded_seconds = 9;
        assert_eq!(decode::<DayTotals>(&encode(&day).expect("encode")).expect("decode"), day);
    }
}
