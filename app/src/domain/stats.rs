//! Adding minute records up into [`ActivityStats`].
//!
//! ```text
//! (record, slot) (record, slot) ...   -- in minute order, any number of devices
//!        |
//!   StatsTotals::add                   -- sums per key, chord, button, weekday, hour...
//!        |
//!   StatsTotals::finish -> ActivityStats  (WPM and active time derived at the end)
//! ```

use keytrack_wire::{ActivityMinute, ActivityStats, INTERVAL_BUCKETS_MS, IntervalCount, words_per_minute};

/// Where a record falls in the user's week (see `domain::time::UserClock::slot`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeekSlot {
    /// 0 = Monday.
    pub weekday: usize,
    pub hour: usize,
}

/// Running sums over minute records.
#[derive(Debug, Default)]
pub struct StatsTotals {
    stats: ActivityStats,
    typing_ms: u64,
    intervals: [u64; INTERVAL_BUCKETS_MS.len()],
    /// The minute being summed and the most active seconds any device had in it: two devices
    /// busy in the same minute make one active minute, not two.
    open_minute: Option<(i64, u64)>,
}

impl StatsTotals {
    pub fn new() -> StatsTotals {
        StatsTotals {
            stats: ActivityStats { by_weekday: vec![0; 7], by_hour: vec![0; 24], ..Default::default() },
            ..Default::default()
        }
    }

    /// Adds one record. Records must come in minute order (several devices may share a minute).
    pub fn add(&mut self, record: &ActivityMinute, slot: WeekSlot) {
        let s = &mut self.stats;
        let keys = record.total_keys();
        s.total_keys += keys;
        for (code, n) in &record.keys {
            *s.keys.entry(code.clone()).or_default() += u64::from(*n);
        }
        for (chord, n) in &record.chords {
            *s.combos.entry(chord.clone()).or_default() += u64::from(*n);
        }
        if let Some(day) = s.by_weekday.get_mut(slot.weekday) {
            *day += keys;
        }
        if let Some(hour) = s.by_hour.get_mut(slot.hour) {
            *hour += keys;
        }
        s.total_clicks += record.clicks.total();
        s.clicks_by_button.left += u64::from(record.clicks.left);
        s.clicks_by_button.right += u64::from(record.clicks.right);
        s.clicks_by_button.middle += u64::from(record.clicks.middle);
        s.clicks_by_button.other += u64::from(record.clicks.other);

        let typing = &record.typing;
        s.typing.typed_keys += u64::from(typing.typed_keys);
        s.typing.bursts += u64::from(typing.bursts);
        self.typing_ms += u64::from(typing.typing_ms);
        if let Some(best) = typing.best_burst {
            s.typing.best_burst_wpm = s.typing.best_burst_wpm.max(best.wpm());
        }
        for (sum, n) in self.intervals.iter_mut().zip(&typing.intervals) {
            *sum += u64::from(*n);
        }

        s.mouse.distance_px += record.distance_px;
        s.mouse.scroll_vertical += u64::from(record.scroll.vertical);
        s.mouse.scroll_horizontal += u64::from(record.scroll.horizontal);

        let active = u64::from(record.active_seconds);
        match &mut self.open_minute {
            Some((minute, seconds)) if *minute == record.minute => *seconds = (*seconds).max(active),
            _ => {
                self.close_minute();
                self.open_minute = Some((record.minute, active));
            }
        }
    }

    fn close_minute(&mut self) {
        if let Some((_, seconds)) = self.open_minute.take() {
            self.stats.active_minutes += 1;
            self.stats.active_seconds += seconds.min(60);
        }
    }

    /// The finished figures; range and time zone fields are left for the caller.
    pub fn finish(mut self) -> ActivityStats {
        self.close_minute();
        let mut stats = self.stats;
        stats.typing.typing_seconds = self.typing_ms as f64 / 1000.0;
        stats.typing.wpm = words_per_minute(stats.typing.typed_keys, self.typing_ms);
        stats.typing.intervals = INTERVAL_BUCKETS_MS
            .iter()
            .zip(self.intervals)
            .map(|(le_ms, count)| IntervalCount { le_ms: *le_ms, count })
            .collect();
        stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keytrack_wire::{Burst, ButtonCounts, ScrollCounts, TypingStats};

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
        totals.add(&first, WeekSlot { weekday: 0, hour: 9 });
        totals.add(&record(120, &[("KeyA", 2)], 10), WeekSlot { weekday: 6, hour: 23 });
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
        assert_eq!((stats.mouse.distance_px, stats.mouse.scroll_vertical, stats.mouse.scroll_horizontal), (500, 4, 1));
        assert_eq!((stats.active_minutes, stats.active_seconds), (2, 30));
    }

    #[test]
    fn two_devices_in_one_minute_make_one_active_minute() {
        let mut totals = StatsTotals::new();
        let slot = WeekSlot { weekday: 2, hour: 10 };
        totals.add(&record(60, &[("KeyA", 1)], 40), slot);
        totals.add(&record(60, &[("KeyB", 1)], 50), slot);
        totals.add(&record(180, &[("KeyB", 1)], 5), slot);
        let stats = totals.finish();
        assert_eq!((stats.active_minutes, stats.active_seconds, stats.total_keys), (2, 55, 3));
    }

    #[test]
    fn wpm_comes_from_all_typing_time_and_the_best_burst_from_its_own() {
        let mut totals = StatsTotals::new();
        let slot = WeekSlot { weekday: 0, hour: 0 };
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
        totals.add(&a, slot);
        totals.add(&b, slot);
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
    fn no_records_give_zeros_of_the_right_shape() {
        let stats = StatsTotals::new().finish();
        assert_eq!(stats.by_weekday.len(), 7);
        assert_eq!(stats.by_hour.len(), 24);
        assert_eq!((stats.total_keys, stats.active_minutes), (0, 0));
        assert_eq!(stats.typing.wpm, 0.0);
    }
}
