//! What the server answers: upload receipts, errors, the account, and the statistics of a range
//! of days (`GET /api/v1/stats`) with everything the dashboard draws.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

use crate::activity::DisplayPlace;

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
    /// A site administrator of this server (the administration pages and `/api/v1/admin/...`).
    #[serde(default)]
    pub is_admin: bool,
    /// An administrator asked for a new password at the next login: the pages ask for it first.
    #[serde(default)]
    pub must_change_password: bool,
    /// Two-factor sign-in is on: a login asks for a code after the password.
    #[serde(default)]
    pub two_factor: bool,
    /// The server requires two-factor sign-in and the account has none yet: the pages ask to set
    /// it up first.
    #[serde(default)]
    pub must_set_up_two_factor: bool,
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
    /// For `range=today`: the time of day (`HH:MM`, the user's clock) the comparison stops at,
    /// yesterday up to the time it is now, so that a morning is not set against a whole day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
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
