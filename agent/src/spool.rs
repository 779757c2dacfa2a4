//! The spool: what waits on disk (SQLite in the agent's directory) until the server has it.
//!
//! - `minutes`: minute records (totals only). Unfinished minutes are saved too, so a crash loses at
//!   most one flush interval, and an outage of days loses nothing: records leave the spool only
//!   once the server accepted them. Each saved record gets a new version; the uploader marks the
//!   version it sent, so a minute that changed while its upload was in flight is sent again (the
//!   server's merge rule replaces it).
//! - `blocks`: closed hour blocks (key detail of at least 200 presses), each deleted as soon as
//!   the server accepted it.
//! - `pending`: at most one row, the key detail not yet in a complete block, written only when
//!   the agent stops and deleted when it starts again. While the agent runs, that detail lives in
//!   its memory only, so the disk never holds copies of an open hour to compare.
//!
//! No history: `secure_delete` overwrites deleted and replaced rows, and a rollback journal
//! (truncated after every commit) takes the place of a write-ahead log, whose frames would keep
//! old versions. The files are readable by their owner only.

use std::path::Path;

use keytrack_wire::{ActivityMinute, HourBlock, blocks::fold_hours};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

/// At most this many minutes wait for upload (about 70 days of continuous use); past it the
/// oldest waiting minutes are dropped first, with a warning.
pub const MAX_WAITING_MINUTES: u64 = 100_000;

/// Uploaded minutes (totals) are kept this long, for `status` (today's counts), then deleted.
const KEEP_SENT_SECS: i64 = 2 * 24 * 3600;

pub const SPOOL_FILE: &str = "spool.db";

pub struct Spool {
    db: Connection,
}

/// A record waiting for upload, with the version that is being sent.
#[derive(Debug, Clone)]
pub struct Waiting {
    pub version: i64,
    pub record: ActivityMinute,
}

/// Whether opening failed because the file is not a sound SQLite database.
fn is_damaged(error: &anyhow::Error) -> bool {
    matches!(
        error.downcast_ref::<rusqlite::Error>(),
        Some(rusqlite::Error::SqliteFailure(failure, _))
            if matches!(failure.code, rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
    )
}

/// Creates the file readable and writable by its owner only, or makes an existing one so. SQLite
/// gives its journal the database file's permissions.
fn make_private(path: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(path)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        for suffix in ["-journal", "-wal", "-shm"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            if Path::new(&name).exists() {
                std::fs::set_permissions(&name, std::fs::Permissions::from_mode(0o600))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

impl Spool {
    /// Opens the spool in `dir`, creating it if needed. A damaged file ("file is not a database",
    /// "database disk image is malformed": a disk error, a copy cut short) is moved aside, with a
    /// warning that names both files, and a new spool takes its place: capture goes on, and only
    /// what waited in the damaged file is lost.
    pub fn open(dir: &Path) -> anyhow::Result<Spool> {
        crate::config::create_private_dir(dir)?;
        let path = dir.join(SPOOL_FILE);
        match Spool::open_file(&path) {
            Err(error) if is_damaged(&error) => {
                let aside = dir.join(format!("{SPOOL_FILE}.damaged-{}", chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f")));
                std::fs::rename(&path, &aside)?;
                let mut journal = path.as_os_str().to_owned();
                journal.push("-journal");
                let _ = std::fs::remove_file(&journal);
                crate::log::warn(&format!(
                    "the spool {} was damaged ({error}); moved it to {} and started a new one: minutes that waited in it for upload are lost",
                    path.display(),
                    aside.display()
                ));
                Spool::open_file(&path)
            }
            other => other,
        }
        .map_err(|e| e.context(format!("cannot open the spool {}", path.display())))
    }

    fn open_file(path: &Path) -> anyhow::Result<Spool> {
        make_private(path)?;
        let db = Connection::open(path)?;
        db.busy_timeout(std::time::Duration::from_secs(10))?;
        db.pragma_update(None, "secure_delete", "ON")?;
        // Leaves write-ahead logging (the first release's spool used it) for a journal that is
        // emptied at every commit.
        db.pragma_update(None, "journal_mode", "TRUNCATE")?;
        // FULL: a record the agent believes saved survives a power cut, not only a kill.
        db.pragma_update(None, "synchronous", "FULL")?;
        db.execute_batch(
            "CREATE TABLE IF NOT EXISTS minutes (
                 minute INTEGER PRIMARY KEY,
                 record TEXT NOT NULL,
                 finished INTEGER NOT NULL,
                 version INTEGER NOT NULL,
                 sent_version INTEGER NOT NULL DEFAULT 0
             );
             CREATE TABLE IF NOT EXISTS blocks (start INTEGER PRIMARY KEY, record TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS pending (id INTEGER PRIMARY KEY CHECK (id = 1), record TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS facts (name TEXT PRIMARY KEY, value TEXT NOT NULL);",
        )?;
        // A file damaged past its first pages opens and creates its tables; reading it says so.
        db.query_row("PRAGMA quick_check", [], |row| row.get::<_, String>(0)).and_then(|verdict| {
            if verdict == "ok" {
                Ok(())
            } else {
                Err(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
                    Some(verdict),
                ))
            }
        })?;
        let mut spool = Spool { db };
        spool.upgrade_first_release()?;
        Ok(spool)
    }

    /// Starts a transaction that writes. IMMEDIATE takes the write lock at its start: the capture
    /// loop and the upload thread each hold a connection, and a transaction that reads before it
    /// writes would, when the other holds the write lock, get "database is locked" at once (SQLite
    /// does not wait where waiting could deadlock) instead of waiting for the busy timeout.
    fn write(&mut self) -> rusqlite::Result<Transaction<'_>> {
        self.db.transaction_with_behavior(TransactionBehavior::Immediate)
    }

    /// Saves records (replacing earlier copies of the same minutes) in one transaction.
    /// Returns how many waiting minutes had to be dropped to stay within the bound.
    pub fn save(&mut self, records: &[ActivityMinute], finished: bool) -> anyhow::Result<u64> {
        if records.is_empty() {
            return Ok(0);
        }
        let tx = self.write()?;
        {
            let mut upsert = tx.prepare_cached(
                "INSERT INTO minutes (minute, record, finished, version) VALUES (?1, ?2, ?3, 1)
                 ON CONFLICT (minute) DO UPDATE SET record = excluded.record,
                     finished = excluded.finished, version = minutes.version + 1",
            )?;
            for record in records {
                upsert.execute(params![record.minute, serde_json::to_string(record)?, finished])?;
            }
        }
        let dropped = drop_beyond_bound(&tx)?;
        tx.commit()?;
        Ok(dropped)
    }

    /// Saves complete blocks for upload.
    pub fn save_blocks(&mut self, blocks: &[HourBlock]) -> anyhow::Result<()> {
        if blocks.is_empty() {
            return Ok(());
        }
        let tx = self.write()?;
        {
            let mut insert = tx.prepare_cached("INSERT OR REPLACE INTO blocks (start, record) VALUES (?1, ?2)")?;
            for block in blocks {
                insert.execute(params![block.start, serde_json::to_string(block)?])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Keeps the key detail that waits for more presses while the agent is stopped (replacing
    /// any kept before; `None` keeps nothing).
    pub fn set_pending(&mut self, pending: Option<&HourBlock>) -> anyhow::Result<()> {
        let tx = self.write()?;
        tx.execute("DELETE FROM pending", [])?;
        if let Some(block) = pending {
            tx.execute("INSERT INTO pending (id, record) VALUES (1, ?1)", [serde_json::to_string(block)?])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Takes the kept key detail out of the spool (an agent starting: from now on it is in memory).
    pub fn take_pending(&mut self) -> anyhow::Result<Option<HourBlock>> {
        let tx = self.write()?;
        let record: Option<String> =
            tx.query_row("SELECT record FROM pending WHERE id = 1", [], |r| r.get(0)).optional()?;
        tx.execute("DELETE FROM pending", [])?;
        tx.commit()?;
        Ok(match record {
            Some(json) => Some(serde_json::from_str(&json)?),
            None => None,
        })
    }

    /// Key presses kept in the pending block (for `status`).
    pub fn pending_presses(&self) -> anyhow::Result<u64> {
        let record: Option<String> =
            self.db.query_row("SELECT record FROM pending WHERE id = 1", [], |r| r.get(0)).optional()?;
        Ok(match record {
            Some(json) => serde_json::from_str::<HourBlock>(&json)?.presses(),
            None => 0,
        })
    }

    /// Unfinished minutes, to continue after a restart.
    pub fn unfinished(&self) -> anyhow::Result<Vec<ActivityMinute>> {
        let mut stmt = self.db.prepare("SELECT record FROM minutes WHERE finished = 0 ORDER BY minute")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut records = Vec::new();
        for row in rows {
            records.push(serde_json::from_str(&row?)?);
        }
        Ok(records)
    }

    /// The oldest records not yet accepted by the server, at most `limit`.
    pub fn waiting(&self, limit: usize) -> anyhow::Result<Vec<Waiting>> {
        let mut stmt = self.db.prepare_cached(
            "SELECT version, record FROM minutes WHERE version > sent_version ORDER BY minute LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        let mut waiting = Vec::new();
        for row in rows {
            let (version, json) = row?;
            waiting.push(Waiting { version, record: serde_json::from_str(&json)? });
        }
        Ok(waiting)
    }

    /// The oldest complete blocks, at most `limit`.
    pub fn waiting_blocks(&self, limit: usize) -> anyhow::Result<Vec<HourBlock>> {
        let mut stmt = self.db.prepare_cached("SELECT record FROM blocks ORDER BY start LIMIT ?1")?;
        let rows = stmt.query_map([limit as i64], |r| r.get::<_, String>(0))?;
        let mut blocks = Vec::new();
        for row in rows {
            blocks.push(serde_json::from_str(&row?)?);
        }
        Ok(blocks)
    }

    pub fn waiting_count(&self) -> anyhow::Result<u64> {
        Ok(self.db.query_row("SELECT count(*) FROM minutes WHERE version > sent_version", [], |r| r.get::<_, i64>(0))?
            as u64)
    }

    pub fn waiting_block_count(&self) -> anyhow::Result<u64> {
        Ok(self.db.query_row("SELECT count(*) FROM blocks", [], |r| r.get::<_, i64>(0))? as u64)
    }

    /// Marks these versions as accepted by the server (a newer version of a minute stays waiting),
    /// deletes the accepted blocks, and forgets finished minutes that were sent long ago.
    pub fn mark_sent(&mut self, sent: &[Waiting], blocks: &[HourBlock], now_secs: i64) -> anyhow::Result<()> {
        let tx = self.write()?;
        {
            let mut mark =
                tx.prepare_cached("UPDATE minutes SET sent_version = ?2 WHERE minute = ?1 AND sent_version < ?2")?;
            for item in sent {
                mark.execute(params![item.record.minute, item.version])?;
            }
            let mut forget = tx.prepare_cached("DELETE FROM blocks WHERE start = ?1")?;
            for block in blocks {
                forget.execute([block.start])?;
            }
        }
        tx.execute(
            "DELETE FROM minutes WHERE finished = 1 AND version = sent_version AND minute < ?1",
            [now_secs - KEEP_SENT_SECS],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Records whose minute lies at or after `since` (Unix seconds), sent or not: today's activity.
    pub fn since(&self, since: i64) -> anyhow::Result<Vec<ActivityMinute>> {
        let mut stmt = self.db.prepare("SELECT record FROM minutes WHERE minute >= ?1 ORDER BY minute")?;
        let rows = stmt.query_map([since], |r| r.get::<_, String>(0))?;
        let mut records = Vec::new();
        for row in rows {
            records.push(serde_json::from_str(&row?)?);
        }
        Ok(records)
    }

    pub fn fact(&self, name: &str) -> anyhow::Result<Option<String>> {
        Ok(self.db.query_row("SELECT value FROM facts WHERE name = ?1", [name], |r| r.get(0)).optional()?)
    }

    pub fn set_fact(&self, name: &str, value: &str) -> anyhow::Result<()> {
        self.db.execute(
            "INSERT INTO facts (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            [name, value],
        )?;
        Ok(())
    }

    /// A spool of the first release kept per-key counts, chords and pointer cells in its minute
    /// records. Their totals stay; the detail of minutes not yet uploaded becomes hour blocks by
    /// today's rule (the remainder the pending block), the rest of the detail goes, and the file
    /// is rewritten so that no page still holds it.
    fn upgrade_first_release(&mut self) -> anyhow::Result<()> {
        let old: Vec<(i64, String, bool)> = {
            let mut stmt = self.db.prepare(
                "SELECT minute, record, version > sent_version FROM minutes
                 WHERE record LIKE '%\"keys\"%' OR record LIKE '%\"chords\"%' OR record LIKE '%\"screen\"%'
                 ORDER BY minute",
            )?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<Result<_, _>>()?
        };
        if old.is_empty() {
            return Ok(());
        }
        let mut unsent: Vec<HourBlock> = Vec::new();
        let tx = self.write()?;
        for (minute, json, waiting) in old {
            let mut record: ActivityMinute = serde_json::from_str(&json)?;
            let detail = record.take_detail();
            if waiting {
                unsent.push(detail);
            }
            tx.execute(
                "UPDATE minutes SET record = ?2 WHERE minute = ?1",
                params![minute, serde_json::to_string(&record)?],
            )?;
        }
        let now = crate::event::now_ms() / 1000;
        let mut folded = fold_hours(unsent);
        // The last block may still be short of presses or end in the hour now in progress: it
        // waits in the pending row like any detail not yet complete.
        let pending = match folded.last() {
            Some(last) if last.presses() < keytrack_wire::MIN_BLOCK_PRESSES || last.end > now => folded.pop(),
            _ => None,
        };
        for block in &folded {
            tx.execute(
                "INSERT OR REPLACE INTO blocks (start, record) VALUES (?1, ?2)",
                params![block.start, serde_json::to_string(block)?],
            )?;
        }
        if let Some(block) = pending {
            let merged = match tx
                .query_row("SELECT record FROM pending WHERE id = 1", [], |r| r.get::<_, String>(0))
                .optional()?
            {
                Some(json) => {
                    let mut kept: HourBlock = serde_json::from_str(&json)?;
                    kept.merge(block);
                    kept
                }
                None => block,
            };
            tx.execute(
                "INSERT OR REPLACE INTO pending (id, record) VALUES (1, ?1)",
                [serde_json::to_string(&merged)?],
            )?;
        }
        tx.commit()?;
        self.db.execute_batch("VACUUM")?;
        Ok(())
    }
}

/// Drops the oldest waiting minutes beyond [`MAX_WAITING_MINUTES`]; returns how many.
fn drop_beyond_bound(tx: &rusqlite::Transaction<'_>) -> anyhow::Result<u64> {
    let waiting: u64 =
        tx.query_row("SELECT count(*) FROM minutes WHERE version > sent_version", [], |r| r.get::<_, i64>(0))? as u64;
    let dropped = waiting.saturating_sub(MAX_WAITING_MINUTES);
    if dropped > 0 {
        tx.execute(
            "DELETE FROM minutes WHERE minute IN (SELECT minute FROM minutes WHERE version > sent_version
             ORDER BY minute LIMIT ?1)",
            [dropped as i64],
        )?;
    }
    Ok(dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(minute: i64, presses: u32) -> ActivityMinute {
        ActivityMinute { minute, presses, active_seconds: 1, ..ActivityMinute::default() }
    }

    #[test]
    fn a_damaged_spool_is_moved_aside_and_a_new_one_takes_its_place() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        // Not a database at all, and a database whose pages were overwritten after its header.
        std::fs::write(dir.path().join(SPOOL_FILE), b"this is not a SQLite file, it is garbage".repeat(200))?;
        let mut spool = Spool::open(dir.path())?;
        spool.save(&[record(60, 1)], false)?;
        assert_eq!(spool.waiting_count()?, 1, "the new spool works");
        drop(spool);
        let mut bytes = std::fs::read(dir.path().join(SPOOL_FILE))?;
        for byte in bytes.iter_mut().skip(100) {
            *byte = 0xA5;
        }
        std::fs::write(dir.path().join(SPOOL_FILE), &bytes)?;
        let spool = Spool::open(dir.path())?;
        assert_eq!(spool.waiting_count()?, 0, "a new, empty spool");
        let aside: Vec<String> = std::fs::read_dir(dir.path())?
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .filter(|name| name.starts_with("spool.db.damaged-"))
            .collect();
        assert_eq!(aside.len(), 2, "both damaged files are kept aside: {aside:?}");
        Ok(())
    }

    #[test]
    fn a_read_then_write_waits_while_the_other_connection_writes() -> anyhow::Result<()> {
        // The capture loop and the upload thread each hold a connection to the spool. A restarted
        // agent takes its kept key detail (read, then delete) while the upload thread writes.
        let dir = tempfile::tempdir()?;
        let mut spool = Spool::open(dir.path())?;
        let block = HourBlock { start: 3600, end: 7200, ..HourBlock::default() };
        spool.set_pending(Some(&block))?;
        let (locked_tx, locked) = std::sync::mpsc::channel();
        let path = dir.path().join(SPOOL_FILE);
        let writer = std::thread::spawn(move || -> anyhow::Result<()> {
            let other = Connection::open(path)?;
            let tx = other.unchecked_transaction()?;
            tx.execute("INSERT INTO facts (name, value) VALUES ('other', 'writing')", [])?;
            locked_tx.send(())?;
            std::thread::sleep(std::time::Duration::from_millis(300));
            tx.commit()?;
            Ok(())
        });
        locked.recv()?;
        let taken = spool.take_pending()?;
        assert_eq!(taken.map(|b| b.start), Some(3600), "waited for the other writer, then took the detail");
        assert_eq!(spool.take_pending()?.map(|b| b.start), None, "taken once");
        writer.join().map_err(|_| anyhow::anyhow!("the writer panicked"))??;
        Ok(())
    }

    #[test]
    fn a_minute_changed_during_its_upload_is_sent_again() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let mut spool = Spool::open(dir.path())?;
        spool.save(&[record(60, 1), record(120, 1)], false)?;
        let in_flight = spool.waiting(10)?;
        assert_eq!(in_flight.len(), 2);
        spool.save(&[record(120, 2)], true)?;
        spool.mark_sent(&in_flight, &[], 200)?;
        let again = spool.waiting(10)?;
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].record.presses, 2);
        spool.mark_sent(&again, &[], 200)?;
        assert_eq!(spool.waiting_count()?, 0);
        // Reopening finds the unfinished minute and today's records.
        drop(spool);
        let spool = Spool::open(dir.path())?;
        assert_eq!(spool.unfinished()?.iter().map(|r| r.minute).collect::<Vec<_>>(), vec![60]);
        assert_eq!(spool.since(0)?.len(), 2);
        Ok(())
    }

    #[test]
    fn the_oldest_waiting_minutes_go_first_when_the_spool_is_full() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let mut spool = Spool::open(dir.path())?;
        let many: Vec<ActivityMinute> = (1..=MAX_WAITING_MINUTES as i64 + 5).map(|m| record(m * 60, 1)).collect();
        assert_eq!(spool.save(&many, true)?, 5);
        assert_eq!(spool.waiting_count()?, MAX_WAITING_MINUTES);
        assert_eq!(spool.waiting(1)?[0].record.minute, 6 * 60);
        Ok(())
    }

    #[test]
    fn blocks_wait_until_accepted_and_the_pending_block_is_taken_once() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let mut spool = Spool::open(dir.path())?;
        let mut block = HourBlock::for_hour(3_600);
        block.add_key("KeyA", 250);
        spool.save_blocks(std::slice::from_ref(&block))?;
        let mut pending = HourBlock::for_hour(7_200);
        pending.add_key("KeyB", 12);
        spool.set_pending(Some(&pending))?;
        assert_eq!(spool.pending_presses()?, 12);
        assert_eq!(spool.waiting_blocks(10)?, vec![block.clone()]);
        spool.mark_sent(&[], &[block], 10_000)?;
        assert_eq!(spool.waiting_block_count()?, 0);
        assert_eq!(spool.take_pending()?, Some(pending));
        assert_eq!(spool.take_pending()?, None);
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn the_spool_is_private_and_keeps_no_journal_of_old_versions() -> anyhow::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir()?;
        let mut spool = Spool::open(dir.path())?;
        let mut pending = HourBlock::for_hour(0);
        pending.add_key("KeyZ", 3);
        spool.set_pending(Some(&pending))?;
        spool.set_pending(None)?;
        let db = dir.path().join(SPOOL_FILE);
        assert_eq!(std::fs::metadata(&db)?.permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::metadata(dir.path())?.permissions().mode() & 0o777, 0o700);
        assert!(!dir.path().join("spool.db-wal").exists());
        let journal = dir.path().join("spool.db-journal");
        assert!(!journal.exists() || std::fs::metadata(&journal)?.len() == 0, "the journal is emptied after commits");
        drop(spool);
        let bytes = std::fs::read(&db)?;
        assert!(!bytes.windows(4).any(|w| w == b"KeyZ"), "a deleted pending block leaves no trace in the file");
        Ok(())
    }

    #[test]
    fn a_first_release_spool_keeps_totals_and_folds_unsent_detail_into_blocks() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        {
            // The first release's table, with a sent and two unsent minutes holding detail.
            let db = Connection::open(dir.path().join(SPOOL_FILE))?;
            db.pragma_update(None, "journal_mode", "WAL")?;
            db.execute_batch(
                "CREATE TABLE minutes (minute INTEGER PRIMARY KEY, record TEXT NOT NULL, finished INTEGER NOT NULL,
                                       version INTEGER NOT NULL, sent_version INTEGER NOT NULL DEFAULT 0);",
            )?;
            let old = |minute: i64, key: &str, n: u32| {
                serde_json::json!({"minute": minute, "utc_offset": 0, "keys": {key: n}, "distance_px": 0, "active_seconds": 5})
                    .to_string()
            };
            db.execute("INSERT INTO minutes VALUES (60, ?1, 1, 1, 1)", [old(60, "KeyQ", 9)])?;
            db.execute("INSERT INTO minutes VALUES (3660, ?1, 1, 1, 0)", [old(3_660, "KeyW", 150)])?;
            db.execute("INSERT INTO minutes VALUES (7260, ?1, 1, 1, 0)", [old(7_260, "KeyE", 70)])?;
            db.execute("INSERT INTO minutes VALUES (10860, ?1, 1, 1, 0)", [old(10_860, "KeyR", 5)])?;
        }
        let mut spool = Spool::open(dir.path())?;
        let totals: Vec<(i64, u32)> = spool.since(0)?.iter().map(|r| (r.minute, r.presses)).collect();
        assert_eq!(totals, vec![(60, 9), (3_660, 150), (7_260, 70), (10_860, 5)]);
        assert!(spool.since(0)?.iter().all(|r| r.keys.is_empty()));
        let blocks = spool.waiting_blocks(10)?;
        assert_eq!(blocks.len(), 1);
        assert_eq!((blocks[0].start, blocks[0].end, blocks[0].presses()), (3_600, 10_800, 220));
        assert_eq!(spool.take_pending()?.map(|b| (b.start, b.presses())), Some((10_800, 5)));
        assert!(!dir.path().join("spool.db-wal").exists());
        drop(spool);
        let bytes = std::fs::read(dir.path().join(SPOOL_FILE))?;
        assert!(!bytes.windows(6).any(|w| w == b"\"KeyQ\""), "the sent minute's detail is gone from the file");
        Ok(())
    }
}
