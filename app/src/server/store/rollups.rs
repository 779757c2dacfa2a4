//! Keeps each user's day rollups equal to the sum of their minute records and hour blocks (see
//! `domain::rollup`), the write side: updated by every upload in its own transaction (`merge`),
//! rebuilt when the user's time zone or day start changes (their days move), and built at start
//! for data that predates them (`sqlite::upgrade`). Ranges are read in `services::stats`.

use std::collections::HashMap;

use chrono::NaiveDate;
use keytrack_wire::{ActivityMinute, DisplayPlace, HourBlock};

use super::engine::Db;
use super::{activity, data, days};
use crate::domain::rollup::{DayTotals, ScreenGrid, presence};
use crate::domain::time::UserClock;
use crate::server::error::AppError;

/// The rollups one write transaction touches: loaded (what [`DayRollups::needs`] names), changed
/// by records coming and going, and handed back encoded ([`DayRollups::into_rows`]) for whichever
/// connection writes them. Days and screens not loaded start empty (a rebuild starts from nothing).
pub struct DayRollups {
    clock: UserClock,
    days: HashMap<NaiveDate, DayTotals>,
    screens: HashMap<(NaiveDate, DisplayPlace), ScreenGrid>,
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
            Some(bytes) => days::decode::<DayTotals>(bytes).map_err(AppError::internal)?.shaped(),
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
    pub fn into_rows(self) -> Result<(Vec<days::DayRow>, Vec<days::ScreenRow>), AppError> {
        let mut days = Vec::with_capacity(self.days.len());
        for (day, totals) in self.days {
            days.push(days::DayRow {
                day: day.to_string(),
                totals: days::encode(&totals).map_err(AppError::internal)?,
                headline: days::Headline {
                    total_keys: totals.presses(),
                    total_clicks: totals.clicks.iter().sum(),
                    active_seconds: totals.active_seconds,
                    typed_keys: totals.typed_keys,
                    typing_ms: totals.typing_ms,
                },
                hours: days::encode(&totals.hour_cells()).map_err(AppError::internal)?,
                chords: days::encode(&totals.chords).map_err(AppError::internal)?,
            });
        }
        let screens = self
            .screens
            .into_iter()
            .map(|((day, place), grid)| {
                let (clicks, moves) = grid.to_blobs();
                days::ScreenRow { day: day.to_string(), place, clicks, moves }
            })
            .collect();
        Ok((days, screens))
    }

    /// Stores the rollups through the pool's connection (rebuilds; uploads store theirs on the
    /// writer thread, `sqlite::uploads`).
    pub async fn save<'c>(self, db: impl Into<Db<'c>>, user_id: i64) -> Result<(), AppError> {
        let (days, screens) = self.into_rows()?;
        days::save_rollups(db, user_id, &days, &screens).await?;
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
/// (`data::records_since`), the stored days up to the one they were removed in stay as they
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
    let from = match data::records_since(db.reborrow(), user_id).await? {
        Some(since) => {
            let kept_before = stored_in.day_and_hour(since).0.succ_opt().unwrap_or(NaiveDate::MAX);
            let from = stored_in.day_start(kept_before);
            days::delete_from(db.reborrow(), user_id, &kept_before.to_string()).await?;
            // Kept days that the first counted records fall on in the new clock take them in.
            let first = clock.day_and_hour(from).0;
            if let Some(last_kept) = kept_before.pred_opt().filter(|last| *last >= first) {
                let (a, b) = (first.to_string(), last_kept.to_string());
                for (day, stored) in days::range(db.reborrow(), user_id, &a, &b).await? {
                    let date = NaiveDate::parse_from_str(&day, "%Y-%m-%d").map_err(AppError::internal)?;
                    days.insert(date, days::decode::<DayTotals>(&stored).map_err(AppError::internal)?.shaped());
                }
                for (day, place, clicks, moves) in days::screens_of_days(db.reborrow(), user_id, &a, &b).await? {
                    let date = NaiveDate::parse_from_str(&day, "%Y-%m-%d").map_err(AppError::internal)?;
                    screens.insert((date, place), ScreenGrid::from_blobs(&clicks, &moves));
                }
            }
            from
        }
        None => {
            days::delete_all(db.reborrow(), user_id).await?;
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
    unreadable += days::for_each_minute(db.reborrow(), user_id, from, |record| {
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
    days::for_each_block(db.reborrow(), user_id, from, |detail| {
        let Ok(block) = activity::RecordCodec::with(|codec| codec.decode::<HourBlock>(detail)) else {
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
