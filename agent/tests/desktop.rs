//! The real agent on a real (virtual) desktop: Xvfb, input from xdotool, the real `keytrack`
//! server on a free port, and a recording proxy between them so the test sees every byte sent.
//!
//! Key detail leaves the agent only when an hour is over. Tests that need an hour to end run the
//! agent under libfaketime with its clock set back to just before an hour's end (as on a machine
//! whose clock is behind): the same binary, a shifted clock.
//!
//! Needs Xvfb, xdotool and faketime (scripts/setup.sh installs them) and the server binary built
//! next to the agent (`scripts/build-site.sh` does that; or set KEYTRACK_BIN).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use keytrack_wire::GridCount;
use serde_json::Value;

const AGENT: &str = env!("CARGO_BIN_EXE_keytrack-agent");

fn server_binary() -> PathBuf {
    let path = std::env::var_os("KEYTRACK_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(AGENT).with_file_name("keytrack"));
    assert!(
        path.exists(),
        "the server binary {} is missing: run `scripts/build-site.sh` first (scripts/test.sh does)",
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

/// The process whose lock holds display `n`, if the lock file exists and names one.
fn display_owner(n: u32) -> Option<u32> {
    std::fs::read_to_string(format!("/tmp/.X{n}-lock")).ok().and_then(|pid| pid.trim().parse().ok())
}

/// Whether an X server holds display `n`: its lock names a process that is alive. The lock and
/// socket of a dead one (an Xvfb killed by SIGKILL leaves both) are removed, so that a new Xvfb's
/// socket is never confused with the old one's.
fn display_taken(n: u32) -> bool {
    if display_owner(n).is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists()) {
        return true;
    }
    let _ = std::fs::remove_file(format!("/tmp/.X{n}-lock"));
    let _ = std::fs::remove_file(format!("/tmp/.X11-unix/X{n}"));
    false
}

impl Drop for Display {
    /// SIGTERM first, so that Xvfb removes its lock and socket (the Process's SIGKILL then finds
    /// it gone).
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self._xvfb.0.id().to_string()]).status();
        wait_for(Duration::from_secs(2), || !matches!(self._xvfb.0.try_wait(), Ok(None)));
    }
}

impl Display {
    /// Kills the X server at once (SIGKILL), as a crashed session would go.
    fn kill(&mut self) {
        let _ = self._xvfb.0.kill();
        let _ = self._xvfb.0.wait();
    }

    fn start() -> Display {
        Display::start_sized("1920x1080")
    }

    /// An Xvfb whose one screen is `size` (e.g. "3840x1080") wide and tall.
    fn start_sized(size: &str) -> Display {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        for _ in 0..50 {
            let n = 200 + (std::process::id() % 200) * 10 + NEXT.fetch_add(1, Ordering::Relaxed) % 100;
            if display_taken(n) {
                continue;
            }
            let child = Command::new("Xvfb")
                .arg(format!(":{n}"))
                .args(["-screen", "0", &format!("{size}x24"), "-nolisten", "tcp"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start Xvfb (scripts/setup.sh installs it)");
            let mut xvfb = Process(child);
            let socket = format!("/tmp/.X11-unix/X{n}");
            // Up once its socket exists and its lock names it (another test process may have taken
            // the number at the same moment: then this Xvfb exits).
            let pid = xvfb.0.id();
            let up = wait_for(Duration::from_secs(10), || Path::new(&socket).exists() && display_owner(n) == Some(pid));
            std::thread::sleep(Duration::from_millis(300));
            if up && matches!(xvfb.0.try_wait(), Ok(None)) {
                return Display { name: format!(":{n}"), _xvfb: xvfb };
            }
        }
        panic!("could not start Xvfb on a free display");
    }

    /// Starts an X client on this display; returns it with its window's id once the window shows,
    /// found by its process, or (`by_class`, for a client that does not name its process) by its
    /// class.
    fn client(&self, program: &str, args: &[&str], by_class: bool) -> (Process, String) {
        let child = Command::new(program)
            .args(args)
            .env("DISPLAY", &self.name)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {program} (scripts/setup.sh installs it): {e}"));
        let pid = child.id().to_string();
        let process = Process(child);
        let mut window = String::new();
        let search = |by: &str, what: &str| {
            let out = Command::new("xdotool")
                .args(["search", "--onlyvisible", by, what])
                .env("DISPLAY", &self.name)
                .output()
                .expect("xdotool search");
            String::from_utf8_lossy(&out.stdout).lines().next().unwrap_or_default().to_string()
        };
        let shown = wait_for(Duration::from_secs(15), || {
            window = if by_class { search("--classname", program) } else { search("--pid", &pid) };
            !window.is_empty()
        });
        assert!(shown, "{program} showed no window");
        (process, window)
    }

    /// Gives `window` the keyboard focus, and the agent (which reads the focus ten times a
    /// second) time to see it.
    fn focus(&self, window: &str) {
        self.xdotool(&["windowfocus", "--sync", window]);
        std::thread::sleep(Duration::from_millis(500));
    }

    /// Presses and releases each X key code (XTest), in order: keys xdotool cannot name.
    #[allow(unsafe_code)] // XTest calls on a connection opened and closed here
    fn press_keycodes(&self, keycodes: &[u8]) {
        use x11::{xlib, xtest};
        let name = std::ffi::CString::new(self.name.clone()).expect("display name");
        // SAFETY: the connection is checked for null, used only here and closed before returning.
        unsafe {
            let display = xlib::XOpenDisplay(name.as_ptr());
            assert!(!display.is_null(), "cannot open {}", self.name);
            for keycode in keycodes {
                for press in [xlib::True, xlib::False] {
                    xtest::XTestFakeKeyEvent(display, u32::from(*keycode), press, 0);
                    xlib::XSync(display, xlib::False);
                    std::thread::sleep(Duration::from_millis(8));
                }
            }
            xlib::XCloseDisplay(display);
        }
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

/// The agent's clock shift (seconds) that makes its current hour end `secs` from now.
fn hour_ends_in(secs: i64) -> i64 {
    let offset = -(unix_now().rem_euclid(3_600) + secs);
    // The hour that ends must not be the local day's last: a test that counts "today" would see
    // its count start again at midnight (these failed when run between 00:00 and 01:00).
    use chrono::{Local, TimeZone, Timelike};
    let ends_the_day = Local.timestamp_opt(unix_now() + offset, 0).earliest().is_some_and(|t| t.hour() == 23);
    if ends_the_day { offset - 3_600 } else { offset }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

fn libfaketime() -> PathBuf {
    let candidates = [
        "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
        "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
        "/usr/lib/faketime/libfaketime.so.1",
    ];
    let found = candidates.iter().map(PathBuf::from).find(|p| p.exists());
    found.expect("libfaketime (Debian's faketime; scripts/setup.sh installs it)")
}

/// Key codes a text typed with xdotool presses (lower-case letters, digits and spaces only).
fn keys_of(text: &str) -> BTreeMap<String, u64> {
    let mut keys = BTreeMap::new();
    for c in text.chars() {
        let code = match c {
            'a'..='z' => format!("Key{}", c.to_ascii_uppercase()),
            '0'..='9' => format!("Digit{c}"),
            ' ' => "Space".to_string(),
            other => panic!("keys_of: {other:?} is not a plain key"),
        };
        *keys.entry(code).or_default() += 1;
    }
    keys
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
        let mut server = Server { data_dir, log, addr: String::new(), token: String::new(), process: None };
        server.cli(&["user", "add", "--email", "ada@example.com"], "correct horse battery\n");
        server.token = server.cli(&["token", "create", "--email", "ada@example.com", "--name", "desktop"], "");
        server.listen("127.0.0.1:0");
        server
    }

    /// Runs an admin command of `keytrack` on this server's data dir; its standard output.
    fn cli(&self, args: &[&str], stdin: &str) -> String {
        let mut child = Command::new(server_binary())
            .args(args)
            .arg("--data-dir")
            .arg(self.data_dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run keytrack");
        child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("stdin");
        let out = child.wait_with_output().expect("keytrack");
        assert!(out.status.success(), "keytrack {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
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
        self.stats_of(&self.token)
    }

    /// A dashboard of the test user opens its live stream, which stays open while the returned
    /// response lives: a watched agent sends its open minute at once.
    fn open_dashboard(&self) -> reqwest::blocking::Response {
        let client = reqwest::blocking::Client::builder().timeout(None).build().expect("client");
        let page = client
            .get(format!("{}/api/v1/live", self.url()))
            .bearer_auth(&self.token)
            .send()
            .expect("GET /api/v1/live");
        assert_eq!(page.status(), 200);
        page
    }

    /// Today's statistics of the account that `token` belongs to.
    fn stats_of(&self, token: &str) -> Value {
        let today = chrono::Utc::now().date_naive();
        let from = today.pred_opt().unwrap_or(today);
        let to = today.succ_opt().unwrap_or(today);
        let response = reqwest::blocking::Client::new()
            .get(format!("{}/api/v1/stats?from={from}&to={to}", self.url()))
            .bearer_auth(token)
            .send()
            .expect("GET /api/v1/stats");
        assert_eq!(response.status(), 200);
        response.json().expect("stats JSON")
    }

    fn keys(&self) -> BTreeMap<String, u64> {
        serde_json::from_value(self.stats()["keys"].clone()).expect("keys")
    }

    fn total_keys(&self) -> u64 {
        self.stats()["total_keys"].as_u64().unwrap_or(0)
    }

    fn database(&self) -> PathBuf {
        self.data_dir.path().join("keytrack.db")
    }

    /// The hour blocks the server stored, decoded.
    /// The click and movement grids of the days around today, per display.
    fn heatmaps(&self) -> Value {
        let today = chrono::Utc::now().date_naive();
        let from = today.pred_opt().unwrap_or(today);
        let to = today.succ_opt().unwrap_or(today);
        let response = reqwest::blocking::Client::new()
            .get(format!("{}/api/v1/heatmaps?from={from}&to={to}", self.url()))
            .bearer_auth(&self.token)
            .send()
            .expect("GET /api/v1/heatmaps");
        assert_eq!(response.status(), 200);
        response.json().expect("heatmaps JSON")
    }

    fn blocks(&self) -> Vec<keytrack_wire::HourBlock> {
        let db = rusqlite::Connection::open(self.database()).expect("server database");
        let mut stmt = db.prepare("SELECT detail FROM activity_blocks ORDER BY starts_at").expect("query");
        let rows = stmt.query_map([], |r| r.get::<_, Vec<u8>>(0)).expect("rows");
        rows.map(|r| {
            let json = zstd::decode_all(&r.expect("row")[..]).expect("zstd");
            serde_json::from_slice(&json).expect("block")
        })
        .collect()
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
    /// The Windows build under Wine, or (None) this machine's.
    wine: Option<Arc<Wine>>,
}

impl Agent {
    fn pair(server_url: &str, token: &str) -> Agent {
        Agent::pair_on(None, server_url, token)
    }

    /// Pairs the agent that `wine` runs (the Windows build), or this machine's.
    fn pair_on(wine: Option<Arc<Wine>>, server_url: &str, token: &str) -> Agent {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("agent.log");
        let agent = Agent { dir, log, process: None, wine };
        let (ok, out, err) = agent.command(&["pair", "--server", server_url, "--token", token]);
        assert!(ok, "pair: {out}{err}");
        agent
    }

    /// The agent program with its config dir: run directly, or by Wine.
    fn program(&self) -> Command {
        let mut command = match &self.wine {
            Some(wine) => wine.agent(),
            None => Command::new(AGENT),
        };
        command.arg("--config-dir").arg(self.config_dir());
        command
    }

    fn config_dir(&self) -> PathBuf {
        self.dir.path().join("agent")
    }

    fn start(&mut self, display: &Display) {
        self.start_with_clock(display, None);
    }

    /// Starts the agent, its clock shifted by `shift` seconds (libfaketime) when given.
    fn start_with_clock(&mut self, display: &Display, shift: Option<i64>) {
        self.start_with(display, shift, 1);
    }

    /// Starts the agent saving (and uploading) every `flush_secs`, its clock shifted by `shift`.
    fn start_with(&mut self, display: &Display, shift: Option<i64>, flush_secs: u32) {
        // The log is appended to across restarts: wait for this run's own start line.
        let starts_before = self.log_text().matches("capturing on").count();
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log).expect("agent log");
        let mut command = self.program();
        command
            .args(["run", "--flush-secs", &flush_secs.to_string()])
            .env("DISPLAY", &display.name)
            // An X11 session, whatever session the tests run in (`--capture auto` reads the rest).
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("XDG_SESSION_TYPE")
            .stdout(log.try_clone().expect("log"))
            .stderr(log);
        if let Some(shift) = shift {
            command
                .env("LD_PRELOAD", libfaketime())
                .env("FAKETIME", format!("{shift:+}"))
                // Only the wall clock: Instant (the monotonic clock) must not go below boot.
                .env("FAKETIME_DONT_FAKE_MONOTONIC", "1");
        }
        let child = command.spawn().expect("start keytrack-agent run");
        self.process = Some(Process(child));
        let started =
            wait_for(Duration::from_secs(60), || self.log_text().matches("capturing on").count() > starts_before);
        assert!(started, "the agent did not start: {}", self.log_text());
        // rdev's XRecord context is set up on the capture thread right after the agent reports;
        // give it a moment (generous: tests run side by side on two cores).
        std::thread::sleep(Duration::from_millis(1_500));
    }

    /// Asks the agent to stop and waits: it saves and makes a last upload. SIGTERM, or under Wine
    /// SIGINT, which Wine hands to the program as Ctrl+C (SIGTERM ends a Wine process at once, as
    /// `taskkill /F` would).
    fn stop(&mut self) {
        if let Some(mut process) = self.process.take() {
            let pid = process.0.id().to_string();
            let signal = if self.wine.is_some() { "-INT" } else { "-TERM" };
            let _ = Command::new("kill").args([signal, &pid]).status();
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
        self.command(&["status"]).1
    }

    /// Runs an agent command on this directory: (success, stdout, stderr).
    fn command(&self, args: &[&str]) -> (bool, String, String) {
        let out = self.program().args(args).output().expect("agent");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

/// The Windows agent under Wine on a test's display: a Wine prefix of its own, and the
/// cross-built `keytrack-agent.exe` (scripts/test.sh builds it) copied beside the `ProcessPrng`
/// shim that Debian's Wine 8 lacks (tests/fixtures/wine: a test fixture, never shipped).
struct Wine {
    prefix: tempfile::TempDir,
    bin: tempfile::TempDir,
    display: String,
}

const WINE: &str = "/usr/lib/wine/wine64";

impl Wine {
    fn start(display: &Display) -> Arc<Wine> {
        let exe = std::env::var_os("KEYTRACK_WINDOWS_AGENT").map(PathBuf::from).unwrap_or_else(|| {
            let debug = Path::new(AGENT).parent().expect("target/debug");
            debug.parent().expect("target").join("x86_64-pc-windows-gnu/debug/keytrack-agent.exe")
        });
        assert!(
            exe.exists(),
            "{} is missing: `cargo build -p keytrack-agent --target x86_64-pc-windows-gnu` (scripts/test.sh does)",
            exe.display()
        );
        let bin = tempfile::tempdir().expect("tempdir");
        std::fs::copy(&exe, bin.path().join("keytrack-agent.exe")).expect("copy the Windows agent");
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wine");
        let built = Command::new("x86_64-w64-mingw32-gcc")
            .args(["-shared", "-O2", "-o"])
            .arg(bin.path().join("bcryptprimitives.dll"))
            .arg(fixture.join("bcryptprimitives.c"))
            .arg(fixture.join("bcryptprimitives.def"))
            .arg("-lbcrypt")
            .output()
            .expect("x86_64-w64-mingw32-gcc (scripts/setup.sh installs it)");
        assert!(built.status.success(), "the shim: {}", String::from_utf8_lossy(&built.stderr));
        let built = Command::new("x86_64-w64-mingw32-gcc")
            .args(["-O2", "-o"])
            .arg(bin.path().join("foreground.exe"))
            .arg(fixture.join("foreground.c"))
            .output()
            .expect("x86_64-w64-mingw32-gcc");
        assert!(built.status.success(), "foreground.exe: {}", String::from_utf8_lossy(&built.stderr));
        let wine = Wine { prefix: tempfile::tempdir().expect("tempdir"), bin, display: display.name.clone() };
        // Make the prefix now (about 10 s), so that the agent's first command does not wait on it.
        let booted = wine.command("wineboot").arg("--init").output().expect("wine (scripts/setup.sh installs it)");
        assert!(booted.status.success(), "wineboot: {}", String::from_utf8_lossy(&booted.stderr));
        Arc::new(wine)
    }

    /// A Windows program run by Wine in this prefix, on this display.
    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(WINE);
        command
            .arg(program)
            .env("WINEPREFIX", self.prefix.path())
            .env("WINEDEBUG", "-all")
            // No Mono or Gecko installer on a new prefix.
            .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
            .env("DISPLAY", &self.display);
        command
    }

    fn agent(&self) -> Command {
        self.command(self.bin.path().join("keytrack-agent.exe"))
    }

    /// Gives `window` the focus and waits until Wine has `program` (`notepad.exe`) in front, so that
    /// what is typed next goes there: Wine follows X's focus a while later, longer on a busy machine.
    /// Every other try also asks Wine itself to bring the program forward (`foreground.exe
    /// <program>`), as a click would: once, X's focus alone left Wine's desktop in front for 30 s.
    fn bring_to_front(&self, display: &Display, window: &str, program: &str) {
        let in_front = |bring: Option<&str>| {
            let out =
                self.command(self.bin.path().join("foreground.exe")).args(bring).output().expect("foreground.exe");
            String::from_utf8_lossy(&out.stdout).trim().to_lowercase()
        };
        let mut tries = 0;
        let arrived = wait_for(Duration::from_secs(30), || {
            tries += 1;
            display.focus(window);
            let bring = (tries % 2 == 0).then_some(program);
            in_front(bring).ends_with(&format!("\\{program}"))
        });
        assert!(arrived, "Wine kept {} in front, not {program}", in_front(None));
    }

    /// Starts one of Wine's own programs (`notepad`) and returns it with its window once it shows.
    fn client(&self, program: &str, title: &str) -> (Process, String) {
        let child = self.command(program).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("wine");
        let process = Process(child);
        let mut window = String::new();
        let shown = wait_for(Duration::from_secs(60), || {
            let out = Command::new("xdotool")
                .args(["search", "--onlyvisible", "--name", title])
                .env("DISPLAY", &self.display)
                .output()
                .expect("xdotool search");
            window = String::from_utf8_lossy(&out.stdout).lines().last().unwrap_or_default().to_string();
            !window.is_empty()
        });
        assert!(shown, "{program} showed no window");
        (process, window)
    }
}

impl Drop for Wine {
    fn drop(&mut self) {
        let _ = Command::new("wineserver").arg("-k").env("WINEPREFIX", self.prefix.path()).status();
    }
}

/// Waits until the server names exactly these keys (which arrive in closed hour blocks).
fn expect_keys(server: &Server, agent: &Agent, expected: &BTreeMap<String, u64>) {
    let arrived = wait_for(Duration::from_secs(60), || server.keys() == *expected);
    assert!(arrived, "expected {expected:?}, the server has {:?}; agent log:\n{}", server.keys(), agent.log_text());
}

/// Waits until the server counts exactly this many key presses (totals arrive with every flush).
fn expect_presses(server: &Server, agent: &Agent, expected: u64) {
    let arrived = wait_for(Duration::from_secs(30), || server.total_keys() == expected);
    assert!(
        arrived,
        "expected {expected} presses, the server has {}; agent log:\n{}",
        server.total_keys(),
        agent.log_text()
    );
}

/// While a dashboard shows the user's data, the agent sends its open minute at once, though it
/// saves only once a minute; once the page is closed it keeps its own cadence again.
#[test]
fn a_watched_agent_sends_its_open_minute_at_once() {
    let display = Display::start();
    let server = Server::start();
    let mut agent = Agent::pair(&server.url(), &server.token);
    agent.start_with(&display, None, 60);
    let page = server.open_dashboard();
    std::thread::sleep(Duration::from_millis(500));
    display.xdotool(&["type", "--delay", "30", "abcdefghij"]);
    let arrived = wait_for(Duration::from_secs(10), || server.total_keys() == 10);
    assert!(
        arrived,
        "10 presses within 10 s with a 60 s flush: the server has {}; {}",
        server.total_keys(),
        agent.log_text()
    );
    drop(page);
    agent.stop();
}

/// Pairing again while the agent runs (here with another account's token) takes effect at its
/// next upload, and `pair` says so; an address without a scheme or with a path after the server's
/// is refused with what to type instead.
#[test]
fn pairing_again_while_running_moves_the_running_agent_to_the_new_token() {
    let display = Display::start();
    let server = Server::start();
    let mut agent = Agent::pair(&server.url(), &server.token);
    let (ok, _, err) = agent.command(&["pair", "--server", &server.addr, "--token", &server.token]);
    assert!(!ok && err.contains("needs http:// or https:// in front"), "{err}");
    let with_path = format!("{}/tokens", server.url());
    let (ok, _, err) = agent.command(&["pair", "--server", &with_path, "--token", &server.token]);
    assert!(!ok && err.contains(&format!("use {} (without \"/tokens\")", server.url())), "{err}");

    agent.start(&display);
    display.xdotool(&["type", "--delay", "30", "abc"]);
    expect_presses(&server, &agent, 3);
    server.cli(&["user", "add", "--email", "bob@example.com"], "violet staple orbit 9\n");
    let bob = server.cli(&["token", "create", "--email", "bob@example.com", "--name", "desktop"], "");
    let (ok, out, err) = agent.command(&["pair", "--server", &server.url(), "--token", &bob]);
    assert!(ok, "{err}");
    assert!(out.contains("switches to it at its next upload"), "{out}");
    display.xdotool(&["type", "--delay", "30", "defg"]);
    // The minute in progress at the switch goes to the new pairing whole (its record holds the
    // minute's totals): Bob gets the 4 new presses, and the 3 before them when they share a minute.
    let bobs = || server.stats_of(&bob)["total_keys"].as_u64().unwrap_or(0);
    let moved = wait_for(Duration::from_secs(30), || bobs() >= 4);
    assert!(moved, "Bob's account has {} presses; agent log:\n{}", bobs(), agent.log_text());
    assert!(bobs() == 4 || bobs() == 7, "{}", bobs());
    assert_eq!(server.total_keys(), 3, "nothing more went to Ada's account");
    assert!(agent.log_text().contains("paired again"), "{}", agent.log_text());
    agent.stop();
}

/// Issue 36: while an administrator has disabled the account, its agent's uploads are refused
/// (403 `account_disabled`) and it keeps what it counted in its spool; enabled again, every press
/// arrives, once.
#[test]
fn a_disabled_account_s_agent_keeps_its_spool_and_delivers_once_enabled() {
    let display = Display::start();
    let server = Server::start();
    server.cli(&["user", "add", "--email", "bob@example.com"], "violet staple orbit 9\n");
    let bob = server.cli(&["token", "create", "--email", "bob@example.com", "--name", "desktop"], "");
    let client = reqwest::blocking::Client::new();
    // Ada made the server: its administrator.
    let people: Value = client
        .get(format!("{}/api/v1/admin/users?search=bob", server.url()))
        .bearer_auth(&server.token)
        .send()
        .expect("GET /api/v1/admin/users")
        .json()
        .expect("people");
    let bob_id = people["people"][0]["id"].as_i64().expect("Bob's id");
    let set_disabled = |disabled: bool| {
        let response = client
            .patch(format!("{}/api/v1/admin/users/{bob_id}", server.url()))
            .bearer_auth(&server.token)
            .json(&serde_json::json!({ "disabled": disabled }))
            .send()
            .expect("PATCH /api/v1/admin/users/{id}");
        assert_eq!(response.status(), 204);
    };
    let mut agent = Agent::pair(&server.url(), &bob);
    agent.start(&display);
    set_disabled(true);
    display.xdotool(&["type", "--delay", "40", "disabled"]);
    let refused = wait_for(Duration::from_secs(20), || agent.log_text().contains("account_disabled"));
    assert!(refused, "{}", agent.log_text());
    assert!(!agent.status().contains("waiting:     0 minutes"), "kept in the spool: {}", agent.status());
    let bobs = || server.stats_of(&bob)["total_keys"].as_u64().unwrap_or(0);
    set_disabled(false);
    let arrived = wait_for(Duration::from_secs(60), || bobs() == 8);
    assert!(arrived, "Bob's account has {} presses; agent log:\n{}", bobs(), agent.log_text());
    display.xdotool(&["type", "--delay", "40", "ok"]);
    let more = wait_for(Duration::from_secs(30), || bobs() == 10);
    assert!(more, "{} presses; {}", bobs(), agent.log_text());
    agent.stop();
    assert_eq!(bobs(), 10, "nothing counted twice");
}

/// When the X server goes away, Xlib ends the agent, but only after the agent saved what it held
/// and made its last upload: the minute in progress (saved only once a minute here) arrives.
#[test]
fn the_x_server_going_away_saves_and_uploads_first() {
    let mut display = Display::start();
    let server = Server::start();
    let mut agent = Agent::pair(&server.url(), &server.token);
    agent.start_with(&display, None, 60);
    display.xdotool(&["type", "--delay", "30", "hello"]);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(server.total_keys(), 0, "nothing uploaded yet with a 60 s flush");
    display.kill();
    expect_presses(&server, &agent, 5);
    let ended = wait_for(Duration::from_secs(30), || {
        agent.process.as_mut().is_some_and(|p| !matches!(p.0.try_wait(), Ok(None)))
    });
    assert!(ended, "the agent ends with its X server");
    assert!(agent.log_text().contains("the X server went away"), "{}", agent.log_text());
}

/// A damaged spool (a disk error, a copy cut short) does not stop capture: it is moved aside with
/// a warning that names it, and a new one takes its place.
#[test]
fn a_damaged_spool_is_moved_aside_and_capture_goes_on() {
    let display = Display::start();
    let server = Server::start();
    let mut agent = Agent::pair(&server.url(), &server.token);
    std::fs::write(agent.config_dir().join("spool.db"), b"not a database, just bytes ".repeat(100)).expect("damage");
    agent.start(&display);
    display.xdotool(&["type", "--delay", "50", "abc"]);
    expect_presses(&server, &agent, 3);
    let log = agent.log_text();
    assert!(log.contains("spool.db was damaged") && log.contains("spool.db.damaged-"), "{log}");
    agent.stop();
}

#[test]
fn typing_chords_clicks_and_moves_arrive_exactly() {
    let display = Display::start();
    let server = Server::start();
    let mut agent = Agent::pair(&server.url(), &server.token);
    agent.start_with_clock(&display, Some(hour_ends_in(30)));

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

    // Totals are live: 13 presses and 4 clicks arrive within seconds, while no key is named yet.
    expect_presses(&server, &agent, 13);
    let clicked = wait_for(Duration::from_secs(10), || server.stats()["total_clicks"] == 4);
    let stats = server.stats();
    assert!(clicked, "clicks: {stats}");
    assert_eq!((&stats["keys"], &stats["combos"]), (&serde_json::json!({}), &serde_json::json!({})));
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

    // Enough typing for a block; when the agent's hour ends, every key arrives, named, once.
    let more = "the quick brown fox jumps over the lazy dog ".repeat(5);
    display.xdotool(&["type", "--delay", "12", &more]);
    let mut expected = keys_of(&format!("hello world{more}"));
    *expected.entry("ControlLeft".into()).or_default() += 1;
    *expected.entry("KeyC".into()).or_default() += 1;
    expect_keys(&server, &agent, &expected);
    let stats = server.stats();
    assert_eq!(stats["combos"], serde_json::json!({ "Ctrl+KeyC": 1 }));
    assert_eq!(stats["total_keys"].as_u64(), Some(expected.values().sum::<u64>()));
    agent.stop();

    // One block, with the pointer binned on the 64x36 grid of the 1920x1080 screen: the path's
    // end, (500, 100), lies in cell [16, 3].
    let blocks = server.blocks();
    assert_eq!(blocks.len(), 1, "{blocks:?}");
    let screen = &blocks[0].screens[0];
    assert_eq!((screen.width, screen.height), (1920, 1080));
    assert!(screen.moves.iter().any(|c| (c.0, c.1) == (16, 3)), "{:?}", screen.moves);
    assert!(screen.moves.iter().map(|c| c.2).sum::<u32>() >= 19, "{:?}", screen.moves);
    assert_eq!(screen.clicks.iter().map(|c| c.2).sum::<u32>(), 4);
}

/// One table names the keys for both captures: each key the kernel table (`evdev::keys`) names,
/// pressed on the X server by its X key code (the kernel's plus 8), arrives from the X11 capture
/// under the same name, or as `Unidentified` where rdev names no key (the right Meta key, F13-F24
/// and others, which the evdev capture names).
#[test]
fn the_kernel_s_key_codes_name_each_key_as_the_x11_capture_does() {
    let display = Display::start();
    let server = Server::start();
    let mut agent = Agent::pair(&server.url(), &server.token);
    agent.start_with_clock(&display, Some(hour_ends_in(40)));
    // X key codes end at 255; twice over, to fill a block of key detail.
    let kernel: Vec<u16> = keytrack_agent::evdev::keys::named_codes().filter(|code| *code <= 247).collect();
    let keycodes: Vec<u8> = kernel.iter().filter_map(|code| u8::try_from(code + 8).ok()).collect();
    assert_eq!(keycodes.len(), kernel.len());
    let mut twice = keycodes.clone();
    twice.extend(&keycodes);
    display.press_keycodes(&twice);

    let presses = 2 * kernel.len() as u64;
    let named = wait_for(Duration::from_secs(60), || !server.keys().is_empty());
    assert!(
        named,
        "no key detail arrived; the server counts {} presses; agent log:\n{}",
        server.total_keys(),
        agent.log_text()
    );
    let keys = server.keys();
    let mut expected_unidentified = 0;
    for code in &kernel {
        let name = keytrack_agent::evdev::keys::key_code(*code).expect("named");
        match keys.get(name) {
            Some(count) => assert_eq!(*count, 2, "{name} (kernel code {code}): {keys:?}"),
            None => expected_unidentified += 2,
        }
    }
    assert_eq!(keys.get("Unidentified").copied().unwrap_or(0), expected_unidentified, "{keys:?}");
    assert_eq!(keys.values().sum::<u64>(), presses, "every press arrived, under one name each: {keys:?}");
    // rdev names most of the keyboard: the table is checked against real names, not against silence.
    assert!(keys.len() > 90, "{} keys named: {keys:?}", keys.len());
    agent.stop();
    // The agent said how it captures, and the server keeps it (it knows the positions: no note on
    // the dashboard).
    let db = rusqlite::Connection::open(server.database()).expect("server database");
    let capture: String = db.query_row("SELECT capture FROM devices", [], |r| r.get(0)).expect("the device");
    assert_eq!(capture, "x11");
}

/// Key code names a text or its keys could appear as in a file or on the wire.
const SECRET_CODES: [&str; 9] = ["KeyZ", "KeyQ", "Digit7", "KeyX", "KeyV", "Digit9", "KeyJ", "Digit4", "Digit8"];

fn count_occurrences(haystack: &[u8], needle: &str) -> usize {
    haystack.windows(needle.len()).filter(|w| *w == needle.as_bytes()).count()
}

/// Every zstd frame in a file that decodes, as text (the server stores records compressed).
fn zstd_frames(bytes: &[u8]) -> Vec<String> {
    let mut frames = Vec::new();
    for at in 0..bytes.len().saturating_sub(4) {
        if bytes[at..at + 4] == [0x28, 0xb5, 0x2f, 0xfd]
            && let Ok(size) = zstd::zstd_safe::find_frame_compressed_size(&bytes[at..])
            && let Ok(json) = zstd::decode_all(&bytes[at..(at + size).min(bytes.len())])
        {
            frames.push(String::from_utf8_lossy(&json).into_owned());
        }
    }
    frames
}

/// A secret typed alone in a quiet minute, with a flush every second and an hour ending meanwhile:
/// its total is on the server at once, and its keys are in no record, no copy and no difference
/// of copies that left the agent or was written while it ran. Afterwards the agent's directory
/// holds them once: the one pending block, readable by its owner only.
#[test]
fn a_typed_secret_is_nowhere_on_disk_in_logs_or_on_the_wire() {
    let secret = "zq7xv9 jk4wq8";
    let display = Display::start();
    let server = Server::start();
    let proxy = RecordingProxy::start(server.addr.clone());
    let mut agent = Agent::pair(&format!("http://{}", proxy.addr), &server.token);
    let hour_ends = Instant::now() + Duration::from_secs(20);
    agent.start_with_clock(&display, Some(hour_ends_in(20)));

    // Every state of the spool while the agent runs, ten times a second.
    let spool_dir = agent.config_dir();
    let watching = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let snapshots = {
        let watching = Arc::clone(&watching);
        std::thread::spawn(move || {
            let mut seen: Vec<(String, Vec<u8>)> = Vec::new();
            while watching.load(Ordering::Relaxed) {
                for file in files_under(&spool_dir) {
                    seen.push((file.display().to_string(), std::fs::read(&file).unwrap_or_default()));
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            seen
        })
    };

    display.xdotool(&["type", "--delay", "60", secret]);
    display.xdotool(&["key", "Return"]);
    // The total at once (14 presses), no key named.
    expect_presses(&server, &agent, 14);
    assert_eq!(server.keys(), BTreeMap::new());
    // The agent's hour ends: 14 presses are far from a block, so they are carried, not sent.
    // Past the end of the agent's hour, with a few flushes after it.
    std::thread::sleep((hour_ends + Duration::from_secs(4)).saturating_duration_since(Instant::now()));
    assert_eq!(server.keys(), BTreeMap::new(), "no block left the agent");
    assert_eq!(server.total_keys(), 14);
    watching.store(false, Ordering::Relaxed);
    let running = snapshots.join().expect("snapshots");
    agent.stop();
    drop(server.process);

    // On the wire: totals only, in every copy of every minute.
    let wire = proxy.bytes();
    assert!(wire.len() > 200, "the proxy saw the uploads");
    // (Receipts say `"blocks":0`; a block sent would be a list.)
    for needle in SECRET_CODES.iter().chain(&["\"keys\"", "\"chords\"", "\"screen\"", "\"blocks\":["]) {
        assert_eq!(count_occurrences(&wire, needle), 0, "{needle} on the wire");
    }
    // In the spool while the agent ran: never a key name.
    assert!(running.len() > 50, "the spool was watched: {} states", running.len());
    for (name, bytes) in &running {
        for code in SECRET_CODES {
            assert_eq!(count_occurrences(bytes, code), 0, "{code} in {name} while the agent ran");
        }
    }
    // On the server, in the database and its log: no block, no frame with key detail.
    let mut server_files = files_under(server.data_dir.path());
    server_files.retain(|f| f.file_name().is_some_and(|n| n.to_string_lossy().starts_with("keytrack.db")));
    assert!(!server_files.is_empty());
    for file in &server_files {
        let bytes = std::fs::read(file).unwrap_or_default();
        for frame in zstd_frames(&bytes) {
            assert!(!frame.contains("\"keys\""), "{} holds key detail: {frame}", file.display());
        }
        for code in SECRET_CODES {
            assert_eq!(count_occurrences(&bytes, code), 0, "{code} in {}", file.display());
        }
    }
    // After the agent stopped: the pending block, once, private; no journal of earlier states.
    let spool = agent.config_dir().join("spool.db");
    let bytes = std::fs::read(&spool).expect("spool");
    for code in SECRET_CODES {
        assert_eq!(count_occurrences(&bytes, code), 1, "{code}: one copy of the pending block");
    }
    assert!(agent.status().contains("key detail:  14 presses wait for 200"), "{}", agent.status());
    {
        use std::os::unix::fs::PermissionsExt;
        for file in files_under(&agent.config_dir()) {
            let mode = std::fs::metadata(&file).expect("metadata").permissions().mode() & 0o777;
            assert_eq!(mode & 0o077, 0, "{} is readable by others: {mode:o}", file.display());
            let name = file.display().to_string();
            assert!(!name.ends_with("-wal"), "no write-ahead log keeps old versions: {name}");
            if name.ends_with("-journal") {
                assert_eq!(std::fs::metadata(&file).expect("journal").len(), 0, "the journal is emptied");
            }
        }
    }

    // The secret and every 4-character piece of its words, in any case, anywhere.
    let mut needles: Vec<String> = vec![secret.to_string()];
    for word in secret.split(' ') {
        let chars: Vec<char> = word.chars().collect();
        needles.extend(chars.windows(4).map(|w| w.iter().collect()));
    }
    let mut haystacks: Vec<(String, Vec<u8>)> = vec![("HTTP traffic".into(), wire)];
    haystacks.extend(running);
    for dir in [agent.dir.path(), server.data_dir.path()] {
        for file in files_under(dir) {
            haystacks.push((file.display().to_string(), std::fs::read(&file).unwrap_or_default()));
        }
    }
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
    outage_loses_nothing_and_doubles_nothing(false);
}

/// The same with the Windows agent under Wine, typing into Notepad: its spool keeps what the
/// server could not take, and sends it once.
#[test]
fn on_windows_an_outage_loses_nothing_and_doubles_nothing() {
    outage_loses_nothing_and_doubles_nothing(true);
}

fn outage_loses_nothing_and_doubles_nothing(on_windows: bool) {
    let display = Display::start();
    let mut server = Server::start();
    let addr = server.addr.clone();
    let wine = on_windows.then(|| Wine::start(&display));
    let mut agent = Agent::pair_on(wine.clone(), &server.url(), &server.token);
    // Under Wine the agent's hook sees what is typed into a Windows window.
    let _notepad = wine.map(|wine| {
        let (process, window) = wine.client("notepad", "Notepad");
        wine.bring_to_front(&display, &window, "notepad.exe");
        process
    });
    server.stop();
    agent.start_with_clock(&display, Some(hour_ends_in(25)));
    display.xdotool(&["type", "--delay", "50", "aaaa"]);
    let waited = wait_for(Duration::from_secs(10), || agent.log_text().contains("upload failed"));
    assert!(waited, "{}", agent.log_text());
    assert!(!agent.status().contains("waiting:     0 minutes"), "{}", agent.status());
    // Enough for a block, which closes with the hour while the server is away.
    let block_text = "ab".repeat(110);
    display.xdotool(&["type", "--delay", "10", &block_text]);
    let closed = wait_for(Duration::from_secs(60), || agent.status().contains("and 1 hour blocks"));
    assert!(closed, "{}\n{}", agent.status(), agent.log_text());

    server.listen(&addr);
    display.xdotool(&["type", "--delay", "50", "bb"]);
    let mut expected = keys_of(&format!("aaaa{block_text}"));
    expect_keys(&server, &agent, &expected);
    expect_presses(&server, &agent, 4 + 220 + 2);
    agent.stop();
    // Stopped by request (under Wine, as by Ctrl+C), not killed: it saved and said so.
    assert!(agent.log_text().contains(" INFO stopped"), "{}", agent.log_text());
    // After the last upload nothing waits, and re-sends changed nothing.
    assert!(agent.status().contains("waiting:     0 minutes and 0 hour blocks"), "{}", agent.status());
    assert!(agent.status().contains("today:       226 key presses"), "{}", agent.status());
    expect_presses(&server, &agent, 226);
    // The two presses after the hour wait on the agent for more.
    expected.retain(|_, n| *n > 0);
    assert_eq!(server.keys(), expected);
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
    expect_presses(&server, &agent, 5);
    agent.stop();
    expect_presses(&server, &agent, 5);
}

/// A block that closed while the server was away survives a kill -9 of the agent and arrives
/// once, when both are back.
#[test]
fn a_block_pending_when_the_agent_is_killed_arrives_once() {
    let display = Display::start();
    let mut server = Server::start();
    let addr = server.addr.clone();
    let mut agent = Agent::pair(&server.url(), &server.token);
    agent.start_with_clock(&display, Some(hour_ends_in(20)));
    let text = "abc".repeat(70);
    display.xdotool(&["type", "--delay", "10", &text]);
    expect_presses(&server, &agent, 210);
    server.stop();
    let closed = wait_for(Duration::from_secs(60), || agent.status().contains("and 1 hour blocks"));
    assert!(closed, "{}\n{}", agent.status(), agent.log_text());
    agent.kill_9();

    server.listen(&addr);
    // Back with its clock put right: the block waiting in the spool goes first.
    agent.start(&display);
    let expected = keys_of(&text);
    expect_keys(&server, &agent, &expected);
    agent.stop();
    agent.start(&display);
    std::thread::sleep(Duration::from_secs(3));
    agent.stop();
    assert_eq!(server.keys(), expected, "sent once");
    assert_eq!(server.blocks().len(), 1);
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
fn pause_takes_effect_before_the_command_returns() {
    let display = Display::start();
    let server = Server::start();
    let mut agent = Agent::pair(&server.url(), &server.token);
    agent.start(&display);
    // Keys typed the moment `pause` returns are not counted: it waits for the agent to apply it.
    let (ok, out, err) = agent.command(&["pause", "30s"]);
    assert!(ok && out.contains("paused until") && !out.contains("no agent is running"), "{out} {err}");
    display.xdotool(&["type", "--delay", "20", "pppppppppp"]);
    assert!(agent.status().contains("capture:     paused"));
    let (ok, out, _) = agent.command(&["resume"]);
    assert!(ok && out.contains("capturing again"), "{out}");
    display.xdotool(&["type", "--delay", "50", "r"]);
    expect_presses(&server, &agent, 1);
    // Until `resume`, and a duration too long for a pause: refused, capture stays on.
    let (ok, _, err) = agent.command(&["pause", "999999999999999d"]);
    assert!(!ok && err.contains("at most 365 days"), "{err}");
    assert!(agent.status().contains("capture:     on"), "{}", agent.status());
    display.xdotool(&["type", "--delay", "50", "s"]);
    expect_presses(&server, &agent, 2);
    let (ok, out, _) = agent.command(&["pause"]);
    assert!(ok && out.contains("paused until `keytrack-agent resume`"), "{out}");
    display.xdotool(&["type", "--delay", "20", "qqqq"]);
    agent.stop();
    expect_presses(&server, &agent, 2);
    // With no agent running, a pause is kept for its next start and says so.
    let (ok, out, _) = agent.command(&["resume"]);
    assert!(ok && out.contains("no agent is running now"), "{out}");
}

/// Real typing under X: the agent counts the classes of consecutive key pairs exactly, and the
/// block it sends holds those six counts, never which key followed which.
#[test]
fn key_pair_classes_of_real_typing_are_exact() {
    let display = Display::start();
    let server = Server::start();
    let mut agent = Agent::pair(&server.url(), &server.token);
    agent.start_with_clock(&display, Some(hour_ends_in(25)));
    // "asas…": a-s rolls inward (little to ring finger), s-a outward; the space makes no pair on
    // either side; "fjfj…" switches hands every key. 201 presses: enough for a block.
    let text = format!("{} {}", "as".repeat(50), "fj".repeat(50));
    display.xdotool(&["type", "--delay", "20", &text]);
    let arrived = wait_for(Duration::from_secs(90), || !server.blocks().is_empty());
    assert!(arrived, "no block arrived; agent log:\n{}", agent.log_text());
    let mut pairs = keytrack_wire::PairCounts::default();
    for block in server.blocks() {
        pairs.merge(&block.pairs);
    }
    let expected =
        keytrack_wire::PairCounts { inward_rolls: 50, outward_rolls: 49, alternations: 99, ..Default::default() };
    assert_eq!(pairs, expected, "agent log:\n{}", agent.log_text());
    let stats = server.stats();
    assert_eq!(
        (&stats["key_pairs"]["inward_rolls"], &stats["key_pairs"]["alternations"]),
        (&serde_json::json!(50), &serde_json::json!(99))
    );
    agent.stop();
    // The status tells where the breaks stand (counted on the agent's own clock, which this
    // test shifts, so only its form is checked here; `aggregate::break_state` has the rule).
    let status = agent.status();
    assert!(status.contains("min since the last break of 5+ min") || status.contains("on a break for"), "{status}");
}

/// Monitors set on an Xvfb through RandR 1.5, as `xrandr --setmonitor` does on a real desktop.
/// The X server keeps a client's monitors only while that client is connected (the xrandr
/// command's vanish when it exits), so this holds its connection until dropped.
struct Monitors {
    connection: *mut x11::xlib::Display,
}

impl Monitors {
    /// Sets monitors of (x, y, width, height) on `display`; Xvfb's own monitor over its whole
    /// screen stays listed beside them (a bounding box the agent leaves out).
    #[allow(unsafe_code)]
    fn set(display: &Display, rects: &[(i32, i32, i32, i32)]) -> Monitors {
        use x11::{xlib, xrandr};
        let name = std::ffi::CString::new(display.name.clone()).expect("display name");
        // SAFETY: a connection of this test's own, checked for null; each monitor structure is
        // allocated by Xrandr with room for no outputs, filled, sent and freed.
        unsafe {
            let connection = xlib::XOpenDisplay(name.as_ptr());
            assert!(!connection.is_null(), "open {}", display.name);
            let root = xlib::XDefaultRootWindow(connection);
            for (i, &(x, y, width, height)) in rects.iter().enumerate() {
                let monitor = xrandr::XRRAllocateMonitor(connection, 0);
                assert!(!monitor.is_null());
                let atom_name = std::ffi::CString::new(format!("TEST-{i}")).expect("name");
                (*monitor).name = xlib::XInternAtom(connection, atom_name.as_ptr(), xlib::False);
                ((*monitor).x, (*monitor).y, (*monitor).width, (*monitor).height) = (x, y, width, height);
                ((*monitor).mwidth, (*monitor).mheight) = (width / 4, height / 4);
                xrandr::XRRSetMonitor(connection, root, monitor);
                xlib::XFree(monitor.cast());
            }
            xlib::XSync(connection, xlib::False);
            Monitors { connection }
        }
    }
}

impl Drop for Monitors {
    #[allow(unsafe_code)]
    fn drop(&mut self) {
        // SAFETY: the connection opened in `set`, closed once.
        unsafe {
            x11::xlib::XCloseDisplay(self.connection);
        }
    }
}

/// A desktop of two monitors: the agent notices the second monitor plugged in while it runs, and
/// from then on each click lands on its own display's grid, where the server keeps it.
#[test]
fn clicks_land_on_the_display_they_were_made_on() {
    let display = Display::start_sized("3840x1080");
    let server = Server::start();
    let mut agent = Agent::pair(&server.url(), &server.token);
    agent.start_with_clock(&display, Some(hour_ends_in(45)));
    assert!(agent.log_text().contains("capturing on a 3840x1080 screen"), "{}", agent.log_text());

    // One screen so far: a click binned on the whole 3840x1080 grid.
    display.xdotool(&["mousemove", "100", "100", "click", "1"]);
    let monitors = Monitors::set(&display, &[(0, 0, 1920, 1080), (1920, 0, 1920, 1080)]);
    let noticed = wait_for(Duration::from_secs(25), || {
        agent.log_text().contains(
            "the displays changed: now capturing on a 3840x1080 desktop of 2 displays (1920x1080 at 0,0; 1920x1080 at 1920,0)",
        )
    });
    assert!(noticed, "{}", agent.log_text());
    // Right display, 80 px in, middle row: its cell (2, 18); left display's bottom-right corner.
    display.xdotool(&["mousemove", "2000", "540", "click", "1", "click", "1"]);
    display.xdotool(&["mousemove", "1900", "1000", "click", "3"]);
    let text = "the quick brown fox jumps over the lazy dog ".repeat(5);
    display.xdotool(&["type", "--delay", "12", &text]);
    expect_keys(&server, &agent, &keys_of(&text));
    agent.stop();
    drop(monitors);

    let blocks = server.blocks();
    assert_eq!(blocks.len(), 1, "{blocks:?}");
    let clicks: Vec<_> = blocks[0].screens.iter().map(|s| (s.desktop_width, s.x, s.width, s.clicks.clone())).collect();
    // In the order of their places (the desktop's size, then position, then size): the left
    // display, the whole screen of before, the right display.
    assert_eq!(
        clicks,
        vec![
            (3840, 0, 1920, vec![GridCount(63, 33, 1)]),
            (0, 0, 3840, vec![GridCount(1, 3, 1)]),
            (3840, 1920, 1920, vec![GridCount(2, 18, 2)]),
        ]
    );
    // The server keeps them apart, each display where it sat.
    let maps = server.heatmaps();
    let places: Vec<(u64, u64, u64)> = maps
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            (m["desktop_width"].as_u64().unwrap_or(0), m["x"].as_u64().unwrap_or(0), m["width"].as_u64().unwrap_or(0))
        })
        .collect();
    assert_eq!(places.len(), 3, "{maps}");
    for place in [(3840, 0, 3840), (3840, 0, 1920), (3840, 1920, 1920)] {
        assert!(places.contains(&place), "{place:?} in {places:?}");
    }
}

/// Two real X clients focused in turn each get exactly the keys typed into them; typing into an
/// application on the never-count list, or into a terminal running sudo, adds nothing at all (no
/// key, no total) but its time, as excluded.
#[test]
fn each_application_gets_its_own_keys_and_never_counted_ones_add_nothing() {
    let display = Display::start();
    let server = Server::start();
    let mut agent = Agent::pair(&server.url(), &server.token);
    let (ok, out, err) = agent.command(&["never-count", "add", "XClock"]);
    assert!(ok && out.contains("xclock: never counted"), "{out}{err}");
    let (_, list, _) = agent.command(&["never-count", "list"]);
    assert!(list.contains("  xclock\n") && list.contains("  keepassxc\n"), "{list}");
    // A "sudo" waiting in a terminal (cat under that name: it is the name that tells).
    let bin = tempfile::tempdir().expect("tempdir");
    let sudo = bin.path().join("sudo");
    std::os::unix::fs::symlink("/bin/cat", &sudo).expect("symlink");
    // xlogo names no process (its class names it); xterm and xclock do.
    let (_terminal, terminal) = display.client("xterm", &["-e", "cat"], false);
    let (_logo, logo) = display.client("xlogo", &[], true);
    let (_clock, clock) = display.client("xclock", &[], false);
    let (_prompt, prompt) = display.client("xterm", &["-e", &sudo.to_string_lossy()], false);
    agent.start_with_clock(&display, Some(hour_ends_in(35)));

    let in_terminal = "the quick brown fox jumps over the lazy dog ".repeat(3);
    // No "q": xlogo and xclock quit on it.
    let in_logo = "the five boxing wizards jump ".repeat(4);
    display.focus(&terminal);
    display.xdotool(&["type", "--delay", "12", &in_terminal]);
    display.focus(&logo);
    display.xdotool(&["type", "--delay", "12", &in_logo]);
    display.focus(&clock);
    display.xdotool(&["type", "--delay", "40", "zxcv zxcv zxcv zxcv zxcv zxcv"]);
    display.focus(&prompt);
    display.xdotool(&["type", "--delay", "40", "zxcv zxcv zxcv zxcv zxcv zxcv"]);
    display.focus(&terminal);

    let expected = keys_of(&format!("{in_terminal}{in_logo}"));
    let blocks_so_far =
        || format!("{:?}", server.blocks().iter().map(|b| (&b.apps, b.excluded_seconds)).collect::<Vec<_>>());
    let arrived = wait_for(Duration::from_secs(90), || !server.blocks().is_empty());
    assert!(arrived, "no block arrived; agent log:\n{}", agent.log_text());
    assert!(
        wait_for(Duration::from_secs(30), || server.keys() == expected),
        "blocks: {}\n{}",
        blocks_so_far(),
        agent.log_text()
    );
    expect_presses(&server, &agent, expected.values().sum());
    agent.stop();
    let mut apps: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    let mut excluded = 0;
    for block in server.blocks() {
        for app in &block.apps {
            let entry = apps.entry(app.name.clone()).or_default();
            entry.0 += app.keys;
            entry.1 += app.active_seconds;
        }
        excluded += block.excluded_seconds;
    }
    assert_eq!(
        apps.iter().map(|(name, (keys, _))| (name.as_str(), *keys)).collect::<Vec<_>>(),
        vec![("xlogo", in_logo.len() as u32), ("xterm", in_terminal.len() as u32)],
        "agent log:\n{}",
        agent.log_text()
    );
    assert!(apps.values().all(|(_, seconds)| *seconds >= 1), "{apps:?}");
    // 29 keys 40 ms apart in each of the two: over a second each.
    assert!(excluded >= 2, "excluded {excluded} s");
    let stats = server.stats();
    // The dashboard's list is ordered by time, which depends on how the typing fell across
    // seconds; the figures per name are what is exact.
    let listed = stats["applications"].as_array().cloned().unwrap_or_default();
    let keys_listed = |name: &str| listed.iter().find(|app| app["name"] == name).map(|app| app["keys"].clone());
    assert_eq!(keys_listed("xterm"), Some(in_terminal.len().into()), "{stats}");
    assert_eq!(keys_listed("xlogo"), Some(in_logo.len().into()), "{stats}");
    assert_eq!(listed.len(), 2, "never-counted applications are not listed: {stats}");
    assert_eq!(stats["excluded_seconds"].as_u64(), Some(u64::from(excluded)));
}

/// A real screen locker (i3lock) on the display: nothing typed while it runs is counted, not even
/// as a total; typing after it ends counts again.
#[test]
fn nothing_typed_on_a_locked_screen_is_counted() {
    let display = Display::start();
    let server = Server::start();
    let mut agent = Agent::pair(&server.url(), &server.token);
    agent.start(&display);
    display.xdotool(&["type", "--delay", "30", "abc"]);
    expect_presses(&server, &agent, 3);

    let locker = Command::new("i3lock")
        .arg("--nofork")
        .env("DISPLAY", &display.name)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start i3lock (scripts/setup.sh installs it)");
    let mut locker = Process(locker);
    let locked = wait_for(Duration::from_secs(10), || agent.log_text().contains("the session is locked"));
    assert!(locked, "the agent did not see the lock: {}", agent.log_text());
    display.xdotool(&["type", "--delay", "30", "hunter2 my password"]);
    let _ = locker.0.kill();
    let _ = locker.0.wait();
    let unlocked = wait_for(Duration::from_secs(10), || agent.log_text().contains("the session is unlocked"));
    assert!(unlocked, "the agent did not see the unlock: {}", agent.log_text());
    display.xdotool(&["type", "--delay", "30", "de"]);
    expect_presses(&server, &agent, 5);
    std::thread::sleep(Duration::from_secs(3));
    agent.stop();
    assert_eq!(server.total_keys(), 5, "nothing typed on the lock screen counts");
}

/// The Windows agent, cross-built and run under Wine: what is typed and clicked into Wine's
/// Notepad arrives exactly, counted for `notepad`; typing into an application on the never-count
/// list (WordPad here) adds nothing but excluded time.
#[test]
fn on_windows_notepad_gets_exact_counts_and_a_never_counted_app_nothing() {
    let display = Display::start();
    let server = Server::start();
    let wine = Wine::start(&display);
    let mut agent = Agent::pair_on(Some(wine.clone()), &server.url(), &server.token);
    let (ok, out, err) = agent.command(&["never-count", "add", "WordPad.exe"]);
    assert!(ok && out.contains("wordpad: never counted"), "{out}{err}");
    agent.start_with_clock(&display, Some(hour_ends_in(45)));

    // Wine makes a new window the active one, and follows X's focus only a while later (with no
    // window manager on Xvfb): each application is typed into right after it opens, once Wine
    // has it in front.
    let (_notepad, notepad) = wine.client("notepad", "Notepad");
    wine.bring_to_front(&display, &notepad, "notepad.exe");
    let text = "the quick brown fox jumps over the lazy dog ".repeat(5);
    display.xdotool(&["type", "--delay", "12", &text]);
    display.xdotool(&["mousemove", "--window", &notepad, "80", "80", "click", "1", "click", "3"]);
    // The right click opened Notepad's menu.
    display.xdotool(&["key", "Escape"]);
    std::thread::sleep(Duration::from_millis(500));
    // `write` starts Wine's WordPad (whose own program is not on Wine's path).
    let (_wordpad, wordpad) = wine.client("write", "Wine Wordpad");
    wine.bring_to_front(&display, &wordpad, "wordpad.exe");
    display.xdotool(&["type", "--delay", "40", "zxcv zxcv zxcv zxcv zxcv zxcv"]);

    let mut expected = keys_of(&text);
    *expected.entry("Escape".into()).or_default() += 1;
    expect_presses(&server, &agent, expected.values().sum());
    let clicked = wait_for(Duration::from_secs(10), || server.stats()["total_clicks"] == 2);
    assert!(clicked, "clicks: {}", server.stats());
    expect_keys(&server, &agent, &expected);
    let stats = server.stats();
    assert_eq!(stats["clicks_by_button"], serde_json::json!({ "left": 1, "right": 1, "middle": 0, "other": 0 }));
    let blocks = server.blocks();
    let apps: Vec<(String, u32, u32)> =
        blocks.iter().flat_map(|b| b.apps.iter().map(|a| (a.name.clone(), a.keys, a.clicks))).collect();
    assert_eq!(apps, vec![("notepad".to_string(), expected.values().sum::<u64>() as u32, 2)], "{}", agent.log_text());
    let excluded: u32 = blocks.iter().map(|b| b.excluded_seconds).sum();
    assert!(excluded >= 1, "29 keys 40 ms apart in WordPad: excluded {excluded} s");
}

/// `install-service` on Windows: the Run key in Wine's registry starts this agent, with its
/// config dir, at logon (`wineboot` runs the Run keys as Windows' shell does at logon). Started with
/// a console window of its own (as Windows' shell starts a console program; Wine's `start` does
/// the same), the agent leaves the window, which closes, and logs to `agent.log` instead.
#[test]
fn on_windows_install_service_starts_the_agent_at_logon_without_a_console_window() {
    let display = Display::start();
    let server = Server::start();
    let wine = Wine::start(&display);
    let agent = Agent::pair_on(Some(wine.clone()), &server.url(), &server.token);
    let (ok, out, err) = agent.command(&["install-service"]);
    assert!(ok, "{out}{err}");
    let run_key = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Run";
    let query = wine.command("reg").args(["query", run_key, "/v", "KeyTrackAgent"]).output().expect("reg query");
    let listed = String::from_utf8_lossy(&query.stdout);
    assert!(query.status.success(), "{listed}");
    // "Z:\tmp\...\keytrack-agent.exe" --config-dir "...\agent" run
    let value = listed.lines().find(|line| line.contains("KeyTrackAgent")).unwrap_or_default();
    assert!(value.contains("REG_SZ"), "{listed}");
    assert!(value.contains("keytrack-agent.exe\" --config-dir"), "{listed}");
    let config = agent.config_dir();
    let config_name = config.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let parent = config.parent().and_then(Path::file_name).and_then(|n| n.to_str()).unwrap_or_default();
    assert!(value.contains(&format!("{parent}\\{config_name}\" run")), "{listed}");

    // A dashboard is open, so the agent sends what is typed at once (the Run key's agent saves
    // once a minute otherwise).
    let page = server.open_dashboard();

    // Logon. Wine starts the Run key's programs without a console: the log is wineboot's output.
    let logon_log = agent.dir.path().join("logon.log");
    let output = std::fs::File::create(&logon_log).expect("logon log");
    let logon =
        wine.command("wineboot").stdout(output.try_clone().expect("log")).stderr(output).status().expect("wineboot");
    assert!(logon.success());
    let read_logon = || std::fs::read_to_string(&logon_log).unwrap_or_default();
    let started = wait_for(Duration::from_secs(60), || read_logon().contains("capturing on"));
    assert!(started, "the Run key started no agent: {}", read_logon());
    let (_notepad, notepad) = wine.client("notepad", "Notepad");
    wine.bring_to_front(&display, &notepad, "notepad.exe");
    display.xdotool(&["type", "--delay", "40", "logon"]);
    let arrived = wait_for(Duration::from_secs(30), || server.total_keys() == 5);
    assert!(arrived, "the server has {} presses; {}", server.total_keys(), read_logon());

    // The same command with a console of its own.
    let _ = Command::new("wineserver").arg("-k").env("WINEPREFIX", wine.prefix.path()).status();
    let exe = wine.bin.path().join("keytrack-agent.exe");
    let windows_config_dir = value.split('"').nth(3).unwrap_or_default().to_string();
    let started = wine
        .command("start")
        .arg("/unix")
        .arg(&exe)
        .args(["--config-dir", &windows_config_dir, "run"])
        .status()
        .expect("start");
    assert!(started.success());
    let agent_log = config.join("agent.log");
    let read_agent_log = || std::fs::read_to_string(&agent_log).unwrap_or_default();
    let background = wait_for(Duration::from_secs(60), || read_agent_log().contains("capturing on"));
    assert!(background, "no agent.log in the config dir: {}", read_agent_log());
    assert!(read_agent_log().contains("running in the background"), "{}", read_agent_log());
    // The console's window (Wine's conhost) closes once the agent has left it.
    let console_windows = || {
        let found = Command::new("xdotool")
            .args(["search", "--onlyvisible", "--class", "conhost.exe"])
            .env("DISPLAY", &display.name)
            .output()
            .expect("xdotool search");
        String::from_utf8_lossy(&found.stdout).trim().to_string()
    };
    let closed = wait_for(Duration::from_secs(10), || console_windows().is_empty());
    assert!(closed, "a console window is open: {}", console_windows());
    let (ok, status, _) = agent.command(&["status"]);
    assert!(ok && status.contains("log:") && status.contains("agent.log"), "{status}");
    let (_notepad, notepad) = wine.client("notepad", "Notepad");
    wine.bring_to_front(&display, &notepad, "notepad.exe");
    display.xdotool(&["type", "--delay", "40", "again"]);
    let arrived = wait_for(Duration::from_secs(30), || server.total_keys() == 10);
    assert!(arrived, "the server has {} presses; {}", server.total_keys(), read_agent_log());
    drop(page);
}
