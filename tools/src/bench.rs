//! `keytrack-bench`: how fast and how big KeyTrack is, on a deterministic synthetic workload (the
//! `keytrack_synth` generator with a fixed seed, as in `keytrack demo`).
//!
//! The server under test is the `keytrack` binary built beside this one, run as `keytrack serve`
//! in a child process on loopback, so that the CPU time and memory printed are the server's own,
//! not the load generator's. One figure a line:
//! - ingest over HTTP: activity minutes per second with 1, 10 and 100 concurrent agents sending
//!   batches of 60 minutes (new records, then the same records again, which replace their copies),
//!   request latency p50/p99, server CPU seconds;
//! - queries: the server's own time (its `Server-Timing` header) for each dashboard server
//!   function and API route over 1 day, 30 days and a year, for one user and for a team of all
//!   the users, p50 and p95;
//! - storage: database bytes per active user-minute in the minute records and hour blocks, and with
//!   the rollups;
//! - memory: the server's peak RSS while ingesting and while answering queries;
//! - load: many agents uploading every second at once; errors, latency, "database is locked";
//! - live: server memory per open event stream, upload-to-event time with agents at live cadence
//!   beside them, and ingest with the streams open against without;
//! - the agent's own figures, from `keytrack-agent bench` when it is built beside this binary.

mod live;
pub mod postgres;
pub mod sqlite;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use chrono::{Days, NaiveDate};
use keytrack_wire::{ActivityBatch, Device};
use leptos::server_fn::ServerFn;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;

use keytrack_app::admin::demo;
use keytrack_app::api::teams::TeamDashboard;
use keytrack_app::api::{DashboardHeatmaps, DashboardStats, LogIn};
use keytrack_app::server::error::AppError;
use keytrack_app::server::services::accounts;
use keytrack_app::server::services::auth;
use keytrack_app::server::services::clock;
use keytrack_app::server::services::teams;
use keytrack_app::server::store;
use keytrack_app::server::store::rollups;
use keytrack_synth::SyntheticPerson;

/// Every benchmark user's time zone.
pub const TIMEZONE: &str = "Europe/Berlin";
const PASSWORD: &str = "benchmark password";
/// Records per upload in the ingest phases.
const BATCH_MINUTES: usize = 60;

pub struct BenchOptions {
    /// Figures for a smoke test, in under 2 minutes on 2 cores.
    pub quick: bool,
    pub users: usize,
    pub days: i64,
    /// Runs of each query.
    pub repeat: usize,
    /// Minutes each ingest phase uploads.
    pub ingest_minutes: usize,
    pub load_agents: usize,
    pub load_seconds: u64,
    pub seed: u64,
    /// Accounts on the server in all, for the administration page's figures.
    pub accounts: usize,
}

impl BenchOptions {
    /// A 20-user team with a year each: the user-year and team-year.
    pub fn full() -> BenchOptions {
        BenchOptions {
            quick: false,
            users: 20,
            days: 365,
            repeat: 20,
            ingest_minutes: 60_000,
            load_agents: 1_000,
            load_seconds: 60,
            seed: 42,
            accounts: 10_000,
        }
    }

    pub fn quick() -> BenchOptions {
        BenchOptions {
            quick: true,
            users: 3,
            days: 30,
            repeat: 5,
            ingest_minutes: 6_000,
            load_agents: 100,
            load_seconds: 5,
            seed: 42,
            accounts: 1_000,
        }
    }
}

/// The seed of benchmark user `index`'s activity (also what `keytrack-bench export-workload` uses).
pub fn user_seed(seed: u64, index: usize) -> u64 {
    seed.wrapping_mul(1_000).wrapping_add(index as u64)
}

/// The `q` quantile of sorted values.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted.get(i).copied().unwrap_or(0.0)
}

fn sorted(mut values: Vec<f64>) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    values
}

fn read_first_line(path: &str, prefix: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|l| l.starts_with(prefix))?;
    Some(line.split_once(':').map_or(line, |(_, v)| v).trim().to_string())
}

pub fn print_machine(options: &BenchOptions) {
    let cpu = read_first_line("/proc/cpuinfo", "model name").unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = read_first_line("/proc/meminfo", "MemTotal")
        .and_then(|kb| kb.trim_end_matches(" kB").trim().parse::<f64>().ok())
        .map_or_else(|| "unknown".into(), |kb| format!("{:.1} GiB", kb / 1024.0 / 1024.0));
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    println!("machine: {cpu}, {cores} cores, {memory} RAM, Linux {}", kernel.trim());
    let build =
        if cfg!(debug_assertions) { "debug build: figures are far from a release build's" } else { "release build" };
    println!("keytrack {} ({build})", env!("CARGO_PKG_VERSION"));
    println!(
        "workload: seed {}, {} users x {} days of synthetic activity ({TIMEZONE}){}",
        options.seed,
        options.users,
        options.days,
        if options.quick { ", quick mode" } else { "" }
    );
}

/// The benchmark's users: their ids, API tokens and team.
struct People {
    ids: Vec<i64>,
    /// The first user's today, in their time zone: where the query ranges end.
    today: NaiveDate,
    emails: Vec<String>,
    tokens: Vec<String>,
    team: i64,
    /// The load test's people: one computer each, as most people have.
    load_tokens: Vec<String>,
}

/// Makes the users, their tokens and their team, and loads their history through the ingest path
/// (in this process, before the server starts).
async fn prepare(data_dir: &Path, options: &BenchOptions, now: i64) -> anyhow::Result<People> {
    let database = store::Database::Sqlite(store::sqlite::open(data_dir).await?);
    let result = prepare_in(&database, options, now).await.map_err(|e| anyhow::anyhow!("{e}"));
    database.close().await;
    result
}

/// [`prepare`] on a database of either engine.
async fn prepare_in(database: &store::Database, options: &BenchOptions, now: i64) -> Result<People, AppError> {
    let database = database.clone();
    let mut people = People {
        ids: Vec::new(),
        today: NaiveDate::default(),
        emails: Vec::new(),
        tokens: Vec::new(),
        team: 0,
        load_tokens: Vec::new(),
    };
    for i in 0..options.users {
        let email = format!("bench-{i}@keytrack.local");
        let id = accounts::sign_up(&database, &email, PASSWORD, TIMEZONE).await?;
        people.tokens.push(accounts::create_token(&database, id, "bench agent").await?.1);
        people.ids.push(id);
        people.emails.push(email);
    }
    people.today = clock::clock_of(&accounts::account(&database, people.ids[0]).await?)?.today(now);
    people.team = teams::create(&database, people.ids[0], "Benchmark team").await?;
    let mut tx = database.begin_write().await?;
    for id in &people.ids[1..] {
        store::teams::add_member(&mut tx, people.team, *id, "member", true, now).await?;
    }
    tx.commit().await?;

    // They never log in: one password hash serves them all (hashing is slow on purpose).
    let hash = auth::hash_password(PASSWORD.to_string()).await?;
    for a in 0..options.load_agents {
        let email = format!("load-{a}@keytrack.local");
        let id = store::users::insert(&database, &email, &hash, "", TIMEZONE, now)
            .await?
            .ok_or_else(|| AppError::internal("a load test user exists already"))?;
        people.load_tokens.push(accounts::create_token(&database, id, "load agent").await?.1);
    }
    // More people, who never upload, so that the administration page lists a company's worth.
    let mut tx = database.begin_write().await?;
    for i in (options.users + options.load_agents)..options.accounts {
        store::users::insert(&mut tx, &format!("person-{i:05}@corp.example"), &hash, "", TIMEZONE, now).await?;
    }
    tx.commit().await?;

    let started = Instant::now();
    let mut minutes = 0;
    let store = store::Store::on(database.clone());
    for (i, id) in people.ids.iter().enumerate() {
        minutes += demo::fill_activity(&store, *id, TIMEZONE, options.days, now, user_seed(options.seed, i)).await?;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "history: {minutes} active minutes loaded in {seconds:.1} s through the ingest path without HTTP ({:.0} minutes/s, one upload per user-day)",
        minutes as f64 / seconds
    );
    Ok(people)
}

/// A server under test: `keytrack serve` in a child process on a free loopback port, and what
/// /proc says about it. The benchmark and the integration tests that need a real process (to kill
/// it, to mount its data dir) both start servers this way. Killed when dropped.
pub struct ServerProcess {
    child: Child,
    _stdout: BufReader<ChildStdout>,
    /// `http://127.0.0.1:PORT`
    pub url: String,
    log: PathBuf,
}

impl ServerProcess {
    /// Starts `exe serve` over `data_dir`, writing its log (warnings and errors) to `log`.
    pub fn start(exe: &Path, data_dir: &Path, log: &Path) -> anyhow::Result<ServerProcess> {
        ServerProcess::start_with(exe, &[std::ffi::OsStr::new("--data-dir"), data_dir.as_os_str()], log)
    }

    /// Starts `exe serve` on the database these arguments name (`--data-dir DIR` or
    /// `--database-url URL`), without a site (the benchmark calls the API and server functions).
    pub fn start_with(exe: &Path, database: &[&std::ffi::OsStr], log: &Path) -> anyhow::Result<ServerProcess> {
        let mut child = Command::new(exe)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(database)
            .arg("--site-dir")
            .arg(log.with_file_name("no-site"))
            .env("KEYTRACK_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log)?)
            .spawn()?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow::anyhow!("no stdout from the server"))?;
        let mut stdout = BufReader::new(stdout);
        let mut line = String::new();
        stdout.read_line(&mut line)?;
        let Some(url) = line.trim().strip_prefix("KeyTrack listening on ").map(str::to_string) else {
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!("the server did not start: {}", std::fs::read_to_string(log).unwrap_or_default());
        };
        Ok(ServerProcess { child, _stdout: stdout, url, log: log.to_path_buf() })
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn proc_file(&self, name: &str) -> String {
        std::fs::read_to_string(format!("/proc/{}/{name}", self.child.id())).unwrap_or_default()
    }

    /// User and system CPU time so far (Linux's /proc counts in 1/100 s).
    fn cpu_seconds(&self) -> f64 {
        let stat = self.proc_file("stat");
        // Fields after the command name, which is in parentheses and may hold spaces.
        let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
        let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
        (ticks(11) + ticks(12)) / 100.0
    }

    /// Starts a new peak-memory measurement.
    fn reset_peak_rss(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5");
    }

    fn peak_rss_mb(&self) -> f64 {
        self.status_mb("VmHWM:")
    }

    /// The resident set now.
    fn rss_mb(&self) -> f64 {
        self.status_mb("VmRSS:")
    }

    /// A memory figure of /proc's `status` (given in kB), in MB.
    fn status_mb(&self, field: &str) -> f64 {
        let status = self.proc_file("status");
        let kb = status
            .lines()
            .find(|l| l.starts_with(field))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse::<f64>().ok())
            .unwrap_or(0.0);
        kb * 1024.0 / 1e6
    }

    fn log_lines_with(&self, needle: &str) -> usize {
        self.log_text().lines().filter(|l| l.contains(needle)).count()
    }

    /// Stops the server as an admin would (SIGTERM) and waits for it.
    pub fn stop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The server agent `agent` talks to: with several instances (on one PostgreSQL database), agents
/// are spread over them in turn, as a load balancer would.
fn url_of(servers: &[ServerProcess], agent: usize) -> String {
    servers[agent % servers.len()].url.clone()
}

/// The servers' CPU time together.
fn cpu_seconds(servers: &[ServerProcess]) -> f64 {
    servers.iter().map(ServerProcess::cpu_seconds).sum()
}

/// The largest peak RSS of the servers (each is a process of its own).
fn peak_rss_mb(servers: &[ServerProcess]) -> f64 {
    servers.iter().map(ServerProcess::peak_rss_mb).fold(0.0, f64::max)
}

/// One upload: its status (`None` when the connection failed) and how long it took.
async fn upload(client: &reqwest::Client, url: &str, token: &str, body: Bytes) -> (Option<StatusCode>, f64) {
    let started = Instant::now();
    let reply = client
        .post(format!("{url}/api/v1/activity"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await;
    let status = match reply {
        Ok(reply) => {
            let status = reply.status();
            let _ = reply.bytes().await;
            Some(status)
        }
        Err(_) => None,
    };
    (status, started.elapsed().as_secs_f64() * 1000.0)
}

/// An agent's uploads: which user's token, and the encoded batches.
struct AgentUploads {
    token: String,
    batches: Vec<Bytes>,
    minutes: usize,
}

/// `agents` agents, each the only computer of one of the load test's people, each with its share
/// of `minutes` as batches of 60 of its person's activity.
fn agent_uploads(people: &People, options: &BenchOptions, agents: usize, phase: u64, now: i64) -> Vec<AgentUploads> {
    let per_agent = options.ingest_minutes / agents;
    (0..agents)
        .map(|a| {
            let seed = user_seed(options.seed, 10_000 * (phase as usize + 1) + a);
            let device = Device { id: format!("laptop-{phase}"), name: "Laptop".into() };
            let days = SyntheticPerson::new(TIMEZONE, options.days, now, seed).into_iter().flatten();
            let batches = keytrack_synth::uploads(&device, days, BATCH_MINUTES, per_agent);
            let minutes = batches.iter().map(|b| b.minutes.len()).sum();
            let batches =
                batches.iter().map(|batch| Bytes::from(serde_json::to_vec(batch).unwrap_or_default())).collect();
            AgentUploads { token: people.load_tokens[a % people.load_tokens.len()].clone(), batches, minutes }
        })
        .collect()
}

/// What an ingest phase measured.
struct Ingested {
    failed: usize,
    minutes_per_second: f64,
}

/// What the ingest phases measured: failed uploads, and the 10-agent rate of new records (the
/// figure the target and the SQLite limit compare).
struct IngestFigures {
    failed: usize,
    ten_agents_per_second: f64,
}

/// Every agent sends its batches one after another, all agents at once; prints the figures.
async fn ingest_phase(
    client: &reqwest::Client,
    servers: &[ServerProcess],
    label: &str,
    uploads: &[AgentUploads],
) -> anyhow::Result<Ingested> {
    let minutes: usize = uploads.iter().map(|u| u.minutes).sum();
    let cpu = cpu_seconds(servers);
    let started = Instant::now();
    let tasks: Vec<_> = uploads
        .iter()
        .enumerate()
        .map(|(a, agent)| {
            let (client, url, token, batches) =
                (client.clone(), url_of(servers, a), agent.token.clone(), agent.batches.clone());
            tokio::spawn(async move {
                let mut results = Vec::with_capacity(batches.len());
                for body in batches {
                    results.push(upload(&client, &url, &token, body).await);
                }
                results
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        for (status, ms) in task.await? {
            latencies.push(ms);
            errors += usize::from(status != Some(StatusCode::OK));
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let latencies = sorted(latencies);
    println!(
        "ingest {label}: {:.0} minutes/s ({minutes} minutes in {seconds:.2} s, {} requests, {errors} errors), latency p50 {:.1} ms, p99 {:.1} ms, server CPU {:.2} s",
        minutes as f64 / seconds,
        latencies.len(),
        quantile(&latencies, 0.5),
        quantile(&latencies, 0.99),
        cpu_seconds(servers) - cpu
    );
    Ok(Ingested { failed: errors, minutes_per_second: minutes as f64 / seconds })
}

async fn ingest(
    client: &reqwest::Client,
    servers: &[ServerProcess],
    people: &People,
    options: &BenchOptions,
    now: i64,
) -> anyhow::Result<IngestFigures> {
    servers.iter().for_each(ServerProcess::reset_peak_rss);
    let mut resend = Vec::new();
    let mut figures = IngestFigures { failed: 0, ten_agents_per_second: 0.0 };
    for (phase, agents) in [1, 10, 100].into_iter().enumerate() {
        let uploads = agent_uploads(people, options, agents, phase as u64, now);
        let label = format!("over HTTP, {agents} agent(s), new records");
        let phase = ingest_phase(client, servers, &label, &uploads).await?;
        figures.failed += phase.failed;
        if agents == 10 {
            figures.ten_agents_per_second = phase.minutes_per_second;
            resend = uploads;
        }
    }
    let label = "over HTTP, 10 agents, records sent again (each replaces its copy)";
    figures.failed += ingest_phase(client, servers, label, &resend).await?.failed;
    println!("memory: server peak RSS while ingesting {:.1} MB", peak_rss_mb(servers));
    Ok(figures)
}

/// The machine's limit for what KeyTrack's ingest does at its core: plain SQLite (no server, no
/// async layer) storing the rows of minute records KeyTrack stored in this run (a row per device
/// and hour), copied row for row, a transaction per row (an upload of an hour's minutes writes
/// one), WAL and `synchronous=NORMAL` as the server runs. Measured twice: into a bare table, and
/// with the table and indexes KeyTrack keeps. Prints both, in rows and in the minutes they hold,
/// and the ratio of KeyTrack's 10-agent ingest over HTTP to each.
fn sqlite_limit(data_dir: &Path, minutes: usize, keytrack_per_second: f64) -> anyhow::Result<()> {
    let server_db = rusqlite::Connection::open_with_flags(
        data_dir.join(store::sqlite::DATABASE_FILE),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    let schema: Vec<String> = server_db
        .prepare(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'activity_hours' AND sql IS NOT NULL ORDER BY type DESC",
        )?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    let declared: Vec<(String, String)> = server_db
        .prepare("SELECT name, type FROM pragma_table_info('activity_hours') ORDER BY cid")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let columns: Vec<String> = declared.iter().map(|(name, _)| name.clone()).collect();
    let mut copied = server_db.prepare(&format!("SELECT {} FROM activity_hours LIMIT ?1", columns.join(", ")))?;
    let records: Vec<Vec<rusqlite::types::Value>> = copied
        .query_map([minutes.div_ceil(60) as i64], |row| {
            (0..columns.len()).map(|i| row.get(i)).collect::<Result<Vec<_>, _>>()
        })?
        .collect::<Result<_, _>>()?;
    if records.is_empty() {
        anyhow::bail!("the SQLite limit needs the minute records of the ingest phases");
    }
    let bytes: usize = records
        .iter()
        .flatten()
        .map(|value| match value {
            rusqlite::types::Value::Blob(b) => b.len(),
            rusqlite::types::Value::Text(t) => t.len(),
            _ => 8,
        })
        .sum();
    let id = columns.iter().position(|c| c == "id");
    let (device, hour) = (
        columns.iter().position(|c| c == "device_id").unwrap_or(0),
        columns.iter().position(|c| c == "hour").unwrap_or(0),
    );
    let minutes_held: i64 = columns.iter().position(|c| c == "minutes").map_or(0, |at| {
        records.iter().map(|r| if let rusqlite::types::Value::Integer(n) = r[at] { n } else { 0 }).sum()
    });
    let minutes_per_row = minutes_held as f64 / records.len() as f64;
    let measure = |schema: &[String]| -> anyhow::Result<f64> {
        let file = data_dir.join("sqlite-limit.db");
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
        }
        let mut conn = rusqlite::Connection::open(&file)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // SQLite's own default (the bundled build turns it on): the limit has no users to refer to.
        conn.pragma_update(None, "foreign_keys", "OFF")?;
        for statement in schema {
            conn.execute(statement, [])?;
        }
        let placeholders = vec!["?"; columns.len()].join(", ");
        let insert = format!("INSERT INTO activity_hours ({}) VALUES ({placeholders})", columns.join(", "));
        let started = Instant::now();
        for (n, record) in records.iter().enumerate() {
            let tx = conn.transaction()?;
            {
                let mut statement = tx.prepare_cached(&insert)?;
                let mut record = record.clone();
                // Each copy its own row, as new uploads are.
                if let Some(id) = id {
                    record[id] = rusqlite::types::Value::Null;
                }
                record[device] = rusqlite::types::Value::Integer(1);
                record[hour] = rusqlite::types::Value::Integer(n as i64 * 3_600);
                statement.execute(rusqlite::params_from_iter(record))?;
            }
            tx.commit()?;
        }
        let per_second = records.len() as f64 / started.elapsed().as_secs_f64();
        drop(conn);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
        }
        Ok(per_second)
    };
    // The same columns with no constraint and no index: a row id and the row.
    let bare_table = declared
        .iter()
        .map(|(name, kind)| if name == "id" { "id INTEGER PRIMARY KEY".to_string() } else { format!("{name} {kind}") })
        .collect::<Vec<_>>()
        .join(", ");
    let bare = measure(&[format!("CREATE TABLE activity_hours ({bare_table})")])? * minutes_per_row;
    let indexed = measure(&schema)? * minutes_per_row;
    println!(
        "sqlite limit: plain SQLite stores {bare:.0} minutes/s of KeyTrack's minute records ({:.0} rows/s; {} rows of {:.0} bytes holding {minutes_per_row:.1} minutes each, a transaction per row, WAL, synchronous=NORMAL), {indexed:.0} minutes/s ({:.0} rows/s) with KeyTrack's indexes; KeyTrack's 10-agent ingest over HTTP is {:.1} % of the first, {:.1} % of the second",
        bare / minutes_per_row,
        records.len(),
        bytes as f64 / records.len() as f64,
        indexed / minutes_per_row,
        100.0 * keytrack_per_second / bare,
        100.0 * keytrack_per_second / indexed
    );
    Ok(())
}

/// Bytes per active user-minute: of the minute records alone, and of the whole database.
async fn storage(data_dir: &Path) -> anyhow::Result<()> {
    let options =
        sqlx::sqlite::SqliteConnectOptions::new().filename(data_dir.join(store::sqlite::DATABASE_FILE)).read_only(true);
    let pool = sqlx::sqlite::SqlitePoolOptions::new().max_connections(1).connect_with(options).await?;
    // A user-minute is a minute in which a person was active; with two computers in use at once it
    // has two records, one per device.
    let records: i64 =
        sqlx::query_scalar("SELECT coalesce(sum(minutes), 0) FROM activity_hours").fetch_one(&pool).await?;
    // A minute in which two of a person's devices were active counts once: the minutes of each
    // person's hour, all devices together.
    let mut minutes = 0i64;
    let users: Vec<i64> = sqlx::query_scalar("SELECT DISTINCT user_id FROM activity_hours").fetch_all(&pool).await?;
    for user_id in users {
        let rows: Vec<(i64, Vec<u8>)> =
            sqlx::query_as("SELECT hour, records FROM activity_hours WHERE user_id = ? ORDER BY hour")
                .bind(user_id)
                .fetch_all(&pool)
                .await?;
        let mut hours: std::collections::HashMap<i64, u64> = std::collections::HashMap::new();
        for (start, stored) in rows {
            let seen = hours.entry(start).or_default();
            for record in store::activity::HourRecords::decode(start, &stored)?.records {
                *seen |= 1 << ((record.minute - start) / 60);
            }
        }
        minutes += hours.values().map(|seen| i64::from(seen.count_ones())).sum::<i64>();
    }
    let sizes: Vec<(String, i64)> =
        sqlx::query_as("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetch_all(&pool).await?;
    pool.close().await;
    let size = |names: &[&str]| sizes.iter().filter(|(n, _)| names.contains(&n.as_str())).map(|(_, b)| *b).sum::<i64>();
    let record_bytes = size(&[
        "activity_hours",
        "activity_hours_by_user",
        "sqlite_autoindex_activity_hours_1",
        "devices",
        "sqlite_autoindex_devices_1",
    ]);
    let block_bytes = size(&["activity_blocks", "activity_blocks_by_user", "sqlite_autoindex_activity_blocks_1"]);
    let rollups = size(&[
        "activity_days",
        "sqlite_autoindex_activity_days_1",
        "activity_day_screens",
        "sqlite_autoindex_activity_day_screens_1",
    ]);
    let all: i64 = sizes.iter().map(|(_, b)| *b).sum();
    let per = |bytes: i64| bytes as f64 / minutes.max(1) as f64;
    println!(
        "storage: {:.0} bytes per active user-minute in the minute records (totals, with indexes; {minutes} user-minutes in {records} records, {:.0} bytes per record) and {:.0} in the hour blocks (key detail)",
        per(record_bytes),
        record_bytes as f64 / records.max(1) as f64,
        per(block_bytes)
    );
    println!(
        "storage: {:.0} bytes per active user-minute with the day rollups ({:.0} bytes of rollups); whole database {:.1} MB",
        per(record_bytes + block_bytes + rollups),
        per(rollups),
        all as f64 / 1e6
    );
    Ok(())
}

/// The server's own time for a request, from its `Server-Timing` header.
fn server_ms(reply: &reqwest::Response) -> Option<f64> {
    let value = reply.headers().get(keytrack_app::server::web::SERVER_TIMING)?.to_str().ok()?;
    value.split("dur=").nth(1)?.parse().ok()
}

/// Calls `request` `repeat` times after one warm-up call; p50 and p95 of the server's time.
async fn time_requests(
    repeat: usize,
    mut request: impl FnMut() -> reqwest::RequestBuilder,
) -> anyhow::Result<(f64, f64)> {
    let mut times = Vec::new();
    for i in 0..=repeat {
        let reply = request().send().await?;
        let ms = server_ms(&reply);
        let status = reply.status();
        let body = reply.text().await?;
        if status != StatusCode::OK {
            anyhow::bail!("a benchmark query failed with {status}: {body}");
        }
        if i > 0 {
            times.push(ms.unwrap_or(0.0));
        }
    }
    let times = sorted(times);
    Ok((quantile(&times, 0.5), quantile(&times, 0.95)))
}

async fn queries(
    client: &reqwest::Client,
    server: &ServerProcess,
    people: &People,
    options: &BenchOptions,
) -> anyhow::Result<()> {
    let cookie_client = reqwest::Client::builder().build()?;
    let login = cookie_client
        .post(format!("{}{}", server.url, LogIn::PATH))
        .header("accept", "application/json")
        // As the browser's login form: from this site.
        .header("origin", server.url.clone())
        .form(&[("email", people.emails[0].as_str()), ("password", PASSWORD)])
        .send()
        .await?;
    let cookie = login
        .headers()
        .get("set-cookie")
        .and_then(|c| c.to_str().ok())
        .and_then(|c| c.split(';').next())
        .map(str::to_string)
        .ok_or_else(|| anyhow::anyhow!("logging in as the benchmark user failed: {}", login.status()))?;

    let today = people.today;
    let ranges = [("1 day", 0), ("30 days", 29), ("1 year", 364)];
    server.reset_peak_rss();
    // What the peak below starts from: memory kept since the ingest phases.
    println!("memory: server RSS as the queries start {:.1} MB", server.rss_mb());
    let team_size = people.ids.len();
    for (name, back) in ranges {
        let from = today.checked_sub_days(Days::new(back)).unwrap_or(today).to_string();
        let to = today.to_string();
        let dates = [("from", from.as_str()), ("to", to.as_str())];
        let server_fn = |path: &'static str, extra: Vec<(&'static str, String)>| {
            let mut form: Vec<(&str, String)> = dates.iter().map(|(k, v)| (*k, v.to_string())).collect();
            form.extend(extra);
            let (client, url, cookie) = (client.clone(), server.url.clone(), cookie.clone());
            move || {
                client
                    .post(format!("{url}{path}"))
                    .header("accept", "application/json")
                    .header("origin", url.clone())
                    .header("cookie", cookie.clone())
                    .form(&form)
            }
        };
        let api = |path: String| {
            let (client, token) = (client.clone(), people.tokens[0].clone());
            let url = format!("{}{path}?from={from}&to={to}", server.url);
            move || client.get(url.clone()).bearer_auth(token.clone())
        };
        let timed = [
            (
                "dashboard stats (summary, keyboard-heatmap, weekday-hour, key-combos, clicks-by-button, activity-timeline, typing-speed)".to_string(),
                time_requests(options.repeat, server_fn(DashboardStats::PATH, vec![])).await?,
            ),
            (
                "dashboard heatmaps (click-heatmap, movement-heatmap)".to_string(),
                time_requests(options.repeat, server_fn(DashboardHeatmaps::PATH, vec![])).await?,
            ),
            ("GET /api/v1/stats".to_string(), time_requests(options.repeat, api("/api/v1/stats".into())).await?),
            (
                format!("team of {team_size}: team dashboard (team-summary, team-members, team-rhythm, team-combos, team-leaderboard)"),
                time_requests(options.repeat, server_fn(TeamDashboard::PATH, vec![("team_id", people.team.to_string())]))
                    .await?,
            ),
            (
                format!("team of {team_size}: GET /api/v1/teams/{{id}}/stats"),
                time_requests(options.repeat, api(format!("/api/v1/teams/{}/stats", people.team))).await?,
            ),
        ];
        for (what, (p50, p95)) in timed {
            println!("query {name}: {what}: server time p50 {p50:.2} ms, p95 {p95:.2} ms");
        }
    }
    administration(client, server, people, options).await?;
    println!("memory: server peak RSS while answering queries {:.1} MB", server.peak_rss_mb());
    Ok(())
}

/// The administration page's list of people, as an administrator (the first benchmark user, the
/// server's first account) pages through it and searches it, with every account of the run.
async fn administration(
    client: &reqwest::Client,
    server: &ServerProcess,
    people: &People,
    options: &BenchOptions,
) -> anyhow::Result<()> {
    let accounts = options.accounts.max(options.users + options.load_agents);
    let pages = accounts.div_ceil(50).max(1);
    let admin_get = |query: String| {
        let (client, token) = (client.clone(), people.tokens[0].clone());
        let url = format!("{}/api/v1/admin/users?{query}", server.url);
        move || client.get(url.clone()).bearer_auth(token.clone())
    };
    let mut page = 0usize;
    let paging = move || {
        // A different page each time, first to last.
        page = page % pages + 1;
        admin_get(format!("page={page}"))()
    };
    let timed = [
        ("a page of 50 people", time_requests(options.repeat, paging).await?),
        ("a search by part of an email", time_requests(options.repeat, admin_get("search=load-4".into())).await?),
    ];
    for (what, (p50, p95)) in timed {
        println!(
            "admin: the people list with {accounts} accounts, {what}: server time p50 {p50:.2} ms, p95 {p95:.2} ms (target <= 50)"
        );
    }
    Ok(())
}

/// Downloads a user's whole range (a year in the full run) as each export file and the PDF report
/// of the last year, reading the streamed body to its end: the time to the last byte, the size,
/// and how far the server's RSS rose above what it was before the download.
async fn exports(client: &reqwest::Client, server: &ServerProcess, people: &People) -> anyhow::Result<()> {
    let token = &people.tokens[0];
    for (what, path) in [
        ("CSV per minute of user 1's whole range", "/api/v1/export.csv?kind=minute&range=all"),
        ("CSV per day of user 1's whole range", "/api/v1/export.csv?kind=day&range=all"),
        ("CSV per hour of user 1's whole range", "/api/v1/export.csv?kind=hour&range=all"),
        ("JSON of everything user 1 has", "/api/v1/export.json"),
        ("PDF report of user 1's last year", "/api/v1/report.pdf?range=year"),
    ] {
        let before = server.rss_mb();
        server.reset_peak_rss();
        let started = std::time::Instant::now();
        let mut reply = client.get(format!("{}{path}", server.url)).bearer_auth(token).send().await?;
        if reply.status() != StatusCode::OK {
            anyhow::bail!("{path} failed with {}", reply.status());
        }
        let mut bytes = 0usize;
        while let Some(chunk) = reply.chunk().await? {
            bytes += chunk.len();
        }
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "export {what}: {:.2} s to the last byte, {:.1} MB, server RSS {:.1} MB before, peak {:.1} MB (+{:.1} MB)",
            seconds,
            bytes as f64 / 1e6,
            before,
            server.peak_rss_mb(),
            (server.peak_rss_mb() - before).max(0.0)
        );
    }
    Ok(())
}

/// Many agents at once, each a different person's only computer, each uploading its current
/// minute every second (60 times as often as a real agent's default), which replaces the copy it
/// sent a second before.
/// What one run of the load test measured.
struct LoadRun {
    requests: usize,
    errors: usize,
    p99_ms: f64,
}

/// The load test: `options.load_agents` agents each uploading every second for
/// `options.load_seconds`, then the largest number of agents at that cadence the server answers
/// with p99 <= 100 ms, found by doubling and then halving the step (shorter runs). Returns how
/// many uploads of the main run failed.
async fn load(
    client: &reqwest::Client,
    servers: &[ServerProcess],
    people: &People,
    options: &BenchOptions,
    now: i64,
) -> anyhow::Result<usize> {
    let template: Vec<_> = SyntheticPerson::new(TIMEZONE, 3, now, user_seed(options.seed, 99_999))?
        .flat_map(|day| day.minutes)
        .map(|m| m.record)
        .collect();
    if template.is_empty() {
        anyhow::bail!("the load test's synthetic person had no activity");
    }
    let template = Arc::new(template);
    let locked = || servers.iter().map(|server| server.log_lines_with("database is locked")).sum::<usize>();
    let errors_before = locked();
    servers.iter().for_each(ServerProcess::reset_peak_rss);
    let main = load_run(client, servers, people, &template, options.load_agents, options.load_seconds, true).await?;
    println!("memory: server peak RSS under the load test {:.1} MB", peak_rss_mb(servers));
    println!("load: \"database is locked\" in the server's log: {} times", locked() - errors_before);

    // The search: runs of a quarter of the main run's length (at least 5 s).
    const P99_BUDGET_MS: f64 = 100.0;
    let seconds = (options.load_seconds / 4).max(5);
    let holds = |run: &LoadRun| run.errors == 0 && run.p99_ms <= P99_BUDGET_MS;
    let (mut good, mut bad) = if holds(&main) { (options.load_agents, None) } else { (0, Some(options.load_agents)) };
    // A smoke run only checks that the search runs.
    let max_tries = if options.quick { 1 } else { 8 };
    let mut tries = 0;
    while tries < max_tries {
        let agents = match bad {
            None => good * 2,
            Some(bad) if bad - good > bad / 16 => (good + bad) / 2,
            Some(_) => break,
        };
        if agents == 0 {
            break;
        }
        let run = load_run(client, servers, people, &template, agents, seconds, false).await?;
        println!(
            "load search: {agents} agents for {seconds} s: p99 {:.1} ms, {} errors of {} requests",
            run.p99_ms, run.errors, run.requests
        );
        if holds(&run) {
            good = agents
        } else {
            bad = Some(agents)
        }
        tries += 1;
    }
    println!(
        "load: the largest number of agents uploading every second with p99 <= {P99_BUDGET_MS:.0} ms and no error: {good}{}",
        if bad.is_none() { " (or more: the search stopped before the budget broke)" } else { "" }
    );
    Ok(main.errors)
}

/// `agents` agents uploading a one-minute record every second for `seconds` (agents beyond the
/// load test's people are further computers of the same people); prints the figures when `print`.
async fn load_run(
    client: &reqwest::Client,
    servers: &[ServerProcess],
    people: &People,
    template: &Arc<Vec<keytrack_wire::ActivityMinute>>,
    agents: usize,
    seconds: u64,
    print: bool,
) -> anyhow::Result<LoadRun> {
    let cpu = cpu_seconds(servers);
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..agents)
        .map(|a| {
            let (client, url) = (client.clone(), url_of(servers, a));
            let people_count = people.load_tokens.len().max(1);
            let token = people.load_tokens[a % people_count].clone();
            let template = Arc::clone(template);
            tokio::spawn(async move {
                let mut rng = StdRng::seed_from_u64(a as u64);
                tokio::time::sleep(Duration::from_millis(rng.gen_range(0..1_000))).await;
                let mut tick = tokio::time::interval(Duration::from_secs(1));
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                let device = Device { id: format!("laptop-{}", a / people_count), name: "Laptop".into() };
                let mut results = Vec::new();
                while Instant::now() < until {
                    tick.tick().await;
                    let mut record = template[a % template.len()].clone();
                    record.minute = keytrack_app::server::now() / 60 * 60;
                    record.utc_offset = 60;
                    let batch = ActivityBatch::new(device.clone(), vec![record], vec![]);
                    let body = Bytes::from(serde_json::to_vec(&batch).unwrap_or_default());
                    results.push(upload(&client, &url, &token, body).await);
                }
                results
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut statuses: std::collections::BTreeMap<String, usize> = Default::default();
    for task in tasks {
        for (status, ms) in task.await? {
            latencies.push(ms);
            *statuses
                .entry(status.map_or_else(|| "connection failed".to_string(), |s| s.as_u16().to_string()))
                .or_default() += 1;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let requests = latencies.len();
    let ok = statuses.get("200").copied().unwrap_or(0);
    let latencies = sorted(latencies);
    let run = LoadRun { requests, errors: requests - ok, p99_ms: quantile(&latencies, 0.99) };
    if print {
        println!(
            "load: {agents} agents uploading every second for {seconds} s: {requests} requests ({:.0}/s), {} errors {statuses:?}, latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms, server CPU {:.1} s",
            requests as f64 / elapsed,
            run.errors,
            quantile(&latencies, 0.5),
            run.p99_ms,
            latencies.last().copied().unwrap_or(0.0),
            cpu_seconds(servers) - cpu
        );
    }
    Ok(run)
}

/// Events in the audit log of the database in `data_dir` (read beside the running server).
fn audit_events(data_dir: &Path) -> anyhow::Result<i64> {
    let connection = rusqlite::Connection::open_with_flags(
        data_dir.join(store::sqlite::DATABASE_FILE),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    Ok(connection.query_row("SELECT count(*) FROM audit_log", [], |row| row.get(0))?)
}

/// Changing the time zone rebuilds a user's rollups from every minute record.
async fn rebuild_time(data_dir: &Path, user: i64) -> anyhow::Result<()> {
    let pool = store::sqlite::open(data_dir).await?;
    let result = async {
        let mut tx = store::sqlite::begin_write(&pool).await?;
        let clock = store::users::clock_in(&mut tx, user).await?;
        let started = Instant::now();
        let days = rollups::rebuild(&mut tx, user, clock).await?;
        let took = started.elapsed();
        tx.rollback().await?;
        Ok::<_, AppError>((days, took))
    }
    .await
    .map_err(|e| anyhow::anyhow!("{e}"));
    pool.close().await;
    let (days, took) = result?;
    println!(
        "rebuild of one user's rollups ({days} days, after a time zone change): {:.0} ms",
        took.as_secs_f64() * 1000.0
    );
    Ok(())
}

/// Runs `keytrack-agent bench` from beside this binary, when it was built there.
fn agent_figures(exe: &Path, options: &BenchOptions) -> anyhow::Result<()> {
    let agent = exe.with_file_name(format!("keytrack-agent{}", std::env::consts::EXE_SUFFIX));
    if !agent.exists() {
        println!("agent: not measured: build it beside this binary (cargo build --release -p keytrack-agent)");
        return Ok(());
    }
    let mut command = Command::new(&agent);
    command.arg("bench");
    if options.quick {
        command.args(["--seconds", "600", "--rss-seconds", "3"]);
    }
    match command.output() {
        Ok(output) if output.status.success() => {
            let mut stdout = std::io::stdout().lock();
            for line in String::from_utf8_lossy(&output.stdout).lines() {
                let _ = writeln!(stdout, "agent: {line}");
            }
        }
        Ok(output) => anyhow::bail!("the agent's bench failed: {}", String::from_utf8_lossy(&output.stderr).trim()),
        Err(e) => anyhow::bail!("could not run {}: {e}", agent.display()),
    }
    Ok(())
}
