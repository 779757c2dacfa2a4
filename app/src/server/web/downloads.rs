//! `GET /downloads/{platform}/{file}`: the agent binaries "Add a computer" offers
//! (`services::downloads` finds them), and their checksums.

use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderValue, Request, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeFile;

use super::state::AppState;
use crate::server::error::AppError;
use crate::server::services::downloads::AGENT_PLATFORMS;

/// `GET /downloads/{platform}/{file}`: the binary (ranges and conditional requests answered by
/// `ServeFile`), or with `.sha256` its checksum line in `sha256sum`'s format.
pub async fn download(
    State(state): State<AppState>,
    UrlPath((platform, file)): UrlPath<(String, String)>,
    request: Request<Body>,
) -> Result<Response, AppError> {
    let platform = AGENT_PLATFORMS.iter().find(|p| p.id == platform).ok_or(AppError::NotFound)?;
    let path = state.agent_files.path(platform).ok_or(AppError::NotFound)?;
    if file == format!("{}.sha256", platform.file_name) {
        let described = state.agent_files.describe(path).await?;
        let line = format!("{}  {}\n", described.sha256, platform.file_name);
        return Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], line)
            .into_response());
    }
    if file != platform.file_name {
        return Err(AppError::NotFound);
    }
    // The type comes from the name: application/octet-stream, or for the .exe x-msdownload.
    let response = ServeFile::new(&path).oneshot(request).await.map_err(|e| AppError::Internal(e.to_string()))?;
    let mut response = response.map(Body::new);
    let headers = response.headers_mut();
    if let Ok(disposition) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", platform.file_name)) {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    // The name stays when a new build replaces the file: browsers ask again (ETag/Last-Modified).
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}
