//! Two-factor sign-in as stored (`two_factor`, `recovery_codes`): an account's TOTP secret, the
//! step of the last code accepted, and its recovery codes as SHA-256 hashes.

use super::engine::{Db, on_engine};

/// An account's second factor: `confirmed_at` is `None` while it is being set up.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TwoFactorRow {
    pub secret: Vec<u8>,
    pub confirmed_at: Option<i64>,
    pub last_step: i64,
}

pub async fn get<'c>(db: impl Into<Db<'c>>, user_id: i64) -> Result<Option<TwoFactorRow>, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query_as("SELECT secret, confirmed_at, last_step FROM two_factor WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(e)
            .await
    })
}

/// A new secret to set up (replacing one not confirmed yet); `false` when the account has a
/// confirmed one, which only turning it off removes.
pub async fn begin<'c>(db: impl Into<Db<'c>>, user_id: i64, secret: &[u8], now: i64) -> Result<bool, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query(
            "INSERT INTO two_factor (user_id, secret, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at,
                 last_step = 0
             WHERE two_factor.confirmed_at IS NULL",
        )
        .bind(user_id)
        .bind(secret)
        .bind(now)
        .execute(e)
        .await
        .map(|done| done.rows_affected() == 1)
    })
}

/// Confirms the secret being set up with a code of `step`; `false` when there was none to confirm.
pub async fn confirm<'c>(db: impl Into<Db<'c>>, user_id: i64, step: i64, now: i64) -> Result<bool, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query(
            "UPDATE two_factor SET confirmed_at = $1, last_step = $2 WHERE user_id = $3 AND confirmed_at IS NULL",
        )
        .bind(now)
        .bind(step)
        .bind(user_id)
        .execute(e)
        .await
        .map(|done| done.rows_affected() == 1)
    })
}

/// Takes a code of `step`: `false` when a code of this step or a later one was taken already (a
/// replay, or two logins racing with one code: one of them wins).
pub async fn take_step<'c>(db: impl Into<Db<'c>>, user_id: i64, step: i64) -> Result<bool, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query(
            "UPDATE two_factor SET last_step = $1
             WHERE user_id = $2 AND last_step < $1 AND confirmed_at IS NOT NULL",
        )
        .bind(step)
        .bind(user_id)
        .execute(e)
        .await
        .map(|done| done.rows_affected() == 1)
    })
}

/// Removes the account's second factor and its recovery codes; `false` when it had none.
pub async fn remove<'c>(db: impl Into<Db<'c>>, user_id: i64) -> Result<bool, sqlx::Error> {
    let mut db = db.into();
    on_engine!(db.reborrow(), |e| {
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id).execute(e).await.map(|_| ())
    })?;
    on_engine!(db, |e| {
        sqlx::query("DELETE FROM two_factor WHERE user_id = $1")
            .bind(user_id)
            .execute(e)
            .await
            .map(|done| done.rows_affected() == 1)
    })
}

/// The account's recovery codes become `hashes` (the earlier ones no longer work).
pub async fn replace_recovery_codes<'c>(
    db: impl Into<Db<'c>>,
    user_id: i64,
    hashes: &[Vec<u8>],
) -> Result<(), sqlx::Error> {
    let mut db = db.into();
    on_engine!(db.reborrow(), |e| {
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id).execute(e).await.map(|_| ())
    })?;
    for hash in hashes {
        on_engine!(db.reborrow(), |e| {
            sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                .bind(user_id)
                .bind(hash)
                .execute(e)
                .await
                .map(|_| ())
        })?;
    }
    Ok(())
}

/// Uses up the recovery code with this hash; `false` when the account has no such code unused.
pub async fn use_recovery_code<'c>(
    db: impl Into<Db<'c>>,
    user_id: i64,
    code_hash: &[u8],
    now: i64,
) -> Result<bool, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query("UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL")
            .bind(now)
            .bind(user_id)
            .bind(code_hash)
            .execute(e)
            .await
            .map(|done| done.rows_affected() >= 1)
    })
}

/// How many of the account's recovery codes are unused.
pub async fn recovery_codes_left<'c>(db: impl Into<Db<'c>>, user_id: i64) -> Result<i64, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query_scalar("SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL")
            .bind(user_id)
            .fetch_one(e)
            .await
    })
}
