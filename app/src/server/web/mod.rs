//! The HTTP edge, the only place axum lives: the one route table ([`router`]) of the JSON API for
//! agents and scripts (`api`, `data_routes`, `streams`, `downloads`), the health routes, the Leptos pages
//! and server functions, single sign-on's two routes (`sso_routes`), all behind one session layer; what every request passes through
//! (`protect`), the listener (`listen`), the site's own files (`assets`) and `/metrics`
//! (`metrics_route`).

pub mod admin_routes;
pub mod api;
pub mod assets;
pub mod data_routes;
pub mod downloads;
pub mod error;
pub mod extract;
pub mod listen;
pub mod metrics_route;
pub mod openapi;
pub mod protect;
pub mod sso_routes;
pub mod state;
pub mod streams;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{any, get, post};
use keytrack_wire::limits;
use leptos::prelude::{provide_context, use_context};
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_sessions::cookie::SameSite;
use tower_sessions::cookie::time::Duration;
use tower_sessions::{Expiry, SessionManagerLayer};

use self::extract::SESSION_COOKIE;
use self::state::AppState;
use crate::server::store::Storage;
use crate::ui::{App, shell};

/// Builds the whole app. `secure_cookies` marks the session cookie `Secure` (behind HTTPS).
pub async fn router(state: AppState, secure_cookies: bool) -> anyhow::Result<Router> {
    let store = state.store.sessions();
    // A read-only database has the sessions table from when it was writable.
    if state.store.storage == Storage::Writable {
        store.migrate().await?;
    }
    let sessions = SessionManagerLayer::new(store)
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure_cookies)
        .with_expiry(Expiry::OnInactivity(Duration::days(30)));

    let api = Router::new()
        .route("/api/v1/activity", post(api::post_activity).delete(data_routes::delete_activity))
        .route("/api/v1/stats", get(api::get_stats))
        .route("/api/v1/heatmaps", get(api::get_heatmaps))
        .route("/api/v1/pairing", post(api::post_pairing))
        .route("/api/v1/pairing/token", post(api::post_pairing_token))
        .route("/api/v1/me", get(api::get_me).delete(data_routes::delete_me))
        .route("/api/v1/teams", get(api::get_teams))
        .route("/api/v1/teams/{id}/stats", get(api::get_team_stats))
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
        .route("/api/v1/admin/users", get(admin_routes::people))
        .route(
            "/api/v1/admin/users/{id}",
            axum::routing::patch(admin_routes::change_person).delete(admin_routes::delete_person),
        )
        .route("/api/v1/admin/users/{id}/reset-link", post(admin_routes::reset_link))
        .route("/api/v1/admin/invites", get(admin_routes::invites).post(admin_routes::create_invite))
        .route("/api/v1/admin/invites/{id}", axum::routing::delete(admin_routes::revoke_invite))
        .route("/api/v1/admin/sign-up", get(admin_routes::sign_up_policy).put(admin_routes::set_sign_up_policy))
        .route("/api/v1/admin/audit", get(admin_routes::audit_events))
        .route("/api/v1/admin/audit.csv", get(admin_routes::audit_csv))
        .route("/api/v1/openapi.json", get(openapi::openapi_json))
        .route("/api/v1/{*rest}", any(api::api_not_found))
        .route("/healthz", get(api::healthz))
        .route("/healthz/live", get(api::healthz_live))
        .route("/healthz/ready", get(api::healthz_ready))
        .route("/metrics", get(metrics_route::with_token))
        .route("/downloads/{platform}/{file}", get(downloads::download))
        .route(crate::server::services::sso::START_PATH, get(sso_routes::start))
        .route(crate::server::services::sso::CALLBACK_PATH, get(sso_routes::callback))
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
        .layer(axum::middleware::from_fn(protect::client_address))
        .layer(axum::middleware::from_fn(server_timing))
        .layer(axum::middleware::from_fn(protect::security_headers))
        .with_state(state);
    Ok(app)
}

/// Name of the header that carries the server's own time for a request.
pub const SERVER_TIMING: &str = "server-timing";

/// Adds `Server-Timing: app;dur=MS` to every response: the time the server spent on it up to the
/// response's head (session included), which browsers' developer tools show and `keytrack-bench`
/// reads, so that its figures are the server's time without the network's. The same time goes to
/// the latency histogram of `/metrics`.
async fn server_timing(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let started = std::time::Instant::now();
    let class = crate::server::metrics::route_class(request.uri().path());
    let mut response = next.run(request).await;
    let seconds = started.elapsed().as_secs_f64();
    crate::server::metrics::metrics().request_class(class, seconds);
    let value = format!("app;dur={:.3}", seconds * 1000.0);
    if let Ok(value) = http::HeaderValue::from_str(&value) {
        response.headers_mut().insert(SERVER_TIMING, value);
    }
    response
}
