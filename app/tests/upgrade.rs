//! Upgrading a database made by an earlier KeyTrack: its minute records, stored as plain JSON in
//! the old table, survive the move to compressed records and read, replace and roll up as before.

mod common;

use std::path::Path;

use common::*;
use http::StatusCode;
use keytrack_app::server::{db, rollups};
use keytrack_wire::{ActivityBatch, Device};

/// The first migration of the compressed layout; the ones before it made the old layout.
const COMPACT_MIGRATION: &str = "20261125090000";

#[tokio::test]
async fn minute_records_from_before_compression_survive_the_upgrade() {
    let dir = tempfile::tempdir().expect("temp dir");
    let old_migrations = dir.path().join("old-migrations");
    std::fs::create_dir(&old_migrations).expect("dir");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    for entry in std::fs::read_dir(&source).expect("migrations") {
        let path = entry.expect("entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        if name.as_str() < COMPACT_MIGRATION {
            std::fs::copy(&path, old_migrations.join(&name)).expect("copy");
        }
    }
    let data_dir = dir.path().join("data");
    std::fs::create_dir(&data_dir).expect("dir");
    let url = format!("sqlite://{}?mode=rwc", data_dir.join(db::DATABASE_FILE).display());
    let old = sqlx::SqlitePool::connect(&url).await.expect("old database");
    sqlx::migrate::Migrator::new(old_migrations.as_path())
        .await
        .expect("old migrator")
        .run(&old)
        .await
        .expect("old schema");
    // What the earlier server stored for one upload: a user, a device, a minute as JSON text.
    let record = minute(MONDAY_9H, &[("KeyA", 5), ("Space", 2)]);
    let json = serde_json::to_string(&record).expect("json");
    sqlx::query("INSERT INTO users (id, email, password_hash, timezone, created_at) VALUES (1, 'old@example.com', 'x', 'UTC', 0)")
        .execute(&old)
        .await
        .expect("user");
    sqlx::query("INSERT INTO devices (id, user_id, agent_device_id, name, first_seen, last_seen) VALUES (1, 1, 'laptop', 'Laptop', 0, 0)")
        .execute(&old)
        .await
        .expect("device");
    sqlx::query(
        "INSERT INTO activity_minutes (device_id, minute, user_id, utc_offset, total_keys, total_clicks, active_seconds, detail, received_at)
         VALUES (1, ?, 1, 60, 7, 0, 30, ?, 0)",
    )
    .bind(MONDAY_9H)
    .bind(&json)
    .execute(&old)
    .await
    .expect("minute");
    old.close().await;

    // The new server opens it: migrations run, rollups are built from the old rows.
    let pool = db::open(&data_dir).await.expect("upgrade");
    rollups::build_missing(&pool).await.expect("rollups");
    let token = keytrack_app::server::accounts::create_token(&pool, 1, "agent").await.expect("token");
    let s = server_on(pool.clone(), dir).await;
    let before = stats(&s.app, &token, "2025-03-10", "2025-03-10").await;
    assert_eq!((before["total_keys"].as_u64(), before["keys"]["KeyA"].as_u64()), (Some(7), Some(5)));

    // The agent re-sends the minute: it replaces the old JSON row (read back to subtract it).
    let batch = ActivityBatch { device: Device { id: "laptop".into(), name: "Laptop".into() }, minutes: vec![record] };
    let reply = post_batch(&s.app, &token, &batch).await;
    assert_eq!((reply.status, reply.body["replaced"].as_u64()), (StatusCode::OK, Some(1)), "{}", reply.body);
    assert_eq!(stats(&s.app, &token, "2025-03-10", "2025-03-10").await, before, "replaced, not doubled");
    let stored: Vec<u8> =
        sqlx::query_scalar("SELECT detail FROM activity_minutes").fetch_one(&pool).await.expect("row");
    assert_eq!(stored[..4], [0x28, 0xb5, 0x2f, 0xfd], "now stored compressed (a zstd frame)");
}
