//! How an error reaches an HTTP client: its status and `{"code", "message"}`; internal causes
//! are logged here and never sent.

use axum::Json;
use axum::response::{IntoResponse, Response};
use keytrack_wire::ApiError;

use crate::server::error::AppError;

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match &self {
            AppError::Internal(cause) => tracing::error!(%cause, "internal error"),
            AppError::StorageUnavailable(why) => tracing::warn!("refused a write: {why}"),
            _ => {}
        }
        crate::server::metrics::metrics().refused(self.code());
        let body = ApiError { code: self.code().to_string(), message: self.public_message() };
        (self.status(), Json(body)).into_response()
    }
}
