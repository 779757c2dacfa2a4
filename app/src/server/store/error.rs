//! The database's errors in the server's one error type: a disk that is full or read-only, or a
//! database server that does not answer, is `StorageUnavailable` (503, for the admin to fix);
//! anything else is a bug, `Internal`.

use crate::server::error::{AppError, READ_ONLY};

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        let unavailable = match &e {
            sqlx::Error::Database(db) => match db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                Some(postgres) => postgres_unavailable(postgres.code()),
                None => db.code().and_then(|c| c.parse().ok()).and_then(storage_unavailable),
            },
            // Only a database server is reached over a connection (SQLite runs in this process):
            // it is down, restarting or overloaded, which is the admin's to fix, not a bug.
            sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut => Some(DATABASE_NOT_ANSWERING),
            _ => None,
        };
        unavailable.map_or_else(|| AppError::Internal(format!("database: {e}")), AppError::StorageUnavailable)
    }
}

const DATABASE_NOT_ANSWERING: &str = "The server's database is not answering, so nothing was stored or read. Try again later (the agent keeps what it has until the server accepts it).";

/// Why PostgreSQL cannot do the work now, when it is not a bug: its SQLSTATE classes 08
/// (connection), 53 (insufficient resources: disk full, out of memory, too many connections) and
/// 57 (shut down by the admin), and 25006 (a read-only transaction: a replica or a server in
/// recovery).
fn postgres_unavailable(sqlstate: &str) -> Option<&'static str> {
    match sqlstate {
        "25006" => Some(READ_ONLY),
        "53100" => Some(
            "The server's disk is full, so nothing was stored. Send it again later (the agent keeps it until the server accepts it).",
        ),
        _ if sqlstate.starts_with("08") || sqlstate.starts_with("53") || sqlstate.starts_with("57") => {
            Some(DATABASE_NOT_ANSWERING)
        }
        _ => None,
    }
}

impl From<rusqlite::Error> for AppError {
    fn from(e: rusqlite::Error) -> Self {
        let code = match &e {
            rusqlite::Error::SqliteFailure(failure, _) => Some(failure.extended_code),
            _ => None,
        };
        code.and_then(storage_unavailable)
            .map_or_else(|| AppError::Internal(format!("database: {e}")), AppError::StorageUnavailable)
    }
}

/// Why the database cannot write, when it is the disk's doing rather than a bug: SQLite's primary
/// result codes (the low byte of the extended code) FULL, READONLY and IOERR.
fn storage_unavailable(code: i32) -> Option<&'static str> {
    const SQLITE_READONLY: i32 = 8;
    const SQLITE_IOERR: i32 = 10;
    const SQLITE_FULL: i32 = 13;
    const SQLITE_CANTOPEN: i32 = 14;
    match code & 0xff {
        SQLITE_FULL => Some(
            "The server's disk is full, so nothing was stored. Send it again later (the agent keeps it until the server accepts it).",
        ),
        SQLITE_READONLY => Some(READ_ONLY),
        SQLITE_CANTOPEN => Some(
            "The server cannot open its database for writing, so nothing was stored. Send it again later (the agent keeps it until the server accepts it).",
        ),
        SQLITE_IOERR => Some(
            "The server could not write to its disk, so nothing was stored. Send it again later (the agent keeps it until the server accepts it).",
        ),
        _ => None,
    }
}
