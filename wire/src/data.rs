//! Your data, out and gone: the JSON export of everything the server keeps about a user (which
//! `keytrack import` loads into another server), the devices a user's data came from, and what a
//! deletion removed.

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

use crate::{Account, ActivityMinute, HourBlock, TeamRole};

/// [`AccountExport::format`]: what the file is.
pub const EXPORT_FORMAT: &str = "keytrack-export";
/// [`AccountExport::version`] this release writes and reads.
pub const EXPORT_VERSION: u32 = 1;

/// Everything the server keeps about a user (`GET /api/v1/export.json`): the profile, the devices
/// with every minute record and hour block as uploaded, the API tokens' names and dates (never the
/// tokens), and team memberships with the sharing choice. Passwords and sessions are not in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AccountExport {
    /// Always `keytrack-export`.
    pub format: String,
    pub version: u32,
    /// When the file was made, Unix seconds.
    pub exported_at: i64,
    pub account: Account,
    /// When the account was made, Unix seconds.
    pub created_at: i64,
    pub tokens: Vec<TokenExport>,
    pub teams: Vec<MembershipExport>,
    /// Last, so that the server can stream it.
    pub devices: Vec<DeviceExport>,
}

/// One device and everything it uploaded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DeviceExport {
    /// The id the agent made for itself.
    pub id: String,
    pub name: String,
    pub first_seen: i64,
    pub last_seen: i64,
    /// Minute records in minute order, as uploaded (totals only).
    pub minutes: Vec<ActivityMinute>,
    /// Hour blocks in order of their start, as uploaded (the key detail).
    pub blocks: Vec<HourBlock>,
}

/// An API token's name and dates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TokenExport {
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// A team the user is in, and whether they share their own figures with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct MembershipExport {
    pub team: String,
    pub role: TeamRole,
    pub shares_figures: bool,
    pub joined_at: i64,
}

/// A computer that uploads for the user (`GET /api/v1/devices`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DeviceSummary {
    /// The server's id of the device (`DELETE /api/v1/devices/{id}`).
    pub id: i64,
    pub name: String,
    /// The id the agent made for itself.
    pub agent_id: String,
    pub first_seen: i64,
    pub last_seen: i64,
    /// Minute records kept.
    pub minutes: u64,
}

/// What a deletion removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DeletionReceipt {
    /// Minute records removed.
    pub minutes: u64,
    /// Hour blocks (key detail) removed.
    pub blocks: u64,
    /// Days whose figures changed.
    pub days: u64,
}
