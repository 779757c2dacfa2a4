//! The HTTP surface: the JSON API for agents and scripts (`/api/v1/...`), `/healthz`, and the
//! Leptos pages and server functions, all behind one session layer.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{any, get, post};
use keytrack_wire::{Account, ActivityBatch, ActivityStats, ApiError, IngestReceipt, TeamStats, TeamSummary, limits};
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tower_sessions::cookie::SameSite;
use tower_sessions::cookie::time::Duration;
use tower_sessions::{Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::SqliteStore;
use utoipa::OpenApi;

use super::auth::ApiUser;
use super::db::Storage;
use super::error::AppError;
use super::state::{AppState, now};
use super::{accounts, ingest, stats, teams};
use crate::domain::range::RangeQuery;
use crate::ui::{App, shell};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "keytrack_session";

/// Builds the whole app. `secure_cookies` marks the session cookie `Secure` (behind HTTPS).
pub async fn router(state: AppState, secure_cookies: bool) -> anyhow::Result<Router> {
    let store = SqliteStore::new(state.pool.clone());
    // A read-only database has the sessions table from when it was writable.
    if state.storage == Storage::Writable {
        store.migrate().await?;
    }
    let sessions = SessionManagerLayer::new(store)
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure_cookies)
        .with_expiry(Expiry::OnInactivity(Duration::days(30)));

    let api = Router::new()
        .route("/api/v1/activity", post(post_activity))
        .route("/api/v1/stats", get(get_stats))
        .route("/api/v1/me", get(get_me))
        .route("/api/v1/teams", get(get_teams))
        .route("/api/v1/teams/{id}/stats", get(get_team_stats))
        .route("/api/v1/openapi.json", get(openapi_json))
        .route("/api/v1/{*rest}", any(api_not_found))
        .route("/healthz", get(healthz))
        .layer(DefaultBodyLimit::max(limits::MAX_BODY_BYTES));

    let routes = generate_route_list(App);
    let app_state = state.clone();
    let app = Router::new()
        .merge(api)
        .leptos_routes_with_context(&state, routes, move || provide_context(app_state.clone()), {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(sessions)
        .layer(axum::middleware::from_fn(server_timing))
        .with_state(state);
    Ok(app)
}

/// Name of the header that carries the server's own time for a request.
pub const SERVER_TIMING: &str = "server-timing";

/// Adds `Server-Timing: app;dur=MS` to every response: the time the server spent on it up to the
/// response's head (session included), which browsers' developer tools show and `keytrack bench`
/// reads, so that its figures are the server's time without the network's.
async fn server_timing(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let started = std::time::Instant::now();
    let mut response = next.run(request).await;
    let value = format!("app;dur={:.3}", started.elapsed().as_secs_f64() * 1000.0);
    if let Ok(value) = http::HeaderValue::from_str(&value) {
        response.headers_mut().insert(SERVER_TIMING, value);
    }
    response
}

/// Reads a JSON body: too large -> 413, not JSON -> 400, wrong shape -> 422 naming the field.
fn json_body<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, AppError> {
    let bytes = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge
        } else {
            AppError::BadRequest(format!("could not read the body: {rejection}"))
        }
    })?;
    // Most bodies are fine: parse them directly, and only for a body that fails, parse again while
    // tracking the path, to say where the problem is (tracking every value doubles the cost).
    if let Ok(value) = serde_json::from_slice(&bytes) {
        return Ok(value);
    }
    let mut deserializer = serde_json::Deserializer::from_slice(&bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => AppError::InvalidActivity(format!("{path}: {inner}")),
            _ => AppError::InvalidJson(inner.to_string()),
        }
    })?;
    deserializer.end().map_err(|e| AppError::InvalidJson(e.to_string()))?;
    Ok(value)
}

/// Upload a batch of per-minute activity records from one device.
#[utoipa::path(
    post,
    path = "/api/v1/activity",
    request_body = ActivityBatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "All records stored (each replaces an earlier copy of its device and minute)", body = IngestReceipt),
        (status = 400, description = "The body is not JSON", body = ApiError),
        (status = 401, description = "Missing, unknown or revoked token", body = ApiError),
        (status = 413, description = "The body is over 1 MiB", body = ApiError),
        (status = 422, description = "Wrong types or a record breaks a rule; nothing was stored", body = ApiError),
    )
)]
#[tracing::instrument(skip_all, fields(user = user.0))]
async fn post_activity(
    State(state): State<AppState>,
    user: ApiUser,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<IngestReceipt>, AppError> {
    let batch: ActivityBatch = json_body(body)?;
    let receipt = ingest::store_batch(&state.pool, user.0, batch, now()).await?;
    tracing::debug!(accepted = receipt.accepted, replaced = receipt.replaced, "stored a batch");
    Ok(Json(receipt))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct StatsQuery {
    /// First day, `YYYY-MM-DD` in the user's time zone (default: 6 days before `to`).
    from: Option<String>,
    /// Last day, inclusive (default: the user's today).
    to: Option<String>,
}

/// Activity statistics over a range of the user's days.
#[utoipa::path(
    get,
    path = "/api/v1/stats",
    params(StatsQuery),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, body = ActivityStats),
        (status = 400, description = "A date is malformed, or from is after to", body = ApiError),
        (status = 401, body = ApiError),
    )
)]
#[tracing::instrument(skip_all, fields(user = user.0))]
async fn get_stats(
    State(state): State<AppState>,
    user: ApiUser,
    query: Result<Query<StatsQuery>, QueryRejection>,
) -> Result<Json<ActivityStats>, AppError> {
    let Query(query) = query.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let from = query.from.as_deref().map(|d| stats::parse_day("from", d)).transpose()?;
    let to = query.to.as_deref().map(|d| stats::parse_day("to", d)).transpose()?;
    Ok(Json(stats::activity_stats(&state.pool, user.0, from, to, now()).await?))
}

/// The account a token (or session) belongs to; the agent checks its token with this.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Account), (status = 401, body = ApiError))
)]
async fn get_me(State(state): State<AppState>, user: ApiUser) -> Result<Json<Account>, AppError> {
    Ok(Json(accounts::account(&state.pool, user.0).await?))
}

/// The teams the user is in.
#[utoipa::path(
    get,
    path = "/api/v1/teams",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<TeamSummary>), (status = 401, body = ApiError))
)]
async fn get_teams(State(state): State<AppState>, user: ApiUser) -> Result<Json<Vec<TeamSummary>>, AppError> {
    Ok(Json(teams::of_user(&state.pool, user.0).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct TeamStatsQuery {
    /// A preset counted back from the asking user's today: `today`, `7d` (the default), `30d`, `year`, `all`.
    range: Option<String>,
    /// First day, `YYYY-MM-DD` (with `to`, a custom range that wins over `range`).
    from: Option<String>,
    /// Last day, inclusive.
    to: Option<String>,
}

/// A team's statistics: team totals when at least 3 members contribute, and the figures of the
/// members who chose to share theirs. Each member's days are their own (time zone, day start).
#[utoipa::path(
    get,
    path = "/api/v1/teams/{id}/stats",
    params(("id" = i64, Path, description = "The team"), TeamStatsQuery),
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 200, body = TeamStats),
        (status = 400, description = "A date is malformed, or from is after to", body = ApiError),
        (status = 401, body = ApiError),
        (status = 404, description = "No such team, or the user is not in it", body = ApiError),
    )
)]
async fn get_team_stats(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    query: Result<Query<TeamStatsQuery>, QueryRejection>,
) -> Result<Json<TeamStats>, AppError> {
    // A team id that is not a number is a team that does not exist.
    let team_id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let Query(query) = query.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let query = RangeQuery { range: query.range, from: query.from, to: query.to };
    Ok(Json(teams::stats(&state.pool, team_id, user.0, &query, now()).await?))
}

/// Liveness: answers 200 when the database answers, with `"storage": "read-only"` while the data
/// dir is read-only (statistics are served, uploads refused).
#[utoipa::path(get, path = "/healthz", responses((status = 200), (status = 500, body = ApiError)))]
async fn healthz(State(state): State<AppState>) -> Result<Json<serde_json::Value>, AppError> {
    sqlx::query("SELECT 1").execute(&state.pool).await?;
    let storage = match state.storage {
        Storage::Writable => "writable",
        Storage::ReadOnly => "read-only",
    };
    Ok(Json(serde_json::json!({ "status": "ok", "storage": storage })))
}

async fn api_not_found() -> AppError {
    AppError::NotFound
}

#[derive(OpenApi)]
#[openapi(
    info(title = "KeyTrack API", version = "1", description = "Upload keyboard and mouse activity aggregates and read statistics. Errors are always {\"code\", \"message\"}."),
    paths(post_activity, get_stats, get_me, get_teams, get_team_stats, healthz),
    modifiers(&SecuritySchemes)
)]
struct ApiDoc;

struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
        components
            .add_security_scheme("session", SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(SESSION_COOKIE))));
    }
}

/// The OpenAPI 3 document, generated from the Rust types.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

async fn openapi_json() -> impl IntoResponse {
    Json(openapi())
}
