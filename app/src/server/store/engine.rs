//! The seam between the services and the two database engines (issue 20).
//!
//! A service holds a [`Database`], SQLite (the embedded default) or PostgreSQL, and calls the
//! functions of `store`'s modules with it, with a connection or with a [`Transaction`]: each of
//! those functions takes anything that turns into a [`Db`] and runs its statement on whichever
//! engine that is. Where the engines spell a statement alike (sqlx numbers `$1` parameters on
//! SQLite too) the statement is written once; where they differ (conflict targets, casts, dates)
//! [`Db::pick`] chooses each engine's spelling beside the other, so that the two stay in step.
//! Paths whose whole shape differs (the upload writer, the range reads) keep a module per engine.

use sqlx::postgres::{PgConnection, PgPool};
use sqlx::sqlite::{SqliteConnection, SqlitePool};

use super::sqlite::{self, WriteTransaction};

/// The database the server runs on.
#[derive(Clone, Debug)]
pub enum Database {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Database {
    /// A transaction for a change of several statements. On SQLite it holds the write lock from
    /// its first statement ([`sqlite::begin_write`]); on PostgreSQL it is an ordinary transaction,
    /// and a change that reads before it writes takes the lock it needs itself.
    pub async fn begin_write(&self) -> Result<Transaction, sqlx::Error> {
        Ok(match self {
            Database::Sqlite(pool) => Transaction::Sqlite(sqlite::begin_write(pool).await?),
            Database::Postgres(pool) => Transaction::Postgres(pool.begin().await?),
        })
    }

    /// Closes every connection (at shutdown, after the last request).
    pub async fn close(&self) {
        match self {
            Database::Sqlite(pool) => pool.close().await,
            Database::Postgres(pool) => pool.close().await,
        }
    }
}

/// Whether the database answers (the health check).
pub async fn ping(database: &Database) -> Result<(), sqlx::Error> {
    on_engine!(Db::from(database), |e| sqlx::query("SELECT 1").execute(e).await.map(|_| ()))
}

/// Whether the database takes writes now: on SQLite, this process's write turn and the file's
/// write lock can be taken (begun and rolled back: nothing is written); on PostgreSQL, the server
/// is a primary, not a replica in recovery. `Ok(false)` when it does not.
pub async fn takes_writes(database: &Database) -> Result<bool, sqlx::Error> {
    match database {
        Database::Sqlite(pool) => {
            crate::server::store::sqlite::begin_write(pool).await?.rollback().await?;
            Ok(true)
        }
        Database::Postgres(pool) => {
            let replica: bool = sqlx::query_scalar("SELECT pg_is_in_recovery()").fetch_one(pool).await?;
            Ok(!replica)
        }
    }
}

/// A transaction on either engine; dropped without [`Transaction::commit`], it is rolled back.
pub enum Transaction {
    Sqlite(WriteTransaction),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Transaction {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Transaction::Sqlite(tx) => tx.commit().await,
            Transaction::Postgres(tx) => tx.commit().await,
        }
    }
}

/// Where a statement runs: a pool or a connection (one in a transaction, say) of either engine.
pub enum Db<'c> {
    SqlitePool(&'c SqlitePool),
    Sqlite(&'c mut SqliteConnection),
    PostgresPool(&'c PgPool),
    Postgres(&'c mut PgConnection),
}

impl Db<'_> {
    /// The same handle again, for one more statement of a function that runs several.
    pub fn reborrow(&mut self) -> Db<'_> {
        match self {
            Db::SqlitePool(pool) => Db::SqlitePool(pool),
            Db::Sqlite(conn) => Db::Sqlite(conn),
            Db::PostgresPool(pool) => Db::PostgresPool(pool),
            Db::Postgres(conn) => Db::Postgres(conn),
        }
    }

    /// The statement in this engine's spelling.
    pub fn pick(&self, sqlite: &'static str, postgres: &'static str) -> &'static str {
        match self {
            Db::SqlitePool(_) | Db::Sqlite(_) => sqlite,
            Db::PostgresPool(_) | Db::Postgres(_) => postgres,
        }
    }
}

impl<'c> From<&'c Database> for Db<'c> {
    fn from(database: &'c Database) -> Db<'c> {
        match database {
            Database::Sqlite(pool) => Db::SqlitePool(pool),
            Database::Postgres(pool) => Db::PostgresPool(pool),
        }
    }
}

impl<'c> From<&'c mut Transaction> for Db<'c> {
    fn from(tx: &'c mut Transaction) -> Db<'c> {
        match tx {
            Transaction::Sqlite(tx) => Db::Sqlite(&mut *tx),
            Transaction::Postgres(tx) => Db::Postgres(&mut *tx),
        }
    }
}

impl<'c> From<&'c mut WriteTransaction> for Db<'c> {
    fn from(tx: &'c mut WriteTransaction) -> Db<'c> {
        Db::Sqlite(tx)
    }
}

impl<'c> From<&'c SqlitePool> for Db<'c> {
    fn from(pool: &'c SqlitePool) -> Db<'c> {
        Db::SqlitePool(pool)
    }
}

impl<'c> From<&'c mut SqliteConnection> for Db<'c> {
    fn from(conn: &'c mut SqliteConnection) -> Db<'c> {
        Db::Sqlite(conn)
    }
}

impl<'c> From<&'c PgPool> for Db<'c> {
    fn from(pool: &'c PgPool) -> Db<'c> {
        Db::PostgresPool(pool)
    }
}

impl<'c> From<&'c mut PgConnection> for Db<'c> {
    fn from(conn: &'c mut PgConnection) -> Db<'c> {
        Db::Postgres(conn)
    }
}

/// Runs `$body` with `$executor` bound to the sqlx executor of whichever engine and handle `$db`
/// (a [`Db`]) is: the body is compiled once per engine, so one statement serves both.
macro_rules! on_engine {
    ($db:expr, |$executor:ident| $body:expr) => {
        match $db {
            $crate::server::store::engine::Db::SqlitePool($executor) => $body,
            $crate::server::store::engine::Db::Sqlite($executor) => $body,
            $crate::server::store::engine::Db::PostgresPool($executor) => $body,
            $crate::server::store::engine::Db::Postgres($executor) => $body,
        }
    };
}
pub(crate) use on_engine;
