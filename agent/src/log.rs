//! The agent's log: one line per event on standard error (the journal under systemd). It says what
//! the agent does and how many minutes wait; it never names a key.

fn line(level: &str, message: &str) {
    let now = chrono::Local::now().format("%Y-%m-%d %H:%M:%S");
    eprintln!("{now} {level} {message}");
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
