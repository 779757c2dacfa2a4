//! `keytrack backup`: an online backup of a SQLite installation while its server runs (one file,
//! or with `--every` one file per interval into a folder, the newest `--keep` kept). The copy
//! itself is the store's (`store::sqlite::backup`); restoring is stopping the server, putting a
//! backup in the data dir as `keytrack.db` (with no `-wal` or `-shm` file beside it) and starting
//! it again (README, "Backups").

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};

use crate::server::store::sqlite::backup::{self, Backup};

/// The names of scheduled backups: `keytrack-20261205-143000.db` (UTC), so that the order of
/// names is the order of time.
const PREFIX: &str = "keytrack-";
const SUFFIX: &str = ".db";

/// A duration such as `30s`, `15m`, `6h` or `1d` (at least a second).
pub fn parse_interval(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let seconds_per = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(format!("{text:?}: use a number and s, m, h or d, e.g. 6h")),
    };
    let number: u64 = number.parse().map_err(|_| format!("{text:?}: use a number and s, m, h or d, e.g. 6h"))?;
    match number.checked_mul(seconds_per) {
        Some(seconds) if seconds > 0 => Ok(Duration::from_secs(seconds)),
        _ => Err(format!("{text:?}: at least 1s, at most a few centuries")),
    }
}

/// One backup of `data_dir` into the file `to`, in a blocking thread.
pub async fn once(data_dir: &Path, to: &Path) -> anyhow::Result<Backup> {
    let (data_dir, to) = (data_dir.to_path_buf(), to.to_path_buf());
    tokio::task::spawn_blocking(move || backup::backup(&data_dir, &to)).await.context("the backup stopped")?
}

/// A backup of `data_dir` into `folder` every `every` (the first at once) until `stop` ends, the
/// newest `keep` kept. A backup that fails is said on standard error and tried again at the next
/// time: a scheduler that stopped at the first full disk would leave no backups without a word.
pub async fn every(
    data_dir: &Path,
    folder: &Path,
    every: Duration,
    keep: usize,
    stop: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    if keep == 0 {
        bail!("--keep 0 would remove every backup it makes");
    }
    std::fs::create_dir_all(folder).with_context(|| format!("cannot make the folder {}", folder.display()))?;
    tokio::pin!(stop);
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = &mut stop => return Ok(()),
            _ = ticks.tick() => {}
        }
        let to = folder.join(format!("{PREFIX}{}{SUFFIX}", chrono::Utc::now().format("%Y%m%d-%H%M%S")));
        match once(data_dir, &to).await {
            Ok(made) => {
                eprintln!("backup {} ({} bytes)", made.file.display(), made.bytes);
                for removed in remove_beyond(folder, keep)? {
                    eprintln!("removed the old backup {}", removed.display());
                }
            }
            Err(error) => eprintln!("backup failed (tried again in {}s): {error:#}", every.as_secs()),
        }
    }
}

/// Removes the oldest scheduled backups in `folder` beyond the newest `keep`; files of other
/// names are never touched.
fn remove_beyond(folder: &Path, keep: usize) -> anyhow::Result<Vec<PathBuf>> {
    let mut backups: Vec<PathBuf> = std::fs::read_dir(folder)
        .with_context(|| format!("cannot list {}", folder.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name().and_then(|name| name.to_str()).is_some_and(|name| {
                name.strip_prefix(PREFIX)
                    .and_then(|rest| rest.strip_suffix(SUFFIX))
                    .is_some_and(|stamp| stamp.len() == 15 && stamp.chars().all(|c| c.is_ascii_digit() || c == '-'))
            })
        })
        .collect();
    backups.sort();
    let beyond = backups.len().saturating_sub(keep);
    let mut removed = Vec::new();
    for old in backups.into_iter().take(beyond) {
        std::fs::remove_file(&old).with_context(|| format!("cannot remove the old backup {}", old.display()))?;
        removed.push(old);
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_read_as_people_write_them() {
        assert_eq!(parse_interval("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_interval("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_interval("6h"), Ok(Duration::from_secs(21_600)));
        assert_eq!(parse_interval("1d"), Ok(Duration::from_secs(86_400)));
        for wrong in ["", "6", "h", "0s", "-1h", "1.5h", "6 hours", "99999999999999999999d"] {
            assert!(parse_interval(wrong).is_err(), "{wrong:?}");
        }
    }

    #[test]
    fn only_the_oldest_scheduled_backups_are_removed() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in [
            "keytrack-20261201-000000.db",
            "keytrack-20261202-000000.db",
            "keytrack-20261203-000000.db",
            "keytrack.db",
            "notes.txt",
        ] {
            std::fs::write(dir.path().join(name), b"x").expect("write");
        }
        let removed = remove_beyond(dir.path(), 2).expect("remove");
        assert_eq!(removed, vec![dir.path().join("keytrack-20261201-000000.db")]);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["keytrack-20261202-000000.db", "keytrack-20261203-000000.db", "keytrack.db", "notes.txt"]);
    }
}
