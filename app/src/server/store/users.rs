//! Users and their profile.

use keytrack_wire::Account;

use super::engine::{Db, on_engine};
use crate::domain::layouts::KeyboardLayout;
use crate::domain::time::UserClock;
use crate::server::error::AppError;

/// A user as the server sees it. Deliberately not `Serialize`: it holds the password hash.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    pub display_name: String,
    pub timezone: String,
    pub day_start_hour: i64,
    pub keyboard_layout: String,
    /// Applications never counted, a JSON array of names.
    pub never_count: String,
}

/// The account a user row shows its owner (everything but the password hash and the id).
pub fn account_of(user: UserRow) -> Account {
    Account {
        email: user.email,
        display_name: user.display_name,
        timezone: user.timezone,
        day_start_hour: u8::try_from(user.day_start_hour).unwrap_or(0),
        keyboard_layout: KeyboardLayout::or_us(&user.keyboard_layout).id().to_string(),
        never_count: never_count_list(&user.never_count),
    }
}

/// The user's clock, read inside a transaction (so it cannot change while the transaction writes),
/// or through a pool; a zone the server no longer knows falls back to UTC.
pub async fn clock_in<'c>(db: impl Into<Db<'c>>, user_id: i64) -> Result<UserClock, AppError> {
    let user = by_id(db, user_id).await?.ok_or(AppError::NotFound)?;
    UserClock::stored(&user.timezone, u8::try_from(user.day_start_hour).unwrap_or(0)).map_err(AppError::internal)
}

/// (`day_start_hour` is an INTEGER on PostgreSQL: the cast reads it as the BIGINT SQLite gives.)
macro_rules! select_user {
    ($where:literal) => {
        concat!(
            "SELECT id, email, password_hash, display_name, timezone,
                    CAST(day_start_hour AS BIGINT) AS day_start_hour, keyboard_layout, never_count
             FROM users ",
            $where
        )
    };
}

pub async fn by_email<'c>(db: impl Into<Db<'c>>, email: &str) -> Result<Option<UserRow>, sqlx::Error> {
    let db = db.into();
    // SQLite's column compares without case (COLLATE NOCASE); PostgreSQL's index is on lower(email).
    let sql = db.pick(select_user!("WHERE email = $1"), select_user!("WHERE lower(email) = lower($1)"));
    on_engine!(db, |e| sqlx::query_as(sql).bind(email).fetch_optional(e).await)
}

pub async fn by_id<'c>(db: impl Into<Db<'c>>, id: i64) -> Result<Option<UserRow>, sqlx::Error> {
    on_engine!(db.into(), |e| sqlx::query_as(select_user!("WHERE id = $1")).bind(id).fetch_optional(e).await)
}

/// Inserts a user; `None` when the email is taken (compared without case). Ids are never reused.
pub async fn insert<'c>(
    db: impl Into<Db<'c>>,
    email: &str,
    password_hash: &str,
    display_name: &str,
    timezone: &str,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let db = db.into();
    let sql = db.pick(
        // A new id above every id ever given, deleted accounts' included (see `deleted_accounts`).
        "INSERT INTO users (id, email, password_hash, display_name, timezone, created_at)
         VALUES ((SELECT 1 + max(coalesce((SELECT max(id) FROM users), 0),
                                 coalesce((SELECT max(id) FROM deleted_accounts), 0))),
                 $1, $2, $3, $4, $5)
         ON CONFLICT (email) DO NOTHING RETURNING id",
        // An identity column never gives a number twice. It takes one for every row offered,
        // refused or not: a taken address is looked for first, so that it costs no number (two
        // sign-ups racing for one address still meet the conflict clause).
        "INSERT INTO users (email, password_hash, display_name, timezone, created_at)
         SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM users WHERE lower(email) = lower($1))
         ON CONFLICT ((lower(email))) DO NOTHING RETURNING id",
    );
    on_engine!(db, |e| {
        sqlx::query_scalar(sql)
            .bind(email)
            .bind(password_hash)
            .bind(display_name)
            .bind(timezone)
            .bind(now)
            .fetch_optional(e)
            .await
    })
}

pub async fn set_never_count<'c>(db: impl Into<Db<'c>>, id: i64, apps: &[String]) -> Result<(), sqlx::Error> {
    let apps = serde_json::to_string(apps).unwrap_or_else(|_| "[]".into());
    on_engine!(db.into(), |e| {
        sqlx::query("UPDATE users SET never_count = $1 WHERE id = $2").bind(&apps).bind(id).execute(e).await.map(|_| ())
    })?;
    Ok(())
}

/// A stored never-count list (unreadable text reads as an empty list: the agents' own lists still apply).
pub fn never_count_list(stored: &str) -> Vec<String> {
    serde_json::from_str(stored).unwrap_or_default()
}

pub async fn update_profile<'c>(
    db: impl Into<Db<'c>>,
    id: i64,
    display_name: &str,
    timezone: &str,
    day_start_hour: u8,
    keyboard_layout: &str,
) -> Result<(), sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query(
            "UPDATE users SET display_name = $1, timezone = $2, day_start_hour = $3, keyboard_layout = $4 WHERE id = $5",
        )
        .bind(display_name)
        .bind(timezone)
        .bind(i32::from(day_start_hour))
        .bind(keyboard_layout)
        .bind(id)
        .execute(e)
        .await
        .map(|_| ())
    })?;
    Ok(())
}
