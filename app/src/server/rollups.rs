//! Keeps each user's day rollups equal to the sum of their minute records (see
//! `domain::rollup`): updated by every upload in its own transaction, rebuilt when the user's
//! time zone or day start changes (their days move), and built at start for data that predates
//! them.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use keytrack_wire::{ActivityMinute, ScreenHeatmap};
use sqlx::{SqliteConnection, SqlitePool};

use super::db;
use super::error::AppError;
use crate::domain::rollup::{DayTotals, ScreenGrid, presence};
use crate::domain::stats::StatsTotals;
use crate::domain::time::UserClock;

/// The rollups one write transaction touches, loaded on first use and saved at the end.
pub struct DayRollups {
    user_id: i64,
    clock: UserClock,
    days: HashMap<NaiveDate, DayTotals>,
    screens: HashMap<(NaiveDate, u32, u32), ScreenGrid>,
}

impl DayRollups {
    pub fn new(user_id: i64, clock: UserClock) -> DayRollups {
        DayRollups { user_id, clock, days: HashMap::new(), screens: HashMap::new() }
    }

    async fn day(&mut self, conn: &mut SqliteConnection, day: NaiveDate) -> Result<&mut DayTotals, AppError> {
        if !self.days.contains_key(&day) {
            let stored = db::days::totals(conn, self.user_id, &day.to_string()).await?;
            let totals = match stored {
                Some(bytes) => db::days::decode::<DayTotals>(&bytes).map_err(AppError::internal)?.shaped(),
                None => DayTotals::default().shaped(),
            };
            self.days.insert(day, totals);
        }
        self.days.get_mut(&day).ok_or_else(|| AppError::internal("a day rollup vanished"))
    }

    async fn screen(
        &mut self,
        conn: &mut SqliteConnection,
        day: NaiveDate,
        width: u32,
        height: u32,
    ) -> Result<&mut ScreenGrid, AppError> {
        let key = (day, width, height);
        if !self.screens.contains_key(&key) {
            let stored = db::days::screen(conn, self.user_id, &day.to_string(), width, height).await?;
            let grid = stored.map_or_else(ScreenGrid::default, |(c, m)| ScreenGrid::from_blobs(&c, &m));
            self.screens.insert(key, grid);
        }
        self.screens.get_mut(&key).ok_or_else(|| AppError::internal("a screen rollup vanished"))
    }

    /// Accounts for `new` replacing `old` (the same device and minute) or arriving first;
    /// `others`: the active seconds of the user's other devices in that minute.
    pub async fn replace(
        &mut self,
        conn: &mut SqliteConnection,
        others: &[u32],
        old: Option<&ActivityMinute>,
        new: &ActivityMinute,
    ) -> Result<(), AppError> {
        let (day, hour) = self.clock.day_and_hour(new.minute);
        let before = presence(others.iter().copied().chain(old.map(|o| o.active_seconds)));
        let after = presence(others.iter().copied().chain([new.active_seconds]));
        let totals = self.day(conn, day).await?;
        if let Some(old) = old {
            totals.apply(old, hour, -1);
        }
        totals.apply(new, hour, 1);
        totals.apply_presence(hour, before, after);
        for (record, sign) in old.map(|o| (o, -1)).into_iter().chain([(new, 1)]) {
            if let Some(s) = &record.screen {
                self.screen(conn, day, s.width, s.height).await?.apply(&s.clicks, &s.moves, sign);
            }
        }
        Ok(())
    }

    pub async fn save(self, conn: &mut SqliteConnection) -> Result<(), AppError> {
        for (day, totals) in self.days {
            let encoded = db::days::encode(&totals).map_err(AppError::internal)?;
            let chords = db::days::encode(&totals.chords).map_err(AppError::internal)?;
            let keys_by_hour = db::days::encode(&totals.keys_by_hour).map_err(AppError::internal)?;
            let headline = db::days::Headline {
                total_keys: totals.keys.iter().sum(),
                total_clicks: totals.clicks.iter().sum(),
                active_seconds: totals.active_seconds,
                typed_keys: totals.typed_keys,
                typing_ms: totals.typing_ms,
            };
            let row = db::days::DayRow { totals: &encoded, headline, chords: &chords, keys_by_hour: &keys_by_hour };
            db::days::save(conn, self.user_id, &day.to_string(), row).await?;
        }
        for ((day, width, height), grid) in self.screens {
            let (clicks, moves) = grid.to_blobs();
            db::days::save_screen(conn, self.user_id, &day.to_string(), width, height, &clicks, &moves).await?;
        }
        Ok(())
    }
}

/// Recomputes all of the user's rollups from their minute records (inside the caller's write
/// transaction). Returns the number of days.
pub async fn rebuild(conn: &mut SqliteConnection, user_id: i64, clock: UserClock) -> Result<usize, AppError> {
    db::days::delete_all(conn, user_id).await?;
    let mut days: HashMap<NaiveDate, DayTotals> = HashMap::new();
    let mut screens: HashMap<(NaiveDate, u32, u32), ScreenGrid> = HashMap::new();
    // Records come in minute order; the devices' seconds of the minute at hand, for its presence.
    let mut open: Option<(i64, Vec<u32>)> = None;
    let mut unreadable = 0usize;
    let close = |days: &mut HashMap<NaiveDate, DayTotals>, open: Option<(i64, Vec<u32>)>| {
        if let Some((minute, seconds)) = open {
            let (day, hour) = clock.day_and_hour(minute);
            days.entry(day).or_default().apply_presence(hour, presence([]), presence(seconds));
        }
    };
    db::days::for_each_minute(conn, user_id, |minute, seconds, detail| {
        let Ok(record) = db::activity::RecordCodec::with(|codec| codec.decode(detail)) else {
            unreadable += 1;
            return;
        };
        let (day, hour) = clock.day_and_hour(minute);
        days.entry(day).or_default().apply(&record, hour, 1);
        if let Some(s) = &record.screen {
            screens.entry((day, s.width, s.height)).or_default().apply(&s.clicks, &s.moves, 1);
        }
        let seconds = u32::try_from(seconds).unwrap_or(0);
        match &mut open {
            Some((m, list)) if *m == minute => list.push(seconds),
            _ => {
                close(&mut days, open.take());
                open = Some((minute, vec![seconds]));
            }
        }
    })
    .await?;
    close(&mut days, open.take());
    if unreadable > 0 {
        tracing::error!(user_id, unreadable, "stored minute records that do not parse were left out of the rollups");
    }
    let count = days.len();
    let mut rollups = DayRollups::new(user_id, clock);
    rollups.days = days;
    rollups.screens = screens;
    rollups.save(conn).await?;
    Ok(count)
}

/// Builds rollups for users whose data predates them (run at server start).
pub async fn build_missing(pool: &SqlitePool) -> Result<(), AppError> {
    let mut conn = pool.acquire().await?;
    let users = db::days::users_without_rollups(&mut conn).await?;
    drop(conn);
    for user_id in users {
        let mut tx = db::begin_write(pool).await?;
        let clock = super::accounts::clock_in(&mut tx, user_id).await?;
        let days = rebuild(&mut tx, user_id, clock).await?;
        tx.commit().await?;
        tracing::info!(user_id, days, "built day rollups");
    }
    Ok(())
}

/// Sums the user's days `from..=to` (their days, in their time zone).
pub async fn range_totals(
    pool: &SqlitePool,
    user_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<StatsTotals, AppError> {
    let mut conn = pool.acquire().await?;
    let rows = db::days::range(&mut conn, user_id, &from.to_string(), &to.to_string()).await?;
    let mut stored: HashMap<String, Vec<u8>> = rows.into_iter().collect();
    let mut totals = StatsTotals::new();
    // Every day of the range, in order: charts over time show the quiet days too.
    for date in from.iter_days().take_while(|d| *d <= to) {
        let name = date.to_string();
        let day_totals = match stored.remove(&name) {
            Some(bytes) => db::days::decode::<DayTotals>(&bytes).map_err(AppError::internal)?.shaped(),
            None => DayTotals::default().shaped(),
        };
        totals.add_day(&name, day_totals, date.weekday().num_days_from_monday() as usize);
    }
    Ok(totals)
}

/// Click and movement heatmaps over the days `from..=to`, one per screen size, the most used
/// screen first.
pub async fn range_heatmaps(
    pool: &SqlitePool,
    user_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<ScreenHeatmap>, AppError> {
    let mut conn = pool.acquire().await?;
    let rows = db::days::screens_in_range(&mut conn, user_id, &from.to_string(), &to.to_string()).await?;
    let mut sums: HashMap<(u32, u32), ScreenGrid> = HashMap::new();
    for (width, height, clicks, moves) in rows {
        sums.entry((width, height)).or_default().add_blobs(&clicks, &moves);
    }
    let count = |cells: &[i64]| cells.iter().map(|n| u64::try_from(*n).unwrap_or(0)).collect::<Vec<u64>>();
    let mut maps: Vec<ScreenHeatmap> = sums
        .into_iter()
        .map(|((width, height), grid)| ScreenHeatmap {
            width,
            height,
            clicks: count(&grid.clicks),
            moves: count(&grid.moves),
        })
        .collect();
    maps.sort_by_key(|m| std::cmp::Reverse(m.moves.iter().sum::<u64>() + m.clicks.iter().sum::<u64>()));
    Ok(maps)
}
