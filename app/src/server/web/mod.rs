//! The HTTP surface: the JSON API for agents and scripts (`/api/v1/...`), `/healthz`, and the
//! Leptos pages and server functions, all behind one session layer.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{any, get, post};
use keytrack_wire::data::AgentIdentity;
use keytrack_wire::live::Arrival;
use keytrack_wire::pairing::{PairingPoll, PairingRequest, PairingStarted, PairingState};
use keytrack_wire::{
    Account, ActivityBatch, ActivityStats, ApiError, IngestReceipt, ScreenHeatmap, TeamStats, TeamSummary, limits,
};
use leptos::prelude::{provide_context, use_context};
use leptos_axum::{LeptosRoutes, generate_route_list};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tower_sessions::cookie::SameSite;
use tower_sessions::cookie::time::Duration;
use tower_sessions::{Expiry, SessionManagerLayer};
use utoipa::OpenApi;

use super::auth::ApiUser;
use super::db::{self, Storage};
use super::error::AppError;
use super::state::{AppState, now};
use super::{accounts, assets, data_routes, downloads, ingest, pairing, protect, stats, streams, teams};
use crate::domain::range::RangeQuery;
use crate::ui::{App, shell};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "keytrack_session";

/// Builds the whole app. `secure_cookies` marks the session cookie `Secure` (behind HTTPS).
pub async fn router(state: AppState, secure_cookies: bool) -> anyhow::Result<Router> {
    let store = super::sessions::Sessions::of(&state.database);
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
        .route("/api/v1/activity", post(post_activity).delete(data_routes::delete_activity))
        .route("/api/v1/stats", get(get_stats))
        .route("/api/v1/heatmaps", get(get_heatmaps))
        .route("/api/v1/pairing", post(post_pairing))
        .route("/api/v1/pairing/token", post(post_pairing_token))
        .route("/api/v1/me", get(get_me).delete(data_routes::delete_me))
        .route("/api/v1/teams", get(get_teams))
        .route("/api/v1/teams/{id}/stats", get(get_team_stats))
        .route("/api/v1/teams/{id}/export.csv", get(data_routes::team_csv))
        .route("/api/v1/export.csv", get(data_routes::own_csv))
        .route("/api/v1/export.json", get(data_routes::account_json))
        .route("/api/v1/report.pdf", get(data_routes::own_report))
        .route("/api/v1/teams/{id}/report.pdf", get(data_routes::team_report))
        .route("/api/v1/devices", get(data_routes::devices))
        .route(
            "/api/v1/devices/{id}",
            axum::routing::delete(data_routes::delete_device).patch(data_routes::rename_device),
        )
        .route("/api/v1/live", get(streams::own_stream))
        .route("/api/v1/live/watching", get(streams::watching))
        .route("/api/v1/teams/{id}/live", get(streams::team_stream))
        .route("/api/v1/openapi.json", get(openapi_json))
        .route("/api/v1/{*rest}", any(api_not_found))
        .route("/healthz", get(healthz))
        .route("/downloads/{platform}/{file}", get(downloads::download))
        .layer(DefaultBodyLimit::max(limits::MAX_BODY_BYTES));

    let routes = generate_route_list(App);
    let app_state = state.clone();
    // What pages and server functions can reach, and the page's security policy with the nonce
    // leptos_axum made for its inline scripts.
    let context = move || {
        provide_context(app_state.clone());
        if let (Some(nonce), Some(response)) =
            (leptos::nonce::use_nonce(), use_context::<leptos_axum::ResponseOptions>())
            && let Ok(policy) = http::HeaderValue::from_str(&protect::page_policy(&nonce))
        {
            response.insert_header(http::header::CONTENT_SECURITY_POLICY, policy);
        }
    };
    // Pages name the site's files under this build's version (`assets`), and the files are
    // served under that name alone for as long as this router serves.
    let site_version = assets::site_version(std::path::Path::new(state.leptos_options.site_root.as_ref()));
    let assets = assets::url_prefix(&site_version);
    let page = move |options| shell(options, assets.clone());
    let app = Router::new()
        .merge(api)
        .route("/assets/{version}/{*path}", assets::route(site_version))
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let (options, page) = (state.leptos_options.clone(), page.clone());
            move || page(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(context, page))
        .layer(sessions)
        // Pages (a dashboard over a year is several hundred KB of HTML) and JSON go compressed to
        // clients that take it; the site's files are compressed at build time and pass as they are.
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(axum::middleware::from_fn(protect::same_origin))
        .layer(axum::middleware::from_fn(server_timing))
        .layer(axum::middleware::from_fn(protect::security_headers))
        .with_state(state);
    Ok(app)
}

/// Name of the header that carries the server's own time for a request.
pub const SERVER_TIMING: &str = "server-timing";

/// Adds `Server-Timing: app;dur=MS` to every response: the time the server spent on it up to the
/// response's head (session included), which browsers' developer tools show and `keytrack-bench`
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

/// Reads a JSON body: not declared JSON -> 415, too large -> 413, not JSON (or nested beyond
/// serde_json's 128 levels) -> 400, JSON of the wrong shape -> 422 naming the field.
pub(super) fn json_body<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<T, AppError> {
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
    // Most bodies are fine: parse them directly, and only for a body that fails, find out why.
    if let Ok(value) = serde_json::from_slice(&bytes) {
        return Ok(value);
    }
    // Not JSON at all is one mistake...
    serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).map_err(|e| AppError::InvalidJson(e.to_string()))?;
    // ...JSON of the wrong shape another: parse again while tracking the path, to say where.
    let mut deserializer = serde_json::Deserializer::from_slice(&bytes);
    let error = match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Ok(_) => return Err(AppError::internal("a body failed to parse once and parsed the second time")),
        Err(error) => error,
    };
    let path = error.path().to_string();
    Err(AppError::InvalidActivity(format!("{path}: {}", error.into_inner())))
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
        (status = 403, description = "Sent with a session cookie from another site (no token)", body = ApiError),
        (status = 413, description = "The body is over 1 MiB", body = ApiError),
        (status = 415, description = "The body is not declared application/json", body = ApiError),
        (status = 422, description = "Wrong types or a record breaks a rule; nothing was stored", body = ApiError),
    )
)]
#[tracing::instrument(skip_all, fields(user = user.0))]
async fn post_activity(
    State(state): State<AppState>,
    user: ApiUser,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<IngestReceipt>, AppError> {
    let batch: ActivityBatch = json_body(&headers, body)?;
    if state.storage == Storage::ReadOnly {
        return Err(AppError::StorageUnavailable(super::error::READ_ONLY));
    }
    let uploads = state.uploads()?;
    let device = if batch.device.name.is_empty() { batch.device.id.clone() } else { batch.device.name.clone() };
    let at = now();
    let agent = headers
        .get(http::header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .and_then(AgentIdentity::from_user_agent);
    let source = ingest::UploadSource { token_id: user.1, agent };
    let receipt = uploads.store(user.0, source, batch, at).await?;
    state.live.arrived(user.0, Arrival { device, token_id: user.1, at, blocks: receipt.blocks });
    tracing::debug!(accepted = receipt.accepted, replaced = receipt.replaced, "stored a batch");
    Ok(Json(receipt))
}

/// Which days: one rule for every route and page (`domain::range`).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct RangeParams {
    /// A preset counted back from the asking user's today: `today`, `7d` (the default), `30d`,
    /// `year`, `all` (from the first day with data, at most ten years). Empty is the default.
    #[param(pattern = "^(today|7d|30d|year|all)?$")]
    range: Option<String>,
    /// First day, `YYYY-MM-DD` in the user's time zone, 2000-01-01 to 2100-12-31 (wins over
    /// `range`; empty or absent: 6 days before `to`). Rule: a real date, not after `to`, at most
    /// 3,660 days before it.
    #[param(pattern = "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$")]
    from: Option<String>,
    /// Last day, inclusive, 2000-01-01 to 2100-12-31 (empty or absent: the user's today). Rule: a
    /// real date.
    #[param(pattern = "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$")]
    to: Option<String>,
}

impl From<RangeParams> for RangeQuery {
    fn from(params: RangeParams) -> RangeQuery {
        RangeQuery { range: params.range, from: params.from, to: params.to }
    }
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
async fn get_stats(
    State(state): State<AppState>,
    user: ApiUser,
    query: Result<Query<RangeParams>, QueryRejection>,
) -> Result<Json<ActivityStats>, AppError> {
    let Query(query) = query.map_err(|e| AppError::BadRequest(e.body_text()))?;
    Ok(Json(stats::stats_for_query(&state.database, user.0, &query.into(), now()).await?))
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
async fn get_heatmaps(
    State(state): State<AppState>,
    user: ApiUser,
    query: Result<Query<RangeParams>, QueryRejection>,
) -> Result<Json<Vec<ScreenHeatmap>>, AppError> {
    let Query(query) = query.map_err(|e| AppError::BadRequest(e.body_text()))?;
    Ok(Json(stats::heatmaps_for_query(&state.database, user.0, &query.into(), now()).await?))
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
async fn post_pairing(
    State(state): State<AppState>,
    peer: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<PairingStarted>, AppError> {
    let request: PairingRequest = json_body(&headers, body)?;
    if state.storage == Storage::ReadOnly {
        return Err(AppError::StorageUnavailable(super::error::READ_ONLY));
    }
    let ip = peer.map(|axum::Extension(ConnectInfo(address))| address.ip());
    Ok(Json(pairing::start(&state.database, &state.pairing_limiter, ip, &request, now()).await?))
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
async fn post_pairing_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<PairingState>, AppError> {
    let poll: PairingPoll = json_body(&headers, body)?;
    Ok(Json(pairing::collect(&state.database, &poll.device_code, now()).await?))
}

/// The account a token (or session) belongs to; the agent checks its token with this.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Account), (status = 401, body = ApiError))
)]
async fn get_me(State(state): State<AppState>, user: ApiUser) -> Result<Json<Account>, AppError> {
    Ok(Json(accounts::account(&state.database, user.0).await?))
}

/// The teams the user is in.
#[utoipa::path(
    get,
    path = "/api/v1/teams",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Vec<TeamSummary>), (status = 401, body = ApiError))
)]
async fn get_teams(State(state): State<AppState>, user: ApiUser) -> Result<Json<Vec<TeamSummary>>, AppError> {
    Ok(Json(teams::of_user(&state.database, user.0).await?))
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
async fn get_team_stats(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
    query: Result<Query<RangeParams>, QueryRejection>,
) -> Result<Json<TeamStats>, AppError> {
    // A team id that is not a number is a team that does not exist.
    let team_id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let Query(query) = query.map_err(|e| AppError::BadRequest(e.body_text()))?;
    Ok(Json(teams::stats(&state.database, team_id, user.0, &query.into(), now()).await?))
}

/// Liveness: answers 200 when the database answers, with `"storage": "read-only"` while the data
/// dir is read-only (statistics are served, uploads refused).
#[utoipa::path(get, path = "/healthz", responses((status = 200), (status = 500, body = ApiError)))]
async fn healthz(State(state): State<AppState>) -> Result<Json<serde_json::Value>, AppError> {
    db::ping(&state.database).await?;
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
    paths(
        post_activity, get_stats, get_heatmaps, post_pairing, post_pairing_token, get_me, get_teams, get_team_stats, streams::own_stream, streams::team_stream,
        streams::watching, data_routes::own_csv, data_routes::team_csv, data_routes::own_report,
        data_routes::team_report, data_routes::account_json,
        data_routes::devices, data_routes::delete_device, data_routes::rename_device, data_routes::delete_activity, data_routes::delete_me, healthz
    ),
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

/// The OpenAPI 3.1 document, generated from the Rust types, with the bounds derive attributes
/// cannot state added here, so that the schema says what the validator enforces (rules between
/// fields are named in each field's description, after "Rule:").
pub fn openapi() -> serde_json::Value {
    use keytrack_wire::{GRID_COLS, GRID_ROWS, HOUR_SECS, KEY_CODES, limits};
    use serde_json::json;
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    let schemas = &mut doc["components"]["schemas"];
    schemas["GridCount"] = json!({
        "type": "array",
        "description": "`[column, row, count]`: a count in one cell of the 64 x 36 grid.",
        "prefixItems": [
            {"type": "integer", "minimum": 0, "maximum": GRID_COLS - 1},
            {"type": "integer", "minimum": 0, "maximum": GRID_ROWS - 1},
            {"type": "integer", "minimum": 0, "maximum": u32::MAX},
        ],
        "items": false,
        "minItems": 3,
        "maxItems": 3,
    });
    let key_names = json!({"type": "string", "enum": KEY_CODES});
    let chord_names = json!({
        "type": "string",
        "pattern": "^(Ctrl\\+)?(Alt\\+)?(Shift\\+)?(Meta\\+)?[A-Za-z0-9]+$",
    });
    let count = json!({"type": "integer", "minimum": 0, "maximum": u32::MAX});
    for (schema, field) in [("HourBlock", "keys"), ("ActivityMinute", "keys")] {
        schemas[schema]["properties"][field]["propertyNames"] = key_names.clone();
        schemas[schema]["properties"][field]["additionalProperties"] = count.clone();
    }
    for schema in ["HourBlock", "ActivityMinute"] {
        schemas[schema]["properties"]["chords"]["propertyNames"] = chord_names.clone();
        schemas[schema]["properties"]["chords"]["additionalProperties"] = count.clone();
    }
    let minute = &mut schemas["ActivityMinute"]["properties"]["minute"];
    minute["minimum"] = json!(limits::EARLIEST_MINUTE);
    minute["multipleOf"] = json!(60);
    for field in ["start", "end"] {
        let hour = &mut schemas["HourBlock"]["properties"][field];
        hour["minimum"] = json!(limits::EARLIEST_MINUTE);
        hour["multipleOf"] = json!(HOUR_SECS);
    }
    doc
}

async fn openapi_json() -> impl IntoResponse {
    Json(openapi())
}
