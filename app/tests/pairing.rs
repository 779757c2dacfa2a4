//! Pairing an agent by code through the real router on a real SQLite file: the agent's two API
//! routes and the two server functions the `/pair` page calls.

mod common;

use common::*;
use http::StatusCode;
use keytrack_app::api::{DecidePairing, PendingPairing};
use keytrack_app::server::services::auth::token_hash;
use keytrack_app::server::services::pairing;
use leptos::server_fn::ServerFn;
use serde_json::{Value, json};

async fn start(s: &TestServer, request: Value) -> Reply {
    call(&s.app, "POST", "/api/v1/pairing", None, Some(request.to_string().into_bytes())).await
}

async fn poll(s: &TestServer, device_code: &str) -> Reply {
    let body = json!({ "device_code": device_code }).to_string().into_bytes();
    call(&s.app, "POST", "/api/v1/pairing/token", None, Some(body)).await
}

/// A new pairing request from "Work laptop": (user code, device code).
async fn new_request(s: &TestServer) -> (String, String) {
    let reply =
        start(s, json!({"device_name": "Work laptop", "platform": "linux x86_64", "agent_version": "0.9.1"})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let user_code = reply.body["user_code"].as_str().expect("user code").to_string();
    let device_code = reply.body["device_code"].as_str().expect("device code").to_string();
    (user_code, device_code)
}

async fn person(s: &TestServer, email: &str) -> String {
    let reply = sign_up_in_browser(&s.app, email).await;
    assert!(reply.status.is_success() || reply.status.is_redirection(), "{:?} {}", reply.status, reply.body);
    session_cookie(&reply)
}

async fn preview(s: &TestServer, cookie: &str, code: &str) -> Reply {
    call_server_fn(&s.app, PendingPairing::PATH, Some(cookie), &format!("code={}", urlencode(code))).await
}

async fn decide(s: &TestServer, cookie: &str, code: &str, approve: bool) -> Reply {
    let form = format!("code={}&approve={approve}", urlencode(code));
    call_server_fn(&s.app, DecidePairing::PATH, Some(cookie), &form).await
}

#[tokio::test]
async fn an_agent_pairs_by_code_and_collects_a_token_of_its_own_once() {
    let s = server().await;
    let cookie = person(&s, "ada@example.com").await;
    let reply =
        start(&s, json!({"device_name": "Work laptop", "platform": "linux x86_64", "agent_version": "0.9.1"})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let user_code = reply.body["user_code"].as_str().expect("user code").to_string();
    let device_code = reply.body["device_code"].as_str().expect("device code").to_string();
    assert!(
        user_code.len() == 9
            && user_code.as_bytes()[4] == b'-'
            && user_code.chars().all(|c| c == '-' || c.is_ascii_uppercase()),
        "{user_code}"
    );
    assert!(device_code.starts_with("ktp_") && device_code.len() == 68, "256 random bits: {device_code}");
    assert_eq!(reply.body["verification_path"], format!("/pair?code={user_code}"));
    assert_eq!((reply.body["expires_in"].as_u64(), reply.body["interval"].as_u64()), (Some(600), Some(2)));

    assert_eq!(poll(&s, &device_code).await.body, json!({"status": "pending"}), "nobody approved yet");

    // The person types the code as they read it: lower case, without the dash.
    let typed = user_code.replace('-', "").to_lowercase();
    let shown = preview(&s, &cookie, &typed).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    assert_eq!(
        (&shown.body["device_name"], &shown.body["platform"], &shown.body["agent_version"], &shown.body["user_code"]),
        (&json!("Work laptop"), &json!("linux x86_64"), &json!("0.9.1"), &json!(user_code))
    );
    let approved = decide(&s, &cookie, &typed, true).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);

    let collected = poll(&s, &device_code).await;
    assert_eq!(
        (collected.status, &collected.body["status"]),
        (StatusCode::OK, &json!("approved")),
        "{}",
        collected.body
    );
    assert_eq!(collected.body["email"], "ada@example.com");
    let token = collected.body["token"].as_str().expect("token").to_string();
    let me = call(&s.app, "GET", "/api/v1/me", Some(&bearer(&token)), None).await;
    assert_eq!((me.status, &me.body["email"]), (StatusCode::OK, &json!("ada@example.com")), "the token works");

    // Stored hashed, named after the computer, listed with the person's tokens.
    let names: Vec<(String, Vec<u8>)> =
        on_either!(&s.database, |pool| sqlx::query_as("SELECT name, token_hash FROM api_tokens").fetch_all(pool).await)
            .expect("tokens");
    assert_eq!(names, vec![("Work laptop".to_string(), token_hash(&token))]);

    // One code, one token: the second question is refused and makes no second token.
    let again = poll(&s, &device_code).await;
    assert_eq!((again.status, again.body["code"].as_str()), (StatusCode::CONFLICT, Some("conflict")), "{}", again.body);
    assert_eq!(number(&s.database, "SELECT count(*) FROM api_tokens").await, 1);
    let used = preview(&s, &cookie, &user_code).await;
    assert_eq!(used.status, StatusCode::BAD_REQUEST, "{}", used.body);
    assert!(used.body["Rejected"].as_str().is_some_and(|m| m.contains("used already")), "{}", used.body);
}

#[tokio::test]
async fn a_denied_expired_or_wrong_code_says_so_and_gives_no_token() {
    let s = server().await;
    let cookie = person(&s, "bob@example.com").await;

    let (denied_code, denied_device) = new_request(&s).await;
    assert_eq!(decide(&s, &cookie, &denied_code, false).await.status, StatusCode::OK);
    let refused = poll(&s, &denied_device).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(refused.body["message"].as_str().is_some_and(|m| m.contains("denied")), "{}", refused.body);

    let (late_code, late_device) = new_request(&s).await;
    on_either!(&s.database, |pool| {
        sqlx::query("UPDATE pairing_requests SET expires_at = created_at - 1 WHERE user_code = $1")
            .bind(&late_code)
            .execute(pool)
            .await
            .map(|_| ())
    })
    .expect("expire");
    let shown = preview(&s, &cookie, &late_code).await;
    assert_eq!(shown.status, StatusCode::BAD_REQUEST);
    assert!(shown.body["Rejected"].as_str().is_some_and(|m| m.contains("expired")), "{}", shown.body);
    assert_eq!(decide(&s, &cookie, &late_code, true).await.status, StatusCode::BAD_REQUEST, "too late to approve");
    let expired = poll(&s, &late_device).await;
    assert_eq!(expired.status, StatusCode::BAD_REQUEST);
    assert!(expired.body["message"].as_str().is_some_and(|m| m.contains("expired")), "{}", expired.body);

    let unknown = poll(&s, "ktp_0000").await;
    assert_eq!((unknown.status, unknown.body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_request")));
    let tokens = number(&s.database, "SELECT count(*) FROM api_tokens").await;
    assert_eq!(tokens, 0, "no token for a denied, expired or unknown code");

    // Nobody logged in cannot look codes up.
    let anonymous = call_server_fn(&s.app, PendingPairing::PATH, None, "code=BCDF-GHJK").await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    // Wrong codes: each says so, and an account that keeps guessing is stopped.
    for attempt in 0..pairing::WRONG_CODES_PER_ACCOUNT {
        let wrong = preview(&s, &cookie, if attempt % 2 == 0 { "XXXX-XXXX" } else { "not a code" }).await;
        assert_eq!(wrong.status, StatusCode::BAD_REQUEST, "{}", wrong.body);
        assert!(wrong.body["Rejected"].as_str().is_some_and(|m| m.contains("No pairing waits")), "{}", wrong.body);
    }
    let (good_code, _) = new_request(&s).await;
    let stopped = preview(&s, &cookie, &good_code).await;
    assert_eq!(stopped.status, StatusCode::TOO_MANY_REQUESTS, "{}", stopped.body);
}

#[tokio::test]
async fn pairing_requests_are_checked_and_limited_per_address() {
    let s = server().await;
    for (body, status) in [
        (json!({}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"device_name": ""}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"device_name": "x".repeat(101)}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"device_name": "pc", "platform": "p".repeat(41)}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"device_name": 7}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"device_name": "pc", "token": "kt_x"}), StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let reply = start(&s, body.clone()).await;
        assert_eq!(reply.status, status, "{body}: {}", reply.body);
        assert!(reply.body["code"].is_string() && reply.body["message"].is_string(), "{}", reply.body);
    }
    let not_json = call(&s.app, "POST", "/api/v1/pairing", None, Some(b"{".to_vec())).await;
    assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
    let stored = number(&s.database, "SELECT count(*) FROM pairing_requests").await;
    assert_eq!(stored, 0, "nothing stored for a refused request");

    for _ in 0..pairing::CODES_PER_ADDRESS {
        new_request(&s).await;
    }
    let limited = start(&s, json!({"device_name": "one more"})).await;
    assert_eq!((limited.status, limited.body["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited")));
    let codes: Vec<String> =
        on_either!(&s.database, |pool| sqlx::query_scalar("SELECT user_code FROM pairing_requests")
            .fetch_all(pool)
            .await)
        .expect("codes");
    let distinct: std::collections::HashSet<_> = codes.iter().collect();
    assert_eq!(distinct.len(), pairing::CODES_PER_ADDRESS, "every live code is different");
    let hashes = number(&s.database, "SELECT count(*) FROM pairing_requests WHERE length(device_code_hash) = 32").await;
    assert_eq!(hashes, i64::try_from(pairing::CODES_PER_ADDRESS).expect("fits"), "device codes are stored hashed");
}

/// "Add a computer": the agents in `--agent-downloads` are listed (to a logged-in person) with
/// size and SHA-256, and served to anyone with the same checksum; a platform the server was built
/// without, an unknown platform or another file name are 404 with a JSON error.
#[tokio::test]
async fn agent_downloads_are_listed_with_their_checksums_and_served() {
    use axum::body::Body;
    use http::{Request, header};
    use http_body_util::BodyExt;
    use keytrack_app::api::data::AgentDownloads;
    use keytrack_app::server::store;
    use keytrack_app::server::web;
    use keytrack_app::server::web::state::AppState;
    use leptos::config::LeptosOptions;
    use tower::ServiceExt;

    let dir = tempfile::tempdir().expect("temp dir");
    let agents = tempfile::tempdir().expect("temp dir");
    let linux_agent = b"\x7fELF a Linux agent".repeat(1000);
    std::fs::write(agents.path().join("keytrack-agent"), &linux_agent).expect("write");
    let pool = store::sqlite::open(dir.path()).await.expect("open database");
    let options = LeptosOptions::builder().output_name("keytrack").site_root("target/site").build();
    let state = AppState::new(store::Store::on(store::Database::Sqlite(pool)), options)
        .await
        .with_agent_downloads(agents.path().to_path_buf());
    let app = web::router(state, false).await.expect("router");

    let anonymous = call_server_fn(&app, AgentDownloads::PATH, None, "").await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let cookie = session_cookie(&sign_up_in_browser(&app, "downloads@example.com").await);
    let listed = call_server_fn(&app, AgentDownloads::PATH, Some(&cookie), "").await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    let sha = {
        use sha2::{Digest, Sha256};
        Sha256::digest(&linux_agent).iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    assert_eq!(
        listed.body,
        json!([
            {
                "platform": "linux-x86_64", "system": "Linux", "label": "Linux (x86_64)",
                "file_name": "keytrack-agent", "url": "/downloads/linux-x86_64/keytrack-agent",
                "version": env!("CARGO_PKG_VERSION"), "build_command": "cargo build --release -p keytrack-agent",
                "file": { "bytes": linux_agent.len(), "sha256": sha }
            },
            {
                "platform": "windows-x86_64", "system": "Windows", "label": "Windows (x86_64)",
                "file_name": "keytrack-agent.exe", "url": "/downloads/windows-x86_64/keytrack-agent.exe",
                "version": env!("CARGO_PKG_VERSION"),
                "build_command": "cargo build --release -p keytrack-agent --target x86_64-pc-windows-gnu",
                "file": null
            }
        ])
    );

    let get = |uri: &str| {
        let request = Request::builder().uri(uri).header(header::HOST, HOST).body(Body::empty()).expect("request");
        let app = app.clone();
        async move {
            let response = app.oneshot(request).await.expect("response");
            let (parts, body) = response.into_parts();
            (parts, body.collect().await.expect("body").to_bytes())
        }
    };
    let (parts, body) = get("/downloads/linux-x86_64/keytrack-agent").await;
    assert_eq!(parts.status, StatusCode::OK);
    assert_eq!(body.as_ref(), linux_agent.as_slice(), "served byte for byte");
    assert_eq!(parts.headers[header::CONTENT_DISPOSITION], "attachment; filename=\"keytrack-agent\"");
    let (parts, body) = get("/downloads/linux-x86_64/keytrack-agent.sha256").await;
    assert_eq!(parts.status, StatusCode::OK);
    assert_eq!(String::from_utf8_lossy(&body), format!("{sha}  keytrack-agent\n"));
    for missing in [
        "/downloads/windows-x86_64/keytrack-agent.exe",
        "/downloads/macos-arm64/keytrack-agent",
        "/downloads/linux-x86_64/keytrack",
        "/downloads/linux-x86_64/..%2Fkeytrack-agent",
    ] {
        let (parts, body) = get(missing).await;
        assert_eq!(parts.status, StatusCode::NOT_FOUND, "{missing}");
        let error: Value = serde_json::from_slice(&body).expect("JSON error");
        assert_eq!(error["code"], "not_found", "{missing}");
    }
}
