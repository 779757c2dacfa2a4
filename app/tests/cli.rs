//! The `keytrack` binary as an admin uses it: `user add`, `token create`, `serve` on port 0, then
//! an upload and a read over real HTTP; and its listener's time and connection limits, over real
//! sockets.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_keytrack");

/// Stops the server by its PID when the test ends, pass or fail.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn keytrack(data_dir: &std::path::Path, args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start keytrack");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A minimal HTTP/1.1 exchange (Connection: close), enough for a test without an HTTP client crate.
fn http(addr: &str, method: &str, path: &str, token: &str, body: &str) -> (u16, Value) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let (head, payload) = response.split_once("\r\n\r\n").unwrap_or_default();
    let payload = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        // One chunk is all axum sends for a small JSON body.
        payload
            .split_once("\r\n")
            .map(|(_, rest)| rest)
            .unwrap_or_default()
            .rsplit_once("\r\n0")
            .map(|(b, _)| b)
            .unwrap_or_default()
    } else {
        payload
    };
    (status, serde_json::from_str(payload).unwrap_or(Value::Null))
}

#[test]
fn user_add_token_create_upload_and_read_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (ok, _, err) = keytrack(dir.path(), &["user", "add", "--email", "ops@example.com"], "a long enough password\n");
    assert!(ok, "user add failed: {err}");
    let (ok, _, err) = keytrack(dir.path(), &["user", "add", "--email", "ops@example.com"], "a long enough password\n");
    assert!(!ok && err.contains("exists already"), "a second add is refused clearly: {err}");
    let (ok, _, err) = keytrack(dir.path(), &["user", "add", "--email", "weak@example.com"], "short\n");
    assert!(!ok && err.contains("too weak"), "{err}");

    let (ok, token, err) =
        keytrack(dir.path(), &["token", "create", "--email", "ops@example.com", "--name", "laptop"], "");
    assert!(ok, "token create failed: {err}");
    let token = token.trim().to_string();
    assert!(token.starts_with("kt_") && !token.contains(char::is_whitespace), "the token alone on stdout: {token:?}");

    let (_server, addr) = serve(dir.path(), &[]);
    assert!(addr.starts_with("127.0.0.1:") && !addr.ends_with(":0"), "bound address printed: {addr:?}");

    let batch = json!({
        "device": {"id": "cli-test", "name": "CLI"},
        "minutes": [
            {"minute": 1_741_597_200, "utc_offset": 0, "keys": {"KeyH": 1, "KeyI": 1, "ControlLeft": 1, "KeyC": 1},
             "chords": {"Ctrl+KeyC": 1}, "clicks": {"left": 2, "right": 1}, "distance_px": 900,
             "scroll": {"vertical": 3}, "active_seconds": 12}
        ]
    })
    .to_string();
    // What an agent of the first release sends (format 1, key detail in the minute): accepted,
    // its totals kept and its detail dropped, never stored.
    let (status, receipt) = http(&addr, "POST", "/api/v1/activity", &token, &batch);
    assert_eq!((status, receipt.clone()), (200, json!({"accepted": 1, "replaced": 0, "blocks": 0, "never_count": []})));
    let (status, stats) = http(&addr, "GET", "/api/v1/stats?from=2025-03-10&to=2025-03-10", &token, "");
    assert_eq!(status, 200, "{stats}");
    assert_eq!(stats["total_keys"], 4);
    assert_eq!((&stats["keys"], &stats["combos"]), (&json!({}), &json!({})));
    assert_eq!(stats["clicks_by_button"], json!({"left": 2, "right": 1, "middle": 0, "other": 0}));
    assert_eq!(stats["mouse"], json!({"distance_px": 900, "scroll_vertical": 3, "scroll_horizontal": 0}));
    assert_eq!((stats["active_minutes"].as_u64(), stats["active_seconds"].as_u64()), (Some(1), Some(12)));

    // Twice: the same stats.
    assert_eq!(http(&addr, "POST", "/api/v1/activity", &token, &batch).0, 200);
    assert_eq!(http(&addr, "GET", "/api/v1/stats?from=2025-03-10&to=2025-03-10", &token, "").1, stats);
}

/// Starts `keytrack serve` on a free port with extra arguments; returns it and its address.
fn serve(data_dir: &std::path::Path, extra: &[&str]) -> (Server, String) {
    let child = Command::new(BIN)
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start server");
    let mut server = Server(child);
    let mut first_line = String::new();
    BufReader::new(server.0.stdout.take().expect("stdout")).read_line(&mut first_line).expect("read address");
    let addr = first_line.trim().rsplit("http://").next().unwrap_or_default().to_string();
    (server, addr)
}

/// Reads until the server answers or closes; returns what it sent (empty: closed without a word)
/// and how long it took.
fn read_until_closed(stream: &mut TcpStream) -> (String, std::time::Duration) {
    let started = std::time::Instant::now();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(30))).expect("timeout");
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut => {
                panic!("the server kept the connection open for 30 s: {}", String::from_utf8_lossy(&seen))
            }
            Err(_) => break,
        }
    }
    (String::from_utf8_lossy(&seen).into_owned(), started.elapsed())
}

/// A client that never finishes its headers or its body, or sits idle on a kept-alive connection,
/// is let go after the limit; connections beyond the cap wait until one closes.
#[test]
fn slow_and_idle_clients_are_let_go_and_connections_are_capped() {
    use std::time::Duration;
    let dir = tempfile::tempdir().expect("temp dir");
    let (ok, _, err) = keytrack(dir.path(), &["user", "add", "--email", "ops@example.com"], "a long enough password\n");
    assert!(ok, "{err}");
    let (ok, token, err) = keytrack(dir.path(), &["token", "create", "--email", "ops@example.com", "--name", "t"], "");
    assert!(ok, "{err}");
    let token = token.trim();
    let limits = ["--header-timeout-secs", "3", "--body-timeout-secs", "3", "--max-connections", "5"];
    let (_server, addr) = serve(dir.path(), &limits);

    // The cap: five idle connections hold every place; a sixth is answered only once they go.
    let held: Vec<TcpStream> = (0..5).map(|_| TcpStream::connect(&addr).expect("connect")).collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut sixth = TcpStream::connect(&addr).expect("the kernel queues the sixth");
    write!(sixth, "GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").expect("send");
    sixth.set_read_timeout(Some(Duration::from_millis(1_500))).expect("timeout");
    let mut early = [0u8; 64];
    assert!(
        matches!(sixth.read(&mut early), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut),
        "no answer while five connections are open"
    );
    let (answer, _) = read_until_closed(&mut sixth);
    assert!(answer.starts_with("HTTP/1.1 200"), "answered once the idle ones were let go: {answer}");
    drop(held);

    // Headers that never finish: closed after the header limit.
    let mut slow = TcpStream::connect(&addr).expect("connect");
    write!(slow, "GET /healthz HTTP/1.1\r\nHost: {addr}\r\n").expect("send");
    let (_, waited) = read_until_closed(&mut slow);
    assert!(waited < Duration::from_secs(10), "headers: closed after {waited:?}");

    // A body that never comes: answered 408 and closed after the body limit.
    let mut stalled = TcpStream::connect(&addr).expect("connect");
    write!(
        stalled,
        "POST /api/v1/activity HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{{"
    )
    .expect("send");
    let (answer, waited) = read_until_closed(&mut stalled);
    assert!((Duration::from_secs(2)..Duration::from_secs(10)).contains(&waited), "body: closed after {waited:?}");
    assert!(answer.starts_with("HTTP/1.1 408") && answer.contains("request_timeout"), "{answer}");

    // An idle kept-alive connection: closed after the same limit as headers.
    let mut idle = TcpStream::connect(&addr).expect("connect");
    write!(idle, "GET /healthz HTTP/1.1\r\nHost: {addr}\r\n\r\n").expect("send");
    let (answer, waited) = read_until_closed(&mut idle);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(waited < Duration::from_secs(10), "idle: closed after {waited:?}");

    // 200 idle connections (the cap at its default) do not stay past the limit either.
    let (_server, addr) = serve(dir.path(), &limits[..2]);
    let started = std::time::Instant::now();
    let many: Vec<TcpStream> = (0..200).map(|_| TcpStream::connect(&addr).expect("connect")).collect();
    for mut connection in many {
        let (answer, _) = read_until_closed(&mut connection);
        assert!(answer.is_empty(), "{answer}");
    }
    assert!(started.elapsed() < Duration::from_secs(15), "all closed after {:?}", started.elapsed());
}

/// The switches scripts set through the environment take 1/0 as well as true/false
/// (`scripts/run.sh` sets KEYTRACK_DEMO_TYPING=1).
#[test]
fn switches_in_the_environment_take_one_and_zero() {
    let dir = tempfile::tempdir().expect("tempdir");
    for value in ["1", "0", "true", "false"] {
        let mut child = Command::new(BIN)
            .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .env("KEYTRACK_DEMO_TYPING", value)
            .env("KEYTRACK_SECURE_COOKIES", value)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start server");
        let mut first_line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut first_line).expect("read");
        let _ = child.kill();
        let output = child.wait_with_output().expect("wait");
        assert!(
            first_line.starts_with("KeyTrack listening on http://"),
            "{value}: {first_line:?} {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn demo_creates_a_populated_account_and_can_run_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (ok, out, err) = keytrack(dir.path(), &["demo"], "");
    assert!(ok, "{err}");
    assert!(out.contains("demo@keytrack.local / keytrack-demo"), "{out}");
    let minutes: u64 =
        out.split('(').nth(1).and_then(|s| s.split(' ').next()).and_then(|n| n.parse().ok()).unwrap_or(0);
    // About 90 days of a working rhythm: thousands of active minutes, not a handful.
    assert!(minutes > 10_000, "{out}");
    let (ok, again, err) = keytrack(dir.path(), &["demo"], "");
    assert!(ok, "{err}");
    assert!(again.contains("demo@keytrack.local"), "{again}");
}

/// The systemd unit of `deploy/` (README, "Deploying") is one systemd accepts as it is, every key
/// known, and its hardening keeps the service's exposure low (`systemd-analyze security`: 0 is a
/// sealed service, 10 an unprotected one).
#[test]
fn the_systemd_unit_verifies_and_is_hardened() {
    let unit = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/keytrack.service"))
        .expect("deploy/keytrack.service");
    assert!(unit.contains("ExecStart=/usr/local/bin/keytrack serve"));
    // Verified against this build's binary where the README installs it.
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("keytrack.service");
    std::fs::write(&path, unit.replace("/usr/local/bin/keytrack", BIN)).expect("write");
    let verified = Command::new("systemd-analyze").arg("verify").arg(&path).output().expect("systemd-analyze");
    let said = String::from_utf8_lossy(&verified.stderr);
    assert!(verified.status.success() && said.trim().is_empty(), "systemd-analyze verify: {said}");
    let security = Command::new("systemd-analyze")
        .args(["security", "--offline=yes", "--no-pager"])
        .arg(&path)
        .output()
        .expect("systemd-analyze security");
    let text = String::from_utf8_lossy(&security.stdout).into_owned() + &String::from_utf8_lossy(&security.stderr);
    let exposure: f64 = text
        .split("Overall exposure level for keytrack.service: ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|figure| figure.parse().ok())
        .unwrap_or_else(|| panic!("no exposure level in: {text}"));
    assert!(exposure <= 2.0, "exposure {exposure}: {text}");
}

/// The way back in for an administrator who lost both phone and recovery codes: `keytrack user
/// reset-two-factor` on the server, audited as the command line's.
#[test]
fn user_reset_two_factor_turns_it_off_from_the_command_line() {
    use keytrack_app::server::services::two_factor;
    use keytrack_app::server::store;
    let dir = tempfile::tempdir().expect("temp dir");
    let (ok, _, err) = keytrack(dir.path(), &["user", "add", "--email", "ops@example.com"], "a long enough password\n");
    assert!(ok, "user add failed: {err}");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let database = runtime.block_on(async {
        let database = store::Database::Sqlite(store::sqlite::open(dir.path()).await.expect("open"));
        let id = store::users::by_email(&database, "ops@example.com").await.expect("read").expect("added").id;
        let setup = two_factor::begin_setup(&database, id).await.expect("setup");
        let secret = totp_rs::Secret::Encoded(setup.secret).to_bytes().expect("base32");
        let app = totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 0, 30, secret, None, String::new());
        let code = app.generate_current().expect("clock");
        two_factor::confirm_setup(&database, id, &code).await.expect("on");
        assert!(two_factor::is_on(&database, id).await.expect("read"));
        (database, id)
    });
    let (ok, _, err) = keytrack(dir.path(), &["user", "reset-two-factor", "--email", "ops@example.com"], "");
    assert!(ok && err.contains("is off"), "{err}");
    let (ok, _, err) = keytrack(dir.path(), &["user", "reset-two-factor", "--email", "ops@example.com"], "");
    assert!(ok && err.contains("had no two-factor"), "{err}");
    let (ok, _, err) = keytrack(dir.path(), &["user", "reset-two-factor", "--email", "nobody@example.com"], "");
    assert!(!ok && err.contains("nobody@example.com"), "{err}");
    runtime.block_on(async {
        let (database, id) = database;
        assert!(!two_factor::is_on(&database, id).await.expect("read"), "off");
        let sql = format!(
            "SELECT count(*) FROM audit_log WHERE action = 'two_factor_reset' AND target_id = {id} AND actor_id IS NULL"
        );
        let (audited,): (i64,) = match &database {
            store::Database::Sqlite(pool) => sqlx::query_as(&sql).fetch_one(pool).await.expect("count"),
            store::Database::Postgres(_) => unreachable!("a SQLite file"),
        };
        assert_eq!(audited, 1);
    });
}
