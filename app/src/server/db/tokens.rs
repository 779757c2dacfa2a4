//! API tokens, stored only as their SHA-256.

use sqlx::SqlitePool;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

pub async fn insert(
    db: impl sqlx::SqliteExecutor<'_>,
    user_id: i64,
    name: &str,
    hash: &[u8],
    now: i64,
) -> Result<i64, sqlx::Error> {
    let result = sqlx::query("INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?)")
        .bind(user_id)
        .bind(name)
        .bind(hash)
        .bind(now)
        .execute(db)
        .await?;
    Ok(result.last_insert_rowid())
}

/// A live (not revoked) token as the API checks it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LiveToken {
    pub id: i64,
    pub user_id: i64,
    pub token_hash: Vec<u8>,
    pub last_used_at: Option<i64>,
}

/// The live token with this hash.
pub async fn live_by_hash(pool: &SqlitePool, hash: &[u8]) -> Result<Option<LiveToken>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, user_id, token_hash, last_used_at FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL",
    )
    .bind(hash)
    .fetch_optional(pool)
    .await
}

/// How often a token's "last used" moves: once a minute is plenty for the tokens page, and each
/// move is a write that queues behind uploads.
pub const TOUCH_EVERY_SECONDS: i64 = 60;

/// Notes a use.
pub async fn touch(pool: &SqlitePool, id: i64, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE api_tokens SET last_used_at = ? WHERE id = ?").bind(now).bind(id).execute(pool).await?;
    Ok(())
}

/// The user's tokens, newest first, revoked ones included (they show as revoked).
pub async fn list(pool: &SqlitePool, user_id: i64) -> Result<Vec<TokenRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens
         WHERE user_id = ? ORDER BY created_at DESC, id DESC",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await
}

/// Revokes the user's token; false when the user has no such live token.
pub async fn revoke(pool: &SqlitePool, user_id: i64, id: i64, now: i64) -> Result<bool, sqlx::Error> {
    let result =
        sqlx::query("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL")
            .bind(now)
            .bind(id)
            .bind(user_id)
            .execute(pool)
            .await?;
    Ok(result.rows_affected() == 1)
}
