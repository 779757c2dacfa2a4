//! The data of earlier releases brought up to date at start (SQLite only: PostgreSQL came
//! later): minute records moved from `activity_minutes` into hour rows, first-release minute detail
//! folded into hour blocks, and day rollups built for users whose data predates them.

use keytrack_wire::{ActivityMinute, HourBlock};
use sqlx::{SqliteConnection, SqlitePool};

use super::begin_write;
use crate::server::error::AppError;
use crate::server::store::days::FORMAT_WITHOUT_ACTIVE_MINUTES;
use crate::server::store::{activity, rollups, users};

/// Moves the minute records of `activity_minutes` (a row per device and minute, before this
/// release) into hour rows (`activity_hours`), a user per transaction, then drops that table.
///
/// On the way it folds the key detail that minute records of the first release hold into hour
/// blocks, by the rule agents follow now (`keytrack_wire::blocks`), for every user the upgrade to
/// blocks listed, and rebuilds their rollups in the same transaction. Every total stays: presses,
/// clicks and time come from the minutes as before, and every key press is in a block (the last,
/// smaller block of a device included: it was on the server already). Per-key counts may move to
/// the day on which their block ends. Afterwards the file is rewritten (VACUUM) so that no free
/// page keeps the old minute detail. Other users' rollups are sums of the same records, so they
/// stay as they are. Run at server start.
pub async fn move_minutes_into_hours(pool: &SqlitePool) -> Result<(), AppError> {
    let (users, to_fold) = {
        let mut conn = pool.acquire().await?;
        if !legacy_minutes_table_exists(&mut conn).await? {
            return Ok(());
        }
        let mut users = legacy_users(&mut conn).await?;
        let to_fold = users_to_fold(&mut conn).await?;
        users.extend(&to_fold);
        users.sort_unstable();
        users.dedup();
        (users, to_fold)
    };
    let mut unreadable = 0usize;
    for user_id in &users {
        let fold = to_fold.contains(user_id);
        let mut tx = begin_write(pool).await?;
        let now = crate::server::now();
        let (mut moved, mut blocks) = (0usize, 0usize);
        for device_id in legacy_devices_with_minutes(&mut tx, *user_id).await? {
            let mut details: Vec<HourBlock> = Vec::new();
            // Records come in minute order; an hour is stored once the next one begins, so that an
            // hour cut by a chunk's end is stored whole.
            let mut open = activity::HourRecords::default();
            let mut after = i64::MIN;
            loop {
                let chunk = legacy_minutes_of_device(&mut tx, device_id, after, 5_000).await?;
                let Some(last) = chunk.last() else { break };
                after = last.0;
                for (_, stored) in chunk {
                    let Ok(mut record) = activity::RecordCodec::with(|c| c.decode::<ActivityMinute>(&stored)) else {
                        unreadable += 1;
                        continue;
                    };
                    let detail = record.take_detail();
                    if fold && !detail.is_empty() {
                        details.push(detail);
                    }
                    let hour = keytrack_wire::hour_of(record.minute);
                    if hour != open.hour && !open.records.is_empty() {
                        activity::save_hour(&mut tx, device_id, *user_id, &open, now).await?;
                        open.records.clear();
                    }
                    open.hour = hour;
                    open.replace(record);
                    moved += 1;
                }
            }
            if !open.records.is_empty() {
                activity::save_hour(&mut tx, device_id, *user_id, &open, now).await?;
            }
            delete_legacy_minutes(&mut tx, device_id).await?;
            let folded = keytrack_wire::blocks::fold_hours(details);
            blocks += folded.len();
            let encoded = folded
                .iter()
                .map(|block| activity::RecordCodec::with(|c| c.encode(block)).map_err(AppError::internal))
                .collect::<Result<Vec<_>, AppError>>()?;
            let rows: Vec<activity::BlockRow> =
                folded.iter().zip(&encoded).map(|(block, encoded)| activity::BlockRow { block, encoded }).collect();
            activity::replace_blocks(&mut tx, device_id, *user_id, &rows, now).await?;
        }
        if fold {
            let clock = users::clock_in(&mut tx, *user_id).await?;
            let days = rollups::rebuild(&mut tx, *user_id, clock).await?;
            folded(&mut tx, *user_id).await?;
            tracing::info!(user_id, blocks, days, "folded first-release key detail into hour blocks");
        }
        tx.commit().await?;
        tracing::info!(user_id, minutes = moved, "moved minute records into hour rows");
    }
    if unreadable > 0 {
        tracing::error!(
            unreadable,
            "stored minute records that do not parse could not be moved to hour rows and are gone"
        );
    }
    let mut conn = pool.acquire().await?;
    drop_legacy_minutes_table(&mut conn).await?;
    if !to_fold.is_empty() {
        reclaim_space(&mut conn).await?;
        tracing::info!(users = to_fold.len(), "rewrote the database without the first release's minute detail");
    }
    Ok(())
}

/// Brings data of earlier releases up to date (run at server start): moves minute records into
/// hour rows (folding first-release minute detail into blocks), then builds rollups for users
/// whose data predates them.
pub async fn build_missing(pool: &SqlitePool) -> Result<(), AppError> {
    move_minutes_into_hours(pool).await?;
    let mut conn = pool.acquire().await?;
    let mut users = users_without_rollups(&mut conn).await?;
    users.extend(users_with_old_rollups(&mut conn).await?);
    drop(conn);
    for user_id in users {
        let mut tx = begin_write(pool).await?;
        let clock = users::clock_in(&mut tx, user_id).await?;
        let days = rollups::rebuild(&mut tx, user_id, clock).await?;
        tx.commit().await?;
        tracing::info!(user_id, days, "built day rollups");
    }
    Ok(())
}

/// Users that have records but no rollups (data from before rollups existed, or of an earlier
/// rollup format).
async fn users_without_rollups(conn: &mut SqliteConnection) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM users u
         WHERE (EXISTS (SELECT 1 FROM activity_hours h WHERE h.user_id = u.id)
                OR EXISTS (SELECT 1 FROM activity_blocks b WHERE b.user_id = u.id))
           AND NOT EXISTS (SELECT 1 FROM activity_days d WHERE d.user_id = u.id)",
    )
    .fetch_all(conn)
    .await
}

/// Users with day rollups stored in a format that lacks figures (read as well as can be, but to be
/// counted again: format 2 lacks the active minutes that breaks are read from). Format 3 lacks
/// nothing its blocks had: it reads as format 4 as it is.
async fn users_with_old_rollups(conn: &mut SqliteConnection) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT DISTINCT user_id FROM activity_days WHERE substr(totals, 1, 1) = ? ORDER BY user_id")
        .bind(vec![FORMAT_WITHOUT_ACTIVE_MINUTES])
        .fetch_all(conn)
        .await
}

/// Users whose minute records may still hold first-release key detail.
async fn users_to_fold(conn: &mut SqliteConnection) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT user_id FROM minute_detail_to_fold ORDER BY user_id").fetch_all(conn).await
}

/// The user's detail is folded.
async fn folded(conn: &mut SqliteConnection, user_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM minute_detail_to_fold WHERE user_id = ?").bind(user_id).execute(conn).await?;
    Ok(())
}

/// Whether the table of minute records before hour rows (`activity_minutes`) is still there: its
/// records are moved at start (`rollups::move_minutes_into_hours`), then it is dropped.
pub async fn legacy_minutes_table_exists(conn: &mut SqliteConnection) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'activity_minutes')")
        .fetch_one(conn)
        .await
}

/// The user's devices with records in `activity_minutes` (before hour rows).
async fn legacy_devices_with_minutes(conn: &mut SqliteConnection, user_id: i64) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT DISTINCT device_id FROM activity_minutes WHERE user_id = ? ORDER BY device_id")
        .bind(user_id)
        .fetch_all(conn)
        .await
}

/// Every user with records in `activity_minutes` (before hour rows).
async fn legacy_users(conn: &mut SqliteConnection) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT DISTINCT user_id FROM activity_minutes ORDER BY user_id").fetch_all(conn).await
}

/// Up to `limit` of a device's records in `activity_minutes` (before hour rows) after minute
/// `after`, in order, as stored (see `activity::RecordCodec`).
async fn legacy_minutes_of_device(
    conn: &mut SqliteConnection,
    device_id: i64,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, Vec<u8>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT minute, detail FROM activity_minutes WHERE device_id = ? AND minute > ? ORDER BY minute LIMIT ?",
    )
    .bind(device_id)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Deletes a device's records in `activity_minutes` (before hour rows).
async fn delete_legacy_minutes(conn: &mut SqliteConnection, device_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM activity_minutes WHERE device_id = ?").bind(device_id).execute(conn).await?;
    Ok(())
}

/// Drops `activity_minutes` once its records are moved.
async fn drop_legacy_minutes_table(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    sqlx::query("DROP TABLE IF EXISTS activity_minutes").execute(conn).await?;
    Ok(())
}

/// Rewrites the SQLite file without the space freed pages hold (after the first release's minute
/// detail is folded away), and empties the write-ahead log into it.
async fn reclaim_space(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    sqlx::query("VACUUM").execute(&mut *conn).await?;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(conn).await?;
    Ok(())
}
