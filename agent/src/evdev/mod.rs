//! Capture from the kernel's input devices (`/dev/input/event*`), for Wayland desktops (GNOME,
//! KDE Plasma, sway) where X11 capture sees only XWayland windows, and for machines without X.
//!
//! Devices are read, never grabbed: nothing is delayed or swallowed. A thread per device reads
//! its events; another looks for devices plugged in every second (and a device's thread ends when
//! it is unplugged). Only keys of the keyboard (`keys`), mouse buttons, wheel notches and
//! relative motion become events (`decode`): the kernel reports motion, not where the pointer is,
//! so no position is known and click and movement heatmaps are not drawn from this capture.
//! Reading these devices needs permission (the `input` group, or the udev rule the README gives);
//! with it any program of the user could read keystrokes, which the README says plainly.

pub mod decode;
pub mod keys;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::desktop::Desktop;
use crate::event::{Gate, InputEvent, unix_ms};
use crate::input::{Capture, CaptureError, DesktopReader};
use decode::{BTN_LEFT, Copies, Decoder, REL_X};

/// Where the kernel's event devices are.
pub const INPUT_DIR: &str = "/dev/input";

/// How often the directory is looked at again for devices plugged in.
const RESCAN: Duration = Duration::from_secs(1);

/// What a device is, as capture counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DeviceKind {
    Keyboard,
    Pointer,
    /// A keyboard with a pointer in one (many wireless receivers).
    KeyboardAndPointer,
}

impl DeviceKind {
    /// What a device with these capabilities is; `None` for what is not counted (power buttons,
    /// lid switches, sound cards' jacks, touchscreens without buttons).
    fn of(device: &evdev::raw_stream::RawDevice) -> Option<DeviceKind> {
        let keys = device.supported_keys();
        // A keyboard has keys the server counts (a power button does not; a keyboard's media keys
        // often come as a device of their own).
        let keyboard = keys.is_some_and(|keys| keys::named_codes().any(|code| keys.contains(evdev::KeyCode(code))));
        let pointer = keys.is_some_and(|keys| keys.contains(evdev::KeyCode(BTN_LEFT)))
            || device.supported_relative_axes().is_some_and(|axes| axes.contains(evdev::RelativeAxisCode(REL_X)));
        match (keyboard, pointer) {
            (true, true) => Some(DeviceKind::KeyboardAndPointer),
            (true, false) => Some(DeviceKind::Keyboard),
            (false, true) => Some(DeviceKind::Pointer),
            (false, false) => None,
        }
    }

    fn label(self) -> &'static str {
        match self {
            DeviceKind::Keyboard => "keyboard",
            DeviceKind::Pointer => "pointer",
            DeviceKind::KeyboardAndPointer => "keyboard and pointer",
        }
    }
}

/// A device being read, as `status` lists it.
#[derive(Debug, Clone)]
struct DeviceShown {
    name: String,
    kind: DeviceKind,
    /// Events that repeated another device's and were not counted.
    copies: u64,
}

/// What capture knows of the devices, shared by the threads that read them; written to
/// `report` (which `keytrack-agent status` prints) when it changes.
#[derive(Debug, Default)]
struct Devices {
    /// By device node.
    reading: BTreeMap<PathBuf, (usize, DeviceShown)>,
    /// Nodes that could not be opened, and why (said once each in the log; tried again at each
    /// rescan, since udev may give them to the person a moment after they appear).
    refused: BTreeMap<PathBuf, String>,
    /// Nodes of devices not counted (power buttons, lid switches), by their inode when seen: not
    /// opened again at each rescan unless the node was made anew (another device plugged in).
    ignored: BTreeMap<PathBuf, u64>,
    copies: Copies,
    next_id: usize,
}

impl Devices {
    fn report(&self) -> String {
        let mut lines = Vec::new();
        for (path, (_, device)) in &self.reading {
            let mut line = format!("{}: {} ({})", device.kind.label(), device.name, path.display());
            if device.copies > 0 {
                line.push_str(&format!(
                    "; {} events repeated another device's and were not counted (a virtual copy, e.g. a key remapper's)",
                    device.copies
                ));
            }
            lines.push(line);
        }
        for (path, why) in &self.refused {
            lines.push(format!("not readable: {} ({why})", path.display()));
        }
        lines.join("\n")
    }
}

/// Capture from `/dev/input` (or another directory of event devices, for tests).
pub struct EvdevCapture {
    dir: PathBuf,
    /// Rewritten with the devices read whenever they change (see `config::save_capture_report`).
    report: Box<dyn Fn(&str) + Send>,
    /// Where the focus is read from, when the compositor says (wlroots); handed out once.
    focus: Mutex<Option<crate::wayland_focus::WlrFocus>>,
}

impl EvdevCapture {
    pub fn new(
        dir: impl Into<PathBuf>,
        report: Box<dyn Fn(&str) + Send>,
        focus: Option<crate::wayland_focus::WlrFocus>,
    ) -> EvdevCapture {
        EvdevCapture { dir: dir.into(), report, focus: Mutex::new(focus) }
    }
}

impl Capture for EvdevCapture {
    fn focus_reader(&self) -> Box<dyn crate::focus::FocusReader> {
        match self.focus.lock().ok().and_then(|mut focus| focus.take()) {
            Some(reader) => Box::new(reader),
            None => Box::new(crate::focus::NoFocus),
        }
    }

    fn desktop_reader(&self) -> DesktopReader {
        // No position is ever known: every click and move is off any screen, so none is binned.
        Box::new(|| Ok(Desktop::single(1, 1)))
    }

    fn start(
        self: Box<Self>,
        sink: Sender<InputEvent>,
        gate: Gate,
        errors: Sender<CaptureError>,
    ) -> Result<(), CaptureError> {
        let EvdevCapture { dir, report: write_report, .. } = *self;
        let devices = Arc::new(Mutex::new(Devices::default()));
        let opened = scan(&dir, &devices, &sink, &gate)?;
        if opened == 0 {
            let refused = devices.lock().map(|d| d.refused.len()).unwrap_or(0);
            return Err(if refused > 0 { CaptureError::NoPermission } else { CaptureError::NoInputDevices });
        }
        let mut said = String::new();
        let mut report = move |devices: &Mutex<Devices>| {
            let text = devices.lock().map(|d| d.report()).unwrap_or_default();
            if text != said {
                write_report(&text);
                said = text;
            }
        };
        report(&devices);
        std::thread::Builder::new()
            .name("input devices".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(RESCAN);
                    if let Err(error) = scan(&dir, &devices, &sink, &gate) {
                        let _ = errors.send(error);
                        return;
                    }
                    report(&devices);
                }
            })
            .map_err(|e| CaptureError::Failed(format!("cannot start the device thread: {e}")))?;
        Ok(())
    }
}

/// Opens the event devices of `dir` not read yet, and starts a thread reading each one that
/// capture counts; how many are read after it.
fn scan(
    dir: &Path,
    devices: &Arc<Mutex<Devices>>,
    sink: &Sender<InputEvent>,
    gate: &Gate,
) -> Result<usize, CaptureError> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| CaptureError::Failed(format!("cannot list {}: {e}", dir.display())))?;
    let mut nodes: Vec<PathBuf> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("event")))
        .collect();
    nodes.sort();
    for path in nodes {
        let inode = std::fs::metadata(&path).map(|m| std::os::unix::fs::MetadataExt::ino(&m)).ok();
        let known =
            |d: &Devices| d.reading.contains_key(&path) || inode.is_some_and(|i| d.ignored.get(&path) == Some(&i));
        if devices.lock().map_or(true, |d| known(&d)) {
            continue;
        }
        let device = match evdev::raw_stream::RawDevice::open(&path) {
            Ok(device) => device,
            Err(error) => {
                let why = if error.kind() == std::io::ErrorKind::PermissionDenied {
                    "no permission".to_string()
                } else {
                    error.to_string()
                };
                if let Ok(mut d) = devices.lock()
                    && d.refused.insert(path.clone(), why.clone()).is_none()
                {
                    crate::log::warn(&format!("cannot read {}: {why}", path.display()));
                }
                continue;
            }
        };
        let Some(kind) = DeviceKind::of(&device) else {
            if let (Ok(mut d), Some(inode)) = (devices.lock(), inode) {
                d.refused.remove(&path);
                d.ignored.insert(path, inode);
            }
            continue;
        };
        let name = device.name().unwrap_or("unnamed device").to_string();
        let id = {
            let Ok(mut d) = devices.lock() else {
                continue;
            };
            d.refused.remove(&path);
            d.ignored.remove(&path);
            let id = d.next_id;
            d.next_id += 1;
            d.reading.insert(path.clone(), (id, DeviceShown { name: name.clone(), kind, copies: 0 }));
            id
        };
        crate::log::info(&format!("reading {name} ({}), a {}", path.display(), kind.label()));
        let (devices, sink, gate) = (Arc::clone(devices), sink.clone(), gate.clone());
        let spawned = std::thread::Builder::new()
            .name("input device".into())
            .spawn(move || read(device, id, &path, &devices, &sink, &gate));
        if let Err(error) = spawned {
            return Err(CaptureError::Failed(format!("cannot start a device thread: {error}")));
        }
    }
    Ok(devices.lock().map(|d| d.reading.len()).unwrap_or(0))
}

/// Reads one device until it is unplugged (or the agent stops listening).
fn read(
    mut device: evdev::raw_stream::RawDevice,
    id: usize,
    path: &Path,
    devices: &Mutex<Devices>,
    sink: &Sender<InputEvent>,
    gate: &Gate,
) {
    let mut decoder = Decoder::default();
    loop {
        let events = match device.fetch_events() {
            Ok(events) => events,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => {
                if let Ok(mut d) = devices.lock() {
                    d.reading.remove(path);
                }
                crate::log::info(&format!("stopped reading {}: {error}", path.display()));
                return;
            }
        };
        for event in events {
            let Some(input) = decoder.feed(event.event_type().0, event.code(), event.value()) else {
                continue;
            };
            let at = event.timestamp();
            let at_us = match at.duration_since(std::time::UNIX_EPOCH) {
                Ok(d) => i64::try_from(d.as_micros()).unwrap_or(i64::MAX),
                Err(_) => 0,
            };
            let copy = match devices.lock() {
                Ok(mut d) => match d.copies.copy_by(id, &input, at_us) {
                    Some(copier) => {
                        if let Some((_, shown)) = d.reading.values_mut().find(|(device, _)| *device == copier) {
                            shown.copies += 1;
                        }
                        true
                    }
                    None => false,
                },
                Err(_) => false,
            };
            if copy {
                continue;
            }
            if let Some(input) = gate.pass(input)
                && sink.send(InputEvent { at_ms: unix_ms(at), input }).is_err()
            {
                return;
            }
        }
    }
}
