//! Storing uploads. One code path for the agent's `POST /api/v1/activity`, `keytrack demo` and
//! the tests: validate the whole batch, then write it in one transaction.

use keytrack_wire::{ActivityBatch, ActivityMinute, IngestReceipt};
use sqlx::SqlitePool;

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
    let mut tx = db::begin_write(pool).await?;
    let clock = accounts::clock_in(&mut tx, user_id).await?;
    let mut days = DayRollups::new(user_id, clock);
    let device_id = db::activity::upsert_device(&mut tx, user_id, &batch.device.id, &batch.device.name, now).await?;
    let mut replaced = 0u32;
    for record in &batch.minutes {
        let detail = serde_json::to_string(record).map_err(AppError::internal)?;
        let old = match db::activity::stored_detail(&mut tx, device_id, record.minute).await? {
            Some(json) => {
                replaced += 1;
                Some(serde_json::from_str::<ActivityMinute>(&json).map_err(AppError::internal)?)
            }
            None => None,
        };
        days.replace(&mut tx, device_id, old.as_ref(), record).await?;
        db::activity::replace_minute(&mut tx, device_id, user_id, record, &detail, now).await?;
    }
    days.save(&mut tx).await?;
    tx.commit().await?;
    Ok(IngestReceipt { accepted: u32::try_from(batch.minutes.len()).unwrap_or(u32::MAX), replaced })
}
