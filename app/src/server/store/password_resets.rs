//! One-time password reset links (`password_resets`), kept as the SHA-256 of their token.

use super::engine::{Db, on_engine};

/// A reset link as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ResetRow {
    pub id: i64,
    pub user_id: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// A new link for the user, made by themselves (`made_by` `None`: the email) or an administrator.
pub async fn insert<'c>(
    db: impl Into<Db<'c>>,
    user_id: i64,
    token_hash: &[u8],
    made_by: Option<i64>,
    now: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query(
            "INSERT INTO password_resets (user_id, token_hash, made_by, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(user_id)
        .bind(token_hash)
        .bind(made_by)
        .bind(now)
        .bind(expires_at)
        .execute(e)
        .await
        .map(|_| ())
    })
}

pub async fn by_hash<'c>(db: impl Into<Db<'c>>, token_hash: &[u8]) -> Result<Option<ResetRow>, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query_as("SELECT id, user_id, expires_at, used_at FROM password_resets WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(e)
            .await
    })
}

/// Marks a live link used; `false` when it was used or expired meanwhile. The user's other links
/// go too: a new password makes every older link worthless.
pub async fn use_link<'c>(db: impl Into<Db<'c>>, id: i64, user_id: i64, now: i64) -> Result<bool, sqlx::Error> {
    let mut db = db.into();
    let used = on_engine!(db.reborrow(), |e| {
        sqlx::query("UPDATE password_resets SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND expires_at > $1")
            .bind(now)
            .bind(id)
            .execute(e)
            .await
            .map(|done| done.rows_affected() == 1)
    })?;
    if used {
        on_engine!(db, |e| {
            sqlx::query("DELETE FROM password_resets WHERE user_id = $1 AND id <> $2 AND used_at IS NULL")
                .bind(user_id)
                .bind(id)
                .execute(e)
                .await
                .map(|_| ())
        })?;
    }
    Ok(used)
}

/// Links made for the user since `since` (the email rate limit per account).
pub async fn made_since<'c>(db: impl Into<Db<'c>>, user_id: i64, since: i64) -> Result<i64, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query_scalar("SELECT count(*) FROM password_resets WHERE user_id = $1 AND created_at > $2")
            .bind(user_id)
            .bind(since)
            .fetch_one(e)
            .await
    })
}

/// Forgets links that expired before `cutoff`.
pub async fn delete_expired<'c>(db: impl Into<Db<'c>>, cutoff: i64) -> Result<(), sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query("DELETE FROM password_resets WHERE expires_at < $1").bind(cutoff).execute(e).await.map(|_| ())
    })
}
