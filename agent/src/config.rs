//! The agent's directory (mode 0700): `config.json` (server, token, device; mode 0600),
//! `pause.json` and the running agent's `pause.ack`, `agent.lock` (held by the running agent),
//! `capture.txt` (how the running agent captures, for `status`) and the spool. From
//! `--config-dir`, `KEYTRACK_AGENT_DIR`, or the platform's config dir.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// Base URL of the KeyTrack server, e.g. `https://keytrack.example.com`.
    pub server: String,
    pub token: String,
    /// Made once at pairing; the server keeps one record per device and minute.
    pub device_id: String,
    pub device_name: String,
    /// Changes to the default never-count list made with `keytrack-agent never-count`.
    #[serde(default, skip_serializing_if = "NeverCountChanges::is_empty")]
    pub never_count: NeverCountChanges,
}

/// The agent's own never-count list is the default one (`keytrack_wire::apps::DEFAULT_NEVER_COUNT`)
/// with these changes, so that names later versions add to the default apply too.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeverCountChanges {
    #[serde(default)]
    pub added: Vec<String>,
    /// Names of the default list taken off it.
    #[serde(default)]
    pub removed: Vec<String>,
}

impl NeverCountChanges {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }

    /// The list in force on this computer (before the profile's list is added).
    pub fn list(&self) -> Vec<String> {
        let mut list: Vec<String> = keytrack_wire::apps::DEFAULT_NEVER_COUNT
            .iter()
            .filter(|name| !self.removed.iter().any(|r| r == *name))
            .map(|name| name.to_string())
            .collect();
        for name in &self.added {
            if !list.contains(name) {
                list.push(name.clone());
            }
        }
        list.sort();
        list
    }

    /// Puts `name` on the list; false when it was on it already.
    pub fn add(&mut self, name: &str) -> bool {
        if self.list().iter().any(|n| n == name) {
            return false;
        }
        self.removed.retain(|n| n != name);
        if !keytrack_wire::apps::DEFAULT_NEVER_COUNT.contains(&name) {
            self.added.push(name.to_string());
            self.added.sort();
        }
        true
    }

    /// Takes `name` off the list; false when it was not on it.
    pub fn remove(&mut self, name: &str) -> bool {
        if !self.list().iter().any(|n| n == name) {
            return false;
        }
        self.added.retain(|n| n != name);
        if keytrack_wire::apps::DEFAULT_NEVER_COUNT.contains(&name) {
            self.removed.push(name.to_string());
            self.removed.sort();
        }
        true
    }
}

/// `keytrack-agent pause` and `resume`: the running agent applies the newest of these and answers
/// with its `id` in `pause.ack`, so that the command returns only once capture has changed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Pause {
    /// Until when (Unix seconds), or until `resume` when `None`.
    pub until: Option<i64>,
    /// False after `resume`.
    #[serde(default = "yes")]
    pub active: bool,
    /// Names this request in the running agent's acknowledgement.
    #[serde(default)]
    pub id: u64,
}

fn yes() -> bool {
    true
}

/// The longest pause with a duration; longer is `pause` without one (until `resume`).
pub const MAX_PAUSE_SECS: u64 = 365 * 86_400;

pub fn default_dir() -> anyhow::Result<PathBuf> {
    let base = dirs::config_dir().context("no config directory on this system; pass --config-dir")?;
    Ok(base.join("keytrack-agent"))
}

/// The server's address as `pair` takes it: `http://` or `https://`, a host, and nothing after it
/// but an optional `/` (KeyTrack serves its pages and API from the root of its address). The
/// error says what to type instead.
pub fn server_url(text: &str) -> Result<String, String> {
    let text = text.trim();
    let lower = text.to_ascii_lowercase();
    let Some(rest) =
        ["https://", "http://"].iter().find_map(|scheme| lower.starts_with(scheme).then(|| &text[scheme.len()..]))
    else {
        let example = text.split("://").last().unwrap_or(text);
        return Err(format!(
            "the server's address needs http:// or https:// in front, e.g. https://{example} (got \"{text}\")"
        ));
    };
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    if host.is_empty() || host.contains(['?', '#', ' ']) {
        return Err(format!("\"{text}\" names no server: use its address, e.g. https://keytrack.example.com"));
    }
    if !path.is_empty() {
        let root = &text[..text.len() - path.len() - 1];
        return Err(format!("KeyTrack answers at the root of its address: use {root} (without \"/{path}\")"));
    }
    Ok(text.trim_end_matches('/').to_string())
}

pub fn config_path(dir: &Path) -> PathBuf {
    dir.join("config.json")
}

pub fn load(dir: &Path) -> anyhow::Result<Config> {
    let path = config_path(dir);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            anyhow::bail!(
                "this agent is not paired yet ({} does not exist): run `keytrack-agent pair --server URL --token TOKEN`",
                path.display()
            )
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    serde_json::from_str(&text).with_context(|| format!("{} is not a valid agent config", path.display()))
}

/// Writes the config readable by its owner only: it holds the API token.
pub fn save(dir: &Path, config: &Config) -> anyhow::Result<()> {
    create_private_dir(dir)?;
    write_private(&config_path(dir), serde_json::to_string_pretty(config)?.as_bytes())
}

/// Writes a file atomically (temp file + rename) with mode 0600 on Unix.
pub fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
    }
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Creates the agent's directory (and its parents), readable by its owner only: it holds the
/// token and the spool.
pub fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot make {} private", dir.display()))?;
    }
    Ok(())
}

pub fn load_pause(dir: &Path) -> Option<Pause> {
    let text = std::fs::read_to_string(dir.join("pause.json")).ok()?;
    serde_json::from_str(&text).ok()
}

pub fn save_pause(dir: &Path, pause: Pause) -> anyhow::Result<()> {
    create_private_dir(dir)?;
    write_private(&dir.join("pause.json"), serde_json::to_string(&pause)?.as_bytes())
}

/// Marks this directory's agent as running for as long as the returned file is open (an exclusive
/// lock on `agent.lock`): a second `run` on the same directory is refused, and `pause` knows
/// whether to wait for an answer.
pub fn hold_run_lock(dir: &Path) -> anyhow::Result<std::fs::File> {
    create_private_dir(dir)?;
    let path = dir.join("agent.lock");
    let mut options = std::fs::OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(&path).with_context(|| format!("cannot open {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "another keytrack-agent is already running with {}; stop it first (or pass another --config-dir)",
            dir.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => Err(e).with_context(|| format!("cannot lock {}", path.display())),
    }
}

/// True while an agent runs with this directory.
pub fn agent_running(dir: &Path) -> bool {
    let Ok(file) = std::fs::OpenOptions::new().read(true).open(dir.join("agent.lock")) else {
        return false;
    };
    matches!(file.try_lock_shared(), Err(std::fs::TryLockError::WouldBlock))
}

/// The id of the last pause or resume the running agent applied.
pub fn load_pause_ack(dir: &Path) -> Option<u64> {
    std::fs::read_to_string(dir.join("pause.ack")).ok()?.trim().parse().ok()
}

/// Says how the running agent captures (which backend and why, which devices), for `status`.
pub fn save_capture_report(dir: &Path, text: &str) -> anyhow::Result<()> {
    write_private(&dir.join("capture.txt"), text.as_bytes())
}

/// What the running agent said of its capture last.
pub fn load_capture_report(dir: &Path) -> Option<String> {
    std::fs::read_to_string(dir.join("capture.txt")).ok()
}

pub fn save_pause_ack(dir: &Path, id: u64) -> anyhow::Result<()> {
    write_private(&dir.join("pause.ack"), id.to_string().as_bytes())
}

/// True when capture is paused at `now` (Unix seconds).
pub fn is_paused(pause: Option<Pause>, now: i64) -> bool {
    match pause {
        Some(Pause { active: true, until: None, .. }) => true,
        Some(Pause { active: true, until: Some(until), .. }) => now < until,
        _ => false,
    }
}

/// Parses `90s`, `15m`, `2h`, `1d` or a plain number of minutes.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, "m"),
    };
    let too_long =
        || "a pause lasts at most 365 days; for longer, `pause` without a duration lasts until `resume`".to_string();
    // A number too large for u64 is a number too long for a pause, not something else.
    let n: u64 = match number.parse() {
        Ok(n) => n,
        Err(_) if !number.is_empty() && number.chars().all(|c| c.is_ascii_digit()) => return Err(too_long()),
        Err(_) => return Err(format!("\"{text}\" is not a duration (try 30m, 2h or 1d)")),
    };
    let unit_secs = match unit {
        "s" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("unknown unit \"{unit}\" (use s, m, h or d)")),
    };
    let secs = n.checked_mul(unit_secs).filter(|s| *s <= MAX_PAUSE_SECS).ok_or_else(too_long)?;
    if secs == 0 {
        return Err("a pause must last more than 0 seconds".into());
    }
    Ok(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_addresses_need_a_scheme_and_no_path() {
        assert_eq!(server_url("https://kt.example.com/"), Ok("https://kt.example.com".into()));
        assert_eq!(server_url(" HTTP://127.0.0.1:3000 "), Ok("HTTP://127.0.0.1:3000".into()));
        let no_scheme = server_url("kt.example.com:3000").expect_err("no scheme");
        assert!(no_scheme.contains("https://kt.example.com:3000"), "{no_scheme}");
        let path = server_url("https://kt.example.com/tokens").expect_err("a path");
        assert!(path.contains("use https://kt.example.com (without \"/tokens\")"), "{path}");
        assert!(server_url("https://").is_err());
        assert!(server_url("https://?x").is_err());
    }

    #[test]
    fn the_never_count_list_is_the_default_with_changes() {
        let mut changes = NeverCountChanges::default();
        assert_eq!(changes.list().len(), keytrack_wire::apps::DEFAULT_NEVER_COUNT.len());
        assert!(changes.add("xterm") && !changes.add("xterm") && !changes.add("keepassxc"));
        assert!(changes.remove("keepassxc") && !changes.remove("keepassxc") && !changes.remove("firefox"));
        let list = changes.list();
        assert!(list.contains(&"xterm".to_string()) && !list.contains(&"keepassxc".to_string()));
        assert_eq!(changes, NeverCountChanges { added: vec!["xterm".into()], removed: vec!["keepassxc".into()] });
        assert!(changes.add("keepassxc") && changes.remove("xterm"));
        assert!(changes.is_empty());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(90));
        assert_eq!(parse_duration("15"), Ok(900));
        assert_eq!(parse_duration("2h"), Ok(7200));
        assert_eq!(parse_duration("1d"), Ok(86_400));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("3w").is_err());
        assert!(parse_duration("0m").is_err());
        assert_eq!(parse_duration("365d"), Ok(MAX_PAUSE_SECS));
        for huge in ["366d", "999999999999999d", "99999999999999999999999", "18446744073709551615s"] {
            assert!(parse_duration(huge).is_err_and(|e| e.contains("at most 365 days")), "{huge}");
        }
    }

    #[test]
    fn pauses_end_on_time_or_on_resume() {
        let pause = |until, active| Some(Pause { until, active, id: 1 });
        assert!(!is_paused(None, 100));
        assert!(is_paused(pause(None, true), 100));
        assert!(is_paused(pause(Some(101), true), 100));
        assert!(!is_paused(pause(Some(100), true), 100));
        assert!(!is_paused(pause(None, false), 100));
        // pause.json of the first release: {"until": null} means paused.
        assert!(is_paused(serde_json::from_str(r#"{"until": null}"#).ok(), 100));
    }

    #[cfg(unix)]
    #[test]
    fn the_config_is_private() -> anyhow::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir()?;
        let config = Config {
            server: "http://127.0.0.1:3000".into(),
            token: "kt_x".into(),
            device_id: "d".into(),
            device_name: "n".into(),
            never_count: NeverCountChanges { added: vec!["xterm".into()], removed: vec!["keeper".into()] },
        };
        save(dir.path(), &config)?;
        let mode = std::fs::metadata(config_path(dir.path()))?.permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(load(dir.path())?, config);
        Ok(())
    }
}
