//! Where uploads are written, chosen once per store: SQLite's upload writer (a thread that owns
//! the write connection and commits the uploads that arrive together as one transaction) or
//! PostgreSQL (a transaction per upload; one person's uploads queue on their lock, everyone
//! else's run alongside). Both merge and sum with the same code (`merge`).

use std::path::PathBuf;
use std::sync::Arc;

use keytrack_wire::IngestReceipt;
use sqlx::PgPool;

use super::engine::Database;
use super::merge::Upload;
use super::sqlite::writer::Writer;
use super::{postgres, sqlite};
use crate::server::error::AppError;

#[derive(Clone)]
pub enum Uploads {
    /// The writer of the database file, opened with the store so that its thread lives as long
    /// as the server; `None` when the file could not be opened for writing then (each write
    /// tries again, and its error says why nothing can be stored).
    Sqlite {
        file: PathBuf,
        writer: Option<Arc<Writer>>,
    },
    Postgres(PgPool),
}

impl Uploads {
    /// Where `database`'s uploads are written; on SQLite with a writer of its own.
    pub fn of(database: &Database) -> Uploads {
        match database {
            Database::Sqlite(pool) => {
                let file = pool.connect_options().get_filename().to_path_buf();
                let writer = Writer::for_file(&file).ok();
                Uploads::Sqlite { file, writer }
            }
            Database::Postgres(pool) => Uploads::Postgres(pool.clone()),
        }
    }

    /// Writes an upload (valid, prepared: [`Upload::prepare`]) with its day rollups, all or
    /// nothing, and answers once it is durable.
    pub async fn write(&self, upload: Upload) -> Result<IngestReceipt, AppError> {
        match self {
            Uploads::Sqlite { writer: Some(writer), .. } => {
                writer.write(move |conn| sqlite::uploads::store(conn, upload)).await
            }
            Uploads::Sqlite { file, writer: None } => {
                Writer::for_file(file)?.write(move |conn| sqlite::uploads::store(conn, upload)).await
            }
            Uploads::Postgres(pool) => postgres::uploads::store(pool, upload).await,
        }
    }
}
