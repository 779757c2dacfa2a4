//! The format the KeyTrack agent uploads and the server answers with: serde types only, plus the
//! rules that say which uploads are valid. Agent, server and the wasm UI share this crate, so the
//! three can never disagree on a field.
//!
//! Privacy is designed into the format: a minute record holds totals (presses, clicks, typing
//! timing, travel), and which keys, chords and screen cells only ever travel in closed hour blocks
//! of at least [`MIN_BLOCK_PRESSES`] presses (see [`blocks`]): never text, never the order in which
//! keys were pressed, never a handful of keys typed alone.

mod activity;
mod answers;
pub mod apps;
pub mod blocks;
pub mod data;
pub mod fingers;
pub mod keys;
pub mod live;
pub mod pairing;
pub mod teams;
mod validate;

pub use activity::*;
pub use answers::*;
pub use apps::{AppUsage, app_name, never_counts};
pub use blocks::{BlockFolder, hour_of};
pub use fingers::PairCounts;
pub use keys::{Chord, KEY_CODES, Modifier, is_correction_key, is_known_key, is_modifier_key, is_text_key, key_index};
pub use teams::{
    ChordCount, HUMAN_MAX_CLICKS_PER_MINUTE, HUMAN_MAX_PRESSES_PER_MINUTE, HUMAN_MAX_WPM, MIN_CONTRIBUTORS,
    MemberFigures, TeamErgonomics, TeamRole, TeamStats, TeamSummary, TeamTotals,
};
pub use validate::{InvalidActivity, limits};
