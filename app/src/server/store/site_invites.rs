//! Site invites (`site_invites`): links that let someone make an account when sign-up is by
//! invite. Single use, expiring, revocable, optionally for one address; kept as their SHA-256.

use super::engine::{Db, on_engine};

/// An invite as the administration page lists it (never its code).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SiteInviteRow {
    pub id: i64,
    pub email: Option<String>,
    /// Who made it (their email), if they still have an account.
    pub created_by: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    /// Who used it (their email).
    pub used_by: Option<String>,
    pub revoked_at: Option<i64>,
}

macro_rules! select_invite {
    ($where:literal) => {
        concat!(
            "SELECT i.id, i.email, c.email AS created_by, i.created_at, i.expires_at, i.used_at,
                    u.email AS used_by, i.revoked_at
             FROM site_invites i
             LEFT JOIN users c ON c.id = i.created_by
             LEFT JOIN users u ON u.id = i.used_by ",
            $where
        )
    };
}

pub async fn insert<'c>(
    db: impl Into<Db<'c>>,
    code_hash: &[u8],
    email: Option<&str>,
    created_by: i64,
    now: i64,
    expires_at: i64,
) -> Result<i64, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query_scalar(
            "INSERT INTO site_invites (code_hash, email, created_by, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(code_hash)
        .bind(email)
        .bind(created_by)
        .bind(now)
        .bind(expires_at)
        .fetch_one(e)
        .await
    })
}

/// Every invite, the newest first.
pub async fn list<'c>(db: impl Into<Db<'c>>) -> Result<Vec<SiteInviteRow>, sqlx::Error> {
    on_engine!(db.into(), |e| sqlx::query_as(select_invite!("ORDER BY i.id DESC")).fetch_all(e).await)
}

pub async fn by_hash<'c>(db: impl Into<Db<'c>>, code_hash: &[u8]) -> Result<Option<SiteInviteRow>, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query_as(select_invite!("WHERE i.code_hash = $1")).bind(code_hash).fetch_optional(e).await
    })
}

/// Marks a live invite used by `user_id`; `false` when it was used, revoked or expired meanwhile.
pub async fn use_invite<'c>(db: impl Into<Db<'c>>, id: i64, user_id: i64, now: i64) -> Result<bool, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query(
            "UPDATE site_invites SET used_at = $1, used_by = $2
             WHERE id = $3 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $1",
        )
        .bind(now)
        .bind(user_id)
        .bind(id)
        .execute(e)
        .await
        .map(|done| done.rows_affected() == 1)
    })
}

/// Revokes an unused invite; `false` when there is none such.
pub async fn revoke<'c>(db: impl Into<Db<'c>>, id: i64, now: i64) -> Result<bool, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query("UPDATE site_invites SET revoked_at = $1 WHERE id = $2 AND used_at IS NULL AND revoked_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(e)
            .await
            .map(|done| done.rows_affected() == 1)
    })
}
