//! `keytrack-bench`: tools apart from the product. The benchmark (how fast and how big KeyTrack is,
//! against the `keytrack` server built beside this binary) and the export of its synthetic
//! workload for other activity servers. BENCHMARKS.md explains every figure.

mod bench;
mod export;

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use keytrack_app::server::store;

#[derive(Parser)]
#[command(
    name = "keytrack-bench",
    version,
    about = "Measures ingest, queries, storage, memory and load of KeyTrack on a deterministic synthetic workload"
)]
struct Cli {
    /// A smoke run in under 2 minutes: 3 users x 30 days, short phases.
    #[arg(long)]
    quick: bool,
    /// Users, each with their own synthetic history (default 20; all of them form a team).
    #[arg(long)]
    users: Option<usize>,
    /// Days of history per user (default 365).
    #[arg(long)]
    days: Option<i64>,
    /// Runs of each query (default 20; p50 and p95 are printed).
    #[arg(long)]
    repeat: Option<usize>,
    /// Agents in the load test (default 1000; at least 100, since the ingest phases use 100 of
    /// the load test's people).
    #[arg(long, value_parser = clap::value_parser!(u64).range(100..=100_000))]
    load_agents: Option<u64>,
    /// Seconds of the load test (default 60).
    #[arg(long)]
    load_seconds: Option<u64>,
    /// Seed of the synthetic workload.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// An empty directory for the server's database (default: a temporary one, removed after).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Measure PostgreSQL instead (`postgres://...`, an empty database): the same people,
    /// history, ingest phases, queries and load test, through `keytrack serve --database-url`.
    #[arg(long)]
    database_url: Option<String>,
    /// Server instances on the PostgreSQL database (agents are spread over them in turn).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=16))]
    instances: u64,
    /// The server binary to measure (default: `keytrack` beside this program).
    #[arg(long)]
    server: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Write one benchmark user's synthetic activity as JSON Lines of 5-second input-count events
    /// (timestamp, duration, presses, clicks, deltaX, deltaY, scrollX, scrollY), to feed the same
    /// activity to other servers.
    ExportWorkload {
        /// The file to write (`-` for standard output).
        #[arg(long)]
        out: PathBuf,
        /// Which benchmark user (0 is the one whose dashboard the benchmark times).
        #[arg(long, default_value_t = 0)]
        user: usize,
        /// Days of activity, ending today.
        #[arg(long, default_value_t = 365)]
        days: i64,
        /// Seed of the synthetic workload (the benchmark's default is 42).
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::new("warn"))
        .init();
    let cli = Cli::parse();
    if let Some(Command::ExportWorkload { out, user, days, seed }) = cli.command {
        let written = export::export_jsonl(&out, user, days.clamp(1, 3650), seed, keytrack_app::server::now())?;
        eprintln!("wrote {written} events of 5 seconds ({days} days of benchmark user {user}, seed {seed})");
        return Ok(());
    }
    let defaults = if cli.quick { bench::BenchOptions::quick() } else { bench::BenchOptions::full() };
    let options = bench::BenchOptions {
        users: cli.users.unwrap_or(defaults.users).max(1),
        days: cli.days.unwrap_or(defaults.days).clamp(1, 3650),
        repeat: cli.repeat.unwrap_or(defaults.repeat).max(1),
        load_agents: cli.load_agents.map_or(defaults.load_agents, |n| usize::try_from(n).unwrap_or(usize::MAX)),
        load_seconds: cli.load_seconds.unwrap_or(defaults.load_seconds).max(1),
        seed: cli.seed,
        ..defaults
    };
    let server = match cli.server {
        Some(path) => path,
        None => std::env::current_exe().context("cannot find this program")?.with_file_name("keytrack"),
    };
    if !server.exists() {
        bail!("no server binary at {}: build it (scripts/bench.sh does) or pass --server", server.display());
    }
    if let Some(url) = &cli.database_url {
        bench::print_machine(&options);
        let instances = usize::try_from(cli.instances).unwrap_or(1);
        return bench::postgres::run(&server, url, &options, instances, keytrack_app::server::now()).await;
    }
    let temp = std::env::temp_dir().join(format!("keytrack-bench-{}", std::process::id()));
    let dir = cli.data_dir.clone().unwrap_or_else(|| temp.clone());
    if dir.join(store::sqlite::DATABASE_FILE).exists() {
        bail!("{} already holds a database; the benchmark needs an empty directory", dir.display());
    }
    let result = bench::sqlite::run(&server, &dir, &options, keytrack_app::server::now()).await;
    if cli.data_dir.is_none() {
        let _ = std::fs::remove_dir_all(&temp);
    }
    result
}
