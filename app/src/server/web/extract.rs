//! What handlers take from a request: a JSON body read with clear refusals ([`json_body`]), the
//! range of days ([`RangeParams`]), a query string ([`read_query`]), and who is asking ([`ApiUser`]:
//! an API token, or the session's logged-in user).

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{FromRef, FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tower_sessions::Session;

use super::protect;
use super::state::AppState;
use crate::domain::range::RangeQuery;
use crate::server::error::AppError;
use crate::server::services::auth::user_of_token;
use crate::server::store::users::UserRow;
use crate::server::store::{self, Store};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "keytrack_session";

/// The session key holding the logged-in user's id.
pub const SESSION_USER_ID: &str = "user_id";

/// Reads a JSON body: not declared JSON -> 415, too large -> 413, not JSON (or nested beyond
/// serde_json's 128 levels) -> 400, JSON of the wrong shape -> 422 naming the field.
pub fn json_body<T: DeserializeOwned>(headers: &HeaderMap, body: Result<Bytes, BytesRejection>) -> Result<T, AppError> {
    protect::require_json(headers)?;
    let bytes = body.map_err(|rejection| {
        let cause = std::error::Error::source(&rejection).map(ToString::to_string).unwrap_or_default();
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge
        } else if cause.contains("timeout") || rejection.body_text().contains("timeout") {
            // tower-http's body timeout: the client stopped sending.
            AppError::RequestTimeout
        } else {
            AppError::BadRequest(format!("could not read the body: {rejection}"))
        }
    })?;
    // Every body of this API is an object; serde would also read a struct from an array of its
    // fields in order (`[null, null]`), which no schema allows.
    let object = bytes.iter().find(|b| !b.is_ascii_whitespace()).is_none_or(|&first| first == b'{');
    // Most bodies are fine: parse them directly, and only for a body that fails, find out why.
    if object && let Ok(value) = serde_json::from_slice(&bytes) {
        return Ok(value);
    }
    // Not JSON at all is one mistake...
    serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).map_err(|e| AppError::InvalidJson(e.to_string()))?;
    if !object {
        return Err(AppError::InvalidActivity("the body must be a JSON object ({...})".into()));
    }
    // ...JSON of the wrong shape another: parse again while tracking the path, to say where.
    let mut deserializer = serde_json::Deserializer::from_slice(&bytes);
    let error = match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Ok(_) => return Err(AppError::internal("a body failed to parse once and parsed the second time")),
        Err(error) => error,
    };
    let path = error.path().to_string();
    Err(AppError::InvalidActivity(format!("{path}: {}", error.into_inner())))
}

/// A query string, or 400 saying what is wrong with it.
pub fn read_query<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, AppError> {
    query.map(|Query(q)| q).map_err(|e| AppError::BadRequest(e.body_text()))
}

/// Which days: one rule for every route and page (`domain::range`).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RangeParams {
    /// A preset counted back from the asking user's today: `today`, `7d` (the default), `30d`,
    /// `year`, `all` (from the first day with data, at most ten years). Empty is the default.
    #[param(pattern = "^(today|7d|30d|year|all)?$")]
    pub range: Option<String>,
    /// First day, `YYYY-MM-DD` in the user's time zone, 2000-01-01 to 2100-12-31 (wins over
    /// `range`; empty or absent: 6 days before `to`). Rule: a real date, not after `to`, at most
    /// 3,660 days before it.
    #[param(pattern = "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$")]
    pub from: Option<String>,
    /// Last day, inclusive, 2000-01-01 to 2100-12-31 (empty or absent: the user's today). Rule: a
    /// real date.
    #[param(pattern = "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$")]
    pub to: Option<String>,
}

impl From<RangeParams> for RangeQuery {
    fn from(params: RangeParams) -> RangeQuery {
        RangeQuery { range: params.range, from: params.from, to: params.to }
    }
}

/// The session key holding the generation of the account's sessions it belongs to: once the
/// account moves on (a password reset or change, a disable), the session is over.
pub const SESSION_GENERATION: &str = "generation";

/// The logged-in user of a session, if any: their account, when it exists, is enabled and its
/// sessions are still of the session's generation. A session that is over is emptied.
pub async fn session_user(store: &Store, session: &Session) -> Result<Option<UserRow>, AppError> {
    let Some(user_id) = session.get::<i64>(SESSION_USER_ID).await.map_err(AppError::internal)? else {
        return Ok(None);
    };
    // Sessions from before generations are of the first: valid until the account moves on.
    let generation = session.get::<i64>(SESSION_GENERATION).await.map_err(AppError::internal)?.unwrap_or(0);
    match store::users::by_id(&store.database, user_id).await? {
        Some(user) if user.disabled_at.is_none() && generation == user.session_generation => Ok(Some(user)),
        // Deleted, disabled, or its password reset since: a session of no one.
        _ => {
            session.flush().await.map_err(AppError::internal)?;
            Ok(None)
        }
    }
}

/// Starts the session of `user_id` (a login): a new id, so that a session id planted before login
/// is worth nothing after, of the account's sessions' generation now.
pub async fn start_session(store: &Store, session: &Session, user_id: i64) -> Result<(), AppError> {
    let user = store::users::by_id(&store.database, user_id).await?.ok_or(AppError::NotFound)?;
    session.cycle_id().await.map_err(AppError::internal)?;
    session.remove::<(i64, i64, i64)>(PENDING_LOGIN).await.map_err(AppError::internal)?;
    session.insert(SESSION_USER_ID, user_id).await.map_err(AppError::internal)?;
    session.insert(SESSION_GENERATION, user.session_generation).await.map_err(AppError::internal)
}

/// The session key of a login half done: the account whose password was right, its sessions'
/// generation and when, while a second factor is asked for. Not a login: [`session_user`] reads
/// only [`SESSION_USER_ID`].
const PENDING_LOGIN: &str = "pending_login";

/// How long the code may take after the password.
const PENDING_LOGIN_SECONDS: i64 = 600;

/// The password of `user_id` was right and a code is asked for next: the session (a new id) holds
/// the account, for [`pending_login`] to read, and no one is logged in.
pub async fn start_pending_login(store: &Store, session: &Session, user_id: i64) -> Result<(), AppError> {
    let user = store::users::by_id(&store.database, user_id).await?.ok_or(AppError::NotFound)?;
    session.flush().await.map_err(AppError::internal)?;
    session.cycle_id().await.map_err(AppError::internal)?;
    let pending = (user_id, user.session_generation, crate::server::now());
    session.insert(PENDING_LOGIN, pending).await.map_err(AppError::internal)
}

/// The account of the session's half-done login, if it is recent and the account has not moved on
/// (a password change, a disable) since.
pub async fn pending_login(store: &Store, session: &Session) -> Result<Option<i64>, AppError> {
    let pending = session.get::<(i64, i64, i64)>(PENDING_LOGIN).await.map_err(AppError::internal)?;
    let Some((user_id, generation, since)) = pending else { return Ok(None) };
    if crate::server::now() - since > PENDING_LOGIN_SECONDS {
        return Ok(None);
    }
    Ok(store::users::by_id(&store.database, user_id)
        .await?
        .filter(|user| user.session_generation == generation && user.disabled_at.is_none())
        .map(|user| user.id))
}

/// The user an API request acts for: from `Authorization: Bearer TOKEN`, else from the session
/// cookie. Rejects with 401. The second field is the token's id (`None` for a session).
#[derive(Debug, Clone, Copy)]
pub struct ApiUser(pub i64, pub Option<i64>);

impl<S> FromRequestParts<S> for ApiUser
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let app = AppState::from_ref(state);
        if let Some(header) = parts.headers.get(http::header::AUTHORIZATION) {
            let token = header
                .to_str()
                .ok()
                .and_then(|h| h.strip_prefix("Bearer "))
                .map(str::trim)
                .ok_or(AppError::Unauthorized("the Authorization header must be \"Bearer TOKEN\""))?;
            return user_of_token(&app.store.database, token)
                .await?
                .map(|(user_id, token_id)| ApiUser(user_id, Some(token_id)))
                .ok_or(AppError::Unauthorized("unknown or revoked API token"));
        }
        let session = Session::from_request_parts(parts, state).await.map_err(|(_, why)| AppError::internal(why))?;
        let missing = AppError::Unauthorized("send an API token as \"Authorization: Bearer TOKEN\", or log in");
        let user = session_user(&app.store, &session).await?.ok_or(missing)?;
        Ok(ApiUser(user.id, None))
    }
}
