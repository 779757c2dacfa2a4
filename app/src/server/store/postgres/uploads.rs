//! An upload on PostgreSQL (`sqlite::uploads` on SQLite): its statements, run in one transaction
//! that first takes its user's lock ([`lock_user`]), around the merge both engines share
//! (`store::merge`).

use std::collections::HashMap;

use chrono::NaiveDate;
use keytrack_wire::{DisplayPlace, HourBlock, IngestReceipt};
use sqlx::{PgConnection, PgPool};

use crate::server::error::AppError;
use crate::server::store::activity::{BlockRow, HourRow};
use crate::server::store::days;
use crate::server::store::merge::{Merging, Stored, Upload, UploadSource};

/// Makes the uploads of one user wait for each other until the end of their transactions. An
/// upload reads the stored hours and day rollups it merges into, and the other devices' hours of
/// the same minutes: two at once would each start from the same copy and the second would undo
/// the first. (On SQLite one writer at a time gives the same.) Other users' uploads run alongside.
pub async fn lock_user(conn: &mut PgConnection, user_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(user_id).execute(conn).await?;
    Ok(())
}

/// What an upload needs of its user: time zone and day start, and the never-count list (JSON).
pub async fn upload_fields(conn: &mut PgConnection, user_id: i64) -> Result<Option<(String, u8, String)>, sqlx::Error> {
    let row: Option<(String, i32, String)> =
        sqlx::query_as("SELECT timezone, day_start_hour, never_count FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|(timezone, hour, never_count)| (timezone, hour.clamp(0, 23) as u8, never_count)))
}

/// Finds or creates the user's device with the agent's id, as `db::uploads::upsert_device` does.
pub async fn upsert_device(
    conn: &mut PgConnection,
    user_id: i64,
    agent_device_id: &str,
    name: &str,
    source: &UploadSource,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let (version, platform) =
        source.agent.as_ref().map_or(("", ""), |agent| (agent.version.as_str(), agent.platform.as_str()));
    sqlx::query_scalar(
        "INSERT INTO devices (user_id, agent_device_id, name, first_seen, last_seen, agent_version, platform, token_id,
                              capture)
         VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8)
         ON CONFLICT (user_id, agent_device_id) DO UPDATE SET
             name = CASE WHEN excluded.name = '' OR devices.named_by_user THEN devices.name ELSE excluded.name END,
             last_seen = excluded.last_seen,
             agent_version = CASE WHEN excluded.agent_version = '' THEN devices.agent_version ELSE excluded.agent_version END,
             platform = CASE WHEN excluded.platform = '' THEN devices.platform ELSE excluded.platform END,
             token_id = coalesce(excluded.token_id, devices.token_id),
             capture = CASE WHEN excluded.capture = '' THEN devices.capture ELSE excluded.capture END
         RETURNING id",
    )
    .bind(user_id)
    .bind(agent_device_id)
    .bind(name)
    .bind(now)
    .bind(version)
    .bind(platform)
    .bind(source.token_id)
    .bind(source.capture.as_deref().unwrap_or(""))
    .fetch_one(conn)
    .await
}

/// The user's stored hours of minute records among `hours`, every device's: (device, hour, the
/// records as stored).
pub async fn stored_hours(
    conn: &mut PgConnection,
    user_id: i64,
    hours: &[i64],
) -> Result<Vec<(i64, i64, Vec<u8>)>, sqlx::Error> {
    sqlx::query_as("SELECT device_id, hour, records FROM activity_hours WHERE user_id = $1 AND hour = ANY($2)")
        .bind(user_id)
        .bind(hours)
        .fetch_all(conn)
        .await
}

/// The blocks stored for this device with these starts, encoded, by start.
pub async fn stored_blocks(
    conn: &mut PgConnection,
    user_id: i64,
    device_id: i64,
    starts: &[i64],
) -> Result<HashMap<i64, Vec<u8>>, sqlx::Error> {
    // Most uploads carry no block: no statement for them.
    if starts.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, Vec<u8>)> = sqlx::query_as(
        "SELECT starts_at, detail FROM activity_blocks WHERE user_id = $1 AND device_id = $2 AND starts_at = ANY($3)",
    )
    .bind(user_id)
    .bind(device_id)
    .bind(starts)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().collect())
}

/// The user's stored day rollups of these days, encoded, by day (`YYYY-MM-DD`).
pub async fn stored_days(
    conn: &mut PgConnection,
    user_id: i64,
    days: &[NaiveDate],
) -> Result<HashMap<String, Vec<u8>>, sqlx::Error> {
    let names: Vec<String> = days.iter().map(NaiveDate::to_string).collect();
    let rows: Vec<(String, Vec<u8>)> = sqlx::query_as(
        "SELECT day::text, totals FROM activity_days WHERE user_id = $1 AND day = ANY($2::text[]::date[])",
    )
    .bind(user_id)
    .bind(&names)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().collect())
}

/// A day's stored grids on one display (clicks, moves).
pub async fn stored_screen(
    conn: &mut PgConnection,
    user_id: i64,
    day: NaiveDate,
    place: &DisplayPlace,
) -> Result<Option<(Vec<u8>, Vec<u8>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT clicks, moves FROM activity_day_screens WHERE user_id = $1 AND day = $2::date AND desktop_width = $3
         AND desktop_height = $4 AND x = $5 AND y = $6 AND width = $7 AND height = $8",
    )
    .bind(user_id)
    .bind(day.to_string())
    .bind(i64::from(place.desktop_width))
    .bind(i64::from(place.desktop_height))
    .bind(i64::from(place.x))
    .bind(i64::from(place.y))
    .bind(i64::from(place.width))
    .bind(i64::from(place.height))
    .fetch_optional(conn)
    .await
}

/// Stores hours of one device's minute records, each replacing the stored row of its hour.
pub async fn replace_hours(
    conn: &mut PgConnection,
    device_id: i64,
    user_id: i64,
    rows: &[HourRow<'_>],
    now: i64,
) -> Result<(), sqlx::Error> {
    for row in rows {
        let hour = row.hour;
        let (Some(first), Some(last)) = (hour.records.first(), hour.records.last()) else { continue };
        let minutes = (hour, first.minute, last.minute);
        crate::server::store::activity::replace_hour(&mut *conn, device_id, user_id, minutes, row.encoded, now).await?;
    }
    Ok(())
}

/// Stores the blocks of one device, each replacing a stored block with the same start.
pub async fn replace_blocks(
    conn: &mut PgConnection,
    device_id: i64,
    user_id: i64,
    rows: &[BlockRow<'_>],
    now: i64,
) -> Result<(), sqlx::Error> {
    for row in rows {
        let block: &HourBlock = row.block;
        let presses = i64::try_from(block.presses()).unwrap_or(i64::MAX);
        sqlx::query(
            "INSERT INTO activity_blocks (user_id, device_id, starts_at, ends_at, presses, detail, received_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (user_id, device_id, starts_at) DO UPDATE SET ends_at = excluded.ends_at,
                 presses = excluded.presses, detail = excluded.detail, received_at = excluded.received_at",
        )
        .bind(user_id)
        .bind(device_id)
        .bind(block.start)
        .bind(block.end)
        .bind(presses)
        .bind(row.encoded)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Stores an upload on PostgreSQL as SQLite's writer does (`sqlite::uploads::store`): the same rule, the same
/// merge, the same rollups, in one transaction that first takes the user's lock, so that uploads
/// of one person run one after another ([`lock_user`]).
pub async fn store(pool: &PgPool, upload: Upload) -> Result<IngestReceipt, AppError> {
    let (user_id, now) = (upload.user_id, upload.now);
    let mut tx = pool.begin().await?;
    let conn = &mut *tx;
    lock_user(conn, user_id).await?;
    let (timezone, day_start_hour, never_count) = upload_fields(conn, user_id).await?.ok_or(AppError::NotFound)?;
    let device = &upload.batch.device;
    let device_id = upsert_device(conn, user_id, &device.id, &device.name, &upload.source, now).await?;
    let stored = Stored {
        timezone,
        day_start_hour,
        never_count,
        device_id,
        hours: stored_hours(conn, user_id, &upload.hour_starts()).await?,
        blocks: stored_blocks(conn, user_id, device_id, &upload.block_starts()).await?,
    };
    let merging = Merging::new(upload, stored)?;
    let days = stored_days(conn, user_id, &merging.need_days).await?;
    let mut screens = Vec::with_capacity(merging.need_screens.len());
    for (day, place) in &merging.need_screens {
        let stored = stored_screen(conn, user_id, *day, place).await?;
        screens.push(((*day, *place), stored));
    }
    let merged = merging.finish(days, screens)?;
    replace_hours(conn, merged.device_id, user_id, &merged.hour_rows(), now).await?;
    replace_blocks(conn, merged.device_id, user_id, &merged.block_rows(), now).await?;
    days::save_rollups(&mut *conn, user_id, &merged.day_rows, &merged.screen_rows).await?;
    tx.commit().await?;
    Ok(merged.receipt)
}
