//! Devices, their minute records (totals, one row per device and clock hour) and their hour
//! blocks (key detail).

use keytrack_wire::blocks::hour_of;
use keytrack_wire::{ActivityMinute, Burst, ButtonCounts, HourBlock, ScrollCounts, TypingStats};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;

use super::engine::{Db, on_engine};

/// A stored minute record that cannot be read back.
#[derive(Debug, thiserror::Error)]
#[error("a stored minute record is unreadable: {0}")]
pub struct UnreadableRecord(String);

fn unreadable(e: impl std::fmt::Display) -> UnreadableRecord {
    UnreadableRecord(e.to_string())
}

/// The largest record JSON a stored frame may claim to hold (a record of a 1 MiB upload is smaller).
const MAX_RECORD_JSON: u64 = 4 << 20;

/// How hour blocks are stored, and how minute records were before hour rows (read once more, when
/// they move: `rollups::move_minutes_into_hours`): the wire format's JSON (self-describing, so
/// records stay readable when the format gains fields), zstd-compressed at level 1. Rows written
/// before compression hold the plain JSON, which starts with `{`; a zstd frame never does. One
/// codec serves a whole upload or rebuild: it keeps its compression contexts instead of setting
/// up new ones for every record.
pub struct RecordCodec {
    compressor: zstd::bulk::Compressor<'static>,
    decompressor: zstd::bulk::Decompressor<'static>,
    json: Vec<u8>,
}

impl RecordCodec {
    /// Runs `work` with this thread's codec: compression contexts take hundreds of kilobytes, so
    /// each thread keeps one rather than every upload making its own. (`work` must not wait on
    /// anything: it runs with the codec borrowed.)
    pub fn with<T>(work: impl FnOnce(&mut RecordCodec) -> Result<T, UnreadableRecord>) -> Result<T, UnreadableRecord> {
        thread_local! {
            static CODEC: std::cell::RefCell<Option<RecordCodec>> = const { std::cell::RefCell::new(None) };
        }
        CODEC.with(|cell| {
            let mut slot = cell.try_borrow_mut().map_err(|_| unreadable("the codec is in use"))?;
            let codec = match slot.as_mut() {
                Some(codec) => codec,
                None => slot.insert(RecordCodec::new()?),
            };
            work(codec)
        })
    }

    pub fn new() -> Result<RecordCodec, UnreadableRecord> {
        Ok(RecordCodec {
            compressor: zstd::bulk::Compressor::new(1).map_err(unreadable)?,
            decompressor: zstd::bulk::Decompressor::new().map_err(unreadable)?,
            json: Vec::new(),
        })
    }

    pub fn encode<T: Serialize>(&mut self, record: &T) -> Result<Vec<u8>, UnreadableRecord> {
        self.json.clear();
        serde_json::to_writer(&mut self.json, record).map_err(unreadable)?;
        self.compressor.compress(&self.json).map_err(unreadable)
    }

    pub fn decode<T: DeserializeOwned>(&mut self, stored: &[u8]) -> Result<T, UnreadableRecord> {
        if stored.first() == Some(&b'{') {
            return serde_json::from_slice(stored).map_err(unreadable);
        }
        let size = zstd::zstd_safe::get_frame_content_size(stored)
            .map_err(|_| unreadable("not a zstd frame"))?
            .filter(|size| *size <= MAX_RECORD_JSON)
            .ok_or_else(|| unreadable("a frame without a plausible size"))?;
        let json = self.decompressor.decompress(stored, size as usize).map_err(unreadable)?;
        serde_json::from_slice(&json).map_err(unreadable)
    }
}

/// One device's minute records of one clock hour (UTC), as one row of `activity_hours` holds
/// them.
///
/// Why a row per hour and not per minute: an upload carries up to an hour of minutes at a time,
/// and storing each as a row of its own, with its two index entries, was most of SQLite's share of
/// the upload path (BENCHMARKS.md). A row per hour is one row and two index entries for those
/// minutes; a minute sent again replaces its copy inside the row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HourRecords {
    /// Start of the hour, Unix seconds.
    pub hour: i64,
    /// The hour's records, each minute once, in minute order.
    pub records: Vec<ActivityMinute>,
}

/// The first byte of an encoded hour: its layout, so that a later one can be told apart.
const HOUR_FORMAT: u8 = 1;

/// A minute record as an hour row stores it: totals only (a record's first-release key detail,
/// which the server never keeps, has no place here), in postcard's compact form.
#[derive(Serialize, Deserialize)]
struct StoredMinute {
    minute_of_hour: u8,
    utc_offset: i16,
    presses: u32,
    active_seconds: u32,
    clicks: [u32; 4],
    distance_px: u64,
    scroll: [u32; 2],
    typed_keys: u32,
    typing_ms: u32,
    bursts: u32,
    best_burst: Option<(u32, u32)>,
    intervals: Vec<u32>,
}

impl HourRecords {
    /// The records' sums, as the row's columns keep them: (minutes, key presses, clicks, active
    /// seconds).
    pub fn totals(&self) -> (i64, i64, i64, i64) {
        self.records.iter().fold((0, 0, 0, 0), |(n, keys, clicks, seconds), r| {
            let count = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
            (
                n + 1,
                keys + count(r.total_presses()),
                clicks + count(r.clicks.total()),
                seconds + i64::from(r.active_seconds),
            )
        })
    }

    /// Replaces the record of `record`'s minute (or adds it); returns the copy it replaced.
    pub fn replace(&mut self, record: ActivityMinute) -> Option<ActivityMinute> {
        match self.records.binary_search_by_key(&record.minute, |r| r.minute) {
            Ok(at) => Some(std::mem::replace(&mut self.records[at], record)),
            Err(at) => {
                self.records.insert(at, record);
                None
            }
        }
    }

    /// The record of a minute of this hour.
    pub fn get(&self, minute: i64) -> Option<&ActivityMinute> {
        self.records.binary_search_by_key(&minute, |r| r.minute).ok().map(|at| &self.records[at])
    }

    pub fn encode(&self) -> Result<Vec<u8>, UnreadableRecord> {
        let stored: Vec<StoredMinute> = self
            .records
            .iter()
            .map(|r| StoredMinute {
                minute_of_hour: u8::try_from((r.minute - self.hour) / 60).unwrap_or(u8::MAX),
                utc_offset: r.utc_offset,
                presses: u32::try_from(r.total_presses()).unwrap_or(u32::MAX),
                active_seconds: r.active_seconds,
                clicks: [r.clicks.left, r.clicks.right, r.clicks.middle, r.clicks.other],
                distance_px: r.distance_px,
                scroll: [r.scroll.vertical, r.scroll.horizontal],
                typed_keys: r.typing.typed_keys,
                typing_ms: r.typing.typing_ms,
                bursts: r.typing.bursts,
                best_burst: r.typing.best_burst.map(|b| (b.typed_keys, b.typing_ms)),
                intervals: r.typing.intervals.clone(),
            })
            .collect();
        if stored.iter().any(|m| m.minute_of_hour >= 60) {
            return Err(unreadable("a record outside its hour"));
        }
        let mut out = vec![HOUR_FORMAT];
        postcard::to_io(&stored, &mut out).map_err(unreadable)?;
        Ok(out)
    }

    pub fn decode(hour: i64, stored: &[u8]) -> Result<HourRecords, UnreadableRecord> {
        let Some((&HOUR_FORMAT, body)) = stored.split_first() else {
            return Err(unreadable("an hour of records in an unknown layout"));
        };
        let (minutes, rest): (Vec<StoredMinute>, _) = postcard::take_from_bytes(body).map_err(unreadable)?;
        if !rest.is_empty() {
            return Err(unreadable("bytes after an hour of records"));
        }
        let mut records: Vec<ActivityMinute> = minutes
            .into_iter()
            .filter(|m| m.minute_of_hour < 60)
            .map(|m| ActivityMinute {
                minute: hour + i64::from(m.minute_of_hour) * 60,
                utc_offset: m.utc_offset,
                presses: m.presses,
                typing: TypingStats {
                    typed_keys: m.typed_keys,
                    typing_ms: m.typing_ms,
                    bursts: m.bursts,
                    best_burst: m.best_burst.map(|(typed_keys, typing_ms)| Burst { typed_keys, typing_ms }),
                    intervals: m.intervals,
                },
                clicks: ButtonCounts { left: m.clicks[0], right: m.clicks[1], middle: m.clicks[2], other: m.clicks[3] },
                distance_px: m.distance_px,
                scroll: ScrollCounts { vertical: m.scroll[0], horizontal: m.scroll[1] },
                active_seconds: m.active_seconds,
                ..Default::default()
            })
            .collect();
        records.sort_by_key(|r| r.minute);
        records.dedup_by_key(|r| r.minute);
        Ok(HourRecords { hour, records })
    }

    /// Groups records by their hour, each hour's in minute order.
    pub fn group(records: impl IntoIterator<Item = ActivityMinute>) -> Vec<HourRecords> {
        let mut hours: std::collections::BTreeMap<i64, HourRecords> = std::collections::BTreeMap::new();
        for record in records {
            let hour = hour_of(record.minute);
            hours.entry(hour).or_insert_with(|| HourRecords { hour, records: Vec::new() }).replace(record);
        }
        hours.into_values().collect()
    }
}

/// An hour of minute records ready to store.
pub struct HourRow<'a> {
    pub hour: &'a HourRecords,
    pub encoded: &'a [u8],
}

/// An hour block ready to store.
pub struct BlockRow<'a> {
    pub block: &'a HourBlock,
    pub encoded: &'a [u8],
}

/// The statement that stores an hour of a device's minute records, replacing the stored row of
/// that hour (the row's key, `$conflict`, is the engine's): (device, hour, user, first minute, last
/// minute, minutes, key presses, clicks, active seconds, records, received at).
macro_rules! replace_hour_sql {
    ($conflict:literal) => {
        concat!(
            "INSERT INTO activity_hours
                 (device_id, hour, user_id, first_minute, last_minute, minutes, total_keys, total_clicks,
                  active_seconds, records, received_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT ",
            $conflict,
            " DO UPDATE SET
                 first_minute = excluded.first_minute, last_minute = excluded.last_minute,
                 minutes = excluded.minutes, total_keys = excluded.total_keys, total_clicks = excluded.total_clicks,
                 active_seconds = excluded.active_seconds, records = excluded.records,
                 received_at = excluded.received_at"
        )
    };
}

/// [`replace_hour_sql!`] on SQLite, for the upload writer's and the pool's connections.
pub const REPLACE_HOUR: &str = replace_hour_sql!("(device_id, hour)");
/// [`replace_hour_sql!`] on PostgreSQL, whose rows are keyed by user first.
const REPLACE_HOUR_POSTGRES: &str = replace_hour_sql!("(user_id, device_id, hour)");

/// Stores the blocks of one device, each replacing a stored block with the same start.
pub async fn replace_blocks(
    conn: &mut SqliteConnection,
    device_id: i64,
    user_id: i64,
    rows: &[BlockRow<'_>],
    now: i64,
) -> Result<(), sqlx::Error> {
    for row in rows {
        sqlx::query(
            "INSERT INTO activity_blocks (device_id, user_id, starts_at, ends_at, presses, detail, received_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (device_id, starts_at) DO UPDATE SET ends_at = excluded.ends_at,
                 presses = excluded.presses, detail = excluded.detail, received_at = excluded.received_at",
        )
        .bind(device_id)
        .bind(user_id)
        .bind(row.block.start)
        .bind(row.block.end)
        .bind(i64::try_from(row.block.presses()).unwrap_or(i64::MAX))
        .bind(row.encoded)
        .bind(now)
        .persistent(true)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The user's most recently heard device: its name (its id when unnamed) and when it last uploaded.
pub async fn last_upload<'c>(db: impl Into<Db<'c>>, user_id: i64) -> Result<Option<(String, i64)>, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query_as(
            "SELECT CASE WHEN name = '' THEN agent_device_id ELSE name END, last_seen FROM devices
             WHERE user_id = $1 ORDER BY last_seen DESC LIMIT 1",
        )
        .bind(user_id)
        .fetch_optional(e)
        .await
    })
}

/// Key presses and clicks per minute from `since` on, all devices together, oldest first (minutes
/// without activity left out).
pub async fn minute_totals_since<'c>(
    db: impl Into<Db<'c>>,
    user_id: i64,
    since: i64,
) -> Result<Vec<(i64, i64, i64)>, sqlx::Error> {
    let mut totals: std::collections::BTreeMap<i64, (i64, i64)> = std::collections::BTreeMap::new();
    for (_, hour) in hours_between(db, user_id, (since, i64::MAX)).await? {
        for record in hour.records {
            let sums = totals.entry(record.minute).or_default();
            sums.0 += i64::try_from(record.total_presses()).unwrap_or(i64::MAX);
            sums.1 += i64::try_from(record.clicks.total()).unwrap_or(i64::MAX);
        }
    }
    Ok(totals.into_iter().map(|(minute, (keys, clicks))| (minute, keys, clicks)).collect())
}

impl From<UnreadableRecord> for sqlx::Error {
    fn from(e: UnreadableRecord) -> Self {
        sqlx::Error::Decode(Box::new(e))
    }
}

/// The first hour whose row may hold a minute at or after `minute`.
pub(crate) fn first_hour_of(minute: i64) -> i64 {
    hour_of(minute.max(i64::MIN + 3_600))
}

/// The user's minute records in `[start, end)`, by device and hour, in hour order (and device
/// order within an hour).
pub async fn hours_between<'c>(
    db: impl Into<Db<'c>>,
    user_id: i64,
    (start, end): (i64, i64),
) -> Result<Vec<(i64, HourRecords)>, sqlx::Error> {
    let rows: Vec<(i64, i64, Vec<u8>)> = on_engine!(db.into(), |e| {
        sqlx::query_as(
            "SELECT device_id, hour, records FROM activity_hours
             WHERE user_id = $1 AND hour >= $2 AND hour < $3 AND last_minute >= $4 ORDER BY hour, device_id",
        )
        .bind(user_id)
        .bind(first_hour_of(start))
        .bind(end)
        .bind(start)
        .fetch_all(e)
        .await
    })?;
    let mut hours = Vec::with_capacity(rows.len());
    for (device_id, hour, stored) in rows {
        let mut records = HourRecords::decode(hour, &stored)?;
        records.records.retain(|r| r.minute >= start && r.minute < end);
        if !records.records.is_empty() {
            hours.push((device_id, records));
        }
    }
    Ok(hours)
}

/// Up to `limit` hours of the user's device's minute records starting after `after`, in order.
pub async fn hours_of_device<'c>(
    db: impl Into<Db<'c>>,
    user_id: i64,
    device_id: i64,
    after: i64,
    limit: i64,
) -> Result<Vec<HourRecords>, sqlx::Error> {
    let rows: Vec<(i64, Vec<u8>)> = on_engine!(db.into(), |e| {
        sqlx::query_as(
            "SELECT hour, records FROM activity_hours WHERE user_id = $1 AND device_id = $2 AND hour > $3
             ORDER BY hour LIMIT $4",
        )
        .bind(user_id)
        .bind(device_id)
        .bind(after)
        .bind(limit)
        .fetch_all(e)
        .await
    })?;
    rows.iter().map(|(hour, stored)| Ok(HourRecords::decode(*hour, stored)?)).collect()
}

/// Stores an hour of a device's minute records (of the user) through the pool's connection;
/// an hour left without records is deleted.
pub async fn save_hour<'c>(
    db: impl Into<Db<'c>>,
    device_id: i64,
    user_id: i64,
    hour: &HourRecords,
    now: i64,
) -> Result<(), sqlx::Error> {
    let db = db.into();
    let (Some(first), Some(last)) = (hour.records.first(), hour.records.last()) else {
        return on_engine!(db, |e| {
            sqlx::query("DELETE FROM activity_hours WHERE user_id = $1 AND device_id = $2 AND hour = $3")
                .bind(user_id)
                .bind(device_id)
                .bind(hour.hour)
                .execute(e)
                .await
                .map(|_| ())
        });
    };
    let encoded = hour.encode()?;
    replace_hour(db, device_id, user_id, (hour, first.minute, last.minute), &encoded, now).await
}

/// Stores a non-empty hour of records (with its first and last minute), already `encoded`,
/// replacing the stored row of that hour: rebuilds and deletions, and PostgreSQL's upload path.
pub async fn replace_hour<'c>(
    db: impl Into<Db<'c>>,
    device_id: i64,
    user_id: i64,
    (hour, first_minute, last_minute): (&HourRecords, i64, i64),
    encoded: &[u8],
    now: i64,
) -> Result<(), sqlx::Error> {
    let db = db.into();
    let (minutes, keys, clicks, seconds) = hour.totals();
    let sql = db.pick(REPLACE_HOUR, REPLACE_HOUR_POSTGRES);
    on_engine!(db, |e| {
        sqlx::query(sql)
            .bind(device_id)
            .bind(hour.hour)
            .bind(user_id)
            .bind(first_minute)
            .bind(last_minute)
            .bind(minutes)
            .bind(keys)
            .bind(clicks)
            .bind(seconds)
            .bind(encoded)
            .bind(now)
            .execute(e)
            .await
            .map(|_| ())
    })
}

/// The records of hour rows deleted, from their `minutes` (as `RETURNING minutes` gives them).
pub(crate) fn minutes_deleted(hours: &[i64]) -> u64 {
    hours.iter().map(|n| u64::try_from(*n).unwrap_or(0)).sum()
}

/// Deletes the user's minute records in `[start, end)`: whole hours at once, and from an hour
/// that holds minutes outside the range too, those in it. Returns the number of records deleted.
pub async fn delete_minutes<'c>(
    db: impl Into<Db<'c>>,
    user_id: i64,
    (start, end): (i64, i64),
    now: i64,
) -> Result<u64, sqlx::Error> {
    let mut db = db.into();
    let whole: Vec<i64> = on_engine!(db.reborrow(), |e| {
        sqlx::query_scalar(
            "DELETE FROM activity_hours
             WHERE user_id = $1 AND hour >= $2 AND hour < $3 AND first_minute >= $4 AND last_minute < $3
             RETURNING minutes",
        )
        .bind(user_id)
        .bind(first_hour_of(start))
        .bind(end)
        .bind(start)
        .fetch_all(e)
        .await
    })?;
    let mut deleted = minutes_deleted(&whole);
    // What is left in the range lies in hours that reach outside it: at most the first and the
    // last hour of each device.
    let partial: Vec<(i64, i64, Vec<u8>)> = on_engine!(db.reborrow(), |e| {
        sqlx::query_as(
            "SELECT device_id, hour, records FROM activity_hours
             WHERE user_id = $1 AND hour >= $2 AND hour < $3 AND last_minute >= $4 AND first_minute < $3",
        )
        .bind(user_id)
        .bind(first_hour_of(start))
        .bind(end)
        .bind(start)
        .fetch_all(e)
        .await
    })?;
    for (device_id, hour, stored) in partial {
        let mut records = HourRecords::decode(hour, &stored)?;
        let before = records.records.len();
        records.records.retain(|r| r.minute < start || r.minute >= end);
        deleted += (before - records.records.len()) as u64;
        save_hour(db.reborrow(), device_id, user_id, &records, now).await?;
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_back_compressed_or_as_the_json_older_rows_hold() {
        let record = ActivityMinute {
            minute: 1_795_500_000,
            utc_offset: 60,
            presses: 4,
            active_seconds: 20,
            ..Default::default()
        };
        let mut codec = RecordCodec::new().expect("codec");
        let encoded = codec.encode(&record).expect("encode");
        assert_eq!(encoded[..4], [0x28, 0xb5, 0x2f, 0xfd], "a zstd frame");
        assert_eq!(codec.decode::<ActivityMinute>(&encoded).expect("decode"), record);
        assert_eq!(codec.encode(&record).expect("encode again"), encoded, "the codec is reusable");
        let legacy = serde_json::to_vec(&record).expect("json");
        assert_eq!(codec.decode::<ActivityMinute>(&legacy).expect("decode legacy"), record);
        assert!(codec.decode::<ActivityMinute>(b"garbage").is_err());
        assert!(
            codec.decode::<ActivityMinute>(&encoded[..encoded.len() / 2]).is_err(),
            "a cut frame is an error, not a panic"
        );
        let mut block = HourBlock::for_hour(3_600);
        block.add_key("KeyA", 200);
        let encoded = codec.encode(&block).expect("encode");
        assert_eq!(codec.decode::<HourBlock>(&encoded).expect("decode"), block);
    }

    #[test]
    fn an_hour_of_records_reads_back_as_sent_and_holds_totals_only() {
        let hour = 1_795_500_000; // a whole hour
        let full = ActivityMinute {
            minute: hour + 59 * 60,
            utc_offset: -330,
            presses: 120,
            typing: TypingStats {
                typed_keys: 100,
                typing_ms: 20_000,
                bursts: 3,
                best_burst: Some(Burst { typed_keys: 40, typing_ms: 6_000 }),
                intervals: vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 25],
            },
            clicks: ButtonCounts { left: 4, right: 1, middle: 0, other: 2 },
            distance_px: 123_456,
            scroll: ScrollCounts { vertical: 9, horizontal: 1 },
            active_seconds: 58,
            ..Default::default()
        };
        let quiet = ActivityMinute { minute: hour, presses: 1, active_seconds: 2, ..Default::default() };
        let mut records = HourRecords { hour, records: Vec::new() };
        assert_eq!(records.replace(full.clone()), None);
        assert_eq!(records.replace(quiet.clone()), None);
        assert_eq!(records.records, vec![quiet.clone(), full.clone()], "in minute order");
        let stored = records.encode().expect("encode");
        assert_eq!(stored[0], HOUR_FORMAT);
        assert_eq!(HourRecords::decode(hour, &stored).expect("decode"), records);
        assert_eq!(records.totals(), (2, 121, 7, 60));

        // A minute sent again replaces its copy.
        let again = ActivityMinute { presses: 5, ..quiet.clone() };
        assert_eq!(records.replace(again.clone()), Some(quiet));
        assert_eq!(records.get(hour), Some(&again));

        // First-release key detail has no place in the row.
        let mut legacy = ActivityMinute { minute: hour + 60, ..Default::default() };
        legacy.keys.insert("KeyA".into(), 3);
        let one = HourRecords { hour, records: vec![legacy] };
        let read = HourRecords::decode(hour, &one.encode().expect("encode")).expect("decode");
        assert!(read.records[0].keys.is_empty());
        assert_eq!(read.records[0].presses, 3, "counted in the total");

        assert!(HourRecords::decode(hour, &stored[..stored.len() - 3]).is_err(), "cut short");
        assert!(HourRecords::decode(hour, &[]).is_err());
        assert!(HourRecords::decode(hour, b"{\"minute\":0}").is_err(), "another layout");
        let outside =
            HourRecords { hour, records: vec![ActivityMinute { minute: hour + 3_600, ..Default::default() }] };
        assert!(outside.encode().is_err(), "a record of another hour");
    }
}
