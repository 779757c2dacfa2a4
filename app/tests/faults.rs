//! The real `keytrack serve` process under faults: killed with SIGKILL in the middle of ingest,
//! its disk full, its data dir read-only. Nothing the server accepted is lost, nothing is doubled
//! when agents send again, and a disk that cannot take writes gets a clear 503 while reading goes
//! on.
//!
//! The disk tests mount a small tmpfs and a read-only bind mount, which needs root (as in CI).
//! Elsewhere they say why they cannot run and pass, except under `CI=true`, where they must run.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{MONDAY_9H, ServerProcess, minute};
use keytrack_app::server::services::accounts;
use keytrack_app::server::services::ingest;
use keytrack_app::server::store;
use keytrack_wire::{ActivityBatch, Device};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_keytrack");

/// A user and their token in a new database in `data_dir` (closed again before a server opens it).
async fn user_with_token(data_dir: &Path) -> String {
    let pool = store::sqlite::open(data_dir).await.expect("open");
    let id = accounts::sign_up(
        &keytrack_app::server::store::Database::Sqlite(pool.clone()),
        "faults@example.com",
        "correct horse battery",
        "UTC",
    )
    .await
    .expect("user");
    let token = accounts::create_token(&keytrack_app::server::store::Database::Sqlite(pool.clone()), id, "agent")
        .await
        .expect("token")
        .1;
    pool.close().await;
    token
}

/// `count` batches of 60 minutes for one device, `keys` presses in each minute.
fn batches(device: &str, first_minute: i64, count: usize, keys: u32) -> Vec<ActivityBatch> {
    (0..count)
        .map(|b| {
            let minutes = (0..60).map(|m| minute(first_minute + 60 * (60 * b as i64 + m), keys)).collect();
            ActivityBatch::new(Device { id: device.into(), name: device.into() }, minutes, vec![])
        })
        .collect()
}

struct Reply {
    status: u16,
    body: Value,
}

/// Sends a batch; `None` when the server did not answer (it was killed).
async fn send(client: &reqwest::Client, server: &str, token: &str, batch: &ActivityBatch) -> Option<Reply> {
    let reply = client.post(format!("{server}/api/v1/activity")).bearer_auth(token).json(batch).send().await.ok()?;
    let status = reply.status().as_u16();
    let body = reply.json().await.unwrap_or(Value::Null);
    Some(Reply { status, body })
}

async fn get(client: &reqwest::Client, url: &str, token: &str) -> Reply {
    let reply = client.get(url).bearer_auth(token).send().await.expect("request");
    let status = reply.status().as_u16();
    Reply { status, body: reply.json().await.unwrap_or(Value::Null) }
}

/// Key presses in the stats over every day of the test data.
async fn total_keys(client: &reqwest::Client, server: &str, token: &str) -> u64 {
    let reply = get(client, &format!("{server}/api/v1/stats?from=2025-03-01&to=2025-04-30"), token).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["total_keys"].as_u64().expect("total_keys")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_mid_ingest_the_server_keeps_what_it_accepted_and_retries_double_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let token = user_with_token(dir.path()).await;
    let log = dir.path().join("server.log");
    let server = ServerProcess::start(Path::new(BIN), dir.path(), &log).expect("server");
    let client = reqwest::Client::new();

    // Eight agents upload at once, each its own device and minutes; each remembers what the
    // server acknowledged, as the agent's spool does.
    const AGENTS: usize = 8;
    const BATCHES: usize = 100;
    let in_so_far = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let work: Vec<Vec<ActivityBatch>> =
        (0..AGENTS).map(|a| batches(&format!("agent-{a}"), MONDAY_9H, BATCHES, a as u32 + 1)).collect();
    let url = server.url.clone();
    let tasks: Vec<_> = work
        .iter()
        .cloned()
        .map(|agent| {
            let (client, url, token, in_so_far) = (client.clone(), url.clone(), token.clone(), in_so_far.clone());
            tokio::spawn(async move {
                let mut acknowledged = 0;
                for batch in &agent {
                    match send(&client, &url, &token, batch).await {
                        Some(reply) if reply.status == 200 => {
                            acknowledged += 1;
                            in_so_far.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                        _ => break,
                    }
                }
                acknowledged
            })
        })
        .collect();
    // Kill it once some batches are in and more are on the way (waiting for a count, not a time:
    // how long the whole ingest takes depends on the machine).
    while in_so_far.load(std::sync::atomic::Ordering::Relaxed) < 2 * AGENTS {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    server.kill_9();
    let mut acknowledged = Vec::new();
    for task in tasks {
        acknowledged.push(task.await.expect("agent"));
    }
    assert!(acknowledged.iter().sum::<usize>() > 0, "the server accepted something before it was killed");
    assert!(acknowledged.iter().any(|n| *n < BATCHES), "the kill came in the middle of ingest: {acknowledged:?}");

    // The database opens again, whole.
    let pool = store::sqlite::open(dir.path()).await.expect("the database opens after the kill");
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&pool).await.expect("check");
    assert_eq!(integrity, "ok");
    // Each batch is all there or not at all, and every acknowledged one is there.
    for (a, done) in acknowledged.iter().enumerate() {
        let stored: i64 = sqlx::query_scalar(
            "SELECT coalesce(sum(h.minutes), 0) FROM activity_hours h JOIN devices d ON d.id = h.device_id WHERE d.agent_device_id = ?",
        )
        .bind(format!("agent-{a}"))
        .fetch_one(&pool)
        .await
        .expect("count");
        let stored = stored as usize;
        assert_eq!(stored % 60, 0, "agent {a}: a batch was stored in part ({stored} minutes)");
        assert!(stored / 60 >= *done, "agent {a}: {done} batches acknowledged, {} stored", stored / 60);
        assert!(stored / 60 <= done + 1, "agent {a}: at most the batch in flight is stored unacknowledged");
    }
    pool.close().await;

    // Restarted, the agents send what was not acknowledged, and, to be sure, everything again.
    let server = ServerProcess::start(Path::new(BIN), dir.path(), &log).expect("restart");
    for (agent, done) in work.iter().zip(&acknowledged) {
        for batch in agent[*done..].iter().chain(agent) {
            let reply = send(&client, &server.url, &token, batch).await.expect("answer");
            assert_eq!(reply.status, 200, "{}", reply.body);
        }
    }
    let expected: u64 = (1..=AGENTS as u64).map(|keys| keys * 60 * BATCHES as u64).sum();
    assert_eq!(total_keys(&client, &server.url, &token).await, expected, "everything once, nothing doubled");
    // The day rollups the stats read agree with the minute records themselves.
    let pool = store::sqlite::open(dir.path()).await.expect("open");
    let in_minutes: i64 =
        sqlx::query_scalar("SELECT sum(total_keys) FROM activity_hours").fetch_one(&pool).await.expect("sum");
    assert_eq!(in_minutes as u64, expected);
    pool.close().await;
}

/// A mount made for a test, unmounted when dropped.
struct Mount(PathBuf);

impl Mount {
    /// Mounts with `args` at a new directory under `parent`; `None` (with the reason printed) when
    /// this machine does not let us, which fails the test under `CI=true`.
    fn new(parent: &Path, name: &str, args: &[&str]) -> Option<Mount> {
        let at = parent.join(name);
        std::fs::create_dir_all(&at).expect("mount point");
        let output = Command::new("mount").args(args).arg(&at).output();
        match output {
            Ok(out) if out.status.success() => Some(Mount(at)),
            other => {
                let why = match other {
                    Ok(out) => String::from_utf8_lossy(&out.stderr).trim().to_string(),
                    Err(e) => e.to_string(),
                };
                assert!(std::env::var("CI").as_deref() != Ok("true"), "CI must be able to mount: {why}");
                eprintln!("skipped: this test needs to mount a file system (as root): {why}");
                None
            }
        }
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let done = Command::new("umount").arg(&self.0).status().is_ok_and(|s| s.success());
        if !done {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
}

/// Writes until the file system says it is full.
fn fill(path: &Path) {
    use std::io::Write;
    let mut file = std::fs::File::create(path).expect("filler");
    let chunk = vec![0u8; 64 * 1024];
    while file.write_all(&chunk).is_ok() {}
    let _ = file.sync_all();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_disk_full_uploads_get_a_clear_503_and_reading_goes_on() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(disk) = Mount::new(dir.path(), "disk", &["-t", "tmpfs", "-o", "size=24m", "tmpfs"]) else { return };
    let data_dir = disk.path().join("data");
    let token = user_with_token(&data_dir).await;
    let log = dir.path().join("server.log");
    let mut server = ServerProcess::start(Path::new(BIN), &data_dir, &log).expect("server");
    let client = reqwest::Client::new();

    let work = batches("laptop", MONDAY_9H, 400, 2);
    assert_eq!(send(&client, &server.url, &token, &work[0]).await.expect("answer").status, 200);
    fill(&disk.path().join("filler"));

    // Uploads go on until the database needs room the disk does not have; then a clear refusal.
    let mut accepted = 1;
    let refused = loop {
        let reply = send(&client, &server.url, &token, &work[accepted]).await.expect("the server answers");
        if reply.status != 200 {
            break reply;
        }
        accepted += 1;
        assert!(accepted < work.len(), "the disk never filled");
    };
    assert_eq!(refused.status, 503, "{}", refused.body);
    assert_eq!(refused.body["code"], "storage_unavailable");
    assert!(refused.body["message"].as_str().is_some_and(|m| m.contains("disk is full")), "{}", refused.body);
    assert!(server.log_text().contains("disk is full"), "the admin sees why in the log");

    // Still up, still reading; the refused batch left nothing behind.
    assert!(server.is_running());
    assert_eq!(get(&client, &format!("{}/healthz", server.url), &token).await.status, 200);
    assert_eq!(total_keys(&client, &server.url, &token).await, 2 * 60 * accepted as u64);

    // Room again: the agent's retry goes through, and so does everything after it, on every one of
    // the server's database connections (none is left stuck in the failed transaction).
    std::fs::remove_file(disk.path().join("filler")).expect("free the disk");
    for batch in &work[accepted..accepted + 20] {
        let reply = send(&client, &server.url, &token, batch).await.expect("answer");
        assert_eq!(reply.status, 200, "{}\n{}", reply.body, server.log_text());
    }
    assert_eq!(total_keys(&client, &server.url, &token).await, 2 * 60 * (accepted as u64 + 20));
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_data_dir_serves_statistics_and_refuses_writes_clearly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().join("data");
    let token = user_with_token(&data_dir).await;
    {
        let pool = store::sqlite::open(&data_dir).await.expect("open");
        let user = store::users::by_email(&pool, "faults@example.com").await.expect("query").expect("user").id;
        let uploads = store::uploads::Uploads::of(&store::Database::Sqlite(pool.clone()));
        let batch = batches("laptop", MONDAY_9H, 1, 3).remove(0);
        ingest::store(&uploads, user, ingest::UploadSource::default(), batch, MONDAY_9H + 86_400).await.expect("store");
        drop(uploads);
        pool.close().await;
    }
    // The upload writer's thread closes its connection once the last holder lets go, a moment
    // later: the mount goes read-only only after the last connection closed and SQLite folded
    // its write-ahead log into the file (and removed it), as after a clean shutdown.
    let wal = data_dir.join(format!("{}-wal", store::sqlite::DATABASE_FILE));
    for _ in 0..200 {
        if !wal.exists() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(!wal.exists(), "every connection to the database closed");
    let source = data_dir.to_string_lossy().to_string();
    let Some(read_only) = Mount::new(dir.path(), "read-only", &["--bind", &source]) else { return };
    let remounted =
        Command::new("mount").args(["-o", "remount,bind,ro"]).arg(read_only.path()).status().is_ok_and(|s| s.success());
    assert!(remounted, "remount the bind mount read-only");
    assert!(std::fs::File::create(read_only.path().join("probe")).is_err(), "the mount is read-only");

    let log = dir.path().join("server.log");
    let server =
        ServerProcess::start(Path::new(BIN), read_only.path(), &log).expect("a read-only data dir still serves");
    assert!(server.log_text().contains("read-only"), "the log says why writes are refused: {}", server.log_text());
    let client = reqwest::Client::new();
    let health = get(&client, &format!("{}/healthz", server.url), &token).await;
    assert_eq!((health.status, health.body["storage"].as_str()), (200, Some("read-only")));
    // Alive, but not ready: an orchestrator keeps it running and sends no uploads its way.
    assert_eq!(get(&client, &format!("{}/healthz/live", server.url), &token).await.status, 200);
    let ready = get(&client, &format!("{}/healthz/ready", server.url), &token).await;
    assert_eq!((ready.status, ready.body["code"].as_str()), (503, Some("storage_unavailable")), "{}", ready.body);
    assert_eq!(total_keys(&client, &server.url, &token).await, 3 * 60);

    let refused =
        send(&client, &server.url, &token, &batches("laptop", MONDAY_9H + 3_600, 1, 1)[0]).await.expect("answer");
    assert_eq!((refused.status, refused.body["code"].as_str()), (503, Some("storage_unavailable")), "{}", refused.body);
    assert!(refused.body["message"].as_str().is_some_and(|m| m.contains("read-only")), "{}", refused.body);
    assert_eq!(total_keys(&client, &server.url, &token).await, 3 * 60);
    drop(server);
}
