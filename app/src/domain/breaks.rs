//! Work and rest through a day, from which of its minutes had any input.
//!
//! A pause of [`BREAK_MINUTES`] or more is a break; shorter pauses are part of the work period
//! around them (reading, thinking). The strain indicator follows the UK Health and Safety
//! Executive's guidance on display screen work ("short, frequent breaks are better than longer,
//! less frequent ones; e.g. a 5-10 minute break after 50-60 minutes of continuous screen and/or
//! keyboard work", HSE, *Working safely with display screen equipment*): minutes worked past
//! [`STRETCH_LIMIT_MINUTES`] without a break count against the day. It is an indicator, not
//! medical advice.

use keytrack_wire::BreakDay;

pub use keytrack_wire::BREAK_MINUTES;
/// Idle minutes that make a long break.
pub const LONG_BREAK_MINUTES: usize = 10;
/// Minutes of work after which a break is due.
pub const STRETCH_LIMIT_MINUTES: usize = 60;
/// Minutes over the limit in a day above which strain is `high`.
pub const HIGH_STRAIN_MINUTES: u64 = 60;

/// Minutes a day can hold (25 on the day clocks go back), as bits.
pub const DAY_MINUTES: usize = 25 * 60;
/// Words of a day's minute bits.
pub const DAY_WORDS: usize = DAY_MINUTES.div_ceil(64);

/// Marks minute `slot` of a day (minutes since the day's start) active or not.
pub fn set_minute(bits: &mut Vec<u64>, slot: usize, active: bool) {
    if slot >= DAY_MINUTES {
        return;
    }
    if bits.len() < DAY_WORDS {
        bits.resize(DAY_WORDS, 0);
    }
    let (word, bit) = (slot / 64, slot % 64);
    if active {
        bits[word] |= 1 << bit;
    } else {
        bits[word] &= !(1 << bit);
    }
    // Stored rollups stay small: no trailing empty words.
    while bits.last() == Some(&0) {
        bits.pop();
    }
}

/// The active minutes of a day's bits, in order.
pub fn active_minutes(bits: &[u64]) -> impl Iterator<Item = usize> + '_ {
    bits.iter().enumerate().flat_map(|(w, word)| (0..64).filter(move |b| word & (1 << b) != 0).map(move |b| w * 64 + b))
}

/// A day's work periods and breaks.
pub fn day_breaks(bits: &[u64]) -> BreakDay {
    let mut day = BreakDay::default();
    // The work period at hand: its first and last active minute.
    let mut period: Option<(usize, usize)> = None;
    let mut over = 0u64;
    let mut close = |(first, last): (usize, usize), day: &mut BreakDay| {
        let length = last - first + 1;
        day.work_periods += 1;
        day.longest_stretch_minutes = day.longest_stretch_minutes.max(length as u64);
        over += length.saturating_sub(STRETCH_LIMIT_MINUTES) as u64;
    };
    for minute in active_minutes(bits) {
        period = match period {
            Some((first, last)) => {
                let idle = minute - last - 1;
                if idle >= BREAK_MINUTES {
                    close((first, last), &mut day);
                    day.breaks_5 += 1;
                    if idle >= LONG_BREAK_MINUTES {
                        day.breaks_10 += 1;
                    }
                    Some((minute, minute))
                } else {
                    Some((first, minute))
                }
            }
            None => Some((minute, minute)),
        };
    }
    if let Some(open) = period {
        close(open, &mut day);
    }
    day.minutes_over_limit = over;
    day.strain = strain(over).to_string();
    day
}

/// The strain indicator for minutes worked past the limit.
pub fn strain(minutes_over_limit: u64) -> &'static str {
    match minutes_over_limit {
        0 => "low",
        n if n <= HIGH_STRAIN_MINUTES => "raised",
        _ => "high",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day_with(runs: &[(usize, usize)]) -> Vec<u64> {
        let mut bits = Vec::new();
        for (from, to) in runs {
            for m in *from..=*to {
                set_minute(&mut bits, m, true);
            }
        }
        bits
    }

    #[test]
    fn pauses_under_five_minutes_do_not_break_a_stretch() {
        // 09:00-09:39, 4 idle minutes, 09:44-10:29: one 90-minute stretch, 30 over the limit.
        let bits = day_with(&[(540, 579), (584, 629)]);
        let day = day_breaks(&bits);
        assert_eq!((day.work_periods, day.breaks_5, day.longest_stretch_minutes), (1, 0, 90));
        assert_eq!((day.minutes_over_limit, day.strain.as_str()), (30, "raised"));
    }

    #[test]
    fn breaks_of_five_and_ten_minutes_are_counted() {
        // 50 minutes, a 5-minute break, 30 minutes, a 12-minute break, 10 minutes.
        let bits = day_with(&[(0, 49), (55, 84), (97, 106)]);
        let day = day_breaks(&bits);
        assert_eq!((day.work_periods, day.breaks_5, day.breaks_10), (3, 2, 1));
        assert_eq!((day.longest_stretch_minutes, day.minutes_over_limit, day.strain.as_str()), (50, 0, "low"));
    }

    #[test]
    fn a_long_day_without_breaks_is_high_strain() {
        let day = day_breaks(&day_with(&[(480, 719)]));
        assert_eq!((day.longest_stretch_minutes, day.minutes_over_limit, day.strain.as_str()), (240, 180, "high"));
        assert_eq!(day_breaks(&[]), BreakDay { strain: "low".into(), ..BreakDay::default() });
    }

    #[test]
    fn bits_set_and_clear_and_stay_short() {
        let mut bits = Vec::new();
        set_minute(&mut bits, 70, true);
        set_minute(&mut bits, 3, true);
        assert_eq!(active_minutes(&bits).collect::<Vec<_>>(), vec![3, 70]);
        assert_eq!(bits.len(), 2);
        set_minute(&mut bits, 70, false);
        assert_eq!(bits.len(), 1);
        set_minute(&mut bits, 3, false);
        assert!(bits.is_empty());
        set_minute(&mut bits, DAY_MINUTES, true);
        assert!(bits.is_empty(), "out of the day: ignored");
        set_minute(&mut bits, DAY_MINUTES - 1, true);
        assert_eq!(active_minutes(&bits).collect::<Vec<_>>(), vec![DAY_MINUTES - 1]);
    }
}
