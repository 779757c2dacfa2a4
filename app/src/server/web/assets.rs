//! The site's own files (the app's wasm and JavaScript, its style sheet, Chart.js) under names that
//! change whenever their content does: `/assets/<version>/pkg/keytrack.wasm`, where the version is
//! a hash of every file the pages load. Such a name never changes meaning, so browsers may keep it
//! for a year without asking again (`immutable`); a new build gets new names, so nobody runs an
//! old wasm against a new server. Files are sent compressed when the build made `.br` or `.gz`
//! copies beside them (`scripts/build-site.sh --release`, as `scripts/run.sh` and
//! `scripts/bench.sh` build).

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use sha2::{Digest, Sha256};
use tower::ServiceExt;
use tower_http::services::ServeDir;

use super::state::AppState;

/// The folders under the site root whose files pages load.
const VERSIONED_DIRS: [&str; 2] = ["pkg", "vendor"];

/// How long a browser may keep a versioned file: a year, the longest HTTP caches honour.
const KEEP_FOR_A_YEAR: &str = "public, max-age=31536000, immutable";

/// The version of the site's files under `site_root`: the first 16 hex digits of a hash of their
/// names and contents (`"none"` when there are none, as in tests without a built site). Hashed
/// once per process for a given set of files (their sizes and times say when to hash again).
pub fn site_version(site_root: &Path) -> String {
    type Seen = (Vec<(PathBuf, u64, Option<SystemTime>)>, String);
    static HASHED: Mutex<Vec<Seen>> = Mutex::new(Vec::new());

    let mut files = Vec::new();
    for dir in VERSIONED_DIRS {
        collect_files(&site_root.join(dir), &mut files);
    }
    files.sort();
    if files.is_empty() {
        return "none".to_string();
    }
    let listing: Vec<(PathBuf, u64, Option<SystemTime>)> = files
        .iter()
        .map(|path| {
            let meta = std::fs::metadata(path).ok();
            let size = meta.as_ref().map_or(0, std::fs::Metadata::len);
            (path.clone(), size, meta.and_then(|m| m.modified().ok()))
        })
        .collect();
    let mut hashed = HASHED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, version)) = hashed.iter().find(|(seen, _)| *seen == listing) {
        return version.clone();
    }
    let mut hash = Sha256::new();
    for path in &files {
        hash.update(path.strip_prefix(site_root).unwrap_or(path).to_string_lossy().as_bytes());
        hash.update([0]);
        // A file that vanished while hashing changes the version, which is what a rebuild means.
        hash.update(std::fs::read(path).unwrap_or_default());
    }
    let version = hex::encode(&hash.finalize()[..8]);
    hashed.push((listing, version.clone()));
    version
}

/// The files below `dir`, without the compressed copies (they follow their originals).
fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, files);
        } else if !matches!(path.extension().and_then(|e| e.to_str()), Some("br" | "gz")) {
            files.push(path);
        }
    }
}

/// The URL prefix of the site's files under `version`: `/assets/<version>`.
pub fn url_prefix(version: &str) -> String {
    format!("/assets/{version}")
}

/// `GET /assets/{version}/{*path}` for the server's version of the site, the one its pages name
/// (taken once, when the router is made, so that pages and files never disagree while it runs).
pub fn route(version: String) -> MethodRouter<AppState> {
    get(move |state: State<AppState>, path: UrlPath<(String, String)>, request: Request<Body>| {
        let version = version.clone();
        async move { versioned_file(state, path, request, &version).await }
    })
}

/// The file, compressed when the browser takes it so and a compressed copy exists, to be kept
/// for a year. A version other than the server's is a 404: a page from another build must not mix
/// its files with this one's.
async fn versioned_file(
    State(state): State<AppState>,
    UrlPath((version, path)): UrlPath<(String, String)>,
    request: Request<Body>,
    current: &str,
) -> Response {
    let site_root = PathBuf::from(state.leptos_options.site_root.as_ref());
    let in_versioned_dir = VERSIONED_DIRS.iter().any(|dir| path.starts_with(&format!("{dir}/")));
    if !in_versioned_dir || version != current {
        return StatusCode::NOT_FOUND.into_response();
    }
    // ServeDir resolves the path below the site root (it refuses `..`) and picks `.br`/`.gz`.
    let mut inner = Request::builder().uri(format!("/{path}"));
    if let Some(accepted) = request.headers().get(header::ACCEPT_ENCODING) {
        inner = inner.header(header::ACCEPT_ENCODING, accepted);
    }
    let Ok(inner) = inner.body(Body::empty()) else { return StatusCode::NOT_FOUND.into_response() };
    // A compressed copy older than its file is of an earlier build (a debug build written over a
    // release one leaves them behind): never send it.
    let original = site_root.join(&path);
    let mut files = ServeDir::new(&site_root);
    if compressed_copy_is_current(&original, "br") {
        files = files.precompressed_br();
    }
    if compressed_copy_is_current(&original, "gz") {
        files = files.precompressed_gzip();
    }
    let Ok(served) = files.oneshot(inner).await;
    let mut response = served.into_response();
    if response.status().is_success() {
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(KEEP_FOR_A_YEAR));
    }
    response
}

/// Whether `file.<extension>` exists and was written no earlier than `file`.
fn compressed_copy_is_current(file: &Path, extension: &str) -> bool {
    let modified = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let mut copy = file.as_os_str().to_owned();
    copy.push(".");
    copy.push(extension);
    match (modified(file), modified(Path::new(&copy))) {
        (Some(file), Some(copy)) => copy >= file,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_follows_the_content_and_ignores_compressed_copies() {
        let site = tempfile::tempdir().expect("temp dir");
        assert_eq!(site_version(site.path()), "none");
        std::fs::create_dir_all(site.path().join("pkg")).expect("pkg");
        std::fs::write(site.path().join("pkg/keytrack.js"), "one").expect("write");
        let first = site_version(site.path());
        assert_eq!(first.len(), 16);
        std::fs::write(site.path().join("pkg/keytrack.js.br"), "compressed").expect("write");
        assert_eq!(site_version(site.path()), first, "a compressed copy is the same file");
        std::fs::write(site.path().join("pkg/keytrack.js"), "two!").expect("write");
        assert_ne!(site_version(site.path()), first, "new content, new version");
    }
}
