//! The user's clock: which UTC instants a range of the user's days covers, and on which weekday
//! and hour a minute falls, in the user's time zone and with the user's day start.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone, Timelike, Utc};
use chrono_tz::{OffsetName, Tz};

use super::format::{ClockSpan, LocalClock};

use super::range::{MAX_RANGE_DAYS, Preset, RangeQuery};
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

    /// The clock of a time zone and day start as an account stores them: a zone this server no
    /// longer knows falls back to UTC (the one place that rule is written).
    pub fn stored(timezone: &str, day_start_hour: u8) -> Result<UserClock, String> {
        UserClock::new(timezone, day_start_hour).or_else(|_| UserClock::new("UTC", day_start_hour))
    }

    /// The clock of an account (see [`UserClock::stored`]).
    pub fn of_account(account: &keytrack_wire::Account) -> Result<UserClock, String> {
        UserClock::stored(&account.timezone, account.day_start_hour)
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

    /// The zone's offsets from twelve years before `now` to two years after, for writing times
    /// (see [`LocalClock`]): looked at once a day, and where two days differ, found to the second.
    pub fn local_clock(&self, now: i64) -> LocalClock {
        const DAY: i64 = 86_400;
        let span_at = |unix: i64| {
            let offset = *self.local(unix).offset();
            let offset_minutes = offset.fix().local_minus_utc() / 60;
            let abbreviation = offset.abbreviation().map_or_else(
                || {
                    format!(
                        "{}{:02}{:02}",
                        if offset_minutes < 0 { '-' } else { '+' },
                        offset_minutes.abs() / 60,
                        offset_minutes.abs() % 60
                    )
                },
                str::to_string,
            );
            ClockSpan { from: unix, offset_minutes, abbreviation }
        };
        let first = now - 12 * 365 * DAY;
        let mut spans = vec![ClockSpan { from: i64::MIN, ..span_at(first) }];
        let mut day = first;
        while day < now + 2 * 365 * DAY {
            let next = day + DAY;
            let then = span_at(next);
            let last = spans.last().map(|s| (s.offset_minutes, s.abbreviation.clone()));
            if last != Some((then.offset_minutes, then.abbreviation.clone())) {
                // The change lies in (day, next]: halve until the second it happens.
                let (mut before, mut after) = (day, next);
                while after - before > 1 {
                    let middle = before + (after - before) / 2;
                    let at = span_at(middle);
                    if Some((at.offset_minutes, at.abbreviation)) == last {
                        before = middle;
                    } else {
                        after = middle;
                    }
                }
                spans.push(span_at(after));
            }
            day = next;
        }
        LocalClock { spans }
    }

    /// `14:05`, the time of day on this clock.
    pub fn hour_minute(&self, unix: i64) -> String {
        self.local(unix).format("%H:%M").to_string()
    }

    fn local(&self, unix: i64) -> DateTime<Tz> {
        DateTime::<Utc>::from_timestamp(unix, 0).unwrap_or_default().with_timezone(&self.tz)
    }

    fn day_of_local(&self, local: NaiveDateTime) -> NaiveDate {
        (local - Duration::hours(i64::from(self.day_start_hour))).date()
    }
}

/// Parses `YYYY-MM-DD` between 2000-01-01 and 2100-12-31; the error names the parameter.
pub fn parse_day(name: &str, value: &str) -> Result<NaiveDate, String> {
    let day = NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| format!("{name} must be a date like 2026-11-24, not \"{value}\""))?;
    if !(2000..=2100).contains(&day.year()) {
        return Err(format!("{name} must lie between 2000-01-01 and 2100-12-31, not {value}"));
    }
    Ok(day)
}

/// The days a query asks for, by the rule of `domain::range`: `today` is the asking user's, and
/// `first_day` the first day with data (asked only for `range=all` and `range=year`).
pub fn days_of(
    query: &RangeQuery,
    today: NaiveDate,
    first_day: impl FnOnce() -> Option<NaiveDate>,
) -> Result<(NaiveDate, NaiveDate), String> {
    let (from, to) = match query.checked_preset()? {
        Some(Preset::Today) => (today, today),
        Some(Preset::Last7Days) => (today - Duration::days(6), today),
        Some(Preset::Last30Days) => (today - Duration::days(29), today),
        // From 1 January, or from the first day with data when that came later: a chart of a
        // year that began in September starts in September, not with eight empty months.
        Some(Preset::ThisYear) => {
            let new_year = today.with_ordinal(1).unwrap_or(today);
            (first_day().map_or(new_year, |first| first.max(new_year)).min(today), today)
        }
        // The newest ten years of it, at most.
        Some(Preset::All) => {
            let first = first_day().unwrap_or(today);
            (first.max(today - Duration::days(MAX_RANGE_DAYS - 1)).min(today), today)
        }
        None => {
            let day = |name: &str, value: &Option<String>| match value.as_deref() {
                Some(v) if !v.is_empty() => parse_day(name, v).map(Some),
                _ => Ok(None),
            };
            let to = day("to", &query.to)?.unwrap_or(today);
            let from = day("from", &query.from)?.unwrap_or(to - Duration::days(6));
            (from, to)
        }
    };
    if from > to {
        return Err(format!("from ({from}) is after to ({to})"));
    }
    let days = (to - from).num_days() + 1;
    if days > MAX_RANGE_DAYS {
        return Err(format!("a range covers at most {MAX_RANGE_DAYS} days (ten years); {from} to {to} is {days}"));
    }
    Ok((from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_clock_writes_times_as_the_zone_read_them_across_summer_time() {
        // 2026-03-29 01:00 UTC Paris goes from CET (+1) to CEST (+2); 2026-10-25 01:00 UTC back.
        let spring = 1_774_746_000;
        let autumn = 1_792_890_000;
        let paris = UserClock::new("Europe/Paris", 0).expect("zone").local_clock(spring);
        assert!(paris.spans.iter().any(|s| s.from == spring && s.offset_minutes == 120 && s.abbreviation == "CEST"));
        assert!(paris.spans.iter().any(|s| s.from == autumn && s.offset_minutes == 60 && s.abbreviation == "CET"));
        assert_eq!(paris.minute(spring - 60), "2026-03-29 01:59 CET");
        assert_eq!(paris.minute(spring), "2026-03-29 03:00 CEST");
        assert_eq!(paris.minute(autumn - 60), "2026-10-25 02:59 CEST");
        assert_eq!(paris.minute(autumn), "2026-10-25 02:00 CET");
        // Every instant of the clock's years agrees with the zone's rules, hour by hour.
        let clock = UserClock::new("America/St_Johns", 0).expect("zone");
        let local = clock.local_clock(spring);
        for hour in 0..(24 * 365 * 3) {
            let unix = spring - 365 * 86_400 + hour * 3600;
            assert_eq!(
                local.minute(unix),
                format!(
                    "{} {}",
                    clock.local(unix).format("%Y-%m-%d %H:%M"),
                    clock.local(unix).offset().abbreviation().unwrap_or("?")
                )
            );
        }
        // Kolkata has no summer time: one span; a zone without a name for itself writes its offset.
        assert_eq!(UserClock::new("Asia/Kolkata", 0).expect("zone").local_clock(spring).spans.len(), 1);
        assert_eq!(
            UserClock::new("Asia/Kolkata", 0).expect("zone").local_clock(spring).day(1_774_740_000),
            "2026-03-29"
        );
        assert_eq!(LocalClock::utc().minute(spring), "2026-03-29 01:00 UTC");
    }

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
    fn one_rule_for_every_range() {
        let today = date(2026, 11, 30);
        let ask = |range: Option<&str>, from: Option<&str>, to: Option<&str>| {
            let query = RangeQuery { range: range.map(Into::into), from: from.map(Into::into), to: to.map(Into::into) };
            days_of(&query, today, || Some(date(1999, 1, 1)))
        };
        assert_eq!(ask(None, None, None), Ok((date(2026, 11, 24), today)), "the last 7 days");
        assert_eq!(ask(Some(""), Some(""), Some("")), Ok((date(2026, 11, 24), today)), "empty is absent");
        assert_eq!(ask(Some("today"), None, None), Ok((today, today)));
        assert_eq!(ask(Some("30d"), None, None), Ok((date(2026, 11, 1), today)));
        assert_eq!(ask(Some("year"), None, None), Ok((date(2026, 1, 1), today)));
        // This year starts at the data when that began after 1 January.
        let year = RangeQuery { range: Some("year".into()), ..RangeQuery::default() };
        assert_eq!(days_of(&year, today, || Some(date(2026, 9, 3))), Ok((date(2026, 9, 3), today)));
        assert_eq!(days_of(&year, today, || None), Ok((date(2026, 1, 1), today)), "no data yet: the whole year");
        // All: from the first day with data, ten years at most.
        assert_eq!(ask(Some("all"), None, None), Ok((today - Duration::days(MAX_RANGE_DAYS - 1), today)));
        let query = RangeQuery { range: Some("all".into()), ..RangeQuery::default() };
        assert_eq!(days_of(&query, today, || None), Ok((today, today)), "no data yet: today");
        // Custom ranges win over presets; a missing end is today, a missing start 6 days before the end.
        assert_eq!(ask(Some("year"), Some("2026-11-01"), None), Ok((date(2026, 11, 1), today)));
        assert_eq!(ask(None, None, Some("2026-03-11")), Ok((date(2026, 3, 5), date(2026, 3, 11))));
        for (range, from, to, error) in [
            (Some("forever"), None, None, "range must be one of"),
            (None, Some("2026-13-01"), None, "from must be a date"),
            (None, Some("0001-01-01"), Some("2026-01-01"), "from must lie between 2000-01-01 and 2100-12-31"),
            (None, Some("2026-11-02"), Some("2026-11-01"), "is after"),
            (None, Some("2000-01-01"), Some("2100-12-31"), "a range covers at most 3660 days"),
        ] {
            assert!(ask(range, from, to).is_err_and(|e| e.contains(error)), "{range:?} {from:?} {to:?}");
        }
    }

    #[test]
    fn unknown_zones_are_refused() {
        assert!(UserClock::new("Mars/Olympus", 0).is_err());
        assert!(UserClock::new("UTC", 24).is_err());
    }
}
