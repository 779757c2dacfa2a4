//! The whole benchmark on SQLite, phase after phase (the phases are `bench`'s; `postgres` runs
//! them on PostgreSQL): the history, ingest, storage, the plain-SQLite limit, queries, exports,
//! load, the live view, a rebuild and the agent's own figures.

use std::path::Path;

use super::live;
use super::{
    BenchOptions, ServerProcess, agent_figures, audit_events, exports, ingest, load, prepare, print_machine, queries,
    rebuild_time, sqlite_limit, storage,
};

/// Runs every phase against the `keytrack` at `exe` serving a fresh database in `data_dir`.
pub async fn run(exe: &Path, data_dir: &Path, options: &BenchOptions, now: i64) -> anyhow::Result<()> {
    print_machine(options);
    let people = prepare(data_dir, options, now).await?;

    let mut server = ServerProcess::start(exe, data_dir, &data_dir.join("server.log"))?;
    let client = reqwest::Client::builder().pool_max_idle_per_host(usize::MAX).build()?;
    let audited = audit_events(data_dir)?;
    let ingested = ingest(&client, std::slice::from_ref(&server), &people, options, now).await?;
    println!(
        "audit: {} events written while the ingest phases uploaded (uploads are not audited one by one: no cost on ingest)",
        audit_events(data_dir)? - audited
    );
    let mut failed = ingested.failed;
    storage(data_dir).await?;
    sqlite_limit(data_dir, options.ingest_minutes, ingested.ten_agents_per_second)?;
    queries(&client, &server, &people, options).await?;
    exports(&client, &server, &people).await?;
    failed += load(&client, std::slice::from_ref(&server), &people, options, now).await?;
    server.stop();
    // The live figures on a fresh server: memory per stream means nothing on a heap that the load
    // test grew and left free.
    let mut server = ServerProcess::start(exe, data_dir, &data_dir.join("live-server.log"))?;
    failed += live::live(&client, &server, &people, options, now).await?;
    server.stop();

    rebuild_time(data_dir, people.ids[0]).await?;
    agent_figures(exe, options)?;
    // Figures of a run in which uploads failed would be figures of something else.
    if failed > 0 {
        anyhow::bail!("{failed} uploads failed (see the lines above and the server's log)");
    }
    Ok(())
}
