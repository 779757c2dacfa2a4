//! What the server answers about teams: the JSON API (`/api/v1/teams...`) and the web UI share
//! these types.
//!
//! Consent is part of the shape: a team sees per-member figures only of members who chose to
//! share them, and every team number is a sum over enough members ([`MIN_CONTRIBUTORS`]), cell by
//! cell, so that no number is one person's figures under another name and no subtraction of two
//! numbers isolates a member who keeps theirs private (see `domain::team` in the server).

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// Team views count typing at most this fast (the sustained world record is about 216 WPM).
pub const HUMAN_MAX_WPM: u32 = 300;
/// Team views count at most this many key presses (25 a second) and clicks (20 a second) in each
/// active minute, however many devices sent them.
pub const HUMAN_MAX_PRESSES_PER_MINUTE: u32 = 1_500;
pub const HUMAN_MAX_CLICKS_PER_MINUTE: u32 = 1_200;

/// Every team number sums at least this many members' activity; members who keep their figures
/// private count in it only when at least this many of them are active in the same hour.
pub const MIN_CONTRIBUTORS: u32 = 3;

/// A member's role. Owners manage everything and hand over ownership; admins manage invites and
/// plain members; members see the team dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum TeamRole {
    Owner,
    Admin,
    Member,
}

impl TeamRole {
    pub const ALL: [TeamRole; 3] = [TeamRole::Owner, TeamRole::Admin, TeamRole::Member];

    /// The name stored and sent: `owner`, `admin`, `member`.
    pub fn key(self) -> &'static str {
        match self {
            TeamRole::Owner => "owner",
            TeamRole::Admin => "admin",
            TeamRole::Member => "member",
        }
    }

    pub fn parse(key: &str) -> Option<TeamRole> {
        TeamRole::ALL.into_iter().find(|r| r.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            TeamRole::Owner => "Owner",
            TeamRole::Admin => "Admin",
            TeamRole::Member => "Member",
        }
    }

    /// Owners and admins manage invites and members.
    pub fn manages(self) -> bool {
        matches!(self, TeamRole::Owner | TeamRole::Admin)
    }
}

/// A team as its member sees it in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TeamSummary {
    pub id: i64,
    pub name: String,
    /// The asking user's role.
    pub role: TeamRole,
    pub members: u32,
    /// Whether the asking user shares their own figures with this team.
    pub shares_figures: bool,
}

/// A team's statistics over a range of days. Each member's days are counted in their own time zone
/// and day start (a day is a day as each member lives it); presets count back from the asking
/// user's today.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TeamStats {
    pub team_id: i64,
    pub team_name: String,
    /// First day of the range (inclusive), `YYYY-MM-DD`.
    pub from: String,
    /// Last day, inclusive.
    pub to: String,
    /// Every day of the range in order: what the series per day follow.
    #[serde(default)]
    pub days: Vec<String>,
    /// Members of the team now.
    pub members: u32,
    /// Members whose activity the totals hold (at least [`MIN_CONTRIBUTORS`]); absent with the
    /// totals, since a small count would tell who worked.
    pub contributors: Option<u32>,
    /// Members who keep their own figures private (a choice, not an activity).
    pub private_members: u32,
    /// Team totals, made only of the hours in which at least [`MIN_CONTRIBUTORS`] members were
    /// active (and private members only where at least three of them were); absent when no hour
    /// qualifies.
    pub totals: Option<TeamTotals>,
    /// Figures of the members who share theirs (most keys first), active or not.
    pub member_figures: Vec<MemberFigures>,
    /// The ergonomic figures averaged over the members who share theirs and typed in the range;
    /// absent with fewer than [`MIN_CONTRIBUTORS`] of them (private members are never in it).
    #[serde(default)]
    pub ergonomics: Option<TeamErgonomics>,
}

/// The dashboard's ergonomic figures (see `ErgonomicsDay`), each member's over the range, then
/// averaged with every member weighing the same.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TeamErgonomics {
    /// Members averaged.
    pub members: u32,
    pub left_hand_share: f64,
    pub home_row_share: f64,
    pub little_finger_share: f64,
    pub modifier_share: f64,
    /// Mean carpalx base effort per press.
    pub effort: f64,
}

/// Sums and averages over the contributing members, over the hours that qualify (see
/// [`TeamStats::totals`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TeamTotals {
    pub total_keys: u64,
    pub total_clicks: u64,
    pub active_seconds: u64,
    /// Words per minute of typing time over everyone's typing.
    pub wpm: f64,
    /// Per contributing member.
    pub average_keys: u64,
    pub average_clicks: u64,
    pub average_active_seconds: u64,
    /// Key presses per weekday (Monday first) and hour, each member in their own time zone; an hour
    /// in which fewer than [`MIN_CONTRIBUTORS`] members were active counts 0.
    pub by_weekday_hour: Vec<Vec<u64>>,
    /// The team's most used chords, most used first (at most 10), each used by at least
    /// [`MIN_CONTRIBUTORS`] members.
    pub top_chords: Vec<ChordCount>,
    /// Key presses per day of the range (`TeamStats::from` first), made of the hours that count
    /// like every team number: a day whose hours had fewer than [`MIN_CONTRIBUTORS`] members
    /// each counts 0.
    #[serde(default)]
    pub daily_keys: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ChordCount {
    pub chord: String,
    pub count: u64,
}

/// One sharing member's figures over the range. Typing speed counts a member's typing at most at
/// [`HUMAN_MAX_WPM`] an hour, so no upload, however forged, tops a leaderboard beyond what people do.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct MemberFigures {
    pub user_id: i64,
    pub name: String,
    pub total_keys: u64,
    pub total_clicks: u64,
    pub active_seconds: u64,
    pub wpm: f64,
    /// Days of the range with any activity.
    pub active_days: u32,
    /// The member's key presses per day of the range (`TeamStats::from` first): their trend.
    #[serde(default)]
    pub daily_keys: Vec<u64>,
}
