//! The JSON API's own routes (`/api/v1/...`): uploads, statistics, pairing, the account and its
//! teams, and the health check. Each handler reads its input (`extract`) and calls one service.

use std::net::SocketAddr;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::HeaderMap;
use keytrack_wire::data::AgentIdentity;
use keytrack_wire::pairing::{PairingPoll, PairingRequest, PairingStarted, PairingState};
use keytrack_wire::{
    Account, ActivityBatch, ActivityStats, ApiError, IngestReceipt, ScreenHeatmap, TeamStats, TeamSummary,
};

use super::extract::{ApiUser, RangeParams, json_body, read_query};
use super::state::AppState;
use crate::server::error::AppError;
use crate::server::now;
use crate::server::services::{accounts, ingest, pairing, stats, teams};
use crate::server::store::{self, Storage};

/// Upload a batch of per-minute activity records from one device.
#[utoipa::path(
    post,
    path = "/api/v1/activity",
    request_body = ActivityBatch,
    params(
        ("KeyTrack-Capture" = Option<String>, Header, description = "How the agent captures: `x11`, `evdev` (the kernel's input devices, which know no pointer positions) or `hooks`; 1-16 of `a-z 0-9 -`, anything else is ignored. The server keeps it per device."),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "All records stored (each replaces an earlier copy of its device and minute)", body = IngestReceipt),
        (status = 400, description = "The body is not JSON", body = ApiError),
        (status = 401, description = "Missing, unknown or revoked token", body = ApiError),
        (status = 403, description = "Sent with a session cookie from another site (no token)", body = ApiError),
        (status = 413, description = "The body is over 1 MiB", body = ApiError),
        (status = 415, description = "The body is not declared application/json", body = ApiError),
        (status = 422, description = "Wrong types or a record breaks a rule; nothing was stored", body = ApiError),
    )
)]
#[tracing::instrument(skip_all, fields(user = user.0))]
pub async fn post_activity(
    State(state): State<AppState>,
    user: ApiUser,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<IngestReceipt>, AppError> {
    let batch: ActivityBatch = json_body(&headers, body)?;
    state.store.writable()?;
    let agent = headers
        .get(http::header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .and_then(AgentIdentity::from_user_agent);
    let capture = headers
        .get(keytrack_wire::data::CAPTURE_HEADER)
        .and_then(|value| value.to_str().ok())
        .and_then(keytrack_wire::data::capture_from_header)
        .map(str::to_string);
    let source = ingest::UploadSource { token_id: user.1, agent, capture };
    let receipt = ingest::upload(&state.store.uploads, &state.live, user.0, source, batch, now()).await?;
    tracing::debug!(accepted = receipt.accepted, replaced = receipt.replaced, "stored a batch");
    Ok(Json(receipt))
}

/// Activity statistics over a range of the user's days.
#[utoipa::path(
    get,
    path = "/api/v1/stats",
    params(RangeParams),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, body = ActivityStats),
        (status = 400, description = "An unknown range, a malformed or out-of-bounds date, from after to, or more than 3,660 days", body = ApiError),
        (status = 401, body = ApiError),
    )
)]
#[tracing::instrument(skip_all, fields(user = user.0))]
pub async fn get_stats(
    State(state): State<AppState>,
    user: ApiUser,
    query: Result<Query<RangeParams>, QueryRejection>,
) -> Result<Json<ActivityStats>, AppError> {
    let query = read_query(query)?;
    Ok(Json(stats::stats_for_query(&state.store.database, user.0, &query.into(), now()).await?))
}

/// Where the pointer clicked and moved over a range of the user's days: one 64x36 grid of counts
/// per display, with where the display sat on its desktop (the dashboard's click and movement
/// heatmaps), the most used first.
#[utoipa::path(
    get,
    path = "/api/v1/heatmaps",
    params(RangeParams),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, body = Vec<ScreenHeatmap>),
        (status = 400, description = "An unknown range, a malformed or out-of-bounds date, from after to, or more than 3,660 days", body = ApiError),
        (status = 401, body = ApiError),
    )
)]
#[tracing::instrument(skip_all, fields(user = user.0))]
pub async fn get_heatmaps(
    State(state): State<AppState>,
    user: ApiUser,
    query: Result<Query<RangeParams>, QueryRejection>,
) -> Result<Json<Vec<ScreenHeatmap>>, AppError> {
    let query = read_query(query)?;
    Ok(Json(stats::heatmaps_for_query(&state.store.database, user.0, &query.into(), now()).await?))
}

/// An agent asks for a pairing code: its person approves the code on `/pair` while logged in, and
/// the agent then collects a token of its own with `POST /api/v1/pairing/token`.
#[utoipa::path(
    post,
    path = "/api/v1/pairing",
    request_body = PairingRequest,
    responses(
        (status = 200, body = PairingStarted),
        (status = 400, description = "The body is not JSON", body = ApiError),
        (status = 413, description = "The body is over 1 MiB", body = ApiError),
        (status = 415, description = "The body is not declared application/json", body = ApiError),
        (status = 422, description = "A field is missing, of the wrong type or too long", body = ApiError),
        (status = 429, description = "Too many codes asked for from this address", body = ApiError),
    )
)]
pub async fn post_pairing(
    State(state): State<AppState>,
    peer: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<PairingStarted>, AppError> {
    let request: PairingRequest = json_body(&headers, body)?;
    state.store.writable()?;
    let ip = peer.map(|axum::Extension(ConnectInfo(address))| address.ip());
    Ok(Json(pairing::start(&state.store.database, &state.pairing_limiter, ip, &request, now()).await?))
}

/// The agent asks whether its code was approved: `pending` (ask again after the interval), or
/// `approved` with its new API token, given once.
#[utoipa::path(
    post,
    path = "/api/v1/pairing/token",
    request_body = PairingPoll,
    responses(
        (status = 200, body = PairingState),
        (status = 400, description = "Unknown or expired code, or not JSON", body = ApiError),
        (status = 403, description = "The person denied the pairing", body = ApiError),
        (status = 409, description = "The code gave its token already", body = ApiError),
        (status = 413, description = "The body is over 1 MiB", body = ApiError),
        (status = 415, description = "The body is not declared application/json", body = ApiError),
        (status = 422, description = "A field is missing or of the wrong type", body = ApiError),
    )
)]
pub async fn post_pairing_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<PairingState>, AppError> {
    let poll: PairingPoll = json_body(&headers, body)?;
    Ok(Json(pairing::collect(&state.store.database, &poll.device_code, now()).await?))
}

/// The account a token (or session) belongs to; the agent checks its token with this.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Account), (status = 401, body = ApiError))
)]
pub async fn get_me(State(state): State<AppState>, user: ApiUser) -> Result<Json<Account>, AppError> {
    Ok(Json(accounts::own_account(&state.store.database, user.0).await?))
}

/// The teams the user is in.
#[utoipa::path(
    get,
    path = "/api/v1/teams",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<TeamSummary>), (status = 401, body = ApiError))
)]
pub async fn get_teams(State(state): State<AppState>, user: ApiUser) -> Result<Json<Vec<TeamSummary>>, AppError> {
    Ok(Json(teams::of_user(&state.store.database, user.0).await?))
}

/// A team's statistics: team totals when at least 3 members contribute, and the figures of the
/// members who chose to share theirs. Each member's days are their own (time zone, day start).
#[utoipa::path(
    get,
    path = "/api/v1/teams/{id}/stats",
    params(("id" = i64, Path, description = "The team"), RangeParams),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, body = TeamStats),
        (status = 400, description = "An unknown range, a malformed or out-of-bounds date, from after to, or more than 3,660 days", body = ApiError),
        (status = 401, body = ApiError),
        (status = 404, description = "No such team, or the user is not in it", body = ApiError),
    )
)]
pub async fn get_team_stats(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    query: Result<Query<RangeParams>, QueryRejection>,
) -> Result<Json<TeamStats>, AppError> {
    // A team id that is not a number is a team that does not exist.
    let team_id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let query = read_query(query)?;
    Ok(Json(teams::stats(&state.store.database, team_id, user.0, &query.into(), now()).await?))
}

/// Liveness: answers 200 when the database answers, with `"storage": "read-only"` while the data
/// dir is read-only (statistics are served, uploads refused).
#[utoipa::path(get, path = "/healthz", responses((status = 200), (status = 500, body = ApiError)))]
pub async fn healthz(State(state): State<AppState>) -> Result<Json<serde_json::Value>, AppError> {
    store::ping(&state.store.database).await?;
    let storage = match state.store.storage {
        Storage::Writable => "writable",
        Storage::ReadOnly => "read-only",
    };
    Ok(Json(serde_json::json!({ "status": "ok", "storage": storage })))
}

/// Liveness for an orchestrator (Docker's health check, Kubernetes' liveness probe): the process
/// answers requests. Nothing else is asked, so that a slow or unreachable database never gets a
/// healthy server restarted; `/healthz/ready` says whether it can do its work.
#[utoipa::path(get, path = "/healthz/live", responses((status = 200)))]
pub async fn healthz_live() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// How long readiness waits for the database before it answers 503.
const READY_WITHIN: std::time::Duration = std::time::Duration::from_secs(2);

/// Readiness: the database answers and takes writes (so uploads can be stored) within 2 s; 503
/// `storage_unavailable` saying why otherwise (a read-only data dir, a replica, a database that
/// does not answer).
#[utoipa::path(get, path = "/healthz/ready", responses((status = 200), (status = 503, body = ApiError)))]
pub async fn healthz_ready(State(state): State<AppState>) -> Result<Json<serde_json::Value>, AppError> {
    state.store.writable()?;
    let database = &state.store.database;
    let checked = tokio::time::timeout(READY_WITHIN, async {
        store::ping(database).await?;
        store::takes_writes(database).await
    })
    .await;
    match checked {
        Ok(Ok(true)) => Ok(Json(serde_json::json!({ "status": "ok", "storage": "writable" }))),
        Ok(Ok(false)) => Err(AppError::StorageUnavailable("the database is a replica: it does not take writes")),
        Ok(Err(error)) => {
            tracing::warn!(%error, "not ready: the database refused a check");
            Err(AppError::StorageUnavailable("the database does not answer"))
        }
        Err(_) => Err(AppError::StorageUnavailable("the database did not answer within 2 s")),
    }
}

pub async fn api_not_found() -> AppError {
    AppError::NotFound
}
