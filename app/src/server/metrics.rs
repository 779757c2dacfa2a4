//! What the server counts for Prometheus (`GET /metrics`, off unless `--metrics-token` or
//! `--metrics-addr` is given): uploads and what they stored, request latency by route class,
//! refusals by error code, open live streams, the SQLite writer's queue and its transactions'
//! size, and, read at each scrape, the database's size, its sessions and accounts.
//!
//! One registry for the process (every wing counts into it where the thing happens: the web
//! edge its requests and refusals, the services their uploads and streams, the store its
//! writer), encoded by `prometheus-client` in the OpenMetrics text format Prometheus reads. It
//! holds counts only: never an email, a token or anything a person typed.

use std::sync::LazyLock;
use std::sync::atomic::AtomicI64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// The content type of [`encode`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// [`route_class`] of the request's path.
    pub class: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RefusalLabels {
    /// The error's `code`, as the client reads it (`invalid_activity`, `unauthorized`, ...).
    pub code: &'static str,
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// Every metric of the process.
pub struct Metrics {
    registry: Registry,
    /// Uploads stored (`POST /api/v1/activity` answered 200).
    pub uploads: Counter,
    /// Minute records and hour blocks those uploads stored.
    pub minutes_stored: Counter,
    pub blocks_stored: Counter,
    /// Seconds from a request's arrival to its response's head, by route class.
    pub request_seconds: LatencyFamily,
    /// Requests answered with an error, by its code.
    pub refusals: Family<RefusalLabels, Counter>,
    /// Live streams open now.
    pub live_streams: Gauge<i64, AtomicI64>,
    /// Uploads waiting for SQLite's writer thread, and the uploads each of its transactions took.
    pub writer_queue: Gauge<i64, AtomicI64>,
    pub writer_batch: Histogram,
    /// Read at each scrape ([`Census`]).
    database_bytes: Gauge<i64, AtomicI64>,
    sessions: Gauge<i64, AtomicI64>,
    accounts: Gauge<i64, AtomicI64>,
}

/// What a scrape reads from the database, when it could.
#[derive(Debug, Clone, Copy, Default)]
pub struct Census {
    pub database_bytes: i64,
    pub sessions: i64,
    pub accounts: i64,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms to ~16 s.
    Histogram::new(exponential_buckets(0.000_5, 2.0, 16))
}

impl Metrics {
    fn new() -> Metrics {
        let mut registry = Registry::with_prefix("keytrack");
        let metrics = Metrics {
            uploads: Counter::default(),
            minutes_stored: Counter::default(),
            blocks_stored: Counter::default(),
            request_seconds: Family::new_with_constructor(latency_histogram as fn() -> Histogram),
            refusals: Family::default(),
            live_streams: Gauge::default(),
            writer_queue: Gauge::default(),
            writer_batch: Histogram::new([1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0]),
            database_bytes: Gauge::default(),
            sessions: Gauge::default(),
            accounts: Gauge::default(),
            registry: Registry::default(),
        };
        registry.register("uploads", "Uploads stored", metrics.uploads.clone());
        registry.register("minutes_stored", "Minute records stored by uploads", metrics.minutes_stored.clone());
        registry.register("blocks_stored", "Hour blocks stored by uploads", metrics.blocks_stored.clone());
        registry.register(
            "request_duration_seconds",
            "Time from a request's arrival to its response's head, by route class",
            metrics.request_seconds.clone(),
        );
        registry.register("refusals", "Requests answered with an error, by its code", metrics.refusals.clone());
        registry.register("live_streams", "Live streams open", metrics.live_streams.clone());
        registry.register("writer_queue_depth", "Uploads waiting for the SQLite writer", metrics.writer_queue.clone());
        registry.register(
            "writer_batch_uploads",
            "Uploads per transaction of the SQLite writer",
            metrics.writer_batch.clone(),
        );
        registry.register("database_bytes", "Size of the database", metrics.database_bytes.clone());
        registry.register("sessions", "Browser sessions stored", metrics.sessions.clone());
        registry.register("accounts", "Accounts on the server", metrics.accounts.clone());
        Metrics { registry, ..metrics }
    }

    /// The metrics in the OpenMetrics text format, with the database's figures of this scrape.
    pub fn encode(&self, census: Option<Census>) -> String {
        if let Some(census) = census {
            self.database_bytes.set(census.database_bytes);
            self.sessions.set(census.sessions);
            self.accounts.set(census.accounts);
        }
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }

    /// Notes a request's time under its route class ([`route_class`]).
    pub fn request_class(&self, class: &'static str, seconds: f64) {
        self.request_seconds.get_or_create(&RouteLabels { class }).observe(seconds);
    }

    /// Notes a request answered with the error `code`.
    pub fn refused(&self, code: &'static str) {
        self.refusals.get_or_create(&RefusalLabels { code }).inc();
    }
}

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);
    &METRICS
}

/// The class of a route, a label with few values whatever the paths: `upload`, `stream`, `api`
/// (the rest of `/api/v1`), `server_fn` (the UI's server functions), `asset`, `download`,
/// `health`, `metrics` or `page`.
pub fn route_class(path: &str) -> &'static str {
    if path == "/api/v1/activity" {
        "upload"
    } else if path.starts_with("/api/v1/") && (path.ends_with("/live") || path.starts_with("/api/v1/live")) {
        "stream"
    } else if path.starts_with("/api/v1/") {
        "api"
    } else if path.starts_with("/api/") {
        "server_fn"
    } else if path.starts_with("/assets/") || path.starts_with("/pkg/") {
        "asset"
    } else if path.starts_with("/downloads/") {
        "download"
    } else if path.starts_with("/healthz") {
        "health"
    } else if path == "/metrics" {
        "metrics"
    } else {
        "page"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_fall_in_few_classes() {
        for (path, class) in [
            ("/api/v1/activity", "upload"),
            ("/api/v1/live", "stream"),
            ("/api/v1/teams/3/live", "stream"),
            ("/api/v1/live/watching", "stream"),
            ("/api/v1/stats", "api"),
            ("/api/login", "server_fn"),
            ("/assets/abc/pkg/keytrack.wasm", "asset"),
            ("/downloads/linux/keytrack-agent", "download"),
            ("/healthz/ready", "health"),
            ("/metrics", "metrics"),
            ("/teams/7", "page"),
            ("/", "page"),
        ] {
            assert_eq!(route_class(path), class, "{path}");
        }
    }

    #[test]
    fn the_text_names_every_metric_with_its_figures() {
        let metrics = Metrics::new();
        metrics.uploads.inc();
        metrics.minutes_stored.inc_by(3);
        metrics.request_class(route_class("/api/v1/activity"), 0.002);
        metrics.refused("invalid_activity");
        let text = metrics.encode(Some(Census { database_bytes: 4_096, sessions: 2, accounts: 1 }));
        for line in [
            "keytrack_uploads_total 1",
            "keytrack_minutes_stored_total 3",
            "keytrack_refusals_total{code=\"invalid_activity\"} 1",
            "keytrack_request_duration_seconds_count{class=\"upload\"} 1",
            "keytrack_database_bytes 4096",
            "keytrack_sessions 2",
            "keytrack_accounts 1",
            "keytrack_live_streams 0",
            "keytrack_writer_queue_depth 0",
        ] {
            assert!(text.lines().any(|l| l == line), "{line:?} in\n{text}");
        }
        assert!(text.ends_with("# EOF\n"));
    }
}
