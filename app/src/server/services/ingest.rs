//! Storing uploads: one path for the agent's `POST /api/v1/activity`, the demo, imports and the
//! tests. Validate the whole batch and encode it (on the request's own task, so that one core
//! encodes the next upload while the database stores this one), write it as one job of the
//! store's upload writer (which commits it with the uploads that arrived meanwhile and answers
//! once it is durable), then tell the live view. All or nothing: an invalid record or a failed
//! write leaves the database as it was.

use keytrack_wire::live::Arrival;
use keytrack_wire::{ActivityBatch, IngestReceipt};

use super::live::Live;
use crate::server::error::AppError;
use crate::server::metrics::metrics;
use crate::server::store::merge::Upload;
pub use crate::server::store::merge::UploadSource;
use crate::server::store::uploads::Uploads;

/// Stores an agent's upload for the user and tells their watchers (every instance's).
pub async fn upload(
    uploads: &Uploads,
    live: &Live,
    user_id: i64,
    source: UploadSource,
    batch: ActivityBatch,
    now: i64,
) -> Result<IngestReceipt, AppError> {
    let device = if batch.device.name.is_empty() { batch.device.id.clone() } else { batch.device.name.clone() };
    let token_id = source.token_id;
    let receipt = store(uploads, user_id, source, batch, now).await?;
    let counted = metrics();
    counted.uploads.inc();
    counted.minutes_stored.inc_by(u64::from(receipt.accepted));
    counted.blocks_stored.inc_by(u64::from(receipt.blocks));
    live.arrived(user_id, Arrival { device, token_id, at: now, blocks: receipt.blocks });
    Ok(receipt)
}

/// Validates and stores a batch for the user, with the day rollups. Each minute record replaces
/// any earlier copy of the same device and minute, each block any earlier copy of the same device
/// and start, so sending a batch twice changes nothing. A first-release batch keeps its totals
/// only.
pub async fn store(
    uploads: &Uploads,
    user_id: i64,
    source: UploadSource,
    batch: ActivityBatch,
    now: i64,
) -> Result<IngestReceipt, AppError> {
    batch.validate(now)?;
    uploads.write(Upload::prepare(user_id, source, batch, now)?).await
}

/// Stores records restored from a KeyTrack export (`keytrack import`) as [`store`] stores an
/// upload, by the rules for restored records (`ActivityBatch::validate_restored`).
pub async fn restore(
    uploads: &Uploads,
    user_id: i64,
    batch: ActivityBatch,
    now: i64,
) -> Result<IngestReceipt, AppError> {
    batch.validate_restored(now)?;
    uploads.write(Upload::prepare(user_id, UploadSource::default(), batch, now)?).await
}

#[cfg(test)]
mod tests {
    use keytrack_wire::{ActivityBatch, Device};

    use super::*;
    use crate::server::store::postgres::TestDatabase;
    use crate::server::store::{self, Database};
    use keytrack_synth::{SyntheticPerson, uploads};

    /// 2026-11-20 18:00 UTC.
    const NOW: i64 = 1_795_197_600;

    /// Three days of two computers of one person in Berlin, as their agents upload them (two hours
    /// of records a batch), each batch twice: the copy sent again replaces the first.
    fn batches() -> Vec<ActivityBatch> {
        let mut all = Vec::new();
        for (seed, id) in [(7, "laptop"), (8, "desktop")] {
            let device = Device { id: id.into(), name: format!("{id} of Ada") };
            let days = SyntheticPerson::new("Europe/Berlin", 3, NOW, seed).expect("person");
            all.extend(uploads(&device, days, 120, usize::MAX));
        }
        let again: Vec<ActivityBatch> = all.iter().step_by(3).cloned().collect();
        all.extend(again);
        assert!(all.iter().any(|b| !b.blocks.is_empty()), "blocks of key detail among the uploads");
        all
    }

    type HourColumns = (String, i64, i64, i64, i64, i64, i64, i64, Vec<u8>);
    type BlockColumns = (String, i64, i64, i64, Vec<u8>);
    type DayColumns = (String, Vec<u8>, i64, i64, i64, i64, i64, Vec<u8>, Vec<u8>);
    type ScreenColumns = (String, i64, i64, i64, i64, i64, i64, Vec<u8>, Vec<u8>);

    /// The rows `sql` reads, each as `label` and its columns.
    async fn rows<DB, T>(pool: &sqlx::Pool<DB>, label: &str, sql: &str) -> Vec<String>
    where
        DB: sqlx::Database,
        T: for<'r> sqlx::FromRow<'r, DB::Row> + Send + Unpin + std::fmt::Debug,
        for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
        for<'c> &'c sqlx::Pool<DB>: sqlx::Executor<'c, Database = DB>,
    {
        let read: Vec<T> = sqlx::query_as::<DB, T>(sql).fetch_all(pool).await.expect(label);
        read.into_iter().map(|row| format!("{label} {row:?}")).collect()
    }

    /// Everything an upload writes, devices by their agent's id: `join` joins a table `t` to its
    /// device `d`, `day` reads a day as text.
    async fn stored<DB>(pool: &sqlx::Pool<DB>, join: &str, day: &str) -> Vec<String>
    where
        DB: sqlx::Database,
        for<'r> HourColumns: sqlx::FromRow<'r, DB::Row>,
        for<'r> BlockColumns: sqlx::FromRow<'r, DB::Row>,
        for<'r> DayColumns: sqlx::FromRow<'r, DB::Row>,
        for<'r> ScreenColumns: sqlx::FromRow<'r, DB::Row>,
        for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
        for<'c> &'c sqlx::Pool<DB>: sqlx::Executor<'c, Database = DB>,
    {
        let mut all = rows::<DB, HourColumns>(
            pool,
            "hour",
            &format!(
                "SELECT d.agent_device_id, t.hour, t.first_minute, t.last_minute, t.minutes, t.total_keys,
                        t.total_clicks, t.active_seconds, t.records
                 FROM activity_hours t {join} ORDER BY 1, 2"
            ),
        )
        .await;
        all.extend(
            rows::<DB, BlockColumns>(
                pool,
                "block",
                &format!(
                    "SELECT d.agent_device_id, t.starts_at, t.ends_at, t.presses, t.detail
                     FROM activity_blocks t {join} ORDER BY 1, 2"
                ),
            )
            .await,
        );
        all.extend(
            rows::<DB, DayColumns>(
                pool,
                "day",
                &format!(
                    "SELECT {day}, totals, total_keys, total_clicks, active_seconds, typed_keys, typing_ms, hours, chords
                     FROM activity_days ORDER BY day"
                ),
            )
            .await,
        );
        all.extend(
            rows::<DB, ScreenColumns>(
                pool,
                "screen",
                &format!(
                    "SELECT {day}, CAST(desktop_width AS BIGINT), CAST(desktop_height AS BIGINT), CAST(x AS BIGINT),
                            CAST(y AS BIGINT), CAST(width AS BIGINT), CAST(height AS BIGINT), clicks, moves
                     FROM activity_day_screens ORDER BY 1, 2, 3, 4, 5, 6, 7"
                ),
            )
            .await,
        );
        all
    }

    async fn stored_on_sqlite(pool: &sqlx::SqlitePool) -> Vec<String> {
        stored(pool, "JOIN devices d ON d.id = t.device_id", "day").await
    }

    async fn stored_on_postgres(pool: &sqlx::PgPool) -> Vec<String> {
        stored(pool, "JOIN devices d ON d.user_id = t.user_id AND d.id = t.device_id", "day::text").await
    }

    /// A SQLite database (in the directory returned with it) with one user, who uploaded the
    /// batches one after another, as the server stores them.
    async fn sqlite_with(batches: &[ActivityBatch]) -> (tempfile::TempDir, sqlx::SqlitePool, i64) {
        let dir = tempfile::tempdir().expect("tempdir");
        let pool = store::sqlite::open(dir.path()).await.expect("open");
        let user = store::users::insert(&pool, "ada@example.com", "x", "Ada", "Europe/Berlin", NOW)
            .await
            .expect("insert")
            .expect("a new user");
        let uploads = Uploads::of(&Database::Sqlite(pool.clone()));
        for batch in batches {
            store(&uploads, user, UploadSource::default(), batch.clone(), NOW).await.expect("stored on SQLite");
        }
        (dir, pool, user)
    }

    /// The rows of the batches stored one after another on SQLite.
    async fn on_sqlite(batches: &[ActivityBatch]) -> Vec<String> {
        let (_dir, pool, _) = sqlite_with(batches).await;
        stored_on_sqlite(&pool).await
    }

    async fn postgres_user(database: &TestDatabase) -> i64 {
        store::users::insert(&database.pool, "ada@example.com", "x", "Ada", "Europe/Berlin", NOW)
            .await
            .expect("insert")
            .expect("a new user")
    }

    #[tokio::test]
    async fn postgres_stores_uploads_exactly_as_sqlite_does() {
        let batches = batches();
        let database = TestDatabase::create().await;
        let user = postgres_user(&database).await;
        let mut receipts = Vec::new();
        for batch in &batches {
            let receipt =
                store(&Uploads::Postgres(database.pool.clone()), user, UploadSource::default(), batch.clone(), NOW)
                    .await
                    .expect("stored on PostgreSQL");
            receipts.push((receipt.accepted, receipt.replaced, receipt.blocks));
        }
        assert!(receipts.iter().any(|&(_, replaced, _)| replaced > 0), "copies sent again replaced records");
        let on_postgres = stored_on_postgres(&database.pool).await;
        assert!(on_postgres.iter().any(|row| row.starts_with("screen ")), "grids of displays among the rows");
        assert_eq!(on_postgres, on_sqlite(&batches).await, "the same rows, byte for byte, on both engines");
    }

    #[tokio::test]
    async fn statistics_read_from_postgres_are_those_read_from_sqlite() {
        use crate::domain::range::RangeQuery;
        use crate::server::services::stats;
        let batches = batches();
        let (_dir, sqlite, sqlite_user) = sqlite_with(&batches).await;
        let database = TestDatabase::create().await;
        let user = postgres_user(&database).await;
        for batch in &batches {
            store(&Uploads::Postgres(database.pool.clone()), user, UploadSource::default(), batch.clone(), NOW)
                .await
                .expect("stored");
        }
        let (sqlite, postgres) = (Database::Sqlite(sqlite), Database::Postgres(database.pool.clone()));
        // The three days and one on each side, with nothing in them.
        let to = chrono::DateTime::from_timestamp(NOW, 0).expect("now").date_naive() + chrono::Duration::days(1);
        let from = to - chrono::Duration::days(4);
        let totals = stats::range_totals(&sqlite, sqlite_user, from, to).await.expect("SQLite").finish();
        let same = stats::range_totals(&postgres, user, from, to).await.expect("PostgreSQL").finish();
        assert!(totals.total_keys > 0 && totals.daily.len() == 5, "a populated range: {} keys", totals.total_keys);
        assert_eq!(same, totals);
        // The dashboard's questions: all days (from the first with data), the previous period, the heatmaps.
        let queries = [
            RangeQuery { range: Some("all".into()), ..RangeQuery::default() },
            RangeQuery { from: Some(from.to_string()), to: Some(to.to_string()), ..RangeQuery::default() },
        ];
        for query in &queries {
            let stats = stats::stats_for_query(&sqlite, sqlite_user, query, NOW).await.expect("SQLite");
            let same = stats::stats_for_query(&postgres, user, query, NOW).await.expect("PostgreSQL");
            assert!(stats.previous.as_ref().is_some_and(|p| p.total_keys == 0), "{query:?}: {:?}", stats.previous);
            assert_eq!(same, stats, "{query:?}");
            let heatmaps = stats::heatmaps_for_query(&sqlite, sqlite_user, query, NOW).await.expect("SQLite");
            assert!(!heatmaps.is_empty(), "heatmaps of the displays used");
            assert_eq!(stats::heatmaps_for_query(&postgres, user, query, NOW).await.expect("PostgreSQL"), heatmaps);
        }
        let all = stats::stats_for_query(&sqlite, sqlite_user, &queries[0], NOW).await.expect("SQLite");
        assert_eq!(all.daily.len(), 3, "all days: the three with data, the last of them today");
        // The live view's last hour, up to the last minute sent.
        let last = batches.iter().flat_map(|b| &b.minutes).map(|m| m.minute).max().expect("minutes");
        let hour = stats::last_hour(&sqlite, sqlite_user, last + 60).await.expect("SQLite");
        assert!(hour.iter().any(|minute| minute.keys > 0), "keys in the last hour");
        assert_eq!(stats::last_hour(&postgres, user, last + 60).await.expect("PostgreSQL"), hour);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn uploads_racing_on_postgres_lose_nothing() {
        // Both computers' uploads and the copies sent again, all at once: the same hours of the
        // same devices, and the same days of the user, merged by concurrent transactions.
        let batches = batches();
        let database = TestDatabase::create().await;
        let user = postgres_user(&database).await;
        let uploads = batches.iter().cloned().map(|batch| {
            let pool = database.pool.clone();
            tokio::spawn(
                async move { store(&Uploads::Postgres(pool), user, UploadSource::default(), batch, NOW).await },
            )
        });
        for upload in futures::future::join_all(uploads).await {
            upload.expect("the upload's task").expect("stored");
        }
        assert_eq!(
            stored_on_postgres(&database.pool).await,
            on_sqlite(&batches).await,
            "what one writer at a time stores"
        );
    }

    #[tokio::test]
    async fn an_invalid_upload_on_postgres_writes_nothing() {
        let database = TestDatabase::create().await;
        let user = postgres_user(&database).await;
        let mut batch = batches().remove(0);
        batch.minutes[0].minute = NOW + 3_600;
        let refused =
            store(&Uploads::Postgres(database.pool.clone()), user, UploadSource::default(), batch.clone(), NOW).await;
        assert!(matches!(refused, Err(AppError::InvalidActivity(_))), "refused as invalid: {refused:?}");
        let unknown = store(
            &Uploads::Postgres(database.pool.clone()),
            user + 1,
            UploadSource::default(),
            batches().remove(0),
            NOW,
        )
        .await;
        assert!(matches!(unknown, Err(AppError::NotFound)), "an unknown user: {unknown:?}");
        assert_eq!(stored_on_postgres(&database.pool).await, Vec::<String>::new());
    }
}
