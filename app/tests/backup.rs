//! Online backups: `keytrack backup` (the real command, another process) copies a SQLite database
//! while the server stores a burst of uploads, and the copy restores to exactly what had been
//! acknowledged; scheduled backups keep the newest; PostgreSQL's documented `pg_dump` and
//! `pg_restore` round trip.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use common::*;
use http::StatusCode;
use keytrack_app::server::store;
use keytrack_wire::{ActivityBatch, Device};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_keytrack");
/// Uploads the burst may send at most (it ends soon after the backup), and how many at once.
const MAX_UPLOADS: usize = 20_000;
const AT_ONCE: usize = 8;

/// Upload `i` of the burst: a device of its own with one minute, so the devices in a copy say
/// which uploads it holds.
fn upload(i: usize) -> ActivityBatch {
    let at = MONDAY_9H + 60 * i64::try_from(i).expect("small");
    let presses = u32::try_from(i % 50).expect("small") + 1;
    ActivityBatch::new(Device { id: format!("desk-{i}"), name: format!("Desk {i}") }, vec![minute(at, presses)], vec![])
}

async fn devices_in(database: &store::Database) -> BTreeSet<String> {
    let store::Database::Sqlite(pool) = database else { panic!("SQLite") };
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT agent_device_id FROM devices").fetch_all(pool).await.expect("devices");
    ids.into_iter().collect()
}

fn run_backup(data_dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN).arg("--data-dir").arg(data_dir).arg("backup").args(args).output().expect("run keytrack backup")
}

/// The statistics of the weeks of the burst (at most 20,000 minutes from 2025-03-10), as the
/// dashboard asks for them.
async fn weeks(app: &axum::Router, token: &str) -> Value {
    stats(app, token, "2025-03-10", "2025-03-31").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_during_a_burst_of_uploads_restores_to_what_was_acknowledged() {
    if on_postgres() {
        return; // A SQLite data dir's backup; PostgreSQL's is pg_dump's (below).
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().to_path_buf();
    let pool = store::sqlite::open(&data_dir).await.expect("open");
    let server = server_on(pool, dir).await;
    let (_, token) = user_with_token(&server.database, "burst@example.com").await;

    // The burst: AT_ONCE agents upload in turn until the backup is done, then three more each
    // (sent after it ended, so never in it); each acknowledged upload is noted.
    let acknowledged = Arc::new(Mutex::new(BTreeSet::new()));
    let backup_done = Arc::new(AtomicBool::new(false));
    let mut agents = Vec::new();
    for agent in 0..AT_ONCE {
        let (app, token) = (server.app.clone(), token.clone());
        let (acknowledged, backup_done) = (Arc::clone(&acknowledged), Arc::clone(&backup_done));
        agents.push(tokio::spawn(async move {
            let mut sent_after = BTreeSet::new();
            for i in (agent..MAX_UPLOADS).step_by(AT_ONCE) {
                let after = backup_done.load(Ordering::SeqCst);
                if after && sent_after.len() == 3 {
                    break;
                }
                let reply = post_batch(&app, &token, &upload(i)).await;
                assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
                acknowledged.lock().expect("lock").insert(format!("desk-{i}"));
                if after {
                    sent_after.insert(format!("desk-{i}"));
                }
            }
            sent_after
        }));
    }
    // Once some of it is stored, the backup starts, with the rest still arriving.
    while acknowledged.lock().expect("lock").len() < 60 {
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    let before_backup = acknowledged.lock().expect("lock").clone();
    let copy_dir = tempfile::tempdir().expect("temp dir");
    let copy = copy_dir.path().join("keytrack-backup.db");
    let output = {
        let (data_dir, copy) = (data_dir.clone(), copy.clone());
        tokio::task::spawn_blocking(move || run_backup(&data_dir, &["--to", copy.to_str().expect("utf-8")]))
            .await
            .expect("backup")
    };
    backup_done.store(true, Ordering::SeqCst);
    assert!(output.status.success(), "backup: {}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("checked"), "{output:?}");
    let mut sent_after = BTreeSet::new();
    for agent in agents {
        sent_after.extend(agent.await.expect("agent"));
    }
    assert_eq!(sent_after.len(), 3 * AT_ONCE, "the burst went on after the backup");
    let all = acknowledged.lock().expect("lock").clone();

    // Restored as the README says: the backup is the data dir's keytrack.db.
    let restored_dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(&copy, restored_dir.path().join(store::sqlite::DATABASE_FILE)).expect("restore");
    let restored_pool = store::sqlite::open(restored_dir.path()).await.expect("the backup opens");
    let verdict: String =
        sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&restored_pool).await.expect("integrity check");
    assert_eq!(verdict, "ok");
    let restored = server_on(restored_pool, restored_dir).await;
    let held = devices_in(&restored.database).await;
    let missing: Vec<_> = before_backup.difference(&held).collect();
    assert!(missing.is_empty(), "uploads acknowledged before the backup began are in it: missing {missing:?}");
    assert!(held.is_subset(&all), "the backup holds only uploads that were sent");
    assert!(held.is_disjoint(&sent_after), "uploads sent after the backup ended are not in it");

    // Its statistics are those of exactly the uploads it holds, each whole: the same uploads sent
    // to a new server read the same (the token of the backup still works: it was made before).
    let reference = common::server().await;
    let (_, reference_token) = user_with_token(&reference.database, "burst@example.com").await;
    for i in 0..MAX_UPLOADS {
        if held.contains(&format!("desk-{i}")) {
            assert_eq!(post_batch(&reference.app, &reference_token, &upload(i)).await.status, StatusCode::OK);
        }
    }
    let restored_weeks = weeks(&restored.app, &token).await;
    assert_eq!(restored_weeks, weeks(&reference.app, &reference_token).await);
    let expected_keys: u64 = (0..MAX_UPLOADS)
        .filter(|i| held.contains(&format!("desk-{i}")))
        .map(|i| u64::from(upload(i).minutes[0].presses))
        .sum();
    assert_eq!(restored_weeks["total_keys"].as_u64(), Some(expected_keys), "{restored_weeks}");
    // And the server that took the burst has all of it.
    let all_keys: u64 = (0..MAX_UPLOADS)
        .filter(|i| all.contains(&format!("desk-{i}")))
        .map(|i| u64::from(upload(i).minutes[0].presses))
        .sum();
    assert_eq!(weeks(&server.app, &token).await["total_keys"].as_u64(), Some(all_keys));
}

#[tokio::test]
async fn a_backup_never_overwrites_and_scheduled_backups_keep_the_newest() {
    if on_postgres() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().join("data");
    let pool = store::sqlite::open(&data_dir).await.expect("open");
    let server = server_on(pool, tempfile::tempdir().expect("temp dir")).await;
    let (_, token) = user_with_token(&server.database, "kept@example.com").await;
    assert_eq!(post_batch(&server.app, &token, &upload(1)).await.status, StatusCode::OK);

    let taken = dir.path().join("taken.db");
    std::fs::write(&taken, b"something else").expect("write");
    let refused = run_backup(&data_dir, &["--to", taken.to_str().expect("utf-8")]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("exists already"), "{refused:?}");
    assert_eq!(std::fs::read(&taken).expect("read"), b"something else", "nothing was overwritten");
    let nowhere = run_backup(&dir.path().join("empty"), &["--to", "x.db"]);
    assert!(String::from_utf8_lossy(&nowhere.stderr).contains("holds no KeyTrack database"), "{nowhere:?}");

    // Every second, two kept: after a little over three seconds, the newest two of four.
    let folder = dir.path().join("backups");
    let mut scheduled = Command::new(BIN)
        .arg("--data-dir")
        .arg(&data_dir)
        .args(["backup", "--every", "1s", "--keep", "2", "--to"])
        .arg(&folder)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start scheduled backups");
    let names = || -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&folder)
            .map(|entries| {
                entries.filter_map(Result::ok).map(|e| e.file_name().to_string_lossy().into_owned()).collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    };
    let started = std::time::Instant::now();
    let mut made = 0;
    let mut stderr = String::new();
    while made < 4 && started.elapsed() < std::time::Duration::from_secs(60) {
        std::thread::sleep(std::time::Duration::from_millis(100));
        made = names().len().max(made);
        if made >= 2 && started.elapsed() > std::time::Duration::from_millis(3_500) {
            break;
        }
    }
    let _ = Command::new("kill").arg("-TERM").arg(scheduled.id().to_string()).status();
    let status = scheduled.wait().expect("wait");
    if let Some(mut err) = scheduled.stderr.take() {
        use std::io::Read;
        let _ = err.read_to_string(&mut stderr);
    }
    assert!(status.success(), "SIGTERM ends the schedule cleanly: {status:?} {stderr}");
    let made_in_all = stderr.lines().filter(|line| line.starts_with("backup ")).count();
    let removed = stderr.lines().filter(|line| line.starts_with("removed the old backup")).count();
    assert!(made_in_all >= 3, "a backup every second: {stderr}");
    assert_eq!(removed, made_in_all - 2, "{stderr}");
    let kept: Vec<String> = names().into_iter().filter(|name| !name.starts_with('.')).collect();
    assert_eq!(kept.len(), 2, "{kept:?} {stderr}");
    for name in &kept {
        assert!(name.starts_with("keytrack-") && name.ends_with(".db"), "{name}");
        let connection = rusqlite::Connection::open(folder.join(name)).expect("open backup");
        let devices: i64 = connection.query_row("SELECT count(*) FROM devices", [], |row| row.get(0)).expect("count");
        assert_eq!(devices, 1, "{name} holds the upload");
    }
}

#[tokio::test]
async fn postgres_round_trips_through_pg_dump_and_pg_restore() {
    if on_postgres() {
        return; // Runs once, in the first run of the tests (it makes its own databases).
    }
    let source = ScratchDatabase::create().await;
    let pool = store::postgres::open(&source.url).await.expect("open");
    let server = server_on_database(store::Database::Postgres(pool)).await;
    let (_, token) = user_with_token(&server.database, "pg@example.com").await;
    for i in 0..20 {
        assert_eq!(post_batch(&server.app, &token, &upload(i)).await.status, StatusCode::OK);
    }
    let dump_dir = tempfile::tempdir().expect("temp dir");
    let dump = dump_dir.path().join("keytrack.dump");
    let dumped =
        Command::new("pg_dump").args(["-Fc", "--file"]).arg(&dump).arg(&source.url).output().expect("run pg_dump");
    assert!(dumped.status.success(), "pg_dump: {}", String::from_utf8_lossy(&dumped.stderr));
    let target = ScratchDatabase::create().await;
    let restored = Command::new("pg_restore")
        .args(["--no-owner", "--exit-on-error", "--dbname"])
        .arg(&target.url)
        .arg(&dump)
        .output()
        .expect("run pg_restore");
    assert!(restored.status.success(), "pg_restore: {}", String::from_utf8_lossy(&restored.stderr));
    let restored_pool = store::postgres::open(&target.url).await.expect("the restored database opens");
    let restored = server_on_database(store::Database::Postgres(restored_pool)).await;
    let expected = weeks(&server.app, &token).await;
    assert!(expected["total_keys"].as_u64().is_some_and(|keys| keys > 0), "{expected}");
    assert_eq!(weeks(&restored.app, &token).await, expected);
    // What /metrics reads of a PostgreSQL database, on the restored one.
    let census = store::census::census(&restored.database).await.expect("census");
    assert_eq!((census.accounts, census.sessions), (1, 0));
    assert!(census.database_bytes > 1_000_000, "{census:?}");
}
