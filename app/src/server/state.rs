//! What every request handler and server function can reach.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sqlx::SqlitePool;

use super::auth::{LoginLimiter, RateLimiter, SignUpLimiter};
use super::db::writer::Writer;
use super::db::{Database, Storage};
use super::downloads::AgentFiles;
use super::error::AppError;
use super::live::Live;

#[derive(Clone, FromRef)]
pub struct AppState {
    /// The database: what has moved behind the seam of issue 20 (accounts, tokens) runs on either
    /// engine through this; the rest still reads and writes SQLite through `pool`.
    pub database: Database,
    pub pool: SqlitePool,
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
    /// The upload writer, opened with the state so that its thread lives as long as the server
    /// (`None` when the database cannot be opened for writing).
    writer: Option<Arc<Writer>>,
}

impl AppState {
    pub fn new(pool: SqlitePool, leptos_options: LeptosOptions) -> AppState {
        let writer = Writer::for_file(pool.connect_options().get_filename()).ok();
        AppState {
            writer,
            database: Database::Sqlite(pool.clone()),
            pool,
            leptos_options,
            // 10 failures per account and address, 50 per address, in 15 minutes.
            login_limiter: Arc::new(LoginLimiter::new(Duration::from_secs(15 * 60), 10, 50)),
            // 50 an hour per address: an office signing up together is fine, a scan of who has
            // an account is not.
            sign_up_limiter: Arc::new(SignUpLimiter::new(Duration::from_secs(3600), 50)),
            pairing_limiter: Arc::new(RateLimiter::new(Duration::from_secs(600))),
            storage: Storage::Writable,
            live: Live::default(),
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

    /// The writer uploads go through: the server's, or, if it could not be opened at start,
    /// another try (whose error says why nothing can be stored).
    pub fn upload_writer(&self) -> Result<Arc<Writer>, AppError> {
        match &self.writer {
            Some(writer) => Ok(writer.clone()),
            None => Writer::for_file(self.pool.connect_options().get_filename()),
        }
    }
}

/// The server's clock, Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}
