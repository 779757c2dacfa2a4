//! Users on PostgreSQL (`db::users` on SQLite).

use sqlx::PgPool;

/// Inserts a user; `None` when the email is taken (compared without case). Ids are never reused
/// (an identity column never gives a number twice).
pub async fn insert(
    pool: &PgPool,
    email: &str,
    password_hash: &str,
    display_name: &str,
    timezone: &str,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO users (email, password_hash, display_name, timezone, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT ((lower(email))) DO NOTHING RETURNING id",
    )
    .bind(email)
    .bind(password_hash)
    .bind(display_name)
    .bind(timezone)
    .bind(now)
    .fetch_optional(pool)
    .await
}
