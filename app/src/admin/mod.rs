//! The admin commands of `keytrack` that are more than a call into a service: the demo account
//! (`demo`), moving a SQLite installation to PostgreSQL (`move_to_postgres`) and loading an export
//! (`import`). Tools apart from the server's own work: `main.rs` runs them, nothing in `server`
//! calls them.

pub mod demo;
pub mod import;
pub mod move_to_postgres;
