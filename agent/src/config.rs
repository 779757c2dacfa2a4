//! The agent's directory: `config.json` (server, token, device; mode 0600), `pause.json` and the
//! spool. From `--config-dir`, `KEYTRACK_AGENT_DIR`, or the platform's config dir.

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
}

/// `keytrack-agent pause`: until when (Unix seconds), or until `resume` when `None`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Pause {
    pub until: Option<i64>,
}

pub fn default_dir() -> anyhow::Result<PathBuf> {
    let base = dirs::config_dir().context("no config directory on this system; pass --config-dir")?;
    Ok(base.join("keytrack-agent"))
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
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
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

pub fn load_pause(dir: &Path) -> Option<Pause> {
    let text = std::fs::read_to_string(dir.join("pause.json")).ok()?;
    serde_json::from_str(&text).ok()
}

pub fn save_pause(dir: &Path, pause: Option<Pause>) -> anyhow::Result<()> {
    let path = dir.join("pause.json");
    match pause {
        Some(pause) => {
            std::fs::create_dir_all(dir)?;
            write_private(&path, serde_json::to_string(&pause)?.as_bytes())
        }
        None => match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        },
    }
}

/// True when capture is paused at `now` (Unix seconds).
pub fn is_paused(pause: Option<Pause>, now: i64) -> bool {
    match pause {
        None => false,
        Some(Pause { until: None }) => true,
        Some(Pause { until: Some(until) }) => now < until,
    }
}

/// Parses `90s`, `15m`, `2h`, `1d` or a plain number of minutes.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, "m"),
    };
    let n: u64 = number.parse().map_err(|_| format!("\"{text}\" is not a duration (try 30m, 2h or 1d)"))?;
    let secs = match unit {
        "s" => n,
        "m" | "min" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return Err(format!("unknown unit \"{unit}\" (use s, m, h or d)")),
    };
    if secs == 0 {
        return Err("a pause must last more than 0 seconds".into());
    }
    Ok(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(90));
        assert_eq!(parse_duration("15"), Ok(900));
        assert_eq!(parse_duration("2h"), Ok(7200));
        assert_eq!(parse_duration("1d"), Ok(86_400));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("3w").is_err());
        assert!(parse_duration("0m").is_err());
    }

    #[test]
    fn pauses_end_on_time_or_on_resume() {
        assert!(!is_paused(None, 100));
        assert!(is_paused(Some(Pause { until: None }), 100));
        assert!(is_paused(Some(Pause { until: Some(101) }), 100));
        assert!(!is_paused(Some(Pause { until: Some(100) }), 100));
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
        };
        save(dir.path(), &config)?;
        let mode = std::fs::metadata(config_path(dir.path()))?.permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(load(dir.path())?, config);
        Ok(())
    }
}
