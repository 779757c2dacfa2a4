//! The real agent on a real (virtual) desktop: Xvfb, input from xdotool, the real `keytrack`
//! server on a free port, and a recording proxy between them so the test sees every byte sent.
//!
//! Needs Xvfb and xdotool (scripts/setup.sh installs them) and the server binary built next to
//! the agent (`cargo leptos build` does that; or set KEYTRACK_BIN).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

const AGENT: &str = env!("CARGO_BIN_EXE_keytrack-agent");

fn server_binary() -> PathBuf {
    let path = std::env::var_os("KEYTRACK_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(AGENT).with_file_name("keytrack"));
    assert!(
        path.exists(),
        "the server binary {} is missing: run `cargo leptos build` first (scripts/test.sh does)",
        path.display()
    );
    path
}

/// A child process stopped (SIGKILL) when the test ends, pass or fail.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A private X server for one test.
struct Display {
    name: String,
    _xvfb: Process,
}

impl Display {
    fn start() -> Display {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        for _ in 0..50 {
            let n = 200 + (std::process::id() % 200) * 10 + NEXT.fetch_add(1, Ordering::Relaxed) % 10;
            if Path::new(&format!("/tmp/.X{n}-lock")).exists() {
                continue;
            }
            let child = Command::new("Xvfb")
                .arg(format!(":{n}"))
                .args(["-screen", "0", "1920x1080x24", "-nolisten", "tcp"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start Xvfb (scripts/setup.sh installs it)");
            let mut xvfb = Process(child);
            let socket = format!("/tmp/.X11-unix/X{n}");
            // Another test process may have taken the number at the same moment: then this Xvfb
            // exits, and the socket seen is the other one's.
            let up = wait_for(Duration::from_secs(10), || Path::new(&socket).exists());
            std::thread::sleep(Duration::from_millis(300));
            if up && matches!(xvfb.0.try_wait(), Ok(None)) {
                return Display { name: format!(":{n}"), _xvfb: xvfb };
            }
        }
        panic!("could not start Xvfb on a free display");
    }

    fn xdotool(&self, args: &[&str]) {
        let status = Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &self.name)
            .status()
            .expect("run xdotool (scripts/setup.sh installs it)");
        assert!(status.success(), "xdotool {args:?} failed");
    }
}

fn wait_for(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    done()
}

/// The server with its own data dir, one user and a token for the agent.
struct Server {
    data_dir: tempfile::TempDir,
    log: PathBuf,
    addr: String,
    token: String,
    process: Option<Process>,
}

impl Server {
    fn start() -> Server {
        let data_dir = tempfile::tempdir().expect("tempdir");
        let log = data_dir.path().join("server.log");
        let run = |args: &[&str], stdin: &str| {
            let mut child = Command::new(server_binary())
                .args(args)
                .arg("--data-dir")
                .arg(data_dir.path())
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("run keytrack");
            child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("stdin");
            let out = child.wait_with_output().expect("keytrack");
            assert!(out.status.success(), "keytrack {args:?}: {}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        };
        run(&["user", "add", "--email", "ada@example.com"], "correct horse battery\n");
        let token = run(&["token", "create", "--email", "ada@example.com", "--name", "desktop"], "");
        let mut server = Server { data_dir, log, addr: String::new(), token, process: None };
        server.listen("127.0.0.1:0");
        server
    }

    fn listen(&mut self, addr: &str) {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log).expect("server log");
        let mut child = Command::new(server_binary())
            .args(["serve", "--addr", addr, "--data-dir"])
            .arg(self.data_dir.path())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start keytrack serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("read the address");
        let bound = line
            .trim()
            .strip_prefix("KeyTrack listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line: {line}"));
        self.addr = bound.to_string();
        self.process = Some(Process(child));
    }

    fn stop(&mut self) {
        self.process = None;
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn stats(&self) -> Value {
        let today = chrono::Utc::now().date_naive();
        let from = today.pred_opt().unwrap_or(today);
        let to = today.succ_opt().unwrap_or(today);
        let response = reqwest::blocking::Client::new()
            .get(format!("{}/api/v1/stats?from={from}&to={to}", self.url()))
            .bearer_auth(&self.token)
            .send()
            .expect("GET /api/v1/stats");
        assert_eq!(response.status(), 200);
        response.json().expect("stats JSON")
    }

    fn keys(&self) -> BTreeMap<String, u64> {
        serde_json::from_value(self.stats()["keys"].clone()).expect("keys")
    }
}

/// A TCP proxy that records every byte in both directions: what the agent sent is all here.
struct RecordingProxy {
    addr: String,
    seen: Arc<Mutex<Vec<u8>>>,
}

impl RecordingProxy {
    fn start(upstream: String) -> RecordingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let addr = listener.local_addr().expect("addr").to_string();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                for (mut from, mut to) in
                    [(client.try_clone(), server.try_clone()), (server.try_clone(), client.try_clone())]
                        .into_iter()
                        .filter_map(|(a, b)| Some((a.ok()?, b.ok()?)))
                {
                    let record = Arc::clone(&record);
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 16 * 1024];
                        while let Ok(n @ 1..) = from.read(&mut buf) {
                            if let Ok(mut seen) = record.lock() {
                                seen.extend_from_slice(&buf[..n]);
                            }
                            if to.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                        let _ = to.shutdown(std::net::Shutdown::Write);
                    });
                }
            }
        });
        RecordingProxy { addr, seen }
    }

    fn bytes(&self) -> Vec<u8> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// The agent's directory and its log, and the running agent.
struct Agent {
    dir: tempfile::TempDir,
    log: PathBuf,
    process: Option<Process>,
}

impl Agent {
    fn pair(server_url: &str, token: &str) -> Agent {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = Command::new(AGENT)
            .args(["--config-dir"])
            .arg(dir.path().join("agent"))
            .args(["pair", "--server", server_url, "--token", token])
            .output()
            .expect("keytrack-agent pair");
        assert!(out.status.success(), "pair: {}", String::from_utf8_lossy(&out.stderr));
        let log = dir.path().join("agent.log");
        Agent { dir, log, process: None }
    }

    fn config_dir(&self) -> PathBuf {
        self.dir.path().join("agent")
    }

    fn start(&mut self, display: &Display) {
        // The log is appended to across restarts: wait for this run's own start line.
        let starts_before = self.log_text().matches("capturing on").count();
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log).expect("agent log");
        let child = Command::new(AGENT)
            .arg("--config-dir")
            .arg(self.config_dir())
            .args(["run", "--flush-secs", "1"])
            .env("DISPLAY", &display.name)
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start keytrack-agent run");
        self.process = Some(Process(child));
        let started =
            wait_for(Duration::from_secs(15), || self.log_text().matches("capturing on").count() > starts_before);
        assert!(started, "the agent did not start: {}", self.log_text());
        // rdev's XRecord context is set up on the capture thread right after the agent reports;
        // give it a moment (generous: tests run side by side on two cores).
        std::thread::sleep(Duration::from_millis(1_500));
    }

    /// SIGTERM and wait: the agent saves and makes a last upload.
    fn stop(&mut self) {
        if let Some(mut process) = self.process.take() {
            let pid = process.0.id().to_string();
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
            let _ = process.0.wait();
        }
    }

    fn kill_9(&mut self) {
        if let Some(mut process) = self.process.take() {
            let _ = process.0.kill();
            let _ = process.0.wait();
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn status(&self) -> String {
        let out =
            Command::new(AGENT).arg("--config-dir").arg(self.config_dir()).arg("status").output().expect("status");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

fn expect_keys(server: &Server, agent: &Agent, expected: &[(&str, u64)]) {
    let expected: BTreeMap<String, u64> = expected.iter().map(|(k, n)| ((*k).to_string(), *n)).collect();
    let arrived = wait_for(Duration::from_secs(30), || server.keys() == expected);
    assert!(arrived, "expected {expected:?}, the server has {:?}; agent log:\n{}", server.keys(), agent.log_text());
}

#[test]
fn typing_chords_clicks_and_moves_arrive_exactly() {
    let display = Display::start();
    let server = Server::start();
    let mut agent = Agent::pair(&server.url(), &server.token);
    agent.start(&display);

    let began = Instant::now();
    display.xdotool(&["type", "--delay", "100", "hello world"]);
    let typing_ms = began.elapsed().as_millis() as f64;
    display.xdotool(&["key", "ctrl+c"]);
    display.xdotool(&["mousemove", "100", "100", "click", "1", "click", "3", "click", "3", "click", "2"]);
    let mut path = Vec::new();
    for x in (120..=500).step_by(20) {
        path.extend(["mousemove".to_string(), x.to_string(), "100".to_string()]);
    }
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    display.xdotool(&path);

    expect_keys(
        &server,
        &agent,
        &[
            ("KeyH", 1),
            ("KeyE", 1),
            ("KeyL", 3),
            ("KeyO", 2),
            ("Space", 1),
            ("KeyW", 1),
            ("KeyR", 1),
            ("KeyD", 1),
            ("ControlLeft", 1),
            ("KeyC", 1),
        ],
    );
    let clicked = wait_for(Duration::from_secs(10), || server.stats()["total_clicks"] == 4);
    let stats = server.stats();
    assert!(clicked, "clicks: {stats}");
    assert_eq!(stats["combos"], serde_json::json!({ "Ctrl+KeyC": 1 }));
    assert_eq!(stats["clicks_by_button"], serde_json::json!({ "left": 1, "right": 2, "middle": 1, "other": 0 }));
    // The path is 380 px in 20-px steps; the first move from wherever the pointer was may add its jump.
    let distance = stats["mouse"]["distance_px"].as_u64().unwrap_or(0);
    assert!((380..=1400).contains(&distance), "distance {distance}");

    // 11 keys typed in `typing_ms`: the rate xdotool typed, in words (5 keys) per minute.
    let xdotool_wpm = 11.0 / 5.0 / (typing_ms / 60_000.0);
    let wpm = stats["typing"]["wpm"].as_f64().unwrap_or(0.0);
    assert!(
        (wpm - xdotool_wpm).abs() <= 0.15 * xdotool_wpm,
        "agent measured {wpm:.1} wpm, xdotool typed at {xdotool_wpm:.1}"
    );

    agent.stop();
    // Movement was binned on the 64x36 grid of the 1920x1080 screen: the path's end, (500, 100),
    // lies in cell [16, 3].
    let spool = keytrack_agent::spool::Spool::open(&agent.config_dir()).expect("spool");
    let moves: Vec<keytrack_wire::GridCount> = spool
        .since(0)
        .expect("records")
        .into_iter()
        .filter_map(|r| r.screen)
        .flat_map(|s| {
            assert_eq!((s.width, s.height), (1920, 1080));
            s.moves
        })
        .collect();
    assert!(moves.iter().any(|c| (c.0, c.1) == (16, 3)), "{moves:?}");
    assert!(moves.iter().map(|c| c.2).sum::<u32>() >= 19, "{moves:?}");
}

#[test]
fn a_typed_secret_is_nowhere_on_disk_in_logs_or_on_the_wire() {
    let secret = "zq7xv9 jk4wq8";
    let display = Display::start();
    let server = Server::start();
    let proxy = RecordingProxy::start(server.addr.clone());
    let mut agent = Agent::pair(&format!("http://{}", proxy.addr), &server.token);
    agent.start(&display);
    display.xdotool(&["type", "--delay", "60", secret]);
    display.xdotool(&["key", "Return"]);
    expect_keys(
        &server,
        &agent,
        &[
            ("KeyZ", 1),
            ("KeyQ", 2),
            ("Digit7", 1),
            ("KeyX", 1),
            ("KeyV", 1),
            ("Digit9", 1),
            ("Space", 1),
            ("KeyJ", 1),
            ("KeyK", 1),
            ("Digit4", 1),
            ("KeyW", 1),
            ("Digit8", 1),
            ("Enter", 1),
        ],
    );
    agent.stop();
    drop(server.process);

    // The secret and every 4-character piece of its words, in any case.
    let mut needles: Vec<String> = vec![secret.to_string()];
    for word in secret.split(' ') {
        let chars: Vec<char> = word.chars().collect();
        needles.extend(chars.windows(4).map(|w| w.iter().collect()));
    }
    let mut haystacks: Vec<(String, Vec<u8>)> = vec![("HTTP traffic".into(), proxy.bytes())];
    for dir in [agent.dir.path(), server.data_dir.path()] {
        for file in files_under(dir) {
            haystacks.push((file.display().to_string(), std::fs::read(&file).unwrap_or_default()));
        }
    }
    assert!(haystacks[0].1.len() > 200, "the proxy saw the uploads");
    assert!(haystacks.len() >= 6, "agent config, spool, logs and the server's database: {haystacks:?}");
    for (name, bytes) in &haystacks {
        let lower = bytes.to_ascii_lowercase();
        for needle in &needles {
            assert!(!lower.windows(needle.len()).any(|w| w == needle.as_bytes()), "\"{needle}\" found in {name}");
        }
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn an_outage_loses_nothing_and_doubles_nothing() {
    let display = Display::start();
    let mut server = Server::start();
    let addr = server.addr.clone();
    let mut agent = Agent::pair(&server.url(), &server.token);
    server.stop();
    agent.start(&display);
    display.xdotool(&["type", "--delay", "50", "aaaa"]);
    let waited = wait_for(Duration::from_secs(10), || agent.log_text().contains("upload failed"));
    assert!(waited, "{}", agent.log_text());
    assert!(!agent.status().contains("waiting:     0 minutes"), "{}", agent.status());

    server.listen(&addr);
    display.xdotool(&["type", "--delay", "50", "bb"]);
    expect_keys(&server, &agent, &[("KeyA", 4), ("KeyB", 2)]);
    agent.stop();
    // After the last upload nothing waits, and re-sends changed nothing.
    assert!(agent.status().contains("waiting:     0 minutes"), "{}", agent.status());
    assert!(agent.status().contains("today:       6 key presses"), "{}", agent.status());
    expect_keys(&server, &agent, &[("KeyA", 4), ("KeyB", 2)]);
}

#[test]
fn kill_9_loses_at_most_one_flush_interval_and_doubles_nothing() {
    let display = Display::start();
    let server = Server::start();
    let mut agent = Agent::pair(&server.url(), &server.token);
    agent.start(&display);
    display.xdotool(&["type", "--delay", "50", "abc"]);
    // More than one flush interval (1 s) passes: what was typed is on disk.
    std::thread::sleep(Duration::from_millis(2_500));
    agent.kill_9();
    agent.start(&display);
    display.xdotool(&["type", "--delay", "50", "de"]);
    expect_keys(&server, &agent, &[("KeyA", 1), ("KeyB", 1), ("KeyC", 1), ("KeyD", 1), ("KeyE", 1)]);
    agent.stop();
    expect_keys(&server, &agent, &[("KeyA", 1), ("KeyB", 1), ("KeyC", 1), ("KeyD", 1), ("KeyE", 1)]);
}

#[test]
fn without_a_display_the_agent_says_so_and_exits_3() {
    let server = Server::start();
    let agent = Agent::pair(&server.url(), &server.token);
    let out = Command::new(AGENT)
        .arg("--config-dir")
        .arg(agent.config_dir())
        .args(["run", "--flush-secs", "1"])
        .env("DISPLAY", ":4999")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no display to capture from"));
}

#[test]
fn pause_stops_capture_until_resume() {
    let display = Display::start();
    let server = Server::start();
    let mut agent = Agent::pair(&server.url(), &server.token);
    agent.start(&display);
    let ctl = |args: &[&str]| {
        let out =
            Command::new(AGENT).arg("--config-dir").arg(agent.config_dir()).args(args).output().expect("agent command");
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(ctl(&["pause"]).contains("paused until `keytrack-agent resume`"));
    let paused = wait_for(Duration::from_secs(5), || agent.log_text().contains("paused:"));
    assert!(paused, "{}", agent.log_text());
    assert!(agent.status().contains("capture:     paused"));
    display.xdotool(&["type", "--delay", "50", "pp"]);
    ctl(&["resume"]);
    let resumed = wait_for(Duration::from_secs(5), || agent.log_text().contains("resumed"));
    assert!(resumed, "{}", agent.log_text());
    display.xdotool(&["type", "--delay", "50", "r"]);
    expect_keys(&server, &agent, &[("KeyR", 1)]);
    agent.stop();
    expect_keys(&server, &agent, &[("KeyR", 1)]);
}
