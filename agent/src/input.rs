//! Where input events come from: the [`Capture`] interface and its real implementation with
//! `rdev` (X11 on Linux, Windows), the only place `rdev` is used. The capture layer never reads
//! `rdev`'s `event.name`, which holds the typed text: only the physical key becomes an event
//! (`crate::event`).

use std::sync::mpsc::Sender;
use std::time::Duration;

use crate::desktop::Desktop;
use crate::event::{Button, Gate, Input, InputEvent, KeyCode, unix_ms};

/// What capture can fail with; each has a message a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error(
        "no display to capture from: start the agent inside your desktop session (on Linux, DISPLAY must name a running X server)"
    )]
    NoDisplay,
    #[error(
        "no permission to read the input devices in /dev/input: add yourself to the `input` group (`sudo usermod -aG input $USER`, then log in again) or install the udev rule in the README; either lets programs you run read what you type, which is what the agent needs"
    )]
    NoPermission,
    #[error("no input devices in /dev/input to capture from")]
    NoInputDevices,
    #[error("input capture stopped: {0}")]
    Failed(String),
}

/// A source of input events. The real one is [`RdevCapture`]; tests and the benchmark feed
/// synthetic events through the same interface.
pub trait Capture: Send {
    /// What reads the desktop's displays, which positions are binned against: called once
    /// before capture starts and again every [`DESKTOP_CHECK`] (monitors come and go).
    fn desktop_reader(&self) -> DesktopReader;
    /// What reads which application has the focus (none for synthetic input).
    fn focus_reader(&self) -> Box<dyn crate::focus::FocusReader> {
        Box::new(crate::focus::NoFocus)
    }
    /// Starts delivering events to `sink` on a thread of its own, each through `gate` first.
    /// `Err` arrives on `errors` if capture ends.
    fn start(
        self: Box<Self>,
        sink: Sender<InputEvent>,
        gate: Gate,
        errors: Sender<CaptureError>,
    ) -> Result<(), CaptureError>;
}

/// Reads the desktop's displays; see [`Capture::desktop_reader`].
pub type DesktopReader = Box<dyn FnMut() -> Result<Desktop, CaptureError> + Send>;

/// How often the run loop reads the displays again.
pub const DESKTOP_CHECK: Duration = Duration::from_secs(10);

/// Which capture `keytrack-agent run --capture` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CaptureChoice {
    /// The kernel's input devices on a Wayland session or without X, X11 otherwise (Linux); the
    /// system's hooks elsewhere.
    Auto,
    /// X11 (rdev): every X client's input, and where the pointer is.
    X11,
    /// The kernel's input devices (`/dev/input`): every application's input on any desktop, no
    /// pointer positions.
    Evdev,
}

/// The capture that runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// rdev: X11 on Linux, the system's hooks on Windows and macOS.
    Rdev,
    /// The kernel's input devices (Linux).
    Evdev,
}

impl Backend {
    /// What the server is told of it (`keytrack_wire::data::CAPTURE_HEADER`).
    pub fn capture_name(self) -> &'static str {
        match self {
            Backend::Rdev if cfg!(target_os = "linux") => "x11",
            Backend::Rdev => "hooks",
            Backend::Evdev => keytrack_wire::data::CAPTURE_WITHOUT_POSITIONS,
        }
    }
}

/// The capture `choice` means in a session with these variables (`XDG_SESSION_TYPE`,
/// `WAYLAND_DISPLAY`, `DISPLAY`), and why, in words for `status` and the log.
pub fn choose_backend(choice: CaptureChoice, var: impl Fn(&str) -> Option<String>) -> (Backend, String) {
    let set = |name: &str| var(name).filter(|v| !v.is_empty());
    if !cfg!(target_os = "linux") {
        return (Backend::Rdev, "the system's input hooks".into());
    }
    match choice {
        CaptureChoice::X11 => (Backend::Rdev, "X11, as asked (--capture x11)".into()),
        CaptureChoice::Evdev => (Backend::Evdev, "the kernel's input devices, as asked (--capture evdev)".into()),
        CaptureChoice::Auto => {
            if set("XDG_SESSION_TYPE").as_deref() == Some("wayland") || set("WAYLAND_DISPLAY").is_some() {
                (
                    Backend::Evdev,
                    "the kernel's input devices: a Wayland session (X11 capture would see only XWayland windows)"
                        .into(),
                )
            } else if let Some(display) = set("DISPLAY") {
                (Backend::Rdev, format!("X11 (DISPLAY={display})"))
            } else {
                (Backend::Evdev, "the kernel's input devices: no X display".into())
            }
        }
    }
}

/// Capture with `rdev` (X11 on Linux; the same code covers Windows and macOS).
pub struct RdevCapture;

/// Tries at starting capture, 1 s, 2 s, 4 s and 8 s apart.
const START_ATTEMPTS: u32 = 5;

impl Capture for RdevCapture {
    fn desktop_reader(&self) -> DesktopReader {
        Box::new(|| {
            // Like starting capture, opening the display can fail for a moment (an X server busy
            // cleaning up after a client that just died): a few tries, 0.25, 0.5 and 1 s apart.
            let mut desktop = read_desktop();
            for attempt in 0..3 {
                if desktop.is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(250 << attempt));
                desktop = read_desktop();
            }
            desktop.ok_or(CaptureError::NoDisplay)
        })
    }

    fn focus_reader(&self) -> Box<dyn crate::focus::FocusReader> {
        crate::focus::system_reader()
    }

    fn start(
        self: Box<Self>,
        sink: Sender<InputEvent>,
        gate: Gate,
        errors: Sender<CaptureError>,
    ) -> Result<(), CaptureError> {
        std::thread::Builder::new()
            .name("capture".into())
            .spawn(move || {
                // `listen` blocks for as long as capture runs and has no stop: the thread lives
                // with the process. The callback only converts and forwards: no I/O, no locks.
                // Starting capture can fail for a moment (an X server busy with a client that
                // just died, a session still coming up): try a few times before giving up.
                for attempt in 1..=START_ATTEMPTS {
                    let sink = sink.clone();
                    let gate = gate.clone();
                    let result = rdev::listen(move |event| {
                        if let Some(input) = convert(&event.event_type).and_then(|input| gate.pass(input)) {
                            let _ = sink.send(InputEvent { at_ms: unix_ms(event.time), input });
                        }
                    });
                    let error = match result {
                        Err(rdev::ListenError::MissingDisplayError) => CaptureError::NoDisplay,
                        Err(other) => CaptureError::Failed(format!("{other:?}")),
                        Ok(()) => CaptureError::Failed("the system stopped delivering input events".into()),
                    };
                    if attempt == START_ATTEMPTS {
                        let _ = errors.send(error);
                        return;
                    }
                    let wait = Duration::from_millis(500 << attempt);
                    crate::log::warn(&format!(
                        "input capture did not start ({error}); trying again in {:.0} s",
                        wait.as_secs_f64()
                    ));
                    std::thread::sleep(wait);
                }
            })
            .map_err(|e| CaptureError::Failed(format!("cannot start the capture thread: {e}")))?;
        Ok(())
    }
}

/// Converts an rdev event type. Only the event type is read, never `event.name` (the typed text).
fn convert(event: &rdev::EventType) -> Option<Input> {
    use rdev::EventType as E;
    Some(match *event {
        E::KeyPress(key) => Input::KeyDown(key_code(key)),
        E::KeyRelease(key) => Input::KeyUp(key_code(key)),
        E::ButtonPress(button) => Input::ButtonDown(match button {
            rdev::Button::Left => Button::Left,
            rdev::Button::Right => Button::Right,
            rdev::Button::Middle => Button::Middle,
            // X11 buttons 4-7 are wheel notches, which also arrive as `Wheel` events.
            rdev::Button::Unknown(4..=7) => return None,
            rdev::Button::Unknown(_) => Button::Other,
        }),
        E::ButtonRelease(_) => return None,
        E::MouseMove { x, y } => Input::Move { x, y },
        E::Wheel { delta_x, delta_y } => Input::Wheel { dx: delta_x, dy: delta_y },
    })
}

/// The W3C code of an rdev key (rdev names keys by their US-layout position, as W3C does).
pub fn key_code(key: rdev::Key) -> KeyCode {
    use rdev::Key as K;
    match key {
        K::Alt => "AltLeft",
        K::AltGr => "AltRight",
        K::Backspace => "Backspace",
        K::CapsLock => "CapsLock",
        K::ControlLeft => "ControlLeft",
        K::ControlRight => "ControlRight",
        K::Delete => "Delete",
        K::DownArrow => "ArrowDown",
        K::End => "End",
        K::Escape => "Escape",
        K::F1 => "F1",
        K::F2 => "F2",
        K::F3 => "F3",
        K::F4 => "F4",
        K::F5 => "F5",
        K::F6 => "F6",
        K::F7 => "F7",
        K::F8 => "F8",
        K::F9 => "F9",
        K::F10 => "F10",
        K::F11 => "F11",
        K::F12 => "F12",
        K::Home => "Home",
        K::LeftArrow => "ArrowLeft",
        K::MetaLeft => "MetaLeft",
        K::MetaRight => "MetaRight",
        K::PageDown => "PageDown",
        K::PageUp => "PageUp",
        K::Return => "Enter",
        K::RightArrow => "ArrowRight",
        K::ShiftLeft => "ShiftLeft",
        K::ShiftRight => "ShiftRight",
        K::Space => "Space",
        K::Tab => "Tab",
        K::UpArrow => "ArrowUp",
        K::PrintScreen => "PrintScreen",
        K::ScrollLock => "ScrollLock",
        K::Pause => "Pause",
        K::NumLock => "NumLock",
        K::BackQuote => "Backquote",
        K::Num1 => "Digit1",
        K::Num2 => "Digit2",
        K::Num3 => "Digit3",
        K::Num4 => "Digit4",
        K::Num5 => "Digit5",
        K::Num6 => "Digit6",
        K::Num7 => "Digit7",
        K::Num8 => "Digit8",
        K::Num9 => "Digit9",
        K::Num0 => "Digit0",
        K::Minus => "Minus",
        K::Equal => "Equal",
        K::KeyQ => "KeyQ",
        K::KeyW => "KeyW",
        K::KeyE => "KeyE",
        K::KeyR => "KeyR",
        K::KeyT => "KeyT",
        K::KeyY => "KeyY",
        K::KeyU => "KeyU",
        K::KeyI => "KeyI",
        K::KeyO => "KeyO",
        K::KeyP => "KeyP",
        K::LeftBracket => "BracketLeft",
        K::RightBracket => "BracketRight",
        K::KeyA => "KeyA",
        K::KeyS => "KeyS",
        K::KeyD => "KeyD",
        K::KeyF => "KeyF",
        K::KeyG => "KeyG",
        K::KeyH => "KeyH",
        K::KeyJ => "KeyJ",
        K::KeyK => "KeyK",
        K::KeyL => "KeyL",
        K::SemiColon => "Semicolon",
        K::Quote => "Quote",
        K::BackSlash => "Backslash",
        K::IntlBackslash => "IntlBackslash",
        K::KeyZ => "KeyZ",
        K::KeyX => "KeyX",
        K::KeyC => "KeyC",
        K::KeyV => "KeyV",
        K::KeyB => "KeyB",
        K::KeyN => "KeyN",
        K::KeyM => "KeyM",
        K::Comma => "Comma",
        K::Dot => "Period",
        K::Slash => "Slash",
        K::Insert => "Insert",
        K::KpReturn => "NumpadEnter",
        K::KpMinus => "NumpadSubtract",
        K::KpPlus => "NumpadAdd",
        K::KpMultiply => "NumpadMultiply",
        K::KpDivide => "NumpadDivide",
        K::Kp0 => "Numpad0",
        K::Kp1 => "Numpad1",
        K::Kp2 => "Numpad2",
        K::Kp3 => "Numpad3",
        K::Kp4 => "Numpad4",
        K::Kp5 => "Numpad5",
        K::Kp6 => "Numpad6",
        K::Kp7 => "Numpad7",
        K::Kp8 => "Numpad8",
        K::Kp9 => "Numpad9",
        K::KpDelete => "NumpadDecimal",
        K::Function => "Fn",
        K::Unknown(_) => "Unidentified",
    }
}

/// The desktop as the X server has it: the root window's size and the monitors RandR 1.5 lists
/// (`XRRGetMonitors`, what `xrandr --listmonitors` prints); a server without RandR 1.5 is one
/// screen. `None` when no X server answers.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)] // Xlib and XRandR calls on a connection opened and closed here
fn read_desktop() -> Option<Desktop> {
    use x11::{xlib, xrandr};
    // SAFETY: the connection is checked for null, used only in this function and closed before
    // it returns; XRRGetMonitors is called only on a server that reports RandR 1.5 or newer (on
    // an older one the request would be an X error, which Xlib's default handler exits on), and
    // its list is read within the count it returns and then freed.
    unsafe {
        let display = xlib::XOpenDisplay(std::ptr::null());
        if display.is_null() {
            return None;
        }
        let screen = xlib::XDefaultScreen(display);
        let px = |v: std::os::raw::c_int| u32::try_from(v).unwrap_or(0);
        let (width, height) = (px(xlib::XDisplayWidth(display, screen)), px(xlib::XDisplayHeight(display, screen)));
        let mut monitors = Vec::new();
        let (mut event_base, mut error_base, mut major, mut minor) = (0, 0, 0, 0);
        if xrandr::XRRQueryExtension(display, &mut event_base, &mut error_base) != 0
            && xrandr::XRRQueryVersion(display, &mut major, &mut minor) != 0
            && (major, minor) >= (1, 5)
        {
            let mut count = 0;
            let list = xrandr::XRRGetMonitors(display, xlib::XDefaultRootWindow(display), xlib::True, &mut count);
            if !list.is_null() {
                for i in 0..usize::try_from(count).unwrap_or(0) {
                    let m = &*list.add(i);
                    monitors.push((i64::from(m.x), i64::from(m.y), px(m.width), px(m.height)));
                }
                xrandr::XRRFreeMonitors(list);
            }
        }
        xlib::XCloseDisplay(display);
        Some(Desktop::new(width, height, &monitors))
    }
}

/// The desktop as one screen of the size `rdev` reports (its per-monitor reading is X11 only for
/// now).
#[cfg(not(target_os = "linux"))]
fn read_desktop() -> Option<Desktop> {
    let (w, h) = rdev::display_size().ok()?;
    let clamp = |v: u64| u32::try_from(v).unwrap_or(u32::MAX).max(1);
    Some(Desktop::single(clamp(w), clamp(h)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rdev_names_unlike_w3c_map_to_codes_the_server_accepts() {
        use rdev::Key as K;
        let keys = [
            K::Alt,
            K::AltGr,
            K::Return,
            K::Dot,
            K::KpDelete,
            K::Function,
            K::Unknown(999),
            K::BackQuote,
            K::SemiColon,
            K::KpReturn,
        ];
        for key in keys {
            assert!(keytrack_wire::is_known_key(key_code(key)), "{key:?}");
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn auto_capture_reads_the_kernel_s_devices_on_wayland_and_without_x() {
        let session = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
        };
        let auto = |vars| choose_backend(CaptureChoice::Auto, session(vars)).0;
        assert_eq!(auto(&[("XDG_SESSION_TYPE", "wayland"), ("DISPLAY", ":0")]), Backend::Evdev);
        assert_eq!(auto(&[("WAYLAND_DISPLAY", "wayland-1"), ("DISPLAY", ":0")]), Backend::Evdev);
        assert_eq!(auto(&[("XDG_SESSION_TYPE", "x11"), ("DISPLAY", ":0")]), Backend::Rdev);
        assert_eq!(auto(&[("DISPLAY", "")]), Backend::Evdev);
        assert_eq!(auto(&[]), Backend::Evdev);
        let (backend, why) = choose_backend(CaptureChoice::X11, session(&[("WAYLAND_DISPLAY", "wayland-1")]));
        assert_eq!(backend, Backend::Rdev);
        assert!(why.contains("--capture x11"), "{why}");
        assert_eq!((Backend::Rdev.capture_name(), Backend::Evdev.capture_name()), ("x11", "evdev"));
    }

    #[test]
    fn wheel_buttons_are_not_clicks() {
        assert_eq!(convert(&rdev::EventType::ButtonPress(rdev::Button::Unknown(6))), None);
        assert_eq!(
            convert(&rdev::EventType::ButtonPress(rdev::Button::Unknown(8))),
            Some(Input::ButtonDown(Button::Other))
        );
    }
}
