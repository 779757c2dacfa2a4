//! Server functions: what the web UI calls. Each is a few lines that find the session user and
//! call into `server::`; the rules live there, shared with the JSON API and the CLI.

use keytrack_wire::{Account, ActivityStats};

use crate::domain::format::LocalClock;
use leptos::prelude::*;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

pub mod account;
pub mod admin;
pub mod data;
pub mod teams;

pub use crate::model::{MinuteTotals, NewToken, PairingPreview, TokenSummary};

/// What a form shows when a server function fails: a sentence for the user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum UiError {
    /// The user can fix this (a weak password, a taken email...).
    #[error("{0}")]
    Rejected(String),
    #[error("Please log in.")]
    NotLoggedIn,
    /// What was asked for is not there, or not the caller's (a team they are not in): pages say
    /// what was looked for rather than this.
    #[error("Not found.")]
    NotFound,
    #[error("Something went wrong on the server. Please try again.")]
    Internal,
    /// The call itself failed (network, server down).
    #[error("Could not reach the server ({0}).")]
    Unreachable(String),
}

impl FromServerFnError for UiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        // On the server, these mean the caller's arguments did not decode: its mistake, a 400
        // (never a 500).
        #[cfg(feature = "ssr")]
        if let ServerFnErrorErr::Args(why)
        | ServerFnErrorErr::MissingArg(why)
        | ServerFnErrorErr::Deserialization(why) = &value
        {
            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                response.set_status(http::StatusCode::BAD_REQUEST);
            }
            return UiError::Rejected(format!("The request's fields are malformed: {why}"));
        }
        UiError::Unreachable(value.to_string())
    }
}

#[cfg(feature = "ssr")]
impl From<crate::server::error::AppError> for UiError {
    fn from(error: crate::server::error::AppError) -> Self {
        use crate::server::error::AppError;
        // The HTTP status says what kind of failure it was (404 for a team the user is not in,
        // 4xx for the user's mistakes), as the JSON API's would.
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(error.status());
        }
        match error {
            AppError::Internal(cause) => {
                tracing::error!(%cause, "internal error in a server function");
                UiError::Internal
            }
            AppError::StorageUnavailable(why) => {
                tracing::warn!("refused a write: {why}");
                UiError::Rejected(why.to_string())
            }
            AppError::NotFound => UiError::NotFound,
            other => UiError::Rejected(other.public_message()),
        }
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use std::net::{IpAddr, SocketAddr};

    use axum::extract::ConnectInfo;
    use leptos::prelude::use_context;
    use tower_sessions::Session;

    use super::UiError;
    use crate::server::store::users::UserRow;
    use crate::server::web::extract::session_user;
    use crate::server::web::state::AppState;

    pub fn state() -> Result<AppState, UiError> {
        use_context::<AppState>().ok_or(UiError::Internal)
    }

    pub async fn session() -> Result<Session, UiError> {
        leptos_axum::extract::<Session>().await.map_err(|_| UiError::Internal)
    }

    /// The logged-in user's account, or `NotLoggedIn`.
    pub async fn user() -> Result<UserRow, UiError> {
        let user = session_user(&state()?.store, &session().await?).await?;
        user.ok_or_else(|| {
            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                response.set_status(http::StatusCode::UNAUTHORIZED);
            }
            UiError::NotLoggedIn
        })
    }

    /// The logged-in user, or `NotLoggedIn`.
    pub async fn user_id() -> Result<i64, UiError> {
        Ok(user().await?.id)
    }

    pub async fn start_session(user_id: i64) -> Result<(), UiError> {
        Ok(crate::server::web::extract::start_session(&state()?.store, &session().await?, user_id).await?)
    }

    /// After a right password (a login, or a reset link): logged in and on to `next`, or on to
    /// the code page when a second factor is asked for.
    pub async fn continue_login(
        step: crate::server::services::accounts::LoginStep,
        next: Option<&str>,
    ) -> Result<(), UiError> {
        use crate::server::services::accounts::LoginStep;
        let next = super::page_after_login(next);
        match step {
            LoginStep::LoggedIn(id) => {
                start_session(id).await?;
                leptos_axum::redirect(next);
            }
            LoginStep::CodeNeeded(id) => {
                crate::server::web::extract::start_pending_login(&state()?.store, &session().await?, id).await?;
                let next = if next == "/" {
                    String::new()
                } else {
                    format!("?next={}", crate::domain::format::query_value(next))
                };
                leptos_axum::redirect(&format!("/login/code{next}"));
            }
        }
        Ok(())
    }

    /// `Forbidden` on a server where people sign in with single sign-on only.
    pub fn password_login_on(state: &AppState) -> Result<(), UiError> {
        if state.password_login {
            return Ok(());
        }
        let name = state.sso.as_ref().map_or("single sign-on", |sso| sso.name());
        Err(crate::server::error::AppError::Forbidden(format!(
            "This server signs people in with {name} only: use the \"Sign in with {name}\" button."
        ))
        .into())
    }

    pub fn client_ip() -> Option<IpAddr> {
        use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()))
    }
}

/// The logged-in account, or `None`.
#[server]
pub async fn current_account() -> Result<Option<Account>, UiError> {
    let state = ssr::state()?;
    let session = ssr::session().await?;
    let Some(user) = crate::server::web::extract::session_user(&state.store, &session).await? else {
        return Ok(None);
    };
    Ok(Some(crate::server::services::accounts::account_shown(&state.store.database, user).await?))
}

/// The logged-in person's clock for writing times (their time zone's offsets; see
/// [`LocalClock`]), or UTC for someone logged out.
#[server]
pub async fn my_clock() -> Result<LocalClock, UiError> {
    let state = ssr::state()?;
    let session = ssr::session().await?;
    let Some(user) = crate::server::web::extract::session_user(&state.store, &session).await? else {
        return Ok(LocalClock::utc());
    };
    let account = crate::server::store::users::account_of(user);
    let clock = crate::domain::time::UserClock::of_account(&account).map_err(|_| UiError::Internal)?;
    Ok(clock.local_clock(chrono::Utc::now().timestamp()))
}

/// The address the server is opened at when it was given one (`--public-url`): the commands and
/// links pages give to copy use it rather than the address this browser used.
#[server]
pub async fn public_url() -> Result<Option<String>, UiError> {
    Ok(ssr::state()?.public_url.as_deref().map(str::to_string))
}

/// Where to go after logging in: `next` when it is a path on this site (a join link, say), else
/// the dashboard. Never another site, and never a header-breaking value: only printable ASCII
/// (URLs are percent-encoded), starting with one `/` (`//host`, `/\\host` and `/<TAB>/host`,
/// which browsers read as `//host`, are refused), at most 2,000 characters.
pub fn page_after_login(next: Option<&str>) -> &str {
    match next {
        Some(next)
            if next.starts_with('/')
                && !next.starts_with("//")
                && next.len() <= 2_000
                && next.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            next
        }
        _ => "/",
    }
}

/// The invite code in a page's address (`/join?code=...`, `/signup?invite=...`), if any.
pub fn invite_in(path: &str) -> Option<String> {
    let query = path.split_once('?')?.1;
    query.split('&').find_map(|pair| match pair.split_once('=') {
        Some(("code" | "invite", value)) if !value.is_empty() => Some(value.to_string()),
        _ => None,
    })
}

/// Creates an account, as the server's sign-up policy allows, and logs it in. `timezone` is the
/// browser's; `next`, the page to open then; `invite`, the site or team invite that brought them.
#[server]
pub async fn sign_up(
    email: String,
    password: String,
    timezone: String,
    next: Option<String>,
    invite: Option<String>,
) -> Result<(), UiError> {
    let state = ssr::state()?;
    ssr::password_login_on(&state)?;
    state.sign_up_limiter.attempt(ssr::client_ip()).await?;
    // The invite of the link that brought the person: given, or the team invite they are on their
    // way to (`next` = /join?code=...).
    let invite = invite.filter(|code| !code.trim().is_empty()).or_else(|| next.as_deref().and_then(invite_in));
    let id = crate::server::services::accounts::sign_up_by_policy(
        &state.store.database,
        &email,
        &password,
        &timezone,
        invite.as_deref(),
    )
    .await?;
    ssr::start_session(id).await?;
    leptos_axum::redirect(page_after_login(next.as_deref()));
    Ok(())
}

/// The first step of a login: email and password. With two-factor sign-in on, the code page
/// comes next (the session holds the half-done login, no one is logged in yet).
#[server]
pub async fn log_in(email: String, password: String, next: Option<String>) -> Result<(), UiError> {
    use crate::server::services::accounts;
    let state = ssr::state()?;
    ssr::password_login_on(&state)?;
    let step =
        accounts::log_in(&state.store.database, &state.login_limiter, &email, &password, ssr::client_ip()).await?;
    ssr::continue_login(step, next.as_deref()).await
}

/// The second step of a login: a code of the person's authenticator app, or a recovery code.
#[server]
pub async fn log_in_with_code(code: String, next: Option<String>) -> Result<(), UiError> {
    let state = ssr::state()?;
    let session = ssr::session().await?;
    let Some(id) = crate::server::web::extract::pending_login(&state.store, &session).await? else {
        return Err(crate::server::error::AppError::Unauthorized(
            "Log in with your email and password first: the code must follow within ten minutes.",
        )
        .into());
    };
    crate::server::services::accounts::log_in_with_code(&state.store.database, &state.two_factor_limiter, id, &code)
        .await?;
    ssr::start_session(id).await?;
    leptos_axum::redirect(page_after_login(next.as_deref()));
    Ok(())
}

#[server]
pub async fn log_out() -> Result<(), UiError> {
    ssr::session().await?.flush().await.map_err(|_| UiError::Internal)?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// Every IANA time zone, for the profile form.
#[server]
pub async fn time_zones() -> Result<Vec<String>, UiError> {
    Ok(chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name().to_string()).collect())
}

#[server]
pub async fn save_profile(
    display_name: String,
    timezone: String,
    day_start_hour: u8,
    keyboard_layout: String,
) -> Result<(), UiError> {
    let state = ssr::state()?;
    let id = ssr::user_id().await?;
    crate::server::services::accounts::save_profile(
        &state.store.database,
        id,
        &display_name,
        &timezone,
        day_start_hour,
        &keyboard_layout,
    )
    .await?;
    Ok(())
}

/// Puts an application on the never-count list of the profile.
#[server]
pub async fn add_never_count(name: String) -> Result<(), UiError> {
    let state = ssr::state()?;
    let id = ssr::user_id().await?;
    crate::server::services::accounts::change_never_count(&state.store.database, id, &name, true).await?;
    Ok(())
}

/// Takes an application off the never-count list of the profile.
#[server]
pub async fn remove_never_count(name: String) -> Result<(), UiError> {
    let state = ssr::state()?;
    let id = ssr::user_id().await?;
    crate::server::services::accounts::change_never_count(&state.store.database, id, &name, false).await?;
    Ok(())
}

#[server]
pub async fn list_tokens() -> Result<Vec<TokenSummary>, UiError> {
    let state = ssr::state()?;
    let id = ssr::user_id().await?;
    Ok(crate::server::services::accounts::list_tokens(&state.store.database, id).await?)
}

#[server]
pub async fn create_token(name: String) -> Result<NewToken, UiError> {
    let state = ssr::state()?;
    let id = ssr::user_id().await?;
    let (token_id, token) = crate::server::services::accounts::create_token(&state.store.database, id, &name).await?;
    Ok(NewToken { id: token_id, name: name.trim().to_string(), token })
}

/// The agent's pairing request with this code, for the person to approve.
#[server]
pub async fn pending_pairing(code: String) -> Result<PairingPreview, UiError> {
    let state = ssr::state()?;
    let user = ssr::user_id().await?;
    let now = crate::server::now();
    Ok(crate::server::services::pairing::preview(&state.store.database, &state.pairing_limiter, user, &code, now)
        .await?)
}

/// Approves (the agent then gets a token of the user's) or denies an agent's pairing request.
#[server]
pub async fn decide_pairing(code: String, approve: bool) -> Result<bool, UiError> {
    let state = ssr::state()?;
    let user = ssr::user_id().await?;
    let now = crate::server::now();
    crate::server::services::pairing::decide(&state.store.database, &state.pairing_limiter, user, &code, approve, now)
        .await?;
    Ok(approve)
}

#[server]
pub async fn revoke_token(id: i64) -> Result<(), UiError> {
    let state = ssr::state()?;
    let user = ssr::user_id().await?;
    crate::server::services::accounts::revoke_token(&state.store.database, user, id).await?;
    Ok(())
}

/// The user's activity over the dashboard's date range.
#[server]
pub async fn dashboard_stats(
    range: Option<String>,
    from: Option<String>,
    to: Option<String>,
) -> Result<ActivityStats, UiError> {
    let state = ssr::state()?;
    let id = ssr::user_id().await?;
    let query = crate::domain::range::RangeQuery { range, from, to };
    Ok(crate::server::services::stats::stats_for_query(&state.store.database, id, &query, crate::server::now()).await?)
}

/// Key presses and clicks in each of the last 60 minutes (the live dashboard's last hour).
#[server]
pub async fn last_hour() -> Result<Vec<MinuteTotals>, UiError> {
    let state = ssr::state()?;
    let id = ssr::user_id().await?;
    Ok(crate::server::services::stats::last_hour(&state.store.database, id, crate::server::now()).await?)
}

/// Click and movement heatmaps over the dashboard's date range, and the computers whose positions
/// are not known.
#[server]
pub async fn dashboard_heatmaps(
    range: Option<String>,
    from: Option<String>,
    to: Option<String>,
) -> Result<crate::model::PointerMaps, UiError> {
    let state = ssr::state()?;
    let id = ssr::user_id().await?;
    let query = crate::domain::range::RangeQuery { range, from, to };
    Ok(crate::server::services::stats::dashboard_pointer_maps(&state.store.database, id, &query, crate::server::now())
        .await?)
}

#[cfg(test)]
mod tests {
    use super::page_after_login;

    #[test]
    fn after_login_only_pages_of_this_site() {
        assert_eq!(page_after_login(Some("/join/kti_abc")), "/join/kti_abc");
        assert_eq!(page_after_login(Some("/teams/3?range=30d")), "/teams/3?range=30d");
        let long = format!("/{}", "a".repeat(2_000));
        for elsewhere in [
            None,
            Some(""),
            Some("https://evil.example"),
            Some("//evil.example"),
            Some("/\\evil.example"),
            Some("/\t/evil.example"),
            Some("/\n"),
            Some("/\r\nSet-Cookie: x=1"),
            Some("/\0"),
            Some("/\x7f"),
            Some("/ spaced"),
            Some("/caf\u{e9}"),
            Some(long.as_str()),
        ] {
            assert_eq!(page_after_login(elsewhere), "/", "{elsewhere:?}");
        }
    }
}
