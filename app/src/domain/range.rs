//! The dashboard's date filter: presets and custom ranges, as they appear in the URL
//! (`/?range=30d` or `/?from=2026-11-01&to=2026-11-24`), so a view can be bookmarked and shared.

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

/// What the URL asks for. A custom range (`from` and `to`) wins over a preset; nothing at all
/// means the last 7 days.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct RangeQuery {
    pub range: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

impl RangeQuery {
    /// The preset in effect, if the query is not a custom range.
    pub fn preset(&self) -> Option<Preset> {
        if self.is_custom() {
            return None;
        }
        Some(self.range.as_deref().and_then(Preset::parse).unwrap_or(Preset::Last7Days))
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
        assert_eq!(junk.preset(), Some(Preset::Last7Days));
    }
}
