//! Server-only code (feature `ssr`), in three wings that depend one way (docs/architecture.md):
//!
//! - `web`: the HTTP edge, the only place axum lives: the route table, extractors, the JSON API,
//!   live streams, protection, the listener and the site's files.
//! - `services`: the use cases (accounts, ingest, statistics, teams, export...), which never ask
//!   which database engine they run on.
//! - `store`: all SQL and the one place that chooses the engine (`store::Store::open`).
//!
//! `error` is the one error type all three share, `metrics` what all three count for Prometheus;
//! `memory` the allocator's settings.

pub mod error;
pub mod memory;
pub mod metrics;
pub mod services;
pub mod store;
pub mod web;

/// The server's clock, Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}
