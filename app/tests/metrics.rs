//! `/metrics` as an operator runs it: the real server (`keytrack serve`) scraped by a real
//! Prometheus (Debian's `prometheus`, which `scripts/setup.sh` installs) on loopback, whose query
//! API then answers the upload counter; and who may scrape: the token, or an address of its own.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use keytrack_app::server::services::accounts;
use keytrack_app::server::store;
use keytrack_wire::{ActivityBatch, Device};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_keytrack");
const METRICS_TOKEN: &str = "scrape-token-0123456789abcdef";

/// A user and their token in a new database in `data_dir` (closed before the server opens it).
async fn token_in(data_dir: &Path) -> String {
    let pool = store::sqlite::open(data_dir).await.expect("open");
    let database = store::Database::Sqlite(pool.clone());
    let id = accounts::sign_up(&database, "ops@example.com", PASSWORD, "UTC").await.expect("user");
    let token = accounts::create_token(&database, id, "agent").await.expect("token").1;
    pool.close().await;
    token
}

/// A port free now on loopback (for the programs that cannot be told port 0).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("address").port()
}

/// Prometheus, stopped with the value.
struct Prometheus {
    child: Child,
    url: String,
    log: std::path::PathBuf,
}

impl Prometheus {
    /// Starts Prometheus and waits until it says it is ready. Its port is picked free beforehand
    /// (it cannot be told port 0), so another one when something took it meanwhile (the other
    /// test here starts servers at the same time); its log is in the panic when it will not start.
    async fn start(dir: &Path, target: &str, client: &reqwest::Client) -> Prometheus {
        let config = dir.join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: keytrack\n    \
                 authorization:\n      type: Bearer\n      credentials: {METRICS_TOKEN}\n    static_configs:\n      \
                 - targets: ['{target}']\n"
            ),
        )
        .expect("config");
        let log = dir.join("prometheus.log");
        for _ in 0..5 {
            let port = free_port();
            let child = Command::new("prometheus")
                .arg(format!("--config.file={}", config.display()))
                .arg(format!("--storage.tsdb.path={}", dir.join("tsdb").display()))
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).expect("log"))
                .spawn()
                .expect("the tests need Prometheus (Debian's prometheus package; scripts/setup.sh installs it)");
            let mut prometheus = Prometheus { child, url: format!("http://127.0.0.1:{port}"), log: log.clone() };
            // A loaded machine may take a while to open the database: up to two minutes.
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(120) {
                if let Ok(Some(_)) = prometheus.child.try_wait() {
                    break;
                }
                let ready = client.get(format!("{}/-/ready", prometheus.url)).send().await;
                if ready.is_ok_and(|reply| reply.status() == 200) {
                    return prometheus;
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            let said = prometheus.said();
            drop(prometheus);
            if !said.contains("address already in use") {
                panic!("Prometheus did not start:\n{said}");
            }
        }
        panic!("Prometheus found no free port in five tries:\n{}", std::fs::read_to_string(&log).unwrap_or_default());
    }

    /// What Prometheus wrote to its log (for a failure's message).
    fn said(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The value of an instant query's first series, once Prometheus has one.
    async fn query(&self, client: &reqwest::Client, query: &str) -> Option<f64> {
        // Percent-encoded by hand: every byte but letters, digits and `_`.
        let encoded: String =
            query
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b == b'_' { char::from(b).to_string() } else { format!("%{b:02X}") }
                })
                .collect();
        let reply = client.get(format!("{}/api/v1/query?query={encoded}", self.url)).send().await.ok()?;
        let body: Value = reply.json().await.ok()?;
        body["data"]["result"][0]["value"][1].as_str()?.parse().ok()
    }

    /// Waits (up to a minute) until `query` answers `expected`; what it answered last otherwise.
    async fn wait_for(&self, client: &reqwest::Client, query: &str, expected: f64) -> Option<f64> {
        let started = Instant::now();
        let mut last = None;
        while started.elapsed() < Duration::from_secs(60) {
            last = self.query(client, query).await;
            if last == Some(expected) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        last
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn batch(device: &str, minute_at: i64, presses: u32) -> ActivityBatch {
    ActivityBatch::new(Device { id: device.into(), name: device.into() }, vec![minute(minute_at, presses)], vec![])
}

#[tokio::test]
async fn a_real_prometheus_scrapes_the_upload_counter() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().join("data");
    let token = token_in(&data_dir).await;
    let server = ServerProcess::start_with(
        Path::new(BIN),
        &["--data-dir".as_ref(), data_dir.as_os_str(), "--metrics-token".as_ref(), METRICS_TOKEN.as_ref()],
        &dir.path().join("server.log"),
    )
    .expect("server");
    let client = reqwest::Client::new();
    // Three uploads of two minutes in all, and one refused.
    for (i, presses) in [10, 20, 30].into_iter().enumerate() {
        let at = MONDAY_9H + 60 * i64::try_from(i % 2).expect("small");
        let reply = client
            .post(format!("{}/api/v1/activity", server.url))
            .bearer_auth(&token)
            .json(&batch("laptop", at, presses))
            .send()
            .await
            .expect("upload");
        assert_eq!(reply.status(), 200);
    }
    let refused = client
        .post(format!("{}/api/v1/activity", server.url))
        .bearer_auth(&token)
        .json(&batch("laptop", MONDAY_9H, 70_000))
        .send()
        .await
        .expect("upload");
    assert_eq!(refused.status(), 422);

    // Who may scrape: the token, no one else.
    let metrics = format!("{}/metrics", server.url);
    assert_eq!(client.get(&metrics).send().await.expect("scrape").status(), 401);
    assert_eq!(client.get(&metrics).bearer_auth(&token).send().await.expect("scrape").status(), 401);
    let text = client.get(&metrics).bearer_auth(METRICS_TOKEN).send().await.expect("scrape");
    assert_eq!(text.status(), 200);
    assert!(text.headers()["content-type"].to_str().is_ok_and(|t| t.starts_with("application/openmetrics-text")));
    let text = text.text().await.expect("text");
    assert!(!text.contains(&token) && !text.contains("ops@example.com"), "metrics hold counts only");

    let prometheus = Prometheus::start(dir.path(), server.url.trim_start_matches("http://"), &client).await;
    let up = prometheus.wait_for(&client, "up{job=\"keytrack\"}", 1.0).await;
    assert_eq!(up, Some(1.0), "the scrape works; Prometheus said:\n{}", prometheus.said());
    assert_eq!(prometheus.wait_for(&client, "keytrack_uploads_total", 3.0).await, Some(3.0));
    assert_eq!(prometheus.wait_for(&client, "keytrack_minutes_stored_total", 3.0).await, Some(3.0));
    let refusals = "keytrack_refusals_total{code=\"invalid_activity\"}";
    assert_eq!(prometheus.wait_for(&client, refusals, 1.0).await, Some(1.0));
    let uploads_timed = "keytrack_request_duration_seconds_count{class=\"upload\"}";
    assert_eq!(prometheus.wait_for(&client, uploads_timed, 4.0).await, Some(4.0));
    assert_eq!(prometheus.wait_for(&client, "keytrack_accounts", 1.0).await, Some(1.0));
    assert!(prometheus.query(&client, "keytrack_database_bytes").await.is_some_and(|bytes| bytes > 4_096.0));
    assert_eq!(prometheus.query(&client, "keytrack_writer_queue_depth").await, Some(0.0));
    // Each upload took a place in one of the writer's transactions.
    assert_eq!(prometheus.query(&client, "keytrack_writer_batch_uploads_sum").await, Some(3.0));

    // One more upload reaches Prometheus at its next scrape.
    let reply = client
        .post(format!("{}/api/v1/activity", server.url))
        .bearer_auth(&token)
        .json(&batch("desk", MONDAY_9H, 5))
        .send()
        .await
        .expect("upload");
    assert_eq!(reply.status(), 200);
    assert_eq!(prometheus.wait_for(&client, "keytrack_uploads_total", 4.0).await, Some(4.0));
}

#[tokio::test]
async fn metrics_are_off_by_default_and_open_on_an_address_of_their_own() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().join("data");
    token_in(&data_dir).await;
    let client = reqwest::Client::new();
    {
        let plain = ServerProcess::start(Path::new(BIN), &data_dir, &dir.path().join("plain.log")).expect("server");
        let off = client.get(format!("{}/metrics", plain.url)).bearer_auth(METRICS_TOKEN).send().await.expect("get");
        assert_eq!(off.status(), 404, "no metrics unless asked for");
    }
    // A free port is free only until someone takes it (the other test here starts servers and
    // Prometheus at the same time): another one if the server finds it taken.
    let mut started = Err(std::io::Error::other("not tried"));
    let mut own = String::new();
    for _ in 0..5 {
        own = format!("127.0.0.1:{}", free_port());
        started = ServerProcess::start_with(
            Path::new(BIN),
            &["--data-dir".as_ref(), data_dir.as_os_str(), "--metrics-addr".as_ref(), own.as_ref()],
            &dir.path().join("own.log"),
        );
        match &started {
            Err(error) if error.to_string().contains("in use") => continue,
            _ => break,
        }
    }
    let server = started.expect("server");
    let scraped = client.get(format!("http://{own}/metrics")).send().await.expect("scrape");
    assert_eq!(scraped.status(), 200);
    let text = scraped.text().await.expect("text");
    assert!(text.lines().any(|line| line == "keytrack_accounts 1"), "{text}");
    let on_main = client.get(format!("{}/metrics", server.url)).send().await.expect("get");
    assert_eq!(on_main.status(), 404, "the server's own address serves none without a token");
    let weak = Command::new(BIN)
        .arg("--data-dir")
        .arg(&data_dir)
        .args(["serve", "--addr", "127.0.0.1:0", "--metrics-token", "short"])
        .output()
        .expect("run");
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("at least 16 characters"), "{weak:?}");
}
