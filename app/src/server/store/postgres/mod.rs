//! KeyTrack on PostgreSQL (15 or newer), for installations that outgrow one SQLite file (issue
//! 20). The schema is `migrations/postgres`. Most statements run on either engine through the
//! functions of `store::` (see `store::engine`); what lives here is PostgreSQL's own where a whole
//! path differs: the upload path's transaction (`uploads`), the copy from SQLite (`copy`), and
//! what several instances share besides the data (`shared`: attempts, notifications).

pub mod copy;
pub mod shared;
pub mod uploads;

use sqlx::postgres::{PgPool, PgPoolOptions};

/// Connects to `url` (`postgres://...`) and applies the migrations.
pub async fn open(url: &str) -> anyhow::Result<PgPool> {
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .connect(url)
        .await
        .map_err(|e| anyhow::anyhow!("cannot connect to the database {}: {e}", without_password(url)))?;
    sqlx::migrate!("../migrations/postgres")
        .run(&pool)
        .await
        .map_err(|e| anyhow::anyhow!("cannot migrate the database {}: {e}", without_password(url)))?;
    Ok(pool)
}

/// The URL as it may appear in a message or a log: without its password.
pub fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    match rest[..authority_end].rsplit_once('@') {
        Some((credentials, host)) => {
            let user = credentials.split_once(':').map_or(credentials, |(user, _)| user);
            format!("{scheme}://{user}@{host}{}", &rest[authority_end..])
        }
        None => url.to_string(),
    }
}

/// A migrated database of its own for one test (see `tests/common/scratch_postgres.rs`, which the
/// integration tests share): dropped when the value is, even when the test fails.
#[cfg(test)]
pub struct TestDatabase {
    pub pool: PgPool,
    // Declared last: dropped after the pool.
    _scratch: scratch::ScratchDatabase,
}

#[cfg(test)]
#[path = "../../../../tests/common/scratch_postgres.rs"]
mod scratch;

#[cfg(test)]
impl TestDatabase {
    pub async fn create() -> TestDatabase {
        let scratch = scratch::ScratchDatabase::create().await;
        let pool = open(&scratch.url).await.expect("open the test database");
        TestDatabase { pool, _scratch: scratch }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_url_in_a_message_keeps_everything_but_the_password() {
        assert_eq!(
            super::without_password("postgres://kt:s3cret@db:5432/kt?sslmode=require"),
            "postgres://kt@db:5432/kt?sslmode=require"
        );
        assert_eq!(super::without_password("postgres://kt@db/kt"), "postgres://kt@db/kt");
        assert_eq!(super::without_password("postgres:///kt"), "postgres:///kt");
    }
}
