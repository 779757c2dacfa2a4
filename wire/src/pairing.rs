//! Pairing an agent by code, after OAuth's device authorization grant (RFC 8628): the agent asks
//! the server for a code, its person approves the code in the web UI while logged in, and the
//! agent collects an API token of its own. Nobody copies a token by hand.

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// Seconds a pairing code stays valid.
pub const PAIRING_VALID_SECONDS: u32 = 600;
/// Seconds between an agent's questions whether its code was approved.
pub const PAIRING_POLL_SECONDS: u32 = 2;

/// `POST /api/v1/pairing`: an agent asks for a pairing code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PairingRequest {
    /// What to call the computer (its host name by default), 1 to 100 characters; the person
    /// approving sees it, and the new token is named after it.
    pub device_name: String,
    /// The agent's platform, e.g. `linux x86_64` (at most 40 characters; may be empty).
    #[serde(default)]
    pub platform: String,
    /// The agent's version (at most 40 characters; may be empty).
    #[serde(default)]
    pub agent_version: String,
}

/// The server's answer to a [`PairingRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PairingStarted {
    /// The agent's secret for collecting its token: never shown to anyone.
    pub device_code: String,
    /// What the person approves: 8 letters shown as `XXXX-XXXX`.
    pub user_code: String,
    /// Where the person approves, relative to the server's address: `/pair?code=XXXX-XXXX`.
    pub verification_path: String,
    /// Seconds until the code expires.
    pub expires_in: u32,
    /// Seconds the agent waits between polls.
    pub interval: u32,
}

/// `POST /api/v1/pairing/token`: the agent asks whether its code was approved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PairingPoll {
    pub device_code: String,
}

/// Where a pairing stands. A denied, expired or already collected code is an error (4xx), so
/// that the agent stops.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PairingState {
    /// Not approved yet: ask again after the interval.
    Pending,
    /// Approved: the agent's own API token, given once, and whose account it uploads to.
    Approved { token: String, email: String },
}

/// Letters of pairing codes: consonants only, so that no code spells a word, and none that are
/// easily confused when read aloud or in a poor font.
pub const PAIRING_CODE_LETTERS: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";

/// A pairing code as people type it (any case, with or without the dash or spaces), in its
/// canonical `XXXX-XXXX` form; `None` when it cannot be one.
pub fn normalize_pairing_code(typed: &str) -> Option<String> {
    if typed.len() > 40 {
        return None;
    }
    let letters: Vec<u8> =
        typed.bytes().filter(|b| !matches!(b, b'-' | b' ' | b'\t')).map(|b| b.to_ascii_uppercase()).collect();
    if letters.len() != 8 || !letters.iter().all(|b| PAIRING_CODE_LETTERS.contains(b)) {
        return None;
    }
    let (first, second) = letters.split_at(4);
    Some(format!("{}-{}", String::from_utf8_lossy(first), String::from_utf8_lossy(second)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairing_codes_are_read_in_any_case_with_or_without_the_dash() {
        assert_eq!(normalize_pairing_code("bcdf-ghjk").as_deref(), Some("BCDF-GHJK"));
        assert_eq!(normalize_pairing_code(" BCDF GHJK ").as_deref(), Some("BCDF-GHJK"));
        assert_eq!(normalize_pairing_code("BCDFGHJK").as_deref(), Some("BCDF-GHJK"));
        assert_eq!(normalize_pairing_code("BCDF-GHJ"), None, "too short");
        assert_eq!(normalize_pairing_code("ABCD-EFGH"), None, "vowels are never in a code");
        assert_eq!(normalize_pairing_code("BCDF-GHJ1"), None);
        assert_eq!(normalize_pairing_code("ÄBCD-GHJK"), None);
    }

    #[test]
    fn a_pairing_state_says_its_status() {
        let pending = serde_json::to_value(PairingState::Pending).expect("serializes");
        assert_eq!(pending, serde_json::json!({"status": "pending"}));
        let approved = PairingState::Approved { token: "kt_x".into(), email: "a@b.c".into() };
        let json = serde_json::to_value(&approved).expect("serializes");
        assert_eq!(json, serde_json::json!({"status": "approved", "token": "kt_x", "email": "a@b.c"}));
    }
}
