//! Pairing requests (`pairing_requests`): an agent's code waiting for its person's approval.

use sqlx::SqliteExecutor;

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

const COLUMNS: &str =
    "id, user_code, device_name, platform, agent_version, created_at, expires_at, user_id, approved, collected_at";

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
pub async fn insert(db: impl SqliteExecutor<'_>, new: &NewPairing<'_>) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "INSERT INTO pairing_requests
             (device_code_hash, user_code, device_name, platform, agent_version, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_code) DO NOTHING",
    )
    .bind(new.device_code_hash)
    .bind(new.user_code)
    .bind(new.device_name)
    .bind(new.platform)
    .bind(new.agent_version)
    .bind(new.created_at)
    .bind(new.expires_at)
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Forgets requests that expired a day ago or more (kept that long so that a late agent hears
/// "expired" rather than "unknown").
pub async fn delete_expired(db: impl SqliteExecutor<'_>, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM pairing_requests WHERE expires_at < ?").bind(now - 86_400).execute(db).await?;
    Ok(())
}

pub async fn by_user_code(db: impl SqliteExecutor<'_>, user_code: &str) -> Result<Option<PairingRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM pairing_requests WHERE user_code = ?"))
        .bind(user_code)
        .fetch_optional(db)
        .await
}

pub async fn by_device_code(db: impl SqliteExecutor<'_>, hash: &[u8]) -> Result<Option<PairingRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM pairing_requests WHERE device_code_hash = ?"))
        .bind(hash)
        .fetch_optional(db)
        .await
}

/// Records the person's decision on an undecided, unexpired request; false when it is no longer one.
pub async fn decide(
    db: impl SqliteExecutor<'_>,
    id: i64,
    user_id: i64,
    approved: bool,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE pairing_requests SET user_id = ?, approved = ?, decided_at = ?
         WHERE id = ? AND approved IS NULL AND expires_at > ?",
    )
    .bind(user_id)
    .bind(approved)
    .bind(now)
    .bind(id)
    .bind(now)
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Marks an approved request collected with the token made for it; false when it was collected.
pub async fn collect(db: impl SqliteExecutor<'_>, id: i64, token_id: i64, now: i64) -> Result<bool, sqlx::Error> {
    let result =
        sqlx::query("UPDATE pairing_requests SET token_id = ?, collected_at = ? WHERE id = ? AND collected_at IS NULL")
            .bind(token_id)
            .bind(now)
            .bind(id)
            .execute(db)
            .await?;
    Ok(result.rows_affected() == 1)
}
