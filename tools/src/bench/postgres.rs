//! The benchmark on PostgreSQL (issue 20): the same people, history, HTTP ingest phases, queries
//! and load test as the SQLite run, against one or several `keytrack serve` on one PostgreSQL
//! database (agents spread over the instances in turn, as a load balancer would). What only a
//! SQLite file has (its size on disk, the plain-SQLite limit, the rebuild, the exports and live
//! figures, which do not depend on the engine) is left to the SQLite run.

use std::ffi::OsStr;
use std::path::Path;

use keytrack_app::server::store::{self, postgres};

use super::{BenchOptions, ServerProcess, ingest, load, prepare_in, queries};

pub async fn run(exe: &Path, url: &str, options: &BenchOptions, instances: usize, now: i64) -> anyhow::Result<()> {
    let database = store::Database::Postgres(postgres::open(url).await?);
    if !store::data::user_ids(&database).await?.is_empty() {
        anyhow::bail!("{} holds accounts: the benchmark needs an empty database", postgres::without_password(url));
    }
    println!("engine: PostgreSQL, {instances} server instance(s) on one database");
    let people = prepare_in(&database, options, now).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let logs = std::env::temp_dir().join(format!("keytrack-bench-{}", std::process::id()));
    std::fs::create_dir_all(&logs)?;
    let servers = (0..instances)
        .map(|i| {
            let log = logs.join(format!("server-{i}.log"));
            ServerProcess::start_with(exe, &[OsStr::new("--database-url"), OsStr::new(url)], &log)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let client = reqwest::Client::builder().pool_max_idle_per_host(usize::MAX).build()?;
    let mut failed = ingest(&client, &servers, &people, options, now).await?.failed;
    let store::Database::Postgres(pool) = &database else { unreachable!("opened on PostgreSQL above") };
    let size: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())").fetch_one(pool).await?;
    let minutes: i64 = sqlx::query_scalar("SELECT CAST(coalesce(sum(minutes), 0) AS BIGINT) FROM activity_hours")
        .fetch_one(pool)
        .await?;
    println!(
        "storage: whole database {:.1} MB, {:.0} bytes per active user-minute (everything: records, blocks, rollups, indexes)",
        size as f64 / 1e6,
        size as f64 / minutes.max(1) as f64
    );
    queries(&client, &servers[0], &people, options).await?;
    failed += load(&client, &servers, &people, options, now).await?;
    for mut server in servers {
        server.stop();
    }
    database.close().await;
    let _ = std::fs::remove_dir_all(&logs);
    if failed > 0 {
        anyhow::bail!("{failed} uploads failed (see the lines above)");
    }
    Ok(())
}
