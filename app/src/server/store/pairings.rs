//! Pairing requests (`pairing_requests`): an agent's code waiting for its person's approval.

use super::engine::{Db, on_engine};

/// A pairing request as the server reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PairingRow {
    pub id: i64,
    pub user_code: String,
    pub device_name: String,
    pub platform: String,
    pub agent_version: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub user_id: Option<i64>,
    pub approved: Option<bool>,
    pub collected_at: Option<i64>,
}

macro_rules! select_pairing {
    ($where:literal) => {
        concat!(
            "SELECT id, user_code, device_name, platform, agent_version, created_at, expires_at, user_id, approved,
                    collected_at FROM pairing_requests ",
            $where
        )
    };
}

/// What a new request stores.
pub struct NewPairing<'a> {
    pub device_code_hash: &'a [u8],
    pub user_code: &'a str,
    pub device_name: &'a str,
    pub platform: &'a str,
    pub agent_version: &'a str,
    pub created_at: i64,
    pub expires_at: i64,
}

/// Stores a request; false when its user code is taken by a live one (the caller draws again).
pub async fn insert<'c>(db: impl Into<Db<'c>>, new: &NewPairing<'_>) -> Result<bool, sqlx::Error> {
    let inserted = on_engine!(db.into(), |e| {
        sqlx::query(
            "INSERT INTO pairing_requests
                 (device_code_hash, user_code, device_name, platform, agent_version, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (user_code) DO NOTHING",
        )
        .bind(new.device_code_hash)
        .bind(new.user_code)
        .bind(new.device_name)
        .bind(new.platform)
        .bind(new.agent_version)
        .bind(new.created_at)
        .bind(new.expires_at)
        .execute(e)
        .await
        .map(|done| done.rows_affected())
    })?;
    Ok(inserted == 1)
}

/// Forgets requests that expired a day ago or more (kept that long so that a late agent hears
/// "expired" rather than "unknown").
pub async fn delete_expired<'c>(db: impl Into<Db<'c>>, now: i64) -> Result<(), sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query("DELETE FROM pairing_requests WHERE expires_at < $1")
            .bind(now - 86_400)
            .execute(e)
            .await
            .map(|_| ())
    })
}

pub async fn by_user_code<'c>(db: impl Into<Db<'c>>, user_code: &str) -> Result<Option<PairingRow>, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query_as(select_pairing!("WHERE user_code = $1")).bind(user_code).fetch_optional(e).await
    })
}

pub async fn by_device_code<'c>(db: impl Into<Db<'c>>, hash: &[u8]) -> Result<Option<PairingRow>, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query_as(select_pairing!("WHERE device_code_hash = $1")).bind(hash).fetch_optional(e).await
    })
}

/// Records the person's decision on an undecided, unexpired request; false when it is no longer one.
pub async fn decide<'c>(
    db: impl Into<Db<'c>>,
    id: i64,
    user_id: i64,
    approved: bool,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let decided = on_engine!(db.into(), |e| {
        sqlx::query(
            "UPDATE pairing_requests SET user_id = $1, approved = $2, decided_at = $3
             WHERE id = $4 AND approved IS NULL AND expires_at > $3",
        )
        .bind(user_id)
        .bind(approved)
        .bind(now)
        .bind(id)
        .execute(e)
        .await
        .map(|done| done.rows_affected())
    })?;
    Ok(decided == 1)
}

/// Marks an approved request collected with the token made for it; false when it was collected.
pub async fn collect<'c>(db: impl Into<Db<'c>>, id: i64, token_id: i64, now: i64) -> Result<bool, sqlx::Error> {
    let collected = on_engine!(db.into(), |e| {
        sqlx::query(
            "UPDATE pairing_requests SET token_id = $1, collected_at = $2 WHERE id = $3 AND collected_at IS NULL",
        )
        .bind(token_id)
        .bind(now)
        .bind(id)
        .execute(e)
        .await
        .map(|done| done.rows_affected())
    })?;
    Ok(collected == 1)
}
