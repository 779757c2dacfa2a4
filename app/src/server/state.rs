//! What every request handler and server function can reach.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sqlx::SqlitePool;

use super::auth::{LoginLimiter, SignUpLimiter};
use super::db::Storage;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub pool: SqlitePool,
    pub leptos_options: LeptosOptions,
    pub login_limiter: Arc<LoginLimiter>,
    pub sign_up_limiter: Arc<SignUpLimiter>,
    pub storage: Storage,
}

impl AppState {
    pub fn new(pool: SqlitePool, leptos_options: LeptosOptions) -> AppState {
        AppState {
            pool,
            leptos_options,
            // 10 failures per account and address, 50 per address, in 15 minutes.
            login_limiter: Arc::new(LoginLimiter::new(Duration::from_secs(15 * 60), 10, 50)),
            // 50 an hour per address: an office signing up together is fine, a scan of who has
            // an account is not.
            sign_up_limiter: Arc::new(SignUpLimiter::new(Duration::from_secs(3600), 50)),
            storage: Storage::Writable,
        }
    }

    pub fn with_storage(self, storage: Storage) -> AppState {
        AppState { storage, ..self }
    }
}

/// The server's clock, Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}
