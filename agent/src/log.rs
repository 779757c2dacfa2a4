//! The agent's log: one line per event on standard error (the journal under systemd), or in a file
//! when there is nowhere to show it (the Windows agent started at logon: see `shutdown`). It says
//! what the agent does and how many minutes wait; it never names a key.

use std::io::Write;
use std::path::Path;
use std::sync::{Mutex, OnceLock};

/// A log file longer than this is moved to `<name>.1` (replacing the one before) when the agent
/// starts, so two runs' worth at most are kept.
const FILE_LIMIT: u64 = 1024 * 1024;

/// The log file's name in the agent's directory, where there is one.
pub const FILE_NAME: &str = "agent.log";

static FILE: OnceLock<Mutex<std::fs::File>> = OnceLock::new();

/// From now on, lines go to `path` (appended) instead of standard error.
pub fn to_file(path: &Path) -> anyhow::Result<()> {
    if std::fs::metadata(path).is_ok_and(|m| m.len() > FILE_LIMIT) {
        let mut old = path.as_os_str().to_owned();
        old.push(".1");
        std::fs::rename(path, &old)?;
    }
    let file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    let _ = FILE.set(Mutex::new(file));
    Ok(())
}

/// Whether lines go to a file (standard error may lead nowhere).
pub fn in_file() -> bool {
    FILE.get().is_some()
}

fn line(level: &str, message: &str) {
    let now = chrono::Local::now().format("%Y-%m-%d %H:%M:%S");
    match FILE.get().and_then(|file| file.lock().ok()) {
        Some(mut file) => {
            let _ = writeln!(file, "{now} {level} {message}");
        }
        None => eprintln!("{now} {level} {message}"),
    }
}

pub fn info(message: &str) {
    line("INFO", message);
}

pub fn warn(message: &str) {
    line("WARN", message);
}

pub fn error(message: &str) {
    line("ERROR", message);
}
