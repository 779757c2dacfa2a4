//! Which uploads the server accepts. A batch is valid as a whole or refused as a whole: the server
//! never stores part of one. The rules say what a person at a keyboard can do; what they cannot
//! (60,000 keys typed in a millisecond) is refused before it can reach a chart or a leaderboard.

use std::collections::{BTreeMap, HashSet};

use crate::activity::{
    ActivityBatch, ActivityMinute, BURST_GAP_MS, CURRENT_FORMAT, GRID_COLS, GRID_ROWS, GridCount, HOUR_SECS, HourBlock,
    INTERVAL_BUCKETS_MS, LEGACY_FORMAT, MIN_BLOCK_PRESSES, ScreenActivity, TypingStats,
};
use crate::keys::{Chord, is_known_key};

/// The documented limits of `POST /api/v1/activity`.
pub mod limits {
    /// Largest request body, in bytes.
    pub const MAX_BODY_BYTES: usize = 1024 * 1024;
    /// A day of minutes.
    pub const MAX_MINUTES_PER_BATCH: usize = 1_440;
    /// Hour blocks in one batch (two days of busy hours).
    pub const MAX_BLOCKS_PER_BATCH: usize = 48;
    /// Key presses in one minute (1,000 a second is already beyond any person).
    pub const MAX_PRESSES_PER_MINUTE: u64 = 60_000;
    pub const MAX_CLICKS_PER_MINUTE: u64 = 60_000;
    pub const MAX_SCROLLS_PER_MINUTE: u32 = 60_000;
    /// Pointer positions counted in one minute (a 1,000 Hz mouse moving all the time).
    pub const MAX_MOVES_PER_MINUTE: u64 = 60_000;
    /// Pointer travel in one minute, in pixels.
    pub const MAX_DISTANCE_PX_PER_MINUTE: u64 = 50_000_000;
    /// How far a minute (or a block's end) may lie ahead of the server's clock (clocks drift).
    pub const MAX_FUTURE_SECS: i64 = 600;
    /// 2000-01-01T00:00:00Z: nothing older is real activity.
    pub const EARLIEST_MINUTE: i64 = 946_684_800;
    /// Largest screen side in pixels.
    pub const MAX_SCREEN_PX: u32 = 100_000;
    /// Screen sizes in one block (displays added, removed, rotated within its hours).
    pub const MAX_SCREENS_PER_BLOCK: usize = 16;
    /// UTC offsets in minutes reach from -12:00 to +14:00.
    pub const MAX_UTC_OFFSET_MINUTES: i16 = 14 * 60;
    pub const MAX_DEVICE_ID_CHARS: usize = 64;
    pub const MAX_DEVICE_NAME_CHARS: usize = 100;
    /// A burst must be this long to count as a best burst (a few quick keys are not a speed).
    pub const MIN_BEST_BURST_KEYS: u32 = 10;
    /// The longest best burst accepted (over two hours of typing without a pause at 120 WPM).
    pub const MAX_BEST_BURST_KEYS: u32 = 1_000_000;
    /// Typing time per typed key, at least: keys pressed together (rollover) count this much
    /// apart, so no minute's typing is faster than 1,200 words a minute.
    pub const MIN_MS_PER_TYPED_KEY: u32 = 10;
    /// A minute's typing time, at most: the gaps of the keys typed in it span the minute, and the
    /// first of them reaches back at most one gap ([`crate::BURST_GAP_MS`]) into the one before.
    /// With [`MIN_MS_PER_TYPED_KEY`] this caps a minute at 6,200 typed keys.
    pub const MAX_TYPING_MS_PER_MINUTE: u32 = 60_000 + crate::activity::BURST_GAP_MS;
}

/// Why a batch was refused: where (`minutes[3].keys`) and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{at}: {problem}")]
pub struct InvalidActivity {
    pub at: String,
    pub problem: String,
}

fn invalid(at: impl Into<String>, problem: impl Into<String>) -> InvalidActivity {
    InvalidActivity { at: at.into(), problem: problem.into() }
}

impl ActivityBatch {
    /// Checks the whole batch against the rules, with `now` the server's clock (Unix seconds).
    pub fn validate(&self, now: i64) -> Result<(), InvalidActivity> {
        self.check(now, MIN_BLOCK_PRESSES)
    }

    /// The same rules for records restored from a KeyTrack export (`keytrack import`), which may
    /// hold one smaller block per device: the last one the server folded out of first-release
    /// records. It was on a server already, so loading it again shows nothing new.
    pub fn validate_restored(&self, now: i64) -> Result<(), InvalidActivity> {
        self.check(now, 1)
    }

    fn check(&self, now: i64, min_block_presses: u64) -> Result<(), InvalidActivity> {
        let id = &self.device.id;
        if id.is_empty()
            || id.chars().count() > limits::MAX_DEVICE_ID_CHARS
            || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(invalid(
                "device.id",
                format!("must be 1 to {} characters of A-Z, a-z, 0-9, '-' and '_'", limits::MAX_DEVICE_ID_CHARS),
            ));
        }
        let name = &self.device.name;
        if name.chars().count() > limits::MAX_DEVICE_NAME_CHARS || name.chars().any(char::is_control) {
            return Err(invalid(
                "device.name",
                format!("must be at most {} printable characters", limits::MAX_DEVICE_NAME_CHARS),
            ));
        }
        if self.format != CURRENT_FORMAT && self.format != LEGACY_FORMAT {
            return Err(invalid(
                "format",
                format!("must be {CURRENT_FORMAT} (or {LEGACY_FORMAT} for agents of the first release)"),
            ));
        }
        if self.minutes.is_empty() && self.blocks.is_empty() {
            return Err(invalid("minutes", "holds no records (and there are no blocks)"));
        }
        if self.minutes.len() > limits::MAX_MINUTES_PER_BATCH {
            return Err(invalid(
                "minutes",
                format!(
                    "holds {} records; at most {} are accepted in one batch",
                    self.minutes.len(),
                    limits::MAX_MINUTES_PER_BATCH
                ),
            ));
        }
        let mut seen = HashSet::with_capacity(self.minutes.len());
        for (i, record) in self.minutes.iter().enumerate() {
            let at = format!("minutes[{i}]");
            if !seen.insert(record.minute) {
                return Err(invalid(
                    format!("{at}.minute"),
                    format!("minute {} appears twice in the batch", record.minute),
                ));
            }
            record.validate(&at, now, self.format)?;
        }
        self.validate_blocks(now, min_block_presses)
    }

    fn validate_blocks(&self, now: i64, min_block_presses: u64) -> Result<(), InvalidActivity> {
        if self.blocks.is_empty() {
            return Ok(());
        }
        if self.format != CURRENT_FORMAT {
            return Err(invalid("blocks", format!("hour blocks need format {CURRENT_FORMAT}")));
        }
        if self.blocks.len() > limits::MAX_BLOCKS_PER_BATCH {
            return Err(invalid(
                "blocks",
                format!("holds {} blocks; at most {} in one batch", self.blocks.len(), limits::MAX_BLOCKS_PER_BATCH),
            ));
        }
        for (i, block) in self.blocks.iter().enumerate() {
            block.validate(&format!("blocks[{i}]"), now, min_block_presses)?;
        }
        // A block sent again replaces the stored one with the same start, so one batch names each
        // start once.
        let mut starts = HashSet::with_capacity(self.blocks.len());
        for (i, block) in self.blocks.iter().enumerate() {
            if !starts.insert(block.start) {
                return Err(invalid(
                    format!("blocks[{i}].start"),
                    format!("start {} appears twice in the batch", block.start),
                ));
            }
        }
        Ok(())
    }
}

impl ActivityMinute {
    fn validate(&self, at: &str, now: i64, format: u8) -> Result<(), InvalidActivity> {
        let field = |name: &str| format!("{at}.{name}");
        if self.minute % 60 != 0 {
            return Err(invalid(field("minute"), "must be the start of a minute (a multiple of 60 seconds)"));
        }
        if self.minute < limits::EARLIEST_MINUTE {
            return Err(invalid(field("minute"), "lies before the year 2000"));
        }
        if self.minute > now.saturating_add(limits::MAX_FUTURE_SECS) {
            return Err(invalid(
                field("minute"),
                format!(
                    "lies {} seconds in the future; the server's clock allows {}",
                    self.minute.saturating_sub(now),
                    limits::MAX_FUTURE_SECS
                ),
            ));
        }
        // unsigned_abs: i16::MIN has no positive counterpart.
        if self.utc_offset.unsigned_abs() > limits::MAX_UTC_OFFSET_MINUTES.unsigned_abs() {
            return Err(invalid(field("utc_offset"), "must lie between -840 and 840 minutes"));
        }
        let has_detail = !self.keys.is_empty() || !self.chords.is_empty() || self.screen.is_some();
        if format == CURRENT_FORMAT && has_detail {
            let name = if !self.keys.is_empty() {
                "keys"
            } else if !self.chords.is_empty() {
                "chords"
            } else {
                "screen"
            };
            return Err(invalid(
                field(name),
                "minute records carry totals only: key and pointer detail travels in closed hour blocks (`blocks`)",
            ));
        }
        if format == LEGACY_FORMAT && has_detail && self.presses != 0 {
            return Err(invalid(field("presses"), "a format 1 record counts presses in `keys`, not in `presses`"));
        }
        let presses = self.total_presses();
        if presses > limits::MAX_PRESSES_PER_MINUTE {
            return Err(invalid(
                field(if self.keys.is_empty() { "presses" } else { "keys" }),
                format!("{presses} presses in one minute is impossible (at most {})", limits::MAX_PRESSES_PER_MINUTE),
            ));
        }
        if has_detail {
            check_keys(&self.keys, &field("keys"))?;
            validate_chords(&self.chords, &self.keys, &field("chords"))?;
        }
        // First-release agents did not hold typed keys apart by the minimum: the server raises
        // their typing time to it (see `ActivityBatch::drop_legacy_detail`), so their minutes are
        // checked as they will be stored, raised, by the same rules as everyone's. (A batch that
        // names no format is a first-release batch: skipping the rules for it let 60,000 keys
        // typed in a millisecond through, issue 42.)
        let typing = if format == LEGACY_FORMAT { raised_to_the_minimum(&self.typing) } else { self.typing.clone() };
        validate_typing(&typing, presses, &field("typing"))?;
        let clicks = self.clicks.total();
        if clicks > limits::MAX_CLICKS_PER_MINUTE {
            return Err(invalid(
                field("clicks"),
                format!("{clicks} clicks in one minute is impossible (at most {})", limits::MAX_CLICKS_PER_MINUTE),
            ));
        }
        if let Some(screen) = &self.screen {
            validate_screen(screen, Some(clicks), limits::MAX_MOVES_PER_MINUTE, &field("screen"))?;
        }
        if self.distance_px > limits::MAX_DISTANCE_PX_PER_MINUTE {
            return Err(invalid(
                field("distance_px"),
                format!("at most {} pixels in one minute", limits::MAX_DISTANCE_PX_PER_MINUTE),
            ));
        }
        if self.scroll.vertical > limits::MAX_SCROLLS_PER_MINUTE
            || self.scroll.horizontal > limits::MAX_SCROLLS_PER_MINUTE
        {
            return Err(invalid(
                field("scroll"),
                format!("at most {} notches each way in one minute", limits::MAX_SCROLLS_PER_MINUTE),
            ));
        }
        if self.active_seconds > 60 {
            return Err(invalid(field("active_seconds"), "a minute has at most 60 seconds"));
        }
        Ok(())
    }
}

/// A first-release record's typing as the server stores it: each typed key at least
/// [`limits::MIN_MS_PER_TYPED_KEY`] apart (the one rule for it, shared with
/// `ActivityBatch::drop_legacy_detail`).
pub(crate) fn raised_to_the_minimum(typing: &TypingStats) -> TypingStats {
    let raise = |keys: u32, ms: u32| ms.max(keys.saturating_mul(limits::MIN_MS_PER_TYPED_KEY));
    let mut raised = typing.clone();
    raised.typing_ms = raise(typing.typed_keys, typing.typing_ms);
    if let Some(burst) = raised.best_burst.as_mut() {
        burst.typing_ms = raise(burst.typed_keys, burst.typing_ms);
    }
    raised
}

/// Typing as a person can do it: typed keys among the minute's presses, each adding between
/// [`limits::MIN_MS_PER_TYPED_KEY`] and [`BURST_GAP_MS`] of typing time, no more of it than fits
/// in a minute, bursts ending in typed keys.
fn validate_typing(typing: &TypingStats, presses: u64, at: &str) -> Result<(), InvalidActivity> {
    let typed = u64::from(typing.typed_keys);
    if typed > presses {
        return Err(invalid(format!("{at}.typed_keys"), format!("{typed} typed keys but only {presses} key presses")));
    }
    check_typing_time(typed, u64::from(typing.typing_ms), &format!("{at}.typing_ms"))?;
    if typing.typing_ms > limits::MAX_TYPING_MS_PER_MINUTE {
        return Err(invalid(
            format!("{at}.typing_ms"),
            format!(
                "{} ms of typing in one minute is impossible (at most {}: the minute and the gap into it); {typed} typed keys need at least {} ms",
                typing.typing_ms,
                limits::MAX_TYPING_MS_PER_MINUTE,
                typed * u64::from(limits::MIN_MS_PER_TYPED_KEY)
            ),
        ));
    }
    if u64::from(typing.bursts) > typed {
        return Err(invalid(
            format!("{at}.bursts"),
            format!("{} bursts but only {typed} typed keys (each burst ends with one)", typing.bursts),
        ));
    }
    if !typing.intervals.is_empty() {
        if typing.intervals.len() != INTERVAL_BUCKETS_MS.len() {
            return Err(invalid(
                format!("{at}.intervals"),
                format!("must be empty or hold {} counts", INTERVAL_BUCKETS_MS.len()),
            ));
        }
        let sum: u64 = typing.intervals.iter().map(|n| u64::from(*n)).sum();
        if sum != typed {
            return Err(invalid(
                format!("{at}.intervals"),
                format!("counts add up to {sum}, not to typed_keys ({typed})"),
            ));
        }
    }
    if let Some(burst) = typing.best_burst {
        let keys = burst.typed_keys;
        if !(limits::MIN_BEST_BURST_KEYS..=limits::MAX_BEST_BURST_KEYS).contains(&keys) {
            return Err(invalid(
                format!("{at}.best_burst.typed_keys"),
                format!(
                    "a best burst holds {} to {} typed keys, not {keys}",
                    limits::MIN_BEST_BURST_KEYS,
                    limits::MAX_BEST_BURST_KEYS
                ),
            ));
        }
        check_typing_time(u64::from(keys), u64::from(burst.typing_ms), &format!("{at}.best_burst.typing_ms"))?;
    }
    Ok(())
}

fn check_typing_time(typed: u64, typing_ms: u64, at: &str) -> Result<(), InvalidActivity> {
    let min_ms = limits::MIN_MS_PER_TYPED_KEY;
    let (least, most) = (typed * u64::from(min_ms), typed * u64::from(BURST_GAP_MS));
    if typing_ms < least || typing_ms > most {
        return Err(invalid(
            at,
            format!("{typing_ms} ms for {typed} typed keys: each typed key adds {min_ms} to {BURST_GAP_MS} ms"),
        ));
    }
    Ok(())
}

impl HourBlock {
    fn validate(&self, at: &str, now: i64, min_presses: u64) -> Result<(), InvalidActivity> {
        let field = |name: &str| format!("{at}.{name}");
        if self.start % HOUR_SECS != 0 || self.end % HOUR_SECS != 0 {
            return Err(invalid(field("start"), "start and end must be whole UTC hours (multiples of 3600)"));
        }
        if self.start < limits::EARLIEST_MINUTE {
            return Err(invalid(field("start"), "lies before the year 2000"));
        }
        if self.end <= self.start {
            return Err(invalid(field("end"), "must lie after start"));
        }
        if self.end > now.saturating_add(limits::MAX_FUTURE_SECS) {
            return Err(invalid(
                field("end"),
                "lies in the future: a block is sent only once its last hour is over (the server's clock allows 600 s of drift)",
            ));
        }
        check_keys(&self.keys, &field("keys"))?;
        let presses = self.presses();
        let minutes = u64::try_from(self.hours()).unwrap_or(u64::MAX).saturating_mul(60);
        if presses < min_presses {
            return Err(invalid(
                field("keys"),
                format!(
                    "{presses} key presses: a block leaves the device only with at least {min_presses} (a quieter hour is carried into the next)"
                ),
            ));
        }
        if presses > minutes.saturating_mul(limits::MAX_PRESSES_PER_MINUTE) {
            return Err(invalid(field("keys"), format!("{presses} presses in {minutes} minutes is impossible")));
        }
        validate_chords(&self.chords, &self.keys, &field("chords"))?;
        // A pair ends with a press, and a row jump is a same-hand pair.
        let pairs = &self.pairs;
        if pairs.total() > presses {
            return Err(invalid(
                field("pairs"),
                format!("{} key pairs from {presses} presses is impossible", pairs.total()),
            ));
        }
        let same_hand = u64::from(pairs.same_finger) + u64::from(pairs.inward_rolls) + u64::from(pairs.outward_rolls);
        if u64::from(pairs.row_jumps) > same_hand {
            return Err(invalid(
                field("pairs.row_jumps"),
                "row jumps are same-hand pairs: at most same_finger + inward_rolls + outward_rolls",
            ));
        }
        self.validate_apps(at, presses, minutes)?;
        if self.screens.len() > limits::MAX_SCREENS_PER_BLOCK {
            return Err(invalid(field("screens"), format!("at most {} displays", limits::MAX_SCREENS_PER_BLOCK)));
        }
        let mut places = HashSet::with_capacity(self.screens.len());
        let max_cell = minutes.saturating_mul(limits::MAX_MOVES_PER_MINUTE);
        for (i, screen) in self.screens.iter().enumerate() {
            let at = format!("{}[{i}]", field("screens"));
            let place = screen.place();
            if !places.insert(place) {
                return Err(invalid(
                    at,
                    format!(
                        "the {}x{} display at ({}, {}) of a {}x{} desktop appears twice",
                        place.width, place.height, place.x, place.y, place.desktop_width, place.desktop_height
                    ),
                ));
            }
            validate_screen(screen, None, max_cell, &at)?;
        }
        Ok(())
    }
}

impl HourBlock {
    /// The applications' counts: names as `apps::app_name` writes them, each once, and no more
    /// presses, clicks or seconds than the block's hours hold.
    fn validate_apps(&self, at: &str, presses: u64, minutes: u64) -> Result<(), InvalidActivity> {
        let seconds = minutes.saturating_mul(60);
        if u64::from(self.excluded_seconds) > seconds {
            return Err(invalid(
                format!("{at}.excluded_seconds"),
                format!("{} s in {minutes} minutes is impossible", self.excluded_seconds),
            ));
        }
        if self.apps.len() > crate::apps::MAX_APPS_PER_BLOCK {
            return Err(invalid(
                format!("{at}.apps"),
                format!("at most {} applications", crate::apps::MAX_APPS_PER_BLOCK),
            ));
        }
        let mut names = HashSet::with_capacity(self.apps.len());
        let mut app_presses = 0u64;
        for (i, app) in self.apps.iter().enumerate() {
            let field = |name: &str| format!("{at}.apps[{i}].{name}");
            if !crate::apps::is_app_name(&app.name) {
                return Err(invalid(
                    field("name"),
                    format!(
                        "{:?} is not an application name: 1-64 characters of a-z 0-9 . _ + -, starting with a letter or digit",
                        app.name
                    ),
                ));
            }
            if !names.insert(app.name.as_str()) {
                return Err(invalid(field("name"), format!("{:?} appears twice", app.name)));
            }
            if u64::from(app.clicks) > minutes.saturating_mul(limits::MAX_CLICKS_PER_MINUTE) {
                return Err(invalid(
                    field("clicks"),
                    format!("{} clicks in {minutes} minutes is impossible", app.clicks),
                ));
            }
            if u64::from(app.active_seconds) > seconds {
                return Err(invalid(
                    field("active_seconds"),
                    format!("{} s in {minutes} minutes is impossible", app.active_seconds),
                ));
            }
            app_presses += u64::from(app.keys);
        }
        if app_presses > presses {
            return Err(invalid(
                format!("{at}.apps"),
                format!("{app_presses} key presses in applications, more than the block's {presses}"),
            ));
        }
        Ok(())
    }
}

/// Checks that every key code is known.
fn check_keys(keys: &BTreeMap<String, u32>, at: &str) -> Result<(), InvalidActivity> {
    match keys.keys().find(|code| !is_known_key(code)) {
        Some(code) => Err(invalid(at, format!("unknown key code \"{code}\""))),
        None => Ok(()),
    }
}

fn validate_chords(
    chords: &BTreeMap<String, u32>,
    keys: &BTreeMap<String, u32>,
    at: &str,
) -> Result<(), InvalidActivity> {
    // Several chords can end in the same key (Ctrl+KeyC, Ctrl+Shift+KeyC): together they are at
    // most that key's presses.
    let mut per_key: BTreeMap<String, u64> = BTreeMap::new();
    for (text, count) in chords {
        let chord = Chord::parse(text).map_err(|why| invalid(at, format!("\"{text}\": {why}")))?;
        *per_key.entry(chord.key().to_string()).or_default() += u64::from(*count);
    }
    for (key, chorded) in per_key {
        let pressed = keys.get(&key).map_or(0, |n| u64::from(*n));
        if chorded > pressed {
            return Err(invalid(at, format!("{chorded} chords end in {key}, which was pressed {pressed} times")));
        }
    }
    Ok(())
}

/// `clicks`: the clicks the binned ones may not exceed, when known; `max_moves`: the most pointer
/// positions the screen's time can hold.
fn validate_screen(
    screen: &ScreenActivity,
    clicks: Option<u64>,
    max_moves: u64,
    at: &str,
) -> Result<(), InvalidActivity> {
    let sides = 1..=limits::MAX_SCREEN_PX;
    if !sides.contains(&screen.width) || !sides.contains(&screen.height) {
        return Err(invalid(at, format!("width and height must lie between 1 and {} pixels", limits::MAX_SCREEN_PX)));
    }
    check_display_place(screen, at)?;
    let click_cells = check_cells(&screen.clicks, &format!("{at}.clicks"))?;
    if let Some(clicks) = clicks
        && click_cells > clicks
    {
        return Err(invalid(format!("{at}.clicks"), format!("{click_cells} binned clicks but only {clicks} clicks")));
    }
    if click_cells > max_moves {
        return Err(invalid(format!("{at}.clicks"), format!("{click_cells} clicks in this time is impossible")));
    }
    let moves = check_cells(&screen.moves, &format!("{at}.moves"))?;
    if moves > max_moves {
        return Err(invalid(
            format!("{at}.moves"),
            format!("{moves} pointer positions in this time is impossible (at most {max_moves})"),
        ));
    }
    Ok(())
}

/// Checks that a display lies on its desktop (or, without a desktop size, is the whole desktop).
fn check_display_place(screen: &ScreenActivity, at: &str) -> Result<(), InvalidActivity> {
    match (screen.desktop_width, screen.desktop_height) {
        (0, 0) if screen.x == 0 && screen.y == 0 => Ok(()),
        (0, 0) => Err(invalid(at, "x and y need the desktop's size (desktop_width, desktop_height)")),
        (0, _) | (_, 0) => Err(invalid(at, "desktop_width and desktop_height go together")),
        (w, h) if w > limits::MAX_SCREEN_PX || h > limits::MAX_SCREEN_PX => {
            Err(invalid(at, format!("the desktop's size must lie between 1 and {} pixels", limits::MAX_SCREEN_PX)))
        }
        (w, h) => {
            let fits = |start: u32, size: u32, whole: u32| u64::from(start) + u64::from(size) <= u64::from(whole);
            if fits(screen.x, screen.width, w) && fits(screen.y, screen.height, h) {
                Ok(())
            } else {
                Err(invalid(
                    at,
                    format!(
                        "a {}x{} display at ({}, {}) does not fit on a {w}x{h} desktop",
                        screen.width, screen.height, screen.x, screen.y
                    ),
                ))
            }
        }
    }
}

/// Checks that every cell lies on the grid and appears once; returns the sum of the counts.
fn check_cells(cells: &[GridCount], at: &str) -> Result<u64, InvalidActivity> {
    let mut seen = HashSet::with_capacity(cells.len());
    let mut sum = 0u64;
    for GridCount(col, row, count) in cells {
        if *col >= GRID_COLS || *row >= GRID_ROWS {
            return Err(invalid(at, format!("cell [{col}, {row}] lies off the {GRID_COLS}x{GRID_ROWS} grid")));
        }
        if !seen.insert((*col, *row)) {
            return Err(invalid(at, format!("cell [{col}, {row}] appears twice")));
        }
        sum += u64::from(*count);
    }
    Ok(sum)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity::{ButtonCounts, Device, ScrollCounts};

    const NOW: i64 = 1_790_000_000 - 1_790_000_000 % 3_600;

    fn batch(minutes: Vec<ActivityMinute>) -> ActivityBatch {
        ActivityBatch::new(Device { id: "laptop-1".into(), name: "Laptop".into() }, minutes, vec![])
    }

    fn good_minute() -> ActivityMinute {
        ActivityMinute {
            minute: NOW - 120,
            utc_offset: 60,
            presses: 6,
            typing: TypingStats {
                typed_keys: 2,
                typing_ms: 300,
                bursts: 1,
                best_burst: None,
                intervals: vec![0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0],
            },
            clicks: ButtonCounts { left: 2, ..Default::default() },
            distance_px: 400,
            scroll: ScrollCounts { vertical: 3, horizontal: 0 },
            active_seconds: 12,
            ..ActivityMinute::default()
        }
    }

    fn good_block() -> HourBlock {
        let mut block = HourBlock::for_hour(NOW - 2 * HOUR_SECS);
        block.add_key("KeyC", 150);
        block.add_key("ControlLeft", 50);
        block.add_chord("Ctrl+KeyC", 40);
        block.add_app(&crate::AppUsage { name: "xterm".into(), keys: 120, clicks: 3, active_seconds: 90 });
        block.excluded_seconds = 30;
        block.add_screen(
            crate::DisplayPlace::whole(1920, 1080),
            &[GridCount(1, 2, 2)],
            &[GridCount(1, 2, 5), GridCount(63, 35, 1)],
        );
        block
    }

    fn refused(minute: ActivityMinute) -> String {
        match batch(vec![minute]).validate(NOW) {
            Ok(()) => "accepted".into(),
            Err(e) => e.to_string(),
        }
    }

    fn refused_block(block: HourBlock) -> String {
        let mut batch = batch(vec![]);
        batch.blocks.push(block);
        match batch.validate(NOW) {
            Ok(()) => "accepted".into(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_good_batch_passes() {
        let mut good = batch(vec![good_minute()]);
        let mut block = good_block();
        block.pairs = crate::PairCounts { alternations: 120, inward_rolls: 30, row_jumps: 30, ..Default::default() };
        good.blocks.push(block);
        assert_eq!(good.validate(NOW), Ok(()));
    }

    /// A change that breaks one rule.
    type Breakage = fn(&mut ActivityMinute);

    #[test]
    fn each_rule_names_its_field() {
        let cases: Vec<(&str, Breakage)> = vec![
            ("minutes[0].minute: must be the start", |m| m.minute += 1),
            ("minutes[0].minute: lies 660 seconds in the future", |m| m.minute = NOW + 660),
            ("minutes[0].minute: lies before the year 2000", |m| m.minute = 60),
            ("minutes[0].utc_offset", |m| m.utc_offset = 900),
            ("minutes[0].utc_offset", |m| m.utc_offset = i16::MIN),
            ("minutes[0].keys: minute records carry totals only", |m| {
                m.keys.insert("KeyA".into(), 1);
            }),
            ("minutes[0].chords: minute records carry totals only", |m| {
                m.chords.insert("Ctrl+KeyC".into(), 1);
            }),
            ("minutes[0].screen: minute records carry totals only", |m| m.screen = Some(ScreenActivity::default())),
            ("minutes[0].presses: 60001 presses", |m| m.presses = 60_001),
            ("minutes[0].typing.typed_keys", |m| m.typing.typed_keys = 7),
            ("minutes[0].typing.typing_ms", |m| m.typing.typing_ms = 4_001),
            // 2 typed keys in 19 ms: faster than a person (10 ms a key at least).
            ("minutes[0].typing.typing_ms: 19 ms for 2 typed keys", |m| m.typing.typing_ms = 19),
            ("minutes[0].typing.bursts: 3 bursts", |m| m.typing.bursts = 3),
            ("minutes[0].typing.intervals: counts add up to 3", |m| m.typing.intervals[0] = 1),
            ("minutes[0].typing.best_burst.typed_keys: a best burst holds 10", |m| {
                m.typing.best_burst = Some(crate::Burst { typed_keys: 1, typing_ms: 100 })
            }),
            ("minutes[0].typing.best_burst.typed_keys", |m| {
                m.typing.best_burst = Some(crate::Burst { typed_keys: u32::MAX, typing_ms: 1 })
            }),
            ("minutes[0].typing.best_burst.typing_ms", |m| {
                m.typing.best_burst = Some(crate::Burst { typed_keys: 20, typing_ms: 1 })
            }),
            ("minutes[0].clicks: 60003 clicks", |m| m.clicks.other = 60_001),
            ("minutes[0].distance_px", |m| m.distance_px = u64::MAX),
            ("minutes[0].scroll", |m| m.scroll.horizontal = 70_000),
            ("minutes[0].active_seconds", |m| m.active_seconds = 61),
        ];
        for (expected, change) in cases {
            let mut minute = good_minute();
            change(&mut minute);
            let message = refused(minute);
            assert!(message.starts_with(expected), "expected {expected:?}, got {message:?}");
        }
    }

    /// A change that breaks one rule of blocks.
    type BlockBreakage = fn(&mut HourBlock);

    #[test]
    fn each_block_rule_names_its_field() {
        let cases: Vec<(&str, BlockBreakage)> = vec![
            ("blocks[0].start: start and end must be whole UTC hours", |b| b.start += 60),
            ("blocks[0].end: must lie after start", |b| b.end = b.start),
            ("blocks[0].end: lies in the future", |b| b.end = NOW + HOUR_SECS),
            ("blocks[0].start: lies before the year 2000", |b| b.start = 0),
            ("blocks[0].keys: 199 key presses: a block leaves the device only with at least 200", |b| {
                b.keys.insert("KeyC".into(), 99);
                b.keys.insert("ControlLeft".into(), 100);
                b.chords.clear();
            }),
            ("blocks[0].keys: unknown key code", |b| {
                b.keys.insert("KeyÄ".into(), 1);
            }),
            ("blocks[0].keys: 3600001 presses in 60 minutes is impossible", |b| {
                b.keys.insert("KeyA".into(), 3_600_001 - 200);
            }),
            ("blocks[0].chords: 151 chords end in KeyC", |b| {
                b.chords.insert("Ctrl+Shift+KeyC".into(), 111);
            }),
            ("blocks[0].chords: \"Shift+Ctrl+KeyC\"", |b| {
                b.chords.insert("Shift+Ctrl+KeyC".into(), 1);
            }),
            ("blocks[0].screens[0].moves: cell [64, 0] lies off", |b| b.screens[0].moves.push(GridCount(64, 0, 1))),
            ("blocks[0].screens[0].moves: cell [1, 2] appears twice", |b| b.screens[0].moves.push(GridCount(1, 2, 1))),
            ("blocks[0].screens[0].moves: 4294967295 pointer positions", |b| {
                b.screens[0].moves = vec![GridCount(0, 0, u32::MAX)]
            }),
            ("blocks[0].screens[0]: width and height", |b| b.screens[0].width = 0),
            ("blocks[0].pairs: 201 key pairs from 200 presses is impossible", |b| b.pairs.alternations = 201),
            ("blocks[0].apps[1].name: \"Firefox\" is not an application name", |b| {
                b.apps.push(crate::AppUsage { name: "Firefox".into(), ..Default::default() })
            }),
            ("blocks[0].apps[1].name: \"xterm\" appears twice", |b| b.apps.push(b.apps[0].clone())),
            ("blocks[0].apps: 201 key presses in applications, more than the block's 200", |b| b.apps[0].keys = 201),
            ("blocks[0].apps[0].active_seconds: 3601 s in 60 minutes is impossible", |b| {
                b.apps[0].active_seconds = 3601
            }),
            ("blocks[0].apps[0].clicks: 3600001 clicks in 60 minutes", |b| b.apps[0].clicks = 3_600_001),
            ("blocks[0].excluded_seconds: 3601 s in 60 minutes", |b| b.excluded_seconds = 3601),
            ("blocks[0].pairs.row_jumps: row jumps are same-hand pairs", |b| {
                b.pairs.inward_rolls = 3;
                b.pairs.alternations = 100;
                b.pairs.row_jumps = 4;
            }),
            ("blocks[0].screens[1]: the 1920x1080 display at (0, 0) of a 1920x1080 desktop appears twice", |b| {
                let copy = b.screens[0].clone();
                b.screens.push(copy)
            }),
            // A lone display sent with its desktop spelled out is the same display.
            ("blocks[0].screens[1]: the 1920x1080 display at (0, 0) of a 1920x1080 desktop appears twice", |b| {
                let mut copy = b.screens[0].clone();
                (copy.desktop_width, copy.desktop_height) = (1920, 1080);
                b.screens.push(copy)
            }),
            ("blocks[0].screens[0]: x and y need the desktop's size", |b| b.screens[0].x = 10),
            ("blocks[0].screens[0]: desktop_width and desktop_height go together", |b| {
                b.screens[0].desktop_width = 3840
            }),
            ("blocks[0].screens[0]: a 1920x1080 display at (1921, 0) does not fit on a 3840x1080 desktop", |b| {
                (b.screens[0].x, b.screens[0].desktop_width, b.screens[0].desktop_height) = (1921, 3840, 1080)
            }),
        ];
        for (expected, change) in cases {
            let mut block = good_block();
            change(&mut block);
            let message = refused_block(block);
            assert!(message.starts_with(expected), "expected {expected:?}, got {message:?}");
        }
    }

    #[test]
    fn displays_side_by_side_are_accepted() {
        let mut block = good_block();
        let left = block.screens[0].clone();
        block.screens = vec![
            ScreenActivity { desktop_width: 3840, desktop_height: 1080, ..left.clone() },
            ScreenActivity { x: 1920, desktop_width: 3840, desktop_height: 1080, ..left },
        ];
        let mut b = batch(vec![]);
        b.blocks = vec![block];
        assert_eq!(b.validate(NOW), Ok(()));
    }

    #[test]
    fn batch_level_rules() {
        let mut twice = batch(vec![good_minute(), good_minute()]);
        assert!(twice.validate(NOW).is_err_and(|e| e.to_string().contains("appears twice")));
        twice.minutes.clear();
        assert!(twice.validate(NOW).is_err_and(|e| e.at == "minutes"));
        let mut bad_id = batch(vec![good_minute()]);
        bad_id.device.id = "has space".into();
        assert!(bad_id.validate(NOW).is_err_and(|e| e.at == "device.id"));
        let too_many = batch(
            (0..=limits::MAX_MINUTES_PER_BATCH as i64)
                .map(|i| ActivityMinute { minute: NOW - 60 * (i + 1), ..Default::default() })
                .collect(),
        );
        assert!(too_many.validate(NOW).is_err_and(|e| e.problem.contains("at most 1440")));
        let mut same_start = batch(vec![]);
        let mut longer = good_block();
        longer.end += HOUR_SECS;
        same_start.blocks = vec![good_block(), longer];
        assert!(same_start.validate(NOW).is_err_and(|e| e.at == "blocks[1].start"));
        let mut unknown_format = batch(vec![good_minute()]);
        unknown_format.format = 3;
        assert!(unknown_format.validate(NOW).is_err_and(|e| e.at == "format"));
    }

    #[test]
    fn first_release_batches_keep_only_their_totals() {
        let mut old = batch(vec![]);
        old.format = LEGACY_FORMAT;
        let mut record = good_minute();
        record.presses = 0;
        record.keys = BTreeMap::from([("KeyC".into(), 3), ("ControlLeft".into(), 2), ("Space".into(), 1)]);
        record.chords = BTreeMap::from([("Ctrl+KeyC".into(), 2)]);
        record.screen = Some(ScreenActivity {
            width: 1920,
            height: 1080,
            clicks: vec![GridCount(1, 2, 2)],
            moves: vec![],
            ..Default::default()
        });
        // The first release measured rollover gaps under 10 ms.
        record.typing.typing_ms = 12;
        old.minutes.push(record);
        assert_eq!(old.validate(NOW), Ok(()));
        old.drop_legacy_detail();
        let kept = &old.minutes[0];
        assert_eq!((kept.presses, kept.keys.len(), kept.chords.len(), kept.screen.is_none()), (6, 0, 0, true));
        assert_eq!(kept.typing.typing_ms, 20, "raised to 10 ms a typed key");
        assert_eq!(old.format, CURRENT_FORMAT);
        assert_eq!(old.validate(NOW), Ok(()), "what is kept passes today's rules");
        // A first-release batch cannot carry blocks.
        let mut mixed = batch(vec![good_minute()]);
        mixed.format = LEGACY_FORMAT;
        mixed.blocks.push(good_block());
        assert!(mixed.validate(NOW).is_err_and(|e| e.at == "blocks"));
    }

    #[test]
    fn the_future_limit_is_ten_minutes() {
        let mut minute = good_minute();
        minute.minute = NOW + limits::MAX_FUTURE_SECS;
        assert_eq!(refused(minute), "accepted");
    }
}
