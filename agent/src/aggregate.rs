//! Turns input events into what the agent uploads: per-minute totals ([`ActivityMinute`]) and
//! closed hour blocks of key detail ([`HourBlock`]).
//!
//! Privacy lives here. Minute records hold totals only (presses, clicks, typing timing, travel,
//! active seconds), so they can be saved and sent as often as needed. Which keys, which chords and
//! where the pointer went are counted for the open hour in memory only; when the hour is over they
//! join the device's block, which leaves once it holds [`MIN_BLOCK_PRESSES`] presses (see
//! `keytrack_wire::blocks`). The only other transient state is which keys are held right now (to
//! tell a chord and to skip auto-repeat) and when the last text key came (for typing speed):
//! never a sequence of keys.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use keytrack_wire::{
    ActivityMinute, AppUsage, BURST_GAP_MS, BlockFolder, Burst, ButtonCounts, Chord, DisplayPlace, GRID_COLS,
    GRID_ROWS, GridCount, HourBlock, INTERVAL_BUCKETS_MS, Modifier, PairCounts, ScrollCounts, TypingStats, hour_of,
    is_text_key, limits,
};

use crate::desktop::Desktop;
use crate::event::{Button, Input, InputEvent, KeyCode};

/// Pointer moves shorter than this (in pixels, from the last counted position) are hand jitter:
/// they add no distance and no movement.
pub const JITTER_PX: f64 = 3.0;

/// How many keys can be held at once before the oldest is forgotten (a lost key-up must not make
/// every later press of that key look like auto-repeat forever).
const MAX_HELD_KEYS: usize = 16;

/// The device's offset from UTC, in minutes east, at a Unix second.
pub type UtcOffsetAt = Box<dyn Fn(i64) -> i16 + Send>;

/// The device's current time zone, as the operating system says.
pub fn local_utc_offset() -> UtcOffsetAt {
    Box::new(|unix_secs| {
        use chrono::{Local, Offset, TimeZone};
        match Local.timestamp_opt(unix_secs, 0) {
            chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => {
                (t.offset().fix().local_minus_utc() / 60) as i16
            }
            chrono::LocalResult::None => 0,
        }
    })
}

pub struct Aggregator {
    desktop: Desktop,
    utc_offset_at: UtcOffsetAt,
    open: BTreeMap<i64, MinuteBuilder>,
    /// Key detail of the hour in progress.
    hour: Option<HourDetail>,
    /// Closed hours waiting to make a block of enough presses.
    folder: BlockFolder,
    /// Blocks complete and not handed out yet.
    complete: Vec<HourBlock>,
    /// The earliest hour new key detail may count in: after the last closed hour, so that a clock
    /// set back never makes a block overlap one already cut.
    earliest_hour: i64,
    held: Vec<KeyCode>,
    /// The last key pressed (not a modifier, not part of a chord) and when, in memory only: the
    /// first half of the next key pair, whose class alone is counted.
    last_key: Option<(i64, KeyCode)>,
    burst: Option<BurstInProgress>,
    /// Last pointer position seen, where a click lands.
    pointer: Option<(f64, f64)>,
    /// Last position that counted as movement (jitter is measured from here).
    anchor: Option<(f64, f64)>,
    /// Where relative motion ([`Input::Motion`]) has led, from (0, 0) at the start.
    relative_pointer: (f64, f64),
    /// The application with the focus, which input counts under.
    app: Option<Arc<str>>,
    /// A never-count application has the focus: input arrives only as [`Input::Excluded`].
    excluded: bool,
}

/// Typing in progress: how many typed keys over how long, and when the last text key came.
#[derive(Debug, Clone, Copy)]
struct BurstInProgress {
    last_ms: i64,
    typed_keys: u32,
    typing_ms: u32,
}

/// The totals of one minute.
#[derive(Debug, Default)]
struct MinuteBuilder {
    utc_offset: i16,
    presses: u32,
    typed_keys: u32,
    typing_ms: u32,
    bursts: u32,
    best_burst: Option<Burst>,
    intervals: [u32; INTERVAL_BUCKETS_MS.len()],
    clicks: ButtonCounts,
    distance_px: f64,
    scroll: ScrollCounts,
    /// Seconds of the minute with input, one bit each.
    active_mask: u64,
    /// Active seconds carried over from a record saved before a restart.
    active_before: u32,
    /// Changed since it was last handed out by [`Aggregator::open_changes`].
    dirty: bool,
}

/// Cells of the position grid, counted.
type Cells = HashMap<(u16, u16), u32>;

/// Key and pointer detail of the hour in progress, kept in memory only.
#[derive(Debug, Default)]
struct HourDetail {
    /// Start of the hour (Unix seconds).
    hour: i64,
    keys: BTreeMap<KeyCode, u32>,
    chords: BTreeMap<String, u32>,
    /// Consecutive key pairs by class.
    pairs: PairCounts,
    /// Clicks and moves per display.
    screens: HashMap<DisplayPlace, (Cells, Cells)>,
    /// Use per application.
    apps: HashMap<Arc<str>, AppTally>,
    /// Seconds with input while input was not counted, and the last of them.
    excluded_seconds: u32,
    excluded_second: Option<i64>,
}

/// One application's use within the hour in progress.
#[derive(Debug, Default)]
struct AppTally {
    keys: u32,
    clicks: u32,
    seconds: u32,
    /// The last second (Unix) counted in `seconds`.
    last_second: Option<i64>,
}

/// What an input adds to the focused application's tally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AppInput {
    Key,
    Click,
    /// Pointer movement or a wheel notch: time only.
    Other,
}

/// Counts a second into a tally of seconds with input, once.
fn count_second(seconds: &mut u32, last: &mut Option<i64>, second: i64) {
    if *last != Some(second) {
        *seconds = seconds.saturating_add(1);
        *last = Some(second);
    }
}

impl HourDetail {
    fn cells(&mut self, display: DisplayPlace) -> &mut (Cells, Cells) {
        self.screens.entry(display).or_default()
    }

    fn into_block(self) -> HourBlock {
        let mut block = HourBlock::for_hour(self.hour);
        for (key, n) in self.keys {
            block.add_key(key, n);
        }
        block.chords = self.chords;
        block.pairs = self.pairs;
        let list = |cells: Cells| -> Vec<GridCount> {
            cells
                .into_iter()
                .filter(|((c, r), _)| *c < GRID_COLS && *r < GRID_ROWS)
                .map(|((c, r), n)| GridCount(c, r, n))
                .collect()
        };
        for (display, (clicks, moves)) in self.screens {
            block.add_screen(display, &list(clicks), &list(moves));
        }
        let hour_secs = keytrack_wire::HOUR_SECS as u32;
        for (app, tally) in self.apps {
            // The focus reader writes names as the wire wants them; anything else would get the
            // whole block refused.
            if keytrack_wire::apps::is_app_name(&app) {
                block.add_app(&AppUsage {
                    name: app.to_string(),
                    keys: tally.keys,
                    clicks: tally.clicks,
                    // A clock set back can count a second twice.
                    active_seconds: tally.seconds.min(hour_secs),
                });
            }
        }
        block.excluded_seconds = self.excluded_seconds.min(hour_secs);
        block
    }
}

impl Aggregator {
    pub fn new(desktop: Desktop, utc_offset_at: UtcOffsetAt) -> Aggregator {
        Aggregator {
            desktop,
            utc_offset_at,
            open: BTreeMap::new(),
            hour: None,
            folder: BlockFolder::default(),
            complete: Vec::new(),
            earliest_hour: i64::MIN,
            held: Vec::new(),
            last_key: None,
            burst: None,
            pointer: None,
            anchor: None,
            relative_pointer: (0.0, 0.0),
            app: None,
            excluded: false,
        }
    }

    /// Continues minutes that were saved, unfinished, before the agent stopped (new input adds to
    /// them instead of replacing them), and the key detail that was waiting for more presses.
    pub fn resume(&mut self, records: impl IntoIterator<Item = ActivityMinute>, pending: Option<HourBlock>) {
        for record in records {
            self.open.insert(record.minute, MinuteBuilder::from_record(&record));
        }
        // The pending block's last hour may still be in progress: new input joins it.
        self.earliest_hour = pending.as_ref().map_or(i64::MIN, |b| b.end.saturating_sub(keytrack_wire::HOUR_SECS));
        self.folder = BlockFolder::resume(pending);
    }

    /// The displays changed (a monitor plugged in or out): positions from now on bin on these.
    pub fn set_desktop(&mut self, desktop: Desktop) {
        self.desktop = desktop;
    }

    /// Counts a move of the pointer to (x, y): its distance from the last place counted, unless
    /// that is jitter (under [`JITTER_PX`]); whether it counted.
    fn moved_to(&mut self, at: i64, x: f64, y: f64) -> bool {
        let moved = match self.anchor {
            None => Some(0.0),
            Some((ax, ay)) => {
                let d = (x - ax).hypot(y - ay);
                (d >= JITTER_PX && d.is_finite()).then_some(d)
            }
        };
        let Some(distance) = moved else {
            return false;
        };
        self.anchor = Some((x, y));
        let minute = self.minute_at(at);
        minute.distance_px += distance;
        minute.mark_active(at);
        self.count_in_app(at, AppInput::Other);
        true
    }

    /// Forgets which keys are held, e.g. after a pause during which key-ups went unseen.
    pub fn forget_held_keys(&mut self) {
        self.held.clear();
    }

    pub fn handle(&mut self, event: &InputEvent) {
        let at = event.at_ms;
        match event.input {
            Input::KeyDown(key) => self.key_down(at, key),
            Input::KeyUp(key) => self.held.retain(|held| *held != key),
            Input::ButtonDown(button) => {
                let minute = self.minute_at(at);
                let counter = match button {
                    Button::Left => &mut minute.clicks.left,
                    Button::Right => &mut minute.clicks.right,
                    Button::Middle => &mut minute.clicks.middle,
                    Button::Other => &mut minute.clicks.other,
                };
                *counter = counter.saturating_add(1);
                minute.mark_active(at);
                self.count_in_app(at, AppInput::Click);
                if let Some((x, y)) = self.pointer {
                    let (display, cell) = self.desktop.locate(x, y);
                    let count = self.detail_at(at).cells(display).0.entry(cell).or_default();
                    *count = count.saturating_add(1);
                }
            }
            Input::Move { x, y } => {
                self.pointer = Some((x, y));
                if self.moved_to(at, x, y) {
                    let (display, cell) = self.desktop.locate(x, y);
                    let count = self.detail_at(at).cells(display).1.entry(cell).or_default();
                    *count = count.saturating_add(1);
                }
            }
            Input::Motion { dx, dy } => {
                // Motion adds up to a place of its own, not on any screen: distance counts as for
                // positions (jitter included), with no cell.
                let (x, y) = self.relative_pointer;
                self.relative_pointer = (x + dx, y + dy);
                let (x, y) = self.relative_pointer;
                self.moved_to(at, x, y);
            }
            Input::Wheel { dx, dy } => {
                let minute = self.minute_at(at);
                let notches = |d: i64| u32::try_from(d.unsigned_abs()).unwrap_or(u32::MAX);
                minute.scroll.vertical = minute.scroll.vertical.saturating_add(notches(dy));
                minute.scroll.horizontal = minute.scroll.horizontal.saturating_add(notches(dx));
                minute.mark_active(at);
                self.count_in_app(at, AppInput::Other);
            }
            Input::Focus { ref app, excluded } => {
                if excluded != self.excluded {
                    // Typing does not run on across a stretch that is not counted, and keys
                    // released meanwhile went unseen.
                    self.end_burst();
                    self.last_key = None;
                    self.held.clear();
                }
                self.app = app.clone();
                self.excluded = excluded;
            }
            Input::Excluded => {
                let detail = self.detail_at(at);
                count_second(&mut detail.excluded_seconds, &mut detail.excluded_second, at.div_euclid(1000));
            }
        }
    }

    /// Counts input at `at` in the focused application's tally.
    fn count_in_app(&mut self, at: i64, what: AppInput) {
        let Some(app) = self.app.clone() else { return };
        let tally = self.detail_at(at).apps.entry(app).or_default();
        match what {
            AppInput::Key => tally.keys = tally.keys.saturating_add(1),
            AppInput::Click => tally.clicks = tally.clicks.saturating_add(1),
            AppInput::Other => {}
        }
        count_second(&mut tally.seconds, &mut tally.last_second, at.div_euclid(1000));
    }

    fn key_down(&mut self, at: i64, key: KeyCode) {
        if self.held.contains(&key) {
            // Auto-repeat: the key was never released.
            return;
        }
        if self.held.len() >= MAX_HELD_KEYS {
            self.held.remove(0);
        }
        let held_modifiers: Vec<Modifier> = self.held.iter().filter_map(|k| Modifier::of_key(k)).collect();
        self.held.push(key);
        let chord = Chord::new(held_modifiers, key);
        if chord.is_none() && Modifier::of_key(key).is_none() && is_text_key(key) {
            self.typed(at);
        }
        let minute = self.minute_at(at);
        minute.presses = minute.presses.saturating_add(1);
        minute.mark_active(at);
        // A pair is two keys typed one after the other, at most a burst's gap apart; a chord or
        // a pause ends the run. Modifiers are held, not typed: they neither make nor end a pair.
        let previous = if Modifier::of_key(key).is_some() {
            None
        } else if chord.is_some() {
            self.last_key = None;
            None
        } else {
            let previous = self
                .last_key
                .filter(|(last_at, _)| at >= *last_at && at - *last_at <= i64::from(BURST_GAP_MS))
                .map(|(_, last)| last);
            self.last_key = Some((at, key));
            previous
        };
        let detail = self.detail_at(at);
        let count = detail.keys.entry(key).or_default();
        *count = count.saturating_add(1);
        if let Some(previous) = previous {
            detail.pairs.add(previous, key);
        }
        if let Some(chord) = chord {
            *detail.chords.entry(chord.to_string()).or_default() += 1;
        }
        self.count_in_app(at, AppInput::Key);
    }

    /// A text key came at `at`: it continues the burst (counting its gap) or starts a new one.
    /// Keys pressed together (rollover) count [`limits::MIN_MS_PER_TYPED_KEY`] apart, the
    /// server's floor.
    fn typed(&mut self, at: i64) {
        match self.burst {
            Some(burst) if at >= burst.last_ms && at.saturating_sub(burst.last_ms) <= i64::from(BURST_GAP_MS) => {
                let gap = ((at - burst.last_ms) as u32).max(limits::MIN_MS_PER_TYPED_KEY);
                self.burst = Some(BurstInProgress {
                    last_ms: at,
                    typed_keys: burst.typed_keys + 1,
                    typing_ms: burst.typing_ms.saturating_add(gap),
                });
                let minute = self.minute_at(at);
                // Past 6,200 typed keys a minute (a machine typing, not a person), a key is still a
                // press but no more typing time: a minute holds at most what the server accepts.
                if minute.typing_ms.saturating_add(gap) <= limits::MAX_TYPING_MS_PER_MINUTE {
                    minute.typed_keys += 1;
                    minute.typing_ms += gap;
                    let bucket = INTERVAL_BUCKETS_MS
                        .iter()
                        .position(|bound| gap <= *bound)
                        .unwrap_or(INTERVAL_BUCKETS_MS.len() - 1);
                    minute.intervals[bucket] += 1;
                }
            }
            _ => {
                self.end_burst();
                self.burst = Some(BurstInProgress { last_ms: at, typed_keys: 0, typing_ms: 0 });
            }
        }
    }

    /// Counts the burst in progress (if it held any typed key) in the minute of its last key.
    fn end_burst(&mut self) {
        let Some(burst) = self.burst.take() else {
            return;
        };
        if burst.typed_keys == 0 {
            return;
        }
        let minute = self.minute_at(burst.last_ms);
        minute.bursts += 1;
        let done = Burst { typed_keys: burst.typed_keys, typing_ms: burst.typing_ms };
        if (limits::MIN_BEST_BURST_KEYS..=limits::MAX_BEST_BURST_KEYS).contains(&done.typed_keys)
            && minute.best_burst.is_none_or(|best| done.wpm() > best.wpm())
        {
            minute.best_burst = Some(done);
        }
    }

    /// Hands out the minutes that are over (and whose typing bursts are settled), oldest first.
    /// Each minute is handed out here once.
    pub fn take_finished(&mut self, now_ms: i64) -> Vec<ActivityMinute> {
        if let Some(burst) = self.burst
            && now_ms.saturating_sub(burst.last_ms) > i64::from(BURST_GAP_MS)
        {
            self.end_burst();
        }
        let mut finished = Vec::new();
        while let Some(entry) = self.open.first_entry() {
            let end_ms = entry.key().saturating_add(60).saturating_mul(1000);
            if now_ms < end_ms.saturating_add(i64::from(BURST_GAP_MS)) {
                break;
            }
            let minute = *entry.key();
            finished.push(entry.remove().to_record(minute));
        }
        finished
    }

    /// Hands out the hour blocks that are complete: their last hour is over and they hold at
    /// least [`keytrack_wire::MIN_BLOCK_PRESSES`] presses. Each block is handed out once.
    pub fn take_blocks(&mut self, now_ms: i64) -> Vec<HourBlock> {
        let now = now_ms.div_euclid(1000);
        if self.hour.as_ref().is_some_and(|h| h.hour.saturating_add(keytrack_wire::HOUR_SECS) <= now) {
            self.close_hour();
        }
        if let Some(block) = self.folder.take_complete(now) {
            self.complete.push(block);
        }
        let mut complete = std::mem::take(&mut self.complete);
        for block in &mut complete {
            block.limit_apps();
        }
        complete
    }

    /// Records of the minutes still open that changed since the last call (to save them early, so
    /// that a crash loses little).
    pub fn open_changes(&mut self) -> Vec<ActivityMinute> {
        self.open
            .iter_mut()
            .filter(|(_, m)| m.dirty)
            .map(|(minute, m)| {
                m.dirty = false;
                m.to_record(*minute)
            })
            .collect()
    }

    /// Counts the typing burst in progress now (when the agent stops or pauses).
    pub fn end_typing(&mut self) {
        self.end_burst();
    }

    /// Ends everything: the burst in progress and every open minute (when the agent stops).
    pub fn finish_all(&mut self) -> Vec<ActivityMinute> {
        self.end_burst();
        let open = std::mem::take(&mut self.open);
        open.into_iter().map(|(minute, m)| m.to_record(minute)).collect()
    }

    /// Takes the key detail not yet in a complete block: what the agent keeps, when it stops,
    /// until it runs again. It is never sent as it is.
    pub fn take_pending(&mut self) -> Option<HourBlock> {
        let mut pending = std::mem::take(&mut self.folder).into_carried();
        if let Some(hour) = self.hour.take() {
            let hour = hour.into_block();
            match pending.as_mut() {
                Some(block) => block.merge(hour),
                None => pending = Some(hour).filter(|b| !b.is_empty()),
            }
        }
        pending
    }

    /// The key detail of the hour an event at `at_ms` belongs to. An hour closes when an event of
    /// a later hour comes; an event stamped before the hour in progress (the clock was set back)
    /// counts in it, so that a device's blocks never overlap.
    fn detail_at(&mut self, at_ms: i64) -> &mut HourDetail {
        let hour = hour_of(at_ms.div_euclid(1000)).max(self.earliest_hour);
        if self.hour.as_ref().is_some_and(|h| hour > h.hour) {
            self.close_hour();
        }
        self.hour.get_or_insert_with(|| HourDetail { hour, ..HourDetail::default() })
    }

    /// Moves the hour in progress into the device's block.
    fn close_hour(&mut self) {
        let Some(hour) = self.hour.take() else { return };
        self.earliest_hour = hour.hour.saturating_add(keytrack_wire::HOUR_SECS);
        if let Some(block) = self.folder.push(hour.into_block()) {
            self.complete.push(block);
        }
    }

    fn minute_at(&mut self, at_ms: i64) -> &mut MinuteBuilder {
        let minute = at_ms.div_euclid(60_000) * 60;
        let offset_at = &self.utc_offset_at;
        let builder = self
            .open
            .entry(minute)
            .or_insert_with(|| MinuteBuilder { utc_offset: offset_at(minute), ..MinuteBuilder::default() });
        builder.dirty = true;
        builder
    }
}

impl MinuteBuilder {
    fn from_record(record: &ActivityMinute) -> MinuteBuilder {
        let mut intervals = [0; INTERVAL_BUCKETS_MS.len()];
        for (slot, n) in intervals.iter_mut().zip(&record.typing.intervals) {
            *slot = *n;
        }
        MinuteBuilder {
            utc_offset: record.utc_offset,
            presses: record.presses,
            typed_keys: record.typing.typed_keys,
            typing_ms: record.typing.typing_ms,
            bursts: record.typing.bursts,
            best_burst: record.typing.best_burst,
            intervals,
            clicks: record.clicks.clone(),
            distance_px: record.distance_px as f64,
            scroll: record.scroll.clone(),
            active_mask: 0,
            active_before: record.active_seconds,
            dirty: false,
        }
    }

    fn mark_active(&mut self, at_ms: i64) {
        self.active_mask |= 1 << at_ms.div_euclid(1000).rem_euclid(60);
    }

    fn to_record(&self, minute: i64) -> ActivityMinute {
        let intervals = if self.typed_keys == 0 { Vec::new() } else { self.intervals.to_vec() };
        ActivityMinute {
            minute,
            utc_offset: self.utc_offset,
            presses: self.presses,
            typing: TypingStats {
                typed_keys: self.typed_keys,
                typing_ms: self.typing_ms,
                bursts: self.bursts,
                best_burst: self.best_burst,
                intervals,
            },
            clicks: self.clicks.clone(),
            distance_px: self.distance_px as u64,
            scroll: self.scroll.clone(),
            active_seconds: (self.active_before + self.active_mask.count_ones()).min(60),
            ..ActivityMinute::default()
        }
    }
}

/// Where the person stands with rest breaks, from the minutes with input (Unix seconds of their
/// start, in order) and the time now: a pause of [`keytrack_wire::BREAK_MINUTES`] or more is a
/// break, as on the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakState {
    /// No input in the minutes given.
    NoActivity,
    /// Working since this second, with no break since then.
    WorkingSince(i64),
    /// On a break since this second (the end of the last active minute).
    OnBreakSince(i64),
}

pub fn break_state(active_minutes: &[i64], now: i64) -> BreakState {
    let break_secs = keytrack_wire::BREAK_MINUTES as i64 * 60;
    let Some(&last) = active_minutes.last() else {
        return BreakState::NoActivity;
    };
    if now - (last + 60) >= break_secs {
        return BreakState::OnBreakSince(last + 60);
    }
    // Back from the last minute until a pause long enough to be a break.
    let mut start = last;
    for pair in active_minutes.windows(2).rev() {
        if pair[1] - (pair[0] + 60) >= break_secs {
            break;
        }
        start = pair[0];
    }
    BreakState::WorkingSince(start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use keytrack_wire::{HOUR_SECS, MIN_BLOCK_PRESSES};
    use proptest::prelude::*;

    /// 2026-11-24 10:00:00 UTC, an hour start.
    const T0: i64 = 1_795_514_400_000;
    const HOUR_MS: i64 = HOUR_SECS * 1000;

    fn aggregator() -> Aggregator {
        Aggregator::new(Desktop::single(1920, 1080), Box::new(|_| 60))
    }

    fn ev(at_ms: i64, input: Input) -> InputEvent {
        InputEvent { at_ms, input }
    }

    fn press(agg: &mut Aggregator, at: i64, key: KeyCode) {
        agg.handle(&ev(at, Input::KeyDown(key)));
        agg.handle(&ev(at + 30, Input::KeyUp(key)));
    }

    fn all(agg: &mut Aggregator) -> Vec<ActivityMinute> {
        agg.take_finished(i64::MAX / 2)
    }

    /// Every block complete by the end of time, and what is left pending.
    fn blocks(agg: &mut Aggregator) -> (Vec<HourBlock>, Option<HourBlock>) {
        let complete = agg.take_blocks(i64::MAX / 2);
        (complete, agg.take_pending())
    }

    fn focus(agg: &mut Aggregator, at: i64, app: Option<&str>, excluded: bool) {
        agg.handle(&ev(at, Input::Focus { app: app.map(Arc::from), excluded }));
    }

    #[test]
    fn each_application_gets_its_keys_clicks_and_seconds_and_excluded_input_only_its_time() {
        let mut agg = aggregator();
        focus(&mut agg, T0, Some("xterm"), false);
        press(&mut agg, T0 + 100, "KeyA");
        press(&mut agg, T0 + 300, "KeyB");
        press(&mut agg, T0 + 1_200, "KeyC");
        agg.handle(&ev(T0 + 1_500, Input::ButtonDown(Button::Left)));
        focus(&mut agg, T0 + 2_000, Some("code"), false);
        agg.handle(&ev(T0 + 2_100, Input::Move { x: 10.0, y: 10.0 }));
        agg.handle(&ev(T0 + 3_100, Input::Wheel { dx: 0, dy: 1 }));
        press(&mut agg, T0 + 3_200, "KeyD");
        // A password manager: its input arrives only as "something happened", in 3 seconds.
        focus(&mut agg, T0 + 4_000, Some("keepassxc"), true);
        for at in [4_100, 4_200, 5_000, 6_900] {
            agg.handle(&ev(T0 + at, Input::Excluded));
        }
        // Nothing names the focus: counted, but under no application.
        focus(&mut agg, T0 + 8_000, None, false);
        press(&mut agg, T0 + 8_100, "KeyE");
        let records = all(&mut agg);
        let presses: u32 = records.iter().map(|r| r.presses).sum();
        assert_eq!(presses, 5, "excluded input is in no minute");
        assert_eq!(records.iter().map(|r| r.active_seconds).sum::<u32>(), 5, "seconds 0, 1, 2, 3, 8");
        let block = blocks(&mut agg).1.expect("pending detail");
        let usage =
            |name: &str, keys, clicks, active_seconds| AppUsage { name: name.into(), keys, clicks, active_seconds };
        assert_eq!(block.apps, vec![usage("code", 1, 0, 2), usage("xterm", 3, 1, 2)]);
        assert_eq!(block.excluded_seconds, 3);
        assert_eq!(block.presses(), 5);
        let json = serde_json::to_string(&block).expect("json");
        assert!(!json.contains("keepassxc"), "a never-count application is not named: {json}");
    }

    #[test]
    fn minutes_count_presses_and_skip_auto_repeat_but_name_no_key() {
        let mut agg = aggregator();
        agg.handle(&ev(T0, Input::KeyDown("KeyA")));
        for i in 1..20 {
            agg.handle(&ev(T0 + i * 30, Input::KeyDown("KeyA")));
        }
        agg.handle(&ev(T0 + 700, Input::KeyUp("KeyA")));
        press(&mut agg, T0 + 800, "KeyA");
        press(&mut agg, T0 + 900, "KeyB");
        let records = all(&mut agg);
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].minute, T0 / 1000);
        assert_eq!(records[0].utc_offset, 60);
        assert_eq!(records[0].presses, 3);
        assert!(records[0].keys.is_empty() && records[0].chords.is_empty() && records[0].screen.is_none());
        assert_eq!(records[0].active_seconds, 1);
        // Three presses are far from a block: the detail stays on the device.
        let (complete, pending) = blocks(&mut agg);
        assert!(complete.is_empty());
        let pending = pending.expect("pending detail");
        assert_eq!(pending.keys, BTreeMap::from([("KeyA".into(), 2), ("KeyB".into(), 1)]));
    }

    #[test]
    fn key_pairs_are_counted_by_class_only() {
        fn typed(agg: &mut Aggregator, at: &mut i64, keys: &[KeyCode]) {
            for key in keys {
                press(agg, *at, key);
                *at += 120;
            }
        }
        let mut agg = aggregator();
        let mut at = T0;
        // "hello": h-e and e-l switch hands, l-l repeats, l-o is one finger (right ring).
        typed(&mut agg, &mut at, &["KeyH", "KeyE", "KeyL", "KeyL", "KeyO"]);
        // A pause over 2 s: no pair across it; then "as" (inward roll), a Space (no pair either
        // side), "sa" (outward), Shift held for "S" (still a pair: a-s, inward), Ctrl+C ends the
        // run, so C-V is no pair.
        at += 3_000;
        typed(&mut agg, &mut at, &["KeyA", "KeyS", "Space", "KeyS", "KeyA"]);
        agg.handle(&ev(at, Input::KeyDown("ShiftLeft")));
        typed(&mut agg, &mut at, &["KeyS"]);
        agg.handle(&ev(at, Input::KeyUp("ShiftLeft")));
        agg.handle(&ev(at, Input::KeyDown("ControlLeft")));
        typed(&mut agg, &mut at, &["KeyC"]);
        agg.handle(&ev(at, Input::KeyUp("ControlLeft")));
        typed(&mut agg, &mut at, &["KeyV"]);
        let _ = all(&mut agg);
        let pending = blocks(&mut agg).1.expect("pending detail");
        assert_eq!(
            pending.pairs,
            PairCounts { alternations: 2, repeats: 1, same_finger: 1, inward_rolls: 2, outward_rolls: 1, row_jumps: 0 }
        );
        // The block names keys and classes, and nothing about which key followed which.
        let json = serde_json::to_string(&pending).expect("json");
        assert!(json.contains("\"pairs\":{\"repeats\":1"), "{json}");
    }

    #[test]
    fn chords_need_ctrl_alt_or_meta_and_are_written_canonically() {
        let mut agg = aggregator();
        agg.handle(&ev(T0, Input::KeyDown("ShiftLeft")));
        agg.handle(&ev(T0 + 10, Input::KeyDown("ControlRight")));
        press(&mut agg, T0 + 20, "KeyT");
        agg.handle(&ev(T0 + 100, Input::KeyUp("ControlRight")));
        press(&mut agg, T0 + 200, "KeyA"); // Shift+A is typing, not a chord
        agg.handle(&ev(T0 + 300, Input::KeyUp("ShiftLeft")));
        agg.handle(&ev(T0 + 400, Input::KeyDown("MetaLeft")));
        press(&mut agg, T0 + 410, "ShiftLeft"); // a modifier alone makes no chord
        agg.handle(&ev(T0 + 500, Input::KeyUp("MetaLeft")));
        let (_, pending) = blocks(&mut agg);
        let block = pending.expect("detail");
        assert_eq!(block.chords, BTreeMap::from([("Ctrl+Shift+KeyT".to_string(), 1)]), "{:?}", block.chords);
        assert_eq!(block.keys.get("KeyT"), Some(&1));
        assert_eq!(block.keys.get("ShiftLeft"), Some(&2));
        assert_eq!(block.keys.get("MetaLeft"), Some(&1));
        assert_eq!(all(&mut agg).iter().map(|r| r.presses).sum::<u32>(), 6);
        assert_eq!(block.presses(), 6);
    }

    #[test]
    fn typing_bursts_give_speed_and_gap_distribution() {
        let mut agg = aggregator();
        // 12 keys 100 ms apart: 11 typed keys over 1100 ms = 120 wpm; then a pause; then 3 keys.
        for i in 0..12 {
            press(&mut agg, T0 + i * 100, "KeyE");
        }
        for i in 0..3 {
            press(&mut agg, T0 + 10_000 + i * 250, "KeyF");
        }
        // A chord inside typing neither adds to typing nor breaks it.
        agg.handle(&ev(T0 + 10_600, Input::KeyDown("ControlLeft")));
        press(&mut agg, T0 + 10_650, "KeyS");
        let record = &all(&mut agg)[0];
        let typing = &record.typing;
        assert_eq!(typing.typed_keys, 13);
        assert_eq!(typing.typing_ms, 1100 + 500);
        assert_eq!(typing.bursts, 2);
        assert_eq!(typing.best_burst, Some(Burst { typed_keys: 11, typing_ms: 1100 }));
        let bucket = |ms: u32| INTERVAL_BUCKETS_MS.iter().position(|b| *b == ms).unwrap_or(99);
        assert_eq!(typing.intervals[bucket(100)], 11);
        assert_eq!(typing.intervals[bucket(250)], 2);
        assert_eq!(typing.intervals.iter().sum::<u32>(), 13);
        assert!((typing.best_burst.map_or(0.0, |b| b.wpm()) - 120.0).abs() < 1e-9);
    }

    #[test]
    fn keys_pressed_together_count_the_servers_minimum_apart() {
        let mut agg = aggregator();
        press(&mut agg, T0, "KeyA");
        press(&mut agg, T0 + 2, "KeyS");
        press(&mut agg, T0 + 3, "KeyD");
        let typing = all(&mut agg)[0].typing.clone();
        assert_eq!((typing.typed_keys, typing.typing_ms), (2, 2 * limits::MIN_MS_PER_TYPED_KEY));
    }

    #[test]
    fn a_machine_typing_faster_than_the_server_accepts_gives_a_minute_it_accepts() {
        let mut agg = aggregator();
        // 7,000 text keys 5 ms apart within one minute (xdotool, a macro): rollover's 10 ms each
        // would be 70 s of typing time in a minute.
        for i in 0..7_000 {
            press(&mut agg, T0 + i * 5, "KeyA");
        }
        let records = all(&mut agg);
        let record = &records[0];
        assert_eq!(record.presses, 7_000, "every press counted");
        assert_eq!(record.typing.typed_keys, 6_200);
        assert_eq!(record.typing.typing_ms, limits::MAX_TYPING_MS_PER_MINUTE);
        let batch = keytrack_wire::ActivityBatch::new(
            keytrack_wire::Device { id: "p".into(), name: String::new() },
            records.clone(),
            Vec::new(),
        );
        assert_eq!(batch.validate(T0 / 1000 + 120), Ok(()));
    }

    #[test]
    fn a_burst_across_a_minute_boundary_counts_each_key_in_its_own_minute() {
        let mut agg = aggregator();
        for i in 0..10 {
            press(&mut agg, T0 + 59_500 + i * 100, "KeyR");
        }
        // Not finished until the burst has settled after the minute's end.
        assert!(agg.take_finished(T0 + 60_500).is_empty());
        let records = all(&mut agg);
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].typing.typed_keys, 4);
        assert_eq!(records[1].typing.typed_keys, 5);
        assert_eq!(records[0].typing.bursts, 0);
        assert_eq!(records[1].typing.bursts, 1);
        assert_eq!(records[0].presses + records[1].presses, 10);
    }

    #[test]
    fn a_busy_hour_leaves_as_one_block_once_it_is_over() {
        let mut agg = aggregator();
        for i in 0..250 {
            press(&mut agg, T0 + i * 1000, if i % 5 == 0 { "Space" } else { "KeyK" });
        }
        assert!(agg.take_blocks(T0 + HOUR_MS - 1).is_empty(), "the hour is not over");
        let complete = agg.take_blocks(T0 + HOUR_MS);
        assert_eq!(complete.len(), 1);
        let block = &complete[0];
        assert_eq!((block.start, block.end), (T0 / 1000, T0 / 1000 + HOUR_SECS));
        assert_eq!((block.keys["KeyK"], block.keys["Space"]), (200, 50));
        assert!(agg.take_blocks(T0 + 3 * HOUR_MS).is_empty(), "handed out once");
        assert_eq!(agg.take_pending(), None, "nothing pending");
    }

    #[test]
    fn quiet_hours_are_carried_until_200_presses_and_end_in_the_last_hour() {
        let mut agg = aggregator();
        for hour in 0..3 {
            for i in 0..80 {
                press(&mut agg, T0 + hour * HOUR_MS + i * 500, "KeyQ");
            }
            // The first two hours close with 80 and 160 presses: carried, nothing leaves.
            let out = agg.take_blocks(T0 + (hour + 1) * HOUR_MS);
            assert_eq!(out.len(), usize::from(hour == 2), "after hour {hour}");
            if let Some(block) = out.first() {
                assert_eq!((block.start, block.end, block.presses()), (T0 / 1000, T0 / 1000 + 3 * HOUR_SECS, 240));
            }
        }
    }

    #[test]
    fn pending_detail_survives_a_restart_and_is_never_split() {
        let mut before = aggregator();
        for i in 0..150 {
            press(&mut before, T0 + i * 100, "KeyW");
        }
        let pending = before.take_pending().expect("pending");
        assert_eq!((pending.start, pending.end, pending.presses()), (T0 / 1000, T0 / 1000 + HOUR_SECS, 150));

        // Restarted in the same hour: new presses join the same block.
        let mut after = aggregator();
        after.resume([], Some(pending.clone()));
        for i in 0..60 {
            press(&mut after, T0 + 600_000 + i * 100, "KeyE");
        }
        let complete = after.take_blocks(T0 + HOUR_MS);
        assert_eq!(complete.len(), 1);
        assert_eq!((complete[0].start, complete[0].presses()), (T0 / 1000, 210));

        // Restarted two hours later with 250 pending presses: the block leaves at once.
        let mut busy = pending;
        busy.add_key("KeyA", 100);
        let mut later = aggregator();
        later.resume([], Some(busy));
        let complete = later.take_blocks(T0 + 3 * HOUR_MS);
        assert_eq!(complete.iter().map(HourBlock::presses).collect::<Vec<_>>(), vec![250]);
    }

    #[test]
    fn a_clock_set_back_never_makes_blocks_overlap() {
        let mut agg = aggregator();
        for i in 0..MIN_BLOCK_PRESSES as i64 {
            press(&mut agg, T0 + HOUR_MS + i * 10, "KeyA");
        }
        let first = agg.take_blocks(T0 + 2 * HOUR_MS);
        assert_eq!(first.len(), 1);
        // The clock jumps back two hours: those presses count after the block already cut.
        for i in 0..MIN_BLOCK_PRESSES as i64 {
            press(&mut agg, T0 - HOUR_MS + i * 10, "KeyB");
        }
        let second = agg.take_blocks(T0 + 3 * HOUR_MS);
        assert_eq!(second.len(), 1);
        assert!(second[0].start >= first[0].end, "{first:?} then {second:?}");
    }

    #[test]
    fn clicks_bin_at_the_pointer_and_screen_edges_stay_on_the_grid() {
        let mut agg = aggregator();
        agg.handle(&ev(T0, Input::Move { x: 1919.0, y: 1079.0 }));
        agg.handle(&ev(T0 + 5, Input::ButtonDown(Button::Left)));
        agg.handle(&ev(T0 + 10, Input::Move { x: 0.0, y: 0.0 }));
        agg.handle(&ev(T0 + 15, Input::ButtonDown(Button::Right)));
        agg.handle(&ev(T0 + 20, Input::ButtonDown(Button::Other)));
        agg.handle(&ev(T0 + 25, Input::Move { x: 5000.0, y: -3.0 }));
        let record = &all(&mut agg)[0];
        assert_eq!(record.clicks, ButtonCounts { left: 1, right: 1, middle: 0, other: 1 });
        let (_, pending) = blocks(&mut agg);
        let block = pending.expect("pointer detail waits for typing");
        let screen = &block.screens[0];
        assert_eq!((screen.width, screen.height), (1920, 1080));
        assert_eq!(screen.clicks, vec![GridCount(0, 0, 2), GridCount(63, 35, 1)]);
        assert_eq!(screen.moves, vec![GridCount(0, 0, 1), GridCount(63, 0, 1), GridCount(63, 35, 1)]);
    }

    #[test]
    fn each_display_has_its_own_grid_and_a_monitor_plugged_in_starts_its_own() {
        let mut agg = aggregator();
        agg.handle(&ev(T0, Input::Move { x: 960.0, y: 540.0 }));
        agg.handle(&ev(T0 + 5, Input::ButtonDown(Button::Left)));
        // A second monitor to the right: the desktop grows to 3840x1080.
        agg.set_desktop(Desktop::new(3840, 1080, &[(0, 0, 1920, 1080), (1920, 0, 1920, 1080)]));
        agg.handle(&ev(T0 + 10, Input::Move { x: 1920.0 + 30.0, y: 1079.0 }));
        agg.handle(&ev(T0 + 15, Input::ButtonDown(Button::Left)));
        agg.handle(&ev(T0 + 20, Input::Move { x: 10.0, y: 10.0 }));
        agg.handle(&ev(T0 + 25, Input::ButtonDown(Button::Right)));
        let (_, pending) = blocks(&mut agg);
        let block = pending.expect("pointer detail waits for typing");
        let places: Vec<(u32, u32, u32, u32)> =
            block.screens.iter().map(|s| (s.x, s.desktop_width, s.width, s.clicks.iter().map(|c| c.2).sum())).collect();
        // Sorted by place: the lone screen (desktop 1920 wide), then the two displays of the 3840 one.
        assert_eq!(places, vec![(0, 0, 1920, 1), (0, 3840, 1920, 1), (1920, 3840, 1920, 1)]);
        assert_eq!(block.screens[0].clicks, vec![GridCount(32, 18, 1)]);
        assert_eq!(block.screens[1].clicks, vec![GridCount(0, 0, 1)]);
        // 30 px into the right display, on its bottom row: its own cell (1, 35).
        assert_eq!(block.screens[2].clicks, vec![GridCount(1, 35, 1)]);
        assert_eq!(
            block.screens[2].place(),
            DisplayPlace { desktop_width: 3840, desktop_height: 1080, x: 1920, y: 0, width: 1920, height: 1080 }
        );
    }

    #[test]
    fn jitter_under_three_pixels_adds_no_distance() {
        let mut agg = aggregator();
        agg.handle(&ev(T0, Input::Move { x: 100.0, y: 100.0 }));
        for i in 0..50 {
            let x = if i % 2 == 0 { 101.0 } else { 99.0 };
            agg.handle(&ev(T0 + i, Input::Move { x, y: 100.0 }));
        }
        agg.handle(&ev(T0 + 100, Input::Move { x: 130.0, y: 140.0 }));
        agg.handle(&ev(T0 + 200, Input::Wheel { dx: 0, dy: -1 }));
        agg.handle(&ev(T0 + 300, Input::Wheel { dx: 1, dy: 0 }));
        let record = &all(&mut agg)[0];
        assert_eq!(record.distance_px, 50);
        assert_eq!(record.scroll, ScrollCounts { vertical: 1, horizontal: 1 });
        let (_, pending) = blocks(&mut agg);
        assert_eq!(pending.map(|b| b.screens[0].moves.len()), Some(2));
    }

    #[test]
    fn relative_motion_adds_distance_in_small_steps_and_no_place() {
        let mut agg = aggregator();
        // A mouse at 1,000 reports a second sends a step of a pixel or two: 40 steps right and 30
        // down, each under the jitter threshold alone, make a path of 70 px (counted in steps of
        // 3 from the first); shaking in place adds nothing.
        for i in 0..40 {
            agg.handle(&ev(T0 + i, Input::Motion { dx: 1.0, dy: 0.0 }));
        }
        for i in 0..30 {
            agg.handle(&ev(T0 + 40 + i, Input::Motion { dx: 0.0, dy: 1.0 }));
        }
        for i in 0..20 {
            let dx = if i % 2 == 0 { 1.0 } else { -1.0 };
            agg.handle(&ev(T0 + 100 + i, Input::Motion { dx, dy: 0.0 }));
        }
        agg.handle(&ev(T0 + 200, Input::ButtonDown(Button::Left)));
        let record = &all(&mut agg)[0];
        assert!((69..=70).contains(&record.distance_px), "{}", record.distance_px);
        assert_eq!(record.clicks.left, 1);
        let (_, pending) = blocks(&mut agg);
        assert!(pending.is_none_or(|b| b.screens.iter().all(|s| s.moves.is_empty() && s.clicks.is_empty())));
    }

    #[test]
    fn resumed_minutes_keep_counting_where_they_stopped() {
        let mut before = aggregator();
        press(&mut before, T0 + 1_000, "KeyA");
        let saved = before.open_changes();
        assert_eq!(saved.len(), 1);
        assert!(before.open_changes().is_empty(), "unchanged minutes are not handed out again");

        let mut after = aggregator();
        after.resume(saved, None);
        press(&mut after, T0 + 30_000, "KeyA");
        let record = &all(&mut after)[0];
        assert_eq!(record.presses, 2);
        assert_eq!(record.active_seconds, 2);
    }

    #[test]
    fn records_and_blocks_pass_the_servers_validation() {
        let mut agg = aggregator();
        for i in 0..400 {
            press(&mut agg, T0 + i * 90, if i % 7 == 0 { "Space" } else { "KeyK" });
            agg.handle(&ev(T0 + i * 90 + 5, Input::Move { x: (i * 9) as f64, y: (i * 5) as f64 }));
            if i % 50 == 0 {
                agg.handle(&ev(T0 + i * 90 + 6, Input::ButtonDown(Button::Left)));
            }
        }
        let now = T0 + 2 * HOUR_MS;
        let batch = keytrack_wire::ActivityBatch::new(
            keytrack_wire::Device { id: "test".into(), name: String::new() },
            agg.take_finished(now),
            agg.take_blocks(now),
        );
        assert_eq!(batch.blocks.len(), 1);
        assert_eq!(batch.validate(now / 1000), Ok(()));
    }

    #[test]
    fn extreme_timestamps_and_positions_do_not_panic() {
        let mut agg = aggregator();
        for at in [i64::MIN, -1, 0, i64::MAX - 5, i64::MAX] {
            press(&mut agg, at.saturating_sub(40), "KeyA");
            agg.handle(&ev(at, Input::Move { x: f64::NAN, y: f64::INFINITY }));
            agg.handle(&ev(at, Input::Wheel { dx: i64::MIN, dy: i64::MAX }));
            agg.take_finished(at);
            agg.take_blocks(at);
        }
        assert!(!agg.finish_all().is_empty());
    }

    fn arb_input() -> impl Strategy<Value = Input> {
        let keys = prop::sample::select(vec![
            "KeyA",
            "KeyB",
            "Space",
            "Digit1",
            "Enter",
            "ShiftLeft",
            "ControlLeft",
            "AltLeft",
            "MetaLeft",
        ]);
        prop_oneof![
            keys.clone().prop_map(Input::KeyDown),
            keys.prop_map(Input::KeyUp),
            prop::sample::select(vec![Button::Left, Button::Right, Button::Middle, Button::Other])
                .prop_map(Input::ButtonDown),
            (-50.0..2000.0f64, -50.0..1200.0f64).prop_map(|(x, y)| Input::Move { x, y }),
            (-2i64..=2, -2i64..=2).prop_map(|(dx, dy)| Input::Wheel { dx, dy }),
            (prop::sample::select(vec![None, Some("xterm"), Some("code")]), prop::bool::weighted(0.2))
                .prop_map(|(app, excluded)| Input::Focus { app: app.map(Arc::from), excluded }),
        ]
    }

    proptest! {
        /// Whatever the input and wherever minutes and hours are cut, every press and click is
        /// counted once in the minutes and every press once in the blocks (sent or pending), no
        /// block leaves with fewer than 200 presses or overlaps another, and the server accepts
        /// everything that leaves.
        #[test]
        fn counts_are_conserved_across_minutes_and_blocks(
            steps in prop::collection::vec((0i64..600_000, arb_input()), 1..400),
            cut_every in 1usize..50,
        ) {
            let mut agg = aggregator();
            let mut at = T0;
            let mut held: Vec<&str> = Vec::new();
            let (mut presses, mut clicks, mut scrolls) = (0u64, 0u64, 0u64);
            // What the focus watcher said last, and the presses and clicks made in an application.
            let (mut excluded, mut in_app) = (false, false);
            let (mut app_presses, mut app_clicks) = (0u64, 0u64);
            let mut records = Vec::new();
            let mut sent = Vec::new();
            for (i, (gap, input)) in steps.iter().enumerate() {
                at += gap;
                // The capture gate: while excluded, only that input happened comes through.
                let input = match input {
                    Input::Focus { .. } => input.clone(),
                    _ if excluded => Input::Excluded,
                    _ => input.clone(),
                };
                match &input {
                    Input::KeyDown(k) if !held.contains(k) => {
                        held.push(k);
                        presses += 1;
                        app_presses += u64::from(in_app);
                    }
                    Input::KeyUp(k) => held.retain(|h| h != k),
                    Input::ButtonDown(_) => {
                        clicks += 1;
                        app_clicks += u64::from(in_app);
                    }
                    Input::Wheel { dx, dy } => scrolls += dx.unsigned_abs() + dy.unsigned_abs(),
                    Input::Focus { app, excluded: now_excluded } => {
                        if *now_excluded != excluded {
                            held.clear();
                        }
                        excluded = *now_excluded;
                        in_app = app.is_some();
                    }
                    _ => {}
                }
                agg.handle(&ev(at, input));
                if i % cut_every == 0 {
                    records.extend(agg.take_finished(at));
                    sent.extend(agg.take_blocks(at));
                }
            }
            sent.extend(agg.take_blocks(at));
            records.extend(agg.finish_all());
            let pending = agg.take_pending();
            let minutes: Vec<i64> = records.iter().map(|r| r.minute).collect();
            let mut unique = minutes.clone();
            unique.dedup();
            prop_assert_eq!(&minutes, &unique, "a minute was handed out twice");
            prop_assert_eq!(records.iter().map(|r| u64::from(r.presses)).sum::<u64>(), presses);
            let in_blocks: u64 = sent.iter().chain(pending.iter()).map(HourBlock::presses).sum();
            prop_assert_eq!(in_blocks, presses);
            let apps = || sent.iter().chain(pending.iter()).flat_map(|b| b.apps.iter());
            prop_assert_eq!(apps().map(|a| u64::from(a.keys)).sum::<u64>(), app_presses);
            prop_assert_eq!(apps().map(|a| u64::from(a.clicks)).sum::<u64>(), app_clicks);
            prop_assert_eq!(records.iter().map(|r| r.clicks.total()).sum::<u64>(), clicks);
            prop_assert_eq!(
                records.iter().map(|r| u64::from(r.scroll.vertical + r.scroll.horizontal)).sum::<u64>(),
                scrolls
            );
            for pair in sent.windows(2) {
                prop_assert!(pair[0].end <= pair[1].start, "blocks overlap: {:?}", pair);
            }
            prop_assert!(sent.iter().all(|b| b.presses() >= MIN_BLOCK_PRESSES && b.end * 1000 <= at));
            let typed: u64 = records.iter().map(|r| u64::from(r.typing.typed_keys)).sum();
            prop_assert!(typed <= presses);
            // Key-ups alone are no activity: no record at all.
            if !records.is_empty() || !sent.is_empty() {
                let batch = keytrack_wire::ActivityBatch::new(
                    keytrack_wire::Device { id: "p".into(), name: String::new() },
                    records,
                    sent,
                );
                prop_assert_eq!(batch.validate(at / 1000 + 600), Ok(()));
            }
        }
    }

    #[test]
    fn the_time_since_the_last_break_counts_from_the_end_of_a_five_minute_pause() {
        let m = |minute: i64| minute * 60;
        // 09:00-09:09, a 6-minute pause, 09:16-09:30: working since 09:16.
        let mut active: Vec<i64> = (540..550).map(m).collect();
        active.extend((556..=570).map(m));
        assert_eq!(break_state(&active, m(571)), BreakState::WorkingSince(m(556)));
        // A 4-minute pause does not count: working since 09:00.
        let short: Vec<i64> = (540..550).chain(554..=570).map(m).collect();
        assert_eq!(break_state(&short, m(571)), BreakState::WorkingSince(m(540)));
        // Five minutes after the last active minute ended: on a break since it ended.
        assert_eq!(break_state(&active, m(576)), BreakState::OnBreakSince(m(571)));
        assert_eq!(break_state(&[], m(576)), BreakState::NoActivity);
    }
}
