//! What a metrics scrape reads from the database: its size, the browser sessions that have not
//! expired and the accounts (`server::metrics::Census`). Each engine has its own way to know a
//! database's size and keeps sessions in its own table (`sessions`).

use super::engine::Database;
use crate::server::metrics::Census;

pub async fn census(database: &Database) -> Result<Census, sqlx::Error> {
    match database {
        Database::Sqlite(pool) => {
            let database_bytes: i64 =
                sqlx::query_scalar("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()")
                    .fetch_one(pool)
                    .await?;
            let sessions: i64 =
                sqlx::query_scalar("SELECT count(*) FROM tower_sessions WHERE expiry_date > unixepoch()")
                    .fetch_one(pool)
                    .await?;
            let accounts: i64 = sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(pool).await?;
            Ok(Census { database_bytes, sessions, accounts })
        }
        Database::Postgres(pool) => {
            let database_bytes: i64 =
                sqlx::query_scalar("SELECT pg_database_size(current_database())").fetch_one(pool).await?;
            let sessions: i64 =
                sqlx::query_scalar("SELECT count(*) FROM tower_sessions.session WHERE expiry_date > now()")
                    .fetch_one(pool)
                    .await?;
            let accounts: i64 = sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(pool).await?;
            Ok(Census { database_bytes, sessions, accounts })
        }
    }
}
