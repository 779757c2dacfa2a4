//! Synthetic activity that reads like a person's: the one generator behind `keytrack demo`,
//! `keytrack-bench` and its `export-workload`, so that the demo, the benchmark figures and the
//! workload other servers are fed are the same activity. Deterministic: the same seed, days
//! and `now` give the same minutes.
//!
//! The rhythm: weekday work hours with a lunch break and short breaks away from the desk, some
//! evenings, lighter weekends, and days off. Keys follow English letter frequencies plus the keys around them; chords are the ones
//! people really use; clicks and movement gather where a desktop's tab bars, sidebars and content
//! are. Each person has their own typing pace.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate, Offset, TimeZone, Timelike, Weekday};
use chrono_tz::Tz;
use keytrack_wire::{
    ActivityBatch, ActivityMinute, BURST_GAP_MS, BlockFolder, Burst, ButtonCounts, Device, DisplayPlace, GridCount,
    HourBlock, INTERVAL_BUCKETS_MS, PairCounts, ScreenActivity, ScrollCounts, TypingStats, is_text_key, limits,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The one way making synthetic activity fails: a time zone the IANA database does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("time zone {zone}: {why}")]
pub struct UnknownTimeZone {
    pub zone: String,
    pub why: String,
}

fn time_zone(zone: &str) -> Result<Tz, UnknownTimeZone> {
    zone.parse().map_err(|e: chrono_tz::ParseError| UnknownTimeZone { zone: zone.to_string(), why: e.to_string() })
}

/// The screen everyone's pointer moves on.
pub const SCREEN: (u32, u32) = (1920, 1080);

/// At the desk, the laptop's screen (left, its top 360 px lower) sits beside a 2560x1440 monitor.
const DOCKED: [DisplayPlace; 2] = [
    DisplayPlace { desktop_width: 4480, desktop_height: 1440, x: 0, y: 360, width: 1920, height: 1080 },
    DisplayPlace { desktop_width: 4480, desktop_height: 1440, x: 1920, y: 0, width: 2560, height: 1440 },
];

/// A minute of synthetic activity: the record (totals) an agent would upload, and how far the
/// pointer went across and down (which the record sums into one distance, and input-count events
/// keep).
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticMinute {
    pub record: ActivityMinute,
    pub travel_x: u64,
    pub travel_y: u64,
}

/// One of a person's days: its minutes with any activity, in order, and the hour blocks of key
/// detail an agent would have sent by the end of it (cut by the agents' rule: an hour's detail
/// joins the device's block when the hour is over; the block leaves with 200 presses).
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticDay {
    pub day: NaiveDate,
    pub minutes: Vec<SyntheticMinute>,
    pub blocks: Vec<HourBlock>,
}

/// A person's last `days` days up to `now` in their time zone, made one day at a time (a year of
/// minutes is never all in memory).
pub struct SyntheticPerson {
    rng: StdRng,
    tz: Tz,
    now: i64,
    next: NaiveDate,
    last: NaiveDate,
    wpm: f64,
    /// Key detail of the hour in progress and of the hours waiting for presses: at the end, what
    /// the person's agent still holds.
    folder: BlockFolder,
}

impl SyntheticPerson {
    pub fn new(timezone: &str, days: i64, now: i64, seed: u64) -> Result<SyntheticPerson, UnknownTimeZone> {
        let tz = time_zone(timezone)?;
        let mut rng = StdRng::seed_from_u64(seed);
        let wpm = normal(&mut rng, 62.0, 10.0).clamp(35.0, 100.0);
        let last = tz.timestamp_opt(now, 0).single().map(|t| t.date_naive()).unwrap_or_default();
        let next = last - Duration::days(days.max(1) - 1);
        Ok(SyntheticPerson { rng, tz, now, next, last, wpm, folder: BlockFolder::default() })
    }
}

impl Iterator for SyntheticPerson {
    type Item = SyntheticDay;

    fn next(&mut self) -> Option<SyntheticDay> {
        if self.next > self.last {
            return None;
        }
        let day = self.next;
        self.next = day + Duration::days(1);
        let mut minutes = synthetic_day(&mut self.rng, self.tz, day, self.now, self.wpm);
        let (folder, rng) = (&mut self.folder, &mut self.rng);
        let blocks = minutes
            .iter_mut()
            .filter_map(|m| {
                let mut detail = m.record.take_detail();
                detail.pairs = synthetic_pairs(rng, m.record.typing.typed_keys);
                synthetic_app(&m.record, &mut detail);
                folder.add(detail)
            })
            .collect();
        Some(SyntheticDay { day, minutes, blocks })
    }
}

/// What an agent would upload of these days: batches of at most `per_batch` minute records (and
/// the server's limit of blocks), each with the blocks complete by then; at most `limit` minutes in
/// all.
pub fn uploads(
    device: &Device,
    days: impl IntoIterator<Item = SyntheticDay>,
    per_batch: usize,
    limit: usize,
) -> Vec<ActivityBatch> {
    let mut batches = Vec::new();
    let (mut minutes, mut blocks, mut taken) = (Vec::new(), Vec::new(), 0);
    let mut send = |minutes: &mut Vec<ActivityMinute>, blocks: &mut Vec<HourBlock>| {
        batches.push(ActivityBatch::new(device.clone(), std::mem::take(minutes), std::mem::take(blocks)));
    };
    'days: for day in days {
        for minute in day.minutes {
            if taken == limit {
                break 'days;
            }
            minutes.push(minute.record);
            taken += 1;
            if minutes.len() == per_batch {
                send(&mut minutes, &mut blocks);
            }
        }
        for block in day.blocks {
            blocks.push(block);
            if blocks.len() == limits::MAX_BLOCKS_PER_BATCH {
                send(&mut minutes, &mut blocks);
            }
        }
    }
    if !minutes.is_empty() || !blocks.is_empty() {
        send(&mut minutes, &mut blocks);
    }
    batches
}

/// A person typing now, for the live demo: what their agent would upload at any moment while
/// watched, the minute in progress as typed so far (its totals growing through the minute),
/// finished minutes whole, and hour blocks of key detail once closed with enough presses.
pub struct Typist {
    rng: StdRng,
    tz: Tz,
    wpm: f64,
    /// The minute in progress: its record (totals) as it will be when the minute ends.
    current: Option<ActivityMinute>,
    /// Its key detail, added to the blocks when the minute ends.
    detail: HourBlock,
    folder: BlockFolder,
}

impl Typist {
    pub fn new(timezone: &str, seed: u64) -> Result<Typist, UnknownTimeZone> {
        let tz = time_zone(timezone)?;
        let mut rng = StdRng::seed_from_u64(seed);
        let wpm = normal(&mut rng, 62.0, 10.0).clamp(35.0, 100.0);
        Ok(Typist { rng, tz, wpm, current: None, detail: HourBlock::default(), folder: BlockFolder::default() })
    }

    /// What the agent sends at `now` (Unix seconds): the minute before, finished, if it just
    /// ended; the minute in progress as far as it has got; a block that just closed.
    pub fn upload(&mut self, device: &Device, now: i64) -> ActivityBatch {
        let minute = now - now.rem_euclid(60);
        let mut minutes = Vec::new();
        let mut blocks = Vec::new();
        if self.current.as_ref().is_none_or(|current| current.minute != minute) {
            if let Some(done) = self.current.take() {
                minutes.push(done);
                blocks.extend(self.folder.add(std::mem::take(&mut self.detail)));
            }
            let utc_offset = (self
                .tz
                .offset_from_utc_datetime(&chrono::DateTime::from_timestamp(minute, 0).unwrap_or_default().naive_utc())
                .fix()
                .local_minus_utc()
                / 60) as i16;
            // Always a busy morning hour: the demo moves whenever someone looks.
            let mut record = synthetic_minute(&mut self.rng, minute, utc_offset, 10, self.wpm, false).record;
            self.detail = record.take_detail();
            synthetic_app(&record, &mut self.detail);
            self.current = Some(record);
        }
        if let Some(current) = &self.current {
            minutes.push(so_far(current, (now - minute + 1) as f64 / 60.0));
        }
        ActivityBatch::new(device.clone(), minutes, blocks)
    }
}

/// Applications a synthetic person works in, and how much: an editor, a browser, chat, a terminal.
const APP_WEIGHTS: [(&str, u64); 6] =
    [("code", 38), ("firefox", 28), ("slack", 12), ("gnome-terminal-server", 10), ("libreoffice", 8), ("evince", 4)];

/// Puts a minute's use into one application (the same for ten minutes at a time), and now and
/// then a few seconds in a never-counted password manager. Derived from the minute alone, so that
/// the rest of the synthetic figures stay what the same seed always gave.
fn synthetic_app(record: &ActivityMinute, detail: &mut HourBlock) {
    let stretch = (record.minute.div_euclid(600) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 17;
    let total: u64 = APP_WEIGHTS.iter().map(|a| a.1).sum();
    let mut at = stretch % total;
    let name = APP_WEIGHTS
        .iter()
        .find(|(_, weight)| {
            let here = at < *weight;
            at = at.saturating_sub(*weight);
            here
        })
        .map_or("code", |a| a.0);
    if record.active_seconds > 0 {
        detail.add_app(&keytrack_wire::AppUsage {
            name: name.to_string(),
            keys: record.presses,
            clicks: u32::try_from(record.clicks.total()).unwrap_or(u32::MAX),
            active_seconds: record.active_seconds,
        });
    }
    let minute = (record.minute.div_euclid(60) as u64).wrapping_mul(0xD6E8_FEB8_6659_FD93) >> 20;
    if minute.is_multiple_of(61) {
        detail.excluded_seconds += 5 + (minute % 17) as u32;
    }
}

/// A minute's record as it stood `fraction` of the way through: every count that share of the
/// whole (rounded down, so the whole is never exceeded and the record's rules still hold).
fn so_far(whole: &ActivityMinute, fraction: f64) -> ActivityMinute {
    if fraction >= 1.0 {
        return whole.clone();
    }
    let part = |n: u32| (f64::from(n) * fraction) as u32;
    // The keys typed so far are the gaps counted so far (the rule: one gap per typed key), at the
    // minute's own pace.
    let intervals: Vec<u32> = whole.typing.intervals.iter().map(|&n| part(n)).collect();
    let typed_keys: u32 = if intervals.is_empty() { part(whole.typing.typed_keys) } else { intervals.iter().sum() };
    let ms_per_key = f64::from(whole.typing.typing_ms) / f64::from(whole.typing.typed_keys.max(1));
    let typing = TypingStats {
        typed_keys,
        typing_ms: (ms_per_key * f64::from(typed_keys)).round() as u32,
        bursts: part(whole.typing.bursts).min(typed_keys),
        best_burst: None,
        intervals,
    };
    ActivityMinute {
        presses: part(whole.presses),
        typing,
        clicks: ButtonCounts {
            left: part(whole.clicks.left),
            right: part(whole.clicks.right),
            middle: part(whole.clicks.middle),
            other: part(whole.clicks.other),
        },
        distance_px: (whole.distance_px as f64 * fraction) as u64,
        scroll: ScrollCounts { vertical: part(whole.scroll.vertical), horizontal: part(whole.scroll.horizontal) },
        active_seconds: (f64::from(whole.active_seconds) * fraction)
            .ceil()
            .clamp(1.0, f64::from(whole.active_seconds.max(1))) as u32,
        ..whole.clone()
    }
}

/// Chance that a minute of this local hour is active, before the day's own mood.
fn hour_activity(weekday: Weekday, hour: u32) -> f64 {
    let weekend = matches!(weekday, Weekday::Sat | Weekday::Sun);
    match (weekend, hour) {
        (false, 8) => 0.35,
        (false, 9..=11) => 0.8,
        (false, 12) => 0.25,
        (false, 13..=16) => 0.75,
        (false, 17) => 0.45,
        (false, 20..=21) => 0.2,
        (true, 10..=11) => 0.25,
        (true, 15..=16) => 0.2,
        (true, 21) => 0.15,
        _ => 0.0,
    }
}

/// The key-pair classes of a minute's typing: about one pair per typed key but the first of each
/// word, spread as English prose on QWERTY spreads them (about half the pairs switch hands).
fn synthetic_pairs(rng: &mut StdRng, typed_keys: u32) -> PairCounts {
    let pairs = (f64::from(typed_keys) * rng.gen_range(0.75..0.85)) as u32;
    let part = |share: f64| (f64::from(pairs) * share).round() as u32;
    let (inward, outward, same_finger) = (part(0.21), part(0.16), part(0.07));
    PairCounts {
        repeats: part(0.04),
        same_finger,
        inward_rolls: inward,
        outward_rolls: outward,
        alternations: pairs.saturating_sub(part(0.04) + same_finger + inward + outward),
        row_jumps: part(0.03).min(inward + outward + same_finger),
    }
}

/// One day of a person's minutes, before `now`.
fn synthetic_day(rng: &mut StdRng, tz: Tz, day: NaiveDate, now: i64, wpm: f64) -> Vec<SyntheticMinute> {
    // Some days off, and some days busier than others.
    if rng.gen_bool(0.06) {
        return Vec::new();
    }
    let mood: f64 = rng.gen_range(0.65..1.15);
    // Most weekdays at the desk with the monitor plugged in; weekends on the laptop alone.
    let docked = day.weekday().number_from_monday() <= 5 && rng.gen_bool(0.75);
    let mut records = Vec::new();
    // Minutes left of a break away from the computer: people step away every 45 minutes or so,
    // for 4 to 15 minutes (the dashboard's breaks widget reads them), some less often than others.
    let mut away = 0u32;
    let break_chance = rng.gen_range(1.0 / 70.0..1.0 / 35.0);
    for hour in 0..24u32 {
        let chance = hour_activity(day.weekday(), hour) * mood;
        if chance <= 0.0 {
            continue;
        }
        for minute in 0..60u32 {
            if away > 0 {
                away -= 1;
                continue;
            }
            if rng.gen_bool(break_chance) {
                away = rng.gen_range(3..15);
                continue;
            }
            if !rng.gen_bool(chance.min(1.0)) {
                continue;
            }
            let Some(local) = day.and_hms_opt(hour, minute, 0) else { continue };
            // Skip local times a DST change made impossible.
            let Some(at) = tz.from_local_datetime(&local).earliest() else { continue };
            let unix = at.timestamp();
            if unix > now - 60 {
                continue;
            }
            let offset = at.offset().fix().local_minus_utc() / 60;
            records.push(synthetic_minute(rng, unix, offset as i16, at.hour(), wpm, docked));
        }
    }
    records
}

/// English letter frequencies (per mille) with the other keys of everyday typing.
const KEY_WEIGHTS: &[(&str, u32)] = &[
    ("KeyE", 111),
    ("KeyT", 79),
    ("KeyA", 72),
    ("KeyO", 67),
    ("KeyI", 63),
    ("KeyN", 60),
    ("KeyS", 57),
    ("KeyH", 52),
    ("KeyR", 52),
    ("KeyD", 37),
    ("KeyL", 36),
    ("KeyC", 25),
    ("KeyU", 25),
    ("KeyM", 22),
    ("KeyW", 20),
    ("KeyF", 20),
    ("KeyG", 18),
    ("KeyY", 17),
    ("KeyP", 17),
    ("KeyB", 13),
    ("KeyV", 9),
    ("KeyK", 7),
    ("KeyJ", 2),
    ("KeyX", 2),
    ("KeyQ", 1),
    ("KeyZ", 1),
    ("Space", 170),
    ("Backspace", 32),
    ("Enter", 14),
    ("ShiftLeft", 22),
    ("ShiftRight", 6),
    ("Comma", 11),
    ("Period", 12),
    ("Quote", 3),
    ("Semicolon", 2),
    ("Slash", 2),
    ("Minus", 3),
    ("Digit1", 3),
    ("Digit2", 3),
    ("Digit0", 3),
    ("Digit3", 2),
    ("Digit4", 2),
    ("Digit5", 2),
    ("Digit9", 2),
    ("Digit8", 1),
    ("Tab", 6),
    ("ArrowDown", 5),
    ("ArrowUp", 4),
    ("ArrowLeft", 4),
    ("ArrowRight", 4),
    ("Delete", 2),
    ("Escape", 2),
    ("Home", 1),
    ("End", 1),
    ("BracketLeft", 1),
    ("BracketRight", 1),
    ("Equal", 1),
    ("CapsLock", 1),
];

/// Chords and how often people use them, with the modifier key each needs pressed.
const CHORD_WEIGHTS: &[(&str, &[&str], u32)] = &[
    ("Ctrl+KeyC", &["ControlLeft"], 25),
    ("Ctrl+KeyV", &["ControlLeft"], 24),
    ("Ctrl+KeyS", &["ControlLeft"], 12),
    ("Ctrl+KeyZ", &["ControlLeft"], 9),
    ("Alt+Tab", &["AltLeft"], 10),
    ("Ctrl+KeyF", &["ControlLeft"], 5),
    ("Ctrl+KeyT", &["ControlLeft"], 5),
    ("Ctrl+KeyW", &["ControlLeft"], 4),
    ("Ctrl+KeyA", &["ControlLeft"], 4),
    ("Ctrl+KeyX", &["ControlLeft"], 3),
    ("Ctrl+Shift+KeyT", &["ControlLeft", "ShiftLeft"], 2),
    ("Ctrl+Shift+KeyZ", &["ControlLeft", "ShiftLeft"], 1),
    ("Meta+KeyL", &["MetaLeft"], 1),
    ("Ctrl+Alt+KeyT", &["ControlLeft", "AltLeft"], 1),
];

/// Places on a 1920x1080 desktop where the pointer goes: (x, y, spread in px, weight).
const HOTSPOTS: &[(f64, f64, f64, u32)] = &[
    (960.0, 540.0, 320.0, 40), // content
    (400.0, 40.0, 260.0, 18),  // tabs
    (140.0, 500.0, 90.0, 14),  // sidebar
    (1700.0, 80.0, 120.0, 8),  // toolbar buttons
    (960.0, 1060.0, 500.0, 6), // taskbar
    (1600.0, 700.0, 200.0, 6), // dialogs and scrollbars
];

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T], weight: impl Fn(&T) -> u32) -> &'a T {
    let total: u32 = items.iter().map(&weight).sum();
    let mut roll = rng.gen_range(0..total.max(1));
    for item in items {
        let w = weight(item);
        if roll < w {
            return item;
        }
        roll -= w;
    }
    &items[0]
}

fn normal(rng: &mut StdRng, mean: f64, sd: f64) -> f64 {
    // Box-Muller: enough for synthetic data, and no extra dependency.
    let u1: f64 = rng.gen_range(f64::EPSILON..1.0);
    let u2: f64 = rng.gen_range(0.0..1.0);
    mean + sd * (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

fn synthetic_minute(
    rng: &mut StdRng,
    minute: i64,
    utc_offset: i16,
    hour: u32,
    wpm: f64,
    docked: bool,
) -> SyntheticMinute {
    let mut keys: BTreeMap<String, u32> = BTreeMap::new();
    let mut chords: BTreeMap<String, u32> = BTreeMap::new();
    // Mornings are for writing, afternoons have more browsing and meetings.
    let writing = rng.gen_bool(if hour < 12 { 0.7 } else { 0.5 });
    let presses = if writing { normal(rng, 170.0, 60.0) } else { normal(rng, 25.0, 15.0) }.clamp(0.0, 420.0) as u32;
    for _ in 0..presses {
        let (code, _) = pick(rng, KEY_WEIGHTS, |k| k.1);
        *keys.entry((*code).to_string()).or_default() += 1;
    }
    if rng.gen_bool(0.35) {
        for _ in 0..rng.gen_range(1..=3) {
            let (chord, modifiers, _) = pick(rng, CHORD_WEIGHTS, |c| c.2);
            *chords.entry((*chord).to_string()).or_default() += 1;
            let key = chord.rsplit('+').next().unwrap_or_default();
            *keys.entry(key.to_string()).or_default() += 1;
            for modifier in *modifiers {
                *keys.entry((*modifier).to_string()).or_default() += 1;
            }
        }
    }
    let typing = synthetic_typing(rng, &keys, wpm);

    let mouse_minute = !writing || rng.gen_bool(0.4);
    let left = if mouse_minute { normal(rng, 9.0, 5.0) } else { normal(rng, 1.5, 1.5) }.clamp(0.0, 40.0) as u32;
    let clicks = ButtonCounts {
        left,
        right: u32::from(rng.gen_bool(0.12)) + u32::from(left > 10 && rng.gen_bool(0.3)),
        middle: u32::from(rng.gen_bool(0.03)),
        other: u32::from(rng.gen_bool(0.02)),
    };
    let samples = if mouse_minute { rng.gen_range(60..260) } else { rng.gen_range(0..40) };
    // Docked, the pointer spends most minutes on the big monitor.
    let display = match docked {
        true if rng.gen_bool(0.7) => DOCKED[1],
        true => DOCKED[0],
        false => DisplayPlace::whole(SCREEN.0, SCREEN.1),
    };
    let (screen, travel) = synthetic_pointer(rng, display, clicks.total(), samples);
    let scroll = ScrollCounts {
        vertical: if mouse_minute { normal(rng, 14.0, 10.0).clamp(0.0, 80.0) as u32 } else { 0 },
        horizontal: u32::from(rng.gen_bool(0.03)) * rng.gen_range(1..6),
    };
    let busy = presses + clicks.total() as u32 * 3 + samples / 4;
    let record = ActivityMinute {
        minute,
        utc_offset,
        presses: 0,
        keys,
        chords,
        typing,
        clicks,
        screen,
        distance_px: travel.distance as u64,
        scroll,
        active_seconds: (busy / 4).clamp(3, 60),
    };
    SyntheticMinute { record, travel_x: travel.x as u64, travel_y: travel.y as u64 }
}

/// Timing for the text keys of a minute: about `wpm`, varying by the minute, faster in bursts.
fn synthetic_typing(rng: &mut StdRng, keys: &BTreeMap<String, u32>, wpm: f64) -> TypingStats {
    let text_keys: u32 = keys.iter().filter(|(k, _)| is_text_key(k)).map(|(_, n)| *n).sum();
    if text_keys < 2 {
        return TypingStats::default();
    }
    let bursts = (text_keys / 45).max(1);
    let text_typed = text_keys - bursts;
    let wpm = normal(rng, wpm, 7.0).clamp(20.0, 130.0);
    // A minute of many keys is typed faster: its gaps fit in the minute, as a person's do.
    let mean_gap = (12_000.0 / wpm).min(45_000.0 / f64::from(text_typed));
    let mut intervals = vec![0u32; INTERVAL_BUCKETS_MS.len()];
    let (mut typing_ms, mut typed_keys) = (0u32, 0u32);
    for _ in 0..text_typed {
        // Gaps are skewed: mostly quick, some pauses to think.
        let gap = (mean_gap * normal(rng, 0.0, 0.35).exp()).clamp(20.0, f64::from(BURST_GAP_MS)) as u32;
        // What does not fit in the minute is pressed but not typing, as the agent counts it.
        if typing_ms + gap > limits::MAX_TYPING_MS_PER_MINUTE {
            continue;
        }
        typing_ms += gap;
        typed_keys += 1;
        let bucket = INTERVAL_BUCKETS_MS.iter().position(|le| gap <= *le).unwrap_or(INTERVAL_BUCKETS_MS.len() - 1);
        intervals[bucket] += 1;
    }
    let best_burst = (typed_keys >= 20).then(|| {
        let burst_keys = typed_keys.min(rng.gen_range(20..80));
        let burst_wpm = wpm * rng.gen_range(1.05..1.35);
        Burst { typed_keys: burst_keys, typing_ms: (f64::from(burst_keys) * 12_000.0 / burst_wpm) as u32 }
    });
    TypingStats { typed_keys, typing_ms, bursts, best_burst, intervals }
}

/// How far the pointer went in a minute, in pixels: along its path, and across and down.
#[derive(Debug, Clone, Copy, Default)]
struct Travel {
    distance: f64,
    x: f64,
    y: f64,
}

/// Pointer samples wandering between hotspots on one display, binned on that display's grid;
/// returns the display's detail and the travel.
fn synthetic_pointer(
    rng: &mut StdRng,
    display: DisplayPlace,
    clicks: u64,
    samples: u32,
) -> (Option<ScreenActivity>, Travel) {
    if clicks == 0 && samples == 0 {
        return (None, Travel::default());
    }
    let (width, height) = (display.width, display.height);
    // The hotspots are laid out on a 1920x1080 screen: stretched to this display.
    let (sx, sy) = (f64::from(width) / f64::from(SCREEN.0), f64::from(height) / f64::from(SCREEN.1));
    let point = |rng: &mut StdRng| {
        let (x, y, spread, _) = pick(rng, HOTSPOTS, |h| h.3);
        let x = normal(rng, *x * sx, *spread * sx / 2.0).clamp(0.0, f64::from(width - 1));
        let y = normal(rng, *y * sy, *spread * sy / 3.0).clamp(0.0, f64::from(height - 1));
        (x, y)
    };
    let mut click_cells: BTreeMap<(u16, u16), u32> = BTreeMap::new();
    for _ in 0..clicks {
        let (x, y) = point(rng);
        *click_cells.entry(GridCount::cell_of(x, y, width, height)).or_default() += 1;
    }
    let mut move_cells: BTreeMap<(u16, u16), u32> = BTreeMap::new();
    let mut travel = Travel::default();
    let mut at = point(rng);
    let mut target = point(rng);
    for _ in 0..samples {
        if rng.gen_bool(0.08) {
            target = point(rng);
        }
        let step = (target.0 - at.0, target.1 - at.1);
        let next = (at.0 + step.0 * 0.3, at.1 + step.1 * 0.3);
        travel.distance += (next.0 - at.0).hypot(next.1 - at.1);
        travel.x += (next.0 - at.0).abs();
        travel.y += (next.1 - at.1).abs();
        at = next;
        *move_cells.entry(GridCount::cell_of(at.0, at.1, width, height)).or_default() += 1;
    }
    let cells = |map: BTreeMap<(u16, u16), u32>| map.into_iter().map(|((c, r), n)| GridCount(c, r, n)).collect();
    let screen = ScreenActivity { clicks: cells(click_cells), moves: cells(move_cells), ..ScreenActivity::at(display) };
    (Some(screen), travel)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_500_000; // 2026-11-25

    #[test]
    fn the_live_typist_grows_its_open_minute_and_closes_blocks_like_an_agent() {
        let device = Device { id: "demo-keyboard".into(), name: "Demo keyboard".into() };
        let mut typist = Typist::new("Europe/Berlin", 3).expect("typist");
        let start = NOW - NOW.rem_euclid(3600);
        let (mut blocks, mut last_presses, mut whole_minutes) = (Vec::new(), 0, 0);
        for now in (start..start + 2 * 3600 + 10).step_by(2) {
            let batch = typist.upload(&device, now);
            batch.validate(now).unwrap_or_else(|e| panic!("at {now}: {e}"));
            let open = batch.minutes.last().expect("the open minute");
            assert_eq!(open.minute, now - now.rem_euclid(60));
            assert!(open.keys.is_empty() && open.chords.is_empty() && open.screen.is_none(), "totals only");
            if batch.minutes.len() == 2 {
                assert!(batch.minutes[0].presses >= last_presses, "a finished minute holds what was sent of it");
                whole_minutes += 1;
            } else {
                assert!(open.presses >= last_presses, "counts only grow within a minute");
            }
            last_presses = open.presses;
            blocks.extend(batch.blocks);
        }
        assert_eq!(whole_minutes, 120);
        assert!(!blocks.is_empty(), "two busy hours close a block");
        assert!(blocks.iter().all(|b| b.presses() >= keytrack_wire::MIN_BLOCK_PRESSES && b.end <= start + 2 * 3600));
    }

    #[test]
    fn the_same_seed_gives_the_same_days_and_people_differ() {
        let first: Vec<SyntheticDay> = SyntheticPerson::new("Europe/Berlin", 7, NOW, 1).expect("person").collect();
        let again: Vec<SyntheticDay> = SyntheticPerson::new("Europe/Berlin", 7, NOW, 1).expect("person").collect();
        let other: Vec<SyntheticDay> = SyntheticPerson::new("Europe/Berlin", 7, NOW, 2).expect("person").collect();
        assert_eq!(first.len(), 7);
        assert_eq!(first, again);
        assert_ne!(first, other);
        assert!(first.iter().flat_map(|d| &d.minutes).all(|m| m.record.minute < NOW && m.record.minute % 60 == 0));
    }

    #[test]
    fn synthetic_minutes_pass_the_upload_rules() {
        let days: Vec<SyntheticDay> = SyntheticPerson::new("Asia/Tokyo", 14, NOW, 7).expect("person").collect();
        let presses: u64 = days.iter().flat_map(|d| &d.minutes).map(|m| m.record.total_presses()).sum();
        let in_blocks: u64 = days.iter().flat_map(|d| &d.blocks).map(HourBlock::presses).sum();
        assert!(in_blocks <= presses && in_blocks > presses * 9 / 10, "{in_blocks} of {presses} in blocks");
        let blocks = || days.iter().flat_map(|d| &d.blocks);
        let in_apps: u64 = blocks().flat_map(|b| &b.apps).map(|a| u64::from(a.keys)).sum();
        assert_eq!(in_apps, in_blocks, "every synthetic press is in an application");
        assert!(blocks().map(|b| b.excluded_seconds).sum::<u32>() > 0, "and some time is excluded");
        for day in days {
            assert!(day.minutes.iter().all(|m| m.record.keys.is_empty() && m.record.screen.is_none()));
            let minutes: Vec<ActivityMinute> = day.minutes.into_iter().map(|m| m.record).collect();
            for chunk in minutes.chunks(1_000) {
                let batch = keytrack_wire::ActivityBatch::new(
                    keytrack_wire::Device { id: "test".into(), name: "test".into() },
                    chunk.to_vec(),
                    day.blocks.clone(),
                );
                batch.validate(NOW).expect("valid");
            }
        }
    }
}
