//! Pure analytics: no I/O, no SQL. The server feeds these functions rows; tests feed them
//! hand-made records and compare with hand-computed figures.

pub mod breaks;
pub mod csv;
pub mod drawing;
pub mod ergonomics;
pub mod format;
pub mod install;
pub mod layouts;
pub mod range;
#[cfg(feature = "ssr")]
pub mod report;
pub mod rollup;
pub mod stats;
pub mod team;
#[cfg(feature = "ssr")]
pub mod time;
