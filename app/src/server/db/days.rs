//! Day rollups (`activity_days`) and the minute rows they are built from.

use futures::TryStreamExt;
use sqlx::SqliteConnection;

/// The stored rollup of a day, as its JSON.
pub async fn totals(conn: &mut SqliteConnection, user_id: i64, day: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT totals FROM activity_days WHERE user_id = ? AND day = ?")
        .bind(user_id)
        .bind(day)
        .fetch_optional(conn)
        .await
}

/// A day's headline figures, kept in columns beside its rollup.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Headline {
    pub total_keys: i64,
    pub total_clicks: i64,
    pub active_seconds: i64,
    pub typed_keys: i64,
    pub typing_ms: i64,
}

/// A day rollup as stored: the whole rollup's JSON, and parts of it in columns of their own.
pub struct DayRow<'a> {
    pub totals: &'a str,
    pub headline: Headline,
    /// The day's chord counts (JSON object), for team totals.
    pub chords: &'a str,
    /// The day's key presses per clock hour (JSON array), for the team's week rhythm.
    pub keys_by_hour: &'a str,
}

pub async fn save(conn: &mut SqliteConnection, user_id: i64, day: &str, row: DayRow<'_>) -> Result<(), sqlx::Error> {
    let headline = row.headline;
    sqlx::query(
        "INSERT INTO activity_days (user_id, day, totals, total_keys, total_clicks, active_seconds, typed_keys, typing_ms,
                                    chords, keys_by_hour)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (user_id, day) DO UPDATE SET totals = excluded.totals, total_keys = excluded.total_keys,
             total_clicks = excluded.total_clicks, active_seconds = excluded.active_seconds,
             typed_keys = excluded.typed_keys, typing_ms = excluded.typing_ms, chords = excluded.chords,
             keys_by_hour = excluded.keys_by_hour",
    )
    .bind(user_id)
    .bind(day)
    .bind(row.totals)
    .bind(headline.total_keys)
    .bind(headline.total_clicks)
    .bind(headline.active_seconds)
    .bind(headline.typed_keys)
    .bind(headline.typing_ms)
    .bind(row.chords)
    .bind(row.keys_by_hour)
    .execute(conn)
    .await?;
    Ok(())
}

/// The headline figures of the days `from..=to`, summed.
pub async fn headline_sum(
    conn: &mut SqliteConnection,
    user_id: i64,
    from: &str,
    to: &str,
) -> Result<Headline, sqlx::Error> {
    sqlx::query_as(
        "SELECT coalesce(sum(total_keys), 0) AS total_keys, coalesce(sum(total_clicks), 0) AS total_clicks,
                coalesce(sum(active_seconds), 0) AS active_seconds, coalesce(sum(typed_keys), 0) AS typed_keys,
                coalesce(sum(typing_ms), 0) AS typing_ms
         FROM activity_days WHERE user_id = ? AND day >= ? AND day <= ?",
    )
    .bind(user_id)
    .bind(from)
    .bind(to)
    .fetch_one(conn)
    .await
}

pub async fn delete_all(conn: &mut SqliteConnection, user_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM activity_days WHERE user_id = ?").bind(user_id).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM activity_day_screens WHERE user_id = ?").bind(user_id).execute(conn).await?;
    Ok(())
}

/// A day's click and movement grids on one screen size, as stored.
pub async fn screen(
    conn: &mut SqliteConnection,
    user_id: i64,
    day: &str,
    width: u32,
    height: u32,
) -> Result<Option<(Vec<u8>, Vec<u8>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT clicks, moves FROM activity_day_screens WHERE user_id = ? AND day = ? AND width = ? AND height = ?",
    )
    .bind(user_id)
    .bind(day)
    .bind(width)
    .bind(height)
    .fetch_optional(conn)
    .await
}

#[allow(clippy::too_many_arguments)]
pub async fn save_screen(
    conn: &mut SqliteConnection,
    user_id: i64,
    day: &str,
    width: u32,
    height: u32,
    clicks: &[u8],
    moves: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO activity_day_screens (user_id, day, width, height, clicks, moves) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (user_id, day, width, height) DO UPDATE SET clicks = excluded.clicks, moves = excluded.moves",
    )
    .bind(user_id)
    .bind(day)
    .bind(width)
    .bind(height)
    .bind(clicks)
    .bind(moves)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every day's grids in `from..=to`: (width, height, clicks, moves).
pub async fn screens_in_range(
    conn: &mut SqliteConnection,
    user_id: i64,
    from: &str,
    to: &str,
) -> Result<Vec<(u32, u32, Vec<u8>, Vec<u8>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT width, height, clicks, moves FROM activity_day_screens
         WHERE user_id = ? AND day >= ? AND day <= ?",
    )
    .bind(user_id)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await
}

/// The user's first day with activity.
pub async fn first_day(conn: &mut SqliteConnection, user_id: i64) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT min(day) FROM activity_days WHERE user_id = ?").bind(user_id).fetch_one(conn).await
}

/// Rollups of the days `from..=to` (`YYYY-MM-DD`), in day order.
pub async fn range(
    conn: &mut SqliteConnection,
    user_id: i64,
    from: &str,
    to: &str,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT day, totals FROM activity_days WHERE user_id = ? AND day >= ? AND day <= ? ORDER BY day")
        .bind(user_id)
        .bind(from)
        .bind(to)
        .fetch_all(conn)
        .await
}

/// The active seconds of the other devices' records of the user in this minute.
pub async fn other_devices_seconds(
    conn: &mut SqliteConnection,
    user_id: i64,
    minute: i64,
    device_id: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT active_seconds FROM activity_minutes WHERE user_id = ? AND minute = ? AND device_id <> ?",
    )
    .bind(user_id)
    .bind(minute)
    .bind(device_id)
    .fetch_all(conn)
    .await
}

/// Users that have minute records but no rollups (data from before rollups existed).
pub async fn users_without_rollups(conn: &mut SqliteConnection) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM users u WHERE EXISTS (SELECT 1 FROM activity_minutes m WHERE m.user_id = u.id)
         AND NOT EXISTS (SELECT 1 FROM activity_days d WHERE d.user_id = u.id)",
    )
    .fetch_all(conn)
    .await
}

/// Calls `each` with every minute record of the user, in minute order: (minute, active seconds, detail JSON).
pub async fn for_each_minute(
    conn: &mut SqliteConnection,
    user_id: i64,
    mut each: impl FnMut(i64, i64, &str),
) -> Result<(), sqlx::Error> {
    let mut rows = sqlx::query_as::<_, (i64, i64, String)>(
        "SELECT minute, active_seconds, detail FROM activity_minutes WHERE user_id = ? ORDER BY minute",
    )
    .bind(user_id)
    .fetch(conn);
    while let Some((minute, seconds, detail)) = rows.try_next().await? {
        each(minute, seconds, &detail);
    }
    Ok(())
}
