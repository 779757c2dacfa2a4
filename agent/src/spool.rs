//! The spool: minute records waiting on disk (SQLite in the agent's data dir) until the server has
//! them. Unfinished minutes are saved too, so a crash loses at most one flush interval, and an
//! outage of days loses nothing: records leave the spool only once the server accepted them.
//!
//! Each saved record gets a new version; the uploader marks the version it sent, so a minute that
//! changed while its upload was in flight is sent again (the server's merge rule replaces it).

use std::path::Path;

use keytrack_wire::ActivityMinute;
use rusqlite::{Connection, OptionalExtension, params};

/// At most this many minutes wait for upload (about 70 days of continuous use); past it the
/// oldest waiting minutes are dropped first, with a warning.
pub const MAX_WAITING_MINUTES: u64 = 100_000;

/// Uploaded minutes are kept this long, for `status` (today's counts), then deleted.
const KEEP_SENT_SECS: i64 = 2 * 24 * 3600;

pub struct Spool {
    db: Connection,
}

/// A record waiting for upload, with the version that is being sent.
#[derive(Debug, Clone)]
pub struct Waiting {
    pub version: i64,
    pub record: ActivityMinute,
}

impl Spool {
    pub fn open(dir: &Path) -> anyhow::Result<Spool> {
        std::fs::create_dir_all(dir)?;
        let db = Connection::open(dir.join("spool.db"))?;
        db.busy_timeout(std::time::Duration::from_secs(10))?;
        db.pragma_update(None, "journal_mode", "WAL")?;
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
             CREATE TABLE IF NOT EXISTS facts (name TEXT PRIMARY KEY, value TEXT NOT NULL);",
        )?;
        Ok(Spool { db })
    }

    /// Saves records (replacing earlier copies of the same minutes) in one transaction.
    /// Returns how many waiting minutes had to be dropped to stay within the bound.
    pub fn save(&mut self, records: &[ActivityMinute], finished: bool) -> anyhow::Result<u64> {
        if records.is_empty() {
            return Ok(0);
        }
        let tx = self.db.transaction()?;
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
        let waiting: u64 = tx
            .query_row("SELECT count(*) FROM minutes WHERE version > sent_version", [], |r| r.get::<_, i64>(0))?
            as u64;
        let dropped = waiting.saturating_sub(MAX_WAITING_MINUTES);
        if dropped > 0 {
            tx.execute(
                "DELETE FROM minutes WHERE minute IN (SELECT minute FROM minutes WHERE version > sent_version
                 ORDER BY minute LIMIT ?1)",
                [dropped as i64],
            )?;
        }
        tx.commit()?;
        Ok(dropped)
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

    pub fn waiting_count(&self) -> anyhow::Result<u64> {
        Ok(self.db.query_row("SELECT count(*) FROM minutes WHERE version > sent_version", [], |r| r.get::<_, i64>(0))?
            as u64)
    }

    /// Marks these versions as accepted by the server (a newer version of a minute stays waiting),
    /// and forgets finished minutes that were sent long ago.
    pub fn mark_sent(&mut self, sent: &[Waiting], now_secs: i64) -> anyhow::Result<()> {
        let tx = self.db.transaction()?;
        {
            let mut mark =
                tx.prepare_cached("UPDATE minutes SET sent_version = ?2 WHERE minute = ?1 AND sent_version < ?2")?;
            for item in sent {
                mark.execute(params![item.record.minute, item.version])?;
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(minute: i64, presses: u32) -> ActivityMinute {
        ActivityMinute {
            minute,
            keys: [("KeyA".to_string(), presses)].into(),
            active_seconds: 1,
            ..ActivityMinute::default()
        }
    }

    #[test]
    fn a_minute_changed_during_its_upload_is_sent_again() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let mut spool = Spool::open(dir.path())?;
        spool.save(&[record(60, 1), record(120, 1)], false)?;
        let in_flight = spool.waiting(10)?;
        assert_eq!(in_flight.len(), 2);
        spool.save(&[record(120, 2)], true)?;
        spool.mark_sent(&in_flight, 200)?;
        let again = spool.waiting(10)?;
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].record.keys["KeyA"], 2);
        spool.mark_sent(&again, 200)?;
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
}
