//! What the integration tests share: the real router on a real database, and ways to call it as
//! an agent (bearer token) or as the browser (session cookie, server functions). The database is
//! a SQLite file in a temp dir, or with `KEYTRACK_TEST_ENGINE=postgres` a PostgreSQL database of
//! the test's own (`scratch_postgres`): `scripts/test.sh` runs these tests on both engines.

#![allow(dead_code, unused_imports)] // each test binary uses its own part of these

use axum::Router;
use axum::body::Body;
use http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use keytrack_app::server::services::accounts;
use keytrack_app::server::store;
use keytrack_app::server::web;
use keytrack_app::server::web::state::AppState;
use keytrack_wire::{ActivityBatch, ActivityMinute, HourBlock};
use leptos::config::LeptosOptions;
use leptos::server_fn::ServerFn;
use serde_json::Value;
use sqlx::SqlitePool;
use tower::ServiceExt;

mod scratch_postgres;
pub use scratch_postgres::ScratchDatabase;

pub struct TestServer {
    pub app: Router,
    pub database: store::Database,
    pub _dir: tempfile::TempDir,
    /// The PostgreSQL database, dropped with the server.
    _postgres: Option<ScratchDatabase>,
}

/// Whether the tests run on PostgreSQL (`KEYTRACK_TEST_ENGINE=postgres`) rather than SQLite.
pub fn on_postgres() -> bool {
    std::env::var("KEYTRACK_TEST_ENGINE").is_ok_and(|engine| engine == "postgres")
}

pub async fn server() -> TestServer {
    server_with(|state| state).await
}

/// [`server`] with its state changed first (mail settings, say).
pub async fn server_with(change: impl FnOnce(AppState) -> AppState) -> TestServer {
    let dir = tempfile::tempdir().expect("temp dir");
    if on_postgres() {
        let scratch = ScratchDatabase::create().await;
        let pool = store::postgres::open(&scratch.url).await.expect("open database");
        router_on(store::Database::Postgres(pool), dir, Some(scratch), change).await
    } else {
        let pool = store::sqlite::open(dir.path()).await.expect("open database");
        router_on(store::Database::Sqlite(pool), dir, None, change).await
    }
}

/// The router over a SQLite database that is already open (in `dir`, kept as long as the server).
pub async fn server_on(pool: SqlitePool, dir: tempfile::TempDir) -> TestServer {
    router_on(store::Database::Sqlite(pool), dir, None, |state| state).await
}

/// The router over a database of either engine that is open already (a PostgreSQL database the
/// caller keeps, say).
pub async fn server_on_database(database: store::Database) -> TestServer {
    router_on(database, tempfile::tempdir().expect("temp dir"), None, |state| state).await
}

async fn router_on(
    database: store::Database,
    dir: tempfile::TempDir,
    postgres: Option<ScratchDatabase>,
    change: impl FnOnce(AppState) -> AppState,
) -> TestServer {
    // Anyone may sign up on the tests' servers unless a test says otherwise (a new server is
    // invite-only).
    keytrack_app::server::services::site::set_policy(&database, None, keytrack_app::model::SignUpPolicy::Open)
        .await
        .expect("sign-up open");
    let options = LeptosOptions::builder().output_name("keytrack").site_root("target/site").build();
    let state = change(AppState::new(store::Store::on(database.clone()), options).await);
    let app = web::router(state, false).await.expect("router");
    TestServer { app, database, _dir: dir, _postgres: postgres }
}

/// Runs `$body` with `$executor` bound to the sqlx pool of whichever engine `$database` is, so
/// that a test's own check of the tables reads the same on both (`$1` parameters work on both).
macro_rules! on_either {
    ($database:expr, |$executor:ident| $body:expr) => {
        match $database {
            keytrack_app::server::store::Database::Sqlite($executor) => $body,
            keytrack_app::server::store::Database::Postgres($executor) => $body,
        }
    };
}
pub(crate) use on_either;

/// The number a query answers (a count, a sum cast to BIGINT), on either engine.
pub async fn number(database: &store::Database, sql: &str) -> i64 {
    on_either!(database, |pool| sqlx::query_scalar(sql).fetch_one(pool).await).expect(sql)
}

/// Runs a statement (a test's own change of the tables), on either engine.
pub async fn execute(database: &store::Database, sql: &str) {
    on_either!(database, |pool| sqlx::query(sql).execute(pool).await.map(|_| ())).expect(sql)
}

pub const PASSWORD: &str = "correct horse battery";

/// A user and a live token of theirs.
pub async fn user_with_token(database: &store::Database, email: &str) -> (i64, String) {
    let id = accounts::sign_up(database, email, PASSWORD, "UTC").await.expect("sign up");
    let token = accounts::create_token(database, id, "test agent").await.expect("token").1;
    (id, token)
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: http::HeaderMap,
    pub body: Value,
}

/// The host the test requests name, as a browser's would.
pub const HOST: &str = "keytrack.test";

pub async fn call(app: &Router, method: &str, uri: &str, auth: Option<&str>, body: Option<Vec<u8>>) -> Reply {
    let mut request = Request::builder().method(method).uri(uri).header(header::HOST, HOST);
    if let Some(auth) = auth {
        request = request.header(header::AUTHORIZATION, auth);
    }
    if body.is_some() {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    let request = request.body(body.map_or_else(Body::empty, Body::from)).expect("request");
    let response = app.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply { status, headers, body }
}

pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// Posts a batch as the agent does, naming itself in `User-Agent`.
pub async fn post_batch_as(app: &Router, token: &str, user_agent: &str, batch: &ActivityBatch) -> Reply {
    post_batch_with(app, token, &[(header::USER_AGENT.as_str(), user_agent)], batch).await
}

/// Posts a batch with these headers besides the token (the agent's `User-Agent`, its capture).
pub async fn post_batch_with(app: &Router, token: &str, headers: &[(&str, &str)], batch: &ActivityBatch) -> Reply {
    let mut request = Request::builder()
        .method("POST")
        .uri("/api/v1/activity")
        .header(header::HOST, HOST)
        .header(header::AUTHORIZATION, bearer(token))
        .header(header::CONTENT_TYPE, "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(Body::from(serde_json::to_vec(batch).expect("encode"))).expect("request");
    let response = app.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    Reply { status, headers, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null) }
}

pub async fn post_batch(app: &Router, token: &str, batch: &ActivityBatch) -> Reply {
    let body = serde_json::to_vec(batch).expect("encode");
    call(app, "POST", "/api/v1/activity", Some(&bearer(token)), Some(body)).await
}

pub async fn stats(app: &Router, token: &str, from: &str, to: &str) -> Value {
    let reply = call(app, "GET", &format!("/api/v1/stats?from={from}&to={to}"), Some(&bearer(token)), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body
}

/// 2025-03-10 was a Monday; 09:00 UTC.
pub const MONDAY_9H: i64 = 1_741_597_200;

/// A minute record (totals) with `presses` key presses and 30 active seconds.
pub fn minute(at: i64, presses: u32) -> ActivityMinute {
    ActivityMinute { minute: at, utc_offset: 60, presses, active_seconds: 30, ..Default::default() }
}

/// An hour block of the hour starting at `hour` with these key presses.
pub fn block(hour: i64, keys: &[(&str, u32)]) -> HourBlock {
    let mut block = HourBlock::for_hour(hour);
    for (key, n) in keys {
        block.add_key(key, *n);
    }
    block
}

/// Calls a server function as the browser's forms do (form-encoded, from this site's page), with
/// a session cookie.
pub async fn call_server_fn(app: &Router, path: &str, cookie: Option<&str>, form: &str) -> Reply {
    call_server_fn_as(app, path, cookie, form, "application/x-www-form-urlencoded").await
}

/// Calls a server function with a body of the given content type, from this site's page.
pub async fn call_server_fn_as(
    app: &Router,
    path: &str,
    cookie: Option<&str>,
    body: &str,
    content_type: &str,
) -> Reply {
    let form = body;
    let mut request = Request::builder()
        .method("POST")
        .uri(path)
        .header(header::HOST, HOST)
        .header(header::ORIGIN, format!("http://{HOST}"))
        .header(header::CONTENT_TYPE, content_type)
        .header(header::ACCEPT, "application/json");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let request = request.body(Body::from(form.to_string())).expect("request");
    let response = app.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    Reply { status, headers, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null) }
}

/// Signs up through the real server function, as the browser form does; the reply carries the cookie.
pub async fn sign_up_in_browser(app: &Router, email: &str) -> Reply {
    let form = format!("email={}&password=correct+horse+battery&timezone=Europe%2FParis", email.replace('@', "%40"));
    call_server_fn(app, keytrack_app::api::SignUp::PATH, None, &form).await
}

/// Logs in through the real server function (the reply carries the session cookie).
pub async fn log_in(s: &TestServer, email: &str, password: &str) -> Reply {
    let form = format!("email={}&password={}", urlencode(email), urlencode(password));
    call_server_fn(&s.app, keytrack_app::api::LogIn::PATH, None, &form).await
}

/// The `name=value` of a reply's session cookie.
pub fn session_cookie(reply: &Reply) -> String {
    let cookie = reply.headers.get(header::SET_COOKIE).and_then(|c| c.to_str().ok()).unwrap_or_default();
    cookie.split(';').next().unwrap_or_default().to_string()
}

/// Percent-encodes a form value.
pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The real `keytrack` binary serving a data dir on a free port, killed (SIGKILL) when dropped.
pub struct ServerProcess {
    child: std::process::Child,
    _stdout: std::io::BufReader<std::process::ChildStdout>,
    /// `http://127.0.0.1:PORT`
    pub url: String,
    log: std::path::PathBuf,
}

impl ServerProcess {
    /// Starts `exe serve` over `data_dir`, writing its log (warnings and errors) to `log`.
    pub fn start(
        exe: &std::path::Path,
        data_dir: &std::path::Path,
        log: &std::path::Path,
    ) -> std::io::Result<ServerProcess> {
        ServerProcess::start_with(exe, &[std::ffi::OsStr::new("--data-dir"), data_dir.as_os_str()], log)
    }

    /// Starts `exe serve` with these arguments besides its address (the database's: `--data-dir
    /// DIR` or `--database-url URL`).
    pub fn start_with(
        exe: &std::path::Path,
        database: &[&std::ffi::OsStr],
        log: &std::path::Path,
    ) -> std::io::Result<ServerProcess> {
        use std::io::BufRead;
        let mut child = std::process::Command::new(exe)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(database)
            .env("KEYTRACK_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::fs::File::create(log)?)
            .spawn()?;
        let mut stdout = std::io::BufReader::new(child.stdout.take().ok_or(std::io::ErrorKind::BrokenPipe)?);
        let mut line = String::new();
        stdout.read_line(&mut line)?;
        match line.trim().strip_prefix("KeyTrack listening on ") {
            Some(url) => Ok(ServerProcess { url: url.to_string(), child, _stdout: stdout, log: log.to_path_buf() }),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                Err(std::io::Error::other(format!(
                    "the server did not start: {}",
                    std::fs::read_to_string(log).unwrap_or_default()
                )))
            }
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Kills the server at once (SIGKILL): no shutdown, no checkpoint, as in a crash.
    pub fn kill_9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Stops the server as an admin would (SIGTERM) and waits for it.
    pub fn stop(&mut self) {
        let _ = std::process::Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
