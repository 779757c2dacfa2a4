//! Which application has the focus, read from the window system ten times a second: what input
//! is counted under, and whether it is counted at all (the never-count list, password prompts in
//! terminals, a locked session).
//!
//! Only the program's name is read (its executable's file name, or failing that its window
//! class): never a window title, which carries document names, URLs and message subjects.

use std::sync::atomic::Ordering;
use std::sync::mpsc::Sender;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use keytrack_wire::apps::PASSWORD_PROMPTS;
use keytrack_wire::never_counts;

use crate::event::{Gate, Input, InputEvent, now_ms};

/// How often the focus is read. Input in the first moments after a switch counts under the
/// application switched from (or, into a never-count application, as excluded time only once
/// this has passed): a tenth of a second is shorter than a person takes to start typing.
pub const FOCUS_CHECK: Duration = Duration::from_millis(100);

/// How often the process table is read, in focus checks: for a password prompt running in the
/// focused terminal, and for a screen locker.
const PROCESS_CHECK_EVERY: u32 = 3;

/// What has the focus now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Focused {
    /// The application's name (`keytrack_wire::app_name`); `None` when nothing has the focus or
    /// the window system does not say.
    pub app: Option<String>,
    /// The process that owns the focused window, where the window system says.
    pub pid: Option<u32>,
}

/// Reads the focus from the window system.
pub trait FocusReader: Send {
    fn read(&mut self) -> Focused;
}

/// The reader for this platform: X11 on Linux, the foreground window on Windows, none elsewhere.
pub fn system_reader() -> Box<dyn FocusReader> {
    #[cfg(target_os = "linux")]
    if let Some(reader) = x11_focus::X11Focus::open() {
        return Box::new(reader);
    }
    #[cfg(windows)]
    return Box::new(windows_focus::ForegroundWindow::default());
    #[allow(unreachable_code)]
    Box::new(NoFocus)
}

/// A window system that does not say which application has the focus: everything counts under
/// no application.
pub struct NoFocus;

impl FocusReader for NoFocus {
    fn read(&mut self) -> Focused {
        Focused::default()
    }
}

/// The never-count list in force: the agent's own (`Config::never_count`) and the one the
/// person keeps in their profile, which arrives with each upload's receipt.
#[derive(Debug, Default)]
pub struct NeverCountList {
    own: RwLock<Vec<String>>,
    profile: RwLock<Vec<String>>,
}

impl NeverCountList {
    pub fn new(own: Vec<String>) -> NeverCountList {
        NeverCountList { own: RwLock::new(own), profile: RwLock::default() }
    }

    /// This computer's list, changed with `keytrack-agent never-count`.
    pub fn set_own(&self, apps: Vec<String>) {
        if let Ok(mut own) = self.own.write()
            && *own != apps
        {
            crate::log::info(&format!("never counting on this computer: {}", apps.join(", ")));
            *own = apps;
        }
    }

    /// The profile's list, as the server last sent it; true when it changed.
    pub fn set_profile(&self, apps: Vec<String>) -> bool {
        match self.profile.write() {
            Ok(mut profile) if *profile != apps => {
                crate::log::info(&format!(
                    "never counting, from your profile: {}",
                    if apps.is_empty() { "nothing more".to_string() } else { apps.join(", ") }
                ));
                *profile = apps;
                true
            }
            _ => false,
        }
    }

    pub fn covers(&self, app: &str) -> bool {
        let listed = |list: &RwLock<Vec<String>>| list.read().is_ok_and(|list| never_counts(&list, app));
        listed(&self.own) || listed(&self.profile)
    }
}

/// Screen lockers by process name: while one runs on this display, the session is locked and
/// nothing is counted (what is typed then is a password). Only programs that run while the screen
/// is locked are listed, not daemons that wait for it (light-locker, cinnamon-screensaver).
pub const SCREEN_LOCKERS: &[&str] = &[
    "gnome-screensaver-dialog",
    "gtklock",
    "hyprlock",
    "i3lock",
    "kscreenlocker_greet",
    "physlock",
    "slock",
    "swaylock",
    "sxlock",
    "waylock",
    "xfce4-screensaver-dialog",
    "xlock",
    "xscreensaver-auth",
    "xsecurelock",
    "xtrlock",
];

/// Starts the thread that reads the focus every [`FOCUS_CHECK`]: on a change it sends
/// [`Input::Focus`] into `sink` (what the aggregator counts under), and sets the `gate`'s
/// `excluded` while a never-count application, or a terminal with a password prompt in it, has
/// the focus, and its `locked` while the session is locked.
pub fn watch(
    mut reader: Box<dyn FocusReader>,
    list: Arc<NeverCountList>,
    gate: Gate,
    sink: Sender<InputEvent>,
) -> std::io::Result<()> {
    let display = std::env::var("DISPLAY").ok();
    let session = std::env::var("XDG_SESSION_ID").ok().filter(|id| !id.is_empty());
    std::thread::Builder::new().name("focus".into()).spawn(move || {
        // What the aggregator was told last: the application, and whether input is not counted.
        let mut last: Option<(Option<Arc<str>>, bool)> = None;
        let (mut last_pid, mut was_locked) = (None, false);
        let (mut prompt, mut locker, mut logind_locked) = (false, false, false);
        let mut tick: u32 = 0;
        loop {
            let focused = reader.read();
            tick = tick.wrapping_add(1);
            // Another window (another terminal) is looked at at once; the rest now and then.
            if tick.is_multiple_of(PROCESS_CHECK_EVERY) || focused.pid != last_pid {
                let processes = Processes::scan(display.as_deref());
                prompt = focused.pid.is_some_and(|pid| descends_with_prompt(&processes.table, pid));
                locker = processes.locker;
                last_pid = focused.pid;
            }
            if let Some(session) = &session
                && tick.is_multiple_of(LOGIND_CHECK_EVERY)
            {
                logind_locked = logind_says_locked(session);
            }
            let locked = locker || logind_locked;
            if locked != was_locked {
                // Set before the aggregator hears of it: nothing typed on the lock screen passes.
                gate.locked.store(locked, Ordering::SeqCst);
                crate::log::info(if locked {
                    "the session is locked: nothing is counted until it is unlocked"
                } else {
                    "the session is unlocked"
                });
                was_locked = locked;
            }
            // While locked, nothing has the focus and nothing is counted.
            let app = if locked { None } else { focused.app.as_deref() };
            let excluded_now = locked || prompt || app.is_some_and(|app| list.covers(app));
            let changed = last.as_ref().is_none_or(|(was_app, was)| was_app.as_deref() != app || *was != excluded_now);
            if changed {
                // Excluded from this moment: set before the aggregator hears of it, so that no
                // event of the excluded stretch is counted.
                gate.excluded.store(excluded_now && !locked, Ordering::SeqCst);
                let excluded_changed = last.as_ref().map_or(excluded_now, |(_, was)| *was != excluded_now);
                if excluded_changed && !locked {
                    // Which application is not said: the log would tell when a password manager was used.
                    crate::log::info(if excluded_now {
                        "not counting: an application on the never-count list (or a password prompt) has the focus"
                    } else {
                        "counting again"
                    });
                }
                let app: Option<Arc<str>> = app.map(Arc::from);
                let event =
                    InputEvent { at_ms: now_ms(), input: Input::Focus { app: app.clone(), excluded: excluded_now } };
                if sink.send(event).is_err() {
                    return;
                }
                last = Some((app, excluded_now));
            }
            std::thread::sleep(FOCUS_CHECK);
        }
    })?;
    Ok(())
}

/// How often logind is asked whether the session is locked (a `loginctl` call), in focus checks.
const LOGIND_CHECK_EVERY: u32 = 10;

/// Whether logind says the session is locked (`LockedHint`, set by desktops that lock through
/// logind, e.g. GNOME and KDE) or not the seat's active one (another user's session, or a text
/// console, has the keyboard: the kernel's input devices would count that person's typing); false
/// where `loginctl` is missing or does not answer.
fn logind_says_locked(session: &str) -> bool {
    std::process::Command::new("loginctl")
        .args(["show-session", session, "--property", "LockedHint", "--property", "Active"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .is_ok_and(|out| out.status.success() && logind_answer_is_locked(&String::from_utf8_lossy(&out.stdout)))
}

/// Reads `loginctl show-session`'s `NAME=value` lines (in whatever order it prints them).
fn logind_answer_is_locked(answer: &str) -> bool {
    answer.lines().any(|line| matches!(line.trim(), "LockedHint=yes" | "Active=no"))
}

/// What the process table says, on systems with `/proc`.
#[derive(Debug, Default)]
struct Processes {
    /// (pid, parent, is a password prompt) of every process.
    table: Vec<(u32, u32, bool)>,
    /// A screen locker runs on this display.
    locker: bool,
}

impl Processes {
    fn scan(display: Option<&str>) -> Processes {
        let mut processes = Processes::default();
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return processes;
        };
        for entry in entries.flatten() {
            let Some(id) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so it ends at the last ')'.
            let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
                continue;
            };
            let comm = &stat[open + 1..close];
            let parent = stat[close + 1..].split_whitespace().nth(1).and_then(|p| p.parse::<u32>().ok()).unwrap_or(0);
            processes.table.push((id, parent, PASSWORD_PROMPTS.contains(&comm)));
            if !processes.locker && is_locker(comm) {
                processes.locker = locks_display(&entry.path(), display);
            }
        }
        processes
    }
}

/// The kernel keeps the first 15 bytes of a process's name.
fn is_locker(comm: &str) -> bool {
    SCREEN_LOCKERS.iter().any(|name| name.get(..name.len().min(15)) == Some(comm))
}

/// Whether the locker process at `/proc/PID` locks `display`: it runs on the same X display
/// (`:1` and `:1.0` are one), or names none (a console or Wayland locker), or the agent names
/// none (it reads the kernel's devices). A process of another user (its environment unreadable)
/// locks another session.
fn locks_display(process: &std::path::Path, display: Option<&str>) -> bool {
    let Ok(environ) = std::fs::read(process.join("environ")) else {
        return false;
    };
    let screen =
        |d: &str| d.rsplit_once('.').filter(|(host, _)| host.contains(':')).map_or(d, |(host, _)| host).to_string();
    let theirs = environ
        .split(|b| *b == 0)
        .find_map(|var| var.strip_prefix(b"DISPLAY="))
        .map(|d| String::from_utf8_lossy(d).into_owned());
    match (theirs, display) {
        (None, _) => true,
        (Some(theirs), Some(ours)) => screen(&theirs) == screen(ours),
        // An agent that names no display reads the kernel's input devices, which carry every
        // session's typing: any locker of its user locks it.
        (Some(_), None) => true,
    }
}

/// Whether any descendant of `root` in the process table is a password prompt.
fn descends_with_prompt(table: &[(u32, u32, bool)], root: u32) -> bool {
    let mut parents = vec![root];
    let mut seen = 0;
    while let Some(parent) = parents.pop() {
        for (id, _, prompt) in table.iter().filter(|(id, p, _)| *p == parent && *id != parent) {
            if *prompt {
                return true;
            }
            seen += 1;
            if seen > table.len() {
                return false;
            }
            parents.push(*id);
        }
    }
    false
}

/// The name of the program a process runs: its executable's file name, else its command name.
#[cfg(target_os = "linux")]
fn program_of(pid: u32) -> Option<String> {
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok();
    exe.as_deref().and_then(|p| p.file_name()).and_then(|n| n.to_str()).and_then(keytrack_wire::app_name).or_else(
        || std::fs::read_to_string(format!("/proc/{pid}/comm")).ok().and_then(|c| keytrack_wire::app_name(c.trim())),
    )
}

/// X11: the window with the input focus, walked up to the top-level window that names its
/// program (`_NET_WM_PID`, then `WM_CLASS`).
#[cfg(target_os = "linux")]
#[allow(unsafe_code)] // Xlib calls on a connection this reader owns
mod x11_focus {
    use std::os::raw::{c_int, c_uchar, c_ulong};

    use x11::xlib;

    use super::{FocusReader, Focused, program_of};
    use keytrack_wire::app_name;

    /// How far up the window tree a program's name is looked for.
    const MAX_DEPTH: usize = 16;

    pub struct X11Focus {
        display: *mut xlib::Display,
        net_wm_pid: xlib::Atom,
        /// The focus window last read and what it said: most reads find the same window.
        last: Option<(xlib::Window, Focused)>,
    }

    // SAFETY: the connection is used by one thread at a time (the focus thread owns the reader).
    unsafe impl Send for X11Focus {}

    /// Xlib's default error handler exits the process; a window that closes while it is being read
    /// makes an error that only means "no name".
    unsafe extern "C" fn ignore_error(_: *mut xlib::Display, _: *mut xlib::XErrorEvent) -> c_int {
        0
    }

    impl X11Focus {
        pub fn open() -> Option<X11Focus> {
            // SAFETY: the display is checked for null; the atom name is a NUL-terminated literal.
            unsafe {
                let display = xlib::XOpenDisplay(std::ptr::null());
                if display.is_null() {
                    return None;
                }
                xlib::XSetErrorHandler(Some(ignore_error));
                let net_wm_pid = xlib::XInternAtom(display, c"_NET_WM_PID".as_ptr(), xlib::False);
                Some(X11Focus { display, net_wm_pid, last: None })
            }
        }

        /// The program named by `window` itself: its process's executable, else its class.
        fn program(&self, window: xlib::Window) -> Option<(Option<String>, Option<u32>)> {
            let pid = self.pid_of(window);
            let named = pid.and_then(program_of).or_else(|| self.class_of(window));
            (named.is_some() || pid.is_some()).then_some((named, pid))
        }

        fn pid_of(&self, window: xlib::Window) -> Option<u32> {
            let (mut kind, mut format, mut items, mut after) = (0, 0, 0, 0);
            let mut data: *mut c_uchar = std::ptr::null_mut();
            // SAFETY: a property read into out-parameters; the data Xlib allocates is read only
            // when it holds one 32-bit item (a `long` on the client side) and is always freed.
            unsafe {
                let status = xlib::XGetWindowProperty(
                    self.display,
                    window,
                    self.net_wm_pid,
                    0,
                    1,
                    xlib::False,
                    xlib::XA_CARDINAL,
                    &mut kind,
                    &mut format,
                    &mut items,
                    &mut after,
                    &mut data,
                );
                let pid = (status == 0 && !data.is_null() && format == 32 && items == 1)
                    .then(|| *(data as *const c_ulong))
                    .and_then(|pid| u32::try_from(pid).ok())
                    .filter(|pid| *pid > 0);
                if !data.is_null() {
                    xlib::XFree(data.cast());
                }
                pid
            }
        }

        fn class_of(&self, window: xlib::Window) -> Option<String> {
            // SAFETY: XGetClassHint fills the two strings (or leaves them null); both are read as
            // C strings and freed.
            unsafe {
                let mut hint: xlib::XClassHint = std::mem::zeroed();
                if xlib::XGetClassHint(self.display, window, &mut hint) == 0 {
                    return None;
                }
                let read = |p: *mut std::os::raw::c_char| {
                    (!p.is_null()).then(|| std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned())
                };
                // The class (`firefox`, `Code`, `XTerm`) names the program; the instance name
                // (`Navigator`) may name a window of it.
                let name = read(hint.res_class).or_else(|| read(hint.res_name));
                for p in [hint.res_class, hint.res_name] {
                    if !p.is_null() {
                        xlib::XFree(p.cast());
                    }
                }
                name.as_deref().and_then(app_name)
            }
        }

        fn parent_of(&self, window: xlib::Window) -> Option<xlib::Window> {
            // SAFETY: XQueryTree's out-parameters; the children list is freed.
            unsafe {
                let (mut root, mut parent) = (0, 0);
                let mut children: *mut xlib::Window = std::ptr::null_mut();
                let mut count = 0;
                let ok = xlib::XQueryTree(self.display, window, &mut root, &mut parent, &mut children, &mut count);
                if !children.is_null() {
                    xlib::XFree(children.cast());
                }
                (ok != 0 && parent != 0 && parent != root).then_some(parent)
            }
        }
    }

    impl FocusReader for X11Focus {
        fn read(&mut self) -> Focused {
            let (mut window, mut revert) = (0, 0);
            // SAFETY: out-parameters of XGetInputFocus on this reader's connection.
            unsafe {
                xlib::XGetInputFocus(self.display, &mut window, &mut revert);
            }
            // None (0) and PointerRoot (1) are not windows.
            if window <= 1 {
                self.last = None;
                return Focused::default();
            }
            if let Some((last, focused)) = &self.last
                && *last == window
            {
                return focused.clone();
            }
            let mut at = window;
            let mut focused = Focused::default();
            for _ in 0..MAX_DEPTH {
                if let Some((app, pid)) = self.program(at) {
                    focused = Focused { app, pid };
                    break;
                }
                match self.parent_of(at) {
                    Some(parent) => at = parent,
                    None => break,
                }
            }
            self.last = Some((window, focused.clone()));
            focused
        }
    }
}

/// Windows: the foreground window's process, by its executable's file name.
#[cfg(windows)]
#[allow(unsafe_code)] // Win32 calls on handles opened and closed here
mod windows_focus {
    use winapi::shared::minwindef::DWORD;
    use winapi::shared::windef::HWND;
    use winapi::um::handleapi::CloseHandle;
    use winapi::um::processthreadsapi::OpenProcess;
    use winapi::um::winbase::QueryFullProcessImageNameW;
    use winapi::um::winnt::PROCESS_QUERY_LIMITED_INFORMATION;
    use winapi::um::winuser::{GetForegroundWindow, GetWindowThreadProcessId};

    use super::{FocusReader, Focused};
    use keytrack_wire::app_name;

    #[derive(Default)]
    pub struct ForegroundWindow {
        last: Option<(usize, Focused)>,
    }

    // SAFETY: a window handle is a plain number, valid to hold on any thread.
    unsafe impl Send for ForegroundWindow {}

    impl FocusReader for ForegroundWindow {
        fn read(&mut self) -> Focused {
            // SAFETY: GetForegroundWindow takes nothing and may return null.
            let window: HWND = unsafe { GetForegroundWindow() };
            if window.is_null() {
                self.last = None;
                return Focused::default();
            }
            if let Some((last, focused)) = &self.last
                && *last == window as usize
            {
                return focused.clone();
            }
            let mut pid: DWORD = 0;
            // SAFETY: out-parameter of a call on a window handle the system gave.
            unsafe { GetWindowThreadProcessId(window, &mut pid) };
            let focused = Focused { app: program_of(pid), pid: (pid != 0).then_some(pid) };
            self.last = Some((window as usize, focused.clone()));
            focused
        }
    }

    fn program_of(pid: DWORD) -> Option<String> {
        if pid == 0 {
            return None;
        }
        // SAFETY: the process handle is checked for null and closed; the path is read within
        // the length the call returns.
        unsafe {
            let process = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid);
            if process.is_null() {
                return None;
            }
            let mut path = [0u16; 1024];
            let mut len: DWORD = path.len() as DWORD;
            let ok = QueryFullProcessImageNameW(process, 0, path.as_mut_ptr(), &mut len);
            CloseHandle(process);
            if ok == 0 {
                return None;
            }
            app_name(&String::from_utf16_lossy(&path[..len as usize]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prompt_anywhere_under_the_terminal_counts_and_elsewhere_not() {
        // terminal 10 -> shell 11 -> sudo 12; another terminal 20 -> shell 21; sudo 30 alone.
        let table = [(10, 1, false), (11, 10, false), (12, 11, true), (20, 1, false), (21, 20, false), (30, 1, true)];
        assert!(descends_with_prompt(&table, 10));
        assert!(!descends_with_prompt(&table, 20));
        assert!(!descends_with_prompt(&table, 12), "a prompt is looked for below, not at, the terminal");
        // A table with a loop (a pid reused as its own ancestor) ends.
        assert!(!descends_with_prompt(&[(5, 6, false), (6, 5, false)], 5));
    }

    #[test]
    fn a_locked_or_inactive_session_counts_nothing() {
        assert!(!logind_answer_is_locked("LockedHint=no\nActive=yes\n"));
        assert!(logind_answer_is_locked("LockedHint=yes\nActive=yes\n"));
        // Another user switched in (or a text console has the keyboard).
        assert!(logind_answer_is_locked("Active=no\nLockedHint=no\n"));
        assert!(!logind_answer_is_locked(""));
    }

    #[test]
    fn lockers_are_known_by_their_kernel_names_and_their_display() {
        assert!(is_locker("i3lock") && is_locker("kscreenlocker_g") && !is_locker("light-locker"));
        let dir = std::env::temp_dir().join(format!("keytrack-locker-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("environ"), b"HOME=/root\0DISPLAY=:7.0\0").expect("environ");
        assert!(locks_display(&dir, Some(":7")));
        assert!(locks_display(&dir, Some(":7.0")));
        assert!(!locks_display(&dir, Some(":8")));
        assert!(locks_display(&dir, None), "the kernel's devices carry every display's typing");
        std::fs::write(dir.join("environ"), b"HOME=/root\0").expect("environ");
        assert!(locks_display(&dir, Some(":8")), "a locker without a display locks the console");
        std::fs::remove_dir_all(&dir).expect("clean up");
        assert!(!locks_display(&dir, Some(":7")), "unreadable: another user's");
    }

    #[test]
    fn the_list_in_force_is_the_agents_and_the_profiles() {
        let list = NeverCountList::new(vec!["keepassxc".into()]);
        assert!(list.covers("keepassxc") && !list.covers("xterm"));
        assert!(list.set_profile(vec!["xterm".into()]));
        assert!(!list.set_profile(vec!["xterm".into()]), "the same list again changes nothing");
        assert!(list.covers("xterm") && list.covers("keepassxc"));
        assert!(list.set_profile(Vec::new()));
        assert!(!list.covers("xterm"));
    }
}
