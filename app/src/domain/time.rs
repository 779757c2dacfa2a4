//! The user's clock: which UTC instants a range of the user's days covers, and on which weekday
//! and hour a minute falls, in the user's time zone and with the user's day start.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

use super::stats::WeekSlot;

#[derive(Debug, Clone, Copy)]
pub struct UserClock {
    tz: Tz,
    day_start_hour: u8,
}

impl UserClock {
    /// Fails on a name that is not an IANA zone, or an hour over 23.
    pub fn new(timezone: &str, day_start_hour: u8) -> Result<UserClock, String> {
        let tz: Tz =
            timezone.parse().map_err(|_| format!("\"{timezone}\" is not an IANA time zone (like Europe/Paris)"))?;
        if day_start_hour > 23 {
            return Err("the day start hour lies between 0 and 23".into());
        }
        Ok(UserClock { tz, day_start_hour })
    }

    /// The instant (Unix seconds) the user's day `date` starts.
    ///
    /// A start that falls in a DST gap (02:30 on a spring-forward night) moves to the first
    /// instant after the gap; one that happens twice (autumn) takes the first.
    pub fn day_start(&self, date: NaiveDate) -> i64 {
        let mut local: NaiveDateTime = date.and_hms_opt(u32::from(self.day_start_hour), 0, 0).unwrap_or_default();
        // Gaps last at most a few hours; step forward a quarter hour at a time.
        for _ in 0..16 {
            match self.tz.from_local_datetime(&local) {
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => return t.timestamp(),
                LocalResult::None => local += Duration::minutes(15),
            }
        }
        local.and_utc().timestamp()
    }

    /// `[start, end)` in Unix seconds for the days `from..=to`.
    pub fn range(&self, from: NaiveDate, to: NaiveDate) -> (i64, i64) {
        let after = to.succ_opt().unwrap_or(to);
        (self.day_start(from), self.day_start(after))
    }

    /// The weekday of the user's day (which may start after midnight) and the clock hour of an instant.
    pub fn slot(&self, unix: i64) -> WeekSlot {
        let (day, hour) = self.day_and_hour(unix);
        WeekSlot { weekday: day.weekday().num_days_from_monday() as usize, hour }
    }

    /// The user's day an instant belongs to, and its clock hour (0-23).
    pub fn day_and_hour(&self, unix: i64) -> (NaiveDate, usize) {
        let local = self.local(unix);
        (self.day_of_local(local.naive_local()), local.hour() as usize)
    }

    /// The user's current day (it changes at the day start hour, not at midnight).
    pub fn today(&self, now: i64) -> NaiveDate {
        self.day_of_local(self.local(now).naive_local())
    }

    fn local(&self, unix: i64) -> DateTime<Tz> {
        DateTime::<Utc>::from_timestamp(unix, 0).unwrap_or_default().with_timezone(&self.tz)
    }

    fn day_of_local(&self, local: NaiveDateTime) -> NaiveDate {
        (local - Duration::hours(i64::from(self.day_start_hour))).date()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    fn unix(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).map(|t| t.timestamp()).unwrap_or_default()
    }

    #[test]
    fn utc_days_start_at_midnight() {
        let clock = UserClock::new("UTC", 0).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            clock.range(date(2026, 11, 2), date(2026, 11, 2)),
            (unix("2026-11-02T00:00:00Z"), unix("2026-11-03T00:00:00Z"))
        );
        // 2026-11-02 is a Monday.
        assert_eq!(clock.slot(unix("2026-11-02T13:30:00Z")), WeekSlot { weekday: 0, hour: 13 });
    }

    #[test]
    fn a_day_with_a_dst_change_has_23_or_25_hours() {
        let paris = UserClock::new("Europe/Paris", 0).unwrap_or_else(|e| panic!("{e}"));
        // Clocks went forward on 2026-03-29 and back on 2026-10-25.
        let (start, end) = paris.range(date(2026, 3, 29), date(2026, 3, 29));
        assert_eq!(start, unix("2026-03-28T23:00:00Z"));
        assert_eq!(end - start, 23 * 3600);
        let (start, end) = paris.range(date(2026, 10, 25), date(2026, 10, 25));
        assert_eq!(start, unix("2026-10-24T22:00:00Z"));
        assert_eq!(end - start, 25 * 3600);
    }

    #[test]
    fn the_day_start_hour_moves_late_nights_to_the_day_before() {
        let ny = UserClock::new("America/New_York", 4).unwrap_or_else(|e| panic!("{e}"));
        // 03:30 on Tuesday 2026-11-03 in New York (UTC-5) is 08:30Z; with a 04:00 day start it is Monday's.
        let slot = ny.slot(unix("2026-11-03T08:30:00Z"));
        assert_eq!(slot, WeekSlot { weekday: 0, hour: 3 });
        assert_eq!(ny.today(unix("2026-11-03T08:30:00Z")), date(2026, 11, 2));
        assert_eq!(ny.day_start(date(2026, 11, 3)), unix("2026-11-03T09:00:00Z"));
    }

    #[test]
    fn a_day_start_inside_a_dst_gap_moves_past_it() {
        // New York skipped 02:00-03:00 on 2026-03-08.
        let ny = UserClock::new("America/New_York", 2).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ny.day_start(date(2026, 3, 8)), unix("2026-03-08T07:00:00Z"));
    }

    #[test]
    fn unknown_zones_are_refused() {
        assert!(UserClock::new("Mars/Olympus", 0).is_err());
        assert!(UserClock::new("UTC", 24).is_err());
    }
}
