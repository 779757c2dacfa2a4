//! SQLite, the embedded default: opening a data dir's database (migrated, or read-only on a
//! read-only file system), and this process's queue of writers. WAL mode: readers never wait for
//! the writer, and write transactions start with `BEGIN IMMEDIATE` so two writers queue on the
//! busy timeout instead of failing with "database is locked". Below it: the upload writer's thread
//! (`writer`), the readers of long reads (`reader`), an upload's statements (`uploads`), the
//! first releases' data brought up to date (`upgrade`) and online backups (`backup`).

pub mod backup;
pub mod reader;
pub mod upgrade;
pub mod uploads;
pub mod writer;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

/// The database file inside the data dir.
pub const DATABASE_FILE: &str = "keytrack.db";

/// SQLite's own memory in this process, all connections together (the pool's 8, the writer's and
/// the readers'): past it, SQLite gives back cached pages before it allocates more. Each
/// connection's page cache would otherwise grow to 2 MB, 26 MB in all, which is what kept the
/// server's memory high after a team's year was read (BENCHMARKS.md). The file's pages stay in
/// the operating system's cache, so a page read again costs a copy, not a disk read.
pub const SQLITE_MEMORY_LIMIT: i64 = 8 * 1024 * 1024;

/// Whether the data dir is on a file system that refuses writes (remounted read-only, a snapshot).
pub fn is_read_only_dir(data_dir: &Path) -> bool {
    let probe = data_dir.join(".keytrack-write-probe");
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            false
        }
        Err(e) => matches!(e.kind(), std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied),
    }
}

/// Opens an existing, migrated database without writing anything, not even SQLite's WAL index:
/// `immutable`, since nothing can change a file on a read-only file system.
pub async fn open_read_only(data_dir: &Path) -> anyhow::Result<SqlitePool> {
    let path = data_dir.join(DATABASE_FILE);
    if !path.exists() {
        anyhow::bail!("the data dir {} is read-only and holds no database", data_dir.display());
    }
    let options = SqliteConnectOptions::new().filename(&path).read_only(true).immutable(true).foreign_keys(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the database {} read-only: {e}", path.display()))?;
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
        .fetch_all(&pool)
        .await
        .map_err(|e| anyhow::anyhow!("cannot read the migrations of {}: {e}", path.display()))?;
    let migrator = sqlx::migrate!("../migrations/sqlite");
    if let Some(missing) = migrator.iter().find(|m| !applied.contains(&m.version)) {
        anyhow::bail!(
            "the database {} needs migration {} ({}) but its data dir is read-only",
            path.display(),
            missing.version,
            missing.description
        );
    }
    limit_sqlite_memory(&pool).await?;
    Ok(pool)
}

/// Opens (creating if needed) the database in `data_dir` and applies the migrations.
pub async fn open(data_dir: &Path) -> anyhow::Result<SqlitePool> {
    std::fs::create_dir_all(data_dir)
        .map_err(|e| anyhow::anyhow!("cannot create the data dir {}: {e}", data_dir.display()))?;
    let path = data_dir.join(DATABASE_FILE);
    let options = SqliteConnectOptions::from_str("sqlite:")?
        .filename(&path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // NORMAL is durable across a process crash in WAL mode; only power loss may undo the last commits.
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        // SQLite runs in this process: a "ping" before each use only costs a round trip to the
        // connection's thread, and a broken connection is caught by after_release instead.
        .test_before_acquire(false)
        .after_release(|conn, _| Box::pin(async move { Ok(left_no_transaction_open(conn).await) }))
        .connect_with(options)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the database {}: {e}", path.display()))?;
    sqlx::migrate!("../migrations/sqlite")
        .run(&pool)
        .await
        .map_err(|e| anyhow::anyhow!("cannot migrate the database {}: {e}", path.display()))?;
    limit_sqlite_memory(&pool).await?;
    Ok(pool)
}

/// Sets [`SQLITE_MEMORY_LIMIT`]: a process-wide setting, so any connection sets it for all.
async fn limit_sqlite_memory(pool: &SqlitePool) -> anyhow::Result<()> {
    sqlx::query(&format!("PRAGMA soft_heap_limit = {SQLITE_MEMORY_LIMIT}"))
        .execute(pool)
        .await
        .map_err(|e| anyhow::anyhow!("cannot limit SQLite's memory: {e}"))?;
    Ok(())
}

/// Whether a connection going back to the pool is out of any transaction, so that it can be
/// reused. When a write fails because the disk is full, SQLite rolls the transaction back by
/// itself; sqlx's own rollback then fails and sqlx goes on believing the transaction is open, so
/// every later `BEGIN` on that connection would fail: such a connection is closed instead (the
/// pool opens a fresh one). A dropped transaction's rollback is queued on the connection, so a
/// ping (which runs after it) settles the question before deciding.
async fn left_no_transaction_open(conn: &mut sqlx::SqliteConnection) -> bool {
    use sqlx::{Connection, TransactionManager};
    type Manager = <sqlx::Sqlite as sqlx::Database>::TransactionManager;
    if Manager::get_transaction_depth(conn) == 0 {
        return true;
    }
    let _ = conn.ping().await;
    let clean = Manager::get_transaction_depth(conn) == 0;
    if !clean {
        tracing::warn!("closed a database connection left in a transaction SQLite had already rolled back");
    }
    clean
}

/// A write transaction, and this process's turn to write to its database.
///
/// SQLite takes one writer at a time, and a writer that finds the lock taken waits in its busy
/// handler, which sleeps in growing steps (up to 100 ms) rather than waking when the lock frees:
/// with many uploads at once the lock then sits idle between them. So writers of this process
/// queue for their turn here, first come first served, and each `BEGIN IMMEDIATE` finds the lock
/// free (other processes, such as `keytrack user add`, still meet the busy timeout).
pub struct WriteTransaction {
    // Declared first, so dropped first: an unfinished transaction is rolled back before the turn
    // passes on.
    tx: sqlx::Transaction<'static, sqlx::Sqlite>,
    _turn: tokio::sync::OwnedMutexGuard<()>,
}

impl WriteTransaction {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl std::ops::Deref for WriteTransaction {
    type Target = sqlx::SqliteConnection;

    fn deref(&self) -> &sqlx::SqliteConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTransaction {
    fn deref_mut(&mut self) -> &mut sqlx::SqliteConnection {
        &mut self.tx
    }
}

/// The queue of writers (the pool's and the upload writer's) of a database file of this process.
pub(crate) fn write_turn_of(file: &Path) -> std::sync::Arc<tokio::sync::Mutex<()>> {
    let file = file_key(file);
    static TURNS: std::sync::LazyLock<
        std::sync::Mutex<std::collections::HashMap<std::path::PathBuf, std::sync::Arc<tokio::sync::Mutex<()>>>>,
    > = std::sync::LazyLock::new(Default::default);
    let mut turns = TURNS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    std::sync::Arc::clone(turns.entry(file).or_default())
}

/// One name per database file, however a caller spelled its path (relative, through a link), so
/// that the file's writers find each other.
pub(crate) fn file_key(file: &Path) -> std::path::PathBuf {
    std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf())
}

/// Starts a write transaction that holds the write lock from its first statement.
pub async fn begin_write(pool: &SqlitePool) -> Result<WriteTransaction, sqlx::Error> {
    let turn = write_turn_of(pool.connect_options().get_filename()).lock_owned().await;
    let tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    Ok(WriteTransaction { tx, _turn: turn })
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn sqlite_memory_is_limited_for_every_connection_of_the_process() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pool = super::open(dir.path()).await.expect("open");
        let limit: i64 = sqlx::query_scalar("PRAGMA soft_heap_limit").fetch_one(&pool).await.expect("pragma");
        assert_eq!(limit, super::SQLITE_MEMORY_LIMIT);
        // The writer's and the readers' rusqlite connections run the same SQLite: the limit is theirs too.
        let connection = rusqlite::Connection::open(dir.path().join(super::DATABASE_FILE)).expect("open");
        let seen: i64 = connection.query_row("PRAGMA soft_heap_limit", [], |row| row.get(0)).expect("pragma");
        assert_eq!(seen, super::SQLITE_MEMORY_LIMIT);
    }
}
