//! Storing uploads. One code path for the agent's `POST /api/v1/activity`, `keytrack demo` and
//! the tests: validate and encode the whole batch (on the request's own task), then write it as
//! one job of the upload writer (`db::writer`), which commits it with the uploads that arrived
//! meanwhile and answers once it is durable.

use std::collections::HashMap;

use keytrack_wire::{ActivityBatch, HourBlock, IngestReceipt};
use rusqlite::Connection;

use super::clock;
use super::db::activity::{BlockRow, HourRecords, HourRow, RecordCodec};
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
    // while the writer thread stores this one. (Minute records are encoded by the hour on the
    // writer, merged with what the hour holds already.)
    let block_bytes = RecordCodec::with(|codec| batch.blocks.iter().map(|block| codec.encode(block)).collect())
        .map_err(AppError::internal)?;
    let hours = HourRecords::group(std::mem::take(&mut batch.minutes));
    writer.write(move |conn| store(conn, user_id, &source, &batch, hours, block_bytes, now)).await
}

fn decode<T: serde::de::DeserializeOwned>(stored: &[u8]) -> Result<T, AppError> {
    RecordCodec::with(|codec| codec.decode(stored)).map_err(AppError::internal)
}

/// The upload's part of a write transaction (on the writer thread): `batch` without its minute
/// records, which come grouped by hour.
fn store(
    conn: &Connection,
    user_id: i64,
    source: &UploadSource,
    batch: &ActivityBatch,
    new_hours: Vec<HourRecords>,
    block_bytes: Vec<Vec<u8>>,
    now: i64,
) -> Result<IngestReceipt, AppError> {
    let (timezone, day_start_hour, never_count) = uploads::upload_fields(conn, user_id)?.ok_or(AppError::NotFound)?;
    let mut days = DayRollups::new(clock::clock_from(&timezone, day_start_hour)?);
    let device_id = uploads::upsert_device(conn, user_id, &batch.device.id, &batch.device.name, source, now)?;

    // Everything the batch needs from what is stored, in a few statements rather than a few a record:
    // this device's hours, to merge into, and the other devices' active seconds by minute.
    let hour_starts: Vec<i64> = new_hours.iter().map(|h| h.hour).collect();
    let mut own: HashMap<i64, HourRecords> = HashMap::new();
    let mut others: HashMap<i64, Vec<u32>> = HashMap::new();
    for (device, hour, stored) in uploads::stored_hours(conn, user_id, &hour_starts)? {
        let stored = HourRecords::decode(hour, &stored).map_err(AppError::internal)?;
        if device == device_id {
            own.insert(hour, stored);
        } else {
            for record in stored.records {
                others.entry(record.minute).or_default().push(record.active_seconds);
            }
        }
    }
    let starts: Vec<i64> = batch.blocks.iter().map(|b| b.start).collect();
    let stored_blocks =
        if starts.is_empty() { HashMap::new() } else { uploads::stored_blocks(conn, device_id, &starts)? };
    let old_blocks: HashMap<i64, HourBlock> =
        stored_blocks.iter().map(|(start, bytes)| Ok((*start, decode(bytes)?))).collect::<Result<_, AppError>>()?;

    let minutes = new_hours.iter().flat_map(|h| h.records.iter().map(|r| r.minute));
    let (need_days, need_screens) = days.needs(minutes, batch.blocks.iter().chain(old_blocks.values()));
    let stored_days = uploads::stored_days(conn, user_id, &need_days)?;
    for day in need_days {
        days.load_day(day, stored_days.get(&day.to_string()).map(Vec::as_slice))?;
    }
    for (day, place) in need_screens {
        let stored = uploads::stored_screen(conn, user_id, day, &place)?;
        days.load_screen((day, place), stored.as_ref().map(|(c, m)| (c.as_slice(), m.as_slice())));
    }

    let (mut accepted, mut replaced) = (0u32, 0u32);
    let mut hours = Vec::with_capacity(new_hours.len());
    for new in new_hours {
        let mut hour = own.remove(&new.hour).unwrap_or_else(|| HourRecords { hour: new.hour, records: Vec::new() });
        for record in new.records {
            days.replace(others.get(&record.minute).map_or(&[][..], Vec::as_slice), hour.get(record.minute), &record);
            accepted += 1;
            replaced += u32::from(hour.replace(record).is_some());
        }
        hours.push(hour);
    }
    for block in &batch.blocks {
        days.replace_block(old_blocks.get(&block.start), block);
    }
    let hour_rows = hours
        .iter()
        .map(|hour| Ok(HourRow { hour, encoded: hour.encode().map_err(AppError::internal)? }))
        .collect::<Result<Vec<_>, AppError>>()?;
    let block_rows: Vec<BlockRow> =
        batch.blocks.iter().zip(block_bytes).map(|(block, encoded)| BlockRow { block, encoded }).collect();
    uploads::replace_hours(conn, device_id, user_id, &hour_rows, now)?;
    uploads::replace_blocks(conn, device_id, user_id, &block_rows, now)?;
    let (day_rows, screen_rows) = days.into_rows()?;
    uploads::save_rollups(conn, user_id, &day_rows, &screen_rows)?;
    Ok(IngestReceipt {
        accepted,
        replaced,
        blocks: u32::try_from(batch.blocks.len()).unwrap_or(u32::MAX),
        never_count: Some(super::db::users::never_count_list(&never_count)),
    })
}
