//! Activity statistics over a range of the user's days.

use chrono::{Datelike, NaiveDate};
use keytrack_wire::{Account, ActivityStats, PeriodSummary, ScreenHeatmap, words_per_minute};
use sqlx::SqlitePool;

use super::error::AppError;
use super::{accounts, db, rollups};
use crate::domain::range::{MAX_RANGE_DAYS, Preset, RangeQuery};

/// Parses `YYYY-MM-DD` between 2000-01-01 and 2100-12-31, naming the parameter in the error.
pub fn parse_day(name: &str, value: &str) -> Result<NaiveDate, AppError> {
    let day = NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| AppError::BadRequest(format!("{name} must be a date like 2026-11-24, not \"{value}\"")))?;
    if !(2000..=2100).contains(&day.year()) {
        return Err(AppError::BadRequest(format!("{name} must lie between 2000-01-01 and 2100-12-31, not {value}")));
    }
    Ok(day)
}

/// Stats for the days `from..=to` (inclusive, already checked by [`resolve_range`]) in the
/// user's time zone.
pub async fn activity_stats(
    pool: &SqlitePool,
    account: &Account,
    user_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<ActivityStats, AppError> {
    let totals = rollups::range_totals(pool, user_id, from, to).await?;
    let mut stats = totals.finish();
    stats.from = from.to_string();
    stats.to = to.to_string();
    stats.timezone = account.timezone.clone();
    stats.day_start_hour = account.day_start_hour;
    Ok(stats)
}

/// Whose data a range is over: "All" starts at the first day with activity in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeScope {
    /// The asking user's own (their id).
    Own(i64),
    /// The members of a team (its id; the asking user is one of them).
    Team(i64),
}

/// The days a query asks for, by the one rule of `domain::range`, counted from the asking user's
/// today; a bad preset, date or length is a 400 naming it.
pub async fn resolve_range(
    pool: &SqlitePool,
    account: &Account,
    scope: RangeScope,
    query: &RangeQuery,
    now: i64,
) -> Result<(NaiveDate, NaiveDate), AppError> {
    let today = accounts::clock_of(account)?.today(now);
    let (from, to) = match query.checked_preset().map_err(AppError::BadRequest)? {
        Some(Preset::Today) => (today, today),
        Some(Preset::Last7Days) => (today - chrono::Duration::days(6), today),
        Some(Preset::Last30Days) => (today - chrono::Duration::days(29), today),
        Some(Preset::ThisYear) => (today.with_ordinal(1).unwrap_or(today), today),
        Some(Preset::All) => {
            let mut conn = pool.acquire().await?;
            let first = match scope {
                RangeScope::Own(user_id) => db::days::first_day(&mut conn, user_id).await?,
                RangeScope::Team(team_id) => db::teams::first_day(&mut conn, team_id).await?,
            };
            let first = first.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()).unwrap_or(today);
            // The newest ten years of it, at most.
            (first.max(today - chrono::Duration::days(MAX_RANGE_DAYS - 1)).min(today), today)
        }
        None => {
            let day = |name: &str, value: &Option<String>| match value.as_deref() {
                Some(v) if !v.is_empty() => parse_day(name, v).map(Some),
                _ => Ok(None),
            };
            let to = day("to", &query.to)?.unwrap_or(today);
            let from = day("from", &query.from)?.unwrap_or(to - chrono::Duration::days(6));
            (from, to)
        }
    };
    if from > to {
        return Err(AppError::BadRequest(format!("from ({from}) is after to ({to})")));
    }
    let days = (to - from).num_days() + 1;
    if days > MAX_RANGE_DAYS {
        return Err(AppError::BadRequest(format!(
            "a range covers at most {MAX_RANGE_DAYS} days (ten years); {from} to {to} is {days}"
        )));
    }
    Ok((from, to))
}

/// Stats for what a query asks for, with the previous period of equal length (the dashboard's
/// comparison).
pub async fn stats_for_query(
    pool: &SqlitePool,
    user_id: i64,
    query: &RangeQuery,
    now: i64,
) -> Result<ActivityStats, AppError> {
    let account = accounts::account(pool, user_id).await?;
    let (from, to) = resolve_range(pool, &account, RangeScope::Own(user_id), query, now).await?;
    let mut stats = activity_stats(pool, &account, user_id, from, to).await?;
    let length = (to - from).num_days() + 1;
    let (before_from, before_to) = (from - chrono::Duration::days(length), from - chrono::Duration::days(1));
    let mut conn = pool.acquire().await?;
    let before = db::days::headline_sum(&mut conn, user_id, &before_from.to_string(), &before_to.to_string()).await?;
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    stats.previous = Some(PeriodSummary {
        from: before_from.to_string(),
        to: before_to.to_string(),
        total_keys: count(before.total_keys),
        total_clicks: count(before.total_clicks),
        active_seconds: count(before.active_seconds),
        wpm: words_per_minute(count(before.typed_keys), count(before.typing_ms)),
    });
    Ok(stats)
}

/// Click and movement heatmaps for what a query asks for.
pub async fn heatmaps_for_query(
    pool: &SqlitePool,
    user_id: i64,
    query: &RangeQuery,
    now: i64,
) -> Result<Vec<ScreenHeatmap>, AppError> {
    let account = accounts::account(pool, user_id).await?;
    let (from, to) = resolve_range(pool, &account, RangeScope::Own(user_id), query, now).await?;
    rollups::range_heatmaps(pool, user_id, from, to).await
}
