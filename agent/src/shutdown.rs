//! How `keytrack-agent run` is asked to stop on each system, and how an asker that the system
//! will not wait for holds the exit back until the run loop has saved.
//!
//! - Unix: SIGINT and SIGTERM set the stop flag; the process leaves by itself once saved.
//! - Windows: a console control handler. Ctrl+C and Ctrl+Break set the flag like SIGINT. Closing
//!   the console, logging off and shutting down end the process as soon as the handler returns,
//!   so the handler waits for the save first. (The C runtime's `signal(SIGINT)` is not used: it
//!   sees only Ctrl+C and Ctrl+Break, and under Wine it crashed the process.)
//! - X11: when the X server goes away Xlib exits the process after its I/O error handler
//!   (`x_server_gone`), which waits the same way.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

/// The longest a handler holds an exit back; the system may end the process sooner (Windows
/// allows about 5 s after closing the console).
pub const SAVE_WAIT: Duration = Duration::from_secs(20);

static STOP: OnceLock<Arc<AtomicBool>> = OnceLock::new();
static SAVED: (Mutex<bool>, Condvar) = (Mutex::new(false), Condvar::new());

/// Installs this system's stop handlers and returns the run loop's stop flag.
pub fn on_request() -> anyhow::Result<Arc<AtomicBool>> {
    let stop = Arc::clone(STOP.get_or_init(|| Arc::new(AtomicBool::new(false))));
    #[cfg(unix)]
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&stop))?;
    }
    #[cfg(windows)]
    windows_console::install()?;
    #[cfg(target_os = "linux")]
    x_server_gone::install();
    Ok(stop)
}

/// The run loop has saved (and made its last upload attempt): a waiting handler may return.
pub fn saved() {
    if let Ok(mut saved) = SAVED.0.lock() {
        *saved = true;
        SAVED.1.notify_all();
    }
}

/// Asks the run loop to stop (it saves, then returns).
fn request_stop() {
    if let Some(stop) = STOP.get() {
        stop.store(true, Ordering::Relaxed);
    }
}

/// Asks the run loop to stop and waits (at most [`SAVE_WAIT`]) until it has saved. For handlers
/// after which the process ends whatever they do.
pub fn stop_and_wait_for_save() {
    request_stop();
    if let Ok(saved) = SAVED.0.lock() {
        let _ = SAVED.1.wait_timeout_while(saved, SAVE_WAIT, |saved| !*saved);
    }
}

/// Started from the Run key at logon (or by a double click), a console program gets a console
/// window of its own, which would stay open on the desktop for as long as the agent runs, and
/// closing it would stop the agent. When no other program shares that console, the agent leaves
/// it (Windows then closes the window) and logs to `agent.log` in its directory instead. Started
/// from a terminal, it keeps the terminal. Returns whether it left.
#[cfg(windows)]
pub fn leave_a_console_of_its_own(dir: &std::path::Path) -> anyhow::Result<bool> {
    windows_console::leave_if_alone(dir)
}

#[cfg(windows)]
#[allow(unsafe_code)] // FFI calls to the console API, and the handler's C signature
mod windows_console {
    use winapi::shared::minwindef::{BOOL, DWORD, TRUE};
    use winapi::um::wincon::{CTRL_BREAK_EVENT, CTRL_C_EVENT};

    pub fn leave_if_alone(dir: &std::path::Path) -> anyhow::Result<bool> {
        let mut processes: [DWORD; 2] = [0; 2];
        // SAFETY: the buffer holds the 2 entries the call is told of.
        let attached = unsafe { winapi::um::wincon::GetConsoleProcessList(processes.as_mut_ptr(), 2) };
        if attached != 1 {
            return Ok(false);
        }
        crate::log::to_file(&dir.join(crate::log::FILE_NAME))?;
        // SAFETY: no arguments; afterwards standard error is invalid, and the log is in the file.
        unsafe { winapi::um::wincon::FreeConsole() };
        Ok(true)
    }

    pub fn install() -> anyhow::Result<()> {
        // SAFETY: registers a function with the signature Windows expects; it touches only an
        // atomic, a mutex with its condvar and the log.
        let installed = unsafe { winapi::um::consoleapi::SetConsoleCtrlHandler(Some(on_control), TRUE) };
        anyhow::ensure!(
            installed != 0,
            "cannot install the console control handler: {}",
            std::io::Error::last_os_error()
        );
        Ok(())
    }

    /// Runs on a thread of its own that Windows starts for each event.
    unsafe extern "system" fn on_control(event: DWORD) -> BOOL {
        match event {
            CTRL_C_EVENT | CTRL_BREAK_EVENT => super::request_stop(),
            // Close, logoff, shutdown: the process ends when this returns.
            _ => {
                crate::log::info("the console is closing or the session is ending: saving first");
                super::stop_and_wait_for_save();
            }
        }
        TRUE
    }
}

/// When the X server goes away (the session ends, the display server is killed), Xlib calls its
/// I/O error handler and then exits the process, whatever the handler does; the default handler
/// exits at once, losing what the agent holds since its last save. This handler asks the run loop
/// to stop, which saves everything and tries a last upload, and waits for that (at most
/// [`super::SAVE_WAIT`]) before letting Xlib exit.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)] // one FFI call to install the handler, and the handler's C signature
mod x_server_gone {
    /// Installs the handler (`shutdown::on_request` does, with the other stop handlers).
    pub(crate) fn install() {
        // SAFETY: sets Xlib's process-wide I/O error handler to a function with the signature
        // Xlib expects; the function touches only an atomic, a mutex with its condvar and the log.
        unsafe {
            x11::xlib::XSetIOErrorHandler(Some(on_io_error));
        }
    }

    unsafe extern "C" fn on_io_error(_display: *mut x11::xlib::Display) -> std::os::raw::c_int {
        crate::log::warn("the X server went away: saving what the agent holds before it exits");
        super::stop_and_wait_for_save();
        0
    }
}
