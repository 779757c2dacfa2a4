//! Devices, their minute records (totals) and their hour blocks (key detail).

use keytrack_wire::{ActivityMinute, HourBlock};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::SqliteConnection;

/// A stored minute record that cannot be read back.
#[derive(Debug, thiserror::Error)]
#[error("a stored minute record is unreadable: {0}")]
pub struct UnreadableRecord(String);

fn unreadable(e: impl std::fmt::Display) -> UnreadableRecord {
    UnreadableRecord(e.to_string())
}

/// The largest record JSON a stored frame may claim to hold (a record of a 1 MiB upload is smaller).
const MAX_RECORD_JSON: u64 = 4 << 20;

/// How minute records and hour blocks are stored: the wire format's JSON (self-describing, so
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

/// A minute record ready to store.
pub struct MinuteRow<'a> {
    pub record: &'a ActivityMinute,
    pub encoded: Vec<u8>,
}

/// An hour block ready to store.
pub struct BlockRow<'a> {
    pub block: &'a HourBlock,
    pub encoded: Vec<u8>,
}

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
        .bind(row.encoded.as_slice())
        .bind(now)
        .persistent(true)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Deletes all the user's devices, their minute records and the day rollups made of them.
pub async fn delete_all_activity(conn: &mut SqliteConnection, user_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM devices WHERE user_id = ?").bind(user_id).execute(&mut *conn).await?;
    super::days::delete_all(conn, user_id).await
}

/// The user's most recently heard device: its name (its id when unnamed) and when it last uploaded.
pub async fn last_upload(pool: &sqlx::SqlitePool, user_id: i64) -> Result<Option<(String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT CASE WHEN name = '' THEN agent_device_id ELSE name END, last_seen FROM devices
         WHERE user_id = ? ORDER BY last_seen DESC LIMIT 1",
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await
}

/// Key presses and clicks per minute from `since` on, all devices together, oldest first (minutes
/// without activity left out).
pub async fn minute_totals_since(
    pool: &sqlx::SqlitePool,
    user_id: i64,
    since: i64,
) -> Result<Vec<(i64, i64, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT minute, SUM(total_keys), SUM(total_clicks) FROM activity_minutes
         WHERE user_id = ? AND minute >= ? GROUP BY minute ORDER BY minute",
    )
    .bind(user_id)
    .bind(since)
    .fetch_all(pool)
    .await
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
}
