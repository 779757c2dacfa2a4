//! `keytrack demo`: a demo account with 90 days of realistic synthetic activity, stored through
//! the same [`ingest::store_batch`] path as real uploads.
//!
//! The rhythm: weekday work hours with a lunch break, some evenings, lighter weekends. Keys follow
//! English letter frequencies plus the keys around them; chords are the ones people really use;
//! clicks and movement gather where a desktop's tab bars, sidebars and content are.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate, Offset, TimeZone, Timelike, Weekday};
use chrono_tz::Tz;
use keytrack_wire::{
    ActivityBatch, ActivityMinute, BURST_GAP_MS, Burst, ButtonCounts, Device, GridCount, INTERVAL_BUCKETS_MS,
    ScreenActivity, ScrollCounts, TeamRole, TypingStats,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::SqlitePool;

use super::error::AppError;
use super::{auth, db, ingest};

pub const DEMO_EMAIL: &str = "demo@keytrack.local";
pub const DEMO_PASSWORD: &str = "keytrack-demo";
pub const DEMO_TIMEZONE: &str = "Europe/Berlin";
const DAYS: i64 = 90;
const SCREEN: (u32, u32) = (1920, 1080);

/// The demo user's teammates in the demo team: (email, name, time zone). They cannot log in (their
/// password is random and never shown); they are there so the team dashboard has a team to show.
const TEAMMATES: [(&str, &str, &str); 4] = [
    ("grace@keytrack.local", "Grace", "America/New_York"),
    ("linus@keytrack.local", "Linus", "Europe/Helsinki"),
    ("margaret@keytrack.local", "Margaret", "Europe/London"),
    ("alan@keytrack.local", "Alan", "Asia/Tokyo"),
];
const TEAMMATE_DAYS: i64 = 30;
pub const DEMO_TEAM: &str = "Demo team";

/// What `demo` did.
pub struct DemoSummary {
    pub user_id: i64,
    pub minutes: usize,
    pub team_id: i64,
}

/// A demo account with no activity: created, or found and emptied.
async fn empty_account(
    pool: &SqlitePool,
    email: &str,
    password: &str,
    name: &str,
    timezone: &str,
    day_start_hour: u8,
    now: i64,
) -> Result<i64, AppError> {
    let user_id = match db::users::by_email(pool, email).await? {
        Some(user) => {
            let mut tx = db::begin_write(pool).await?;
            db::activity::delete_all_activity(&mut tx, user.id).await?;
            tx.commit().await?;
            user.id
        }
        None => {
            let hash = auth::hash_password(password.to_string()).await?;
            db::users::insert(pool, email, &hash, name, timezone, now)
                .await?
                .ok_or_else(|| AppError::internal("a demo user appeared while it was being created"))?
        }
    };
    db::users::update_profile(pool, user_id, name, timezone, day_start_hour).await?;
    Ok(user_id)
}

/// Creates the demo user (or reuses it, clearing its activity) and fills the last 90 days up to
/// `now`; then the demo team, with four teammates' last 30 days. The same seed gives the same
/// activity for the same `now`.
pub async fn create_demo(pool: &SqlitePool, now: i64, seed: u64) -> Result<DemoSummary, AppError> {
    let user_id = empty_account(pool, DEMO_EMAIL, DEMO_PASSWORD, "Demo User", DEMO_TIMEZONE, 4, now).await?;
    let minutes = fill_activity(pool, user_id, DEMO_TIMEZONE, DAYS, now, seed).await?;

    let mut teammates = Vec::new();
    for (i, (email, name, timezone)) in TEAMMATES.into_iter().enumerate() {
        let (password, _) = auth::new_secret("");
        let id = empty_account(pool, email, &password, name, timezone, 0, now).await?;
        fill_activity(pool, id, timezone, TEAMMATE_DAYS, now, seed + 1 + i as u64).await?;
        teammates.push(id);
    }
    // A fresh demo team each time, everyone sharing their figures.
    let mut tx = db::begin_write(pool).await?;
    db::teams::delete_owned_named(&mut tx, user_id, DEMO_TEAM).await?;
    let team_id = db::teams::insert(&mut tx, DEMO_TEAM, now).await?;
    db::teams::add_member(&mut tx, team_id, user_id, TeamRole::Owner.key(), true, now).await?;
    for (id, role) in teammates.into_iter().zip([TeamRole::Admin, TeamRole::Member, TeamRole::Member, TeamRole::Member])
    {
        db::teams::add_member(&mut tx, team_id, id, role.key(), true, now).await?;
    }
    tx.commit().await?;
    Ok(DemoSummary { user_id, minutes, team_id })
}

/// Stores `days` days of synthetic activity up to `now` for the user (the demo's, the teammates'
/// and the benchmark's), one upload per day from one laptop. Returns the number of minute records.
pub async fn fill_activity(
    pool: &SqlitePool,
    user_id: i64,
    timezone: &str,
    days: i64,
    now: i64,
    seed: u64,
) -> Result<usize, AppError> {
    let tz: Tz = timezone.parse().map_err(AppError::internal)?;
    let mut rng = StdRng::seed_from_u64(seed);
    let today = tz.timestamp_opt(now, 0).single().map(|t| t.date_naive()).unwrap_or_default();
    let mut minutes = 0;
    for back in (0..days).rev() {
        let day = today - Duration::days(back);
        let records = demo_day(&mut rng, tz, day, now);
        if records.is_empty() {
            continue;
        }
        minutes += records.len();
        let batch =
            ActivityBatch { device: Device { id: "demo-laptop".into(), name: "Demo laptop".into() }, minutes: records };
        ingest::store_batch(pool, user_id, &batch, now).await?;
    }
    Ok(minutes)
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

fn demo_day(rng: &mut StdRng, tz: Tz, day: NaiveDate, now: i64) -> Vec<ActivityMinute> {
    // Some days off, and some days busier than others.
    if rng.gen_bool(0.06) {
        return Vec::new();
    }
    let mood: f64 = rng.gen_range(0.65..1.15);
    let mut records = Vec::new();
    for hour in 0..24u32 {
        let chance = hour_activity(day.weekday(), hour) * mood;
        if chance <= 0.0 {
            continue;
        }
        for minute in 0..60u32 {
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
            records.push(demo_minute(rng, unix, offset as i16, at.hour()));
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

/// Keys that type text, for typing speed (the others are navigation and modifiers).
fn is_text_key(code: &str) -> bool {
    code.starts_with("Key")
        || code.starts_with("Digit")
        || matches!(
            code,
            "Space"
                | "Enter"
                | "Comma"
                | "Period"
                | "Quote"
                | "Semicolon"
                | "Slash"
                | "Minus"
                | "BracketLeft"
                | "BracketRight"
                | "Equal"
                | "Tab"
        )
}

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

fn demo_minute(rng: &mut StdRng, minute: i64, utc_offset: i16, hour: u32) -> ActivityMinute {
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
    let typing = demo_typing(rng, &keys);

    let mouse_minute = !writing || rng.gen_bool(0.4);
    let left = if mouse_minute { normal(rng, 9.0, 5.0) } else { normal(rng, 1.5, 1.5) }.clamp(0.0, 40.0) as u32;
    let clicks = ButtonCounts {
        left,
        right: u32::from(rng.gen_bool(0.12)) + u32::from(left > 10 && rng.gen_bool(0.3)),
        middle: u32::from(rng.gen_bool(0.03)),
        other: u32::from(rng.gen_bool(0.02)),
    };
    let samples = if mouse_minute { rng.gen_range(60..260) } else { rng.gen_range(0..40) };
    let (screen, distance_px) = demo_pointer(rng, clicks.total(), samples);
    let scroll = ScrollCounts {
        vertical: if mouse_minute { normal(rng, 14.0, 10.0).clamp(0.0, 80.0) as u32 } else { 0 },
        horizontal: u32::from(rng.gen_bool(0.03)) * rng.gen_range(1..6),
    };
    let busy = presses + clicks.total() as u32 * 3 + samples / 4;
    ActivityMinute {
        minute,
        utc_offset,
        keys,
        chords,
        typing,
        clicks,
        screen,
        distance_px,
        scroll,
        active_seconds: (busy / 4).clamp(3, 60),
    }
}

/// Timing for the text keys of a minute: this person types about 62 WPM, faster in bursts.
fn demo_typing(rng: &mut StdRng, keys: &BTreeMap<String, u32>) -> TypingStats {
    let text_keys: u32 = keys.iter().filter(|(k, _)| is_text_key(k)).map(|(_, n)| *n).sum();
    if text_keys < 2 {
        return TypingStats::default();
    }
    let bursts = (text_keys / 45).max(1);
    let typed_keys = text_keys - bursts;
    let wpm = normal(rng, 62.0, 9.0).clamp(25.0, 120.0);
    let mean_gap = 12_000.0 / wpm;
    let mut intervals = vec![0u32; INTERVAL_BUCKETS_MS.len()];
    let mut typing_ms = 0u32;
    for _ in 0..typed_keys {
        // Gaps are skewed: mostly quick, some pauses to think.
        let gap = (mean_gap * normal(rng, 0.0, 0.35).exp()).clamp(20.0, f64::from(BURST_GAP_MS)) as u32;
        typing_ms += gap;
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

/// Pointer samples wandering between hotspots, binned; returns the screen and the distance.
fn demo_pointer(rng: &mut StdRng, clicks: u64, samples: u32) -> (Option<ScreenActivity>, u64) {
    if clicks == 0 && samples == 0 {
        return (None, 0);
    }
    let (width, height) = SCREEN;
    let point = |rng: &mut StdRng| {
        let (x, y, spread, _) = pick(rng, HOTSPOTS, |h| h.3);
        let x = normal(rng, *x, *spread / 2.0).clamp(0.0, f64::from(width - 1));
        let y = normal(rng, *y, *spread / 3.0).clamp(0.0, f64::from(height - 1));
        (x, y)
    };
    let mut click_cells: BTreeMap<(u16, u16), u32> = BTreeMap::new();
    for _ in 0..clicks {
        let (x, y) = point(rng);
        *click_cells.entry(GridCount::cell_of(x, y, width, height)).or_default() += 1;
    }
    let mut move_cells: BTreeMap<(u16, u16), u32> = BTreeMap::new();
    let mut distance = 0.0;
    let mut at = point(rng);
    let mut target = point(rng);
    for _ in 0..samples {
        if rng.gen_bool(0.08) {
            target = point(rng);
        }
        let step = (target.0 - at.0, target.1 - at.1);
        let next = (at.0 + step.0 * 0.3, at.1 + step.1 * 0.3);
        distance += (next.0 - at.0).hypot(next.1 - at.1);
        at = next;
        *move_cells.entry(GridCount::cell_of(at.0, at.1, width, height)).or_default() += 1;
    }
    let cells = |map: BTreeMap<(u16, u16), u32>| map.into_iter().map(|((c, r), n)| GridCount(c, r, n)).collect();
    let screen = ScreenActivity { width, height, clicks: cells(click_cells), moves: cells(move_cells) };
    (Some(screen), distance as u64)
}
