//! Pure analytics: no I/O, no SQL. The server feeds these functions rows; tests feed them
//! hand-made records and compare with hand-computed figures.

pub mod format;
pub mod range;
pub mod rollup;
pub mod stats;
pub mod team;
#[cfg(feature = "ssr")]
pub mod time;
