//! A user's data as a whole: their devices, the reads an export pages through, deletions (a range
//! of days, a device, the account) and the retention of minute records.

use super::engine::{Db, on_engine};

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
    pub capture: String,
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
pub async fn devices<'c>(
    db: impl Into<Db<'c>>,
    user_id: i64,
    today: (i64, i64),
) -> Result<Vec<DeviceRow>, sqlx::Error> {
    let mut db = db.into();
    // (The casts: PostgreSQL sums BIGINTs as NUMERIC and writes a bare 0 as an INTEGER.)
    let mut devices: Vec<DeviceRow> = on_engine!(db.reborrow(), |e| {
        sqlx::query_as(
            "SELECT d.id, d.agent_device_id, d.name, d.first_seen, d.last_seen, d.named_by_user, d.platform,
                    d.agent_version, d.capture,
                    (SELECT CAST(coalesce(sum(h.minutes), 0) AS BIGINT) FROM activity_hours h
                     WHERE h.user_id = d.user_id AND h.device_id = d.id) AS minutes,
                    CAST(0 AS BIGINT) AS today_keys, CAST(0 AS BIGINT) AS today_clicks,
                    CAST(0 AS BIGINT) AS today_minutes,
                    t.id AS token_id, t.name AS token_name, t.revoked_at IS NOT NULL AS token_revoked,
                    (SELECT count(*) FROM devices o
                     WHERE o.user_id = d.user_id AND o.token_id = d.token_id AND o.id <> d.id) AS token_shared_with
             FROM devices d
             LEFT JOIN api_tokens t ON t.id = d.token_id AND t.user_id = d.user_id
             WHERE d.user_id = $1 ORDER BY d.last_seen DESC, d.id",
        )
        .bind(user_id)
        .fetch_all(e)
        .await
    })?;
    if today != NO_DAY {
        for (device_id, hour) in super::activity::hours_between(db, user_id, today).await? {
            let Some(device) = devices.iter_mut().find(|d| d.id == device_id) else { continue };
            let (minutes, keys, clicks, _) = hour.totals();
            device.today_minutes += minutes;
            device.today_keys += keys;
            device.today_clicks += clicks;
        }
    }
    Ok(devices)
}

/// The names of the user's devices heard from at or after `since` (Unix seconds) whose agent
/// captures without pointer positions ([`keytrack_wire::data::CAPTURE_WITHOUT_POSITIONS`]).
pub async fn devices_without_positions<'c>(
    db: impl Into<Db<'c>>,
    user_id: i64,
    since: i64,
) -> Result<Vec<String>, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query_scalar(
            "SELECT CASE WHEN name = '' THEN agent_device_id ELSE name END FROM devices
             WHERE user_id = $1 AND capture = $2 AND last_seen >= $3 ORDER BY name, id",
        )
        .bind(user_id)
        .bind(keytrack_wire::data::CAPTURE_WITHOUT_POSITIONS)
        .bind(since)
        .fetch_all(e)
        .await
    })
}

/// Gives one of the user's devices a name of the person's choosing, which the agent's own name no
/// longer replaces; false when the user has no such device.
pub async fn rename_device<'c>(
    db: impl Into<Db<'c>>,
    user_id: i64,
    device_id: i64,
    name: &str,
) -> Result<bool, sqlx::Error> {
    let renamed = on_engine!(db.into(), |e| {
        sqlx::query("UPDATE devices SET name = $1, named_by_user = TRUE WHERE id = $2 AND user_id = $3")
            .bind(name)
            .bind(device_id)
            .bind(user_id)
            .execute(e)
            .await
            .map(|done| done.rows_affected())
    })?;
    Ok(renamed == 1)
}

/// Whether the user has this device.
pub async fn owns_device<'c>(db: impl Into<Db<'c>>, user_id: i64, device_id: i64) -> Result<bool, sqlx::Error> {
    let owned: Option<i64> = on_engine!(db.into(), |e| {
        sqlx::query_scalar("SELECT id FROM devices WHERE id = $1 AND user_id = $2")
            .bind(device_id)
            .bind(user_id)
            .fetch_optional(e)
            .await
    })?;
    Ok(owned.is_some())
}

/// Revokes the live token the user's device last uploaded with; returns how many were revoked.
pub async fn revoke_device_token<'c>(
    db: impl Into<Db<'c>>,
    user_id: i64,
    device_id: i64,
    now: i64,
) -> Result<u64, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL
                 AND id = (SELECT token_id FROM devices WHERE id = $3 AND user_id = $2)",
        )
        .bind(now)
        .bind(user_id)
        .bind(device_id)
        .execute(e)
        .await
        .map(|done| done.rows_affected())
    })
}

/// When the account was made.
pub async fn created_at<'c>(db: impl Into<Db<'c>>, user_id: i64) -> Result<Option<i64>, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query_scalar("SELECT created_at FROM users WHERE id = $1").bind(user_id).fetch_optional(e).await
    })
}

/// The teams the user is in: (team name, role, shares figures, joined at).
pub async fn memberships<'c>(
    db: impl Into<Db<'c>>,
    user_id: i64,
) -> Result<Vec<(String, String, bool, i64)>, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query_as(
            "SELECT t.name, m.role, m.shares_figures, m.joined_at FROM team_members m JOIN teams t ON t.id = m.team_id
             WHERE m.user_id = $1 ORDER BY m.joined_at, t.id",
        )
        .bind(user_id)
        .fetch_all(e)
        .await
    })
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
pub async fn minute_totals_page<'c>(
    db: impl Into<Db<'c>>,
    user_id: i64,
    (start, end): (i64, i64),
    from: i64,
) -> Result<(Vec<MinuteTotalsRow>, Option<i64>), sqlx::Error> {
    let mut db = db.into();
    let from = from.max(super::activity::first_hour_of(start));
    let first: Option<i64> = on_engine!(db.reborrow(), |e| {
        sqlx::query_scalar("SELECT min(hour) FROM activity_hours WHERE user_id = $1 AND hour >= $2 AND hour < $3")
            .bind(user_id)
            .bind(from)
            .bind(end)
            .fetch_one(e)
            .await
    })?;
    let Some(first) = first else { return Ok((Vec::new(), None)) };
    let until = first.saturating_add(HOURS_PER_PAGE * 3_600).min(end);
    let names: Vec<(i64, String)> = on_engine!(db.reborrow(), |e| {
        sqlx::query_as(
            "SELECT id, CASE WHEN name = '' THEN agent_device_id ELSE name END FROM devices WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_all(e)
        .await
    })?;
    let names: std::collections::HashMap<i64, String> = names.into_iter().collect();
    let mut rows: Vec<MinuteTotalsRow> = Vec::new();
    for (device_id, hour) in super::activity::hours_between(db, user_id, (start.max(first), until)).await? {
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

/// Up to `limit` of the user's device's hour blocks starting after `after`, in order, as stored.
pub async fn blocks_of_device<'c>(
    db: impl Into<Db<'c>>,
    user_id: i64,
    device_id: i64,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, Vec<u8>)>, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query_as(
            "SELECT starts_at, detail FROM activity_blocks WHERE user_id = $1 AND device_id = $2 AND starts_at > $3
             ORDER BY starts_at LIMIT $4",
        )
        .bind(user_id)
        .bind(device_id)
        .bind(after)
        .bind(limit)
        .fetch_all(e)
        .await
    })
}

/// Deletes the user's minute records in `[start, end)` and the blocks that count in it (at their
/// last minute, see `rollups::block_last_minute`). Returns (minutes, blocks) removed.
pub async fn delete_records_between<'c>(
    db: impl Into<Db<'c>>,
    user_id: i64,
    (start, end): (i64, i64),
    now: i64,
) -> Result<(u64, u64), sqlx::Error> {
    let mut db = db.into();
    let minutes = super::activity::delete_minutes(db.reborrow(), user_id, (start, end), now).await?;
    let sql = db.pick(
        "DELETE FROM activity_blocks
         WHERE user_id = $1 AND max(ends_at - 60, starts_at) >= $2 AND max(ends_at - 60, starts_at) < $3",
        "DELETE FROM activity_blocks
         WHERE user_id = $1 AND greatest(ends_at - 60, starts_at) >= $2 AND greatest(ends_at - 60, starts_at) < $3",
    );
    let blocks = on_engine!(db, |e| {
        sqlx::query(sql).bind(user_id).bind(start).bind(end).execute(e).await.map(|done| done.rows_affected())
    })?;
    Ok((minutes, blocks))
}

/// Deletes the day rollups (figures and grids) of the user's days `from..=to` (`YYYY-MM-DD`).
/// Returns the number of days that had figures.
pub async fn delete_days<'c>(db: impl Into<Db<'c>>, user_id: i64, from: &str, to: &str) -> Result<u64, sqlx::Error> {
    let mut db = db.into();
    let (days_sql, screens_sql) = (
        db.pick(
            "DELETE FROM activity_days WHERE user_id = $1 AND day >= $2 AND day <= $3",
            "DELETE FROM activity_days WHERE user_id = $1 AND day >= $2::date AND day <= $3::date",
        ),
        db.pick(
            "DELETE FROM activity_day_screens WHERE user_id = $1 AND day >= $2 AND day <= $3",
            "DELETE FROM activity_day_screens WHERE user_id = $1 AND day >= $2::date AND day <= $3::date",
        ),
    );
    let days = on_engine!(db.reborrow(), |e| {
        sqlx::query(days_sql).bind(user_id).bind(from).bind(to).execute(e).await.map(|done| done.rows_affected())
    })?;
    on_engine!(db, |e| sqlx::query(screens_sql).bind(user_id).bind(from).bind(to).execute(e).await.map(|_| ()))?;
    Ok(days)
}

/// Deletes one of the user's devices with its records (the caller has checked it is theirs,
/// [`owns_device`]). Returns (minutes, blocks) removed.
pub async fn delete_device<'c>(db: impl Into<Db<'c>>, user_id: i64, device_id: i64) -> Result<(u64, u64), sqlx::Error> {
    let mut db = db.into();
    let minutes: Vec<i64> = on_engine!(db.reborrow(), |e| {
        sqlx::query_scalar("DELETE FROM activity_hours WHERE user_id = $1 AND device_id = $2 RETURNING minutes")
            .bind(user_id)
            .bind(device_id)
            .fetch_all(e)
            .await
    })?;
    let minutes = super::activity::minutes_deleted(&minutes);
    let blocks = on_engine!(db.reborrow(), |e| {
        sqlx::query("DELETE FROM activity_blocks WHERE user_id = $1 AND device_id = $2")
            .bind(user_id)
            .bind(device_id)
            .execute(e)
            .await
            .map(|done| done.rows_affected())
    })?;
    on_engine!(db, |e| {
        sqlx::query("DELETE FROM devices WHERE user_id = $1 AND id = $2")
            .bind(user_id)
            .bind(device_id)
            .execute(e)
            .await
            .map(|_| ())
    })?;
    Ok((minutes, blocks))
}

/// Deletes the user and everything that hangs off them (tokens, devices, records, rollups, team
/// memberships, invites they made), keeps their id from ever being given again, and deletes the
/// teams left without members.
pub async fn delete_user<'c>(db: impl Into<Db<'c>>, user_id: i64, now: i64) -> Result<(), sqlx::Error> {
    let mut db = db.into();
    on_engine!(db.reborrow(), |e| {
        sqlx::query("INSERT INTO deleted_accounts (id, deleted_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING")
            .bind(user_id)
            .bind(now)
            .execute(e)
            .await
            .map(|_| ())
    })?;
    // The largest tables first and by their user index, rather than through cascades that look
    // each row up again.
    for sql in [
        "DELETE FROM activity_hours WHERE user_id = $1",
        "DELETE FROM activity_blocks WHERE user_id = $1",
        "DELETE FROM activity_day_screens WHERE user_id = $1",
        "DELETE FROM activity_days WHERE user_id = $1",
        "DELETE FROM users WHERE id = $1",
    ] {
        on_engine!(db.reborrow(), |e| sqlx::query(sql).bind(user_id).execute(e).await.map(|_| ()))?;
    }
    on_engine!(db, |e| {
        sqlx::query("DELETE FROM teams WHERE NOT EXISTS (SELECT 1 FROM team_members m WHERE m.team_id = teams.id)")
            .execute(e)
            .await
            .map(|_| ())
    })
}

/// Sets the dates of a device's first and last upload (an imported device keeps its own).
pub async fn set_device_dates<'c>(
    db: impl Into<Db<'c>>,
    user_id: i64,
    agent_device_id: &str,
    (first_seen, last_seen): (i64, i64),
) -> Result<(), sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query("UPDATE devices SET first_seen = $1, last_seen = $2 WHERE user_id = $3 AND agent_device_id = $4")
            .bind(first_seen)
            .bind(last_seen)
            .bind(user_id)
            .bind(agent_device_id)
            .execute(e)
            .await
            .map(|_| ())
    })
}

/// Every user's id, for retention.
pub async fn user_ids<'c>(db: impl Into<Db<'c>>) -> Result<Vec<i64>, sqlx::Error> {
    on_engine!(db.into(), |e| sqlx::query_scalar("SELECT id FROM users ORDER BY id").fetch_all(e).await)
}

/// Whether the user has minute records from before `cutoff`, or blocks that ended by then (a
/// read, so that retention takes the write lock only for users it has work for).
pub async fn has_records_before<'c>(db: impl Into<Db<'c>>, user_id: i64, cutoff: i64) -> Result<bool, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM activity_hours WHERE user_id = $1 AND hour < $2 AND first_minute < $2)
                 OR EXISTS (SELECT 1 FROM activity_blocks WHERE user_id = $1 AND ends_at <= $2)",
        )
        .bind(user_id)
        .bind(cutoff)
        .fetch_one(e)
        .await
    })
}

/// Deletes up to `limit` hours of the user's minute records from before `cutoff` (and, once the
/// whole hours are gone, the records before it in an hour that reaches past it), and up to `limit`
/// blocks that ended by then. Returns (minutes, blocks) removed.
pub async fn delete_records_before<'c>(
    db: impl Into<Db<'c>>,
    user_id: i64,
    cutoff: i64,
    limit: i64,
    now: i64,
) -> Result<(u64, u64), sqlx::Error> {
    let mut db = db.into();
    // SQLite's rows have an id; PostgreSQL's are keyed by user, device and start.
    let (hours_sql, blocks_sql) = (
        db.pick(
            "DELETE FROM activity_hours WHERE id IN
                 (SELECT id FROM activity_hours WHERE user_id = $1 AND hour < $2 AND last_minute < $2 LIMIT $3)
             RETURNING minutes",
            "DELETE FROM activity_hours WHERE (user_id, device_id, hour) IN
                 (SELECT user_id, device_id, hour FROM activity_hours
                  WHERE user_id = $1 AND hour < $2 AND last_minute < $2 LIMIT $3)
             RETURNING minutes",
        ),
        db.pick(
            "DELETE FROM activity_blocks WHERE id IN
                 (SELECT id FROM activity_blocks WHERE user_id = $1 AND ends_at <= $2 LIMIT $3)",
            "DELETE FROM activity_blocks WHERE (user_id, device_id, starts_at) IN
                 (SELECT user_id, device_id, starts_at FROM activity_blocks
                  WHERE user_id = $1 AND ends_at <= $2 LIMIT $3)",
        ),
    );
    let hours: Vec<i64> = on_engine!(db.reborrow(), |e| {
        sqlx::query_scalar(hours_sql).bind(user_id).bind(cutoff).bind(limit).fetch_all(e).await
    })?;
    let mut minutes = super::activity::minutes_deleted(&hours);
    if (hours.len() as i64) < limit {
        minutes += super::activity::delete_minutes(db.reborrow(), user_id, (i64::MIN, cutoff), now).await?;
    }
    let blocks = on_engine!(db, |e| {
        sqlx::query(blocks_sql).bind(user_id).bind(cutoff).bind(limit).execute(e).await.map(|done| done.rows_affected())
    })?;
    Ok((minutes, blocks))
}

/// Notes that the user's records before `cutoff` are gone (see the `records_since` column).
pub async fn set_records_since<'c>(db: impl Into<Db<'c>>, user_id: i64, cutoff: i64) -> Result<(), sqlx::Error> {
    let db = db.into();
    let sql = db.pick(
        "UPDATE users SET records_since = max(coalesce(records_since, $1), $1) WHERE id = $2",
        "UPDATE users SET records_since = greatest(coalesce(records_since, $1), $1) WHERE id = $2",
    );
    on_engine!(db, |e| sqlx::query(sql).bind(cutoff).bind(user_id).execute(e).await.map(|_| ()))
}

/// Since when the user's records are all kept (`None`: from the start).
pub async fn records_since<'c>(db: impl Into<Db<'c>>, user_id: i64) -> Result<Option<i64>, sqlx::Error> {
    let since: Option<Option<i64>> = on_engine!(db.into(), |e| {
        sqlx::query_scalar("SELECT records_since FROM users WHERE id = $1").bind(user_id).fetch_optional(e).await
    })?;
    Ok(since.flatten())
}

/// Deletes all the user's devices, their minute records and the day rollups made of them.
pub async fn delete_all_activity<'c>(db: impl Into<Db<'c>>, user_id: i64) -> Result<(), sqlx::Error> {
    let mut db = db.into();
    on_engine!(db.reborrow(), |e| {
        sqlx::query("DELETE FROM devices WHERE user_id = $1").bind(user_id).execute(e).await.map(|_| ())
    })?;
    super::days::delete_all(db, user_id).await
}
