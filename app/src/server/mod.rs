//! Server-only code (feature `ssr`): state, auth, ingest, stats, the HTTP router, and the SQL.

pub mod accounts;
pub mod assets;
pub mod auth;
pub mod clock;
pub mod data;
pub mod data_routes;
pub mod db;
pub mod demo;
pub mod downloads;
pub mod error;
pub mod export;
pub mod http;
pub mod ingest;
pub mod listen;
pub mod live;
pub mod memory;
pub mod move_to_postgres;
pub mod pairing;
pub mod protect;
pub mod report;
pub mod rollups;
pub mod state;
pub mod stats;
pub mod streams;
pub mod teams;
pub mod workload;
