//! Devices and their minute records.

use keytrack_wire::ActivityMinute;
use sqlx::SqliteConnection;

/// Finds or creates the user's device with the agent's id, keeping its name current.
pub async fn upsert_device(
    conn: &mut SqliteConnection,
    user_id: i64,
    agent_device_id: &str,
    name: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO devices (user_id, agent_device_id, name, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (user_id, agent_device_id) DO UPDATE SET
             name = CASE WHEN excluded.name = '' THEN devices.name ELSE excluded.name END,
             last_seen = excluded.last_seen
         RETURNING id",
    )
    .bind(user_id)
    .bind(agent_device_id)
    .bind(name)
    .bind(now)
    .bind(now)
    .fetch_one(conn)
    .await
}

/// The record stored for this device and minute, as its JSON.
pub async fn stored_detail(
    conn: &mut SqliteConnection,
    device_id: i64,
    minute: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT detail FROM activity_minutes WHERE device_id = ? AND minute = ?")
        .bind(device_id)
        .bind(minute)
        .fetch_optional(conn)
        .await
}

/// Stores the record, replacing any earlier copy of the same device and minute.
pub async fn replace_minute(
    conn: &mut SqliteConnection,
    device_id: i64,
    user_id: i64,
    record: &ActivityMinute,
    detail: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO activity_minutes
             (device_id, minute, user_id, utc_offset, total_keys, total_clicks, active_seconds, detail, received_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (device_id, minute) DO UPDATE SET
             utc_offset = excluded.utc_offset, total_keys = excluded.total_keys,
             total_clicks = excluded.total_clicks, active_seconds = excluded.active_seconds,
             detail = excluded.detail, received_at = excluded.received_at",
    )
    .bind(device_id)
    .bind(record.minute)
    .bind(user_id)
    .bind(i64::from(record.utc_offset))
    .bind(i64::try_from(record.total_keys()).unwrap_or(i64::MAX))
    .bind(i64::try_from(record.clicks.total()).unwrap_or(i64::MAX))
    .bind(i64::from(record.active_seconds))
    .bind(detail)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes all the user's devices, their minute records and the day rollups made of them.
pub async fn delete_all_activity(conn: &mut SqliteConnection, user_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM devices WHERE user_id = ?").bind(user_id).execute(&mut *conn).await?;
    super::days::delete_all(conn, user_id).await
}
