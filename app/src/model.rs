//! What the server functions hand the pages and what the server's services produce for them:
//! plain data, below both `api` and `server` (the JSON API's types are in `keytrack_wire`).

use keytrack_wire::TeamRole;
use serde::{Deserialize, Serialize};

pub use crate::domain::team::InviteStatus;

/// A token as the tokens page lists it; the token itself was shown once and is not stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenSummary {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// Activity in one minute, all devices together (the live dashboard's last hour).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MinuteTotals {
    /// `HH:MM` in the user's time zone.
    pub label: String,
    pub keys: u64,
    pub clicks: u64,
}

/// A token just created: the only time its secret is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewToken {
    pub id: i64,
    pub name: String,
    pub token: String,
}

/// A member as the team page lists them (every member sees names and roles, no figures).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamMember {
    pub user_id: i64,
    pub name: String,
    pub role: TeamRole,
    pub joined_at: i64,
}

/// An invite as its team's managers see it; the code itself was shown once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InviteSummary {
    pub id: i64,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    /// `None`: any number of people may join with it.
    pub max_uses: Option<u32>,
    pub uses: u32,
    pub status: InviteStatus,
}

/// The team page: who is in it, the asking user's role and consent, and (for managers) invites.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamDetails {
    pub id: i64,
    pub name: String,
    pub my_user_id: i64,
    pub my_role: TeamRole,
    pub shares_figures: bool,
    pub members: Vec<TeamMember>,
    pub invites: Vec<InviteSummary>,
}

/// An invite just made: the only time its code is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewInvite {
    pub code: String,
    pub expires_at: i64,
    pub single_use: bool,
}

/// What an invite leads to, shown before joining.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvitePreview {
    pub team_name: String,
    pub members: u32,
    pub invited_by: String,
    pub expires_at: i64,
    /// Set when the asking user is in the team already.
    pub team_id: Option<i64>,
}

/// An agent's pairing request as the person asked to approve it sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairingPreview {
    /// `XXXX-XXXX`.
    pub user_code: String,
    pub device_name: String,
    pub platform: String,
    pub agent_version: String,
    /// When the agent asked and when the code expires, Unix seconds.
    pub created_at: i64,
    pub expires_at: i64,
}

/// One platform's agent on "Add a computer": where to download it, and the file when this server
/// was built with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentDownload {
    /// `linux-x86_64`, `windows-x86_64`.
    pub platform: String,
    /// `Linux`, `Windows`: which of the page's buttons offers it.
    pub system: String,
    pub label: String,
    pub file_name: String,
    /// The path on this server (`/downloads/linux-x86_64/keytrack-agent`).
    pub url: String,
    /// The agent's version: the server's own, as they are built together.
    pub version: String,
    /// What builds it where the server finds it, for a server built without it.
    pub build_command: String,
    pub file: Option<AgentFile>,
}

/// An agent binary this server offers: its size and SHA-256 (hex).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentFile {
    pub bytes: u64,
    pub sha256: String,
}
