//! Two `keytrack serve` on one PostgreSQL database, as behind a load balancer (issue 20): the
//! admin commands and both servers take `--database-url`; an upload through one reads back through
//! the other and is heard by a live dashboard open on the other (LISTEN/NOTIFY); a session made on
//! one is good on the other; a token revoked through one is refused by the other at once (tokens
//! are checked in the database on every request, never cached); failed log-ins count on both.

use std::path::Path;

use http::StatusCode;
use keytrack_app::api::{LogIn, RevokeToken};
use leptos::server_fn::ServerFn;
use serde_json::Value;

mod common;

use common::*;

const BIN: &str = env!("CARGO_BIN_EXE_keytrack");

/// Runs an admin command of the binary on the database at `url`, with `stdin`; its standard output.
fn admin(url: &str, args: &[&str], stdin: &str) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new(BIN)
        .args(["--database-url", url])
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start keytrack");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success(), "keytrack {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Calls a server function as the site's own page does; returns the status, the session cookie
/// it set (if any) and the body.
async fn server_fn(
    client: &reqwest::Client,
    server: &str,
    path: &str,
    cookie: &str,
    form: &str,
) -> (u16, String, Value) {
    let reply = client
        .post(format!("{server}{path}"))
        .header("origin", server)
        .header("cookie", cookie)
        .header("accept", "application/json")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_string())
        .send()
        .await
        .expect("server function");
    let cookie = reply
        .headers()
        .get("set-cookie")
        .and_then(|c| c.to_str().ok())
        .and_then(|c| c.split(';').next())
        .unwrap_or_default()
        .to_string();
    let status = reply.status().as_u16();
    (status, cookie, reply.json().await.unwrap_or(Value::Null))
}

async fn get(client: &reqwest::Client, url: &str, auth: (&str, &str)) -> (u16, Value) {
    let reply = client.get(url).header(auth.0, auth.1).send().await.expect("get");
    (reply.status().as_u16(), reply.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_postgres_serve_the_same_people() {
    let database = ScratchDatabase::create().await;
    let url = database.url.clone();
    tokio::task::spawn_blocking(move || {
        admin(&url, &["user", "add", "--email", "ada@example.com"], "a long enough password\n")
    })
    .await
    .expect("user add");
    let url = database.url.clone();
    let token = tokio::task::spawn_blocking(move || {
        admin(&url, &["token", "create", "--email", "ada@example.com", "--name", "laptop"], "")
    })
    .await
    .expect("token create");
    let logs = tempfile::tempdir().expect("temp dir");
    let on_postgres = [std::ffi::OsStr::new("--database-url"), std::ffi::OsStr::new(&database.url)];
    let first = ServerProcess::start_with(Path::new(BIN), &on_postgres, &logs.path().join("first.log")).expect("first");
    let second =
        ServerProcess::start_with(Path::new(BIN), &on_postgres, &logs.path().join("second.log")).expect("second");
    let client = reqwest::Client::new();
    let bearer = format!("Bearer {token}");

    // A dashboard's live stream open on the second hears an upload stored by the first.
    let mut live = client
        .get(format!("{}/api/v1/live", second.url))
        .header("authorization", &bearer)
        .send()
        .await
        .expect("live stream");
    assert_eq!(live.status(), StatusCode::OK);
    let mut heard = String::new();
    while !heard.contains("event: hello") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(5), live.chunk()).await;
        heard.push_str(&String::from_utf8_lossy(&chunk.expect("hello in time").expect("chunk").expect("open")));
    }

    // An upload through the first reads back through the second.
    let batch = keytrack_wire::ActivityBatch {
        device: keytrack_wire::Device { id: "laptop".into(), name: "Laptop".into() },
        format: keytrack_wire::CURRENT_FORMAT,
        minutes: vec![minute(MONDAY_9H, 42)],
        blocks: Vec::new(),
    };
    let stored = client
        .post(format!("{}/api/v1/activity", first.url))
        .header("authorization", &bearer)
        .json(&batch)
        .send()
        .await
        .expect("upload");
    assert_eq!(stored.status(), StatusCode::OK, "{}", first.log_text());
    let stats = format!("{}/api/v1/stats?from=2025-03-10&to=2025-03-10", second.url);
    let (status, read) = get(&client, &stats, ("authorization", &bearer)).await;
    assert_eq!((status, read["total_keys"].as_u64()), (200, Some(42)), "{read}\n{}", second.log_text());

    while !heard.contains("event: arrival") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(5), live.chunk()).await;
        let chunk = chunk.expect("the arrival in time").expect("chunk").expect("open");
        heard.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(heard.contains("\"device\":\"Laptop\""), "{heard}");
    drop(live);

    // A session made on the first is good on the second.
    let form = format!("email=ada%40example.com&password={}", urlencode("a long enough password"));
    let (status, cookie, body) = server_fn(&client, &first.url, LogIn::PATH, "", &form).await;
    assert!(status < 400 && cookie.starts_with("keytrack_session="), "{status} {body}\n{}", first.log_text());
    let (status, me) = get(&client, &format!("{}/api/v1/me", second.url), ("cookie", &cookie)).await;
    assert_eq!((status, me["email"].as_str()), (200, Some("ada@example.com")), "{me}");

    // A token revoked through the second is refused by the first at once.
    let (status, tokens) = get(&client, &format!("{}/api/v1/me", first.url), ("authorization", &bearer)).await;
    assert_eq!(status, 200, "{tokens}");
    let (status, _, body) = server_fn(&client, &second.url, RevokeToken::PATH, &cookie, "id=1").await;
    assert!(status < 400, "{status} {body}");
    let (status, refused) = get(&client, &format!("{}/api/v1/me", first.url), ("authorization", &bearer)).await;
    assert_eq!((status, refused["code"].as_str()), (401, Some("unauthorized")), "{refused}");

    // Failed log-ins count on both: five wrong passwords on each, and the next try on either is
    // refused (ten per account in 15 minutes).
    let wrong = "email=ada%40example.com&password=not+the+password";
    for server in [&first.url, &second.url].repeat(5) {
        let (status, _, body) = server_fn(&client, server, LogIn::PATH, "", wrong).await;
        assert_eq!(status, 401, "{body}");
    }
    let (status, _, body) = server_fn(&client, &first.url, LogIn::PATH, "", &form).await;
    assert_eq!(status, 429, "even the right password waits: {body}");
    drop((first, second));
}
