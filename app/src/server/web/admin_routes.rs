//! The JSON API's administration routes (`/api/v1/admin/...`), for scripts with an
//! administrator's token: the people on the server, site invites, the sign-up policy and the
//! audit log. For anyone who is not an administrator every one of them is 404.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use keytrack_wire::ApiError;
use serde::Deserialize;

use super::extract::{ApiUser, json_body, read_query};
use super::state::AppState;
use crate::model::{AuditEvent, NewSiteInvite, PeoplePage, ResetLink, SignUpPolicy, SiteInvite};
use crate::server::error::AppError;
use crate::server::services::{admin, audit, auth, site};

/// A person's id in a path: not a number is nobody.
fn person_id(id: &str) -> Result<i64, AppError> {
    id.parse().map_err(|_| AppError::NotFound)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PeopleParams {
    /// A part of the email or name (any case); empty or absent: everyone.
    #[param(max_length = 200)]
    pub search: Option<String>,
    /// The page, 1 to 1,000,000 (50 people a page, by email).
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<u64>,
}

/// The people on the server.
#[utoipa::path(
    get,
    path = "/api/v1/admin/users",
    params(PeopleParams),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, body = PeoplePage),
        (status = 400, description = "A malformed query", body = ApiError),
        (status = 401, body = ApiError),
        (status = 404, description = "Not an administrator", body = ApiError),
    )
)]
pub async fn people(
    State(state): State<AppState>,
    user: ApiUser,
    params: Result<Query<PeopleParams>, QueryRejection>,
) -> Result<Json<PeoplePage>, AppError> {
    let params = read_query(params)?;
    let search = params.search.unwrap_or_default();
    Ok(Json(admin::people(&state.store.database, user.0, &search, params.page.unwrap_or(1)).await?))
}

/// What changes about a person: each field given is set.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonChange {
    /// A site administrator (the last one who can log in keeps the role).
    pub admin: Option<bool>,
    /// Disabled: sessions end, tokens, pairing and uploads are refused; nothing is deleted.
    pub disabled: Option<bool>,
    /// The next login asks for a new password first.
    pub must_change_password: Option<bool>,
}

/// Changes a person: administrator, disabled, must change password.
#[utoipa::path(
    patch,
    path = "/api/v1/admin/users/{id}",
    params(("id" = i64, Path, description = "The person")),
    request_body = PersonChange,
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 204, description = "Changed"),
        (status = 400, description = "The body is not JSON", body = ApiError),
        (status = 401, body = ApiError),
        (status = 404, description = "No such person, or not an administrator", body = ApiError),
        (status = 409, description = "It would leave no administrator, or disable yourself", body = ApiError),
        (status = 415, body = ApiError),
        (status = 422, body = ApiError),
    )
)]
pub async fn change_person(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, AppError> {
    let change: PersonChange = json_body(&headers, body)?;
    let target = person_id(&id)?;
    let database = &state.store.database;
    auth::require_admin(database, user.0).await?;
    state.store.writable()?;
    if let Some(admin) = change.admin {
        admin::set_admin(database, Some(user.0), target, admin).await?;
    }
    if let Some(disabled) = change.disabled {
        admin::set_disabled(database, &state.live, user.0, target, disabled).await?;
    }
    if let Some(must) = change.must_change_password {
        admin::set_must_change_password(database, user.0, target, must).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes a person's account and everything the server keeps about it.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/users/{id}",
    params(("id" = i64, Path, description = "The person")),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = ApiError),
        (status = 404, description = "No such person, or not an administrator", body = ApiError),
        (status = 409, description = "Yourself, the last administrator, or the only owner of a team with others", body = ApiError),
    )
)]
pub async fn delete_person(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let store = &state.store;
    admin::delete_person(&store.database, store.storage, &state.live, user.0, person_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A one-time link (valid a day) for the person to choose a new password.
#[utoipa::path(
    post,
    path = "/api/v1/admin/users/{id}/reset-link",
    params(("id" = i64, Path, description = "The person")),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, body = ResetLink),
        (status = 401, body = ApiError),
        (status = 404, description = "No such person, or not an administrator", body = ApiError),
    )
)]
pub async fn reset_link(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> Result<Json<ResetLink>, AppError> {
    state.store.writable()?;
    Ok(Json(admin::reset_link(&state.store.database, user.0, person_id(&id)?).await?))
}

/// Every site invite, the newest first.
#[utoipa::path(
    get,
    path = "/api/v1/admin/invites",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<SiteInvite>), (status = 401, body = ApiError), (status = 404, body = ApiError))
)]
pub async fn invites(State(state): State<AppState>, user: ApiUser) -> Result<Json<Vec<SiteInvite>>, AppError> {
    Ok(Json(site::invites(&state.store.database, user.0).await?))
}

/// A new site invite.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    /// The one address that may use it; absent: anyone with the link.
    pub email: Option<String>,
    /// Days it is valid, 1 to 30 (default 7).
    pub valid_days: Option<u32>,
}

/// Makes a site invite: its code is in the answer this once.
#[utoipa::path(
    post,
    path = "/api/v1/admin/invites",
    request_body = InviteRequest,
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, body = NewSiteInvite),
        (status = 400, description = "A bad address or number of days", body = ApiError),
        (status = 401, body = ApiError),
        (status = 404, body = ApiError),
        (status = 415, body = ApiError),
        (status = 422, body = ApiError),
    )
)]
pub async fn create_invite(
    State(state): State<AppState>,
    user: ApiUser,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<NewSiteInvite>, AppError> {
    let request: InviteRequest = json_body(&headers, body)?;
    state.store.writable()?;
    let days = request.valid_days.unwrap_or(site::DEFAULT_INVITE_DAYS);
    Ok(Json(site::create_invite(&state.store.database, user.0, request.email.as_deref(), days).await?))
}

/// Revokes an unused site invite.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/invites/{id}",
    params(("id" = i64, Path, description = "The invite")),
    security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 401, body = ApiError), (status = 404, body = ApiError))
)]
pub async fn revoke_invite(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let invite: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    site::revoke_invite(&state.store.database, user.0, invite).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The sign-up policy.
#[derive(Debug, serde::Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyBody {
    pub policy: SignUpPolicy,
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/sign-up",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = PolicyBody), (status = 401, body = ApiError), (status = 404, body = ApiError))
)]
pub async fn sign_up_policy(State(state): State<AppState>, user: ApiUser) -> Result<Json<PolicyBody>, AppError> {
    auth::require_admin(&state.store.database, user.0).await?;
    Ok(Json(PolicyBody { policy: site::policy(&state.store.database).await? }))
}

#[utoipa::path(
    put,
    path = "/api/v1/admin/sign-up",
    request_body = PolicyBody,
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 204),
        (status = 400, description = "The body is not JSON", body = ApiError),
        (status = 401, body = ApiError),
        (status = 404, body = ApiError),
        (status = 415, body = ApiError),
        (status = 422, description = "Not open, invite or closed", body = ApiError),
    )
)]
pub async fn set_sign_up_policy(
    State(state): State<AppState>,
    user: ApiUser,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, AppError> {
    let body: PolicyBody = json_body(&headers, body)?;
    state.store.writable()?;
    site::set_policy(&state.store.database, Some(user.0), body.policy).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AuditParams {
    /// One action (e.g. `login_failed`); empty or absent: any.
    pub action: Option<String>,
    /// A part of the email of who did it or to whom; empty or absent: anyone.
    #[param(max_length = 200)]
    pub person: Option<String>,
    /// First and last day, UTC, `YYYY-MM-DD`.
    #[param(pattern = "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$")]
    pub from: Option<String>,
    #[param(pattern = "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$")]
    pub to: Option<String>,
    /// Events before this one (its id, from 1: the last of the previous page).
    #[param(minimum = 1, maximum = 9_007_199_254_740_991_i64)]
    pub before: Option<i64>,
}

impl AuditParams {
    fn filter(&self) -> Result<crate::server::store::audit::EventFilter, AppError> {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        // The schema's bounds: an event id, at most JavaScript's largest exact integer.
        if self.before.is_some_and(|before| !(1..=9_007_199_254_740_991).contains(&before)) {
            return Err(AppError::BadRequest("before: an event's id, from 1".into()));
        }
        audit::filter(&text(&self.action), &text(&self.person), &text(&self.from), &text(&self.to))
    }
}

/// Events of the audit log, the newest first, 100 a page.
#[utoipa::path(
    get,
    path = "/api/v1/admin/audit",
    params(AuditParams),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, body = Vec<AuditEvent>),
        (status = 400, description = "An unknown action or a malformed day", body = ApiError),
        (status = 401, body = ApiError),
        (status = 404, body = ApiError),
    )
)]
pub async fn audit_events(
    State(state): State<AppState>,
    user: ApiUser,
    params: Result<Query<AuditParams>, QueryRejection>,
) -> Result<Json<Vec<AuditEvent>>, AppError> {
    let params = read_query(params)?;
    auth::require_admin(&state.store.database, user.0).await?;
    Ok(Json(audit::events(&state.store.database, &params.filter()?, params.before, 100).await?))
}

/// The audit log's events as CSV (every event the filter matches).
#[utoipa::path(
    get,
    path = "/api/v1/admin/audit.csv",
    params(AuditParams),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, content_type = "text/csv", description = "time_utc, action, actor, target, detail, address"),
        (status = 400, body = ApiError),
        (status = 401, body = ApiError),
        (status = 404, body = ApiError),
    )
)]
pub async fn audit_csv(
    State(state): State<AppState>,
    user: ApiUser,
    params: Result<Query<AuditParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let params = read_query(params)?;
    auth::require_admin(&state.store.database, user.0).await?;
    let csv = audit::csv(&state.store.database, &params.filter()?).await?;
    let mut response = csv.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers
        .insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"keytrack-audit.csv\""));
    Ok(response)
}
