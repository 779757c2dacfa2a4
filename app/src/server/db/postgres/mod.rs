//! KeyTrack on PostgreSQL (15 or newer), for installations that outgrow one SQLite file (issue
//! 20). The schema is `migrations/postgres`. Most statements run on either engine through the
//! functions of `db::` (see `db::engine`); what lives here is PostgreSQL's own where a whole path
//! differs: the upload path's transaction (`uploads`) and the copy from SQLite (`copy`).

pub mod copy;
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

/// A database of its own for one test, on the PostgreSQL server the machine runs
/// (`KEYTRACK_TEST_POSTGRES`, by default `postgres://postgres@127.0.0.1:5432/test`, the one this
/// project's build machines run): created and migrated on [`TestDatabase::create`], dropped
/// when the value is, even when the test fails.
#[cfg(test)]
pub struct TestDatabase {
    pub pool: PgPool,
    admin_url: String,
    name: String,
}

#[cfg(test)]
impl TestDatabase {
    pub async fn create() -> TestDatabase {
        use sqlx::Connection;
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let admin_url = std::env::var("KEYTRACK_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let name =
            format!("keytrack_test_{}_{}", std::process::id(), NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("the tests need PostgreSQL at {admin_url} (KEYTRACK_TEST_POSTGRES): {e}"));
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await.expect("drop");
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.expect("create database");
        let _ = admin.close().await;
        let (base, _) = admin_url.rsplit_once('/').expect("a URL that names a database");
        let pool = open(&format!("{base}/{name}")).await.expect("open the test database");
        TestDatabase { pool, admin_url, name }
    }
}

#[cfg(test)]
impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs inside the test's runtime, which cannot be blocked on: a thread of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(async move {
                use sqlx::Connection;
                if let Ok(mut admin) = sqlx::PgConnection::connect(&admin_url).await {
                    let _ =
                        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await;
                }
            });
        });
        let _ = dropped.join();
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
