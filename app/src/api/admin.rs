//! Server functions of the administration pages. Each checks, through `server::services::admin`,
//! that the one asking is a site administrator; for anyone else they answer 404, as the pages do.

use leptos::prelude::*;

use super::UiError;
pub use crate::model::{AuditEvent, NewSiteInvite, PeoplePage, Person, ResetLink, SignUpPolicy, SiteInvite};

#[cfg(feature = "ssr")]
use super::ssr::{state, user_id};
#[cfg(feature = "ssr")]
use crate::server::services::{admin, audit, auth, site, two_factor};

/// A page (from 1) of the people on the server whose email or name holds `search`.
#[server]
pub async fn admin_people(search: String, page: u64) -> Result<PeoplePage, UiError> {
    Ok(admin::people(&state()?.store.database, user_id().await?, &search, page).await?)
}

#[server]
pub async fn admin_set_admin(person: i64, admin: bool) -> Result<(), UiError> {
    let me = user_id().await?;
    Ok(admin::set_admin(&state()?.store.database, Some(me), person, admin).await?)
}

#[server]
pub async fn admin_set_disabled(person: i64, disabled: bool) -> Result<(), UiError> {
    let state = state()?;
    Ok(admin::set_disabled(&state.store.database, &state.live, user_id().await?, person, disabled).await?)
}

#[server]
pub async fn admin_set_must_change_password(person: i64, must: bool) -> Result<(), UiError> {
    Ok(admin::set_must_change_password(&state()?.store.database, user_id().await?, person, must).await?)
}

/// A one-time link (valid a day) for the person to choose a new password: shown once.
#[server]
pub async fn admin_reset_link(person: i64) -> Result<ResetLink, UiError> {
    Ok(admin::reset_link(&state()?.store.database, user_id().await?, person).await?)
}

/// Removes a person's second factor (a lost phone): they log in with the password alone, and set
/// it up again when the server requires it.
#[server]
pub async fn admin_reset_two_factor(person: i64) -> Result<(), UiError> {
    two_factor::reset(&state()?.store.database, Some(user_id().await?), person).await?;
    Ok(())
}

/// Whether the server requires two-factor sign-in of every password account.
#[server]
pub async fn admin_two_factor_required() -> Result<bool, UiError> {
    let state = state()?;
    auth::require_admin(&state.store.database, user_id().await?).await?;
    Ok(two_factor::required(&state.store.database).await?)
}

#[server]
pub async fn admin_require_two_factor(required: bool) -> Result<(), UiError> {
    Ok(two_factor::set_required(&state()?.store.database, user_id().await?, required).await?)
}

#[server]
pub async fn admin_delete_person(person: i64) -> Result<(), UiError> {
    let state = state()?;
    let store = &state.store;
    Ok(admin::delete_person(&store.database, store.storage, &state.live, user_id().await?, person).await?)
}

#[server]
pub async fn admin_invites() -> Result<Vec<SiteInvite>, UiError> {
    Ok(site::invites(&state()?.store.database, user_id().await?).await?)
}

/// A new site invite, for one address (`email` not empty) or anyone with the link.
#[server]
pub async fn admin_create_invite(email: String, valid_days: u32) -> Result<NewSiteInvite, UiError> {
    let email = Some(email.as_str()).filter(|email| !email.trim().is_empty());
    Ok(site::create_invite(&state()?.store.database, user_id().await?, email, valid_days).await?)
}

#[server]
pub async fn admin_revoke_invite(invite: i64) -> Result<(), UiError> {
    Ok(site::revoke_invite(&state()?.store.database, user_id().await?, invite).await?)
}

#[server]
pub async fn admin_sign_up_policy() -> Result<SignUpPolicy, UiError> {
    let database = &state()?.store.database;
    auth::require_admin(database, user_id().await?).await?;
    Ok(site::policy(database).await?)
}

#[server]
pub async fn admin_set_sign_up_policy(policy: String) -> Result<(), UiError> {
    let policy = SignUpPolicy::parse(&policy).ok_or_else(|| {
        crate::server::error::AppError::BadRequest(format!(
            "A sign-up policy is open, invite or closed, not \"{}\".",
            policy.trim()
        ))
    })?;
    Ok(site::set_policy(&state()?.store.database, Some(user_id().await?), policy).await?)
}

/// Events of the audit log, the newest first: of one action (empty: any), naming someone whose
/// email holds `person`, between two days (UTC, `YYYY-MM-DD`, empty: no bound), before the event
/// `before` (the last of the previous page).
#[server]
pub async fn admin_audit(
    action: String,
    person: String,
    from: String,
    to: String,
    before: Option<i64>,
) -> Result<Vec<AuditEvent>, UiError> {
    let database = &state()?.store.database;
    auth::require_admin(database, user_id().await?).await?;
    let filter = audit::filter(&action, &person, &from, &to)?;
    Ok(audit::events(database, &filter, before, 100).await?)
}
