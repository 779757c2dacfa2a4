//! Activity statistics over a range of the user's days: the read side of the day rollups (a
//! range's days summed, its displays' grids added up) and the dashboard's questions.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use keytrack_wire::{Account, ActivityStats, DisplayPlace, PeriodSummary, ScreenHeatmap, words_per_minute};

use crate::domain::rollup::{DayTotals, ScreenGrid};
use crate::domain::stats::StatsTotals;

use super::{accounts, clock};
use crate::domain::range::{Preset, RangeQuery};
use crate::domain::time;
use crate::model::{MinuteTotals, PointerMaps};
use crate::server::error::AppError;
use crate::server::store;
use crate::server::store::Db;

/// Stats for the days `from..=to` (inclusive, already checked by [`resolve_range`]) in the
/// user's time zone.
pub async fn activity_stats<'c>(
    db: impl Into<Db<'c>> + Copy,
    account: &Account,
    user_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<ActivityStats, AppError> {
    let totals = range_totals(db, user_id, from, to).await?;
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
    // Only `all` and `year` need the first day with data.
    let first = if matches!(query.checked_preset(), Ok(Some(Preset::All | Preset::ThisYear))) {
        let first = match scope {
            RangeScope::Own(user_id) => store::days::first_day(db, user_id).await?,
            RangeScope::Team(team_id) => store::teams::first_day(db, team_id).await?,
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
    let (before, until) = if query.checked_preset() == Ok(Some(Preset::Today)) {
        // Today so far against yesterday up to the same time of the day, not all of yesterday.
        let clock = clock::clock_of(&account)?;
        let (today_start, yesterday_start) = (clock.day_start(from), clock.day_start(before_from));
        let end = (yesterday_start + (now - today_start)).clamp(yesterday_start, today_start);
        let until = clock.hour_minute(end);
        (store::days::headline_between(db, user_id, (yesterday_start, end)).await?, Some(until))
    } else {
        (store::days::headline_sum(db, user_id, &before_from.to_string(), &before_to.to_string()).await?, None)
    };
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    stats.previous = Some(PeriodSummary {
        from: before_from.to_string(),
        to: before_to.to_string(),
        until,
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
    range_heatmaps(db, user_id, from, to).await
}

/// The dashboard's pointer heatmaps for what a query asks for, and the computers heard from in
/// that range whose capture knows no pointer positions (their clicks count, but not on the maps).
pub async fn dashboard_pointer_maps<'c>(
    db: impl Into<Db<'c>> + Copy,
    user_id: i64,
    query: &RangeQuery,
    now: i64,
) -> Result<PointerMaps, AppError> {
    let account = accounts::account(db, user_id).await?;
    let (from, to) = resolve_range(db, &account, RangeScope::Own(user_id), query, now).await?;
    let screens = range_heatmaps(db, user_id, from, to).await?;
    let (since, _) = clock::clock_of(&account)?.range(from, to);
    let without_positions = store::data::devices_without_positions(db, user_id, since).await?;
    Ok(PointerMaps { screens, without_positions })
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
    let stored: std::collections::HashMap<i64, (i64, i64)> = store::activity::minute_totals_since(db, user_id, first)
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

/// Sums the user's days `from..=to` (their days, in their time zone).
pub async fn range_totals<'c>(
    db: impl Into<Db<'c>>,
    user_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<StatsTotals, AppError> {
    let rows = store::days::range(db, user_id, &from.to_string(), &to.to_string()).await?;
    totals_of_days(from, to, rows)
}

/// The totals of the days `from..=to`, given their stored rollups (day `YYYY-MM-DD`, encoded).
fn totals_of_days(from: NaiveDate, to: NaiveDate, rows: Vec<(String, Vec<u8>)>) -> Result<StatsTotals, AppError> {
    let mut stored: HashMap<String, Vec<u8>> = rows.into_iter().collect();
    let mut totals = StatsTotals::new();
    // Every day of the range, in order: charts over time show the quiet days too.
    for date in from.iter_days().take_while(|d| *d <= to) {
        let name = date.to_string();
        let day_totals = match stored.remove(&name) {
            Some(bytes) => store::days::decode::<DayTotals>(&bytes).map_err(AppError::internal)?.shaped(),
            None => DayTotals::default().shaped(),
        };
        totals.add_day(&name, day_totals, date.weekday().num_days_from_monday() as usize);
    }
    Ok(totals)
}

/// Click and movement heatmaps over the days `from..=to`, one per screen size, the most used
/// screen first.
pub async fn range_heatmaps<'c>(
    db: impl Into<Db<'c>>,
    user_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<ScreenHeatmap>, AppError> {
    let rows = store::days::screens_of_days(db, user_id, &from.to_string(), &to.to_string()).await?;
    Ok(heatmaps_of_days(rows))
}

/// The heatmaps of days' stored grids: (day, display, clicks, moves).
fn heatmaps_of_days(rows: Vec<(String, DisplayPlace, Vec<u8>, Vec<u8>)>) -> Vec<ScreenHeatmap> {
    let mut sums: HashMap<DisplayPlace, ScreenGrid> = HashMap::new();
    for (_, place, clicks, moves) in rows {
        sums.entry(place).or_default().add_blobs(&clicks, &moves);
    }
    let count = |cells: &[i64]| cells.iter().map(|n| u64::try_from(*n).unwrap_or(0)).collect::<Vec<u64>>();
    let mut maps: Vec<ScreenHeatmap> = sums
        .into_iter()
        // A display whose detail was all replaced away (a block sent again without it) is gone.
        .filter(|(_, grid)| grid.clicks.iter().chain(&grid.moves).any(|n| *n != 0))
        .map(|(place, grid)| ScreenHeatmap {
            width: place.width,
            height: place.height,
            x: place.x,
            y: place.y,
            desktop_width: place.desktop_width,
            desktop_height: place.desktop_height,
            clicks: count(&grid.clicks),
            moves: count(&grid.moves),
        })
        .collect();
    maps.sort_by_key(|m| std::cmp::Reverse(m.moves.iter().sum::<u64>() + m.clicks.iter().sum::<u64>()));
    maps
}
