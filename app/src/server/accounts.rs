//! Accounts, profiles and API tokens: what the web UI's forms and the CLI do.

use std::net::IpAddr;

use keytrack_wire::Account;
use sqlx::SqlitePool;

use super::auth::{self, LoginLimiter};
use super::db;
use super::db::users::UserRow;
use super::error::AppError;
use super::state::now;
use crate::domain::layouts::KeyboardLayout;
use crate::domain::time::UserClock;

use crate::model::TokenSummary;

pub(super) fn account_of(user: UserRow) -> Account {
    Account {
        email: user.email,
        display_name: user.display_name,
        timezone: user.timezone,
        day_start_hour: u8::try_from(user.day_start_hour).unwrap_or(0),
        keyboard_layout: KeyboardLayout::or_us(&user.keyboard_layout).id().to_string(),
        never_count: db::users::never_count_list(&user.never_count),
    }
}

/// Puts an application on the user's never-count list (`add`) or takes it off; their agents
/// apply the list from their next upload on.
pub async fn change_never_count(pool: &SqlitePool, user_id: i64, name: &str, add: bool) -> Result<(), AppError> {
    let name = keytrack_wire::app_name(name).ok_or_else(|| {
        AppError::BadRequest(format!(
            "\"{}\" is not an application name: use its program's name as Applications shows it, e.g. keepassxc.",
            name.trim()
        ))
    })?;
    let user = db::users::by_id(pool, user_id).await?.ok_or(AppError::NotFound)?;
    let mut apps = db::users::never_count_list(&user.never_count);
    if add {
        if apps.contains(&name) {
            return Ok(());
        }
        if apps.len() >= keytrack_wire::apps::MAX_NEVER_COUNT {
            return Err(AppError::BadRequest(format!(
                "The list holds at most {} applications.",
                keytrack_wire::apps::MAX_NEVER_COUNT
            )));
        }
        apps.push(name);
        apps.sort();
    } else {
        apps.retain(|a| *a != name);
    }
    db::users::set_never_count(pool, user_id, &apps).await?;
    Ok(())
}

pub async fn account(pool: &SqlitePool, user_id: i64) -> Result<Account, AppError> {
    db::users::by_id(pool, user_id).await?.map(account_of).ok_or(AppError::NotFound)
}

/// Creates an account; the time zone is the browser's (or UTC when it sent none or a bad one).
pub async fn sign_up(pool: &SqlitePool, email: &str, password: &str, timezone: &str) -> Result<i64, AppError> {
    let email = auth::normalize_email(email)?;
    auth::check_new_password(password, &email)?;
    let timezone = if UserClock::new(timezone, 0).is_ok() { timezone } else { "UTC" };
    let hash = auth::hash_password(password.to_string()).await?;
    let display_name = email.split('@').next().unwrap_or_default().to_string();
    db::users::insert(pool, &email, &hash, &display_name, timezone, now())
        .await?
        .ok_or_else(|| AppError::Conflict("An account with this email exists already. Log in instead.".into()))
}

/// Checks email and password, counting failures against the rate limit. The error never says
/// which of the two was wrong.
pub async fn log_in(
    pool: &SqlitePool,
    limiter: &LoginLimiter,
    email: &str,
    password: &str,
    ip: Option<IpAddr>,
) -> Result<i64, AppError> {
    // The same form of the address as sign-up stored (an unusable one simply finds no account).
    let email = auth::normalize_email(email).unwrap_or_else(|_| email.trim().to_string());
    let email = email.as_str();
    limiter.check(email, ip)?;
    let user = db::users::by_email(pool, email).await?;
    let verified = match &user {
        Some(user) => auth::verify_password(password.to_string(), user.password_hash.clone()).await?,
        None => {
            auth::spend_like_a_verification(password.to_string()).await;
            false
        }
    };
    match user {
        Some(user) if verified => {
            limiter.record_success(email, ip);
            Ok(user.id)
        }
        _ => {
            limiter.record_failure(email, ip);
            Err(AppError::Unauthorized("Wrong email or password."))
        }
    }
}

pub async fn save_profile(
    pool: &SqlitePool,
    user_id: i64,
    display_name: &str,
    timezone: &str,
    day_start_hour: u8,
    keyboard_layout: &str,
) -> Result<(), AppError> {
    let display_name = display_name.trim();
    let layout = KeyboardLayout::from_id(keyboard_layout).ok_or_else(|| {
        AppError::BadRequest(format!("\"{keyboard_layout}\" is not a keyboard layout KeyTrack knows."))
    })?;
    if display_name.chars().count() > 100 || display_name.chars().any(char::is_control) {
        return Err(AppError::BadRequest("The display name is at most 100 printable characters.".into()));
    }
    let clock = UserClock::new(timezone, day_start_hour).map_err(AppError::BadRequest)?;
    let mut tx = db::begin_write(pool).await?;
    let before = db::users::by_id(&mut *tx, user_id).await?.ok_or(AppError::NotFound)?;
    db::users::update_profile(&mut *tx, user_id, display_name, timezone, day_start_hour, layout.id()).await?;
    // The user's days move with their time zone and day start: sum them again.
    if before.timezone != timezone || before.day_start_hour != i64::from(day_start_hour) {
        let stored_in = super::clock::clock_of(&account_of(before))?;
        super::rollups::rebuild_from(&mut tx, user_id, stored_in, clock).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A name typed by a user (of a token, a team), trimmed; `None` when empty, longer than `max`
/// characters or holding control characters.
pub fn clean_name(name: &str, max: usize) -> Option<&str> {
    let name = name.trim();
    let fits = !name.is_empty() && name.chars().count() <= max && !name.chars().any(char::is_control);
    fits.then_some(name)
}

/// Creates a named token and returns its id and the token: the only time it is ever shown.
pub async fn create_token(pool: &SqlitePool, user_id: i64, name: &str) -> Result<(i64, String), AppError> {
    let name = clean_name(name, 100).ok_or_else(|| {
        AppError::BadRequest("Name the token (1 to 100 characters), e.g. after the computer it is for.".into())
    })?;
    let (token, hash) = auth::new_token();
    let id = db::tokens::insert(pool, user_id, name, &hash, now()).await?;
    Ok((id, token))
}

pub async fn list_tokens(pool: &SqlitePool, user_id: i64) -> Result<Vec<TokenSummary>, AppError> {
    Ok(db::tokens::list(pool, user_id)
        .await?
        .into_iter()
        .map(|row| TokenSummary {
            id: row.id,
            name: row.name,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            revoked_at: row.revoked_at,
        })
        .collect())
}

/// Revokes one of the user's tokens; another user's token id is simply not found.
pub async fn revoke_token(pool: &SqlitePool, user_id: i64, token_id: i64) -> Result<(), AppError> {
    if db::tokens::revoke(pool, user_id, token_id, now()).await? { Ok(()) } else { Err(AppError::NotFound) }
}
