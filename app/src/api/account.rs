//! Server functions of one's own account beyond the profile: the password (changed, forgotten,
//! reset with a link), what sign-up asks of a newcomer, and what happened to the account.

use leptos::prelude::*;

use super::UiError;
pub use crate::model::{AuditEvent, SignUpPolicy, TwoFactorSetup, TwoFactorStatus};

#[cfg(feature = "ssr")]
use super::ssr::{client_ip, continue_login, start_session, state, user_id};
#[cfg(feature = "ssr")]
use crate::server::services::accounts::LoginStep;
#[cfg(feature = "ssr")]
use crate::server::services::{audit, passwords, site, two_factor};

/// What the sign-up and login pages say of the server: its sign-up policy, and whether it can
/// email a reset link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ServerWelcome {
    pub sign_up: SignUpPolicy,
    pub sends_email: bool,
    /// No account exists yet: the first one made is the server's administrator.
    pub first_account: bool,
}

#[server]
pub async fn about_server() -> Result<ServerWelcome, UiError> {
    let state = state()?;
    let database = &state.store.database;
    Ok(ServerWelcome {
        sign_up: site::policy(database).await?,
        sends_email: state.reset_mail.is_some(),
        first_account: crate::server::store::users::count(database)
            .await
            .map_err(crate::server::error::AppError::from)?
            == 0,
    })
}

/// How the login and sign-up pages offer to sign in.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignInChoices {
    /// The "Sign in with NAME" button's name, when the server has single sign-on.
    pub sso_name: Option<String>,
    /// Whether email and password work (`--password-login`).
    pub password_login: bool,
    /// Why the last single sign-on in this browser was refused (said once).
    pub sso_refusal: Option<String>,
}

#[server]
pub async fn sign_in_options() -> Result<SignInChoices, UiError> {
    let state = state()?;
    let session = super::ssr::session().await?;
    let refusal = crate::server::web::sso_routes::REFUSAL;
    let sso_refusal = session.remove::<String>(refusal).await.ok().flatten();
    Ok(SignInChoices {
        sso_name: state.sso.as_ref().map(|sso| sso.name().to_string()),
        password_login: state.password_login,
        sso_refusal,
    })
}

/// "Forgot password?": the same answer whether or not the address has an account.
#[server]
pub async fn forgot_password(email: String) -> Result<(), UiError> {
    let state = state()?;
    super::ssr::password_login_on(&state)?;
    let store = &state.store;
    store.writable()?;
    Ok(passwords::forgot(&store.database, state.reset_mail.as_ref(), &state.reset_limiter, &email, client_ip()).await?)
}

/// A new password with a reset link's token; logs in (every other session of the account ends).
#[server]
pub async fn reset_password(token: String, password: String) -> Result<(), UiError> {
    let state = state()?;
    let user = passwords::reset(&state.store.database, &state.reset_limiter, &token, &password, client_ip()).await?;
    // A reset link proves the email, not the second factor: with it on, the code is asked next.
    let step = if two_factor::is_on(&state.store.database, user).await? {
        LoginStep::CodeNeeded(user)
    } else {
        LoginStep::LoggedIn(user)
    };
    continue_login(step, None).await
}

/// A new password, the current one first; every other session of the account ends.
#[server]
pub async fn change_password(current: String, password: String) -> Result<(), UiError> {
    let state = state()?;
    let id = user_id().await?;
    passwords::change(&state.store.database, id, &current, &password).await?;
    // This session goes on: started again after the change.
    start_session(id).await
}

/// The latest events of the account: done by it or to it.
#[server]
pub async fn my_audit_events() -> Result<Vec<AuditEvent>, UiError> {
    Ok(audit::of_user(&state()?.store.database, user_id().await?).await?)
}

/// Whether the account has two-factor sign-in on, its recovery codes left, and whether the server
/// requires it.
#[server]
pub async fn my_two_factor() -> Result<TwoFactorStatus, UiError> {
    Ok(two_factor::status(&state()?.store.database, user_id().await?).await?)
}

/// A new secret to set up two-factor sign-in with (shown once; on only once a code confirms it).
#[server]
pub async fn begin_two_factor() -> Result<TwoFactorSetup, UiError> {
    let state = state()?;
    state.store.writable()?;
    Ok(two_factor::begin_setup(&state.store.database, user_id().await?).await?)
}

/// Confirms the setup with a code from the app: on, and these are the recovery codes (shown once).
#[server]
pub async fn confirm_two_factor(code: String) -> Result<Vec<String>, UiError> {
    Ok(two_factor::confirm_setup(&state()?.store.database, user_id().await?, &code).await?)
}

/// New recovery codes (the password first); the earlier ones stop working.
#[server]
pub async fn renew_recovery_codes(password: String) -> Result<Vec<String>, UiError> {
    Ok(two_factor::renew_recovery_codes(&state()?.store.database, user_id().await?, &password).await?)
}

/// Turns two-factor sign-in off (the password first).
#[server]
pub async fn turn_off_two_factor(password: String) -> Result<(), UiError> {
    Ok(two_factor::turn_off(&state()?.store.database, user_id().await?, &password).await?)
}
