//! `keytrack bench`: how fast the dashboard's queries are on long histories. Loads users with a
//! year of synthetic activity (the demo's generator, through the real ingest path) into a fresh
//! database, then times every dashboard query over 1 day, 30 days and a year, printing one figure
//! a line; with several users, the team dashboard of all of them as one team too. Server time
//! only: the queries and the figures, no HTTP.

use std::time::{Duration, Instant};

use chrono::Days;
use sqlx::SqlitePool;

use super::error::AppError;
use super::{accounts, demo, rollups, stats, teams};
use crate::domain::range::RangeQuery;

pub struct BenchOptions {
    pub users: usize,
    pub days: i64,
    pub repeat: usize,
}

/// p50 and p95 of the timings, in milliseconds.
fn percentiles(mut timings: Vec<Duration>) -> (f64, f64) {
    timings.sort();
    let at = |q: f64| {
        let i = ((timings.len() as f64 - 1.0) * q).round() as usize;
        timings.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    (at(0.5), at(0.95))
}

pub async fn run(
    pool: &SqlitePool,
    data_dir: &std::path::Path,
    options: &BenchOptions,
    now: i64,
) -> Result<(), AppError> {
    println!("loading {} user(s) x {} days of synthetic activity through the ingest path", options.users, options.days);
    let mut user_ids = Vec::new();
    let mut minutes = 0usize;
    let started = Instant::now();
    for i in 0..options.users {
        let email = format!("bench-{i}@keytrack.local");
        let id = accounts::sign_up(pool, &email, "benchmark password", "Europe/Berlin").await?;
        minutes += demo::fill_activity(pool, id, "Europe/Berlin", options.days, now, 1000 + i as u64).await?;
        user_ids.push(id);
    }
    let load = started.elapsed().as_secs_f64();
    println!(
        "ingest: {minutes} minutes in {load:.1} s ({:.0} minutes/s, one upload per user-day)",
        minutes as f64 / load
    );
    let bytes: u64 = ["keytrack.db", "keytrack.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(data_dir.join(f)).ok())
        .map(|m| m.len())
        .sum();
    println!(
        "storage: {:.0} bytes per active minute (minute records, rollups and indexes)",
        bytes as f64 / minutes as f64
    );

    let user = user_ids[0];
    let today = accounts::clock_of(&accounts::account(pool, user).await?)?.today(now);
    let ranges = [
        ("1 day", today),
        ("30 days", today.checked_sub_days(Days::new(29)).unwrap_or(today)),
        ("1 year", today.checked_sub_days(Days::new(364)).unwrap_or(today)),
    ];
    for (name, from) in ranges {
        let query = RangeQuery { range: None, from: Some(from.to_string()), to: Some(today.to_string()) };
        let mut stats_times = Vec::new();
        let mut heatmap_times = Vec::new();
        for _ in 0..options.repeat {
            let t = Instant::now();
            let s = stats::stats_for_query(pool, user, &query, now).await?;
            stats_times.push(t.elapsed());
            std::hint::black_box(s);
            let t = Instant::now();
            let h = stats::heatmaps_for_query(pool, user, &query, now).await?;
            heatmap_times.push(t.elapsed());
            std::hint::black_box(h);
        }
        let (p50, p95) = percentiles(stats_times);
        println!(
            "query {name}: stats (summary, keyboard-heatmap, weekday-hour, key-combos, clicks-by-button, activity-timeline, typing-speed): p50 {p50:.2} ms, p95 {p95:.2} ms"
        );
        let (p50, p95) = percentiles(heatmap_times);
        println!("query {name}: heatmaps (click-heatmap, movement-heatmap): p50 {p50:.2} ms, p95 {p95:.2} ms");
    }
    // The team dashboard over all the users as one team, everyone sharing their figures.
    if user_ids.len() >= 2 {
        let team = teams::create(pool, user, "Benchmark team").await?;
        let mut tx = super::db::begin_write(pool).await?;
        for id in &user_ids[1..] {
            super::db::teams::add_member(&mut tx, team, *id, "member", true, now).await?;
        }
        tx.commit().await?;
        for (name, from) in ranges {
            let query = RangeQuery { range: None, from: Some(from.to_string()), to: Some(today.to_string()) };
            let mut times = Vec::new();
            for _ in 0..options.repeat {
                let t = Instant::now();
                let s = teams::stats(pool, team, user, &query, now).await?;
                times.push(t.elapsed());
                std::hint::black_box(s);
            }
            let (p50, p95) = percentiles(times);
            println!(
                "query {name}, team of {}: team stats (team-summary, team-members, team-rhythm, team-combos, team-leaderboard): p50 {p50:.2} ms, p95 {p95:.2} ms",
                user_ids.len()
            );
        }
    }
    // Changing the time zone rebuilds a user's rollups from every minute record.
    let mut tx = super::db::begin_write(pool).await?;
    let clock = accounts::clock_in(&mut tx, user).await?;
    let t = Instant::now();
    let days = rollups::rebuild(&mut tx, user, clock).await?;
    let rebuild = t.elapsed();
    tx.rollback().await?;
    println!(
        "rebuild of one user's rollups ({days} days, after a time zone change): {:.0} ms",
        rebuild.as_secs_f64() * 1000.0
    );
    Ok(())
}
