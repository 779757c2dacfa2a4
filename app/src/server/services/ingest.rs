//! Storing uploads. One code path for the agent's `POST /api/v1/activity`, `keytrack demo` and
//! the tests: validate and encode the whole batch (on the request's own task), then write it as
//! one job of the upload writer (`db::writer`), which commits it with the uploads that arrived
//! meanwhile and answers once it is durable.

use std::collections::HashMap;

use chrono::NaiveDate;
use keytrack_wire::{ActivityBatch, DisplayPlace, HourBlock, IngestReceipt};
use rusqlite::Connection;
use sqlx::PgPool;

use super::clock;
use super::db::Database;
use super::db::activity::{BlockRow, HourRecords, HourRow, RecordCodec};
use super::db::postgres::uploads as pg;
use super::db::uploads;
pub use super::db::uploads::UploadSource;
use super::db::writer::Writer;
use super::error::AppError;
use super::rollups::{DayRollups, DayRow, ScreenRow};

/// Where uploads are stored: SQLite's upload writer (a thread that owns the write connection) or
/// PostgreSQL (a transaction per upload; one person's uploads queue on their lock, everyone
/// else's run alongside). Both merge and sum with the same code.
#[derive(Clone)]
pub enum UploadStore {
    Sqlite(std::sync::Arc<Writer>),
    Postgres(PgPool),
}

impl UploadStore {
    /// A store for `database`; on SQLite with a writer of its own (the server keeps one for as
    /// long as it runs, `AppState::uploads`).
    pub fn of(database: &Database) -> Result<UploadStore, AppError> {
        Ok(match database {
            Database::Sqlite(pool) => UploadStore::Sqlite(Writer::for_file(pool.connect_options().get_filename())?),
            Database::Postgres(pool) => UploadStore::Postgres(pool.clone()),
        })
    }

    /// Validates and stores a batch for the user, with the day rollups. Each minute record
    /// replaces any earlier copy of the same device and minute, each block any earlier copy of
    /// the same device and start, so sending a batch twice changes nothing. A first-release batch
    /// keeps its totals only. All or nothing: an invalid record or a failed write leaves the
    /// database as it was.
    pub async fn store(
        &self,
        user_id: i64,
        source: UploadSource,
        batch: ActivityBatch,
        now: i64,
    ) -> Result<IngestReceipt, AppError> {
        batch.validate(now)?;
        self.store_valid(user_id, source, batch, now).await
    }

    /// Stores records restored from a KeyTrack export (`keytrack import`) as [`UploadStore::store`]
    /// stores an upload, by the rules for restored records (`ActivityBatch::validate_restored`).
    pub async fn restore(&self, user_id: i64, batch: ActivityBatch, now: i64) -> Result<IngestReceipt, AppError> {
        batch.validate_restored(now)?;
        self.store_valid(user_id, UploadSource::default(), batch, now).await
    }

    async fn store_valid(
        &self,
        user_id: i64,
        source: UploadSource,
        batch: ActivityBatch,
        now: i64,
    ) -> Result<IngestReceipt, AppError> {
        let upload = Upload::prepare(user_id, source, batch, now)?;
        match self {
            UploadStore::Sqlite(writer) => writer.write(move |conn| store(conn, upload)).await,
            UploadStore::Postgres(pool) => store_on_postgres(pool, upload).await,
        }
    }
}

/// An upload ready to store: valid, its blocks encoded and its minute records grouped by hour (the
/// work that needs no database, done on the request's own task so that one core encodes the next
/// upload while the database stores this one).
struct Upload {
    user_id: i64,
    source: UploadSource,
    /// The batch without its minute records, which are in `hours`.
    batch: ActivityBatch,
    hours: Vec<HourRecords>,
    block_bytes: Vec<Vec<u8>>,
    now: i64,
}

impl Upload {
    fn prepare(user_id: i64, source: UploadSource, mut batch: ActivityBatch, now: i64) -> Result<Upload, AppError> {
        batch.drop_legacy_detail();
        // Minute records are encoded by the hour later, merged with what the hour holds already.
        let block_bytes = RecordCodec::with(|codec| batch.blocks.iter().map(|block| codec.encode(block)).collect())
            .map_err(AppError::internal)?;
        let hours = HourRecords::group(std::mem::take(&mut batch.minutes));
        Ok(Upload { user_id, source, batch, hours, block_bytes, now })
    }

    fn hour_starts(&self) -> Vec<i64> {
        self.hours.iter().map(|h| h.hour).collect()
    }

    fn block_starts(&self) -> Vec<i64> {
        self.batch.blocks.iter().map(|b| b.start).collect()
    }
}

/// Stores an upload on PostgreSQL as SQLite's writer does (`store`): the same rule, the same
/// merge, the same rollups, in one transaction that first takes the user's lock, so that uploads
/// of one person run one after another (`db::postgres::uploads::lock_user`).
async fn store_on_postgres(pool: &PgPool, upload: Upload) -> Result<IngestReceipt, AppError> {
    let (user_id, now) = (upload.user_id, upload.now);
    let mut tx = pool.begin().await?;
    let conn = &mut *tx;
    pg::lock_user(conn, user_id).await?;
    let (timezone, day_start_hour, never_count) = pg::upload_fields(conn, user_id).await?.ok_or(AppError::NotFound)?;
    let device = &upload.batch.device;
    let device_id = pg::upsert_device(conn, user_id, &device.id, &device.name, &upload.source, now).await?;
    let stored = Stored {
        timezone,
        day_start_hour,
        never_count,
        device_id,
        hours: pg::stored_hours(conn, user_id, &upload.hour_starts()).await?,
        blocks: pg::stored_blocks(conn, user_id, device_id, &upload.block_starts()).await?,
    };
    let merging = Merging::new(upload, stored)?;
    let days = pg::stored_days(conn, user_id, &merging.need_days).await?;
    let mut screens = Vec::with_capacity(merging.need_screens.len());
    for (day, place) in &merging.need_screens {
        let stored = pg::stored_screen(conn, user_id, *day, place).await?;
        screens.push(((*day, *place), stored));
    }
    let merged = merging.finish(days, screens)?;
    pg::replace_hours(conn, merged.device_id, user_id, &merged.hour_rows(), now).await?;
    pg::replace_blocks(conn, merged.device_id, user_id, &merged.block_rows(), now).await?;
    super::db::days::save_rollups(&mut *conn, user_id, &merged.day_rows, &merged.screen_rows).await?;
    tx.commit().await?;
    Ok(merged.receipt)
}

fn decode<T: serde::de::DeserializeOwned>(stored: &[u8]) -> Result<T, AppError> {
    RecordCodec::with(|codec| codec.decode(stored)).map_err(AppError::internal)
}

/// What an upload reads before it merges: its user's clock and never-count list, its device, the
/// stored hours it falls in (every device's) and the stored copies of its blocks. A few statements
/// for the whole batch rather than a few a record.
struct Stored {
    timezone: String,
    day_start_hour: u8,
    never_count: String,
    device_id: i64,
    /// (device, hour, records as stored)
    hours: Vec<(i64, i64, Vec<u8>)>,
    /// This device's blocks with the upload's starts, encoded, by start.
    blocks: HashMap<i64, Vec<u8>>,
}

/// An upload with what it replaces, waiting for the stored rollups of the days it changes.
struct Merging {
    upload: Upload,
    days: DayRollups,
    device_id: i64,
    never_count: String,
    /// This device's stored hours, to merge into.
    own: HashMap<i64, HourRecords>,
    /// The other devices' active seconds, by minute.
    others: HashMap<i64, Vec<u32>>,
    old_blocks: HashMap<i64, HourBlock>,
    /// The days whose stored rollups the merge changes.
    need_days: Vec<NaiveDate>,
    /// The days' displays whose stored grids the merge changes.
    need_screens: Vec<(NaiveDate, DisplayPlace)>,
}

impl Merging {
    fn new(upload: Upload, stored: Stored) -> Result<Merging, AppError> {
        let days = DayRollups::new(clock::clock_from(&stored.timezone, stored.day_start_hour)?);
        let mut own: HashMap<i64, HourRecords> = HashMap::new();
        let mut others: HashMap<i64, Vec<u32>> = HashMap::new();
        for (device, hour, bytes) in stored.hours {
            let hour_records = HourRecords::decode(hour, &bytes).map_err(AppError::internal)?;
            if device == stored.device_id {
                own.insert(hour, hour_records);
            } else {
                for record in hour_records.records {
                    others.entry(record.minute).or_default().push(record.active_seconds);
                }
            }
        }
        let old_blocks: HashMap<i64, HourBlock> =
            stored.blocks.iter().map(|(start, bytes)| Ok((*start, decode(bytes)?))).collect::<Result<_, AppError>>()?;
        let minutes = upload.hours.iter().flat_map(|h| h.records.iter().map(|r| r.minute));
        let (need_days, need_screens) = days.needs(minutes, upload.batch.blocks.iter().chain(old_blocks.values()));
        Ok(Merging {
            upload,
            days,
            device_id: stored.device_id,
            never_count: stored.never_count,
            own,
            others,
            old_blocks,
            need_days,
            need_screens,
        })
    }

    /// Merges, given the stored rollups of [`Merging::need_days`] (by day, `YYYY-MM-DD`) and the
    /// grids of [`Merging::need_screens`] (clicks, moves; `None` where none is stored yet).
    fn finish(
        mut self,
        stored_days: HashMap<String, Vec<u8>>,
        stored_screens: StoredScreens,
    ) -> Result<Merged, AppError> {
        for day in std::mem::take(&mut self.need_days) {
            self.days.load_day(day, stored_days.get(&day.to_string()).map(Vec::as_slice))?;
        }
        for (key, stored) in stored_screens {
            self.days.load_screen(key, stored.as_ref().map(|(c, m)| (c.as_slice(), m.as_slice())));
        }
        let (mut accepted, mut replaced) = (0u32, 0u32);
        let mut hours = Vec::with_capacity(self.upload.hours.len());
        for new in std::mem::take(&mut self.upload.hours) {
            let mut hour =
                self.own.remove(&new.hour).unwrap_or_else(|| HourRecords { hour: new.hour, records: Vec::new() });
            for record in new.records {
                let others = self.others.get(&record.minute).map_or(&[][..], Vec::as_slice);
                self.days.replace(others, hour.get(record.minute), &record);
                accepted += 1;
                replaced += u32::from(hour.replace(record).is_some());
            }
            hours.push(hour);
        }
        for block in &self.upload.batch.blocks {
            self.days.replace_block(self.old_blocks.get(&block.start), block);
        }
        let hour_bytes =
            hours.iter().map(|hour| hour.encode().map_err(AppError::internal)).collect::<Result<_, _>>()?;
        let (day_rows, screen_rows) = self.days.into_rows()?;
        let receipt = IngestReceipt {
            accepted,
            replaced,
            blocks: u32::try_from(self.upload.batch.blocks.len()).unwrap_or(u32::MAX),
            never_count: Some(super::db::users::never_count_list(&self.never_count)),
        };
        Ok(Merged {
            device_id: self.device_id,
            hours,
            hour_bytes,
            blocks: std::mem::take(&mut self.upload.batch.blocks),
            block_bytes: self.upload.block_bytes,
            day_rows,
            screen_rows,
            receipt,
        })
    }
}

/// Stored grids of displays (clicks, moves) by day and display; `None` where none is stored yet.
type StoredScreens = Vec<((NaiveDate, DisplayPlace), Option<(Vec<u8>, Vec<u8>)>)>;

/// An upload merged: the rows to write, and what to answer once they are written.
struct Merged {
    device_id: i64,
    hours: Vec<HourRecords>,
    hour_bytes: Vec<Vec<u8>>,
    blocks: Vec<HourBlock>,
    block_bytes: Vec<Vec<u8>>,
    day_rows: Vec<DayRow>,
    screen_rows: Vec<ScreenRow>,
    receipt: IngestReceipt,
}

impl Merged {
    fn hour_rows(&self) -> Vec<HourRow<'_>> {
        self.hours.iter().zip(&self.hour_bytes).map(|(hour, encoded)| HourRow { hour, encoded }).collect()
    }

    fn block_rows(&self) -> Vec<BlockRow<'_>> {
        self.blocks.iter().zip(&self.block_bytes).map(|(block, encoded)| BlockRow { block, encoded }).collect()
    }
}

/// The upload's part of a write transaction on SQLite (on the writer thread).
fn store(conn: &Connection, upload: Upload) -> Result<IngestReceipt, AppError> {
    let (user_id, now) = (upload.user_id, upload.now);
    let (timezone, day_start_hour, never_count) = uploads::upload_fields(conn, user_id)?.ok_or(AppError::NotFound)?;
    let device = &upload.batch.device;
    let device_id = uploads::upsert_device(conn, user_id, &device.id, &device.name, &upload.source, now)?;
    let stored = Stored {
        timezone,
        day_start_hour,
        never_count,
        device_id,
        hours: uploads::stored_hours(conn, user_id, &upload.hour_starts())?,
        blocks: uploads::stored_blocks(conn, device_id, &upload.block_starts())?,
    };
    let merging = Merging::new(upload, stored)?;
    let days = uploads::stored_days(conn, user_id, &merging.need_days)?;
    let screens = merging
        .need_screens
        .iter()
        .map(|(day, place)| Ok(((*day, *place), uploads::stored_screen(conn, user_id, *day, place)?)))
        .collect::<Result<Vec<_>, AppError>>()?;
    let merged = merging.finish(days, screens)?;
    uploads::replace_hours(conn, merged.device_id, user_id, &merged.hour_rows(), now)?;
    uploads::replace_blocks(conn, merged.device_id, user_id, &merged.block_rows(), now)?;
    uploads::save_rollups(conn, user_id, &merged.day_rows, &merged.screen_rows)?;
    Ok(merged.receipt)
}

#[cfg(test)]
mod tests {
    use keytrack_wire::{ActivityBatch, Device};

    use super::*;
    use crate::server::db::postgres::TestDatabase;
    use crate::server::workload::{SyntheticPerson, uploads};

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
        let pool = crate::server::db::open(dir.path()).await.expect("open");
        let user = crate::server::db::users::insert(&pool, "ada@example.com", "x", "Ada", "Europe/Berlin", NOW)
            .await
            .expect("insert")
            .expect("a new user");
        let writer = Writer::for_file(&dir.path().join(crate::server::db::DATABASE_FILE)).expect("writer");
        for batch in batches {
            UploadStore::Sqlite(writer.clone())
                .store(user, UploadSource::default(), batch.clone(), NOW)
                .await
                .expect("stored on SQLite");
        }
        (dir, pool, user)
    }

    /// The rows of the batches stored one after another on SQLite.
    async fn on_sqlite(batches: &[ActivityBatch]) -> Vec<String> {
        let (_dir, pool, _) = sqlite_with(batches).await;
        stored_on_sqlite(&pool).await
    }

    async fn postgres_user(database: &TestDatabase) -> i64 {
        crate::server::db::users::insert(&database.pool, "ada@example.com", "x", "Ada", "Europe/Berlin", NOW)
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
            let receipt = UploadStore::Postgres(database.pool.clone())
                .store(user, UploadSource::default(), batch.clone(), NOW)
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
        use crate::server::db::Database;
        use crate::server::{rollups, stats};
        let batches = batches();
        let (_dir, sqlite, sqlite_user) = sqlite_with(&batches).await;
        let database = TestDatabase::create().await;
        let user = postgres_user(&database).await;
        for batch in &batches {
            UploadStore::Postgres(database.pool.clone())
                .store(user, UploadSource::default(), batch.clone(), NOW)
                .await
                .expect("stored");
        }
        let (sqlite, postgres) = (Database::Sqlite(sqlite), Database::Postgres(database.pool.clone()));
        // The three days and one on each side, with nothing in them.
        let to = chrono::DateTime::from_timestamp(NOW, 0).expect("now").date_naive() + chrono::Duration::days(1);
        let from = to - chrono::Duration::days(4);
        let totals = rollups::range_totals(&sqlite, sqlite_user, from, to).await.expect("SQLite").finish();
        let same = rollups::range_totals(&postgres, user, from, to).await.expect("PostgreSQL").finish();
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
                async move { UploadStore::Postgres(pool).store(user, UploadSource::default(), batch, NOW).await },
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
            UploadStore::Postgres(database.pool.clone()).store(user, UploadSource::default(), batch.clone(), NOW).await;
        assert!(matches!(refused, Err(AppError::InvalidActivity(_))), "refused as invalid: {refused:?}");
        let unknown = UploadStore::Postgres(database.pool.clone())
            .store(user + 1, UploadSource::default(), batches().remove(0), NOW)
            .await;
        assert!(matches!(unknown, Err(AppError::NotFound)), "an unknown user: {unknown:?}");
        assert_eq!(stored_on_postgres(&database.pool).await, Vec::<String>::new());
    }
}
