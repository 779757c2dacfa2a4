//! Your data, out and gone: the JSON export of everything the server keeps about a user (which
//! `keytrack import` loads into another server), the devices a user's data came from, and what a
//! deletion removed.

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

use crate::activity::{ActivityMinute, HourBlock};
use crate::answers::Account;
use crate::teams::TeamRole;

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
    /// Its first and last upload, Unix seconds. Checked on import: in order, from the year 2000
    /// up to the importing server's clock.
    pub first_seen: i64,
    pub last_seen: i64,
    /// Minute records in minute order, as uploaded (totals only). Checked on import by the upload
    /// rules (`ActivityBatch`'s), before anything is stored.
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
    /// The name was given on the server (`PATCH /api/v1/devices/{id}`), so the name the agent
    /// sends no longer changes it.
    #[serde(default)]
    pub renamed: bool,
    /// The operating system and processor its agent reported, e.g. `linux x86_64`; empty when not
    /// known (uploads by a script, or by an agent older than this field).
    #[serde(default)]
    pub platform: String,
    /// The version of its agent, from its last upload; empty when not known.
    #[serde(default)]
    pub agent_version: String,
    /// How its agent captures ([`CAPTURE_HEADER`]): `x11`, `evdev` (no pointer positions) or
    /// `hooks`; empty when not known.
    #[serde(default)]
    pub capture: String,
    /// Its counts today, in the user's time zone and day start.
    #[serde(default)]
    pub today: DeviceToday,
    /// The API token of its last upload; `None` for a device that uploaded with a session or
    /// before the server noted tokens.
    #[serde(default)]
    pub token: Option<DeviceToken>,
}

/// A device's counts on the user's today.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DeviceToday {
    pub keys: u64,
    pub clicks: u64,
    /// Minutes with any input.
    pub active_minutes: u64,
}

/// The API token a device uploads with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DeviceToken {
    pub id: i64,
    pub name: String,
    /// Revoked: the device can no longer upload with it.
    pub revoked: bool,
    /// How many of the user's other devices last uploaded with the same token (removing this
    /// device revokes it for them too).
    pub shared_with: u64,
}

/// A new name for a device (`PATCH /api/v1/devices/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DeviceRename {
    /// 1 to 100 characters, no control characters.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub name: String,
}

/// The agent's product name in its `User-Agent`.
pub const AGENT_PRODUCT: &str = "keytrack-agent";

/// What the agent says of itself in its `User-Agent`, `keytrack-agent/VERSION (PLATFORM)`, e.g.
/// `keytrack-agent/0.1.0 (linux x86_64)`: the devices page shows both.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentIdentity {
    pub version: String,
    pub platform: String,
}

impl AgentIdentity {
    pub fn user_agent(&self) -> String {
        format!("{AGENT_PRODUCT}/{} ({})", self.version, self.platform)
    }

    /// Reads a `User-Agent` the agent sent; `None` for any other client, or a value that breaks
    /// the shape (a version of 1 to 24 characters of `0-9A-Za-z.+-`, a platform of 1 to 40
    /// printable ASCII characters without parentheses).
    pub fn from_user_agent(header: &str) -> Option<AgentIdentity> {
        let rest = header.strip_prefix(AGENT_PRODUCT)?.strip_prefix('/')?;
        let (version, platform) = rest.split_once(" (")?;
        let platform = platform.strip_suffix(')')?;
        let version_ok = (1..=24).contains(&version.len())
            && version.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-'));
        let platform_ok = (1..=40).contains(&platform.len())
            && platform.bytes().all(|b| (b' '..=b'~').contains(&b) && b != b'(' && b != b')')
            && platform.trim() == platform;
        (version_ok && platform_ok)
            .then(|| AgentIdentity { version: version.to_string(), platform: platform.to_string() })
    }
}

/// The header an agent names its capture in: `x11`, `evdev` (the kernel's input devices, on
/// Wayland desktops and without X) or `hooks` (Windows, macOS). Servers that do not know it ignore
/// it; this one keeps it per device, to say why a computer's pointer heatmaps are empty.
pub const CAPTURE_HEADER: &str = "keytrack-capture";

/// The capture that knows no pointer positions (the kernel reports motion, not places).
pub const CAPTURE_WITHOUT_POSITIONS: &str = "evdev";

/// A capture name as the header carries it: 1 to 16 of `a-z 0-9 -`; `None` otherwise.
pub fn capture_from_header(value: &str) -> Option<&str> {
    ((1..=16).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
    .then_some(value)
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
    /// API tokens revoked (removing a device revokes the token it uploads with).
    #[serde(default)]
    pub tokens_revoked: u64,
}

#[cfg(test)]
mod agent_identity_tests {
    use super::AgentIdentity;

    #[test]
    fn a_capture_is_a_short_lowercase_name() {
        use super::capture_from_header;
        assert_eq!(capture_from_header("evdev"), Some("evdev"));
        for odd in ["", "EVDEV", "x11; drop", "a-very-long-capture-name"] {
            assert_eq!(capture_from_header(odd), None, "{odd}");
        }
    }

    #[test]
    fn the_agents_user_agent_reads_back() {
        let me = AgentIdentity { version: "0.1.0".into(), platform: "linux x86_64".into() };
        assert_eq!(me.user_agent(), "keytrack-agent/0.1.0 (linux x86_64)");
        assert_eq!(AgentIdentity::from_user_agent(&me.user_agent()), Some(me));
    }

    #[test]
    fn other_clients_and_odd_values_are_not_an_agent() {
        for header in [
            "curl/8.5.0",
            "keytrack-agent/0.1.0",
            "keytrack-agent/ (linux x86_64)",
            "keytrack-agent/0.1.0 ()",
            "keytrack-agent/0.1.0 (linux x86_64",
            "keytrack-agent/0.1.0 ( linux)",
            "keytrack-agent/0.1.0 (linux\u{7}bell)",
            "keytrack-agent/0.1.0;rm (linux x86_64)",
            "keytrack-agent/0.1.0 (a (nested) one)",
        ] {
            assert_eq!(AgentIdentity::from_user_agent(header), None, "{header}");
        }
        let long = format!("keytrack-agent/1 ({})", "x".repeat(41));
        assert_eq!(AgentIdentity::from_user_agent(&long), None);
    }
}
