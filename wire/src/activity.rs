//! What an agent uploads (`POST /api/v1/activity`): a batch of minute records (totals) and
//! closed hour blocks (key and pointer detail), with the constants the format is built on. The
//! rules a batch must follow are `validate`'s; how blocks are made, `blocks`'.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

use crate::apps::AppUsage;
use crate::fingers::PairCounts;

/// Columns of the grid that click and movement positions are binned into, whatever the screen size.
pub const GRID_COLS: u16 = 64;
/// Rows of that grid (64 x 36 keeps 16:9 cells square: 30 px on a 1920x1080 screen).
pub const GRID_ROWS: u16 = 36;

/// Two text keys further apart than this end a typing burst; the gap is not typing time.
pub const BURST_GAP_MS: u32 = 2_000;

/// Minutes without input that make a rest break (the dashboard's breaks and the agent's
/// `status` both count by it).
pub const BREAK_MINUTES: usize = 5;

/// Upper bounds (inclusive, ms) of the buckets of [`TypingStats::intervals`]; gaps above the last
/// bound end the burst and are not counted.
pub const INTERVAL_BUCKETS_MS: [u32; 12] = [50, 75, 100, 125, 150, 200, 250, 300, 400, 500, 1_000, BURST_GAP_MS];

/// The wire format new agents speak: minute records carry totals only, key and pointer detail
/// travels in closed [`HourBlock`]s.
pub const CURRENT_FORMAT: u8 = 2;
/// The first release's format: minute records held per-key counts, chords and pointer cells. The
/// server still accepts such uploads from old agents but keeps only their totals.
pub const LEGACY_FORMAT: u8 = 1;

/// Key detail (per-key counts, chords, pointer positions) leaves the agent only in closed hour
/// blocks of at least this many key presses; a smaller block is carried into the device's next
/// hour. A few keys typed alone are their own text; two hundred are a usage profile.
pub const MIN_BLOCK_PRESSES: u64 = 200;
/// Blocks are made of whole UTC hours.
pub const HOUR_SECS: i64 = 3_600;

/// One upload from one device: minute records (totals, as often as needed) and closed hour blocks
/// (key detail, each sent once).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ActivityBatch {
    pub device: Device,
    /// [`CURRENT_FORMAT`] (2) from current agents; absent or 1 from agents of the first release,
    /// whose minute records still carry key detail (the server keeps only their totals). Rule: 1
    /// or 2.
    #[serde(default = "legacy_format")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 2, default = 1))]
    pub format: u8,
    /// Minute records. Rule: at most [`limits::MAX_MINUTES_PER_BATCH`], each minute at most once;
    /// a batch holds at least one minute or one block.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 1440))]
    pub minutes: Vec<ActivityMinute>,
    /// Closed hour blocks. Rule: format 2 only; at most [`limits::MAX_BLOCKS_PER_BATCH`]; each
    /// start at most once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(max_items = 48))]
    pub blocks: Vec<HourBlock>,
}

fn legacy_format() -> u8 {
    LEGACY_FORMAT
}

impl ActivityBatch {
    /// A batch in the current format.
    pub fn new(device: Device, minutes: Vec<ActivityMinute>, blocks: Vec<HourBlock>) -> ActivityBatch {
        ActivityBatch { device, format: CURRENT_FORMAT, minutes, blocks }
    }
}

/// The computer the agent runs on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Device {
    /// A stable id the agent makes once. Rule: 1-64 characters of `A-Z a-z 0-9 - _`.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9_-]{1,64}$", min_length = 1, max_length = 64))]
    pub id: String,
    /// What the user calls it, e.g. the host name. Rule: at most 100 printable characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 100, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$"))]
    pub name: String,
}

/// The totals of one device in one minute. The server keeps one record per device and minute: a
/// record sent again replaces the earlier copy, so retries and overlaps never double-count, and an
/// agent may send its open minute as often as a live dashboard needs.
///
/// Totals only: which keys were pressed, which chords and where the pointer went travel in
/// [`HourBlock`]s. (`keys`, `chords` and `screen` are the first release's format, accepted only in
/// format 1 batches, where the server reduces them to `presses` and keeps nothing else.)
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ActivityMinute {
    /// Start of the minute, Unix time in seconds, UTC. Rule: a multiple of 60, not before the year
    /// 2000, at most 600 s ahead of the server's clock.
    pub minute: i64,
    /// The device's offset from UTC at that minute, in minutes east (Paris in winter: 60). Rule:
    /// between -840 and 840.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = -840, maximum = 840))]
    pub utc_offset: i16,
    /// Key presses in the minute (key-down only, auto-repeat excluded), all keys together. Rule:
    /// at most 60,000; absent in a format 1 record that has `keys`.
    #[serde(default, skip_serializing_if = "is_zero")]
    #[cfg_attr(feature = "openapi", schema(maximum = 60000))]
    pub presses: u32,
    #[serde(default, skip_serializing_if = "TypingStats::is_empty")]
    pub typing: TypingStats,
    #[serde(default, skip_serializing_if = "ButtonCounts::is_empty")]
    pub clicks: ButtonCounts,
    /// Pointer travel in pixels, jitter below 3 px ignored. Rule: at most 50,000,000.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(maximum = 50000000))]
    pub distance_px: u64,
    #[serde(default, skip_serializing_if = "ScrollCounts::is_empty")]
    pub scroll: ScrollCounts,
    /// Seconds of this minute with any input. Rule: at most 60.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(maximum = 60))]
    pub active_seconds: u32,
    /// Presses per physical key. Rule: format 1 only (refused in format 2); known key codes; at
    /// most 60,000 in all.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(feature = "openapi", schema(deprecated))]
    pub keys: BTreeMap<String, u32>,
    /// Presses per chord. Rule: format 1 only (refused in format 2); written as in
    /// [`HourBlock::chords`]; the chords ending in a key add up to at most that key's presses.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(feature = "openapi", schema(deprecated))]
    pub chords: BTreeMap<String, u32>,
    /// Binned pointer positions. Rule: format 1 only (refused in format 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(deprecated))]
    pub screen: Option<ScreenActivity>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Key and pointer detail of one device over whole hours: which keys, which chords, where the
/// pointer clicked and moved, without any order. An agent sends a block once, after its last hour
/// has ended, and only with at least [`MIN_BLOCK_PRESSES`] key presses; a quieter hour is carried
/// into the next one, so `start` may lie several hours before `end`. The server counts a block on
/// the user's day and hour of its last hour.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HourBlock {
    /// Start of the block's first hour, Unix seconds. A block sent again with the same start (a
    /// retry) replaces the earlier copy of that device's block. Rule: a multiple of 3600 (as
    /// `end`), not before the year 2000, each start at most once in a batch.
    pub start: i64,
    /// End of its last hour (a multiple of 3600). Rule: after `start`, at most 600 s ahead of the
    /// server's clock (the last hour is over).
    pub end: i64,
    /// Presses per physical key (key-down only, auto-repeat excluded), by W3C `KeyboardEvent.code`.
    /// Rule: known key codes ([`KEY_CODES`]); they add up to at least 200, and to at most 60,000 a
    /// minute of the block's hours.
    #[serde(default)]
    pub keys: BTreeMap<String, u32>,
    /// Presses per chord, e.g. `Ctrl+Shift+KeyT` (see [`Chord`]). Each is also counted in `keys`.
    /// Rule: modifiers written in the order Ctrl, Alt, Shift, Meta, at least one of Ctrl, Alt or
    /// Meta, then a known non-modifier key; the chords ending in a key add up to at most that key's
    /// presses.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub chords: BTreeMap<String, u32>,
    /// Where the pointer clicked and moved, one entry per screen size. Rule: each size at most
    /// once, at most 16.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(max_items = 16))]
    pub screens: Vec<ScreenActivity>,
    /// Consecutive key pairs by class (same finger, rolls, alternation, row jumps), never which
    /// keys (see [`fingers`]). Rule: the classes add up to at most the block's presses; row jumps
    /// to at most its same-hand pairs.
    #[serde(default, skip_serializing_if = "PairCounts::is_empty")]
    pub pairs: PairCounts,
    /// Key presses, clicks and active seconds per application (its program's name, never a
    /// window title; see [`apps`]), sorted by name. Rule: each name once, at most 256; all
    /// applications' presses together at most the block's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(max_items = 256))]
    pub apps: Vec<AppUsage>,
    /// Seconds with input while an application on the never-count list had the focus: that
    /// input was not counted at all, only that time passed. Rule: at most the block's seconds.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub excluded_seconds: u32,
}

/// Typing speed, as timing statistics only.
///
/// A *typed key* is a text key (not a modifier, not navigation) pressed at most [`BURST_GAP_MS`]
/// after the previous text key; its *gap* is the time since that previous key. Speed in words per
/// minute is `(typed_keys / 5) / (typing_ms / 60000)`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TypingStats {
    /// Rule: at most the minute's `presses`.
    #[cfg_attr(feature = "openapi", schema(maximum = 60000))]
    pub typed_keys: u32,
    /// Sum of the gaps of the typed keys. Rule: between 10 and 2,000 ms per typed key (in a
    /// format 1 record, after the server raises it to 10 ms per typed key), and at most 62,000 in
    /// all (a minute, and the gap of its first typed key reaching into the minute before).
    pub typing_ms: u32,
    /// Typing bursts that ended in this minute (runs of text keys without a gap over the limit).
    /// Rule: at most `typed_keys` (a burst ends with a typed key).
    #[serde(default)]
    pub bursts: u32,
    /// The fastest burst of at least [`limits::MIN_BEST_BURST_KEYS`] typed keys that ended in this minute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub best_burst: Option<Burst>,
    /// Typed keys per gap bucket (bounds in [`INTERVAL_BUCKETS_MS`]); empty or one count per bucket.
    /// Rule: the counts add up to `typed_keys`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(max_items = 12))]
    pub intervals: Vec<u32>,
}

impl TypingStats {
    pub fn is_empty(&self) -> bool {
        *self == TypingStats::default()
    }
}

/// A run of typing: how many typed keys in how many milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Burst {
    /// Rule: between 10 and 1,000,000.
    #[cfg_attr(feature = "openapi", schema(minimum = 10, maximum = 1000000))]
    pub typed_keys: u32,
    /// Rule: between 10 and 2,000 ms per typed key.
    pub typing_ms: u32,
}

impl Burst {
    /// Words (5 keys) per minute; 0 for an empty burst.
    pub fn wpm(&self) -> f64 {
        words_per_minute(u64::from(self.typed_keys), u64::from(self.typing_ms))
    }
}

/// `(keys / 5) / minutes`, the usual definition; 0 when no time was spent.
pub fn words_per_minute(typed_keys: u64, typing_ms: u64) -> f64 {
    if typing_ms == 0 {
        return 0.0;
    }
    (typed_keys as f64 / 5.0) / (typing_ms as f64 / 60_000.0)
}

/// Clicks per mouse button.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
/// Rule: all buttons together at most 60,000 in a minute.
pub struct ButtonCounts {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(maximum = 60000))]
    pub left: u32,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(maximum = 60000))]
    pub right: u32,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(maximum = 60000))]
    pub middle: u32,
    /// Side and extra buttons.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(maximum = 60000))]
    pub other: u32,
}

impl ButtonCounts {
    pub fn total(&self) -> u64 {
        u64::from(self.left) + u64::from(self.right) + u64::from(self.middle) + u64::from(self.other)
    }

    pub fn is_empty(&self) -> bool {
        self.total() == 0
    }
}

/// Scroll wheel notches. Rule: at most 60,000 each way in a minute.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ScrollCounts {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(maximum = 60000))]
    pub vertical: u32,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(maximum = 60000))]
    pub horizontal: u32,
}

impl ScrollCounts {
    pub fn is_empty(&self) -> bool {
        self.vertical == 0 && self.horizontal == 0
    }
}

/// Click and movement positions on one display, binned on a [`GRID_COLS`] x [`GRID_ROWS`] grid of
/// that display. A desktop of several displays (monitors) sends one entry per display, each with
/// where it sits on the desktop; a desktop of one display leaves `x`, `y` and the desktop's size
/// out (as the first releases, which binned the whole desktop as one screen, always did).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ScreenActivity {
    /// The display's size in pixels. Rule: 1 to 100,000 (as `height`).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 100000))]
    pub width: u32,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 100000))]
    pub height: u32,
    /// The display's left edge on the desktop, in pixels from the desktop's left edge. Rule: 0
    /// without a desktop size; with one, `x + width` at most `desktop_width`.
    #[serde(default, skip_serializing_if = "is_zero")]
    #[cfg_attr(feature = "openapi", schema(maximum = 100000))]
    pub x: u32,
    /// The display's top edge on the desktop. Rule: 0 without a desktop size; with one,
    /// `y + height` at most `desktop_height`.
    #[serde(default, skip_serializing_if = "is_zero")]
    #[cfg_attr(feature = "openapi", schema(maximum = 100000))]
    pub y: u32,
    /// The size of the whole desktop (all displays together, as the pointer sees them); 0 when
    /// this display is the whole desktop. Rule: both 0 or both set, at most 100,000.
    #[serde(default, skip_serializing_if = "is_zero")]
    #[cfg_attr(feature = "openapi", schema(maximum = 100000))]
    pub desktop_width: u32,
    #[serde(default, skip_serializing_if = "is_zero")]
    #[cfg_attr(feature = "openapi", schema(maximum = 100000))]
    pub desktop_height: u32,
    /// Clicks per cell, as `[column, row, count]`; only cells with clicks. Rule: each cell at most
    /// once; at most 60,000 a minute of the time covered, and in a format 1 minute at most the
    /// minute's clicks together.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(max_items = 2304))]
    pub clicks: Vec<GridCount>,
    /// Pointer positions sampled per cell, as `[column, row, count]`; only cells it visited. Rule:
    /// each cell at most once; at most 60,000 positions a minute of the time covered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(max_items = 2304))]
    pub moves: Vec<GridCount>,
}

impl ScreenActivity {
    /// Which display of which desktop this is, the desktop's size filled in for a lone display.
    pub fn place(&self) -> DisplayPlace {
        DisplayPlace::new(self.width, self.height, self.x, self.y, self.desktop_width, self.desktop_height)
    }

    /// An empty entry for the display at `place`.
    pub fn at(place: DisplayPlace) -> ScreenActivity {
        let lone = place.is_whole_desktop();
        ScreenActivity {
            width: place.width,
            height: place.height,
            x: if lone { 0 } else { place.x },
            y: if lone { 0 } else { place.y },
            desktop_width: if lone { 0 } else { place.desktop_width },
            desktop_height: if lone { 0 } else { place.desktop_height },
            ..ScreenActivity::default()
        }
    }
}

/// One display of one desktop: the desktop's size, then where the display sits on it and its own
/// size (pixels). Pointer detail is kept per display place; a desktop of one display is the place
/// `(w, h, 0, 0, w, h)`, which is also what the first releases' whole-screen grids are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DisplayPlace {
    pub desktop_width: u32,
    pub desktop_height: u32,
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

impl DisplayPlace {
    /// A display of `width` x `height` at (`x`, `y`) on a desktop of `desktop_width` x
    /// `desktop_height`; a desktop size of 0 means the display is the whole desktop.
    pub fn new(width: u32, height: u32, x: u32, y: u32, desktop_width: u32, desktop_height: u32) -> DisplayPlace {
        if desktop_width == 0 || desktop_height == 0 {
            DisplayPlace::whole(width, height)
        } else {
            DisplayPlace { desktop_width, desktop_height, x, y, width, height }
        }
    }

    /// The only display of a desktop of this size.
    pub fn whole(width: u32, height: u32) -> DisplayPlace {
        DisplayPlace { desktop_width: width, desktop_height: height, x: 0, y: 0, width, height }
    }

    pub fn is_whole_desktop(&self) -> bool {
        self.x == 0 && self.y == 0 && self.width == self.desktop_width && self.height == self.desktop_height
    }

    /// True when the two displays share any pixel.
    pub fn overlaps(&self, other: &DisplayPlace) -> bool {
        let (ax, ay) = (u64::from(self.x), u64::from(self.y));
        let (bx, by) = (u64::from(other.x), u64::from(other.y));
        ax < bx + u64::from(other.width)
            && bx < ax + u64::from(self.width)
            && ay < by + u64::from(other.height)
            && by < ay + u64::from(self.height)
    }
}

/// `[column, row, count]`: a count in one grid cell (sent as a 3-number array to keep uploads small).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct GridCount(pub u16, pub u16, pub u32);

impl GridCount {
    /// The cell a pixel position falls in on a screen of the given size (positions off the
    /// screen are clamped to its edge cells).
    pub fn cell_of(x: f64, y: f64, width: u32, height: u32) -> (u16, u16) {
        fn bin(pos: f64, size: u32, cells: u16) -> u16 {
            if size == 0 || !pos.is_finite() || pos <= 0.0 {
                return 0;
            }
            let cell = (pos / f64::from(size) * f64::from(cells)) as u32;
            cell.min(u32::from(cells) - 1) as u16
        }
        (bin(x, width, GRID_COLS), bin(y, height, GRID_ROWS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wpm_is_five_keys_a_word() {
        // 10 gaps of 100 ms: 10 keys per second, 120 words per minute.
        assert!((words_per_minute(10, 1_000) - 120.0).abs() < 1e-9);
        assert_eq!(words_per_minute(10, 0), 0.0);
    }

    #[test]
    fn cells_clamp_to_the_screen_edges() {
        assert_eq!(GridCount::cell_of(0.0, 0.0, 1920, 1080), (0, 0));
        assert_eq!(GridCount::cell_of(1919.0, 1079.0, 1920, 1080), (63, 35));
        assert_eq!(GridCount::cell_of(1920.0, 1080.0, 1920, 1080), (63, 35));
        assert_eq!(GridCount::cell_of(-5.0, 5000.0, 1920, 1080), (0, 35));
        assert_eq!(GridCount::cell_of(29.9, 30.0, 1920, 1080), (0, 1));
        assert_eq!(GridCount::cell_of(f64::NAN, 10.0, 0, 1080), (0, 0));
    }

    #[test]
    fn empty_parts_are_left_out_of_the_json() {
        let minute = ActivityMinute { minute: 1_700_000_040, presses: 2, active_seconds: 3, ..Default::default() };
        let json = serde_json::to_string(&minute).unwrap_or_default();
        assert_eq!(json, r#"{"minute":1700000040,"utc_offset":0,"presses":2,"distance_px":0,"active_seconds":3}"#);
        let batch = ActivityBatch::new(Device { id: "d".into(), name: String::new() }, vec![minute], vec![]);
        let json = serde_json::to_string(&batch).unwrap_or_default();
        assert!(json.contains(r#""format":2"#) && !json.contains("blocks"), "{json}");
    }
}
