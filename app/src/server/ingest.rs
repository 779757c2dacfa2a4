//! Storing uploads. One code path for the agent's `POST /api/v1/activity`, `keytrack demo` and
//! the tests: validate and encode the whole batch (on the request's own task), then write it as
//! one job of the upload writer (`db::writer`), which commits it with the uploads that arrived
//! meanwhile and answers once it is durable.

use std::collections::HashMap;

use keytrack_wire::{ActivityBatch, ActivityMinute, HourBlock, IngestReceipt};
use rusqlite::Connection;

use super::clock;
use super::db::activity::{BlockRow, MinuteRow, RecordCodec};
use super::db::uploads;
pub use super::db::uploads::UploadSource;
use super::db::writer::Writer;
use super::error::AppError;
use super::rollups::DayRollups;

/// Validates and stores a batch for the user, with the day rollups. Each minute record replaces
/// any earlier copy of the same device and minute, each block any earlier copy of the same device
/// and start, so sending a batch twice changes nothing. A first-release batch keeps its totals
/// only. All or nothing: an invalid record or a failed write leaves the database as it was.
pub async fn store_batch(
    writer: &Writer,
    user_id: i64,
    source: UploadSource,
    batch: ActivityBatch,
    now: i64,
) -> Result<IngestReceipt, AppError> {
    batch.validate(now)?;
    store_valid(writer, user_id, source, batch, now).await
}

/// Stores records restored from a KeyTrack export (`keytrack import`) as [`store_batch`] stores
/// an upload, by the rules for restored records (`ActivityBatch::validate_restored`).
pub async fn restore_batch(
    writer: &Writer,
    user_id: i64,
    batch: ActivityBatch,
    now: i64,
) -> Result<IngestReceipt, AppError> {
    batch.validate_restored(now)?;
    store_valid(writer, user_id, UploadSource::default(), batch, now).await
}

async fn store_valid(
    writer: &Writer,
    user_id: i64,
    source: UploadSource,
    mut batch: ActivityBatch,
    now: i64,
) -> Result<IngestReceipt, AppError> {
    batch.drop_legacy_detail();
    // The work that needs no database happens here, so that one core encodes the next upload
    // while the writer thread stores this one.
    let encoded = RecordCodec::with(|codec| {
        let minutes = batch.minutes.iter().map(|record| codec.encode(record)).collect::<Result<Vec<_>, _>>()?;
        let blocks = batch.blocks.iter().map(|block| codec.encode(block)).collect::<Result<Vec<_>, _>>()?;
        Ok((minutes, blocks))
    })
    .map_err(AppError::internal)?;
    writer.write(move |conn| store(conn, user_id, &source, &batch, encoded, now)).await
}

fn decode<T: serde::de::DeserializeOwned>(stored: &[u8]) -> Result<T, AppError> {
    RecordCodec::with(|codec| codec.decode(stored)).map_err(AppError::internal)
}

/// The upload's part of a write transaction (on the writer thread).
fn store(
    conn: &Connection,
    user_id: i64,
    source: &UploadSource,
    batch: &ActivityBatch,
    (minute_bytes, block_bytes): (Vec<Vec<u8>>, Vec<Vec<u8>>),
    now: i64,
) -> Result<IngestReceipt, AppError> {
    let (timezone, day_start_hour, never_count) = uploads::upload_fields(conn, user_id)?.ok_or(AppError::NotFound)?;
    let mut days = DayRollups::new(clock::clock_from(&timezone, day_start_hour)?);
    let device_id = uploads::upsert_device(conn, user_id, &batch.device.id, &batch.device.name, source, now)?;

    // Everything the batch needs from what is stored, in a few statements rather than a few a record.
    let minutes: Vec<i64> = batch.minutes.iter().map(|m| m.minute).collect();
    let (stored, others) = uploads::stored_minutes(conn, user_id, device_id, &minutes)?;
    let starts: Vec<i64> = batch.blocks.iter().map(|b| b.start).collect();
    let stored_blocks =
        if starts.is_empty() { HashMap::new() } else { uploads::stored_blocks(conn, device_id, &starts)? };
    let old_minutes: HashMap<i64, ActivityMinute> =
        stored.iter().map(|(minute, bytes)| Ok((*minute, decode(bytes)?))).collect::<Result<_, AppError>>()?;
    let old_blocks: HashMap<i64, HourBlock> =
        stored_blocks.iter().map(|(start, bytes)| Ok((*start, decode(bytes)?))).collect::<Result<_, AppError>>()?;

    let (need_days, need_screens) = days.needs(minutes.iter().copied(), batch.blocks.iter().chain(old_blocks.values()));
    let stored_days = uploads::stored_days(conn, user_id, &need_days)?;
    for day in need_days {
        days.load_day(day, stored_days.get(&day.to_string()).map(Vec::as_slice))?;
    }
    for (day, place) in need_screens {
        let stored = uploads::stored_screen(conn, user_id, day, &place)?;
        days.load_screen((day, place), stored.as_ref().map(|(c, m)| (c.as_slice(), m.as_slice())));
    }

    let mut replaced = 0u32;
    for record in &batch.minutes {
        let old = old_minutes.get(&record.minute);
        replaced += u32::from(old.is_some());
        days.replace(others.get(&record.minute).map_or(&[][..], Vec::as_slice), old, record);
    }
    for block in &batch.blocks {
        days.replace_block(old_blocks.get(&block.start), block);
    }
    let minute_rows: Vec<MinuteRow> =
        batch.minutes.iter().zip(minute_bytes).map(|(record, encoded)| MinuteRow { record, encoded }).collect();
    let block_rows: Vec<BlockRow> =
        batch.blocks.iter().zip(block_bytes).map(|(block, encoded)| BlockRow { block, encoded }).collect();
    uploads::replace_minutes(conn, device_id, user_id, &minute_rows, now)?;
    uploads::replace_blocks(conn, device_id, user_id, &block_rows, now)?;
    let (day_rows, screen_rows) = days.into_rows()?;
    uploads::save_rollups(conn, user_id, &day_rows, &screen_rows)?;
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Ok(IngestReceipt {
        accepted: count(batch.minutes.len()),
        replaced,
        blocks: count(batch.blocks.len()),
        never_count: Some(super::db::users::never_count_list(&never_count)),
    })
}
