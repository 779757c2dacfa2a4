//! Users and their profile.

use sqlx::SqlitePool;

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

const USER_COLUMNS: &str =
    "id, email, password_hash, display_name, timezone, day_start_hour, keyboard_layout, never_count";

pub async fn by_email(pool: &SqlitePool, email: &str) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE email = ?")).bind(email).fetch_optional(pool).await
}

pub async fn by_id(db: impl sqlx::SqliteExecutor<'_>, id: i64) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?")).bind(id).fetch_optional(db).await
}

/// Inserts a user; `None` when the email is taken (compared without case). Ids are never reused.
pub async fn insert(
    pool: &SqlitePool,
    email: &str,
    password_hash: &str,
    display_name: &str,
    timezone: &str,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let result = sqlx::query(
        // A new id above every id ever given, deleted accounts' included (see `deleted_accounts`).
        "INSERT INTO users (id, email, password_hash, display_name, timezone, created_at)
         VALUES ((SELECT 1 + max(coalesce((SELECT max(id) FROM users), 0),
                                 coalesce((SELECT max(id) FROM deleted_accounts), 0))),
                 ?, ?, ?, ?, ?)
         ON CONFLICT (email) DO NOTHING",
    )
    .bind(email)
    .bind(password_hash)
    .bind(display_name)
    .bind(timezone)
    .bind(now)
    .execute(pool)
    .await?;
    Ok((result.rows_affected() == 1).then(|| result.last_insert_rowid()))
}

pub async fn set_never_count(pool: &SqlitePool, id: i64, apps: &[String]) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET never_count = ? WHERE id = ?")
        .bind(serde_json::to_string(apps).unwrap_or_else(|_| "[]".into()))
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// A stored never-count list (unreadable text reads as an empty list: the agents' own lists still apply).
pub fn never_count_list(stored: &str) -> Vec<String> {
    serde_json::from_str(stored).unwrap_or_default()
}

pub async fn update_profile(
    db: impl sqlx::SqliteExecutor<'_>,
    id: i64,
    display_name: &str,
    timezone: &str,
    day_start_hour: u8,
    keyboard_layout: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE users SET display_name = ?, timezone = ?, day_start_hour = ?, keyboard_layout = ? WHERE id = ?",
    )
    .bind(display_name)
    .bind(timezone)
    .bind(i64::from(day_start_hour))
    .bind(keyboard_layout)
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}
