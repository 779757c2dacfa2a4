//! The live view's figures: memory per open stream, how soon an upload reaches a page's stream,
//! and what open streams cost ingest.
//!
//! Streams are opened with the load test's people's tokens (one stream per person, the way one
//! dashboard each would be open), so each stream hears only its own person's uploads.

use std::time::{Duration, Instant};

use axum::body::Bytes;
use keytrack_wire::live::LIVE_UPLOAD_MS;
use keytrack_wire::{ActivityBatch, ActivityMinute, Device};

use super::{AgentUploads, BenchOptions, People, ServerProcess, agent_uploads, ingest_phase, quantile, sorted, upload};

/// An open event stream and its reader.
async fn open_stream(client: &reqwest::Client, url: &str, token: &str) -> anyhow::Result<reqwest::Response> {
    let response = client.get(format!("{url}/api/v1/live")).bearer_auth(token).send().await?;
    if response.status() != reqwest::StatusCode::OK {
        anyhow::bail!("GET /api/v1/live answered {}", response.status());
    }
    Ok(response)
}

/// Waits for the next `arrival` event on a stream; `None` when the stream ends.
async fn next_arrival(stream: &mut reqwest::Response, buffer: &mut String) -> Option<Instant> {
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            if event.lines().any(|line| line == "event: arrival" || line == "event:arrival") {
                return Some(Instant::now());
            }
        }
        let chunk = stream.chunk().await.ok()??;
        buffer.push_str(&String::from_utf8_lossy(&chunk));
    }
}

/// Streams open, agents at live cadence, and ingest beside open streams; returns failed uploads.
pub async fn live(
    client: &reqwest::Client,
    server: &ServerProcess,
    people: &People,
    options: &BenchOptions,
    now: i64,
) -> anyhow::Result<usize> {
    let (streams, agents, seconds) = if options.quick { (100, 20, 5) } else { (1_000, 100, 30) };
    let streams = streams.min(people.load_tokens.len());
    let agents = agents.min(streams);
    let mut failed = 0;

    // Memory: the fresh server's resident set as the streams open (idle: nobody uploads yet), in
    // two halves, so that growth paid once (thread and allocator arenas) shows apart from what
    // each stream costs.
    let mut open = Vec::with_capacity(streams);
    let mut rss = vec![server.rss_mb()];
    for half in [&people.load_tokens[..streams / 2], &people.load_tokens[streams / 2..streams]] {
        for token in half {
            open.push(open_stream(client, &server.url, token).await?);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        rss.push(server.rss_mb());
    }
    let per_stream = |from: f64, to: f64| (to - from) * 1e6 / 1024.0 / (streams / 2) as f64;
    println!(
        "live: {streams} idle streams open: server RSS {:.1} -> {:.1} -> {:.1} MB, {:.1} KB per stream for the first half, {:.1} KB for the second",
        rss[0],
        rss[1],
        rss[2],
        per_stream(rss[0], rss[1]),
        per_stream(rss[1], rss[2])
    );

    // Latency: agents at live cadence, each with its person's stream open (the first `agents`).
    let cpu = server.cpu_seconds();
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let tasks: Vec<_> = open
        .drain(..agents)
        .enumerate()
        .map(|(a, mut stream)| {
            let (client, url, token) = (client.clone(), server.url.clone(), people.load_tokens[a].clone());
            tokio::spawn(async move {
                let device = Device { id: "live-laptop".into(), name: "Live laptop".into() };
                let mut tick = tokio::time::interval(Duration::from_millis(LIVE_UPLOAD_MS));
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                let (mut latencies, mut errors, mut presses, mut buffer) = (Vec::new(), 0usize, 0u32, String::new());
                while Instant::now() < until {
                    tick.tick().await;
                    presses += 3;
                    let minute = keytrack_app::server::now() / 60 * 60;
                    let record =
                        ActivityMinute { minute, utc_offset: 60, presses, active_seconds: 10, ..Default::default() };
                    let body = Bytes::from(
                        serde_json::to_vec(&ActivityBatch::new(device.clone(), vec![record], vec![]))
                            .unwrap_or_default(),
                    );
                    let sent = Instant::now();
                    let (status, _) = upload(&client, &url, &token, body).await;
                    if status != Some(reqwest::StatusCode::OK) {
                        errors += 1;
                        continue;
                    }
                    match tokio::time::timeout(Duration::from_secs(5), next_arrival(&mut stream, &mut buffer)).await {
                        Ok(Some(heard)) => latencies.push((heard - sent).as_secs_f64() * 1000.0),
                        _ => errors += 1,
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for task in tasks {
        let (mine, lost) = task.await?;
        latencies.extend(mine);
        errors += lost;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let latencies = sorted(latencies);
    println!(
        "live: {agents} agents uploading every {LIVE_UPLOAD_MS} ms for {seconds} s beside {streams} open streams: upload sent -> event at the page p50 {:.1} ms, p99 {:.1} ms ({} events, {errors} lost or failed), server CPU {:.0}% of a core",
        quantile(&latencies, 0.5),
        quantile(&latencies, 0.99),
        latencies.len(),
        100.0 * (server.cpu_seconds() - cpu) / elapsed
    );

    // Ingest beside the open streams, then without them: the same kind of work on the same database.
    let label = format!("over HTTP, 10 agents, new records, {} live streams open", open.len());
    let with = ingest_phase(client, std::slice::from_ref(server), &label, &uploads(people, options, 20, now)).await?;
    drop(open);
    let label = "over HTTP, 10 agents, new records, no live stream open";
    let without = ingest_phase(client, std::slice::from_ref(server), label, &uploads(people, options, 21, now)).await?;
    failed += with.failed + without.failed;
    println!(
        "live: ingest beside {} open streams at {:.0}% of the rate without",
        streams - agents,
        100.0 * with.minutes_per_second / without.minutes_per_second.max(1.0)
    );
    Ok(failed + errors)
}

/// A 10-agent ingest phase's uploads of new records (`phase` picks which).
fn uploads(people: &People, options: &BenchOptions, phase: u64, now: i64) -> Vec<AgentUploads> {
    agent_uploads(people, options, 10, phase, now)
}
