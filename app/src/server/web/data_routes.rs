//! The API routes of a user's data (`export`, `report` and `data` hold the rules): CSV, JSON and
//! PDF export, the devices list, and deletion of a range of days, a device or the account.
//! Session or token, like every `/api/v1` route; each acts on the asking user's own data only.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use keytrack_wire::ApiError;
use keytrack_wire::data::{AccountExport, DeletionReceipt, DeviceRename, DeviceSummary};
use serde::Deserialize;

use super::extract::{ApiUser, json_body, read_query};
use super::state::AppState;
use crate::domain::range::RangeQuery;
use crate::server::error::AppError;
use crate::server::now;
use crate::server::services::export::{CsvKind, Download, TeamCsvKind};
use crate::server::services::{data, export, report};

/// What to export, over which days (the dashboard's range rule).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ExportParams {
    /// Personal files: `day` (the default: one row a day, every headline figure), `hour`, `key`,
    /// `shortcut`, `minute` (one row per device and minute with activity). Team files: `members`
    /// (the default), `hours`, `shortcuts`.
    #[param(pattern = "^(day|hour|key|shortcut|minute|members|hours|shortcuts)?$")]
    kind: Option<String>,
    /// A preset counted back from the asking user's today: `today`, `7d` (the default), `30d`,
    /// `year`, `all`.
    #[param(pattern = "^(today|7d|30d|year|all)?$")]
    range: Option<String>,
    /// First day, `YYYY-MM-DD` (wins over `range`).
    #[param(pattern = "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$")]
    from: Option<String>,
    /// Last day, inclusive.
    #[param(pattern = "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$")]
    to: Option<String>,
}

impl ExportParams {
    fn range(&self) -> RangeQuery {
        RangeQuery { range: self.range.clone(), from: self.from.clone(), to: self.to.clone() }
    }
}

/// The days a deletion removes: both required.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DeleteParams {
    /// First day to delete, `YYYY-MM-DD` in the user's time zone.
    #[param(pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    from: Option<String>,
    /// Last day to delete, inclusive.
    #[param(pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
    to: Option<String>,
}

/// The password that confirms an account's deletion.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmDeletion {
    pub password: String,
}

/// A download: streamed, never cached, saved under its name.
fn download(file: Download, content_type: &'static str) -> Response {
    let mut response = Body::from_stream(file.body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Names are made of ASCII letters, digits, dates and dashes: nothing to quote.
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", file.filename)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// The user's figures as CSV (RFC 4180, formula cells defused; a first line starting with `#`
/// names the range, time zone and day start).
#[utoipa::path(
    get,
    path = "/api/v1/export.csv",
    params(ExportParams),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, content_type = "text/csv", description = "The file, streamed"),
        (status = 400, description = "An unknown kind or range, a malformed date, from after to", body = ApiError),
        (status = 401, body = ApiError),
    )
)]
pub async fn own_csv(
    State(state): State<AppState>,
    user: ApiUser,
    params: Result<Query<ExportParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let params = read_query(params)?;
    let kind = CsvKind::parse(params.kind.as_deref())?;
    let file = export::own_csv(&state.store.database, user.0, kind, &params.range(), now()).await?;
    Ok(download(file, "text/csv; charset=utf-8"))
}

/// A team's figures as CSV: exactly what the team dashboard shows this member.
#[utoipa::path(
    get,
    path = "/api/v1/teams/{id}/export.csv",
    params(("id" = i64, Path, description = "The team"), ExportParams),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, content_type = "text/csv", description = "The file"),
        (status = 400, description = "An unknown kind or range, a malformed date, from after to", body = ApiError),
        (status = 401, body = ApiError),
        (status = 404, description = "No such team, or the user is not in it", body = ApiError),
    )
)]
pub async fn team_csv(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    params: Result<Query<ExportParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let team_id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let params = read_query(params)?;
    let kind = TeamCsvKind::parse(params.kind.as_deref())?;
    let file = export::team_csv(&state.store.database, team_id, user.0, kind, &params.range(), now()).await?;
    Ok(download(file, "text/csv; charset=utf-8"))
}

/// A PDF report of the user's figures over the range, like the dashboard: a cover with the
/// headline figures against the period before, activity and typing speed over time, the keyboard,
/// the week rhythm, top keys and shortcuts, clicks by button, click and movement heatmaps.
#[utoipa::path(
    get,
    path = "/api/v1/report.pdf",
    params(ExportParams),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, content_type = "application/pdf", description = "The report"),
        (status = 400, description = "An unknown range, a malformed date, from after to", body = ApiError),
        (status = 401, body = ApiError),
    )
)]
pub async fn own_report(
    State(state): State<AppState>,
    user: ApiUser,
    params: Result<Query<ExportParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let params = read_query(params)?;
    let file = report::own_report(&state.store.database, user.0, &params.range(), now()).await?;
    Ok(download(file, "application/pdf"))
}

/// A PDF report of a team's figures, as its dashboard shows them to this member.
#[utoipa::path(
    get,
    path = "/api/v1/teams/{id}/report.pdf",
    params(("id" = i64, Path, description = "The team"), ExportParams),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, content_type = "application/pdf", description = "The report"),
        (status = 400, description = "An unknown range, a malformed date, from after to", body = ApiError),
        (status = 401, body = ApiError),
        (status = 404, description = "No such team, or the user is not in it", body = ApiError),
    )
)]
pub async fn team_report(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    params: Result<Query<ExportParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let team_id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let params = read_query(params)?;
    let file = report::team_report(&state.store.database, team_id, user.0, &params.range(), now()).await?;
    Ok(download(file, "application/pdf"))
}

/// Everything the server keeps about the user, as JSON (`keytrack import` loads it elsewhere).
#[utoipa::path(
    get,
    path = "/api/v1/export.json",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = AccountExport, description = "The file, streamed"), (status = 401, body = ApiError))
)]
pub async fn account_json(State(state): State<AppState>, user: ApiUser) -> Result<Response, AppError> {
    let file = export::account_json(&state.store.database, user.0, now()).await?;
    Ok(download(file, "application/json"))
}

/// The computers that upload for the user.
#[utoipa::path(
    get,
    path = "/api/v1/devices",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<DeviceSummary>), (status = 401, body = ApiError))
)]
pub async fn devices(State(state): State<AppState>, user: ApiUser) -> Result<Json<Vec<DeviceSummary>>, AppError> {
    Ok(Json(data::devices(&state.store.database, user.0).await?))
}

/// How a device goes.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RemoveDeviceParams {
    /// `true`: keep what it uploaded in the user's figures (the device stays listed, its token
    /// revoked). `false` or absent: delete it too, and sum the user's figures again without it.
    keep_data: Option<bool>,
}

/// Removes a device: revokes the API token it uploads with (and so for any other device that
/// uploads with the same token), and deletes everything it uploaded unless `keep_data=true`.
#[utoipa::path(
    delete,
    path = "/api/v1/devices/{id}",
    params(("id" = i64, Path, description = "The device (`GET /api/v1/devices`)"), RemoveDeviceParams),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, body = DeletionReceipt),
        (status = 400, description = "keep_data is not true or false", body = ApiError),
        (status = 401, body = ApiError),
        (status = 403, description = "Sent with a session cookie from another site", body = ApiError),
        (status = 404, description = "No such device, or not the user's", body = ApiError),
    )
)]
pub async fn delete_device(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    params: Result<Query<RemoveDeviceParams>, QueryRejection>,
) -> Result<Json<DeletionReceipt>, AppError> {
    let device_id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let keep_data = read_query(params)?.keep_data.unwrap_or(false);
    Ok(Json(data::remove_device(&state.store.database, state.store.storage, user.0, device_id, keep_data).await?))
}

/// Names a device on the server: the name the agent sends no longer replaces it.
#[utoipa::path(
    patch,
    path = "/api/v1/devices/{id}",
    params(("id" = i64, Path, description = "The device (`GET /api/v1/devices`)")),
    request_body = DeviceRename,
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 204, description = "Renamed"),
        (status = 400, description = "The body is not JSON, or the name is empty, too long or has control characters", body = ApiError),
        (status = 401, body = ApiError),
        (status = 403, description = "Sent with a session cookie from another site", body = ApiError),
        (status = 404, description = "No such device, or not the user's", body = ApiError),
        (status = 415, description = "The body is not declared application/json", body = ApiError),
        (status = 422, description = "The body has no name, or other fields", body = ApiError),
    )
)]
pub async fn rename_device(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, AppError> {
    let rename: DeviceRename = json_body(&headers, body)?;
    let device_id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    data::rename_device(&state.store.database, state.store.storage, user.0, device_id, &rename.name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes the user's activity on the days `from..=to` (their time zone and day start).
#[utoipa::path(
    delete,
    path = "/api/v1/activity",
    params(DeleteParams),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, body = DeletionReceipt),
        (status = 400, description = "A day missing or malformed, or from after to", body = ApiError),
        (status = 401, body = ApiError),
        (status = 403, description = "Sent with a session cookie from another site", body = ApiError),
    )
)]
pub async fn delete_activity(
    State(state): State<AppState>,
    user: ApiUser,
    params: Result<Query<DeleteParams>, QueryRejection>,
) -> Result<Json<DeletionReceipt>, AppError> {
    let params = read_query(params)?;
    let (from, to) = data::deletion_days(params.from.as_deref(), params.to.as_deref())?;
    Ok(Json(data::delete_days(&state.store.database, state.store.storage, user.0, from, to).await?))
}

/// Deletes the account and everything the server keeps about it; the password confirms it.
#[utoipa::path(
    delete,
    path = "/api/v1/me",
    request_body = ConfirmDeletion,
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 204, description = "The account is gone"),
        (status = 400, description = "The body is not JSON", body = ApiError),
        (status = 401, body = ApiError),
        (status = 403, description = "Wrong password, or a session cookie from another site", body = ApiError),
        (status = 409, description = "The user is the only owner of a team with other members", body = ApiError),
        (status = 415, description = "The body is not declared application/json", body = ApiError),
        (status = 422, description = "The body has no password", body = ApiError),
    )
)]
pub async fn delete_me(
    State(state): State<AppState>,
    user: ApiUser,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, AppError> {
    let confirm: ConfirmDeletion = json_body(&headers, body)?;
    data::delete_account(&state.store.database, state.store.storage, user.0, &confirm.password).await?;
    Ok(StatusCode::NO_CONTENT)
}
