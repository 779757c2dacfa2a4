//! An online backup of a SQLite data dir: a consistent copy of the database written while a
//! server may be running and taking uploads, never a copy of the file (which can tear between
//! the database, its WAL and a commit in flight).
//!
//! `VACUUM INTO` reads the database in one read transaction, so the copy holds exactly what was
//! committed when it began (every upload acknowledged by then: the writer answers only after its
//! commit) and nothing of a transaction still open. Readers never wait for the writer in WAL
//! mode, so the server goes on storing uploads while the copy is written.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use rusqlite::{Connection, OpenFlags};

use super::DATABASE_FILE;

/// What a backup wrote.
#[derive(Debug, Clone)]
pub struct Backup {
    pub file: PathBuf,
    pub bytes: u64,
}

/// Writes a consistent copy of the database in `data_dir` to `to`, checked (`PRAGMA
/// integrity_check`) and flushed to disk before it takes its name, so a file of that name is
/// always a whole backup. `to` must not exist: a backup never overwrites anything.
pub fn backup(data_dir: &Path, to: &Path) -> anyhow::Result<Backup> {
    let source = data_dir.join(DATABASE_FILE);
    if !source.is_file() {
        bail!("{} holds no KeyTrack database ({DATABASE_FILE})", data_dir.display());
    }
    if to.exists() {
        bail!("{} exists already: a backup never overwrites a file", to.display());
    }
    let name = to.file_name().with_context(|| format!("{}: name a file to write the backup to", to.display()))?;
    let folder = match to.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // Written under a hidden name first; one a backup cut short left behind is written again.
    let partial = folder.join(format!(".{}.partial", name.to_string_lossy()));
    let _ = std::fs::remove_file(&partial);
    let written = write_copy(&source, &partial).and_then(|()| check(&partial));
    if let Err(error) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(error);
    }
    std::fs::File::open(&partial)
        .and_then(|file| file.sync_all())
        .with_context(|| format!("cannot flush {}", partial.display()))?;
    std::fs::rename(&partial, to).with_context(|| format!("cannot name the backup {}", to.display()))?;
    // The new name itself is durable once the folder is flushed.
    if let Ok(folder) = std::fs::File::open(&folder) {
        let _ = folder.sync_all();
    }
    let bytes = std::fs::metadata(to).map(|meta| meta.len()).unwrap_or(0);
    Ok(Backup { file: to.to_path_buf(), bytes })
}

fn write_copy(source: &Path, partial: &Path) -> anyhow::Result<()> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection = Connection::open_with_flags(source, flags)
        .with_context(|| format!("cannot open the database {}", source.display()))?;
    // A checkpoint of the server's may hold the file for a moment.
    connection.busy_timeout(Duration::from_secs(30))?;
    let target = partial.to_str().with_context(|| format!("{}: the path is not UTF-8", partial.display()))?;
    connection
        .execute("VACUUM INTO ?1", [target])
        .with_context(|| format!("cannot write the backup {}", partial.display()))?;
    Ok(())
}

/// Reads the whole copy back: a backup one cannot restore is worse than none, since it is trusted.
fn check(copy: &Path) -> anyhow::Result<()> {
    let connection = Connection::open_with_flags(copy, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("cannot open the backup {}", copy.display()))?;
    let verdict: String = connection
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .with_context(|| format!("cannot check the backup {}", copy.display()))?;
    if verdict != "ok" {
        bail!("the backup {} failed its integrity check: {verdict}", copy.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_backup_holds_what_was_committed_and_never_overwrites() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pool = super::super::open(dir.path()).await.expect("open");
        sqlx::query("INSERT INTO site_settings (key, value) VALUES ('backup-test', 'kept')")
            .execute(&pool)
            .await
            .expect("insert");
        let to = dir.path().join("copy.db");
        let made = backup(dir.path(), &to).expect("backup");
        assert!(made.bytes > 0);
        let copy = Connection::open(&to).expect("open copy");
        let kept: String = copy
            .query_row("SELECT value FROM site_settings WHERE key = 'backup-test'", [], |row| row.get(0))
            .expect("row");
        assert_eq!(kept, "kept");
        let again = backup(dir.path(), &to).expect_err("the file exists");
        assert!(again.to_string().contains("exists already"), "{again}");
        let none = backup(&dir.path().join("nothing"), &dir.path().join("other.db")).expect_err("no database");
        assert!(none.to_string().contains("holds no KeyTrack database"), "{none}");
        assert!(!dir.path().join(".copy.db.partial").exists(), "no partial file is left");
    }
}
