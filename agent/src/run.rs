//! `keytrack-agent run`: capture -> aggregate -> spool, and an uploader thread that empties the
//! spool into the server with exponential backoff. Nothing is lost on the way: minute totals and
//! complete hour blocks leave the spool only when the server has accepted them, and the server's
//! merge rule makes re-sends safe. Key detail not yet in a complete block stays in memory while
//! the agent runs and is written to the spool only when it stops (see `spool`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use keytrack_wire::live::{LIVE_UPLOAD_MS, WATCH_WAIT_SECS};
use keytrack_wire::{ActivityBatch, ActivityMinute, Device, HourBlock};
use rand::Rng;

use crate::aggregate::{Aggregator, UtcOffsetAt};
use crate::client::{Client, ClientError};
use crate::config::{self, Config};
use crate::event::{Gate, now_ms};
use crate::focus::{self, NeverCountList};
use crate::input::{Capture, CaptureError, DESKTOP_CHECK};
use crate::log;
use crate::spool::Spool;

/// Minutes per upload: well under the server's limits (1,440 minutes, 1 MiB) even for busy minutes.
const BATCH_MINUTES: usize = 240;
/// Hour blocks per upload (each at most about 60 KB, with every grid cell visited).
const BATCH_BLOCKS: usize = 8;
/// How often the running agent looks at `pause.json` (a `pause` command waits for its answer).
const PAUSE_CHECK_MS: i64 = 100;
const MAX_BACKOFF: Duration = Duration::from_secs(600);

pub struct RunOptions {
    pub dir: PathBuf,
    pub flush: Duration,
}

/// Why `run` ended badly, with the exit code it maps to.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Capture(#[from] CaptureError),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Runs until `stop` is set (then saves and makes a last upload attempt) or capture fails.
pub fn run(
    options: &RunOptions,
    config: &Config,
    capture: Box<dyn Capture>,
    utc_offset_at: UtcOffsetAt,
    stop: &AtomicBool,
) -> Result<(), RunError> {
    let _running = config::hold_run_lock(&options.dir)?;
    let mut read_desktop = capture.desktop_reader();
    let mut desktop = read_desktop()?;
    let mut spool = Spool::open(&options.dir)?;
    let mut aggregator = Aggregator::new(desktop.clone(), utc_offset_at);

    let (events_tx, events) = mpsc::channel();
    let (errors_tx, errors) = mpsc::channel();
    let gate = Gate::default();
    let never_count = Arc::new(NeverCountList::new(config.never_count.list()));
    // The profile's list as last received, until the next upload's receipt says again.
    if let Some(apps) = spool.fact(PROFILE_NEVER_COUNT)?.and_then(|json| serde_json::from_str(&json).ok()) {
        never_count.set_profile(apps);
    }
    focus::watch(capture.focus_reader(), Arc::clone(&never_count), gate.clone(), events_tx.clone())
        .map_err(|e| anyhow::anyhow!("cannot start the focus thread: {e}"))?;
    capture.start(events_tx, gate.clone(), errors_tx)?;
    let uploader = Uploader::start(options, config, Arc::clone(&never_count))?;
    let live_until = watch_for_viewers(&options.dir, config)?;
    // Only now that nothing can fail before the loop: from here the pending detail lives in
    // memory, and the end of this function writes it back (events wait in the channel meanwhile).
    let pending = spool.take_pending()?;
    aggregator.resume(spool.unfinished()?, pending);
    log::info(&format!(
        "capturing on {}; saving every {} s; uploading to {}",
        desktop.describe(),
        options.flush.as_secs_f64(),
        config.server
    ));

    let mut next_flush = now_ms() + options.flush.as_millis() as i64;
    let mut next_pause_check = 0;
    let mut next_desktop_check = now_ms() + DESKTOP_CHECK.as_millis() as i64;
    let mut acknowledged = config::load_pause_ack(&options.dir);
    let mut config_seen = changed_at(&options.dir);
    let outcome = loop {
        if stop.load(Ordering::Relaxed) {
            break Ok(());
        }
        match events.recv_timeout(Duration::from_millis(100)) {
            Ok(event) => {
                aggregator.handle(&event);
                while let Ok(event) = events.try_recv() {
                    aggregator.handle(&event);
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {}
        }
        if let Ok(error) = errors.try_recv() {
            break Err(RunError::Capture(error));
        }
        let now = now_ms();
        // While someone watches, the open minute leaves every LIVE_UPLOAD_MS instead of once a flush.
        if now < live_until.load(Ordering::Relaxed) {
            next_flush = next_flush.min(now + LIVE_UPLOAD_MS as i64);
        }
        if now >= next_pause_check {
            next_pause_check = now + PAUSE_CHECK_MS;
            let pause = config::load_pause(&options.dir);
            let pause_now = config::is_paused(pause, now / 1000);
            if gate.paused.swap(pause_now, Ordering::Relaxed) != pause_now {
                if pause_now {
                    aggregator.end_typing();
                    log::info("paused: nothing is captured until resume");
                } else {
                    aggregator.forget_held_keys();
                    log::info("resumed");
                }
            }
            // `keytrack-agent never-count add|remove` changed the config.
            let config_now = changed_at(&options.dir);
            if config_now != config_seen {
                config_seen = config_now;
                if let Ok(config) = config::load(&options.dir) {
                    never_count.set_own(config.never_count.list());
                }
            }
            // Answered only once capture has changed: `pause` returns after this.
            if let Some(pause) = pause
                && acknowledged != Some(pause.id)
            {
                match config::save_pause_ack(&options.dir, pause.id) {
                    Ok(()) => acknowledged = Some(pause.id),
                    Err(e) => log::error(&format!("cannot confirm the pause: {e:#}")),
                }
            }
        }
        if now >= next_desktop_check {
            next_desktop_check = now + DESKTOP_CHECK.as_millis() as i64;
            // A failed reading (the X server busy for a moment) keeps the displays as they were.
            if let Ok(now_desktop) = read_desktop()
                && now_desktop != desktop
            {
                log::info(&format!("the displays changed: now capturing on {}", now_desktop.describe()));
                desktop = now_desktop;
                aggregator.set_desktop(desktop.clone());
            }
        }
        if now >= next_flush {
            let live = now < live_until.load(Ordering::Relaxed);
            next_flush = now + if live { LIVE_UPLOAD_MS as i64 } else { options.flush.as_millis() as i64 };
            if let Err(e) = flush(&mut aggregator, &mut spool, now) {
                log::error(&format!("cannot save to the spool: {e:#}"));
            }
            uploader.wake();
        }
    };
    // Save what is open as unfinished (the next run continues those minutes) and the key detail
    // not yet in a complete block, then try once more to upload before leaving.
    let now = now_ms();
    let saved = flush(&mut aggregator, &mut spool, now).and_then(|()| {
        aggregator.end_typing();
        spool.save(&aggregator.open_changes(), false)?;
        spool.set_pending(aggregator.take_pending().as_ref())
    });
    if let Err(e) = &saved {
        log::error(&format!("cannot save to the spool: {e:#}"));
    }
    uploader.stop();
    log::info("stopped");
    outcome
}

fn flush(aggregator: &mut Aggregator, spool: &mut Spool, now: i64) -> anyhow::Result<()> {
    let finished = aggregator.take_finished(now);
    let dropped = spool.save(&finished, true)? + spool.save(&aggregator.open_changes(), false)?;
    spool.save_blocks(&aggregator.take_blocks(now))?;
    if dropped > 0 {
        log::warn(&format!("the spool is full: dropped the {dropped} oldest minutes that never reached the server"));
    }
    Ok(())
}

/// The client of the current pairing: `keytrack-agent pair` run again while this agent runs
/// writes a new config (a new token, say), and the next upload or question uses it.
struct Pairing {
    dir: std::path::PathBuf,
    client: Client,
    seen: Option<std::time::SystemTime>,
}

impl Pairing {
    fn new(dir: &std::path::Path, config: &Config) -> anyhow::Result<Pairing> {
        Ok(Pairing {
            dir: dir.to_path_buf(),
            client: Client::new(&config.server, &config.token)?,
            seen: changed_at(dir),
        })
    }

    /// The client, made again first when the config names another server or token.
    fn client(&mut self) -> &Client {
        let now = changed_at(&self.dir);
        if now != self.seen {
            self.seen = now;
            if let Ok(config) = config::load(&self.dir)
                && !self.client.is_for(&config.server, &config.token)
            {
                match Client::new(&config.server, &config.token) {
                    Ok(client) => {
                        self.client = client;
                        log::info(&format!(
                            "paired again: from now on uploading to {} with the new token",
                            config.server
                        ));
                    }
                    Err(e) => log::warn(&format!("the new pairing cannot be used ({e:#}); keeping the old one")),
                }
            }
        }
        &self.client
    }
}

/// When the config file last changed.
fn changed_at(dir: &std::path::Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(config::config_path(dir)).and_then(|m| m.modified()).ok()
}

/// Starts the thread that asks the server whether a dashboard showing this user's data is open;
/// the returned time (Unix ms) is how long the live cadence lasts. The thread holds one question
/// open at a time (the server answers within 25 s) and ends with the process; against a server
/// without a live view it asks again only every 10 minutes.
fn watch_for_viewers(dir: &std::path::Path, config: &Config) -> anyhow::Result<Arc<AtomicI64>> {
    let live_until = Arc::new(AtomicI64::new(0));
    let mut pairing = Pairing::new(dir, config)?;
    let until = Arc::clone(&live_until);
    std::thread::Builder::new().name("watch".into()).spawn(move || {
        let mut failures: u32 = 0;
        loop {
            match pairing.client().watching(WATCH_WAIT_SECS) {
                Ok(answer) if answer.watching => {
                    failures = 0;
                    let live_ms = i64::from(answer.live_secs) * 1000;
                    until.store(now_ms() + live_ms, Ordering::Relaxed);
                    // Ask again halfway, so that the cadence never lapses while someone watches.
                    std::thread::sleep(Duration::from_millis((live_ms / 2).max(1000) as u64));
                }
                Ok(_) => failures = 0,
                Err(ClientError::Refused { status: 404, .. }) => std::thread::sleep(Duration::from_secs(600)),
                Err(_) => {
                    failures = failures.saturating_add(1);
                    std::thread::sleep(backoff(failures));
                }
            }
        }
    })?;
    Ok(live_until)
}

/// The upload thread: sends waiting minutes oldest first; on failure waits with exponential
/// backoff and jitter, then tries again.
/// The spool fact that keeps the profile's never-count list between runs.
const PROFILE_NEVER_COUNT: &str = "profile_never_count";

struct Uploader {
    wake: mpsc::Sender<Wake>,
    thread: JoinHandle<()>,
}

enum Wake {
    Flushed,
    Stop,
}

impl Uploader {
    fn start(options: &RunOptions, config: &Config, never_count: Arc<NeverCountList>) -> anyhow::Result<Uploader> {
        let spool = Spool::open(&options.dir)?;
        let pairing = Pairing::new(&options.dir, config)?;
        let device = Device { id: config.device_id.clone(), name: config.device_name.clone() };
        let idle = options.flush;
        let (wake, woken) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("upload".into())
            .spawn(move || upload_loop(spool, pairing, device, idle, woken, &never_count))?;
        Ok(Uploader { wake, thread })
    }

    fn wake(&self) {
        let _ = self.wake.send(Wake::Flushed);
    }

    fn stop(self) {
        let _ = self.wake.send(Wake::Stop);
        let _ = self.thread.join();
    }
}

fn upload_loop(
    mut spool: Spool,
    mut pairing: Pairing,
    device: Device,
    idle: Duration,
    woken: Receiver<Wake>,
    never_count: &NeverCountList,
) {
    let mut failures: u32 = 0;
    let mut next_try = Instant::now();
    loop {
        let stopping = match woken.recv_timeout(next_try.saturating_duration_since(Instant::now())) {
            Ok(Wake::Stop) | Err(RecvTimeoutError::Disconnected) => true,
            // After a failure, new data does not cut the backoff short.
            Ok(Wake::Flushed) if failures > 0 && Instant::now() < next_try => continue,
            Ok(Wake::Flushed) | Err(RecvTimeoutError::Timeout) => false,
        };
        match upload_waiting(&mut spool, pairing.client(), &device, never_count) {
            Ok(more) => {
                if failures > 0 {
                    log::info("the server is reachable again; uploading what waited");
                }
                failures = 0;
                next_try = Instant::now() + if more { Duration::ZERO } else { idle };
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                let wait = backoff(failures);
                next_try = Instant::now() + wait;
                log::warn(&format!(
                    "upload failed ({e}); {} minutes wait in the spool; next try in {:.0} s",
                    spool.waiting_count().unwrap_or(0),
                    wait.as_secs_f64()
                ));
            }
        }
        if stopping {
            return;
        }
    }
}

/// Uploads one batch; `Ok(true)` when more is waiting.
fn upload_waiting(
    spool: &mut Spool,
    client: &Client,
    device: &Device,
    never_count: &NeverCountList,
) -> Result<bool, String> {
    let waiting = spool.waiting(BATCH_MINUTES).map_err(|e| format!("{e:#}"))?;
    let blocks = spool.waiting_blocks(BATCH_BLOCKS).map_err(|e| format!("{e:#}"))?;
    if waiting.is_empty() && blocks.is_empty() {
        return Ok(false);
    }
    let now = now_ms() / 1000;
    // A record the server would refuse would block the queue forever: check each one here and
    // set aside (with an error in the log) the ones that cannot be accepted.
    let alone = |minutes: Vec<ActivityMinute>, blocks: Vec<HourBlock>| {
        ActivityBatch::new(device.clone(), minutes, blocks).validate(now).is_ok()
    };
    let (good, bad): (Vec<_>, Vec<_>) = waiting.into_iter().partition(|item| alone(vec![item.record.clone()], vec![]));
    let (good_blocks, bad_blocks): (Vec<_>, Vec<_>) =
        blocks.into_iter().partition(|block| alone(vec![], vec![block.clone()]));
    if !bad.is_empty() || !bad_blocks.is_empty() {
        log::error(&format!(
            "set aside {} minutes and {} hour blocks the server would refuse",
            bad.len(),
            bad_blocks.len()
        ));
        spool.mark_sent(&bad, &bad_blocks, now).map_err(|e| format!("{e:#}"))?;
    }
    if good.is_empty() && good_blocks.is_empty() {
        return Ok(true);
    }
    let batch =
        ActivityBatch::new(device.clone(), good.iter().map(|w| w.record.clone()).collect(), good_blocks.clone());
    match client.upload(&batch) {
        Ok(receipt) => {
            spool.mark_sent(&good, &good_blocks, now).map_err(|e| format!("{e:#}"))?;
            // Kept in the spool only when it changed: most receipts repeat the list.
            if let Some(apps) = receipt.never_count {
                let json = serde_json::to_string(&apps).unwrap_or_default();
                if never_count.set_profile(apps) {
                    let _ = spool.set_fact(PROFILE_NEVER_COUNT, &json);
                }
            }
            let _ = spool.set_fact("last_upload", &now.to_string());
            Ok(good.len() == BATCH_MINUTES || good_blocks.len() == BATCH_BLOCKS)
        }
        Err(ClientError::Unauthorized) => Err(ClientError::Unauthorized.to_string()),
        Err(e) => Err(e.to_string()),
    }
}

/// 2 s, 4 s, 8 s ... up to 10 minutes, each between half and one and a half times that, so that
/// many agents coming back after an outage do not all knock at once.
fn backoff(failures: u32) -> Duration {
    let base = Duration::from_secs(2).saturating_mul(1 << failures.min(12).saturating_sub(1));
    let capped = base.min(MAX_BACKOFF);
    capped.mul_f64(rand::thread_rng().gen_range(0.5..1.5))
}

/// The agent's directory from the command line, the environment or the platform default.
pub fn resolve_dir(flag: Option<&Path>) -> anyhow::Result<PathBuf> {
    match flag {
        // Absolute, so that what `install-service` writes (a systemd unit, the Windows Run key,
        // which starts programs in another directory) names the same place. On Windows this also
        // gives `/tmp/x` its drive.
        Some(dir) => std::path::absolute(dir).map_err(|e| anyhow::anyhow!("cannot resolve {}: {e}", dir.display())),
        None => config::default_dir(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        for failures in 1..40 {
            let wait = backoff(failures);
            assert!(wait <= MAX_BACKOFF.mul_f64(1.5), "{failures}: {wait:?}");
            assert!(wait >= Duration::from_secs(1), "{failures}: {wait:?}");
        }
        assert!(backoff(1) < Duration::from_secs(4));
        assert!(backoff(20) >= Duration::from_secs(300));
    }
}
