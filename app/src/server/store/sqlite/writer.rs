//! The upload path's writer: one thread that owns a SQLite connection and runs write jobs, several
//! in one transaction (group commit), each answered only once that transaction is committed.
//!
//! Why a thread of our own: through sqlx every statement is a round trip between a tokio worker and
//! sqlx's SQLite thread, and an upload takes about ten statements; profiles of the load test showed
//! more than half of the CPU switching threads. Here a job's statements run back to back on the
//! thread that owns the connection (prepared once, cached), and the uploads that arrive while one
//! transaction is written share the next one. Each job runs in a savepoint of its own, so a job
//! that fails is undone alone and the others of its transaction are kept.
//!
//! Writers of the sqlx pool (sign-ups, teams, profile changes) and this thread take turns through
//! the same queue (`db::write_turn_of`), so neither meets SQLite's busy handler.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::server::error::AppError;
use crate::server::metrics::metrics;

/// Jobs one transaction takes at most: enough to share the commit, few enough to answer early.
const MAX_JOBS_PER_TRANSACTION: usize = 64;
/// Jobs that may wait; an upload beyond them waits for a place (back-pressure, not memory).
const QUEUE: usize = 1_024;

/// How to tell a job's caller once the transaction's fate is known.
type Completion = Box<dyn FnOnce(Result<(), AppError>) + Send>;
/// A job, run with the transaction's connection (or with `None` when it cannot run at all): how
/// it went (its savepoint is kept or undone) and its completion.
type Job = Box<dyn FnOnce(Option<&Connection>) -> (Result<(), AppError>, Completion) + Send>;

/// A database file's upload writer.
pub struct Writer {
    jobs: SyncSender<Job>,
}

impl Writer {
    /// The writer of this database file: the one alive, or a new one (its thread ends when the
    /// last holder drops it; the server keeps one for as long as it runs).
    pub fn for_file(path: &Path) -> Result<Arc<Writer>, AppError> {
        static WRITERS: std::sync::LazyLock<Mutex<std::collections::HashMap<PathBuf, Weak<Writer>>>> =
            std::sync::LazyLock::new(Default::default);
        let mut writers = WRITERS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        writers.retain(|_, writer| writer.strong_count() > 0);
        let key = super::file_key(path);
        if let Some(writer) = writers.get(&key).and_then(Weak::upgrade) {
            return Ok(writer);
        }
        let connection = open(path)?;
        let (jobs, queue) = mpsc::sync_channel(QUEUE);
        let turn = super::write_turn_of(path);
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(connection, &queue, &turn))
            .map_err(AppError::internal)?;
        let writer = Arc::new(Writer { jobs });
        writers.insert(key, Arc::downgrade(&writer));
        Ok(writer)
    }

    /// Runs `job` in a transaction of the writer thread; its result arrives once the transaction
    /// is committed (an error of the job undoes its own changes only).
    pub async fn write<T: Send + 'static>(
        &self,
        job: impl FnOnce(&Connection) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |connection| {
            let result = connection.map(job);
            let went = match &result {
                Some(Err(error)) => Err(error.clone()),
                _ => Ok(()),
            };
            let completion: Completion = Box::new(move |committed| {
                let outcome = match (committed, result) {
                    (Ok(()), Some(result)) => result,
                    (Err(error), Some(Ok(_)) | None) => Err(error),
                    (Err(_), Some(Err(error))) => Err(error),
                    (Ok(()), None) => Err(AppError::internal("a write job was not run")),
                };
                let _ = answer.send(outcome);
            });
            (went, completion)
        });
        // Counted before it is sent, so the thread never takes a job the gauge has not seen.
        let queue = &metrics().writer_queue;
        queue.inc();
        match self.jobs.try_send(job) {
            Ok(()) => {}
            // The queue is full: wait for a place on a blocking thread, not on the async workers.
            Err(mpsc::TrySendError::Full(job)) => {
                let jobs = self.jobs.clone();
                let sent = tokio::task::spawn_blocking(move || jobs.send(job)).await;
                if !matches!(sent, Ok(Ok(()))) {
                    queue.dec();
                }
                sent.map_err(AppError::internal)?.map_err(|_| AppError::internal("the database writer has stopped"))?;
            }
            Err(mpsc::TrySendError::Disconnected(_)) => {
                queue.dec();
                return Err(AppError::internal("the database writer has stopped"));
            }
        }
        answered.await.map_err(|_| AppError::internal("the database writer dropped a job"))?
    }
}

fn open(path: &Path) -> Result<Connection, AppError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    // A database that cannot be opened for writing is a read-only or vanished data dir.
    let connection = Connection::open_with_flags(path, flags).map_err(|_| {
        AppError::StorageUnavailable(
            "The server cannot open its database for writing, so nothing was stored. Send it again later (the agent keeps it until the server accepts it).",
        )
    })?;
    connection.busy_timeout(Duration::from_secs(10))?;
    // The pool's settings (sqlite::open): WAL (set on the file already), NORMAL, foreign keys.
    connection.pragma_update(None, "synchronous", "NORMAL")?;
    connection.pragma_update(None, "foreign_keys", "ON")?;
    connection.set_prepared_statement_cache_capacity(64);
    Ok(connection)
}

/// The writer thread: takes the jobs waiting (at least one), runs them in one transaction and
/// answers them after its commit; until every sender is gone.
fn run(mut connection: Connection, queue: &Receiver<Job>, turn: &Arc<tokio::sync::Mutex<()>>) {
    while let Ok(first) = queue.recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_JOBS_PER_TRANSACTION {
            match queue.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let counted = metrics();
        counted.writer_queue.dec_by(i64::try_from(jobs.len()).unwrap_or(i64::MAX));
        counted.writer_batch.observe(jobs.len() as f64);
        let turn = turn.blocking_lock();
        let (completions, committed) = transaction(&mut connection, jobs);
        drop(turn);
        for complete in completions {
            complete(committed.clone());
        }
    }
}

/// Runs the jobs in one transaction, each in a savepoint, and commits: the completions, and the
/// transaction's outcome.
fn transaction(connection: &mut Connection, jobs: Vec<Job>) -> (Vec<Completion>, Result<(), AppError>) {
    let tx = match connection.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(error) => {
            let completions = jobs.into_iter().map(|job| job(None).1).collect();
            return (completions, Err(AppError::from(error)));
        }
    };
    let mut completions = Vec::with_capacity(jobs.len());
    // A full or failing disk can take the whole transaction down with one job: then that is
    // everyone's answer.
    let mut storage_failure = None;
    for job in jobs {
        if let Err(error) = tx.execute_batch("SAVEPOINT job") {
            let (_, completion) = job(None);
            let error = AppError::from(error);
            completions.push(Box::new(move |_| completion(Err(error))) as Completion);
            continue;
        }
        // A job that panics (a bug) is undone and its caller told so by its dropped answer; the
        // thread, and every other upload, carries on.
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(Some(&tx))));
        // A job that failed undoes its own changes, and only those.
        let undo = match &ran {
            Ok((Ok(()), _)) => "RELEASE job",
            Ok((Err(error), _)) => {
                if matches!(error, AppError::StorageUnavailable(_)) {
                    storage_failure = Some(error.clone());
                }
                "ROLLBACK TO job; RELEASE job"
            }
            Err(_) => {
                tracing::error!("a write job panicked; its changes are undone");
                "ROLLBACK TO job; RELEASE job"
            }
        };
        if let Err(error) = tx.execute_batch(undo) {
            tracing::warn!(%error, "cannot end a write job's savepoint");
        }
        if let Ok((_, completion)) = ran {
            completions.push(completion);
        }
    }
    let committed = tx.commit().map_err(|error| storage_failure.unwrap_or_else(|| AppError::from(error)));
    (completions, committed)
}
