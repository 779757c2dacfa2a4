//! The live view's messages: what the server's event streams (`GET /api/v1/live`,
//! `GET /api/v1/teams/{id}/live`) carry to a dashboard, and what an agent learns from
//! `GET /api/v1/live/watching` about whether anyone is looking.
//!
//! A stream says *that* data arrived, never what it was: the page fetches its figures again
//! through the same routes as a reload, so a live page can never show more than a reloaded one
//! (for a team: the consent and at-least-3 rules apply exactly as they do there).

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// Event names on a stream (the SSE `event:` field).
pub mod event {
    /// First event of every stream: [`super::LiveHello`].
    pub const HELLO: &str = "hello";
    /// Own stream: an upload was stored ([`super::Arrival`]).
    pub const ARRIVAL: &str = "arrival";
    /// Team stream: what the team page shows for today has changed ([`super::TeamChange`]).
    pub const TEAM_CHANGED: &str = "team-changed";
    /// The stream fell behind and skipped events: fetch everything again.
    pub const RESYNC: &str = "resync";
}

/// An upload the server stored for the user watching.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Arrival {
    /// The device's name (its id when it has none).
    pub device: String,
    /// The API token it came with (the tokens page confirms a pairing with it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_id: Option<i64>,
    /// When the server stored it, Unix seconds.
    pub at: i64,
    /// Hour blocks of key detail in it (the page's keyboard and pointer heatmaps change only then).
    #[serde(default)]
    pub blocks: u32,
}

/// The first event of a stream: where things stand when the page starts listening.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct LiveHello {
    /// The user's today (`YYYY-MM-DD` in their time zone and day start): a page whose range ends
    /// before it has nothing to follow.
    pub today: String,
    /// The last upload of any of the user's devices (own stream), if there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<Arrival>,
}

/// A team stream's news: the team's figures for today changed (fetch them again).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TeamChange {
    /// When the server noticed, Unix seconds.
    pub at: i64,
}

/// What `GET /api/v1/live/watching` answers an agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Watching {
    /// Whether a dashboard that shows this user's data is open now.
    pub watching: bool,
    /// While watched: send the open minute every [`LIVE_UPLOAD_MS`] for this many seconds, then
    /// ask again.
    pub live_secs: u32,
}

/// How long `GET /api/v1/live/watching` holds an agent's question when nobody watches (the agent
/// asks again at once): short enough for proxies' idle limits, long enough to cost nothing.
pub const WATCH_WAIT_SECS: u64 = 25;
/// How long an agent keeps the live cadence after a "watching" answer without asking again.
pub const LIVE_SECS: u32 = 30;
/// How often a watched agent sends its open minute: with the upload and the page's fetch, the
/// dashboard follows the keyboard within 2 s.
pub const LIVE_UPLOAD_MS: u64 = 700;
