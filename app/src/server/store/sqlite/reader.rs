//! Reads that go through thousands of rows (a team's year: every member-day) run on a blocking
//! thread with a SQLite connection of their own, and read each row's blobs in place.
//!
//! Why not through sqlx: there each row is copied into an owned row on sqlx's SQLite thread and
//! handed to a tokio worker through a channel. For the 7,300 member-days of a 20-member team-year,
//! a profile showed the two threads waking each other (futex, a fifth of the time), allocating and
//! copying (another sixth), and SQLite spilling its sort by day to a temporary file, for a query
//! of about 110 ms. Here the rows of each member come in day order from the `(user_id, day)` index
//! and are merged by day in memory, so nothing is sorted, copied or handed over.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::server::error::AppError;

/// Idle connections kept for the next read (each holds SQLite's page cache of what it read).
const IDLE_CONNECTIONS: usize = 4;

/// A database file's read connections.
pub struct Reader {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Reader {
    /// The reader of this database file: the one alive, or a new one.
    pub fn for_file(path: &Path) -> Arc<Reader> {
        static READERS: std::sync::LazyLock<Mutex<std::collections::HashMap<PathBuf, Weak<Reader>>>> =
            std::sync::LazyLock::new(Default::default);
        let mut readers = READERS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        readers.retain(|_, reader| reader.strong_count() > 0);
        let key = super::file_key(path);
        if let Some(reader) = readers.get(&key).and_then(Weak::upgrade) {
            return reader;
        }
        let reader = Arc::new(Reader { path: path.to_path_buf(), idle: Mutex::new(Vec::new()) });
        readers.insert(key, Arc::downgrade(&reader));
        reader
    }

    /// The reader of the pool's database file.
    pub fn of_pool(pool: &sqlx::SqlitePool) -> Arc<Reader> {
        Reader::for_file(pool.connect_options().get_filename())
    }

    /// Runs `job` with a read connection on a blocking thread (in one read transaction, so that
    /// every statement of the job sees the same data).
    pub async fn read<T: Send + 'static>(
        self: &Arc<Self>,
        job: impl FnOnce(&Connection) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        let reader = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let connection = reader.connection()?;
            connection.execute_batch("BEGIN")?;
            let result = job(&connection);
            // A failed COMMIT of a read transaction leaves nothing to undo: the connection goes.
            if connection.execute_batch("COMMIT").is_ok() {
                let mut idle = reader.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                if idle.len() < IDLE_CONNECTIONS {
                    idle.push(connection);
                }
            }
            result
        })
        .await
        .map_err(AppError::internal)?
    }

    fn connection(&self) -> Result<Connection, AppError> {
        if let Some(connection) = self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner).pop() {
            return Ok(connection);
        }
        open(&self.path)
    }
}

/// A read-only connection; on a read-only data dir (where SQLite cannot make the WAL index) one
/// that treats the file as immutable, as the pool does there (`Store::open_for_serving`).
fn open(path: &Path) -> Result<Connection, AppError> {
    let read_only = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let usable = |connection: Connection| -> rusqlite::Result<Connection> {
        connection.busy_timeout(Duration::from_secs(10))?;
        connection.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))?;
        Ok(connection)
    };
    match Connection::open_with_flags(path, read_only).and_then(usable) {
        Ok(connection) => Ok(connection),
        Err(first) => {
            let uri = format!("file:{}?immutable=1", uri_path(path));
            Connection::open_with_flags(uri, read_only | OpenFlags::SQLITE_OPEN_URI)
                .and_then(usable)
                .map_err(|_| AppError::internal(format!("cannot open the database to read: {first}")))
        }
    }
}

/// A path as SQLite's `file:` URIs spell it: `%`, `?` and `#` (and anything not plain) escaped.
fn uri_path(path: &Path) -> String {
    path.to_string_lossy()
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_escaped_for_file_uris() {
        assert_eq!(uri_path(Path::new("/data/key track/a?b#c%d.db")), "/data/key%20track/a%3Fb%23c%25d.db");
    }
}
