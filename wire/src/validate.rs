//! Which uploads the server accepts. A batch is valid as a whole or refused as a whole: the server
//! never stores part of one.

use std::collections::{BTreeMap, HashSet};

use crate::{
    ActivityBatch, ActivityMinute, BURST_GAP_MS, Chord, GRID_COLS, GRID_ROWS, GridCount, INTERVAL_BUCKETS_MS,
    ScreenActivity, is_known_key,
};

/// The documented limits of `POST /api/v1/activity`.
pub mod limits {
    /// Largest request body, in bytes.
    pub const MAX_BODY_BYTES: usize = 1024 * 1024;
    /// A day of minutes.
    pub const MAX_MINUTES_PER_BATCH: usize = 1_440;
    /// Key presses in one minute (1,000 a second is already beyond any person).
    pub const MAX_PRESSES_PER_MINUTE: u64 = 60_000;
    pub const MAX_CLICKS_PER_MINUTE: u64 = 60_000;
    pub const MAX_SCROLLS_PER_MINUTE: u32 = 60_000;
    /// Pointer travel in one minute, in pixels.
    pub const MAX_DISTANCE_PX_PER_MINUTE: u64 = 50_000_000;
    /// How far a minute may lie ahead of the server's clock (clocks drift).
    pub const MAX_FUTURE_SECS: i64 = 600;
    /// 2000-01-01T00:00:00Z: nothing older is real activity.
    pub const EARLIEST_MINUTE: i64 = 946_684_800;
    /// Largest screen side in pixels.
    pub const MAX_SCREEN_PX: u32 = 100_000;
    /// UTC offsets in minutes reach from -12:00 to +14:00.
    pub const MAX_UTC_OFFSET_MINUTES: i16 = 14 * 60;
    pub const MAX_DEVICE_ID_CHARS: usize = 64;
    pub const MAX_DEVICE_NAME_CHARS: usize = 100;
    /// A burst must be this long to count as a best burst (a few quick keys are not a speed).
    pub const MIN_BEST_BURST_KEYS: u32 = 10;
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
        if self.minutes.is_empty() {
            return Err(invalid("minutes", "holds no records"));
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
            record.validate(&at, now)?;
        }
        Ok(())
    }
}

impl ActivityMinute {
    /// Total key presses in the minute.
    pub fn total_keys(&self) -> u64 {
        self.keys.values().map(|n| u64::from(*n)).sum()
    }

    fn validate(&self, at: &str, now: i64) -> Result<(), InvalidActivity> {
        let field = |name: &str| format!("{at}.{name}");
        if self.minute % 60 != 0 {
            return Err(invalid(field("minute"), "must be the start of a minute (a multiple of 60 seconds)"));
        }
        if self.minute < limits::EARLIEST_MINUTE {
            return Err(invalid(field("minute"), "lies before the year 2000"));
        }
        if self.minute > now + limits::MAX_FUTURE_SECS {
            return Err(invalid(
                field("minute"),
                format!(
                    "lies {} seconds in the future; the server's clock allows {}",
                    self.minute - now,
                    limits::MAX_FUTURE_SECS
                ),
            ));
        }
        if self.utc_offset.abs() > limits::MAX_UTC_OFFSET_MINUTES {
            return Err(invalid(field("utc_offset"), "must lie between -840 and 840 minutes"));
        }
        for code in self.keys.keys() {
            if !is_known_key(code) {
                return Err(invalid(field("keys"), format!("unknown key code \"{code}\"")));
            }
        }
        let total_keys = self.total_keys();
        if total_keys > limits::MAX_PRESSES_PER_MINUTE {
            return Err(invalid(
                field("keys"),
                format!(
                    "{total_keys} presses in one minute is impossible (at most {})",
                    limits::MAX_PRESSES_PER_MINUTE
                ),
            ));
        }
        validate_chords(&self.chords, &self.keys, &field("chords"))?;
        self.validate_typing(total_keys, &field("typing"))?;
        let clicks = self.clicks.total();
        if clicks > limits::MAX_CLICKS_PER_MINUTE {
            return Err(invalid(
                field("clicks"),
                format!("{clicks} clicks in one minute is impossible (at most {})", limits::MAX_CLICKS_PER_MINUTE),
            ));
        }
        if let Some(screen) = &self.screen {
            validate_screen(screen, clicks, &field("screen"))?;
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

    fn validate_typing(&self, total_keys: u64, at: &str) -> Result<(), InvalidActivity> {
        let typing = &self.typing;
        if u64::from(typing.typed_keys) > total_keys {
            return Err(invalid(
                format!("{at}.typed_keys"),
                format!("{} typed keys but only {total_keys} key presses", typing.typed_keys),
            ));
        }
        if u64::from(typing.typing_ms) > u64::from(typing.typed_keys) * u64::from(BURST_GAP_MS) {
            return Err(invalid(
                format!("{at}.typing_ms"),
                format!("each typed key adds at most {BURST_GAP_MS} ms of typing time"),
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
            if sum != u64::from(typing.typed_keys) {
                return Err(invalid(
                    format!("{at}.intervals"),
                    format!("counts add up to {sum}, not to typed_keys ({})", typing.typed_keys),
                ));
            }
        }
        if let Some(burst) = typing.best_burst
            && u64::from(burst.typing_ms) > u64::from(burst.typed_keys) * u64::from(BURST_GAP_MS)
        {
            return Err(invalid(
                format!("{at}.best_burst"),
                format!("each typed key adds at most {BURST_GAP_MS} ms of typing time"),
            ));
        }
        Ok(())
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

fn validate_screen(screen: &ScreenActivity, clicks: u64, at: &str) -> Result<(), InvalidActivity> {
    let sides = 1..=limits::MAX_SCREEN_PX;
    if !sides.contains(&screen.width) || !sides.contains(&screen.height) {
        return Err(invalid(at, format!("width and height must lie between 1 and {} pixels", limits::MAX_SCREEN_PX)));
    }
    let click_cells = check_cells(&screen.clicks, &format!("{at}.clicks"))?;
    if click_cells > clicks {
        return Err(invalid(format!("{at}.clicks"), format!("{click_cells} binned clicks but only {clicks} clicks")));
    }
    check_cells(&screen.moves, &format!("{at}.moves"))?;
    Ok(())
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
    use crate::{ButtonCounts, Device, ScrollCounts, TypingStats};

    const NOW: i64 = 1_790_000_000 - 1_790_000_000 % 60;

    fn batch(minutes: Vec<ActivityMinute>) -> ActivityBatch {
        ActivityBatch { device: Device { id: "laptop-1".into(), name: "Laptop".into() }, minutes }
    }

    fn good_minute() -> ActivityMinute {
        ActivityMinute {
            minute: NOW - 120,
            utc_offset: 60,
            keys: BTreeMap::from([("KeyC".into(), 3), ("ControlLeft".into(), 2), ("Space".into(), 1)]),
            chords: BTreeMap::from([("Ctrl+KeyC".into(), 2)]),
            typing: TypingStats {
                typed_keys: 2,
                typing_ms: 300,
                bursts: 1,
                best_burst: None,
                intervals: vec![0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0],
            },
            clicks: ButtonCounts { left: 2, ..Default::default() },
            screen: Some(ScreenActivity {
                width: 1920,
                height: 1080,
                clicks: vec![GridCount(1, 2, 2)],
                moves: vec![GridCount(1, 2, 5), GridCount(63, 35, 1)],
            }),
            distance_px: 400,
            scroll: ScrollCounts { vertical: 3, horizontal: 0 },
            active_seconds: 12,
        }
    }

    fn refused(minute: ActivityMinute) -> String {
        match batch(vec![minute]).validate(NOW) {
            Ok(()) => "accepted".into(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_good_batch_passes() {
        assert_eq!(batch(vec![good_minute()]).validate(NOW), Ok(()));
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
            ("minutes[0].keys: unknown key code \"KeyFoo\"", |m| {
                m.keys.insert("KeyFoo".into(), 1);
            }),
            ("minutes[0].keys: 60001 presses", |m| {
                m.keys.insert("KeyA".into(), 60_001 - 6);
            }),
            ("minutes[0].chords: \"Shift+Ctrl+KeyC\"", |m| {
                m.chords.insert("Shift+Ctrl+KeyC".into(), 1);
            }),
            ("minutes[0].chords: 4 chords end in KeyC", |m| {
                m.chords.insert("Ctrl+Shift+KeyC".into(), 2);
            }),
            ("minutes[0].typing.typed_keys", |m| m.typing.typed_keys = 7),
            ("minutes[0].typing.typing_ms", |m| m.typing.typing_ms = 4_001),
            ("minutes[0].typing.intervals: counts add up to 3", |m| m.typing.intervals[0] = 1),
            ("minutes[0].clicks: 60003 clicks", |m| m.clicks.other = 60_001),
            ("minutes[0].screen.clicks: 3 binned clicks", |m| {
                if let Some(s) = m.screen.as_mut() {
                    s.clicks[0].2 = 3;
                }
            }),
            ("minutes[0].screen.moves: cell [64, 0] lies off", |m| {
                if let Some(s) = m.screen.as_mut() {
                    s.moves.push(GridCount(64, 0, 1));
                }
            }),
            ("minutes[0].screen.moves: cell [1, 2] appears twice", |m| {
                if let Some(s) = m.screen.as_mut() {
                    s.moves.push(GridCount(1, 2, 1));
                }
            }),
            ("minutes[0].screen: width and height", |m| {
                if let Some(s) = m.screen.as_mut() {
                    s.width = 0;
                }
            }),
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
    }

    #[test]
    fn the_future_limit_is_ten_minutes() {
        let mut minute = good_minute();
        minute.minute = NOW + limits::MAX_FUTURE_SECS;
        assert_eq!(refused(minute), "accepted");
    }
}
