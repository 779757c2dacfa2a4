//! `GET /metrics` for Prometheus: on the server's own address with a bearer token
//! (`--metrics-token`; without one it is not there: 404), and on an address of its own with no
//! token (`--metrics-addr`, for a network only the scraper reaches).

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use subtle::ConstantTimeEq;

use super::state::AppState;
use crate::server::error::AppError;
use crate::server::metrics::{self, metrics};
use crate::server::store;

/// `/metrics` on the server's address: the token or nothing.
pub async fn with_token(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    let Some(expected) = state.metrics_token.as_deref() else { return Err(AppError::NotFound) };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
        return Err(AppError::Unauthorized("send the metrics token: Authorization: Bearer TOKEN"));
    }
    Ok(scrape(&state).await)
}

/// Serves `/metrics` alone on the listener of `--metrics-addr`, until the process ends (a scrape
/// holds nothing that needs a clean shutdown).
pub fn serve_own_address(listener: tokio::net::TcpListener, state: AppState) {
    let router = Router::new()
        .route("/metrics", get(|State(state): State<AppState>| async move { scrape(&state).await }))
        .with_state(state);
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router).await {
            tracing::error!(%error, "the metrics listener stopped");
        }
    });
}

async fn scrape(state: &AppState) -> Response {
    // A database that does not answer leaves its figures as they were; the process's own still
    // tell what happened.
    let census = match store::census::census(&state.store.database).await {
        Ok(census) => Some(census),
        Err(error) => {
            tracing::warn!(%error, "metrics: cannot read the database's figures");
            None
        }
    };
    ([(header::CONTENT_TYPE, metrics::CONTENT_TYPE)], metrics().encode(census)).into_response()
}
