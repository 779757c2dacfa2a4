//! Single sign-on's two browser routes: the login page's button ([`start`]: off to the identity
//! provider, the flow kept in the session) and the way back ([`callback`]: checked, signed in, on
//! to the page asked for). A refusal goes back to the login page, which says why.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use super::extract::start_session;
use super::state::AppState;
use crate::api::{invite_in, page_after_login};
use crate::server::error::AppError;
use crate::server::services::sso::{self, ProviderAnswer, SignInFlow};

/// The session key of a sign-in on its way (one at a time: a second button press replaces it).
const FLOW: &str = "sso_flow";
/// The session key of why the last sign-in was refused, for the login page to say once.
pub const REFUSAL: &str = "sso_refusal";
/// Where a refusal is shown.
const REFUSED_PAGE: &str = "/login?sso=refused";

#[derive(Debug, Default, Deserialize)]
pub struct StartParams {
    next: Option<String>,
    invite: Option<String>,
    timezone: Option<String>,
}

/// `GET /auth/sso/start`: to the provider's sign-in, with a new state, nonce and PKCE challenge.
pub async fn start(
    State(state): State<AppState>,
    session: Session,
    query: Result<Query<StartParams>, QueryRejection>,
) -> Response {
    let Some(sso) = state.sso.clone() else { return Redirect::to("/login").into_response() };
    let params = query.map(|Query(params)| params).unwrap_or_default();
    let next = page_after_login(params.next.as_deref()).to_string();
    // The invite of the link that brought the person: given, or the team invite of the join page
    // they are on their way to, as the sign-up form does.
    let invite = params.invite.filter(|code| !code.trim().is_empty()).or_else(|| invite_in(&next));
    let timezone: String = params.timezone.unwrap_or_default().chars().take(64).collect();
    let outcome = async {
        let (url, flow) = sso.begin(&next, invite, &timezone).await?;
        session.insert(FLOW, flow).await.map_err(AppError::internal)?;
        Ok::<_, AppError>(url)
    }
    .await;
    match outcome {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(error) => refused(&session, error).await,
    }
}

/// `GET /auth/sso/callback`: the provider's answer. The flow is taken from the session first, so
/// an answer is worth one try.
pub async fn callback(
    State(state): State<AppState>,
    session: Session,
    query: Result<Query<ProviderAnswer>, QueryRejection>,
) -> Response {
    let Some(sso) = state.sso.clone() else { return Redirect::to("/login").into_response() };
    let answer = query.map(|Query(answer)| answer).unwrap_or_default();
    let outcome = async {
        let flow = session.remove::<SignInFlow>(FLOW).await.ok().flatten().ok_or_else(|| {
            AppError::Forbidden(
                "This sign-in was not started in this browser, or was used already: sign in again.".into(),
            )
        })?;
        let identity = sso.finish(&flow, answer).await?;
        state.store.writable()?;
        let id = sso::sign_in(&state.store.database, &sso, &identity, flow.invite.as_deref(), &flow.timezone).await?;
        start_session(&state.store, &session, id).await?;
        Ok::<_, AppError>(flow.next)
    }
    .await;
    match outcome {
        Ok(next) => Redirect::to(page_after_login(Some(&next))).into_response(),
        Err(error) => refused(&session, error).await,
    }
}

/// Back to the login page, which shows `error`'s sentence (an internal error is logged, and says
/// only that).
async fn refused(session: &Session, error: AppError) -> Response {
    if let AppError::Internal(cause) = &error {
        tracing::error!(%cause, "single sign-on failed");
    }
    let _ = session.insert(REFUSAL, error.public_message()).await;
    Redirect::to(REFUSED_PAGE).into_response()
}
