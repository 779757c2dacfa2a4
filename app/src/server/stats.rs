//! Activity statistics over a range of the user's days.

use chrono::NaiveDate;
use keytrack_wire::ActivityStats;
use sqlx::SqlitePool;

use super::error::AppError;
use super::{accounts, rollups};

/// Parses `YYYY-MM-DD`, naming the parameter in the error.
pub fn parse_day(name: &str, value: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| AppError::BadRequest(format!("{name} must be a date like 2026-11-24, not \"{value}\"")))
}

/// Stats for the days `from..=to` (inclusive) in the user's time zone. Without `from`/`to`: the
/// last 7 days up to today.
pub async fn activity_stats(
    pool: &SqlitePool,
    user_id: i64,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    now: i64,
) -> Result<ActivityStats, AppError> {
    let account = accounts::account(pool, user_id).await?;
    let clock = accounts::clock_of(&account)?;
    let to = to.unwrap_or_else(|| clock.today(now));
    let from = from.unwrap_or_else(|| to - chrono::Duration::days(6));
    if from > to {
        return Err(AppError::BadRequest(format!("from ({from}) is after to ({to})")));
    }
    let totals = rollups::range_totals(pool, user_id, from, to).await?;
    let mut stats = totals.finish();
    stats.from = from.to_string();
    stats.to = to.to_string();
    stats.timezone = account.timezone;
    stats.day_start_hour = account.day_start_hour;
    Ok(stats)
}
