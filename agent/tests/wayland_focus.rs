//! The focus on a wlroots compositor, read as the agent reads it on Wayland: a real sway, headless
//! (`WLR_BACKENDS=headless`, software rendering), with two real Wayland clients (foot terminals
//! with app ids of their own) focused in turn through sway's IPC; the agent's reader must name
//! each one, exactly, and follow a window closed. Needs sway and foot (`scripts/setup.sh`
//! installs them). sway refuses to run as root: as root, the test runs it and the clients as
//! `nobody`.
#![cfg(target_os = "linux")]

use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use keytrack_agent::focus::FocusReader;
use keytrack_agent::wayland_focus::WlrFocus;

/// Who runs the compositor and its clients when the test runs as root.
const NOBODY: u32 = 65534;

/// A child process stopped (SIGKILL) when the test ends, pass or fail.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Sway {
    runtime: tempfile::TempDir,
    /// As whom it runs (`None`: as the test).
    user: Option<u32>,
    _process: Process,
}

impl Sway {
    fn start() -> Sway {
        let root = std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false);
        let user = root.then_some(NOBODY);
        let runtime = tempfile::tempdir().expect("runtime dir");
        if let Some(user) = user {
            std::os::unix::fs::chown(runtime.path(), Some(user), Some(user)).expect("chown");
        }
        let config = runtime.path().join("config");
        std::fs::write(&config, "default_border none\n").expect("config");
        let log = std::fs::File::create(runtime.path().join("sway.log")).expect("log");
        let mut command = Command::new("sway");
        command
            .args(["-c".as_ref(), config.as_os_str()])
            .env("WLR_BACKENDS", "headless")
            .env("WLR_LIBINPUT_NO_DEVICES", "1")
            .env("WLR_RENDERER", "pixman")
            .stdout(Stdio::null())
            .stderr(log);
        let process = Process(
            Self::as_user(&mut command, runtime.path(), user).spawn().expect("sway (scripts/setup.sh installs it)"),
        );
        let sway = Sway { runtime, user, _process: process };
        let up = wait_for(Duration::from_secs(20), || sway.socket().exists() && sway.ipc().is_some());
        assert!(
            up,
            "sway did not start: {}",
            std::fs::read_to_string(sway.runtime.path().join("sway.log")).unwrap_or_default()
        );
        sway
    }

    /// A session of its own: the runtime dir, no display of the test's, run as `user`.
    fn as_user<'c>(command: &'c mut Command, runtime: &Path, user: Option<u32>) -> &'c mut Command {
        command
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("DISPLAY")
            .env_remove("SWAYSOCK")
            .env("XDG_RUNTIME_DIR", runtime)
            .env("HOME", runtime);
        if let Some(user) = user {
            command.uid(user).gid(user);
        }
        command
    }

    fn socket(&self) -> PathBuf {
        self.runtime.path().join("wayland-1")
    }

    fn ipc(&self) -> Option<PathBuf> {
        std::fs::read_dir(self.runtime.path()).ok()?.flatten().map(|e| e.path()).find(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("sway-ipc.") && n.ends_with(".sock"))
        })
    }

    /// A foot terminal with this app id (running `sleep`, so no shell is needed).
    fn client(&self, app_id: &str) -> Process {
        let mut command = Command::new("foot");
        Self::as_user(&mut command, self.runtime.path(), self.user)
            .args(["--app-id", app_id, "sleep", "600"])
            .env("WAYLAND_DISPLAY", "wayland-1")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(self.runtime.path().join(format!("{app_id}.log"))).expect("log"));
        Process(command.spawn().expect("foot (scripts/setup.sh installs it)"))
    }

    /// What sway says it shows (for a failure's message).
    fn tree(&self) -> String {
        let mut command = Command::new("swaymsg");
        command.arg("-s").arg(self.ipc().unwrap_or_default()).args(["-t", "get_tree"]);
        let out = Self::as_user(&mut command, self.runtime.path(), self.user).output();
        let tree = out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default();
        let mut logs = String::new();
        for entry in std::fs::read_dir(self.runtime.path()).into_iter().flatten().flatten() {
            if entry.path().extension().is_some_and(|e| e == "log") {
                logs.push_str(&format!(
                    "{}:\n{}\n",
                    entry.path().display(),
                    std::fs::read_to_string(entry.path()).unwrap_or_default()
                ));
            }
        }
        format!("{tree}\n{logs}")
    }

    fn focus(&self, app_id: &str) {
        let mut command = Command::new("swaymsg");
        command.arg("-s").arg(self.ipc().expect("sway's IPC socket")).arg(format!("[app_id=\"{app_id}\"] focus"));
        let status = Self::as_user(&mut command, self.runtime.path(), self.user)
            .stdout(Stdio::null())
            .status()
            .expect("swaymsg");
        assert!(status.success(), "swaymsg focus {app_id}");
    }
}

fn wait_for(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < timeout {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// Waits until the reader names `expected`; what it named last otherwise.
fn expect_focus(sway: &Sway, reader: &mut WlrFocus, expected: Option<&str>) {
    let mut last = None;
    let named = wait_for(Duration::from_secs(15), || {
        last = reader.read().app;
        last.as_deref() == expected
    });
    assert!(named, "expected {expected:?} to have the focus, the reader says {last:?}; sway shows:\n{}", sway.tree());
}

#[test]
fn the_focus_on_sway_is_read_by_app_id_and_follows_each_switch() {
    let sway = Sway::start();
    let mut reader = WlrFocus::connect(&sway.socket()).expect("sway offers wlr-foreign-toplevel-management");
    // An empty desktop: nothing has the focus.
    assert_eq!(reader.read().app, None);

    let _one = sway.client("keytrack-one");
    expect_focus(&sway, &mut reader, Some("keytrack-one"));
    let mut two = sway.client("keytrack-two");
    // A new window takes the focus.
    expect_focus(&sway, &mut reader, Some("keytrack-two"));
    sway.focus("keytrack-one");
    expect_focus(&sway, &mut reader, Some("keytrack-one"));
    sway.focus("keytrack-two");
    expect_focus(&sway, &mut reader, Some("keytrack-two"));
    // Closed while it has the focus: the other window has it.
    let _ = two.0.kill();
    let _ = two.0.wait();
    expect_focus(&sway, &mut reader, Some("keytrack-one"));
}

#[test]
fn no_compositor_gives_no_reader() {
    let dir = tempfile::tempdir().expect("dir");
    assert!(WlrFocus::connect(&dir.path().join("wayland-9")).is_none());
}
