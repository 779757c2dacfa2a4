//! Settings an administrator changes while the server runs (`site_settings`): the sign-up policy.

use super::engine::{Db, on_engine};

/// A setting's stored value, if it was ever set.
pub async fn get<'c>(db: impl Into<Db<'c>>, key: &str) -> Result<Option<String>, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query_scalar("SELECT value FROM site_settings WHERE key = $1").bind(key).fetch_optional(e).await
    })
}

pub async fn set<'c>(db: impl Into<Db<'c>>, key: &str, value: &str) -> Result<(), sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query(
            "INSERT INTO site_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(e)
        .await
        .map(|_| ())
    })
}
