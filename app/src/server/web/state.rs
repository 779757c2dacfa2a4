//! What every request handler and server function can reach.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use super::auth::{LoginLimiter, RateLimiter, SignUpLimiter};
use super::db::writer::Writer;
use super::db::{Database, Storage};
use super::downloads::AgentFiles;
use super::error::AppError;
use super::ingest::UploadStore;
use super::live::Live;

#[derive(Clone, FromRef)]
pub struct AppState {
    /// SQLite or PostgreSQL.
    pub database: Database,
    pub leptos_options: LeptosOptions,
    pub login_limiter: Arc<LoginLimiter>,
    pub sign_up_limiter: Arc<SignUpLimiter>,
    /// Pairing codes asked for per address and wrong codes typed per account (`pairing`).
    pub pairing_limiter: Arc<RateLimiter>,
    pub storage: Storage,
    /// Who watches whose data, for the live dashboards.
    pub live: Live,
    /// The agent binaries "Add a computer" offers (`downloads`).
    pub agent_files: Arc<AgentFiles>,
    /// SQLite's upload writer, opened with the state so that its thread lives as long as the
    /// server (`None` on PostgreSQL, or when the file cannot be opened for writing).
    writer: Option<Arc<Writer>>,
}

impl AppState {
    /// The state of a server on `database`. On PostgreSQL the live view reaches the other
    /// instances on the same database (`live::PostgresBus`); it listens before this returns.
    pub async fn new(database: Database, leptos_options: LeptosOptions) -> AppState {
        let (writer, live) = match &database {
            Database::Sqlite(pool) => (Writer::for_file(pool.connect_options().get_filename()).ok(), Live::default()),
            Database::Postgres(pool) => (None, Live::over_postgres(pool.clone()).await),
        };
        // On PostgreSQL every instance counts in the database: see `auth::RateLimiter`.
        let limit = |window| RateLimiter::for_database(window, &database);
        // 10 failures per account and address, 50 per address, in 15 minutes.
        let login_limiter = Arc::new(LoginLimiter::new(limit(Duration::from_secs(15 * 60)), 10, 50));
        // 50 an hour per address: an office signing up together is fine, a scan of who has an
        // account is not.
        let sign_up_limiter = Arc::new(SignUpLimiter::new(limit(Duration::from_secs(3600)), 50));
        let pairing_limiter = Arc::new(limit(Duration::from_secs(600)));
        AppState {
            writer,
            database,
            leptos_options,
            login_limiter,
            sign_up_limiter,
            pairing_limiter,
            storage: Storage::Writable,
            live,
            agent_files: Arc::new(AgentFiles::beside_server()),
        }
    }

    pub fn with_storage(self, storage: Storage) -> AppState {
        AppState { storage, ..self }
    }

    /// Offers the agent binaries in `dir` (`--agent-downloads`) instead of those beside the server.
    pub fn with_agent_downloads(self, dir: PathBuf) -> AppState {
        AppState { agent_files: Arc::new(AgentFiles::in_dir(dir)), ..self }
    }

    /// Where uploads go: on SQLite the server's writer, or, if it could not be opened at start,
    /// another try (whose error says why nothing can be stored).
    pub fn uploads(&self) -> Result<UploadStore, AppError> {
        match (&self.database, &self.writer) {
            (Database::Sqlite(_), Some(writer)) => Ok(UploadStore::Sqlite(writer.clone())),
            (database, _) => UploadStore::of(database),
        }
    }
}

/// The server's clock, Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}
