//! Day rollups on PostgreSQL (`db::days` on SQLite).

use chrono::NaiveDate;
use keytrack_wire::DisplayPlace;
use sqlx::PgPool;

/// Rollups of the days `from..=to`, encoded, in day order (days as `YYYY-MM-DD`).
pub async fn range(
    pool: &PgPool,
    user_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(String, Vec<u8>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT day::text, totals FROM activity_days
         WHERE user_id = $1 AND day >= $2::date AND day <= $3::date ORDER BY day",
    )
    .bind(user_id)
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(pool)
    .await
}

/// A grid row as read: day, the display's six columns, clicks, moves.
type ScreenColumns = (String, i32, i32, i32, i32, i32, i32, Vec<u8>, Vec<u8>);

/// The grids of the days `from..=to` on every display: (day, display, clicks, moves).
pub async fn screens_of_days(
    pool: &PgPool,
    user_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(String, DisplayPlace, Vec<u8>, Vec<u8>)>, sqlx::Error> {
    let rows: Vec<ScreenColumns> = sqlx::query_as(
        "SELECT day::text, desktop_width, desktop_height, x, y, width, height, clicks, moves FROM activity_day_screens
         WHERE user_id = $1 AND day >= $2::date AND day <= $3::date",
    )
    .bind(user_id)
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(pool)
    .await?;
    let size = |n: i32| u32::try_from(n).unwrap_or(0);
    Ok(rows
        .into_iter()
        .map(|(day, desktop_width, desktop_height, x, y, width, height, clicks, moves)| {
            let place = DisplayPlace {
                desktop_width: size(desktop_width),
                desktop_height: size(desktop_height),
                x: size(x),
                y: size(y),
                width: size(width),
                height: size(height),
            };
            (day, place, clicks, moves)
        })
        .collect())
}
