//! What runs on PostgreSQL so far (issue 20): the upload path. The same synthetic history as the
//! SQLite run's, through the same ingest code, into an empty PostgreSQL database: one person's
//! year alone, then everyone else's at once (as many people's agents catching up together), which
//! is where a database with many writers differs from SQLite's one; then the first user's year of
//! statistics and heatmaps as read from it.

use std::time::Instant;

use keytrack_wire::Device;

use super::{BenchOptions, TIMEZONE, quantile, sorted, user_seed};
use keytrack_app::server::db::{self, postgres};
use keytrack_app::server::ingest::{self, UploadSource};
use keytrack_app::server::workload::{self, SyntheticPerson};
use keytrack_app::server::{clock, rollups};

pub async fn run(url: &str, options: &BenchOptions, now: i64) -> anyhow::Result<()> {
    let pool = postgres::open(url).await?;
    let mut ids = Vec::with_capacity(options.users);
    for i in 0..options.users {
        // They never log in: no password hash is worth its time here.
        let id = db::users::insert(&pool, &format!("bench-{i}@keytrack.local"), "", "", TIMEZONE, now)
            .await?
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "{} already holds benchmark users: it needs an empty database",
                    postgres::without_password(url)
                )
            })?;
        ids.push(id);
    }
    let load = |index: usize, id: i64| {
        let pool = pool.clone();
        let seed = user_seed(options.seed, index);
        let days = options.days;
        async move {
            let device = Device { id: "bench-laptop".into(), name: "Bench laptop".into() };
            let mut minutes = 0;
            for batch in workload::uploads(&device, SyntheticPerson::new(TIMEZONE, days, now, seed)?, 1_440, usize::MAX)
            {
                minutes += batch.minutes.len();
                ingest::UploadStore::Postgres(pool.clone()).store(id, UploadSource::default(), batch, now).await?;
            }
            anyhow::Ok(minutes)
        }
    };

    let started = Instant::now();
    let minutes = load(0, ids[0]).await?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "postgres history, 1 user: {minutes} active minutes in {seconds:.1} s through the ingest path without HTTP ({:.0} minutes/s, one upload per user-day)",
        minutes as f64 / seconds
    );
    if ids.len() > 1 {
        let started = Instant::now();
        let tasks: Vec<_> = ids.iter().enumerate().skip(1).map(|(i, id)| tokio::spawn(load(i, *id))).collect();
        let mut minutes = 0;
        for task in tasks {
            minutes += task.await??;
        }
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "postgres history, {} users at once: {minutes} active minutes in {seconds:.1} s ({:.0} minutes/s)",
            ids.len() - 1,
            minutes as f64 / seconds
        );
    }
    // The dashboard's user-year as far as it reads the database: the first user's days and
    // displays, summed, in this process (the SQLite run times it through the server).
    let to = clock::clock_from(TIMEZONE, 0)?.today(now);
    let from = to - chrono::Duration::days(options.days - 1);
    let (mut stats_ms, mut heatmaps_ms) = (Vec::new(), Vec::new());
    for _ in 0..options.repeat {
        let started = Instant::now();
        let stats = rollups::range_totals(&pool, ids[0], from, to).await?.finish();
        stats_ms.push(started.elapsed().as_secs_f64() * 1e3);
        anyhow::ensure!(stats.total_keys > 0, "the first user's range holds no activity");
        let started = Instant::now();
        rollups::range_heatmaps(&pool, ids[0], from, to).await?;
        heatmaps_ms.push(started.elapsed().as_secs_f64() * 1e3);
    }
    for (what, times) in [("stats", stats_ms), ("heatmaps", heatmaps_ms)] {
        let times = sorted(times);
        println!(
            "postgres query {} days: a user's {what}, read and summed in process: p50 {:.2} ms, p95 {:.2} ms",
            options.days,
            quantile(&times, 0.5),
            quantile(&times, 0.95)
        );
    }
    let size: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())").fetch_one(&pool).await?;
    println!("postgres storage: whole database {:.1} MB", size as f64 / 1e6);
    println!("postgres: team queries, the HTTP phases and the load test run on SQLite only so far (docs/scaling.md)");
    pool.close().await;
    Ok(())
}
