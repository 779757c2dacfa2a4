//! Keeps each user's day rollups equal to the sum of their minute records and hour blocks (see
//! `domain::rollup`): updated by every upload in its own transaction, rebuilt when the user's
//! time zone or day start changes (their days move), and built at start for data that predates
//! them. Also the one-time fold of first-release minute detail into hour blocks.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use keytrack_wire::{ActivityMinute, DisplayPlace, HourBlock, ScreenHeatmap};
use sqlx::SqlitePool;

use super::db::{self, Db};
use super::error::AppError;
use crate::domain::rollup::{DayTotals, ScreenGrid, presence};
use crate::domain::stats::StatsTotals;
use crate::domain::time::UserClock;

/// The rollups one write transaction touches: loaded (what [`DayRollups::needs`] names), changed
/// by records coming and going, and handed back encoded ([`DayRollups::into_rows`]) for whichever
/// connection writes them. Days and screens not loaded start empty (a rebuild starts from nothing).
pub struct DayRollups {
    clock: UserClock,
    days: HashMap<NaiveDate, DayTotals>,
    screens: HashMap<(NaiveDate, DisplayPlace), ScreenGrid>,
}

/// A day rollup ready to store.
pub struct DayRow {
    pub day: String,
    pub totals: Vec<u8>,
    pub headline: db::days::Headline,
    /// The day's figures per clock hour, for team statistics.
    pub hours: Vec<u8>,
    /// The day's chord counts, for the team's top chords.
    pub chords: Vec<u8>,
}

/// A day's click and movement grids on one display, ready to store.
pub struct ScreenRow {
    pub day: String,
    pub place: DisplayPlace,
    pub clicks: Vec<u8>,
    pub moves: Vec<u8>,
}

impl DayRollups {
    pub fn new(clock: UserClock) -> DayRollups {
        DayRollups { clock, days: HashMap::new(), screens: HashMap::new() }
    }

    /// The days, and the screens of days, that these minutes and blocks (old copies included)
    /// count on: what to load before applying them.
    pub fn needs<'a>(
        &self,
        minutes: impl IntoIterator<Item = i64>,
        blocks: impl IntoIterator<Item = &'a HourBlock>,
    ) -> (Vec<NaiveDate>, Vec<(NaiveDate, DisplayPlace)>) {
        let mut days: Vec<NaiveDate> = minutes.into_iter().map(|m| self.clock.day_and_hour(m).0).collect();
        let mut screens = Vec::new();
        for block in blocks {
            let day = self.clock.day_and_hour(block_last_minute(block)).0;
            days.push(day);
            screens.extend(block.screens.iter().map(|s| (day, s.place())));
        }
        days.sort_unstable();
        days.dedup();
        screens.sort_unstable();
        screens.dedup();
        (days, screens)
    }

    /// Loads a day's rollup as stored (`None`: not stored yet).
    pub fn load_day(&mut self, day: NaiveDate, stored: Option<&[u8]>) -> Result<(), AppError> {
        let totals = match stored {
            Some(bytes) => db::days::decode::<DayTotals>(bytes).map_err(AppError::internal)?.shaped(),
            None => DayTotals::default().shaped(),
        };
        self.days.insert(day, totals);
        Ok(())
    }

    /// Loads a day's grids on one display as stored (clicks, moves).
    pub fn load_screen(&mut self, key: (NaiveDate, DisplayPlace), stored: Option<(&[u8], &[u8])>) {
        let grid = stored.map_or_else(ScreenGrid::default, |(c, m)| ScreenGrid::from_blobs(c, m));
        self.screens.insert(key, grid);
    }

    fn day(&mut self, day: NaiveDate) -> &mut DayTotals {
        self.days.entry(day).or_insert_with(|| DayTotals::default().shaped())
    }

    fn screen(&mut self, key: (NaiveDate, DisplayPlace)) -> &mut ScreenGrid {
        self.screens.entry(key).or_default()
    }

    /// Accounts for `new` replacing `old` (the same device and minute) or arriving first;
    /// `others`: the active seconds of the user's other devices in that minute.
    pub fn replace(&mut self, others: &[u32], old: Option<&ActivityMinute>, new: &ActivityMinute) {
        let (day, hour) = self.clock.day_and_hour(new.minute);
        let slot = minute_slot(&self.clock, day, new.minute);
        let before = presence(others.iter().copied().chain(old.map(|o| o.active_seconds)));
        let after = presence(others.iter().copied().chain([new.active_seconds]));
        let totals = self.day(day);
        if let Some(old) = old {
            totals.apply(old, hour, -1);
        }
        totals.apply(new, hour, 1);
        totals.apply_presence(hour, slot, before, after);
    }

    /// Accounts for the block `new` replacing `old` (the same device and start) or arriving
    /// first. A block counts on the user's day and hour of its last hour.
    pub fn replace_block(&mut self, old: Option<&HourBlock>, new: &HourBlock) {
        for (block, sign) in old.map(|o| (o, -1)).into_iter().chain([(new, 1)]) {
            let (day, _) = self.clock.day_and_hour(block_last_minute(block));
            self.day(day).apply_block(block, sign);
            for s in &block.screens {
                self.screen((day, s.place())).apply(&s.clicks, &s.moves, sign);
            }
        }
    }

    /// The rollups, encoded, to store.
    pub fn into_rows(self) -> Result<(Vec<DayRow>, Vec<ScreenRow>), AppError> {
        let mut days = Vec::with_capacity(self.days.len());
        for (day, totals) in self.days {
            days.push(DayRow {
                day: day.to_string(),
                totals: db::days::encode(&totals).map_err(AppError::internal)?,
                headline: db::days::Headline {
                    total_keys: totals.presses(),
                    total_clicks: totals.clicks.iter().sum(),
                    active_seconds: totals.active_seconds,
                    typed_keys: totals.typed_keys,
                    typing_ms: totals.typing_ms,
                },
                hours: db::days::encode(&totals.hour_cells()).map_err(AppError::internal)?,
                chords: db::days::encode(&totals.chords).map_err(AppError::internal)?,
            });
        }
        let screens = self
            .screens
            .into_iter()
            .map(|((day, place), grid)| {
                let (clicks, moves) = grid.to_blobs();
                ScreenRow { day: day.to_string(), place, clicks, moves }
            })
            .collect();
        Ok((days, screens))
    }

    /// Stores the rollups through the pool's connection (rebuilds; uploads store theirs on the
    /// writer thread, `db::uploads`).
    pub async fn save<'c>(self, db: impl Into<Db<'c>>, user_id: i64) -> Result<(), AppError> {
        let (days, screens) = self.into_rows()?;
        db::days::save_rollups(db, user_id, &days, &screens).await?;
        Ok(())
    }
}

/// A minute's place in its day: minutes since the day's start.
fn minute_slot(clock: &UserClock, day: NaiveDate, minute: i64) -> usize {
    usize::try_from((minute - clock.day_start(day)) / 60).unwrap_or(0)
}

/// The minute a block counts in: the last of its last hour.
fn block_last_minute(block: &HourBlock) -> i64 {
    block.end.saturating_sub(60).max(block.start)
}

/// Recomputes the user's rollups from their minute records and blocks (inside the caller's write
/// transaction). Returns the number of days. See [`rebuild_from`] for users whose early records
/// retention removed.
pub async fn rebuild<'c>(db: impl Into<Db<'c>>, user_id: i64, clock: UserClock) -> Result<usize, AppError> {
    rebuild_from(db, user_id, clock, clock).await
}

/// [`rebuild`] when the stored rollups were counted in the clock `stored_in` and are to be counted
/// in `clock` (a new time zone or day start). When retention removed the user's early records
/// (`db::data::records_since`), the stored days up to the one they were removed in stay as they
/// are; the records after that day are counted again in `clock`, into the kept days where the new
/// clock's days overlap them, so that every record is counted once.
pub async fn rebuild_from<'c>(
    db: impl Into<Db<'c>>,
    user_id: i64,
    stored_in: UserClock,
    clock: UserClock,
) -> Result<usize, AppError> {
    let mut db = db.into();
    let mut days: HashMap<NaiveDate, DayTotals> = HashMap::new();
    let mut screens: HashMap<(NaiveDate, DisplayPlace), ScreenGrid> = HashMap::new();
    let from = match db::data::records_since(db.reborrow(), user_id).await? {
        Some(since) => {
            let kept_before = stored_in.day_and_hour(since).0.succ_opt().unwrap_or(NaiveDate::MAX);
            let from = stored_in.day_start(kept_before);
            db::days::delete_from(db.reborrow(), user_id, &kept_before.to_string()).await?;
            // Kept days that the first counted records fall on in the new clock take them in.
            let first = clock.day_and_hour(from).0;
            if let Some(last_kept) = kept_before.pred_opt().filter(|last| *last >= first) {
                let (a, b) = (first.to_string(), last_kept.to_string());
                for (day, stored) in db::days::range(db.reborrow(), user_id, &a, &b).await? {
                    let date = NaiveDate::parse_from_str(&day, "%Y-%m-%d").map_err(AppError::internal)?;
                    days.insert(date, db::days::decode::<DayTotals>(&stored).map_err(AppError::internal)?.shaped());
                }
                for (day, place, clicks, moves) in db::days::screens_of_days(db.reborrow(), user_id, &a, &b).await? {
                    let date = NaiveDate::parse_from_str(&day, "%Y-%m-%d").map_err(AppError::internal)?;
                    screens.insert((date, place), ScreenGrid::from_blobs(&clicks, &moves));
                }
            }
            from
        }
        None => {
            db::days::delete_all(db.reborrow(), user_id).await?;
            i64::MIN
        }
    };
    // Records come in minute order; the devices' seconds of the minute at hand, for its presence.
    let mut open: Option<(i64, Vec<u32>)> = None;
    let mut unreadable = 0usize;
    let close = |days: &mut HashMap<NaiveDate, DayTotals>, open: Option<(i64, Vec<u32>)>| {
        if let Some((minute, seconds)) = open {
            let (day, hour) = clock.day_and_hour(minute);
            let slot = minute_slot(&clock, day, minute);
            days.entry(day).or_default().apply_presence(hour, slot, presence([]), presence(seconds));
        }
    };
    unreadable += db::days::for_each_minute(db.reborrow(), user_id, from, |record| {
        let minute = record.minute;
        let (day, hour) = clock.day_and_hour(minute);
        days.entry(day).or_default().apply(record, hour, 1);
        let seconds = record.active_seconds;
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
    db::days::for_each_block(db.reborrow(), user_id, from, |detail| {
        let Ok(block) = db::activity::RecordCodec::with(|codec| codec.decode::<HourBlock>(detail)) else {
            unreadable += 1;
            return;
        };
        let (day, _) = clock.day_and_hour(block_last_minute(&block));
        days.entry(day).or_default().apply_block(&block, 1);
        for s in &block.screens {
            screens.entry((day, s.place())).or_default().apply(&s.clicks, &s.moves, 1);
        }
    })
    .await?;
    if unreadable > 0 {
        tracing::error!(user_id, unreadable, "stored records that do not parse were left out of the rollups");
    }
    let count = days.len();
    let mut rollups = DayRollups::new(clock);
    rollups.days = days;
    rollups.screens = screens;
    rollups.save(db, user_id).await?;
    Ok(count)
}

/// Moves the minute records of `activity_minutes` (a row per device and minute, before this
/// release) into hour rows (`activity_hours`), a user per transaction, then drops that table.
///
/// On the way it folds the key detail that minute records of the first release hold into hour
/// blocks, by the rule agents follow now (`keytrack_wire::blocks`), for every user the upgrade to
/// blocks listed, and rebuilds their rollups in the same transaction. Every total stays: presses,
/// clicks and time come from the minutes as before, and every key press is in a block (the last,
/// smaller block of a device included: it was on the server already). Per-key counts may move to
/// the day on which their block ends. Afterwards the file is rewritten (VACUUM) so that no free
/// page keeps the old minute detail. Other users' rollups are sums of the same records, so they
/// stay as they are. Run at server start.
pub async fn move_minutes_into_hours(pool: &SqlitePool) -> Result<(), AppError> {
    let (users, to_fold) = {
        let mut conn = pool.acquire().await?;
        if !db::days::legacy_minutes_table_exists(&mut conn).await? {
            return Ok(());
        }
        let mut users = db::days::legacy_users(&mut conn).await?;
        let to_fold = db::days::users_to_fold(&mut conn).await?;
        users.extend(&to_fold);
        users.sort_unstable();
        users.dedup();
        (users, to_fold)
    };
    let mut unreadable = 0usize;
    for user_id in &users {
        let fold = to_fold.contains(user_id);
        let mut tx = db::begin_write(pool).await?;
        let now = super::state::now();
        let (mut moved, mut blocks) = (0usize, 0usize);
        for device_id in db::days::legacy_devices_with_minutes(&mut tx, *user_id).await? {
            let mut details: Vec<HourBlock> = Vec::new();
            // Records come in minute order; an hour is stored once the next one begins, so that an
            // hour cut by a chunk's end is stored whole.
            let mut open = db::activity::HourRecords::default();
            let mut after = i64::MIN;
            loop {
                let chunk = db::days::legacy_minutes_of_device(&mut tx, device_id, after, 5_000).await?;
                let Some(last) = chunk.last() else { break };
                after = last.0;
                for (_, stored) in chunk {
                    let Ok(mut record) = db::activity::RecordCodec::with(|c| c.decode::<ActivityMinute>(&stored))
                    else {
                        unreadable += 1;
                        continue;
                    };
                    let detail = record.take_detail();
                    if fold && !detail.is_empty() {
                        details.push(detail);
                    }
                    let hour = keytrack_wire::hour_of(record.minute);
                    if hour != open.hour && !open.records.is_empty() {
                        db::activity::save_hour(&mut tx, device_id, *user_id, &open, now).await?;
                        open.records.clear();
                    }
                    open.hour = hour;
                    open.replace(record);
                    moved += 1;
                }
            }
            if !open.records.is_empty() {
                db::activity::save_hour(&mut tx, device_id, *user_id, &open, now).await?;
            }
            db::days::delete_legacy_minutes(&mut tx, device_id).await?;
            let folded = keytrack_wire::blocks::fold_hours(details);
            blocks += folded.len();
            let encoded = folded
                .iter()
                .map(|block| db::activity::RecordCodec::with(|c| c.encode(block)).map_err(AppError::internal))
                .collect::<Result<Vec<_>, AppError>>()?;
            let rows: Vec<db::activity::BlockRow> =
                folded.iter().zip(&encoded).map(|(block, encoded)| db::activity::BlockRow { block, encoded }).collect();
            db::activity::replace_blocks(&mut tx, device_id, *user_id, &rows, now).await?;
        }
        if fold {
            let clock = super::clock::clock_in(&mut tx, *user_id).await?;
            let days = rebuild(&mut tx, *user_id, clock).await?;
            db::days::folded(&mut tx, *user_id).await?;
            tracing::info!(user_id, blocks, days, "folded first-release key detail into hour blocks");
        }
        tx.commit().await?;
        tracing::info!(user_id, minutes = moved, "moved minute records into hour rows");
    }
    if unreadable > 0 {
        tracing::error!(
            unreadable,
            "stored minute records that do not parse could not be moved to hour rows and are gone"
        );
    }
    let mut conn = pool.acquire().await?;
    db::days::drop_legacy_minutes_table(&mut conn).await?;
    if !to_fold.is_empty() {
        db::days::reclaim_space(&mut conn).await?;
        tracing::info!(users = to_fold.len(), "rewrote the database without the first release's minute detail");
    }
    Ok(())
}

/// Brings data of earlier releases up to date (run at server start): moves minute records into
/// hour rows (folding first-release minute detail into blocks), then builds rollups for users
/// whose data predates them.
pub async fn build_missing(pool: &SqlitePool) -> Result<(), AppError> {
    move_minutes_into_hours(pool).await?;
    let mut conn = pool.acquire().await?;
    let mut users = db::days::users_without_rollups(&mut conn).await?;
    users.extend(db::days::users_with_old_rollups(&mut conn).await?);
    drop(conn);
    for user_id in users {
        let mut tx = db::begin_write(pool).await?;
        let clock = super::clock::clock_in(&mut tx, user_id).await?;
        let days = rebuild(&mut tx, user_id, clock).await?;
        tx.commit().await?;
        tracing::info!(user_id, days, "built day rollups");
    }
    Ok(())
}

/// Sums the user's days `from..=to` (their days, in their time zone).
pub async fn range_totals<'c>(
    db: impl Into<Db<'c>>,
    user_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<StatsTotals, AppError> {
    let rows = db::days::range(db, user_id, &from.to_string(), &to.to_string()).await?;
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
            Some(bytes) => db::days::decode::<DayTotals>(&bytes).map_err(AppError::internal)?.shaped(),
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
    let rows = db::days::screens_of_days(db, user_id, &from.to_string(), &to.to_string()).await?;
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
