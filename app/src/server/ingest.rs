//! Storing uploads. One code path for the agent's `POST /api/v1/activity`, `keytrack demo` and
//! the tests: validate the whole batch, then write it in one transaction.

use keytrack_wire::{ActivityBatch, ActivityMinute, HourBlock, IngestReceipt};
use sqlx::SqlitePool;

use super::db::activity::{BlockRow, MinuteRow, RecordCodec};
use super::error::AppError;
use super::rollups::DayRollups;
use super::{clock, db};

/// Validates and stores a batch for the user, with the day rollups. Each minute record replaces
/// any earlier copy of the same device and minute, each block any earlier copy of the same device
/// and start, so sending a batch twice changes nothing. A first-release batch keeps its totals
/// only. All or nothing: an invalid record or a failed write leaves the database as it was.
pub async fn store_batch(
    pool: &SqlitePool,
    user_id: i64,
    mut batch: ActivityBatch,
    now: i64,
) -> Result<IngestReceipt, AppError> {
    batch.validate(now)?;
    batch.drop_legacy_detail();
    // The work that needs no database happens before this upload's turn to write, so that one core
    // compresses the next upload while the other writes this one.
    let (rows, block_rows) = RecordCodec::with(|codec| {
        let rows: Vec<MinuteRow> = batch
            .minutes
            .iter()
            .map(|record| Ok(MinuteRow { record, encoded: codec.encode(record)? }))
            .collect::<Result<_, _>>()?;
        let blocks: Vec<BlockRow> = batch
            .blocks
            .iter()
            .map(|block| Ok(BlockRow { block, encoded: codec.encode(block)? }))
            .collect::<Result<_, _>>()?;
        Ok((rows, blocks))
    })
    .map_err(AppError::internal)?;
    let minutes: Vec<i64> = batch.minutes.iter().map(|m| m.minute).collect();
    let starts: Vec<i64> = batch.blocks.iter().map(|b| b.start).collect();

    let mut tx = db::begin_write(pool).await?;
    let clock = clock::clock_in(&mut tx, user_id).await?;
    let mut days = DayRollups::new(user_id, clock);
    let device_id = db::activity::upsert_device(&mut tx, user_id, &batch.device.id, &batch.device.name, now).await?;
    // Everything the batch needs from the stored records, in a few queries rather than two a record.
    let mut stored = db::activity::stored_records(&mut tx, device_id, &minutes).await?;
    let others = db::activity::other_devices_seconds(&mut tx, user_id, device_id, &minutes).await?;
    let mut replaced = 0u32;
    for record in &batch.minutes {
        let old = match stored.remove(&record.minute) {
            Some(bytes) => {
                replaced += 1;
                Some(RecordCodec::with(|codec| codec.decode::<ActivityMinute>(&bytes)).map_err(AppError::internal)?)
            }
            None => None,
        };
        let others = others.get(&record.minute).map_or(&[][..], Vec::as_slice);
        days.replace(&mut tx, others, old.as_ref(), record).await?;
    }
    let mut stored_blocks = db::activity::stored_blocks(&mut tx, device_id, &starts).await?;
    for block in &batch.blocks {
        let old = match stored_blocks.remove(&block.start) {
            Some(bytes) => {
                Some(RecordCodec::with(|codec| codec.decode::<HourBlock>(&bytes)).map_err(AppError::internal)?)
            }
            None => None,
        };
        days.replace_block(&mut tx, old.as_ref(), block).await?;
    }
    db::activity::replace_minutes(&mut tx, device_id, user_id, &rows, now).await?;
    db::activity::replace_blocks(&mut tx, device_id, user_id, &block_rows, now).await?;
    days.save(&mut tx).await?;
    tx.commit().await?;
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Ok(IngestReceipt { accepted: count(batch.minutes.len()), replaced, blocks: count(batch.blocks.len()) })
}
