//! An upload on SQLite: its statements, run on the upload writer's thread (`writer`, rusqlite),
//! each prepared once and cached, none a round trip to another thread, around the merge both
//! engines share (`store::merge`).

use std::collections::HashMap;

use chrono::NaiveDate;
use keytrack_wire::{DisplayPlace, HourBlock, IngestReceipt};
use rusqlite::{Connection, OptionalExtension, params};

use crate::server::error::AppError;
use crate::server::store::activity::{BlockRow, HourRow};
use crate::server::store::days::{self, DayRow, ScreenRow};
use crate::server::store::merge::{Merging, Stored, Upload, UploadSource};

/// The list as a JSON array, for `IN (SELECT value FROM json_each(?))`: one statement for any
/// number of values.
fn json_list<T: serde::Serialize>(values: &[T]) -> String {
    serde_json::to_string(values).unwrap_or_else(|_| "[]".into())
}

/// What an upload needs of its user: time zone and day start, and the never-count list (JSON).
pub fn upload_fields(conn: &Connection, user_id: i64) -> rusqlite::Result<Option<(String, u8, String)>> {
    conn.prepare_cached("SELECT timezone, day_start_hour, never_count FROM users WHERE id = ?1")?
        .query_row([user_id], |r| Ok((r.get(0)?, r.get::<_, i64>(1)?.clamp(0, 23) as u8, r.get(2)?)))
        .optional()
}

/// Finds or creates the user's device with the agent's id, keeping its name (unless the person
/// renamed it on the server), its agent's version, platform and capture, and the token it uploads
/// with current. An empty name, agent or capture and no token keep what is stored.
pub fn upsert_device(
    conn: &Connection,
    user_id: i64,
    agent_device_id: &str,
    name: &str,
    source: &UploadSource,
    now: i64,
) -> rusqlite::Result<i64> {
    let (version, platform) =
        source.agent.as_ref().map_or(("", ""), |agent| (agent.version.as_str(), agent.platform.as_str()));
    conn.prepare_cached(
        "INSERT INTO devices (user_id, agent_device_id, name, first_seen, last_seen, agent_version, platform, token_id,
                              capture)
         VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (user_id, agent_device_id) DO UPDATE SET
             name = CASE WHEN excluded.name = '' OR devices.named_by_user THEN devices.name ELSE excluded.name END,
             last_seen = excluded.last_seen,
             agent_version = CASE WHEN excluded.agent_version = '' THEN devices.agent_version ELSE excluded.agent_version END,
             platform = CASE WHEN excluded.platform = '' THEN devices.platform ELSE excluded.platform END,
             token_id = coalesce(excluded.token_id, devices.token_id),
             capture = CASE WHEN excluded.capture = '' THEN devices.capture ELSE excluded.capture END
         RETURNING id",
    )?
    .query_row(
        params![user_id, agent_device_id, name, now, version, platform, source.token_id, source.capture.as_deref().unwrap_or("")],
        |r| r.get(0),
    )
}

/// The user's stored hours of minute records among `hours`, every device's: (device, hour, the
/// records as stored).
pub fn stored_hours(conn: &Connection, user_id: i64, hours: &[i64]) -> rusqlite::Result<Vec<(i64, i64, Vec<u8>)>> {
    let mut statement = conn.prepare_cached(
        "SELECT device_id, hour, records FROM activity_hours
         WHERE user_id = ?1 AND hour IN (SELECT value FROM json_each(?2))",
    )?;
    let rows = statement.query_map(params![user_id, json_list(hours)], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect()
}

/// The blocks stored for this device with these starts, encoded, by start.
pub fn stored_blocks(conn: &Connection, device_id: i64, starts: &[i64]) -> rusqlite::Result<HashMap<i64, Vec<u8>>> {
    // Most uploads carry no block: no statement for them.
    if starts.is_empty() {
        return Ok(HashMap::new());
    }
    let mut statement = conn.prepare_cached(
        "SELECT starts_at, detail FROM activity_blocks WHERE device_id = ?1 AND starts_at IN (SELECT value FROM json_each(?2))",
    )?;
    let rows = statement.query_map(params![device_id, json_list(starts)], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// The user's stored day rollups of these days, encoded, by day.
pub fn stored_days(conn: &Connection, user_id: i64, days: &[NaiveDate]) -> rusqlite::Result<HashMap<String, Vec<u8>>> {
    let names: Vec<String> = days.iter().map(NaiveDate::to_string).collect();
    let mut statement = conn.prepare_cached(
        "SELECT day, totals FROM activity_days WHERE user_id = ?1 AND day IN (SELECT value FROM json_each(?2))",
    )?;
    let rows = statement.query_map(params![user_id, json_list(&names)], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// A day's stored grids on one display (clicks, moves).
pub fn stored_screen(
    conn: &Connection,
    user_id: i64,
    day: NaiveDate,
    place: &DisplayPlace,
) -> rusqlite::Result<Option<(Vec<u8>, Vec<u8>)>> {
    conn.prepare_cached(
        "SELECT clicks, moves FROM activity_day_screens WHERE user_id = ?1 AND day = ?2 AND desktop_width = ?3
         AND desktop_height = ?4 AND x = ?5 AND y = ?6 AND width = ?7 AND height = ?8",
    )?
    .query_row(
        params![
            user_id,
            day.to_string(),
            place.desktop_width,
            place.desktop_height,
            place.x,
            place.y,
            place.width,
            place.height
        ],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()
}

/// Stores hours of one device's minute records, each replacing the stored row of its hour.
pub fn replace_hours(
    conn: &Connection,
    device_id: i64,
    user_id: i64,
    rows: &[HourRow<'_>],
    now: i64,
) -> rusqlite::Result<()> {
    let mut statement = conn.prepare_cached(crate::server::store::activity::REPLACE_HOUR)?;
    for row in rows {
        let hour = row.hour;
        let (Some(first), Some(last)) = (hour.records.first(), hour.records.last()) else { continue };
        let (minutes, keys, clicks, seconds) = hour.totals();
        statement.execute(params![
            device_id,
            hour.hour,
            user_id,
            first.minute,
            last.minute,
            minutes,
            keys,
            clicks,
            seconds,
            row.encoded,
            now
        ])?;
    }
    Ok(())
}

/// Stores the blocks of one device, each replacing a stored block with the same start.
pub fn replace_blocks(
    conn: &Connection,
    device_id: i64,
    user_id: i64,
    rows: &[BlockRow<'_>],
    now: i64,
) -> rusqlite::Result<()> {
    let mut statement = conn.prepare_cached(
        "INSERT INTO activity_blocks (device_id, user_id, starts_at, ends_at, presses, detail, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (device_id, starts_at) DO UPDATE SET ends_at = excluded.ends_at,
             presses = excluded.presses, detail = excluded.detail, received_at = excluded.received_at",
    )?;
    for row in rows {
        let block: &HourBlock = row.block;
        let presses = i64::try_from(block.presses()).unwrap_or(i64::MAX);
        statement.execute(params![device_id, user_id, block.start, block.end, presses, row.encoded, now])?;
    }
    Ok(())
}

/// Stores day rollups and screen grids.
pub fn save_rollups(conn: &Connection, user_id: i64, days: &[DayRow], screens: &[ScreenRow]) -> rusqlite::Result<()> {
    let mut save_day = conn.prepare_cached(days::SAVE_DAY)?;
    for row in days {
        let h = row.headline;
        save_day.execute(params![
            user_id,
            row.day,
            row.totals,
            h.total_keys,
            h.total_clicks,
            h.active_seconds,
            h.typed_keys,
            h.typing_ms,
            row.hours,
            row.chords
        ])?;
    }
    let mut save_screen = conn.prepare_cached(days::SAVE_SCREEN)?;
    for row in screens {
        let p = &row.place;
        save_screen.execute(params![
            user_id,
            row.day,
            p.desktop_width,
            p.desktop_height,
            p.x,
            p.y,
            p.width,
            p.height,
            row.clicks,
            row.moves
        ])?;
    }
    Ok(())
}

/// The upload's part of a write transaction on SQLite (on the writer thread).
pub fn store(conn: &Connection, upload: Upload) -> Result<IngestReceipt, AppError> {
    let (user_id, now) = (upload.user_id, upload.now);
    let (timezone, day_start_hour, never_count) = upload_fields(conn, user_id)?.ok_or(AppError::NotFound)?;
    let device = &upload.batch.device;
    let device_id = upsert_device(conn, user_id, &device.id, &device.name, &upload.source, now)?;
    let stored = Stored {
        timezone,
        day_start_hour,
        never_count,
        device_id,
        hours: stored_hours(conn, user_id, &upload.hour_starts())?,
        blocks: stored_blocks(conn, device_id, &upload.block_starts())?,
    };
    let merging = Merging::new(upload, stored)?;
    let days = stored_days(conn, user_id, &merging.need_days)?;
    let screens = merging
        .need_screens
        .iter()
        .map(|(day, place)| Ok(((*day, *place), stored_screen(conn, user_id, *day, place)?)))
        .collect::<Result<Vec<_>, AppError>>()?;
    let merged = merging.finish(days, screens)?;
    replace_hours(conn, merged.device_id, user_id, &merged.hour_rows(), now)?;
    replace_blocks(conn, merged.device_id, user_id, &merged.block_rows(), now)?;
    save_rollups(conn, user_id, &merged.day_rows, &merged.screen_rows)?;
    Ok(merged.receipt)
}
