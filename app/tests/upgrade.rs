//! Upgrading a database made by an earlier KeyTrack: its minute records survive the move to
//! compressed records, and the key detail the first release kept in every minute record is folded
//! into hour blocks by today's rule, with every total unchanged and no copy of the old detail left
//! in the file.

mod common;

use std::path::Path;

use common::*;
use http::StatusCode;
use keytrack_app::server::store;
use keytrack_app::server::store::activity::{HourRecords, RecordCodec};
use keytrack_wire::{ActivityBatch, ActivityMinute, Device, GridCount, HourBlock, ScreenActivity};
use serde_json::json;

/// The first migration of the compressed layout; the ones before it made the old layout.
const COMPACT_MIGRATION: &str = "20261125090000";
/// The migration that moved key detail into hour blocks.
const BLOCKS_MIGRATION: &str = "20261130090000";

/// A database with the schema of the migrations before `before`, and one user (id 1) with a
/// device (id 1).
async fn old_database(dir: &Path, before: &str) -> (std::path::PathBuf, sqlx::SqlitePool) {
    let old_migrations = dir.join("old-migrations");
    std::fs::create_dir(&old_migrations).expect("dir");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/sqlite");
    for entry in std::fs::read_dir(&source).expect("migrations") {
        let path = entry.expect("entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        if name.as_str() < before {
            std::fs::copy(&path, old_migrations.join(&name)).expect("copy");
        }
    }
    let data_dir = dir.join("data");
    std::fs::create_dir(&data_dir).expect("dir");
    let url = format!("sqlite://{}?mode=rwc", data_dir.join(store::sqlite::DATABASE_FILE).display());
    let old = sqlx::SqlitePool::connect(&url).await.expect("old database");
    sqlx::migrate::Migrator::new(old_migrations.as_path())
        .await
        .expect("old migrator")
        .run(&old)
        .await
        .expect("old schema");
    sqlx::query("INSERT INTO users (id, email, password_hash, timezone, created_at) VALUES (1, 'old@example.com', 'x', 'UTC', 0)")
        .execute(&old)
        .await
        .expect("user");
    sqlx::query("INSERT INTO devices (id, user_id, agent_device_id, name, first_seen, last_seen) VALUES (1, 1, 'laptop', 'Laptop', 0, 0)")
        .execute(&old)
        .await
        .expect("device");
    (data_dir, old)
}

/// A minute record as the first release stored it: key detail included.
fn first_release_minute(at: i64, keys: &[(&str, u32)]) -> ActivityMinute {
    ActivityMinute {
        minute: at,
        utc_offset: 60,
        keys: keys.iter().map(|(k, n)| (k.to_string(), *n)).collect(),
        active_seconds: 30,
        ..Default::default()
    }
}

async fn insert_minute(db: &sqlx::SqlitePool, record: &ActivityMinute, stored: Vec<u8>) {
    sqlx::query(
        "INSERT INTO activity_minutes (device_id, minute, user_id, utc_offset, total_keys, total_clicks, active_seconds, detail, received_at)
         VALUES (1, ?, 1, 60, ?, ?, 30, ?, 0)",
    )
    .bind(record.minute)
    .bind(record.total_presses() as i64)
    .bind(record.clicks.total() as i64)
    .bind(stored)
    .execute(db)
    .await
    .expect("minute");
}

#[tokio::test]
async fn minute_records_from_before_compression_survive_the_upgrade() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (data_dir, old) = old_database(dir.path(), COMPACT_MIGRATION).await;
    // What the earliest server stored for one upload: a minute as JSON text.
    let record = first_release_minute(MONDAY_9H, &[("KeyA", 5), ("Space", 2)]);
    insert_minute(&old, &record, serde_json::to_vec(&record).expect("json")).await;
    old.close().await;

    // The new server opens it: migrations run, detail is folded, rollups are built.
    let pool = store::sqlite::open(&data_dir).await.expect("upgrade");
    store::sqlite::upgrade::build_missing(&pool).await.expect("rollups");
    let token = keytrack_app::server::services::accounts::create_token(
        &keytrack_app::server::store::Database::Sqlite(pool.clone()),
        1,
        "agent",
    )
    .await
    .expect("token")
    .1;
    let s = server_on(pool.clone(), dir).await;
    let before = stats(&s.app, &token, "2025-03-10", "2025-03-10").await;
    assert_eq!((before["total_keys"].as_u64(), before["keys"]["KeyA"].as_u64()), (Some(7), Some(5)));

    // The agent re-sends the minute's totals: it replaces the old row (read back to subtract it).
    let totals = minute(MONDAY_9H, 7);
    let batch = ActivityBatch::new(Device { id: "laptop".into(), name: "Laptop".into() }, vec![totals], vec![]);
    let reply = post_batch(&s.app, &token, &batch).await;
    assert_eq!((reply.status, reply.body["replaced"].as_u64()), (StatusCode::OK, Some(1)), "{}", reply.body);
    assert_eq!(stats(&s.app, &token, "2025-03-10", "2025-03-10").await, before, "replaced, not doubled");
    let (hour, stored): (i64, Vec<u8>) =
        sqlx::query_as("SELECT hour, records FROM activity_hours").fetch_one(&pool).await.expect("row");
    let stored = HourRecords::decode(hour, &stored).expect("an hour row");
    assert_eq!(stored.records, vec![minute(MONDAY_9H, 7)], "now one record, in the hour's row");
    assert!(!legacy_table_exists(&pool).await, "the table of a row per minute is gone");
}

async fn legacy_table_exists(pool: &sqlx::SqlitePool) -> bool {
    let mut conn = pool.acquire().await.expect("conn");
    store::sqlite::upgrade::legacy_minutes_table_exists(&mut conn).await.expect("query")
}

#[tokio::test]
async fn first_release_key_detail_becomes_hour_blocks_and_every_total_stays() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (data_dir, old) = old_database(dir.path(), BLOCKS_MIGRATION).await;
    let mut nine = first_release_minute(MONDAY_9H, &[("KeyA", 150), ("Space", 30), ("ControlLeft", 5), ("KeyC", 5)]);
    nine.chords.insert("Ctrl+KeyC".into(), 5);
    nine.clicks.left = 4;
    nine.screen = Some(ScreenActivity {
        width: 1920,
        height: 1080,
        clicks: vec![GridCount(3, 4, 4)],
        moves: vec![],
        ..Default::default()
    });
    let half_past = first_release_minute(MONDAY_9H + 1_800, &[("KeyA", 20)]);
    // Eleven o'clock: too few presses for a block of their own; the fold keeps them in the last.
    let eleven = first_release_minute(MONDAY_9H + 2 * 3_600, &[("KeyB", 30)]);
    let codec = &mut RecordCodec::new().expect("codec");
    for record in [&nine, &half_past, &eleven] {
        insert_minute(&old, record, codec.encode(record).expect("encode")).await;
    }
    old.close().await;

    let pool = store::sqlite::open(&data_dir).await.expect("upgrade");
    store::sqlite::upgrade::build_missing(&pool).await.expect("fold and rollups");
    let token = keytrack_app::server::services::accounts::create_token(
        &keytrack_app::server::store::Database::Sqlite(pool.clone()),
        1,
        "agent",
    )
    .await
    .expect("token")
    .1;
    let s = server_on(pool.clone(), dir).await;
    let got = stats(&s.app, &token, "2025-03-10", "2025-03-10").await;
    assert_eq!(got["total_keys"], 240);
    assert_eq!(got["keys"], json!({"KeyA": 170, "Space": 30, "ControlLeft": 5, "KeyC": 5, "KeyB": 30}));
    assert_eq!(got["combos"], json!({"Ctrl+KeyC": 5}));
    assert_eq!((got["total_clicks"].as_u64(), got["active_minutes"].as_u64()), (Some(4), Some(3)));
    let mut by_hour = vec![0; 24];
    (by_hour[9], by_hour[11]) = (210, 30);
    assert_eq!(got["by_hour"], json!(by_hour));
    let from = chrono::NaiveDate::from_ymd_opt(2025, 3, 10).expect("date");
    let maps = keytrack_app::server::services::stats::range_heatmaps(&pool, 1, from, from).await.expect("heatmaps");
    assert_eq!(maps[0].clicks[4 * 64 + 3], 4);

    // The minute rows hold totals only; the detail is in two blocks: 9:00 (210 presses) and the
    // rest from 11:00.
    let hours: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT hour, records FROM activity_hours ORDER BY hour").fetch_all(&pool).await.expect("rows");
    let records: Vec<ActivityMinute> =
        hours.iter().flat_map(|(hour, stored)| HourRecords::decode(*hour, stored).expect("decode").records).collect();
    let presses: Vec<(i64, u32)> = records.iter().map(|r| (r.minute, r.presses)).collect();
    assert_eq!(presses, vec![(MONDAY_9H, 190), (MONDAY_9H + 1_800, 20), (MONDAY_9H + 7_200, 30)]);
    for record in &records {
        assert!(record.keys.is_empty() && record.chords.is_empty() && record.screen.is_none(), "{record:?}");
    }
    assert_eq!(hours.len(), 2, "a row for 9:00 and one for 11:00");
    assert!(!legacy_table_exists(&pool).await);
    let blocks: Vec<Vec<u8>> = sqlx::query_scalar("SELECT detail FROM activity_blocks ORDER BY starts_at")
        .fetch_all(&pool)
        .await
        .expect("rows");
    let blocks: Vec<HourBlock> = blocks.iter().map(|b| codec.decode(b).expect("block")).collect();
    let spans: Vec<(i64, i64, u64)> = blocks.iter().map(|b| (b.start, b.end, b.presses())).collect();
    assert_eq!(spans, vec![(MONDAY_9H, MONDAY_9H + 3_600, 210), (MONDAY_9H + 7_200, MONDAY_9H + 10_800, 30)]);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM minute_detail_to_fold").fetch_one(&pool).await.expect("n");
    assert_eq!(left, 0);

    // A second start folds nothing again.
    store::sqlite::upgrade::build_missing(&pool).await.expect("again");
    assert_eq!(stats(&s.app, &token, "2025-03-10", "2025-03-10").await, got);

    // No page of the file still holds the old detail in a form that reads back: every zstd frame
    // in the database and its log decodes to something without per-key counts.
    pool.close().await;
    for file in ["keytrack.db", "keytrack.db-wal"] {
        let bytes = std::fs::read(data_dir.join(file)).unwrap_or_default();
        for at in 0..bytes.len().saturating_sub(4) {
            let frame = &bytes[at..];
            if frame[..4] == [0x28, 0xb5, 0x2f, 0xfd]
                && let Ok(size) = zstd::zstd_safe::find_frame_compressed_size(frame)
                && let Ok(record) = codec.decode::<serde_json::Value>(&frame[..size.min(frame.len())])
            {
                let has_keys = record.get("keys").is_some();
                let is_block = record.get("start").is_some();
                assert!(!has_keys || is_block, "{file} holds a minute with key detail: {record}");
            }
        }
    }
}

/// The migration that keeps pointer detail per display.
const DISPLAYS_MIGRATION: &str = "20261203090000";

#[tokio::test]
async fn whole_screen_grids_kept_before_per_display_detail_read_as_one_display_and_keep_adding_up() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (data_dir, old) = old_database(dir.path(), DISPLAYS_MIGRATION).await;
    // A day's grid as the server before this migration kept it: per screen size only.
    let mut grid = keytrack_app::domain::rollup::ScreenGrid::default();
    grid.apply(&[GridCount(3, 4, 4)], &[GridCount(3, 4, 10)], 1);
    let (clicks, moves) = grid.to_blobs();
    sqlx::query("INSERT INTO activity_day_screens (user_id, day, width, height, clicks, moves) VALUES (1, '2025-03-10', 1920, 1080, ?, ?)")
        .bind(&clicks)
        .bind(&moves)
        .execute(&old)
        .await
        .expect("old grid");
    old.close().await;

    let pool = store::sqlite::open(&data_dir).await.expect("upgrade");
    let token = keytrack_app::server::services::accounts::create_token(
        &keytrack_app::server::store::Database::Sqlite(pool.clone()),
        1,
        "agent",
    )
    .await
    .expect("token")
    .1;
    let s = server_on(pool.clone(), dir).await;
    let heatmaps = || async {
        let reply =
            call(&s.app, "GET", "/api/v1/heatmaps?from=2025-03-10&to=2025-03-10", Some(&bearer(&token)), None).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.body
    };
    let before = heatmaps().await;
    assert_eq!(before.as_array().map(Vec::len), Some(1), "{before}");
    let map = &before[0];
    assert_eq!(
        (&map["width"], &map["height"], &map["x"], &map["y"], &map["desktop_width"], &map["desktop_height"]),
        (&json!(1920), &json!(1080), &json!(0), &json!(0), &json!(1920), &json!(1080))
    );
    assert_eq!((&map["clicks"][4 * 64 + 3], &map["moves"][4 * 64 + 3]), (&json!(4), &json!(10)));

    // A new agent's block on the same lone screen adds to the same grid.
    let mut hour = HourBlock::for_hour(MONDAY_9H);
    hour.add_key("KeyA", 200);
    hour.add_screen(keytrack_wire::DisplayPlace::whole(1920, 1080), &[GridCount(3, 4, 1)], &[]);
    let batch = ActivityBatch::new(Device { id: "laptop".into(), name: "Laptop".into() }, vec![], vec![hour]);
    assert_eq!(post_batch(&s.app, &token, &batch).await.status, StatusCode::OK);
    let after = heatmaps().await;
    assert_eq!(after.as_array().map(Vec::len), Some(1), "{after}");
    assert_eq!(after[0]["clicks"][4 * 64 + 3], 5);
}

/// The migration that keeps minute records a row per device and hour.
const HOURS_MIGRATION: &str = "20261207090000";

#[tokio::test]
async fn minute_records_move_into_hour_rows_whole_and_a_resend_still_replaces_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (data_dir, old) = old_database(dir.path(), HOURS_MIGRATION).await;
    sqlx::query("INSERT INTO devices (id, user_id, agent_device_id, name, first_seen, last_seen) VALUES (2, 1, 'desk', 'Desk', 0, 0)")
        .execute(&old)
        .await
        .expect("device");
    // More minutes than the move reads at once (5,000), from 8:30 on: hours cut by a chunk's end
    // and hours that begin half-way, on two devices.
    let codec = &mut RecordCodec::new().expect("codec");
    let laptop: Vec<ActivityMinute> = (0..5_030).map(|i| minute(MONDAY_9H - 1_800 + i * 60, 2)).collect();
    let mut tx = old.begin().await.expect("begin");
    for record in &laptop {
        sqlx::query(
            "INSERT INTO activity_minutes (device_id, minute, user_id, utc_offset, total_keys, total_clicks, active_seconds, detail, received_at)
             VALUES (1, ?, 1, 60, 2, 0, 30, ?, 0)",
        )
        .bind(record.minute)
        .bind(codec.encode(record).expect("encode"))
        .execute(&mut *tx)
        .await
        .expect("minute");
    }
    tx.commit().await.expect("commit");
    let desk = minute(MONDAY_9H, 3);
    sqlx::query(
        "INSERT INTO activity_minutes (device_id, minute, user_id, utc_offset, total_keys, total_clicks, active_seconds, detail, received_at)
         VALUES (2, ?, 1, 60, 3, 0, 30, ?, 0)",
    )
    .bind(desk.minute)
    .bind(codec.encode(&desk).expect("encode"))
    .execute(&old)
    .await
    .expect("desk minute");
    old.close().await;

    let pool = store::sqlite::open(&data_dir).await.expect("upgrade");
    store::sqlite::upgrade::build_missing(&pool).await.expect("move");
    assert!(!legacy_table_exists(&pool).await);
    let (rows, minutes, keys): (i64, i64, i64) =
        sqlx::query_as("SELECT count(*), sum(minutes), sum(total_keys) FROM activity_hours")
            .fetch_one(&pool)
            .await
            .expect("sums");
    // 5,030 minutes from 8:30 fill 85 hours of the laptop's (30 + 83 * 60 + 20 minutes), one of the desk's.
    assert_eq!((rows, minutes, keys), (86, 5_031, 5_030 * 2 + 3));
    let laptop_hours: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT hour, records FROM activity_hours WHERE device_id = 1 ORDER BY hour")
            .fetch_all(&pool)
            .await
            .expect("rows");
    let moved: Vec<ActivityMinute> = laptop_hours
        .iter()
        .flat_map(|(hour, stored)| HourRecords::decode(*hour, stored).expect("decode").records)
        .collect();
    assert_eq!(moved, laptop, "every record, once, in order");

    let token = keytrack_app::server::services::accounts::create_token(
        &keytrack_app::server::store::Database::Sqlite(pool.clone()),
        1,
        "agent",
    )
    .await
    .expect("token")
    .1;
    let s = server_on(pool.clone(), dir).await;
    let monday = stats(&s.app, &token, "2025-03-10", "2025-03-10").await;
    // Monday (UTC) from 8:30: 930 minutes of the laptop's; at 9:00 the desk's too (one active minute).
    assert_eq!((monday["total_keys"].as_u64(), monday["active_minutes"].as_u64()), (Some(930 * 2 + 3), Some(930)));
    let batch =
        ActivityBatch::new(Device { id: "laptop".into(), name: "Laptop".into() }, vec![minute(MONDAY_9H, 10)], vec![]);
    let reply = post_batch(&s.app, &token, &batch).await;
    assert_eq!((reply.status, reply.body["replaced"].as_u64()), (StatusCode::OK, Some(1)), "{}", reply.body);
    let again = stats(&s.app, &token, "2025-03-10", "2025-03-10").await;
    assert_eq!(again["total_keys"].as_u64(), Some(930 * 2 + 3 + 8));
}
