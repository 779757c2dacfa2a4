//! Activity statistics over a range of the user's days.

use chrono::NaiveDate;
use keytrack_wire::{Account, ActivityStats, PeriodSummary, ScreenHeatmap, words_per_minute};

use super::db::Db;
use super::error::AppError;
use super::{accounts, clock, db, rollups};
use crate::domain::range::{Preset, RangeQuery};
use crate::domain::time;
use crate::model::MinuteTotals;

/// Stats for the days `from..=to` (inclusive, already checked by [`resolve_range`]) in the
/// user's time zone.
pub async fn activity_stats<'c>(
    db: impl Into<Db<'c>> + Copy,
    account: &Account,
    user_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<ActivityStats, AppError> {
    let totals = rollups::range_totals(db, user_id, from, to).await?;
    let mut stats = totals.finish();
    stats.from = from.to_string();
    stats.to = to.to_string();
    stats.timezone = account.timezone.clone();
    stats.day_start_hour = account.day_start_hour;
    stats.keyboard_layout = account.keyboard_layout.clone();
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

/// The days a query asks for, by the one rule of `domain::range` (`domain::time::days_of`),
/// counted from the asking user's today; a bad preset, date or length is a 400 naming it.
pub async fn resolve_range<'c>(
    db: impl Into<Db<'c>> + Copy,
    account: &Account,
    scope: RangeScope,
    query: &RangeQuery,
    now: i64,
) -> Result<(NaiveDate, NaiveDate), AppError> {
    let today = clock::clock_of(account)?.today(now);
    // Only `all` needs the first day with data.
    let first = if query.checked_preset() == Ok(Some(Preset::All)) {
        let first = match scope {
            RangeScope::Own(user_id) => db::days::first_day(db, user_id).await?,
            RangeScope::Team(team_id) => db::teams::first_day(db, team_id).await?,
        };
        first.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
    } else {
        None
    };
    time::days_of(query, today, || first).map_err(AppError::BadRequest)
}

/// Stats for what a query asks for, with the previous period of equal length (the dashboard's
/// comparison).
pub async fn stats_for_query<'c>(
    db: impl Into<Db<'c>> + Copy,
    user_id: i64,
    query: &RangeQuery,
    now: i64,
) -> Result<ActivityStats, AppError> {
    let account = accounts::account(db, user_id).await?;
    let (from, to) = resolve_range(db, &account, RangeScope::Own(user_id), query, now).await?;
    let mut stats = activity_stats(db, &account, user_id, from, to).await?;
    let length = (to - from).num_days() + 1;
    let (before_from, before_to) = (from - chrono::Duration::days(length), from - chrono::Duration::days(1));
    let before = db::days::headline_sum(db, user_id, &before_from.to_string(), &before_to.to_string()).await?;
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
pub async fn heatmaps_for_query<'c>(
    db: impl Into<Db<'c>> + Copy,
    user_id: i64,
    query: &RangeQuery,
    now: i64,
) -> Result<Vec<ScreenHeatmap>, AppError> {
    let account = accounts::account(db, user_id).await?;
    let (from, to) = resolve_range(db, &account, RangeScope::Own(user_id), query, now).await?;
    rollups::range_heatmaps(db, user_id, from, to).await
}

/// Minutes in the live dashboard's "last hour" chart.
pub const LAST_HOUR_MINUTES: i64 = 60;

/// Key presses and clicks in each of the last 60 minutes up to `now` (quiet minutes as zeros),
/// labelled `HH:MM` in the user's time zone: the live dashboard's minute-by-minute view.
pub async fn last_hour<'c>(
    db: impl Into<Db<'c>> + Copy,
    user_id: i64,
    now: i64,
) -> Result<Vec<MinuteTotals>, AppError> {
    let account = accounts::account(db, user_id).await?;
    let tz: chrono_tz::Tz = account.timezone.parse().unwrap_or(chrono_tz::UTC);
    let this_minute = now - now.rem_euclid(60);
    let first = this_minute - (LAST_HOUR_MINUTES - 1) * 60;
    let stored: std::collections::HashMap<i64, (i64, i64)> = db::activity::minute_totals_since(db, user_id, first)
        .await?
        .into_iter()
        .map(|(minute, keys, clicks)| (minute, (keys, clicks)))
        .collect();
    Ok((0..LAST_HOUR_MINUTES)
        .map(|i| {
            let minute = first + i * 60;
            let (keys, clicks) = stored.get(&minute).copied().unwrap_or_default();
            let label = chrono::TimeZone::timestamp_opt(&tz, minute, 0)
                .single()
                .map_or_else(String::new, |t| t.format("%H:%M").to_string());
            MinuteTotals { label, keys: u64::try_from(keys).unwrap_or(0), clicks: u64::try_from(clicks).unwrap_or(0) }
        })
        .collect())
}
