//! Where rate limits count attempts (failed logins, sign-ups, pairing codes): in this process's
//! memory for one server, or in the database when several instances share one PostgreSQL
//! database (`rate_limit_events`), so that spreading attempts over instances buys no more of them.
//! The limits themselves (how many, in which window) are `services::auth::RateLimiter`'s.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sqlx::PgPool;

use super::engine::Database;
use super::postgres::shared;
use crate::server::error::AppError;

/// The longest window any limit counts in: what is older than this is forgotten.
const LONGEST_WINDOW: Duration = Duration::from_secs(3_600);

/// One rate limit's attempts, by key.
pub enum Attempts {
    Memory(Mutex<HashMap<String, Vec<Instant>>>),
    Postgres(PgPool),
}

impl Attempts {
    /// Where a server on `database` counts: in memory for one SQLite server, in the database every
    /// instance on PostgreSQL shares.
    pub fn for_database(database: &Database) -> Attempts {
        match database {
            Database::Sqlite(_) => Attempts::in_memory(),
            Database::Postgres(pool) => Attempts::Postgres(pool.clone()),
        }
    }

    /// Attempts counted in this process alone.
    pub fn in_memory() -> Attempts {
        Attempts::Memory(Mutex::new(HashMap::new()))
    }

    /// How many attempts `key` made in the last `window`, and how long ago the oldest of them was.
    pub async fn within(&self, key: &str, window: Duration) -> Result<(usize, Duration), AppError> {
        match self {
            Attempts::Memory(attempts) => {
                let now = Instant::now();
                let mut attempts = attempts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                let Some(times) = attempts.get_mut(key) else { return Ok((0, Duration::ZERO)) };
                times.retain(|t| now.duration_since(*t) < window);
                let oldest = times.first().map_or(Duration::ZERO, |t| now.duration_since(*t));
                Ok((times.len(), oldest))
            }
            Attempts::Postgres(pool) => {
                let now = unix_millis();
                let since = now - i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
                let (count, oldest) = shared::attempts_since(pool, key, since).await?;
                let age = Duration::from_millis(u64::try_from(now - oldest.unwrap_or(now)).unwrap_or(0));
                Ok((usize::try_from(count).unwrap_or(usize::MAX), age))
            }
        }
    }

    /// Counts an attempt under each key, now.
    pub async fn record(&self, keys: &[&str]) -> Result<(), AppError> {
        match self {
            Attempts::Memory(attempts) => {
                let now = Instant::now();
                let mut attempts = attempts.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                // Forget old entries now and then, so the map cannot grow without bound.
                if attempts.len() > 10_000 {
                    attempts.retain(|_, times| times.last().is_some_and(|t| now.duration_since(*t) < LONGEST_WINDOW));
                }
                for key in keys {
                    attempts.entry((*key).to_string()).or_default().push(now);
                }
            }
            Attempts::Postgres(pool) => {
                let now = unix_millis();
                // What every window has forgotten goes as new attempts come.
                let longest = i64::try_from(LONGEST_WINDOW.as_millis()).unwrap_or(i64::MAX);
                shared::record_attempts(pool, keys, now, now - longest).await?;
            }
        }
        Ok(())
    }

    /// Forgets the attempts under `key` (a successful log-in).
    pub async fn forget(&self, key: &str) -> Result<(), AppError> {
        match self {
            Attempts::Memory(attempts) => {
                attempts.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(key);
            }
            Attempts::Postgres(pool) => shared::forget_attempts(pool, key).await?,
        }
        Ok(())
    }
}

fn unix_millis() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}
