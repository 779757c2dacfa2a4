//! `keytrack-agent bench`: what the agent costs. Two figures under a synthetic stream of 10 keys
//! and 125 pointer moves a second (a fast typist who also uses the mouse):
//! - aggregation CPU time per input event (a tight loop over an hour of simulated input);
//! - on Linux, the same for the evdev capture's path as a whole: the kernel's events of that
//!   stream decoded, checked for copies under the devices' lock, gated and aggregated;
//! - the peak resident memory of the whole agent (capture thread, aggregation, spool, uploader)
//!   running that stream in real time.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use crate::aggregate::Aggregator;
use crate::config::Config;
use crate::desktop::Desktop;
use crate::event::{Button, Gate, Input, InputEvent, KeyCode, now_ms};
use crate::input::{Capture, CaptureError, DesktopReader};
use crate::run::{RunOptions, run};

pub const KEYS_PER_SEC: u32 = 10;
pub const MOVES_PER_SEC: u32 = 125;

/// Keys in rough English proportions (letters and space); the order is a fixed pseudo-random walk.
const KEYS: &[KeyCode] = &[
    "Space",
    "KeyE",
    "KeyT",
    "KeyA",
    "KeyO",
    "KeyI",
    "KeyN",
    "Space",
    "KeyS",
    "KeyH",
    "KeyR",
    "KeyD",
    "KeyL",
    "KeyC",
    "KeyU",
    "KeyM",
    "KeyW",
    "KeyF",
    "KeyG",
    "KeyY",
    "KeyP",
    "KeyB",
    "Space",
    "KeyE",
    "KeyT",
    "KeyA",
    "KeyO",
    "KeyV",
    "KeyK",
    "Backspace",
    "Period",
    "Comma",
];

/// The synthetic input: one second of it at a time, events spaced evenly, deterministic.
struct Stream {
    seed: u64,
    x: f64,
    y: f64,
}

impl Stream {
    fn new() -> Stream {
        Stream { seed: 0x5eed, x: 960.0, y: 540.0 }
    }

    fn next_random(&mut self) -> u64 {
        // xorshift64: cheap and fixed, so every run sees the same input.
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        self.seed
    }

    /// The events of the second starting at `start_ms`, in time order.
    fn second(&mut self, start_ms: i64, out: &mut Vec<InputEvent>) {
        out.clear();
        let key_gap = 1000 / i64::from(KEYS_PER_SEC);
        let move_gap = 1000.0 / f64::from(MOVES_PER_SEC);
        for i in 0..i64::from(KEYS_PER_SEC) {
            let key = KEYS[(self.next_random() % KEYS.len() as u64) as usize];
            let at = start_ms + i * key_gap;
            out.push(InputEvent { at_ms: at, input: Input::KeyDown(key) });
            out.push(InputEvent { at_ms: at + 40, input: Input::KeyUp(key) });
        }
        for i in 0..MOVES_PER_SEC {
            let step = self.next_random();
            self.x = (self.x + (step % 21) as f64 - 10.0).clamp(0.0, 1919.0);
            self.y = (self.y + ((step >> 8) % 21) as f64 - 10.0).clamp(0.0, 1079.0);
            out.push(InputEvent {
                at_ms: start_ms + (f64::from(i) * move_gap) as i64,
                input: Input::Move { x: self.x, y: self.y },
            });
        }
        if self.next_random().is_multiple_of(4) {
            out.push(InputEvent { at_ms: start_ms + 500, input: Input::ButtonDown(Button::Left) });
        }
        out.sort_by_key(|e| e.at_ms);
    }
}

/// Nanoseconds of CPU per input event for aggregation alone, over `seconds` of simulated input.
pub fn aggregation_ns_per_event(seconds: u32) -> (f64, u64) {
    let mut stream = Stream::new();
    let mut aggregator = Aggregator::new(Desktop::single(1920, 1080), Box::new(|_| 0));
    let start_ms = 1_795_514_400_000;
    let mut events = Vec::with_capacity(256);
    let mut count = 0u64;
    let mut spent = Duration::ZERO;
    for s in 0..i64::from(seconds) {
        stream.second(start_ms + s * 1000, &mut events);
        let began = Instant::now();
        for event in &events {
            aggregator.handle(event);
        }
        // The run loop hands out finished minutes and blocks once per flush; include that work.
        let finished = aggregator.take_finished(start_ms + (s + 1) * 1000);
        let blocks = aggregator.take_blocks(start_ms + (s + 1) * 1000);
        spent += began.elapsed();
        count += events.len() as u64;
        std::hint::black_box((finished, blocks));
    }
    (spent.as_nanos() as f64 / count as f64, count)
}

/// Nanoseconds of CPU per input event on the evdev capture's path, from the kernel's events (a
/// key's press, release and their frames; a move's x, y and frame) to the aggregator, over
/// `seconds` of simulated input: what a device's thread does with each event, the lock included.
#[cfg(target_os = "linux")]
pub fn evdev_ns_per_event(seconds: u32) -> (f64, u64) {
    use crate::evdev::decode::{BTN_LEFT, Copies, Decoder, EV_KEY, EV_REL, EV_SYN, REL_X, REL_Y};
    use crate::evdev::keys::{key_code, named_codes};
    let kernel_code = |key: KeyCode| named_codes().find(|code| key_code(*code) == Some(key)).unwrap_or(0);
    let mut stream = Stream::new();
    let mut aggregator = Aggregator::new(Desktop::single(1, 1), Box::new(|_| 0));
    let (mut decoder, copies, gate) = (Decoder::default(), std::sync::Mutex::new(Copies::default()), Gate::default());
    let start_ms = 1_795_514_400_000;
    let (mut events, mut kernel) = (Vec::with_capacity(256), Vec::with_capacity(1024));
    let (mut x, mut y) = (960.0, 540.0);
    let (mut count, mut spent) = (0u64, Duration::ZERO);
    for s in 0..i64::from(seconds) {
        stream.second(start_ms + s * 1000, &mut events);
        // The kernel's events of this second, made before the clock runs.
        kernel.clear();
        for event in &events {
            let at_us = event.at_ms * 1000;
            match event.input {
                Input::KeyDown(key) => kernel.push((at_us, EV_KEY, kernel_code(key), 1)),
                Input::KeyUp(key) => kernel.push((at_us, EV_KEY, kernel_code(key), 0)),
                Input::ButtonDown(_) => kernel.push((at_us, EV_KEY, BTN_LEFT, 1)),
                Input::Move { x: to_x, y: to_y } => {
                    kernel.push((at_us, EV_REL, REL_X, (to_x - x) as i32));
                    kernel.push((at_us, EV_REL, REL_Y, (to_y - y) as i32));
                    (x, y) = (to_x, to_y);
                }
                _ => continue,
            }
            kernel.push((at_us, EV_SYN, 0, 0));
        }
        let began = Instant::now();
        for (at_us, kind, code, value) in &kernel {
            let Some(input) = decoder.feed(*kind, *code, *value) else {
                continue;
            };
            let copy = copies.lock().map(|mut c| c.copy_by(0, &input, *at_us).is_some()).unwrap_or(false);
            if let Some(input) = gate.pass(input).filter(|_| !copy) {
                aggregator.handle(&InputEvent { at_ms: at_us / 1000, input });
                count += 1;
            }
        }
        let finished = aggregator.take_finished(start_ms + (s + 1) * 1000);
        let blocks = aggregator.take_blocks(start_ms + (s + 1) * 1000);
        spent += began.elapsed();
        std::hint::black_box((finished, blocks));
    }
    (spent.as_nanos() as f64 / count as f64, count)
}

/// Feeds the stream in real time for a while, then asks the agent to stop.
struct RealTimeSynthetic {
    seconds: u32,
    stop: Arc<AtomicBool>,
}

impl Capture for RealTimeSynthetic {
    fn desktop_reader(&self) -> DesktopReader {
        Box::new(|| Ok(Desktop::single(1920, 1080)))
    }

    fn start(
        self: Box<Self>,
        sink: Sender<InputEvent>,
        gate: Gate,
        _errors: Sender<CaptureError>,
    ) -> Result<(), CaptureError> {
        std::thread::spawn(move || {
            let mut stream = Stream::new();
            let mut events = Vec::with_capacity(256);
            let began = Instant::now();
            for s in 0..self.seconds {
                let second_start = now_ms();
                stream.second(second_start, &mut events);
                for event in &events {
                    let due = began
                        + Duration::from_secs(u64::from(s))
                        + Duration::from_millis((event.at_ms - second_start) as u64);
                    if let Some(wait) = due.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                    if let Some(input) = gate.pass(event.input.clone()) {
                        let _ = sink.send(InputEvent { at_ms: event.at_ms, input });
                    }
                }
            }
            self.stop.store(true, Ordering::Relaxed);
        });
        Ok(())
    }
}

/// Peak resident set size of this process so far, in bytes (Linux only).
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

pub fn run_bench(seconds: u32, rss_seconds: u32) -> anyhow::Result<()> {
    println!(
        "synthetic input: {KEYS_PER_SEC} keys/s + {MOVES_PER_SEC} pointer moves/s (+ a click every 4 s on average)"
    );
    let dir = tempfile_dir()?;
    let config = Config {
        // Nothing listens there: the uploader backs off and the spool keeps everything, as in an outage.
        server: "http://127.0.0.1:9".into(),
        token: "kt_bench".into(),
        device_id: "bench".into(),
        device_name: "bench".into(),
        never_count: Default::default(),
    };
    let options = RunOptions { dir: dir.clone(), flush: Duration::from_secs(1) };
    let stop = Arc::new(AtomicBool::new(false));
    let capture = RealTimeSynthetic { seconds: rss_seconds, stop: Arc::clone(&stop) };
    run(&options, &config, Box::new(capture), Box::new(|_| 0), &stop).map_err(|e| anyhow::anyhow!("{e}"))?;
    match peak_rss_bytes() {
        Some(bytes) => {
            println!("agent peak RSS: {:.1} MB (whole agent, {rss_seconds} s of real-time input)", bytes as f64 / 1e6)
        }
        None => println!("agent peak RSS: unknown (no /proc on this system)"),
    }
    let _ = std::fs::remove_dir_all(&dir);
    let (ns, events) = aggregation_ns_per_event(seconds);
    println!("aggregation: {ns:.0} ns per input event ({events} events, {seconds} s of input)");
    #[cfg(target_os = "linux")]
    {
        let (ns, events) = evdev_ns_per_event(seconds);
        println!(
            "evdev capture: {ns:.0} ns per input event from the kernel's events to the aggregator (decode, copy check, gate, aggregation; {events} events, {seconds} s of input)"
        );
    }

    Ok(())
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("keytrack-agent-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
