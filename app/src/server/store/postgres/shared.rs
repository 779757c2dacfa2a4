//! What several server instances on one PostgreSQL database share besides the data: the attempts
//! rate limits count (`auth::RateLimiter`) and the live view's messages (`live::PostgresBus`).

use sqlx::PgPool;

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

/// Sends `payload` to every connection that listens on `channel`.
pub async fn notify(pool: &PgPool, channel: &str, payload: &str) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_notify($1, $2)").bind(channel).bind(payload).execute(pool).await?;
    Ok(())
}
