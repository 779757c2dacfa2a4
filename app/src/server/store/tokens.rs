//! API tokens, stored only as their SHA-256.

use super::engine::{Db, on_engine};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

pub async fn insert<'c>(
    db: impl Into<Db<'c>>,
    user_id: i64,
    name: &str,
    hash: &[u8],
    now: i64,
) -> Result<i64, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query_scalar(
            "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(user_id)
        .bind(name)
        .bind(hash)
        .bind(now)
        .fetch_one(e)
        .await
    })
}

/// A live (not revoked) token as the API checks it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LiveToken {
    pub id: i64,
    pub user_id: i64,
    pub token_hash: Vec<u8>,
    pub last_used_at: Option<i64>,
    /// Its account is disabled (its requests are refused, 403 `account_disabled`).
    pub account_disabled: bool,
}

/// The live token with this hash.
pub async fn live_by_hash<'c>(db: impl Into<Db<'c>>, hash: &[u8]) -> Result<Option<LiveToken>, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query_as(
            "SELECT t.id, t.user_id, t.token_hash, t.last_used_at, u.disabled_at IS NOT NULL AS account_disabled
             FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
        )
        .bind(hash)
        .fetch_optional(e)
        .await
    })
}

/// How often a token's "last used" moves: once a minute is plenty for the tokens page, and each
/// move is a write that queues behind uploads.
pub const TOUCH_EVERY_SECONDS: i64 = 60;

/// Notes a use.
pub async fn touch<'c>(db: impl Into<Db<'c>>, id: i64, now: i64) -> Result<(), sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(e)
            .await
            .map(|_| ())
    })?;
    Ok(())
}

/// The user's tokens, newest first, revoked ones included (they show as revoked).
pub async fn list<'c>(db: impl Into<Db<'c>>, user_id: i64) -> Result<Vec<TokenRow>, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query_as(
            "SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens
             WHERE user_id = $1 ORDER BY created_at DESC, id DESC",
        )
        .bind(user_id)
        .fetch_all(e)
        .await
    })
}

/// Revokes the user's token; false when the user has no such live token.
pub async fn revoke<'c>(db: impl Into<Db<'c>>, user_id: i64, id: i64, now: i64) -> Result<bool, sqlx::Error> {
    let revoked = on_engine!(db.into(), |e| {
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
            .bind(now)
            .bind(id)
            .bind(user_id)
            .execute(e)
            .await
            .map(|done| done.rows_affected())
    })?;
    Ok(revoked == 1)
}
