//! Where browser sessions are kept: in the database the server runs on, so that on PostgreSQL a
//! session made by one server instance is known to every other (issue 20).

use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

use super::engine::Database;

/// The session store of the engine the server runs on (SQLite's table `tower_sessions`,
/// PostgreSQL's `tower_sessions.session`).
#[derive(Debug, Clone)]
pub enum Sessions {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl Sessions {
    pub fn of(database: &Database) -> Sessions {
        match database {
            Database::Sqlite(pool) => Sessions::Sqlite(SqliteStore::new(pool.clone())),
            Database::Postgres(pool) => Sessions::Postgres(PostgresStore::new(pool.clone())),
        }
    }

    /// Creates the sessions table if it is missing.
    pub async fn migrate(&self) -> Result<(), sqlx::Error> {
        match self {
            Sessions::Sqlite(store) => store.migrate().await,
            Sessions::Postgres(store) => store.migrate().await,
        }
    }
}

#[async_trait::async_trait]
impl SessionStore for Sessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Sessions::Sqlite(store) => store.create(record).await,
            Sessions::Postgres(store) => store.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Sessions::Sqlite(store) => store.save(record).await,
            Sessions::Postgres(store) => store.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Sessions::Sqlite(store) => store.load(id).await,
            Sessions::Postgres(store) => store.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Sessions::Sqlite(store) => store.delete(id).await,
            Sessions::Postgres(store) => store.delete(id).await,
        }
    }
}
