//! Adding the user's days up into [`ActivityStats`].
//!
//! ```text
//! minute records --(DayTotals::apply, on ingest)--> one DayTotals per user day (stored)
//! DayTotals of the range's days --(StatsTotals::add_day)--> StatsTotals --finish--> ActivityStats
//! ```

use std::collections::BTreeMap;

use keytrack_wire::{
    ActivityStats, AppTrend, ComboTrend, DailyActivity, INTERVAL_BUCKETS_MS, IntervalCount, is_correction_key,
    is_text_key, words_per_minute,
};

use super::breaks::day_breaks;
use super::ergonomics::Ergonomics;
use super::rollup::DayTotals;

/// Where a minute falls in the user's week (see `domain::time::UserClock::slot`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeekSlot {
    /// 0 = Monday.
    pub weekday: usize,
    pub hour: usize,
}

/// Running sums over days.
#[derive(Debug, Default)]
pub struct StatsTotals {
    day: DayTotals,
    by_weekday: [i64; 7],
    by_weekday_hour: [[i64; 24]; 7],
    daily: Vec<DailyActivity>,
    /// Each day's chord counts, for the trends of the top chords.
    daily_chords: Vec<BTreeMap<String, i64>>,
    /// Each day's application counts, for the applications' trends.
    daily_apps: Vec<BTreeMap<String, [i64; 3]>>,
}

/// Adds counts into a sum, allocating a name only for a name the sum does not have yet (a year is
/// 365 days of about a hundred keys each).
fn add_counts(sum: &mut BTreeMap<String, i64>, counts: &BTreeMap<String, i64>) {
    for (name, n) in counts {
        match sum.get_mut(name) {
            Some(total) => *total += n,
            None => {
                sum.insert(name.clone(), *n);
            }
        }
    }
}

/// How many chords get a trend.
const TRENDED_CHORDS: usize = 8;
/// How many applications the figures name.
const SHOWN_APPS: usize = 12;

impl StatsTotals {
    pub fn new() -> StatsTotals {
        StatsTotals::default()
    }

    /// Adds one day, named `date` (`YYYY-MM-DD`); `weekday` is its weekday (0 = Monday). Days
    /// come in order, days without activity included (as empty totals).
    pub fn add_day(&mut self, date: &str, day: DayTotals, weekday: usize) {
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        let key_counts = || day.key_counts().map(|(code, n)| (code, count(n)));
        self.daily.push(DailyActivity {
            day: date.to_string(),
            keys: count(day.presses()),
            clicks: count(day.clicks.iter().sum()),
            active_minutes: count(day.active_minutes),
            wpm: words_per_minute(count(day.typed_keys), count(day.typing_ms)),
            corrections_per_100: corrections_per_100(key_counts()),
            burst_keys: burst_keys(day.typed_keys, day.bursts),
            ergonomics: Ergonomics::of_key_vector(&day.keys).day(&day.pair_totals()),
            breaks: day_breaks(&day.active),
        });
        let sum = &mut self.day;
        let add_all = |into: &mut Vec<i64>, from: &[i64]| {
            into.resize(into.len().max(from.len()), 0);
            for (a, b) in into.iter_mut().zip(from) {
                *a += b;
            }
        };
        add_all(&mut sum.keys, &day.keys);
        add_counts(&mut sum.chords, &day.chords);
        add_all(&mut sum.keys_by_hour, &day.keys_by_hour);
        add_all(&mut sum.minutes_by_hour, &day.minutes_by_hour);
        add_all(&mut sum.typed_by_hour, &day.typed_by_hour);
        add_all(&mut sum.pairs, &day.pairs);
        add_all(&mut sum.typing_ms_by_hour, &day.typing_ms_by_hour);
        add_all(&mut sum.intervals, &day.intervals);
        for (a, b) in sum.clicks.iter_mut().zip(day.clicks) {
            *a += b;
        }
        sum.typed_keys += day.typed_keys;
        sum.typing_ms += day.typing_ms;
        sum.bursts += day.bursts;
        for (tenths, n) in &day.best_bursts {
            *sum.best_bursts.entry(*tenths).or_default() += n;
        }
        sum.distance_px += day.distance_px;
        sum.scroll_vertical += day.scroll_vertical;
        sum.scroll_horizontal += day.scroll_horizontal;
        sum.active_minutes += day.active_minutes;
        sum.active_seconds += day.active_seconds;
        if let Some(w) = self.by_weekday.get_mut(weekday) {
            *w += day.presses();
        }
        if let Some(row) = self.by_weekday_hour.get_mut(weekday) {
            for (slot, n) in row.iter_mut().zip(&day.keys_by_hour) {
                *slot += n;
            }
        }
        for (name, counts) in &day.apps {
            let total = sum.apps.entry(name.clone()).or_default();
            for (t, n) in total.iter_mut().zip(counts) {
                *t += n;
            }
        }
        sum.excluded_seconds += day.excluded_seconds;
        self.daily_chords.push(day.chords);
        self.daily_apps.push(day.apps);
    }

    /// Every application's key presses, clicks and active seconds over the days added, most
    /// active time first (the figures name only the most used: [`ActivityStats::applications`]).
    pub fn app_totals(&self) -> Vec<(String, [u64; 3])> {
        let mut apps: Vec<(String, [u64; 3])> = self
            .day
            .apps
            .iter()
            .map(|(name, counts)| (name.clone(), counts.map(|n| u64::try_from(n).unwrap_or(0))))
            .filter(|(_, counts)| counts.iter().any(|n| *n > 0))
            .collect();
        apps.sort_by(|a, b| (b.1[2], b.1[0], &a.0).cmp(&(a.1[2], a.1[0], &b.0)));
        apps
    }

    /// The finished figures; range and time zone fields are left for the caller.
    pub fn finish(self) -> ActivityStats {
        let apps = self.app_totals();
        let day = self.day;
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        let mut hours = day.keys_by_hour.clone();
        hours.resize(24, 0);
        let mut intervals = day.intervals.clone();
        intervals.resize(INTERVAL_BUCKETS_MS.len(), 0);
        let keys: std::collections::BTreeMap<String, u64> =
            day.key_counts().filter(|(_, n)| *n > 0).map(|(k, n)| (k.to_string(), count(n))).collect();
        let typed_keys = count(day.typed_keys);
        let typing_ms = count(day.typing_ms);
        let corrections = corrections_per_100(keys.iter().map(|(k, n)| (k.as_str(), *n)));
        let mut typed_by_hour = day.typed_by_hour.clone();
        let mut typing_ms_by_hour = day.typing_ms_by_hour.clone();
        typed_by_hour.resize(24, 0);
        typing_ms_by_hour.resize(24, 0);
        ActivityStats {
            total_keys: count(day.presses()),
            keys,
            combos: day.chords.iter().filter(|(_, n)| **n > 0).map(|(k, n)| (k.clone(), count(*n))).collect(),
            total_clicks: day.clicks.iter().map(|n| count(*n)).sum(),
            clicks_by_button: keytrack_wire::ButtonTotals {
                left: count(day.clicks[0]),
                right: count(day.clicks[1]),
                middle: count(day.clicks[2]),
                other: count(day.clicks[3]),
            },
            by_weekday: self.by_weekday.iter().map(|n| count(*n)).collect(),
            by_hour: hours.iter().map(|n| count(*n)).collect(),
            by_weekday_hour: self.by_weekday_hour.iter().map(|row| row.iter().map(|n| count(*n)).collect()).collect(),
            typing: keytrack_wire::TypingSummary {
                wpm: words_per_minute(typed_keys, typing_ms),
                typed_keys,
                typing_seconds: typing_ms as f64 / 1000.0,
                bursts: count(day.bursts),
                best_burst_wpm: day
                    .best_bursts
                    .iter()
                    .rev()
                    .find(|(_, n)| **n > 0)
                    .map_or(0.0, |(tenths, _)| f64::from(*tenths) / 10.0),
                intervals: INTERVAL_BUCKETS_MS
                    .iter()
                    .zip(intervals)
                    .map(|(le_ms, n)| IntervalCount { le_ms: *le_ms, count: count(n) })
                    .collect(),
            },
            mouse: keytrack_wire::MouseSummary {
                distance_px: count(day.distance_px),
                scroll_vertical: count(day.scroll_vertical),
                scroll_horizontal: count(day.scroll_horizontal),
            },
            active_minutes: count(day.active_minutes),
            active_seconds: count(day.active_seconds),
            daily: self.daily,
            combo_trends: {
                let mut top: Vec<(&String, &i64)> = day.chords.iter().filter(|(_, n)| **n > 0).collect();
                top.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
                top.into_iter()
                    .take(TRENDED_CHORDS)
                    .map(|(chord, _)| ComboTrend {
                        chord: chord.clone(),
                        daily: self.daily_chords.iter().map(|d| count(d.get(chord).copied().unwrap_or(0))).collect(),
                    })
                    .collect()
            },
            corrections_per_100: corrections,
            wpm_by_hour: typed_by_hour
                .iter()
                .zip(&typing_ms_by_hour)
                .map(|(keys, ms)| words_per_minute(count(*keys), count(*ms)))
                .collect(),
            burst_keys: burst_keys(day.typed_keys, day.bursts),
            key_pairs: day.pair_totals(),
            applications: apps
                .into_iter()
                .take(SHOWN_APPS)
                .map(|(name, [keys, clicks, active_seconds])| AppTrend {
                    daily: self.daily_apps.iter().map(|d| count(d.get(&name).map_or(0, |n| n[2]))).collect(),
                    name,
                    keys,
                    clicks,
                    active_seconds,
                })
                .collect(),
            excluded_seconds: count(day.excluded_seconds),
            ..ActivityStats::default()
        }
    }
}

/// Backspace and Delete presses per 100 text keys (0 without text keys).
pub fn corrections_per_100<'a>(keys: impl IntoIterator<Item = (&'a str, u64)>) -> f64 {
    let (mut text, mut corrections) = (0u64, 0u64);
    for (code, n) in keys {
        if is_text_key(code) {
            text += n;
        } else if is_correction_key(code) {
            corrections += n;
        }
    }
    if text == 0 { 0.0 } else { 100.0 * corrections as f64 / text as f64 }
}

/// Typed keys per typing burst (0 without bursts).
fn burst_keys(typed_keys: i64, bursts: i64) -> f64 {
    if bursts <= 0 { 0.0 } else { typed_keys as f64 / bursts as f64 }
}

/// The day with the most key presses (the first of equals); `None` when no day had any.
pub fn busiest_day(daily: &[DailyActivity]) -> Option<&DailyActivity> {
    daily.iter().filter(|d| d.keys > 0).fold(None, |best: Option<&DailyActivity>, d| match best {
        Some(b) if b.keys >= d.keys => Some(b),
        _ => Some(d),
    })
}

/// The clock hour with the most key presses; `None` when there were none.
pub fn busiest_hour(by_hour: &[u64]) -> Option<usize> {
    let max = *by_hour.iter().max()?;
    (max > 0).then(|| by_hour.iter().position(|n| *n == max)).flatten()
}

/// Typing rhythm consistency: the share (0-100) of typed keys whose gap before them fell in the
/// most common gap bucket or the buckets on either side of it. 0 without typing.
pub fn rhythm_consistency(intervals: &[IntervalCount]) -> f64 {
    let total: u64 = intervals.iter().map(|b| b.count).sum();
    let Some(peak) = intervals.iter().enumerate().max_by_key(|(i, b)| (b.count, std::cmp::Reverse(*i))).map(|(i, _)| i)
    else {
        return 0.0;
    };
    if total == 0 {
        return 0.0;
    }
    let near: u64 = intervals[peak.saturating_sub(1)..(peak + 2).min(intervals.len())].iter().map(|b| b.count).sum();
    100.0 * near as f64 / total as f64
}

/// How much `now` differs from `before`, in percent; `None` without a base to compare with.
pub fn change_percent(now: f64, before: f64) -> Option<f64> {
    (before > 0.0).then(|| 100.0 * (now - before) / before)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rollup::presence;
    use keytrack_wire::{ActivityMinute, Burst, ButtonCounts, ScrollCounts, TypingStats};

    /// A day made of records, each in its own minute, at the given hours: their totals as minute
    /// records, their key detail as blocks.
    fn day(records: &[(&ActivityMinute, usize)]) -> DayTotals {
        let mut day = DayTotals::default();
        for (record, hour) in records {
            let mut totals = (*record).clone();
            let detail = totals.take_detail();
            day.apply(&totals, *hour, 1);
            day.apply_block(&detail, 1);
            day.apply_presence(
                *hour,
                *hour * 60 + (record.minute / 60 % 60) as usize,
                presence([]),
                presence([record.active_seconds]),
            );
        }
        day
    }

    /// A record with key detail, split by `day` into totals and a block.
    fn record(minute: i64, keys: &[(&str, u32)], active_seconds: u32) -> ActivityMinute {
        ActivityMinute {
            minute,
            keys: keys.iter().map(|(k, n)| (k.to_string(), *n)).collect(),
            active_seconds,
            ..Default::default()
        }
    }

    #[test]
    fn sums_keys_chords_buttons_and_slots() {
        let mut totals = StatsTotals::new();
        let mut first = record(60, &[("KeyA", 3), ("ControlLeft", 1), ("KeyC", 1)], 20);
        first.chords.insert("Ctrl+KeyC".into(), 1);
        first.clicks = ButtonCounts { left: 2, right: 1, middle: 0, other: 1 };
        first.scroll = ScrollCounts { vertical: 4, horizontal: 1 };
        first.distance_px = 500;
        totals.add_day("2026-11-23", day(&[(&first, 9)]), 0);
        totals.add_day("2026-11-24", DayTotals::default(), 1);
        totals.add_day("2026-11-29", day(&[(&record(120, &[("KeyA", 2)], 10), 23)]), 6);
        let stats = totals.finish();
        assert_eq!(stats.total_keys, 7);
        assert_eq!(stats.keys.get("KeyA"), Some(&5));
        assert_eq!(stats.keys.values().sum::<u64>(), 7);
        assert_eq!(stats.combos.get("Ctrl+KeyC"), Some(&1));
        assert_eq!(stats.total_clicks, 4);
        assert_eq!((stats.clicks_by_button.left, stats.clicks_by_button.other), (2, 1));
        assert_eq!(stats.by_weekday, vec![5, 0, 0, 0, 0, 0, 2]);
        assert_eq!(stats.by_hour[9], 5);
        assert_eq!(stats.by_hour[23], 2);
        assert_eq!((stats.by_weekday_hour[0][9], stats.by_weekday_hour[6][23], stats.by_weekday_hour[6][9]), (5, 2, 0));
        assert_eq!((stats.mouse.distance_px, stats.mouse.scroll_vertical, stats.mouse.scroll_horizontal), (500, 4, 1));
        assert_eq!((stats.active_minutes, stats.active_seconds), (2, 30));
        let daily: Vec<(&str, u64, u64)> = stats.daily.iter().map(|d| (d.day.as_str(), d.keys, d.clicks)).collect();
        assert_eq!(daily, vec![("2026-11-23", 5, 4), ("2026-11-24", 0, 0), ("2026-11-29", 2, 0)]);
    }

    #[test]
    fn two_devices_in_one_minute_make_one_active_minute() {
        let mut totals = StatsTotals::new();
        let mut wednesday = DayTotals::default();
        // Device 1 at minute 60 (40 s), device 2 at the same minute (50 s), device 2 at 180 (5 s).
        wednesday.apply(&record(60, &[("KeyA", 1)], 40), 10, 1);
        wednesday.apply_presence(10, 601, presence([]), presence([40]));
        wednesday.apply(&record(60, &[("KeyB", 1)], 50), 10, 1);
        wednesday.apply_presence(10, 601, presence([40]), presence([40, 50]));
        wednesday.apply(&record(180, &[("KeyB", 1)], 5), 10, 1);
        wednesday.apply_presence(10, 603, presence([]), presence([5]));
        totals.add_day("2026-11-25", wednesday, 2);
        let stats = totals.finish();
        assert_eq!((stats.active_minutes, stats.active_seconds, stats.total_keys), (2, 55, 3));
    }

    #[test]
    fn wpm_comes_from_all_typing_time_and_the_best_burst_from_its_own() {
        let mut totals = StatsTotals::new();
        let mut a = record(60, &[("KeyA", 100)], 60);
        a.typing = TypingStats {
            typed_keys: 100,
            typing_ms: 20_000,
            bursts: 2,
            best_burst: Some(Burst { typed_keys: 50, typing_ms: 5_000 }),
            intervals: vec![0, 0, 0, 0, 0, 100, 0, 0, 0, 0, 0, 0],
        };
        let mut b = record(120, &[("KeyA", 50)], 60);
        b.typing = TypingStats { typed_keys: 50, typing_ms: 10_000, bursts: 1, best_burst: None, intervals: vec![] };
        totals.add_day("2026-11-23", day(&[(&a, 0), (&b, 0)]), 0);
        let stats = totals.finish();
        // 150 keys = 30 words in 30 s: 60 WPM. Best burst: 10 words in 5 s: 120 WPM.
        assert!((stats.typing.wpm - 60.0).abs() < 1e-9);
        assert!((stats.typing.best_burst_wpm - 120.0).abs() < 1e-9);
        assert_eq!(stats.typing.bursts, 3);
        assert!((stats.typing.typing_seconds - 30.0).abs() < 1e-9);
        assert_eq!(stats.typing.intervals[5], IntervalCount { le_ms: 200, count: 100 });
        assert_eq!(stats.typing.intervals.len(), INTERVAL_BUCKETS_MS.len());
    }

    #[test]
    fn corrections_count_per_100_text_keys() {
        let mut totals = StatsTotals::new();
        let typing =
            record(60, &[("KeyA", 150), ("Space", 50), ("Backspace", 9), ("Delete", 1), ("ShiftLeft", 20)], 60);
        totals.add_day("2026-11-23", day(&[(&typing, 10)]), 0);
        // 10 corrections for 200 text keys (Shift is not text).
        assert!((totals.finish().corrections_per_100 - 5.0).abs() < 1e-9);
    }

    #[test]
    fn each_day_carries_its_corrections_bursts_ergonomics_and_breaks() {
        let mut totals = StatsTotals::new();
        // 09:00 and 09:10 (a 9-minute break between), 90 A, 10 Backspace, 100 typed in 4 bursts.
        let mut first = record(9 * 3600, &[("KeyA", 90), ("Backspace", 10)], 30);
        first.typing = TypingStats { typed_keys: 100, typing_ms: 30_000, bursts: 4, ..Default::default() };
        let second = record(9 * 3600 + 600, &[], 10);
        totals.add_day("2026-11-23", day(&[(&first, 9), (&second, 9)]), 0);
        totals.add_day("2026-11-24", DayTotals::default(), 1);
        let stats = totals.finish();
        let monday = &stats.daily[0];
        assert!((monday.corrections_per_100 - 100.0 * 10.0 / 90.0).abs() < 1e-9);
        assert!((monday.burst_keys - 25.0).abs() < 1e-9);
        // 90 A (left little, home) and 10 Backspace (right little, number row).
        assert_eq!(monday.ergonomics.keys, 100);
        assert!((monday.ergonomics.left_hand_share - 90.0).abs() < 1e-9);
        assert!((monday.ergonomics.home_row_share - 90.0).abs() < 1e-9);
        assert!((monday.ergonomics.little_finger_share - 100.0).abs() < 1e-9);
        assert_eq!((monday.breaks.work_periods, monday.breaks.breaks_5, monday.breaks.breaks_10), (2, 1, 0));
        assert_eq!((monday.breaks.longest_stretch_minutes, monday.breaks.strain.as_str()), (1, "low"));
        assert_eq!(stats.daily[1].breaks.work_periods, 0);
        // 100 keys = 20 words in 30 s at 09:00: 40 WPM, and nothing in the other hours.
        assert!((stats.wpm_by_hour[9] - 40.0).abs() < 1e-9);
        assert_eq!(stats.wpm_by_hour.iter().filter(|w| **w > 0.0).count(), 1);
        assert!((stats.burst_keys - 25.0).abs() < 1e-9);
    }

    #[test]
    fn applications_add_up_over_days_most_active_first_with_their_days() {
        let with = |apps: &[(&str, [u32; 3])], excluded: u32| {
            let mut block = keytrack_wire::HourBlock::for_hour(0);
            for (name, [keys, clicks, active_seconds]) in apps {
                block.add_app(&keytrack_wire::AppUsage {
                    name: name.to_string(),
                    keys: *keys,
                    clicks: *clicks,
                    active_seconds: *active_seconds,
                });
            }
            block.excluded_seconds = excluded;
            let mut day = DayTotals::default();
            day.apply_block(&block, 1);
            day
        };
        let mut totals = StatsTotals::new();
        totals.add_day("2026-11-23", with(&[("xterm", [100, 2, 600]), ("code", [50, 9, 300])], 30), 0);
        totals.add_day("2026-11-24", DayTotals::default(), 1);
        totals.add_day("2026-11-25", with(&[("code", [400, 1, 900])], 0), 2);
        let stats = totals.finish();
        let shown: Vec<(&str, u64, u64, u64, &[u64])> = stats
            .applications
            .iter()
            .map(|a| (a.name.as_str(), a.keys, a.clicks, a.active_seconds, a.daily.as_slice()))
            .collect();
        assert_eq!(shown, vec![("code", 450, 10, 1200, &[300, 0, 900][..]), ("xterm", 100, 2, 600, &[600, 0, 0][..])]);
        assert_eq!(stats.excluded_seconds, 30);
        // A block replaced by a copy without the application takes it away again.
        let mut day = with(&[("xterm", [1, 1, 1])], 0);
        let mut block = keytrack_wire::HourBlock::for_hour(0);
        block.add_app(&keytrack_wire::AppUsage { name: "xterm".into(), keys: 1, clicks: 1, active_seconds: 1 });
        day.apply_block(&block, -1);
        assert!(day.apps.is_empty());
    }

    #[test]
    fn top_chords_get_a_count_per_day() {
        let mut totals = StatsTotals::new();
        let with = |chords: &[(&str, u32)]| {
            let mut r = record(60, &[("KeyC", 20), ("KeyV", 20), ("ControlLeft", 20)], 10);
            r.chords = chords.iter().map(|(c, n)| (c.to_string(), *n)).collect();
            day(&[(&r, 9)])
        };
        totals.add_day("2026-11-23", with(&[("Ctrl+KeyC", 3), ("Ctrl+KeyV", 1)]), 0);
        totals.add_day("2026-11-24", DayTotals::default(), 1);
        totals.add_day("2026-11-25", with(&[("Ctrl+KeyV", 5)]), 2);
        let trends = totals.finish().combo_trends;
        assert_eq!(trends.len(), 2);
        assert_eq!((trends[0].chord.as_str(), trends[0].daily.clone()), ("Ctrl+KeyV", vec![1, 0, 5]));
        assert_eq!((trends[1].chord.as_str(), trends[1].daily.clone()), ("Ctrl+KeyC", vec![3, 0, 0]));
    }

    #[test]
    fn consistency_is_the_share_around_the_most_common_gap() {
        let buckets = |counts: &[u64]| -> Vec<IntervalCount> {
            counts.iter().enumerate().map(|(i, n)| IntervalCount { le_ms: INTERVAL_BUCKETS_MS[i], count: *n }).collect()
        };
        // Peak in bucket 5 (60), neighbours 10 + 10, the rest 20: 80 of 100.
        assert!((rhythm_consistency(&buckets(&[0, 0, 0, 10, 10, 60, 10, 0, 0, 0, 0, 10])) - 80.0).abs() < 1e-9);
        assert_eq!(rhythm_consistency(&buckets(&[0; 12])), 0.0);
        assert_eq!(rhythm_consistency(&[]), 0.0);
    }

    #[test]
    fn busiest_day_and_hour_and_changes() {
        let d = |day: &str, keys| DailyActivity { day: day.into(), keys, ..Default::default() };
        let daily = vec![d("2026-11-22", 5), d("2026-11-23", 9), d("2026-11-24", 9)];
        assert_eq!(busiest_day(&daily).map(|d| d.day.as_str()), Some("2026-11-23"));
        assert_eq!(busiest_day(&[d("2026-11-22", 0)]), None);
        let mut hours = vec![0; 24];
        hours[14] = 7;
        hours[9] = 7;
        assert_eq!(busiest_hour(&hours), Some(9));
        assert_eq!(busiest_hour(&[0; 24]), None);
        assert_eq!(change_percent(150.0, 100.0), Some(50.0));
        assert_eq!(change_percent(5.0, 0.0), None);
    }

    #[test]
    fn no_records_give_zeros_of_the_right_shape() {
        let stats = StatsTotals::new().finish();
        assert_eq!(stats.by_weekday.len(), 7);
        assert_eq!(stats.by_hour.len(), 24);
        assert_eq!((stats.total_keys, stats.active_minutes), (0, 0));
        assert_eq!(stats.typing.wpm, 0.0);
    }
}
