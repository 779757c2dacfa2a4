//! Formatting figures the same way on the server and in the browser, so that hydration finds the
//! text it expects.

/// `2026-11-24 10:15 UTC` for a Unix time in seconds.
pub fn utc_minute(unix: i64) -> String {
    minute_text(unix, "UTC")
}

/// `2026-11-24 10:15 LABEL` for a Unix time already moved to the clock `label` names.
fn minute_text(unix: i64, label: &str) -> String {
    let days = unix.div_euclid(86_400);
    let seconds = unix.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02} {label}", seconds / 3600, seconds % 3600 / 60)
}

/// A person's clock, for writing times in their own time zone on every page: the UTC offsets
/// their zone has had and will have, each from an instant on. The server makes it from the zone's
/// rules (`domain::time::UserClock::local_clock`), so the browser writes the same local times as
/// the server without carrying the time zone database, and hydration finds the text it expects.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LocalClock {
    /// Oldest first; the first also holds before its `from`.
    pub spans: Vec<ClockSpan>,
}

/// One offset of a [`LocalClock`], from an instant until the next span's.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClockSpan {
    /// Unix seconds.
    pub from: i64,
    /// Minutes east of UTC.
    pub offset_minutes: i32,
    /// What the zone calls itself then (`CET`, `CEST`, `+0530`).
    pub abbreviation: String,
}

impl Default for LocalClock {
    fn default() -> Self {
        LocalClock::utc()
    }
}

impl LocalClock {
    /// UTC: the clock of someone logged out, or while the person's is not known yet.
    pub fn utc() -> LocalClock {
        LocalClock { spans: vec![ClockSpan { from: i64::MIN, offset_minutes: 0, abbreviation: "UTC".into() }] }
    }

    fn at(&self, unix: i64) -> (i64, &str) {
        let index = self.spans.partition_point(|span| span.from <= unix).saturating_sub(1);
        self.spans
            .get(index)
            .map_or((unix, "UTC"), |span| (unix + i64::from(span.offset_minutes) * 60, span.abbreviation.as_str()))
    }

    /// `2026-11-24 11:15 CET`.
    pub fn minute(&self, unix: i64) -> String {
        let (local, label) = self.at(unix);
        minute_text(local, label)
    }

    /// `2026-11-24`, the calendar day in the person's zone.
    pub fn day(&self, unix: i64) -> String {
        utc_day(self.at(unix).0)
    }

    /// `11:15:42`, the time of day in the person's zone.
    pub fn time_of_day(&self, unix: i64) -> String {
        let seconds = self.at(unix).0.rem_euclid(86_400);
        format!("{:02}:{:02}:{:02}", seconds / 3600, seconds % 3600 / 60, seconds % 60)
    }

    /// [`LocalClock::minute`], or `never`.
    pub fn minute_or_never(&self, unix: Option<i64>) -> String {
        unix.map_or_else(|| "never".to_string(), |at| self.minute(at))
    }
}

/// `2026-11-24` (UTC) for a Unix time in seconds.
pub fn utc_day(unix: i64) -> String {
    let (year, month, day) = civil_from_days(unix.div_euclid(86_400));
    format!("{year:04}-{month:02}-{day:02}")
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `1,234,567`: thousands separated, for counts on cards.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `Linux · x86_64` for the platform an agent reports (`linux x86_64`); `—` when not known.
pub fn platform_label(platform: &str) -> String {
    let mut words = platform.split_whitespace();
    let Some(system) = words.next() else { return "\u{2014}".to_string() };
    let system = match system {
        "linux" => "Linux",
        "windows" => "Windows",
        "macos" => "macOS",
        "freebsd" => "FreeBSD",
        other => other,
    };
    std::iter::once(system).chain(words).collect::<Vec<_>>().join(" \u{b7} ")
}

/// A value made safe to put in a URL's query string (`/login?next=...`).
pub fn query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(byte as char),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// `3 h 05 min`, or `12 min` under an hour.
pub fn duration(seconds: u64) -> String {
    if seconds >= 3600 {
        format!("{} h {:02} min", seconds / 3600, seconds % 3600 / 60)
    } else {
        format!("{} min", seconds / 60)
    }
}

/// [`duration`], but `40 s` under a minute: for times that are often short (an application's, the
/// excluded time), where "0 min" would hide that there was any.
pub fn short_duration(seconds: u64) -> String {
    if seconds < 60 { format!("{seconds} s") } else { duration(seconds) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_platforms_as_people_know_them() {
        assert_eq!(platform_label("linux x86_64"), "Linux \u{b7} x86_64");
        assert_eq!(platform_label("windows x86_64"), "Windows \u{b7} x86_64");
        assert_eq!(platform_label("macos aarch64"), "macOS \u{b7} aarch64");
        assert_eq!(platform_label("plan9 mips"), "plan9 \u{b7} mips");
        assert_eq!(platform_label(""), "\u{2014}");
    }

    #[test]
    fn formats_utc_minutes() {
        assert_eq!(utc_minute(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_day(86_399), "1970-01-01");
        assert_eq!(utc_minute(1_795_515_300), "2026-11-24 10:15 UTC");
        assert_eq!(utc_minute(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc_minute(-86_400), "1969-12-31 00:00 UTC");
    }

    #[test]
    fn query_values_and_durations() {
        assert_eq!(query_value("/teams/3?range=30d&x=a b"), "/teams/3%3Frange%3D30d%26x%3Da%20b");
        assert_eq!(duration(59), "0 min");
        assert_eq!(duration(3_900), "1 h 05 min");
        assert_eq!((short_duration(59), short_duration(60)), ("59 s".to_string(), "1 min".to_string()));
    }

    #[test]
    fn groups_thousands() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
    }
}
