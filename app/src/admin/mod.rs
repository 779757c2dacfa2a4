//! The admin commands of `keytrack` that are more than a call into a service: the demo account
//! (`demo`), moving a SQLite installation to PostgreSQL (`move_to_postgres`), loading an export
//! (`import`), online backups (`backup`) and the container's health check (`health`). Tools apart from the server's own work: `main.rs` runs them, nothing in `server`
//! calls them.

pub mod backup;
pub mod demo;
pub mod health;
pub mod import;
pub mod move_to_postgres;
