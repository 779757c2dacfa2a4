//! The date filter: presets and custom ranges, as they appear in the URL (`/?range=30d` or
//! `/?from=2026-11-01&to=2026-11-24`), so a view can be bookmarked and shared. One rule for the
//! dashboards, the server functions and every JSON route:
//!
//! - nothing: the last 7 days up to today (in the asking user's time zone and day start);
//! - `range=today|7d|30d|year|all`, counted back from today (`all` from the first day with data);
//! - `from` and/or `to` (`YYYY-MM-DD`, between 2000-01-01 and 2100-12-31), which win over `range`:
//!   a missing `to` is today, a missing `from` is 6 days before `to`;
//! - at most [`MAX_RANGE_DAYS`] days; anything else is refused (400), never guessed.

/// A named range, counted back from the user's today (in their time zone and day start).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    Today,
    Last7Days,
    Last30Days,
    ThisYear,
    All,
}

impl Preset {
    pub const ALL: [Preset; 5] = [Preset::Today, Preset::Last7Days, Preset::Last30Days, Preset::ThisYear, Preset::All];

    /// The value in the URL's `range` parameter.
    pub fn key(self) -> &'static str {
        match self {
            Preset::Today => "today",
            Preset::Last7Days => "7d",
            Preset::Last30Days => "30d",
            Preset::ThisYear => "year",
            Preset::All => "all",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Preset::Today => "Today",
            Preset::Last7Days => "7 days",
            Preset::Last30Days => "30 days",
            Preset::ThisYear => "This year",
            Preset::All => "All",
        }
    }

    pub fn parse(key: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| p.key() == key)
    }
}

/// The longest range, in days (ten years): every daily series has at most this many entries.
pub const MAX_RANGE_DAYS: i64 = 3_660;

/// What the URL asks for. A custom range (`from` and `to`) wins over a preset; nothing at all
/// means the last 7 days.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct RangeQuery {
    pub range: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

impl RangeQuery {
    /// The preset in effect, if the query is not a custom range (an unknown preset is `None`:
    /// the server refuses it, see [`RangeQuery::checked_preset`]).
    pub fn preset(&self) -> Option<Preset> {
        self.checked_preset().ok().flatten()
    }

    /// The preset in effect (`None` for a custom range), or why `range` is not one.
    pub fn checked_preset(&self) -> Result<Option<Preset>, String> {
        if self.is_custom() {
            return Ok(None);
        }
        match self.range.as_deref() {
            None | Some("") => Ok(Some(Preset::Last7Days)),
            Some(key) => Preset::parse(key).map(Some).ok_or_else(|| {
                let keys: Vec<&str> = Preset::ALL.iter().map(|p| p.key()).collect();
                format!("range must be one of {}, not \"{key}\"", keys.join(", "))
            }),
        }
    }

    pub fn is_custom(&self) -> bool {
        self.from.as_deref().is_some_and(|f| !f.is_empty()) || self.to.as_deref().is_some_and(|t| !t.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_round_trip_and_custom_ranges_win() {
        for preset in Preset::ALL {
            assert_eq!(Preset::parse(preset.key()), Some(preset));
        }
        assert_eq!(RangeQuery::default().preset(), Some(Preset::Last7Days));
        let year = RangeQuery { range: Some("year".into()), ..Default::default() };
        assert_eq!(year.preset(), Some(Preset::ThisYear));
        let custom = RangeQuery { range: Some("year".into()), from: Some("2026-01-01".into()), to: None };
        assert_eq!(custom.preset(), None);
        let junk = RangeQuery { range: Some("forever".into()), ..Default::default() };
        assert!(junk.checked_preset().is_err_and(|e| e.contains("not \"forever\"")));
        assert_eq!(junk.preset(), None);
    }
}
