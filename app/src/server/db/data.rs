//! A user's data as a whole: their devices, the reads an export pages through, deletions (a range
//! of days, a device, the account) and the retention of minute records.

use sqlx::{SqliteConnection, SqlitePool};

/// The minute a block counts in (see `rollups::block_last_minute`), in SQL.
const BLOCK_COUNTS_AT: &str = "max(ends_at - 60, starts_at)";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeviceRow {
    pub id: i64,
    pub agent_device_id: String,
    pub name: String,
    pub first_seen: i64,
    pub last_seen: i64,
    pub minutes: i64,
    pub named_by_user: bool,
    pub platform: String,
    pub agent_version: String,
    pub today_keys: i64,
    pub today_clicks: i64,
    pub today_minutes: i64,
    pub token_id: Option<i64>,
    pub token_name: Option<String>,
    pub token_revoked: Option<bool>,
    pub token_shared_with: i64,
}

/// A range of no minutes, for a list of devices that needs no "today".
pub const NO_DAY: (i64, i64) = (0, 0);

/// The user's devices, the most recently heard first, with their counts in `[today_start,
/// today_end)` and the token of their last upload.
pub async fn devices(pool: &SqlitePool, user_id: i64, today: (i64, i64)) -> Result<Vec<DeviceRow>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let mut devices: Vec<DeviceRow> = sqlx::query_as(
        "SELECT d.id, d.agent_device_id, d.name, d.first_seen, d.last_seen, d.named_by_user, d.platform,
                d.agent_version,
                (SELECT coalesce(sum(h.minutes), 0) FROM activity_hours h WHERE h.device_id = d.id) AS minutes,
                0 AS today_keys, 0 AS today_clicks, 0 AS today_minutes,
                t.id AS token_id, t.name AS token_name, t.revoked_at IS NOT NULL AS token_revoked,
                (SELECT count(*) FROM devices o WHERE o.user_id = d.user_id AND o.token_id = d.token_id AND o.id <> d.id)
                    AS token_shared_with
         FROM devices d
         LEFT JOIN api_tokens t ON t.id = d.token_id AND t.user_id = d.user_id
         WHERE d.user_id = ?1 ORDER BY d.last_seen DESC, d.id",
    )
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await?;
    if today != NO_DAY {
        for (device_id, hour) in super::activity::hours_between(&mut *conn, user_id, today).await? {
            let Some(device) = devices.iter_mut().find(|d| d.id == device_id) else { continue };
            let (minutes, keys, clicks, _) = hour.totals();
            device.today_minutes += minutes;
            device.today_keys += keys;
            device.today_clicks += clicks;
        }
    }
    Ok(devices)
}

/// Gives one of the user's devices a name of the person's choosing, which the agent's own name no
/// longer replaces; false when the user has no such device.
pub async fn rename_device(pool: &SqlitePool, user_id: i64, device_id: i64, name: &str) -> Result<bool, sqlx::Error> {
    let result = sqlx::query("UPDATE devices SET name = ?, named_by_user = 1 WHERE id = ? AND user_id = ?")
        .bind(name)
        .bind(device_id)
        .bind(user_id)
        .execute(pool)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Whether the user has this device.
pub async fn owns_device(conn: &mut SqliteConnection, user_id: i64, device_id: i64) -> Result<bool, sqlx::Error> {
    let owned: Option<i64> = sqlx::query_scalar("SELECT id FROM devices WHERE id = ? AND user_id = ?")
        .bind(device_id)
        .bind(user_id)
        .fetch_optional(conn)
        .await?;
    Ok(owned.is_some())
}

/// Revokes the live token the user's device last uploaded with; returns how many were revoked.
pub async fn revoke_device_token(
    conn: &mut SqliteConnection,
    user_id: i64,
    device_id: i64,
    now: i64,
) -> Result<u64, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE api_tokens SET revoked_at = ?1 WHERE user_id = ?2 AND revoked_at IS NULL
             AND id = (SELECT token_id FROM devices WHERE id = ?3 AND user_id = ?2)",
    )
    .bind(now)
    .bind(user_id)
    .bind(device_id)
    .execute(conn)
    .await?;
    Ok(result.rows_affected())
}

/// When the account was made.
pub async fn created_at(pool: &SqlitePool, user_id: i64) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT created_at FROM users WHERE id = ?").bind(user_id).fetch_optional(pool).await
}

/// The teams the user is in: (team name, role, shares figures, joined at).
pub async fn memberships(pool: &SqlitePool, user_id: i64) -> Result<Vec<(String, String, bool, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT t.name, m.role, m.shares_figures, m.joined_at FROM team_members m JOIN teams t ON t.id = m.team_id
         WHERE m.user_id = ? ORDER BY m.joined_at, t.id",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await
}

/// A minute's totals for the per-minute CSV.
#[derive(Debug, Clone)]
pub struct MinuteTotalsRow {
    pub minute: i64,
    pub device_id: i64,
    pub device: String,
    pub total_keys: i64,
    pub total_clicks: i64,
    pub active_seconds: i64,
}

/// Hours one page of the per-minute CSV reads: a day's records of every device.
const HOURS_PER_PAGE: i64 = 24;

/// One page of a streamed export of the user's minute records in `[start, end)`, in (minute,
/// device) order: those of the first [`HOURS_PER_PAGE`] hours with records from hour `from` on.
/// Returns the page and the hour the next page starts from (`None`: this was the last).
pub async fn minute_totals_page(
    pool: &SqlitePool,
    user_id: i64,
    (start, end): (i64, i64),
    from: i64,
) -> Result<(Vec<MinuteTotalsRow>, Option<i64>), sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let from = from.max(super::activity::first_hour_of(start));
    let first: Option<i64> =
        sqlx::query_scalar("SELECT min(hour) FROM activity_hours WHERE user_id = ? AND hour >= ? AND hour < ?")
            .bind(user_id)
            .bind(from)
            .bind(end)
            .fetch_one(&mut *conn)
            .await?;
    let Some(first) = first else { return Ok((Vec::new(), None)) };
    let until = first.saturating_add(HOURS_PER_PAGE * 3_600).min(end);
    let names: std::collections::HashMap<i64, String> = sqlx::query_as(
        "SELECT id, CASE WHEN name = '' THEN agent_device_id ELSE name END FROM devices WHERE user_id = ?",
    )
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .collect();
    let mut rows: Vec<MinuteTotalsRow> = Vec::new();
    for (device_id, hour) in super::activity::hours_between(&mut *conn, user_id, (start.max(first), until)).await? {
        let device = names.get(&device_id).cloned().unwrap_or_default();
        rows.extend(hour.records.iter().map(|r| MinuteTotalsRow {
            minute: r.minute,
            device_id,
            device: device.clone(),
            total_keys: i64::try_from(r.total_presses()).unwrap_or(i64::MAX),
            total_clicks: i64::try_from(r.clicks.total()).unwrap_or(i64::MAX),
            active_seconds: i64::from(r.active_seconds),
        }));
    }
    rows.sort_unstable_by_key(|r| (r.minute, r.device_id));
    Ok((rows, (until < end).then_some(until)))
}

/// Up to `limit` of a device's hour blocks starting after `after`, in order, as stored.
pub async fn blocks_of_device(
    pool: &SqlitePool,
    device_id: i64,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, Vec<u8>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT starts_at, detail FROM activity_blocks WHERE device_id = ? AND starts_at > ?
         ORDER BY starts_at LIMIT ?",
    )
    .bind(device_id)
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Deletes the user's minute records in `[start, end)` and the blocks that count in it. Returns
/// (minutes, blocks) removed.
pub async fn delete_records_between(
    conn: &mut SqliteConnection,
    user_id: i64,
    (start, end): (i64, i64),
    now: i64,
) -> Result<(u64, u64), sqlx::Error> {
    let minutes = super::activity::delete_minutes(conn, user_id, (start, end), now).await?;
    let blocks = sqlx::query(&format!(
        "DELETE FROM activity_blocks WHERE user_id = ? AND {BLOCK_COUNTS_AT} >= ? AND {BLOCK_COUNTS_AT} < ?"
    ))
    .bind(user_id)
    .bind(start)
    .bind(end)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok((minutes, blocks))
}

/// Deletes the day rollups (figures and grids) of the user's days `from..=to`. Returns the number
/// of days that had figures.
pub async fn delete_days(conn: &mut SqliteConnection, user_id: i64, from: &str, to: &str) -> Result<u64, sqlx::Error> {
    let days = sqlx::query("DELETE FROM activity_days WHERE user_id = ? AND day >= ? AND day <= ?")
        .bind(user_id)
        .bind(from)
        .bind(to)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    sqlx::query("DELETE FROM activity_day_screens WHERE user_id = ? AND day >= ? AND day <= ?")
        .bind(user_id)
        .bind(from)
        .bind(to)
        .execute(conn)
        .await?;
    Ok(days)
}

/// Deletes a device with its records (the caller has checked it is the user's, [`owns_device`]).
/// Returns (minutes, blocks) removed.
pub async fn delete_device(conn: &mut SqliteConnection, device_id: i64) -> Result<(u64, u64), sqlx::Error> {
    let minutes: Vec<i64> = sqlx::query_scalar("DELETE FROM activity_hours WHERE device_id = ? RETURNING minutes")
        .bind(device_id)
        .fetch_all(&mut *conn)
        .await?;
    let minutes = super::activity::minutes_deleted(&minutes);
    let blocks =
        sqlx::query("DELETE FROM activity_blocks WHERE device_id = ?").bind(device_id).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM devices WHERE id = ?").bind(device_id).execute(conn).await?;
    Ok((minutes, blocks.rows_affected()))
}

/// Deletes the user and everything that hangs off them (tokens, devices, records, rollups, team
/// memberships, invites they made), keeps their id from ever being given again, and deletes the
/// teams left without members.
pub async fn delete_user(conn: &mut SqliteConnection, user_id: i64, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT OR IGNORE INTO deleted_accounts (id, deleted_at) VALUES (?, ?)")
        .bind(user_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    // The largest tables first and by their user index, rather than through cascades that look
    // each row up again.
    for table in ["activity_hours", "activity_blocks", "activity_day_screens", "activity_days"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE user_id = ?")).bind(user_id).execute(&mut *conn).await?;
    }
    sqlx::query("DELETE FROM users WHERE id = ?").bind(user_id).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM teams WHERE NOT EXISTS (SELECT 1 FROM team_members m WHERE m.team_id = teams.id)")
        .execute(conn)
        .await?;
    Ok(())
}

/// Sets the dates of a device's first and last upload (an imported device keeps its own).
pub async fn set_device_dates(
    pool: &SqlitePool,
    user_id: i64,
    agent_device_id: &str,
    (first_seen, last_seen): (i64, i64),
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE devices SET first_seen = ?, last_seen = ? WHERE user_id = ? AND agent_device_id = ?")
        .bind(first_seen)
        .bind(last_seen)
        .bind(user_id)
        .bind(agent_device_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Every user's id, for retention.
pub async fn user_ids(pool: &SqlitePool) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM users ORDER BY id").fetch_all(pool).await
}

/// Whether the user has minute records from before `cutoff`, or blocks that ended by then (a
/// read, so that retention takes the write lock only for users it has work for).
pub async fn has_records_before(pool: &SqlitePool, user_id: i64, cutoff: i64) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM activity_hours WHERE user_id = ?1 AND hour < ?2 AND first_minute < ?2)
             OR EXISTS (SELECT 1 FROM activity_blocks WHERE user_id = ?1 AND ends_at <= ?2)",
    )
    .bind(user_id)
    .bind(cutoff)
    .fetch_one(pool)
    .await
}

/// Deletes up to `limit` hours of the user's minute records from before `cutoff` (and, once the
/// whole hours are gone, the records before it in an hour that reaches past it), and up to `limit`
/// blocks that ended by then. Returns (minutes, blocks) removed.
pub async fn delete_records_before(
    conn: &mut SqliteConnection,
    user_id: i64,
    cutoff: i64,
    limit: i64,
    now: i64,
) -> Result<(u64, u64), sqlx::Error> {
    let hours: Vec<i64> = sqlx::query_scalar(
        "DELETE FROM activity_hours WHERE id IN
             (SELECT id FROM activity_hours WHERE user_id = ?1 AND hour < ?2 AND last_minute < ?2 LIMIT ?3)
         RETURNING minutes",
    )
    .bind(user_id)
    .bind(cutoff)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let mut minutes = super::activity::minutes_deleted(&hours);
    if (hours.len() as i64) < limit {
        minutes += super::activity::delete_minutes(conn, user_id, (i64::MIN, cutoff), now).await?;
    }
    let blocks = sqlx::query(
        "DELETE FROM activity_blocks WHERE id IN
             (SELECT id FROM activity_blocks WHERE user_id = ? AND ends_at <= ? LIMIT ?)",
    )
    .bind(user_id)
    .bind(cutoff)
    .bind(limit)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok((minutes, blocks))
}

/// Notes that the user's records before `cutoff` are gone (see the `records_since` column).
pub async fn set_records_since(conn: &mut SqliteConnection, user_id: i64, cutoff: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET records_since = max(coalesce(records_since, ?), ?) WHERE id = ?")
        .bind(cutoff)
        .bind(cutoff)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Since when the user's records are all kept (`None`: from the start).
pub async fn records_since(conn: &mut SqliteConnection, user_id: i64) -> Result<Option<i64>, sqlx::Error> {
    let since: Option<Option<i64>> =
        sqlx::query_scalar("SELECT records_since FROM users WHERE id = ?").bind(user_id).fetch_optional(conn).await?;
    Ok(since.flatten())
}
