//! The format the KeyTrack agent uploads and the server answers with: serde types only, plus the
//! rules that say which uploads are valid. Agent, server and the wasm UI share this crate, so the
//! three can never disagree on a field.
//!
//! Privacy is designed into the format: a minute record holds totals (presses, clicks, typing
//! timing, travel), and which keys, chords and screen cells only ever travel in closed hour blocks
//! of at least [`MIN_BLOCK_PRESSES`] presses (see [`blocks`]): never text, never the order in which
//! keys were pressed, never a handful of keys typed alone.

pub mod apps;
pub mod blocks;
pub mod data;
pub mod fingers;
pub mod keys;
pub mod live;
pub mod pairing;
pub mod teams;
mod validate;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use apps::{AppUsage, app_name, never_counts};
pub use blocks::{BlockFolder, hour_of};
pub use fingers::PairCounts;
pub use keys::{Chord, KEY_CODES, Modifier, is_correction_key, is_known_key, is_modifier_key, is_text_key, key_index};
pub use teams::{
    ChordCount, HUMAN_MAX_CLICKS_PER_MINUTE, HUMAN_MAX_PRESSES_PER_MINUTE, HUMAN_MAX_WPM, MIN_CONTRIBUTORS,
    MemberFigures, TeamErgonomics, TeamRole, TeamStats, TeamSummary, TeamTotals,
};
pub use validate::{InvalidActivity, limits};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

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

/// What `POST /api/v1/activity` answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct IngestReceipt {
    /// Minute records stored by this request.
    pub accepted: u32,
    /// Of those, how many replaced an earlier copy of the same device and minute.
    pub replaced: u32,
    /// Hour blocks stored by this request.
    #[serde(default)]
    pub blocks: u32,
    /// The applications the user's profile says never to count, on any of their computers (the
    /// agent adds them to its own list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub never_count: Option<Vec<String>>,
}

/// The one shape every API error has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ApiError {
    /// Stable, machine-readable, e.g. `invalid_activity`, `unauthorized`, `payload_too_large`.
    pub code: String,
    /// For people: what was wrong and where.
    pub message: String,
}

/// Who a token or session belongs to (`GET /api/v1/me`); the agent checks its token with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Account {
    pub email: String,
    pub display_name: String,
    pub timezone: String,
    pub day_start_hour: u8,
    /// See [`ActivityStats::keyboard_layout`].
    #[serde(default)]
    pub keyboard_layout: String,
    /// Applications whose input the user's agents never count, besides their own lists (see
    /// [`apps::DEFAULT_NEVER_COUNT`]).
    #[serde(default)]
    pub never_count: Vec<String>,
}

/// Activity over a range of days, as `GET /api/v1/stats` answers and the dashboard shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ActivityStats {
    /// First day of the range (inclusive), `YYYY-MM-DD` in `timezone`.
    pub from: String,
    /// Last day of the range (inclusive).
    pub to: String,
    /// The user's IANA time zone, which days and hours are counted in.
    pub timezone: String,
    /// Hour at which the user's day starts (activity at 02:00 with a start of 4 counts for the day before).
    pub day_start_hour: u8,
    pub total_keys: u64,
    /// Presses per key code.
    pub keys: BTreeMap<String, u64>,
    /// Presses per chord.
    pub combos: BTreeMap<String, u64>,
    pub total_clicks: u64,
    pub clicks_by_button: ButtonTotals,
    /// Key presses per day of the week, Monday first (7 values).
    pub by_weekday: Vec<u64>,
    /// Key presses per hour of the day, 00:00 first (24 values).
    pub by_hour: Vec<u64>,
    /// Key presses per day of the week and hour: 7 rows (Monday first) of 24 values.
    #[serde(default)]
    pub by_weekday_hour: Vec<Vec<u64>>,
    pub typing: TypingSummary,
    pub mouse: MouseSummary,
    /// Minutes with any input.
    pub active_minutes: u64,
    /// Seconds with any input.
    pub active_seconds: u64,
    /// Every day of the range in order, days without activity included, for charts over time.
    #[serde(default)]
    pub daily: Vec<DailyActivity>,
    /// The most used chords (at most 8, most used first), each with its count on every day of the range.
    #[serde(default)]
    pub combo_trends: Vec<ComboTrend>,
    /// Backspace and Delete presses per 100 text keys (letters, digits, punctuation, space).
    #[serde(default)]
    pub corrections_per_100: f64,
    /// The user's keyboard layout (`us`, `uk`, `de`, `fr`, `es`, `nordic`, `dvorak`, `colemak`):
    /// what the keys are labelled with. Counts are per physical key whatever it is.
    #[serde(default)]
    pub keyboard_layout: String,
    /// Typing speed in words per minute by clock hour (24 values, 0 for hours without typing).
    #[serde(default)]
    pub wpm_by_hour: Vec<f64>,
    /// Typed keys per typing burst over the range.
    #[serde(default)]
    pub burst_keys: f64,
    /// Consecutive key pairs by class over the range (see [`fingers`]).
    #[serde(default)]
    pub key_pairs: PairTotals,
    /// The same figures for the period of equal length just before (the dashboard's comparison).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<PeriodSummary>,
    /// The most used applications (at most 12, most active time first), each with its figures and
    /// its active seconds on every day of the range.
    #[serde(default)]
    pub applications: Vec<AppTrend>,
    /// Seconds with input that was not counted: an application on the never-count list had the
    /// focus.
    #[serde(default)]
    pub excluded_seconds: u64,
}

/// An application's use over the range.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AppTrend {
    /// The program's name, e.g. `firefox` (see [`apps::app_name`]).
    pub name: String,
    pub keys: u64,
    pub clicks: u64,
    /// Seconds with input while it had the focus.
    pub active_seconds: u64,
    /// Active seconds on each day of the range, in order.
    pub daily: Vec<u64>,
}

/// A chord's use day by day.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ComboTrend {
    pub chord: String,
    /// One count per day of the range, in order.
    pub daily: Vec<u64>,
}

/// The headline figures of a period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PeriodSummary {
    pub from: String,
    pub to: String,
    pub total_keys: u64,
    pub total_clicks: u64,
    pub active_seconds: u64,
    pub wpm: f64,
}

/// Where the pointer clicked and moved on one display over a range: counts per cell of the
/// [`GRID_COLS`] x [`GRID_ROWS`] grid, row after row. `x`, `y` and the desktop's size say where the
/// display sat (a lone display: at 0, 0 on a desktop of its own size).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ScreenHeatmap {
    pub width: u32,
    pub height: u32,
    #[serde(default)]
    pub x: u32,
    #[serde(default)]
    pub y: u32,
    #[serde(default)]
    pub desktop_width: u32,
    #[serde(default)]
    pub desktop_height: u32,
    pub clicks: Vec<u64>,
    pub moves: Vec<u64>,
}

impl ScreenHeatmap {
    pub fn place(&self) -> DisplayPlace {
        DisplayPlace::new(self.width, self.height, self.x, self.y, self.desktop_width, self.desktop_height)
    }
}

/// One of the user's days.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DailyActivity {
    /// `YYYY-MM-DD`, the user's day.
    pub day: String,
    pub keys: u64,
    pub clicks: u64,
    pub active_minutes: u64,
    /// Typing speed over the day's typing time (0 without typing).
    pub wpm: f64,
    /// Backspace and Delete presses per 100 text keys that day.
    #[serde(default)]
    pub corrections_per_100: f64,
    /// Typed keys per typing burst that day (a burst ends at a pause of over 2 s).
    #[serde(default)]
    pub burst_keys: f64,
    #[serde(default)]
    pub ergonomics: ErgonomicsDay,
    #[serde(default)]
    pub breaks: BreakDay,
}

/// A day's ergonomic figures from its key presses on the main block (letters, digits,
/// punctuation, the modifiers, Space, Enter, Backspace, Tab): the touch-typing finger of each
/// key, its row, and carpalx's base effort (see README, "Ergonomics").
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ErgonomicsDay {
    /// Presses on the main block.
    pub keys: u64,
    /// Share (0-100) of the presses typed by fingers of the left hand (thumbs left out).
    pub left_hand_share: f64,
    /// Share (0-100) of the main block's presses on the home row.
    pub home_row_share: f64,
    /// Share (0-100) of the fingers' presses (thumbs left out) typed by the little fingers.
    pub little_finger_share: f64,
    /// Share (0-100) of the main block's presses on Shift, Ctrl, Alt and Meta.
    pub modifier_share: f64,
    /// Of the consecutive key pairs the agent classed that day: the share (0-100) typed by one
    /// finger (two different keys), and the share switching hands.
    #[serde(default)]
    pub same_finger_share: f64,
    #[serde(default)]
    pub alternation_share: f64,
    /// Mean carpalx base effort per press of the 47 keys the model covers (0 without any).
    pub effort: f64,
}

/// [`PairCounts`] added up over days.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PairTotals {
    pub repeats: u64,
    pub same_finger: u64,
    pub inward_rolls: u64,
    pub outward_rolls: u64,
    pub alternations: u64,
    pub row_jumps: u64,
}

impl PairTotals {
    /// The totals from the six counts in [`PairCounts::slots`] order.
    pub fn from_slots(slots: [u64; 6]) -> PairTotals {
        let [repeats, same_finger, inward_rolls, outward_rolls, alternations, row_jumps] = slots;
        PairTotals { repeats, same_finger, inward_rolls, outward_rolls, alternations, row_jumps }
    }

    /// Pairs counted (`row_jumps` overlaps the others).
    pub fn total(&self) -> u64 {
        self.repeats + self.same_finger + self.inward_rolls + self.outward_rolls + self.alternations
    }
}

/// A day's work and rest by the minute (any device's input makes a minute active). A pause of
/// five minutes or more is a break; shorter pauses belong to the work period around them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct BreakDay {
    /// Work periods: stretches of activity without a break.
    pub work_periods: u64,
    /// Breaks of 5 minutes or more between two work periods.
    pub breaks_5: u64,
    /// Of those, breaks of 10 minutes or more.
    pub breaks_10: u64,
    /// The longest work period, first to last active minute, in minutes.
    pub longest_stretch_minutes: u64,
    /// Minutes worked past 60 without a break, summed over the day's work periods (the UK HSE's
    /// guidance: a 5-10 minute break after 50-60 minutes of continuous screen work).
    pub minutes_over_limit: u64,
    /// `low` (no stretch over 60 minutes), `raised` (up to 60 minutes over in all), `high`.
    pub strain: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ButtonTotals {
    pub left: u64,
    pub right: u64,
    pub middle: u64,
    pub other: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TypingSummary {
    /// Average speed over all typing time, words (5 keys) per minute.
    pub wpm: f64,
    pub typed_keys: u64,
    pub typing_seconds: f64,
    pub bursts: u64,
    /// Speed of the fastest burst of at least [`limits::MIN_BEST_BURST_KEYS`] keys.
    pub best_burst_wpm: f64,
    /// Typed keys per gap bucket: `le_ms` is the bucket's upper bound.
    pub intervals: Vec<IntervalCount>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct IntervalCount {
    pub le_ms: u32,
    pub count: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct MouseSummary {
    pub distance_px: u64,
    pub scroll_vertical: u64,
    pub scroll_horizontal: u64,
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
