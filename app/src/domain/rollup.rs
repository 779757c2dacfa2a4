//! Day rollups: everything the statistics need about one of the user's days, summed over that
//! day's minute records (totals) and hour blocks (key detail), so that a year is 365 rows to add
//! up instead of 125,000 minutes.
//!
//! A rollup changes by records coming and going: storing a record adds it, replacing a record
//! subtracts the old copy and adds the new one (the idempotent merge rule), so rollups stay
//! exactly equal to the sum of the records they cover. Every figure is therefore kept in a form
//! that can be subtracted: counts, sums, and for maxima (the best typing burst) a count per value.
//!
//! ```text
//! minute record (totals) --apply--------> hour-by-hour figures, day sums
//! hour block (key detail) --apply_block--> keys, chords of the day its last hour falls in
//! ```

use std::collections::BTreeMap;

use keytrack_wire::{
    ActivityMinute, GRID_COLS, GRID_ROWS, GridCount, HourBlock, INTERVAL_BUCKETS_MS, KEY_CODES, key_index,
};
use serde::{Deserialize, Serialize};

use super::breaks;

/// One user day. Maps drop entries that fall to zero, so a rollup stays as small as its data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DayTotals {
    /// Key presses by the key's position in [`KEY_CODES`] (a year of days adds up as vectors),
    /// from the hour blocks whose last hour falls on this day.
    pub keys: Vec<i64>,
    /// Chord presses, from the same blocks.
    pub chords: BTreeMap<String, i64>,
    /// Key presses per clock hour of the day (0-23), from the minute records: the day's presses.
    pub keys_by_hour: Vec<i64>,
    /// Active minutes per clock hour.
    pub minutes_by_hour: Vec<i64>,
    /// Active seconds per clock hour (the busiest device's, minute by minute).
    pub seconds_by_hour: Vec<i64>,
    /// Clicks per clock hour.
    pub clicks_by_hour: Vec<i64>,
    /// Typed keys and typing time per clock hour.
    pub typed_by_hour: Vec<i64>,
    pub typing_ms_by_hour: Vec<i64>,
    /// Clicks per button: left, right, middle, other.
    pub clicks: [i64; 4],
    pub typed_keys: i64,
    pub typing_ms: i64,
    pub bursts: i64,
    pub intervals: Vec<i64>,
    /// Best bursts by speed in tenths of a word per minute: how many minutes had that best.
    pub best_bursts: BTreeMap<u32, i64>,
    pub distance_px: i64,
    pub scroll_vertical: i64,
    pub scroll_horizontal: i64,
    /// Distinct minutes with any device's record, and their seconds with input (the busiest
    /// device's, when several were used in the same minute).
    pub active_minutes: i64,
    pub active_seconds: i64,
    /// Which minutes of the day (counted from its start) had any device's record, one bit each
    /// (`domain::breaks`): what the day's work periods and breaks are read from. Kept last: a
    /// rollup stored before it existed reads as one without it (`db::days::decode`).
    pub active: Vec<u64>,
    /// Consecutive key pairs by class, in `keytrack_wire::PairCounts::slots` order, from the
    /// same blocks as `keys` (empty until a block with pairs comes). Kept last, like `active`.
    pub pairs: Vec<i64>,
    /// Key presses, clicks and active seconds per application, from the same blocks as `keys`.
    /// Kept last, with `excluded_seconds` (rollup format 4).
    pub apps: BTreeMap<String, [i64; 3]>,
    /// Seconds with input that was not counted (a never-count application had the focus), from
    /// the same blocks.
    pub excluded_seconds: i64,
}

/// How the set of records of one minute (all devices) changed: its active minute and seconds
/// before and after.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MinutePresence {
    pub minutes: i64,
    pub seconds: i64,
}

impl DayTotals {
    /// The rollup with every list at its full length (as read back from storage, or new).
    pub fn shaped(mut self) -> DayTotals {
        self.keys.resize(KEY_CODES.len(), 0);
        for hours in [
            &mut self.keys_by_hour,
            &mut self.minutes_by_hour,
            &mut self.seconds_by_hour,
            &mut self.clicks_by_hour,
            &mut self.typed_by_hour,
            &mut self.typing_ms_by_hour,
        ] {
            hours.resize(24, 0);
        }
        self.intervals.resize(INTERVAL_BUCKETS_MS.len(), 0);
        self
    }

    /// Key presses of the day (from the minute records).
    pub fn presses(&self) -> i64 {
        self.keys_by_hour.iter().sum()
    }

    /// Adds (`sign` = 1) or removes (`sign` = -1) a minute record's totals, at its clock hour.
    pub fn apply(&mut self, record: &ActivityMinute, hour: usize, sign: i64) {
        *self = std::mem::take(self).shaped();
        let hour = hour.min(23);
        let c = &record.clicks;
        let t = &record.typing;
        let at_hour = [
            (&mut self.keys_by_hour, i64::try_from(record.total_presses()).unwrap_or(i64::MAX)),
            (&mut self.clicks_by_hour, i64::try_from(c.total()).unwrap_or(i64::MAX)),
            (&mut self.typed_by_hour, i64::from(t.typed_keys)),
            (&mut self.typing_ms_by_hour, i64::from(t.typing_ms)),
        ];
        for (hours, n) in at_hour {
            hours[hour] += sign * n;
        }
        for (slot, n) in self.clicks.iter_mut().zip([c.left, c.right, c.middle, c.other]) {
            *slot += sign * i64::from(n);
        }
        self.typed_keys += sign * i64::from(t.typed_keys);
        self.typing_ms += sign * i64::from(t.typing_ms);
        self.bursts += sign * i64::from(t.bursts);
        for (slot, n) in self.intervals.iter_mut().zip(&t.intervals) {
            *slot += sign * i64::from(*n);
        }
        if let Some(best) = t.best_burst {
            let tenths = (best.wpm() * 10.0).round() as u32;
            let count = self.best_bursts.entry(tenths).or_default();
            *count += sign;
            if *count == 0 {
                self.best_bursts.remove(&tenths);
            }
        }
        self.distance_px += sign * i64::try_from(record.distance_px).unwrap_or(i64::MAX);
        self.scroll_vertical += sign * i64::from(record.scroll.vertical);
        self.scroll_horizontal += sign * i64::from(record.scroll.horizontal);
    }

    /// Adds (`sign` = 1) or removes (`sign` = -1) an hour block's key detail. (Its pointer cells
    /// go to the day's [`ScreenGrid`]s.)
    pub fn apply_block(&mut self, block: &HourBlock, sign: i64) {
        *self = std::mem::take(self).shaped();
        for (code, n) in &block.keys {
            // Uploads hold known codes only (validation refuses the rest).
            if let Some(slot) = key_index(code).and_then(|i| self.keys.get_mut(i)) {
                *slot += sign * i64::from(*n);
            }
        }
        for (chord, n) in &block.chords {
            bump(&mut self.chords, chord, sign * i64::from(*n));
        }
        if !block.pairs.is_empty() {
            self.pairs.resize(6, 0);
            for (slot, n) in self.pairs.iter_mut().zip(block.pairs.slots()) {
                *slot += sign * i64::from(n);
            }
            if self.pairs.iter().all(|n| *n == 0) {
                self.pairs.clear();
            }
        }
        for app in &block.apps {
            let counts = [app.keys, app.clicks, app.active_seconds].map(|n| sign * i64::from(n));
            match self.apps.get_mut(&app.name) {
                Some(total) => {
                    for (t, n) in total.iter_mut().zip(counts) {
                        *t += n;
                    }
                    if total.iter().all(|n| *n == 0) {
                        self.apps.remove(&app.name);
                    }
                }
                None if counts.iter().any(|n| *n != 0) => {
                    self.apps.insert(app.name.clone(), counts);
                }
                None => {}
            }
        }
        self.excluded_seconds += sign * i64::from(block.excluded_seconds);
    }

    /// The day's key-pair classes.
    pub fn pair_totals(&self) -> keytrack_wire::PairTotals {
        let mut slots = [0u64; 6];
        for (slot, n) in slots.iter_mut().zip(&self.pairs) {
            *slot = u64::try_from(*n).unwrap_or(0);
        }
        keytrack_wire::PairTotals::from_slots(slots)
    }

    /// The day's figures hour by hour, as team statistics add them up.
    pub fn hour_cells(&self) -> HourCells {
        HourCells {
            minutes: self.minutes_by_hour.clone(),
            keys: self.keys_by_hour.clone(),
            clicks: self.clicks_by_hour.clone(),
            seconds: self.seconds_by_hour.clone(),
            typed: self.typed_by_hour.clone(),
            typing_ms: self.typing_ms_by_hour.clone(),
        }
    }

    /// Key presses of one key code.
    pub fn key(&self, code: &str) -> i64 {
        key_index(code).and_then(|i| self.keys.get(i)).copied().unwrap_or(0)
    }

    /// Key presses per known code, leaving out the ones not pressed.
    pub fn key_counts(&self) -> impl Iterator<Item = (&'static str, i64)> + '_ {
        KEY_CODES.iter().zip(&self.keys).filter(|(_, n)| **n != 0).map(|(code, n)| (*code, *n))
    }

    /// Moves the minute's active time from `before` to `after` (both over all devices); `slot`:
    /// the minute's place in the day (minutes since the day's start).
    pub fn apply_presence(&mut self, hour: usize, slot: usize, before: MinutePresence, after: MinutePresence) {
        *self = std::mem::take(self).shaped();
        if after.minutes != before.minutes {
            breaks::set_minute(&mut self.active, slot, after.minutes > 0);
        }
        self.active_minutes += after.minutes - before.minutes;
        self.active_seconds += after.seconds - before.seconds;
        if let Some(h) = self.minutes_by_hour.get_mut(hour) {
            *h += after.minutes - before.minutes;
        }
        if let Some(h) = self.seconds_by_hour.get_mut(hour) {
            *h += after.seconds - before.seconds;
        }
    }
}

/// A day's figures per clock hour (24 each): what team statistics read of a member's day, since
/// every team number is made of member-hours (see `domain::team`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HourCells {
    /// Active minutes: an hour with any is an hour the member was active in.
    pub minutes: Vec<i64>,
    pub keys: Vec<i64>,
    pub clicks: Vec<i64>,
    pub seconds: Vec<i64>,
    pub typed: Vec<i64>,
    pub typing_ms: Vec<i64>,
}

/// Cells of the position grid.
pub const GRID_CELLS: usize = GRID_COLS as usize * GRID_ROWS as usize;

/// Click and movement counts of one day on one screen size, cell by cell (row after row).
#[derive(Debug, Clone, PartialEq)]
pub struct ScreenGrid {
    pub clicks: Vec<i64>,
    pub moves: Vec<i64>,
}

impl Default for ScreenGrid {
    fn default() -> ScreenGrid {
        ScreenGrid { clicks: vec![0; GRID_CELLS], moves: vec![0; GRID_CELLS] }
    }
}

impl ScreenGrid {
    /// Adds (`sign` = 1) or removes (`sign` = -1) a record's binned positions.
    pub fn apply(&mut self, clicks: &[GridCount], moves: &[GridCount], sign: i64) {
        for (grid, cells) in [(&mut self.clicks, clicks), (&mut self.moves, moves)] {
            for GridCount(col, row, n) in cells {
                if let Some(slot) = grid.get_mut(usize::from(*row) * GRID_COLS as usize + usize::from(*col)) {
                    *slot += sign * i64::from(*n);
                }
            }
        }
    }

    /// The grid as stored: for each layer, the cells with a count, as pairs of varints (the gap
    /// from the previous such cell's index, then the count). A day's grid takes a few hundred
    /// bytes instead of the 9 KB of every cell.
    pub fn to_blobs(&self) -> (Vec<u8>, Vec<u8>) {
        let blob = |cells: &[i64]| {
            let mut out = Vec::new();
            let mut previous = 0usize;
            for (index, n) in cells.iter().enumerate().filter(|(_, n)| **n > 0) {
                push_varint(&mut out, (index - previous) as u64);
                push_varint(&mut out, u64::try_from(*n).unwrap_or(0));
                previous = index;
            }
            out
        };
        (blob(&self.clicks), blob(&self.moves))
    }

    /// Reads a grid back; cells a damaged blob names outside the grid are ignored.
    pub fn from_blobs(clicks: &[u8], moves: &[u8]) -> ScreenGrid {
        let cells = |mut blob: &[u8]| {
            let mut cells = vec![0i64; GRID_CELLS];
            let mut index = 0usize;
            while let (Some(gap), Some(n)) = (take_varint(&mut blob), take_varint(&mut blob)) {
                index = index.saturating_add(usize::try_from(gap).unwrap_or(usize::MAX));
                if let Some(cell) = cells.get_mut(index) {
                    *cell = i64::try_from(n).unwrap_or(i64::MAX);
                }
            }
            cells
        };
        ScreenGrid { clicks: cells(clicks), moves: cells(moves) }
    }

    /// Adds a day's grid, as stored, into this one (without making a whole grid of it first).
    pub fn add_blobs(&mut self, clicks: &[u8], moves: &[u8]) {
        for (grid, mut blob) in [(&mut self.clicks, clicks), (&mut self.moves, moves)] {
            let mut index = 0usize;
            while let (Some(gap), Some(n)) = (take_varint(&mut blob), take_varint(&mut blob)) {
                index = index.saturating_add(usize::try_from(gap).unwrap_or(usize::MAX));
                if let Some(cell) = grid.get_mut(index) {
                    *cell += i64::try_from(n).unwrap_or(i64::MAX);
                }
            }
        }
    }

    /// Adds another day's grid into this one.
    pub fn add(&mut self, other: &ScreenGrid) {
        for (a, b) in self.clicks.iter_mut().zip(&other.clicks).chain(self.moves.iter_mut().zip(&other.moves)) {
            *a += b;
        }
    }
}

/// LEB128: seven bits a byte, low bits first.
fn push_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn take_varint(blob: &mut &[u8]) -> Option<u64> {
    let mut n = 0u64;
    for shift in (0..64).step_by(7) {
        let (byte, rest) = blob.split_first()?;
        *blob = rest;
        n |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(n);
        }
    }
    None
}

fn bump(map: &mut BTreeMap<String, i64>, key: &str, by: i64) {
    if by == 0 {
        return;
    }
    match map.get_mut(key) {
        Some(n) => {
            *n += by;
            if *n == 0 {
                map.remove(key);
            }
        }
        None => {
            map.insert(key.to_string(), by);
        }
    }
}

/// The presence of a minute given the active seconds of each device's record in it: one active
/// minute if any device sent a record, with the busiest device's seconds.
pub fn presence(active_seconds: impl IntoIterator<Item = u32>) -> MinutePresence {
    active_seconds.into_iter().fold(MinutePresence::default(), |p, s| MinutePresence {
        minutes: 1,
        seconds: p.seconds.max(i64::from(s.min(60))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use keytrack_wire::{Burst, ButtonCounts, TypingStats};

    fn busy_minute() -> ActivityMinute {
        ActivityMinute {
            minute: 600,
            presses: 9,
            typing: TypingStats {
                typed_keys: 6,
                typing_ms: 900,
                bursts: 1,
                best_burst: Some(Burst { typed_keys: 12, typing_ms: 1_500 }),
                intervals: vec![0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0],
            },
            clicks: ButtonCounts { left: 2, right: 0, middle: 1, other: 0 },
            distance_px: 1234,
            active_seconds: 40,
            ..ActivityMinute::default()
        }
    }

    #[test]
    fn removing_a_record_or_block_undoes_adding_it() {
        let mut day = DayTotals::default().shaped();
        let empty = day.clone();
        day.apply(&busy_minute(), 13, 1);
        assert_eq!(day.keys_by_hour[13], 9);
        assert_eq!(
            (day.presses(), day.clicks_by_hour[13], day.typed_by_hour[13], day.typing_ms_by_hour[13]),
            (9, 3, 6, 900)
        );
        assert_eq!(day.clicks, [2, 0, 1, 0]);
        // 12 keys in 1.5 s: 96 WPM, kept in tenths.
        assert_eq!(day.best_bursts, BTreeMap::from([(960, 1)]));
        let mut block = HourBlock::for_hour(0);
        block.add_key("KeyA", 150);
        block.add_key("ControlLeft", 50);
        block.add_chord("Ctrl+KeyA", 20);
        block.pairs =
            keytrack_wire::PairCounts { alternations: 40, inward_rolls: 3, row_jumps: 1, ..Default::default() };
        day.apply_block(&block, 1);
        assert_eq!((day.key("KeyA"), day.key("KeyB"), day.chords["Ctrl+KeyA"]), (150, 0, 20));
        assert_eq!((day.pair_totals().alternations, day.pair_totals().total()), (40, 43));
        assert_eq!(day.presses(), 9, "the day's presses come from its minutes");
        day.apply(&busy_minute(), 13, -1);
        day.apply_block(&block, -1);
        assert_eq!(day, empty, "no zero entries are left behind either");
    }

    #[test]
    fn a_minute_is_present_once_with_its_busiest_devices_seconds() {
        assert_eq!(presence([]), MinutePresence { minutes: 0, seconds: 0 });
        assert_eq!(presence([20, 45, 5]), MinutePresence { minutes: 1, seconds: 45 });
        assert_eq!(presence([0]), MinutePresence { minutes: 1, seconds: 0 });
        let mut day = DayTotals::default();
        day.apply_presence(9, 540, presence([]), presence([20]));
        day.apply_presence(9, 540, presence([20]), presence([20, 45]));
        assert_eq!(
            (day.active_minutes, day.active_seconds, day.minutes_by_hour[9], day.seconds_by_hour[9]),
            (1, 45, 1, 45)
        );
        assert_eq!(breaks::active_minutes(&day.active).collect::<Vec<_>>(), vec![540]);
        // The minute's last record going clears its bit.
        day.apply_presence(9, 540, presence([20, 45]), presence([]));
        assert_eq!((day.active_minutes, day.active.len()), (0, 0));
    }

    #[test]
    fn screen_grids_add_subtract_and_round_trip_through_blobs() {
        let mut grid = ScreenGrid::default();
        grid.apply(&[GridCount(0, 0, 2), GridCount(63, 35, 1)], &[GridCount(10, 1, 40)], 1);
        assert_eq!((grid.clicks[0], grid.clicks[GRID_CELLS - 1], grid.moves[64 + 10]), (2, 1, 40));
        let (clicks, moves) = grid.to_blobs();
        // Cell 0 (gap 0) twice, then cell 2303 (gap 2303 = 0xff 0x11 as a varint) once.
        assert_eq!(clicks, [0, 2, 0xff, 0x11, 1], "only the two cells with counts");
        assert_eq!(ScreenGrid::from_blobs(&clicks, &moves), grid);
        assert_eq!(ScreenGrid::from_blobs(&[], &[]), ScreenGrid::default());
        let mut twice = ScreenGrid::default();
        twice.add_blobs(&clicks, &moves);
        twice.add_blobs(&clicks, &moves);
        let mut expected = grid.clone();
        expected.add(&grid);
        assert_eq!(twice, expected);
        // A damaged blob reads as what it can, never out of the grid.
        let damaged = ScreenGrid::from_blobs(&[0xff, 0xff, 0xff, 0x7f, 5, 0x80], &[0, 3]);
        assert_eq!((damaged.clicks.iter().sum::<i64>(), damaged.moves[0]), (0, 3));
        grid.apply(&[GridCount(0, 0, 2), GridCount(63, 35, 1)], &[GridCount(10, 1, 40)], -1);
        assert_eq!(grid, ScreenGrid::default());
    }
}
