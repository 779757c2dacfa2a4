//! What every request passes through before it reaches a handler, and every response on its way
//! out: requests that change something must come from this site (or carry an API token), JSON
//! routes take only JSON, and responses carry the headers that keep pages out of frames and
//! scripts to our own (a per-page nonce for the inline hydration script).
//!
//! Why beyond `SameSite=Lax` cookies: Lax still sends the cookie on top-level form posts from
//! other sites and on same-site (sibling subdomain) requests, and a login form needs no cookie at
//! all. A request that changes something is accepted when it carries `Authorization` (a token,
//! which another site cannot send from a browser), or when its `Origin` (else `Referer`) names
//! this site.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use std::net::SocketAddr;

use axum::extract::ConnectInfo;

use crate::server::error::AppError;
use crate::server::services::audit;

/// The Content-Security-Policy of pages: scripts only from this site, the inline hydration
/// script by its nonce, WebAssembly compiled from this site's files; no frames, no plugins.
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// The policy of everything that is not a page (JSON, files): nothing runs, nothing frames it.
const RESOURCE_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// Handles every request knowing its client's address, which the audit log notes for whatever
/// the request does (`services::audit::from_address`).
pub async fn client_address(request: Request, next: Next) -> Response {
    let ip = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
    audit::from_address(ip, next.run(request)).await
}

/// Refuses requests that change something and come from another site: any such request without
/// a token, except one to the JSON API that carries no cookie either (it has no credentials to
/// abuse, and is told to send a token).
pub async fn same_origin(request: Request, next: Next) -> Response {
    let headers = request.headers();
    let changes = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let ambient = headers.contains_key(header::COOKIE) || !request.uri().path().starts_with("/api/v1/");
    if changes
        && ambient
        && !headers.contains_key(header::AUTHORIZATION)
        && let Err(refusal) = check_origin(headers)
    {
        return refusal.into_response();
    }
    next.run(request).await
}

/// The host (and port) a URL names: `https://a.example:8443/x` -> `a.example:8443`.
fn authority_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(&rest[..end]).filter(|a| !a.is_empty())
}

fn check_origin(headers: &HeaderMap) -> Result<(), AppError> {
    let text = |name: &str| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    // Behind a reverse proxy the browser's host may arrive as X-Forwarded-Host; another site
    // cannot set that header from a browser (it is not a simple header), so trusting it is safe.
    let ours: Vec<&str> = [text("host"), text("x-forwarded-host")].into_iter().flatten().collect();
    let theirs = match (text("origin"), text("referer")) {
        (Some(origin), _) => origin,
        (None, Some(referer)) => referer,
        (None, None) => {
            return Err(AppError::CrossSite(
                "This request changes something but says neither where it comes from (Origin) nor carries an API token; it was refused.".into(),
            ));
        }
    };
    match authority_of(theirs) {
        Some(authority) if ours.iter().any(|host| host.eq_ignore_ascii_case(authority)) => Ok(()),
        _ => Err(AppError::CrossSite(format!(
            "This request comes from another site ({theirs}) and would change something here; it was refused."
        ))),
    }
}

/// Refuses a body that is not declared JSON on a JSON route (a form or `text/plain` is what
/// another site's page can send without asking).
pub fn require_json(headers: &HeaderMap) -> Result<(), AppError> {
    let declared = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let media_type = declared.split(';').next().unwrap_or_default().trim();
    if media_type.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        let shown = if declared.is_empty() { "none" } else { declared };
        Err(AppError::UnsupportedMediaType(format!("send the body as Content-Type: application/json (it was {shown})")))
    }
}

/// Adds the security headers every response carries (pages set their own CSP with their nonce).
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let fixed = [
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(RESOURCE_POLICY));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).expect("value"));
        }
        map
    }

    #[test]
    fn only_this_sites_pages_may_change_things() {
        let ok = |pairs: &[(&'static str, &str)]| check_origin(&headers(pairs)).is_ok();
        assert!(ok(&[("host", "kt.example"), ("origin", "https://kt.example")]));
        assert!(ok(&[("host", "127.0.0.1:3000"), ("origin", "http://127.0.0.1:3000")]));
        assert!(ok(&[("host", "kt.example"), ("referer", "https://kt.example/teams/3?range=7d")]));
        assert!(ok(&[("host", "internal:3000"), ("x-forwarded-host", "kt.example"), ("origin", "https://kt.example")]));
        assert!(!ok(&[("host", "kt.example"), ("origin", "http://evil.example")]));
        assert!(!ok(&[("host", "kt.example"), ("origin", "null")]));
        assert!(!ok(&[("host", "kt.example"), ("origin", "https://kt.example.evil.example")]));
        assert!(!ok(&[("host", "127.0.0.1:3000"), ("origin", "http://127.0.0.1:3001")]));
        assert!(!ok(&[("host", "kt.example")]), "no Origin, no Referer");
    }

    #[test]
    fn json_means_json() {
        assert!(require_json(&headers(&[("content-type", "application/json")])).is_ok());
        assert!(require_json(&headers(&[("content-type", "application/json; charset=utf-8")])).is_ok());
        assert!(require_json(&headers(&[("content-type", "text/plain")])).is_err());
        assert!(require_json(&HeaderMap::new()).is_err());
    }
}
