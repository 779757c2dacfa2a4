//! Storing uploads. One code path for the agent's `POST /api/v1/activity`, `keytrack demo` and
//! the tests: validate the whole batch, then write it in one transaction.

use keytrack_wire::{ActivityBatch, IngestReceipt};
use sqlx::SqlitePool;

use super::db::activity::{MinuteRow, RecordCodec};
use super::error::AppError;
use super::rollups::DayRollups;
use super::{accounts, db};

/// Validates and stores a batch for the user, with the day rollups. Each record replaces any
/// earlier copy of the same device and minute, so sending a batch twice changes nothing. All or nothing: an invalid
/// record or a failed write leaves the database as it was.
pub async fn store_batch(
    pool: &SqlitePool,
    user_id: i64,
    batch: &ActivityBatch,
    now: i64,
) -> Result<IngestReceipt, AppError> {
    batch.validate(now)?;
    // The work that needs no database happens before this upload's turn to write, so that one core
    // compresses the next upload while the other writes this one.
    let rows: Vec<MinuteRow> = RecordCodec::with(|codec| {
        batch.minutes.iter().map(|record| Ok(MinuteRow { record, encoded: codec.encode(record)? })).collect()
    })
    .map_err(AppError::internal)?;
    let minutes: Vec<i64> = batch.minutes.iter().map(|m| m.minute).collect();

    let mut tx = db::begin_write(pool).await?;
    let clock = accounts::clock_in(&mut tx, user_id).await?;
    let mut days = DayRollups::new(user_id, clock);
    let device_id = db::activity::upsert_device(&mut tx, user_id, &batch.device.id, &batch.device.name, now).await?;
    // Everything the batch needs from the stored minutes, in two queries rather than two a minute.
    let mut stored = db::activity::stored_records(&mut tx, device_id, &minutes).await?;
    let others = db::activity::other_devices_seconds(&mut tx, user_id, device_id, &minutes).await?;
    let mut replaced = 0u32;
    for record in &batch.minutes {
        let old = match stored.remove(&record.minute) {
            Some(bytes) => {
                replaced += 1;
                Some(RecordCodec::with(|codec| codec.decode(&bytes)).map_err(AppError::internal)?)
            }
            None => None,
        };
        let others = others.get(&record.minute).map_or(&[][..], Vec::as_slice);
        days.replace(&mut tx, others, old.as_ref(), record).await?;
    }
    db::activity::replace_minutes(&mut tx, device_id, user_id, &rows, now).await?;
    days.save(&mut tx).await?;
    tx.commit().await?;
    Ok(IngestReceipt { accepted: u32::try_from(batch.minutes.len()).unwrap_or(u32::MAX), replaced })
}
