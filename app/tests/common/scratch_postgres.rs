//! A PostgreSQL database of its own for one test, on the server the machine runs
//! (`KEYTRACK_TEST_POSTGRES`, by default `postgres://postgres@127.0.0.1:5432/test`, the one this
//! project's build machines run): created empty, dropped when the value is, even when the test
//! fails. Shared by the unit tests (`store::postgres::TestDatabase`) and the integration tests
//! (`common::server`), which include this file.

use sqlx::Connection;

pub struct ScratchDatabase {
    /// Where the new database is.
    pub url: String,
    admin_url: String,
    name: String,
}

impl ScratchDatabase {
    pub async fn create() -> ScratchDatabase {
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
        ScratchDatabase { url: format!("{base}/{name}"), admin_url, name }
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop may run inside a test's runtime, which cannot be blocked on: a thread of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(async move {
                if let Ok(mut admin) = sqlx::PgConnection::connect(&admin_url).await {
                    let _ =
                        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await;
                }
            });
        });
        let _ = dropped.join();
    }
}
