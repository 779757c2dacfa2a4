//! What several server instances on one PostgreSQL database share besides the data: the attempts
//! rate limits count (`store::attempts`) and the live view's messages ([`Notifications`], which
//! `services::live::PostgresBus` sends and hears).

use sqlx::PgPool;
use sqlx::postgres::PgListener;

use crate::server::error::AppError;

/// Attempts under `key` since `since` (Unix ms): how many, and the oldest one's time.
pub async fn attempts_since(pool: &PgPool, key: &str, since: i64) -> Result<(i64, Option<i64>), sqlx::Error> {
    sqlx::query_as("SELECT count(*), min(at) FROM rate_limit_events WHERE key = $1 AND at > $2")
        .bind(key)
        .bind(since)
        .fetch_one(pool)
        .await
}

/// Counts an attempt under each key at `now` (Unix ms), and forgets attempts older than
/// `forget_before` (older than every window).
pub async fn record_attempts(pool: &PgPool, keys: &[&str], now: i64, forget_before: i64) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM rate_limit_events WHERE at < $1").bind(forget_before).execute(&mut *tx).await?;
    for key in keys {
        sqlx::query("INSERT INTO rate_limit_events (key, at) VALUES ($1, $2)")
            .bind(key)
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

/// Forgets the attempts under `key` (a successful log-in).
pub async fn forget_attempts(pool: &PgPool, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM rate_limit_events WHERE key = $1").bind(key).execute(pool).await?;
    Ok(())
}

/// The PostgreSQL notification channel of the live view.
pub const CHANNEL: &str = "keytrack_live";

/// Messages to and from every instance on the database: `NOTIFY` and `LISTEN` on [`CHANNEL`].
#[derive(Clone)]
pub struct Notifications {
    pool: PgPool,
}

impl Notifications {
    pub fn new(pool: PgPool) -> Notifications {
        Notifications { pool }
    }

    /// Sends `payload` to every instance that listens (this one too).
    pub async fn send(&self, payload: &str) -> Result<(), AppError> {
        sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(payload).execute(&self.pool).await?;
        Ok(())
    }

    /// A connection that listens, or `None` (with a warning) when none can be had now.
    pub async fn listen(&self) -> Option<Listening> {
        let mut listener = match PgListener::connect_with(&self.pool).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(%error, "the live view cannot listen to the other instances yet");
                return None;
            }
        };
        match listener.listen(CHANNEL).await {
            Ok(()) => Some(Listening(listener)),
            Err(error) => {
                tracing::warn!(%error, "the live view cannot listen to the other instances yet");
                None
            }
        }
    }
}

/// A connection listening on [`CHANNEL`].
pub struct Listening(PgListener);

impl Listening {
    /// The next message's payload; an error when the connection is lost (listen again).
    pub async fn recv(&mut self) -> Result<String, AppError> {
        Ok(self.0.recv().await?.payload().to_string())
    }
}
