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
    /// A site administrator (a role apart from a team's).
    pub is_admin: bool,
    /// When an administrator disabled the account (`None`: it is enabled).
    pub disabled_at: Option<i64>,
    /// The next login asks for a new password before anything else.
    pub must_change_password: bool,
    pub last_login_at: Option<i64>,
    /// The generation of the account's sessions: a session of an earlier one is over (moved on
    /// by a password reset or change, and a disable).
    pub session_generation: i64,
    /// Two-factor sign-in is on (confirmed): a login asks for a code after the password.
    pub two_factor_on: bool,
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
        is_admin: user.is_admin,
        must_change_password: user.must_change_password,
        two_factor: user.two_factor_on,
        // What the server requires is the service's to add (`accounts::account_shown`).
        must_set_up_two_factor: false,
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
                    CAST(day_start_hour AS BIGINT) AS day_start_hour, keyboard_layout, never_count,
                    is_admin, disabled_at, must_change_password, last_login_at, session_generation,
                    EXISTS (SELECT 1 FROM two_factor t WHERE t.user_id = users.id AND t.confirmed_at IS NOT NULL)
                        AS two_factor_on
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
/// The first account of a server (none there yet) is its administrator.
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
        "INSERT INTO users (id, email, password_hash, display_name, timezone, created_at, is_admin)
         VALUES ((SELECT 1 + max(coalesce((SELECT max(id) FROM users), 0),
                                 coalesce((SELECT max(id) FROM deleted_accounts), 0))),
                 $1, $2, $3, $4, $5, NOT EXISTS (SELECT 1 FROM users))
         ON CONFLICT (email) DO NOTHING RETURNING id",
        // An identity column never gives a number twice. It takes one for every row offered,
        // refused or not: a taken address is looked for first, so that it costs no number (two
        // sign-ups racing for one address still meet the conflict clause).
        "INSERT INTO users (email, password_hash, display_name, timezone, created_at, is_admin)
         SELECT $1, $2, $3, $4, $5, NOT EXISTS (SELECT 1 FROM users)
         WHERE NOT EXISTS (SELECT 1 FROM users WHERE lower(email) = lower($1))
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

/// Makes the user an administrator (`true`) or not.
pub async fn set_admin<'c>(db: impl Into<Db<'c>>, id: i64, admin: bool) -> Result<bool, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query("UPDATE users SET is_admin = $1 WHERE id = $2")
            .bind(admin)
            .bind(id)
            .execute(e)
            .await
            .map(|done| done.rows_affected() == 1)
    })
}

/// How many administrators the server has that can log in (enabled).
pub async fn active_admins<'c>(db: impl Into<Db<'c>>) -> Result<i64, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query_scalar("SELECT count(*) FROM users WHERE is_admin AND disabled_at IS NULL").fetch_one(e).await
    })
}

/// Disables the account at `now` (`Some`) or enables it (`None`); a disable also ends every
/// session of the account.
pub async fn set_disabled<'c>(db: impl Into<Db<'c>>, id: i64, at: Option<i64>) -> Result<bool, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query(
            "UPDATE users SET disabled_at = $1,
                 session_generation = session_generation + CASE WHEN $1 IS NULL THEN 0 ELSE 1 END
             WHERE id = $2",
        )
        .bind(at)
        .bind(id)
        .execute(e)
        .await
        .map(|done| done.rows_affected() == 1)
    })
}

/// The next login asks for a new password first (`true`), or no longer.
pub async fn set_must_change_password<'c>(db: impl Into<Db<'c>>, id: i64, must: bool) -> Result<bool, sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query("UPDATE users SET must_change_password = $1 WHERE id = $2")
            .bind(must)
            .bind(id)
            .execute(e)
            .await
            .map(|done| done.rows_affected() == 1)
    })
}

/// A new password (its argon2id hash): no longer to be changed, and every session of the account
/// is over.
pub async fn set_password<'c>(db: impl Into<Db<'c>>, id: i64, password_hash: &str) -> Result<(), sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query(
            "UPDATE users SET password_hash = $1, must_change_password = $2, session_generation = session_generation + 1
             WHERE id = $3",
        )
        .bind(password_hash)
        .bind(false)
        .bind(id)
        .execute(e)
        .await
        .map(|_| ())
    })
}

/// Notes a login.
pub async fn note_login<'c>(db: impl Into<Db<'c>>, id: i64, now: i64) -> Result<(), sqlx::Error> {
    on_engine!(db.into(), |e| {
        sqlx::query("UPDATE users SET last_login_at = $1 WHERE id = $2").bind(now).bind(id).execute(e).await.map(|_| ())
    })
}

/// One person as the administration page lists them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PersonRow {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
    pub is_admin: bool,
    pub disabled_at: Option<i64>,
    pub must_change_password: bool,
    pub two_factor_on: bool,
    /// Their devices' last upload.
    pub last_upload: Option<i64>,
    pub devices: i64,
}

/// The people whose email or name holds `search` (any case; empty: everyone), by email, a page
/// of `limit` after `offset`, and how many match in all. Each page reads its own rows: the
/// devices of the page's people through `devices`' `(user_id, ...)` index, nothing of the others.
pub async fn people<'c>(
    db: impl Into<Db<'c>>,
    search: &str,
    limit: i64,
    offset: i64,
) -> Result<(Vec<PersonRow>, i64), sqlx::Error> {
    let mut db = db.into();
    let pattern = format!("%{}%", search.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    let matches = "lower(email) LIKE $1 ESCAPE '\\' OR lower(display_name) LIKE $1 ESCAPE '\\'";
    let count_sql = format!("SELECT count(*) FROM users WHERE {matches}");
    let total: i64 = on_engine!(db.reborrow(), |e| sqlx::query_scalar(&count_sql).bind(&pattern).fetch_one(e).await)?;
    // By email as each engine compares it: SQLite's column is COLLATE NOCASE (its unique index
    // serves the order), PostgreSQL's index is on lower(email).
    let order = db.pick("email", "lower(email)");
    let page_sql = format!(
        "SELECT u.id, u.email, u.display_name, u.created_at, u.last_login_at, u.is_admin, u.disabled_at,
                u.must_change_password, EXISTS (
                    SELECT 1 FROM two_factor t WHERE t.user_id = u.id AND t.confirmed_at IS NOT NULL
                ) AS two_factor_on,
                (SELECT max(d.last_seen) FROM devices d WHERE d.user_id = u.id) AS last_upload,
                (SELECT count(*) FROM devices d WHERE d.user_id = u.id) AS devices
         FROM (SELECT * FROM users WHERE {matches} ORDER BY {order} LIMIT $2 OFFSET $3) u
         ORDER BY {order}"
    );
    let rows =
        on_engine!(db, |e| { sqlx::query_as(&page_sql).bind(&pattern).bind(limit).bind(offset).fetch_all(e).await })?;
    Ok((rows, total))
}

/// Bytes the users' minute records, hour blocks and day rollups take (their blobs), by user: what
/// the administration page shows for the people of one page.
pub async fn stored_bytes<'c>(db: impl Into<Db<'c>>, users: &[i64]) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    let mut db = db.into();
    let mut sizes = Vec::with_capacity(users.len());
    for user in users {
        let sql = "SELECT CAST(coalesce((SELECT sum(length(records)) FROM activity_hours WHERE user_id = $1), 0)
                     + coalesce((SELECT sum(length(detail)) FROM activity_blocks WHERE user_id = $1), 0)
                     + coalesce((SELECT sum(length(totals)) FROM activity_days WHERE user_id = $1), 0) AS BIGINT)";
        let bytes: i64 = on_engine!(db.reborrow(), |e| sqlx::query_scalar(sql).bind(user).fetch_one(e).await)?;
        sizes.push((*user, bytes));
    }
    Ok(sizes)
}

/// How many accounts the server has.
pub async fn count<'c>(db: impl Into<Db<'c>>) -> Result<i64, sqlx::Error> {
    on_engine!(db.into(), |e| sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(e).await)
}
