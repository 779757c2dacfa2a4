//! Which application has the focus on wlroots compositors (sway, Hyprland, labwc, niri), through
//! the `wlr-foreign-toplevel-management` protocol: the toplevel whose state says `activated`, by
//! its app id. The protocol also sends titles; they are never read (a title carries document
//! names, URLs and subjects). GNOME and KDE offer no such protocol: there the focus is unknown.
//!
//! A thread of its own reads the compositor's events; [`FocusReader::read`] answers from what it
//! heard last, so the focus thread never waits on the compositor.

use std::collections::HashMap;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use wayland_client::backend::ObjectId;
use wayland_client::globals::{GlobalListContents, registry_queue_init};
use wayland_client::protocol::wl_registry;
use wayland_client::{Connection, Dispatch, Proxy, QueueHandle, event_created_child};
use wayland_protocols_wlr::foreign_toplevel::v1::client::zwlr_foreign_toplevel_handle_v1::{
    self, ZwlrForeignToplevelHandleV1,
};
use wayland_protocols_wlr::foreign_toplevel::v1::client::zwlr_foreign_toplevel_manager_v1::{
    self, ZwlrForeignToplevelManagerV1,
};

use crate::focus::{FocusReader, Focused};

/// The protocol's `activated` state.
const ACTIVATED: u32 = 2;

/// The compositor's socket this session names: `WAYLAND_DISPLAY`, absolute or under
/// `XDG_RUNTIME_DIR` (as libwayland finds it).
pub fn session_socket(var: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let display = var("WAYLAND_DISPLAY").filter(|d| !d.is_empty())?;
    let display = PathBuf::from(display);
    if display.is_absolute() {
        return Some(display);
    }
    Some(PathBuf::from(var("XDG_RUNTIME_DIR").filter(|d| !d.is_empty())?).join(display))
}

/// The application name of an app id: reverse-DNS ids (`org.keepassxc.KeePassXC`) by their last
/// part, so that the never-count list's `keepassxc` covers them; others as they are (`firefox`,
/// `foot`), written as `keytrack_wire::app_name` writes names.
pub fn app_of(app_id: &str) -> Option<String> {
    let name = if app_id.matches('.').count() >= 2 { app_id.rsplit('.').next().unwrap_or(app_id) } else { app_id };
    keytrack_wire::app_name(name)
}

/// Reads the focus from a wlroots compositor.
pub struct WlrFocus {
    focused: Arc<Mutex<Option<String>>>,
}

impl WlrFocus {
    /// Connects to the compositor at `socket`; `None` when it does not answer or does not offer
    /// the protocol (GNOME, KDE).
    pub fn connect(socket: &Path) -> Option<WlrFocus> {
        let stream = UnixStream::connect(socket).ok()?;
        let connection = Connection::from_socket(stream).ok()?;
        let (globals, mut queue) = registry_queue_init::<Toplevels>(&connection).ok()?;
        let handle = queue.handle();
        let _manager: ZwlrForeignToplevelManagerV1 = globals.bind(&handle, 1..=3, ()).ok()?;
        let focused = Arc::new(Mutex::new(None));
        let mut toplevels = Toplevels { all: HashMap::new(), focused: Arc::clone(&focused) };
        // The toplevels open now arrive with the first round trip.
        queue.roundtrip(&mut toplevels).ok()?;
        std::thread::Builder::new()
            .name("wayland focus".into())
            .spawn(move || {
                // Until the compositor goes away (the session ends): then nothing has the focus.
                while queue.blocking_dispatch(&mut toplevels).is_ok() {}
                if let Ok(mut focused) = toplevels.focused.lock() {
                    *focused = None;
                }
            })
            .ok()?;
        Some(WlrFocus { focused })
    }
}

impl FocusReader for WlrFocus {
    fn read(&mut self) -> Focused {
        Focused { app: self.focused.lock().ok().and_then(|f| f.clone()), pid: None }
    }
}

/// One toplevel as the protocol describes it: its app id and whether it is active, each change
/// applied at its `done`.
#[derive(Debug, Default)]
struct Toplevel {
    app: Option<String>,
    activated: bool,
    pending_app: Option<String>,
    pending_activated: Option<bool>,
}

struct Toplevels {
    all: HashMap<ObjectId, Toplevel>,
    focused: Arc<Mutex<Option<String>>>,
}

impl Toplevels {
    fn publish(&self) {
        let active = self.all.values().find(|t| t.activated).and_then(|t| t.app.clone());
        if let Ok(mut focused) = self.focused.lock() {
            *focused = active;
        }
    }
}

impl Dispatch<wl_registry::WlRegistry, GlobalListContents> for Toplevels {
    fn event(
        _: &mut Self,
        _: &wl_registry::WlRegistry,
        _: wl_registry::Event,
        _: &GlobalListContents,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
    }
}

impl Dispatch<ZwlrForeignToplevelManagerV1, ()> for Toplevels {
    fn event(
        state: &mut Self,
        _: &ZwlrForeignToplevelManagerV1,
        event: zwlr_foreign_toplevel_manager_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        match event {
            zwlr_foreign_toplevel_manager_v1::Event::Toplevel { toplevel } => {
                state.all.insert(toplevel.id(), Toplevel::default());
            }
            zwlr_foreign_toplevel_manager_v1::Event::Finished => {
                state.all.clear();
                state.publish();
            }
            _ => {}
        }
    }

    event_created_child!(Toplevels, ZwlrForeignToplevelManagerV1, [
        zwlr_foreign_toplevel_manager_v1::EVT_TOPLEVEL_OPCODE => (ZwlrForeignToplevelHandleV1, ())
    ]);
}

impl Dispatch<ZwlrForeignToplevelHandleV1, ()> for Toplevels {
    fn event(
        state: &mut Self,
        handle: &ZwlrForeignToplevelHandleV1,
        event: zwlr_foreign_toplevel_handle_v1::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        use zwlr_foreign_toplevel_handle_v1::Event;
        let id = handle.id();
        match event {
            Event::AppId { app_id } => {
                if let Some(toplevel) = state.all.get_mut(&id) {
                    toplevel.pending_app = app_of(&app_id);
                }
            }
            Event::State { state: states } => {
                if let Some(toplevel) = state.all.get_mut(&id) {
                    let activated = states
                        .chunks_exact(4)
                        .any(|word| <[u8; 4]>::try_from(word).is_ok_and(|w| u32::from_ne_bytes(w) == ACTIVATED));
                    toplevel.pending_activated = Some(activated);
                }
            }
            Event::Done => {
                if let Some(toplevel) = state.all.get_mut(&id) {
                    if let Some(app) = toplevel.pending_app.take() {
                        toplevel.app = Some(app);
                    }
                    if let Some(activated) = toplevel.pending_activated.take() {
                        toplevel.activated = activated;
                    }
                }
                state.publish();
            }
            Event::Closed => {
                state.all.remove(&id);
                handle.destroy();
                state.publish();
            }
            // Titles, outputs and parents are not read.
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_dns_app_ids_are_named_by_their_last_part() {
        assert_eq!(app_of("org.keepassxc.KeePassXC").as_deref(), Some("keepassxc"));
        assert_eq!(app_of("firefox").as_deref(), Some("firefox"));
        assert_eq!(app_of("foot").as_deref(), Some("foot"));
        assert_eq!(app_of("code-url-handler").as_deref(), Some("code-url-handler"));
        assert_eq!(app_of(""), None);
    }

    #[test]
    fn the_socket_is_found_as_libwayland_finds_it() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
        };
        assert_eq!(
            session_socket(vars(&[("WAYLAND_DISPLAY", "wayland-1"), ("XDG_RUNTIME_DIR", "/run/user/1000")])),
            Some(PathBuf::from("/run/user/1000/wayland-1"))
        );
        assert_eq!(session_socket(vars(&[("WAYLAND_DISPLAY", "/tmp/w")])), Some(PathBuf::from("/tmp/w")));
        assert_eq!(session_socket(vars(&[("XDG_RUNTIME_DIR", "/run/user/1000")])), None);
    }
}
