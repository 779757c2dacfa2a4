//! Single sign-on as stored (`sso_identities`): which account an OpenID provider's person (its
//! issuer and subject) signs in to.

use super::engine::{Db, on_engine};

/// The account of the provider's person, if they signed in (or were linked) before.
pub async fn account_of<'c>(db: impl Into<Db<'c>>, issuer: &str, subject: &str) -> Result<Option<i64>, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query_scalar("SELECT user_id FROM sso_identities WHERE issuer = $1 AND subject = $2")
            .bind(issuer)
            .bind(subject)
            .fetch_optional(e)
            .await
    })
}

/// Links the provider's person to `user_id`; `false` when the person is linked already (to this
/// account or another: two first sign-ins racing, one wins).
pub async fn link<'c>(
    db: impl Into<Db<'c>>,
    user_id: i64,
    issuer: &str,
    subject: &str,
    email: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query(
            "INSERT INTO sso_identities (user_id, issuer, subject, email, created_at, last_login_at)
             VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (issuer, subject) DO NOTHING",
        )
        .bind(user_id)
        .bind(issuer)
        .bind(subject)
        .bind(email)
        .bind(now)
        .execute(e)
        .await
        .map(|done| done.rows_affected() == 1)
    })
}

pub async fn note_login<'c>(db: impl Into<Db<'c>>, issuer: &str, subject: &str, now: i64) -> Result<(), sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query("UPDATE sso_identities SET last_login_at = $1 WHERE issuer = $2 AND subject = $3")
            .bind(now)
            .bind(issuer)
            .bind(subject)
            .execute(e)
            .await
            .map(|_| ())
    })
}
