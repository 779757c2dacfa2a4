//! Passwords after sign-up: changed on the profile (the current one first), or reset with a
//! one-time link, sent by email ("Forgot password?", valid an hour) or made by an administrator
//! (valid a day). A link is 256 random bits, kept only as its SHA-256; used once; a reset ends
//! every other session of the account. "Forgot password?" answers the same whether or not the
//! address has an account, and as fast: the link is made and sent after the answer.

use std::net::IpAddr;
use std::sync::Arc;

use super::audit::{self, Action, Who};
use super::auth::{self, RateLimiter, address_key, new_secret, token_hash};
use super::mail::Mailer;
use crate::model::ResetLink;
use crate::server::error::AppError;
use crate::server::now;
use crate::server::store::{self, Database};

/// Every reset token starts with this.
pub const RESET_PREFIX: &str = "ktr_";
/// How long a link sent by email is valid.
pub const EMAIL_LINK_SECS: i64 = 3_600;
/// How long a link an administrator made is valid.
pub const ADMIN_LINK_SECS: i64 = 86_400;
/// "Forgot password?" asked from one address, and wrong links tried from it, per window.
pub const REQUESTS_PER_ADDRESS: usize = 10;
pub const WRONG_LINKS_PER_ADDRESS: usize = 20;
/// Links sent to one account per hour: more asks get the same answer and no email.
pub const EMAILS_PER_ACCOUNT_PER_HOUR: i64 = 3;

/// How a server sends reset links, when it has SMTP settings: the mailer, and the address people
/// open the server at (links in emails never take it from a request's `Host`, which a stranger
/// chooses).
#[derive(Clone)]
pub struct ResetMail {
    pub mailer: Arc<Mailer>,
    pub public_url: String,
}

/// The path of a reset link with this token.
fn link_path(token: &str) -> String {
    format!("/reset?token={token}")
}

/// A new link for `user_id`, valid a day, made by the administrator `by` (`None`: the command
/// line).
pub async fn reset_link(database: &Database, by: Option<i64>, user_id: i64) -> Result<ResetLink, AppError> {
    let (token, hash) = new_secret(RESET_PREFIX);
    let now = now();
    let expires_at = now + ADMIN_LINK_SECS;
    store::password_resets::insert(database, user_id, &hash, by, now, expires_at).await?;
    audit::record(database, Action::ResetLinkCreated, by.map(Who::Account), Some(Who::Account(user_id)), "").await?;
    Ok(ResetLink { path: link_path(&token), expires_at })
}

/// "Forgot password?": when `email` has an enabled account (and has not had too many links this
/// hour), a link valid an hour goes to it. The answer is the same either way, and does not wait
/// for the lookup or the email.
pub async fn forgot(
    database: &Database,
    mail: Option<&ResetMail>,
    limiter: &RateLimiter,
    email: &str,
    ip: Option<IpAddr>,
) -> Result<(), AppError> {
    let Some(mail) = mail else {
        return Err(AppError::Conflict("This server sends no email: ask its administrator for a reset link.".into()));
    };
    let address = format!("reset{}", address_key(ip));
    limiter.check(&[(&address, REQUESTS_PER_ADDRESS)]).await?;
    limiter.record(&[&address]).await?;
    let Ok(email) = auth::normalize_email(email) else { return Ok(()) };
    let (database, mail) = (database.clone(), mail.clone());
    let sent = async move {
        if let Err(error) = send_link(&database, &mail, &email).await {
            tracing::warn!(%error, "a password reset email was not sent");
        }
    };
    // The request's address goes with it into the audit log.
    tokio::spawn(audit::from_address(ip, sent));
    Ok(())
}

async fn send_link(database: &Database, mail: &ResetMail, email: &str) -> Result<(), AppError> {
    let Some(user) = store::users::by_email(database, email).await? else { return Ok(()) };
    if user.disabled_at.is_some() {
        return Ok(());
    }
    let now = now();
    if store::password_resets::made_since(database, user.id, now - 3_600).await? >= EMAILS_PER_ACCOUNT_PER_HOUR {
        return Ok(());
    }
    store::password_resets::delete_expired(database, now).await?;
    let (token, hash) = new_secret(RESET_PREFIX);
    store::password_resets::insert(database, user.id, &hash, None, now, now + EMAIL_LINK_SECS).await?;
    let base = mail.public_url.trim_end_matches('/');
    let body = format!(
        "Someone, hopefully you, asked to reset the password of the KeyTrack account {email} at {base}.\n\n\
         Open this link within an hour to choose a new one (it works once):\n\n{base}{}\n\n\
         If it was not you, ignore this email: your password stays as it is.\n",
        link_path(&token)
    );
    mail.mailer.send(&user.email, "Reset your KeyTrack password", body).await?;
    audit::record(database, Action::PasswordResetRequested, None, Some(Who::Account(user.id)), "by email").await
}

const UNKNOWN_LINK: &str = "This reset link is not valid: ask for a new one.";

/// Sets a new password with a reset link's token; returns the account, whose other sessions are
/// over. A used or expired link says so; wrong tokens count against the address.
pub async fn reset(
    database: &Database,
    limiter: &RateLimiter,
    token: &str,
    password: &str,
    ip: Option<IpAddr>,
) -> Result<i64, AppError> {
    let address = format!("reset-link{}", address_key(ip));
    limiter.check(&[(&address, WRONG_LINKS_PER_ADDRESS)]).await?;
    let token = token.trim();
    let found = if token.starts_with(RESET_PREFIX) && token.len() < 200 {
        store::password_resets::by_hash(database, &token_hash(token)).await?
    } else {
        None
    };
    let Some(link) = found else {
        limiter.record(&[&address]).await?;
        return Err(AppError::BadRequest(UNKNOWN_LINK.into()));
    };
    let now = now();
    if link.used_at.is_some() {
        return Err(AppError::BadRequest("This reset link was used already: ask for a new one.".into()));
    }
    if link.expires_at <= now {
        return Err(AppError::BadRequest("This reset link has expired: ask for a new one.".into()));
    }
    let user =
        store::users::by_id(database, link.user_id).await?.ok_or_else(|| AppError::BadRequest(UNKNOWN_LINK.into()))?;
    if user.disabled_at.is_some() {
        return Err(AppError::AccountDisabled);
    }
    auth::check_new_password(password, &user.email)?;
    let hash = auth::hash_password(password.to_string()).await?;
    let mut tx = database.begin_write().await?;
    if !store::password_resets::use_link(&mut tx, link.id, user.id, now).await? {
        return Err(AppError::BadRequest("This reset link was used already: ask for a new one.".into()));
    }
    store::users::set_password(&mut tx, user.id, &hash).await?;
    store::users::note_login(&mut tx, user.id, now).await?;
    tx.commit().await?;
    audit::record(database, Action::PasswordReset, Some(Who::Account(user.id)), None, "with a reset link").await?;
    Ok(user.id)
}

/// The user changes their password on the profile: the current one first. Every other session
/// of the account is over (the caller starts the current one again).
pub async fn change(database: &Database, user_id: i64, current: &str, new: &str) -> Result<(), AppError> {
    let user = auth::confirm_own_password(database, user_id, current, "That is not your current password.").await?;
    if current == new {
        return Err(AppError::BadRequest("Choose a password other than the current one.".into()));
    }
    auth::check_new_password(new, &user.email)?;
    let hash = auth::hash_password(new.to_string()).await?;
    store::users::set_password(database, user_id, &hash).await?;
    audit::record(database, Action::PasswordChanged, Some(Who::Account(user_id)), None, "").await
}
