//! What a site administrator does with the people on the server: list and find them, make and
//! unmake administrators (never the last one), disable and enable accounts, delete them, hand over
//! a reset link, and ask for a new password at the next login. Every call checks that the one
//! asking is an administrator; for anyone else the thing does not exist (404), as a team one is
//! not in. Every change is audited.

use super::audit::{self, Action, Who};
use super::auth::require_admin;
use super::live::Live;
use super::{data, passwords};
use crate::model::{PeoplePage, Person, ResetLink};
use crate::server::error::AppError;
use crate::server::now;
use crate::server::store::{self, Database, Storage};

/// People on a page of the administration page.
pub const PEOPLE_PER_PAGE: u64 = 50;
/// The last page asked for that is not a mistake (50 million people).
pub const MAX_PAGE: u64 = 1_000_000;

/// A page (from 1) of the people whose email or name holds `search`, by email.
pub async fn people(database: &Database, admin: i64, search: &str, page: u64) -> Result<PeoplePage, AppError> {
    require_admin(database, admin).await?;
    let search = search.trim();
    if search.chars().count() > 200 {
        return Err(AppError::BadRequest("The search is at most 200 characters.".into()));
    }
    if !(1..=MAX_PAGE).contains(&page) {
        return Err(AppError::BadRequest(format!("The page is a number from 1 to {MAX_PAGE}.")));
    }
    let offset = i64::try_from((page - 1).saturating_mul(PEOPLE_PER_PAGE)).unwrap_or(i64::MAX);
    let (rows, total) = store::users::people(database, search, PEOPLE_PER_PAGE as i64, offset).await?;
    let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
    let sizes: std::collections::HashMap<i64, i64> =
        store::users::stored_bytes(database, &ids).await?.into_iter().collect();
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    let people = rows
        .into_iter()
        .map(|row| Person {
            stored_bytes: count(sizes.get(&row.id).copied().unwrap_or(0)),
            id: row.id,
            email: row.email,
            name: row.display_name,
            created_at: row.created_at,
            last_login_at: row.last_login_at,
            last_upload: row.last_upload,
            devices: count(row.devices),
            admin: row.is_admin,
            disabled: row.disabled_at.is_some(),
            must_change_password: row.must_change_password,
            two_factor: row.two_factor_on,
        })
        .collect();
    let total = count(total);
    Ok(PeoplePage { people, total, page, pages: total.div_ceil(PEOPLE_PER_PAGE).max(1) })
}

/// The account `target`, which must exist.
async fn person(database: &Database, target: i64) -> Result<store::users::UserRow, AppError> {
    store::users::by_id(database, target).await?.ok_or(AppError::NotFound)
}

const LAST_ADMIN: &str =
    "The server keeps at least one administrator who can log in: make someone else administrator first.";

/// Makes `target` an administrator (`true`) or not; `by` the administrator who did (`None`: the
/// command line). Never takes the role from the last administrator who can log in.
pub async fn set_admin(database: &Database, by: Option<i64>, target: i64, admin: bool) -> Result<(), AppError> {
    if let Some(by) = by {
        require_admin(database, by).await?;
    }
    let user = person(database, target).await?;
    if user.is_admin == admin {
        return Ok(());
    }
    let mut tx = database.begin_write().await?;
    if !admin && user.disabled_at.is_none() && store::users::active_admins(&mut tx).await? <= 1 {
        return Err(AppError::Conflict(LAST_ADMIN.into()));
    }
    store::users::set_admin(&mut tx, target, admin).await?;
    tx.commit().await?;
    let action = if admin { Action::AdminGranted } else { Action::AdminRevoked };
    audit::record(database, action, by.map(Who::Account), Some(Who::Account(target)), "").await
}

/// Disables `target` (`true`) or enables them again. A disabled account keeps everything, but its
/// sessions end at once, its open live streams close, and its tokens, pairing and uploads are
/// refused (403 `account_disabled`): its agents keep what they count until it is enabled again.
pub async fn set_disabled(
    database: &Database,
    live: &Live,
    admin: i64,
    target: i64,
    disabled: bool,
) -> Result<(), AppError> {
    require_admin(database, admin).await?;
    if admin == target && disabled {
        return Err(AppError::Conflict("You cannot disable your own account.".into()));
    }
    let user = person(database, target).await?;
    if user.disabled_at.is_some() == disabled {
        return Ok(());
    }
    let mut tx = database.begin_write().await?;
    if disabled && user.is_admin && store::users::active_admins(&mut tx).await? <= 1 {
        return Err(AppError::Conflict(LAST_ADMIN.into()));
    }
    store::users::set_disabled(&mut tx, target, disabled.then(now)).await?;
    tx.commit().await?;
    if disabled {
        live.end_streams_of(target);
    }
    let action = if disabled { Action::AccountDisabled } else { Action::AccountEnabled };
    audit::record(database, action, Some(Who::Account(admin)), Some(Who::Account(target)), "").await
}

/// Asks `target` for a new password at their next login (`true`), or no longer.
pub async fn set_must_change_password(
    database: &Database,
    admin: i64,
    target: i64,
    must: bool,
) -> Result<(), AppError> {
    require_admin(database, admin).await?;
    person(database, target).await?;
    store::users::set_must_change_password(database, target, must).await?;
    let detail = if must { "at the next login" } else { "no longer" };
    audit::record(database, Action::MustChangePassword, Some(Who::Account(admin)), Some(Who::Account(target)), detail)
        .await
}

/// A one-time link (valid a day) that lets `target` choose a new password: for the administrator
/// to hand over when there is no email, or it does not arrive.
pub async fn reset_link(database: &Database, admin: i64, target: i64) -> Result<ResetLink, AppError> {
    require_admin(database, admin).await?;
    person(database, target).await?;
    passwords::reset_link(database, Some(admin), target).await
}

/// Deletes `target`'s account and everything the server keeps about it, exactly as deleting
/// one's own account does (refused while they alone own a team with other members).
pub async fn delete_person(
    database: &Database,
    storage: Storage,
    live: &Live,
    admin: i64,
    target: i64,
) -> Result<(), AppError> {
    require_admin(database, admin).await?;
    if admin == target {
        return Err(AppError::Conflict("Delete your own account on the \u{201c}Your data\u{201d} page.".into()));
    }
    let user = person(database, target).await?;
    if user.is_admin && user.disabled_at.is_none() && store::users::active_admins(database).await? <= 1 {
        return Err(AppError::Conflict(LAST_ADMIN.into()));
    }
    data::delete_account_of(database, storage, target).await?;
    live.end_streams_of(target);
    audit::record(database, Action::AccountDeleted, Some(Who::Account(admin)), Some(Who::Email(&user.email)), "").await
}
