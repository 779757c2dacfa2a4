//! `keytrack-bench export-workload`: the benchmark's synthetic activity as 5-second input-count
//! events, to feed the same activity to other activity servers (see BENCHMARKS.md).

use chrono::{DateTime, SecondsFormat};
use keytrack_synth::{SyntheticMinute, SyntheticPerson};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

/// Counts of input over 5 seconds, the shape activity watchers such as ActivityWatch's
/// aw-watcher-input record: key presses, clicks, pointer travel across and down in pixels, and
/// scroll notches. `keytrack-bench export-workload` writes these, one JSON object a line.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InputCountEvent {
    /// Start, RFC 3339 in UTC.
    pub timestamp: String,
    /// Seconds.
    pub duration: f64,
    pub presses: u64,
    pub clicks: u64,
    pub delta_x: u64,
    pub delta_y: u64,
    pub scroll_x: u64,
    pub scroll_y: u64,
}

/// Writes benchmark user `user`'s last `days` days (the activity `keytrack-bench` loads for them)
/// as 5-second input-count events, one JSON object a line, to `out` (`-`: standard output).
/// Returns the number of events.
pub fn export_jsonl(out: &std::path::Path, user: usize, days: i64, seed: u64, now: i64) -> anyhow::Result<usize> {
    use std::io::Write;
    let writer: Box<dyn Write> = if out.as_os_str() == "-" {
        Box::new(std::io::stdout().lock())
    } else {
        Box::new(std::fs::File::create(out).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", out.display()))?)
    };
    let mut writer = std::io::BufWriter::new(writer);
    let seed = crate::bench::user_seed(seed, user);
    let person = SyntheticPerson::new(crate::bench::TIMEZONE, days, now, seed).map_err(|e| anyhow::anyhow!("{e}"))?;
    // Its own generator for the slicing, so the minutes stay exactly the benchmark's.
    let mut slicing = StdRng::seed_from_u64(seed ^ 0x5eed_5eed);
    let mut events = 0;
    for minute in person.flat_map(|day| day.minutes) {
        for event in five_second_events(&minute, &mut slicing) {
            serde_json::to_writer(&mut writer, &event)?;
            writer.write_all(b"\n")?;
            events += 1;
        }
    }
    writer.flush()?;
    Ok(events)
}

/// Slices of a minute.
const SLICES: usize = 12;

/// Splits `total` over `weights` in proportion, exactly (the remainder goes to the first slices).
fn split(total: u64, weights: &[u64]) -> Vec<u64> {
    let sum: u64 = weights.iter().sum::<u64>().max(1);
    let mut parts: Vec<u64> = weights.iter().map(|w| total * w / sum).collect();
    // Each part was rounded down by less than one, so fewer than `weights.len()` are left over.
    let rest = total - parts.iter().sum::<u64>();
    for part in parts.iter_mut().take(rest as usize) {
        *part += 1;
    }
    parts
}

/// The minute as 5-second input-count events: its activity spread over a run of consecutive
/// slices as long as its active seconds, in uneven amounts; the sums are the minute's. Slices
/// without input are left out, as watchers leave out idle time.
pub fn five_second_events(minute: &SyntheticMinute, rng: &mut StdRng) -> Vec<InputCountEvent> {
    let record = &minute.record;
    let active = (record.active_seconds as usize).div_ceil(5).clamp(1, SLICES);
    let first = rng.gen_range(0..=SLICES - active);
    let weights: Vec<u64> = (0..active).map(|_| rng.gen_range(1..=10)).collect();
    let columns = [
        record.total_presses(),
        record.clicks.total(),
        minute.travel_x,
        minute.travel_y,
        u64::from(record.scroll.horizontal),
        u64::from(record.scroll.vertical),
    ]
    .map(|total| split(total, &weights));
    (0..active)
        .filter_map(|i| {
            let [presses, clicks, delta_x, delta_y, scroll_x, scroll_y] = columns.each_ref().map(|c| c[i]);
            if presses + clicks + delta_x + delta_y + scroll_x + scroll_y == 0 {
                return None;
            }
            let start = record.minute + 5 * (first + i) as i64;
            let timestamp = DateTime::from_timestamp(start, 0)?.to_rfc3339_opts(SecondsFormat::Secs, true);
            Some(InputCountEvent { timestamp, duration: 5.0, presses, clicks, delta_x, delta_y, scroll_x, scroll_y })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use keytrack_synth::SyntheticDay;

    const NOW: i64 = 1_795_500_000; // 2026-11-25

    #[test]
    fn five_second_events_add_up_to_their_minute() {
        let mut rng = StdRng::seed_from_u64(3);
        let days: Vec<SyntheticDay> = SyntheticPerson::new("UTC", 3, NOW, 3).expect("person").collect();
        for minute in days.iter().flat_map(|d| &d.minutes) {
            let events = five_second_events(minute, &mut rng);
            let sum = |f: fn(&InputCountEvent) -> u64| events.iter().map(f).sum::<u64>();
            let r = &minute.record;
            assert_eq!(sum(|e| e.presses), r.total_presses());
            assert_eq!(sum(|e| e.clicks), r.clicks.total());
            assert_eq!((sum(|e| e.delta_x), sum(|e| e.delta_y)), (minute.travel_x, minute.travel_y));
            assert_eq!(sum(|e| e.scroll_y), u64::from(r.scroll.vertical));
            assert!(events.len() <= SLICES);
            let starts: Vec<i64> = events
                .iter()
                .map(|e| DateTime::parse_from_rfc3339(&e.timestamp).expect("timestamp").timestamp())
                .collect();
            assert!(
                starts.windows(2).all(|w| w[0] < w[1]) && starts.iter().all(|s| (r.minute..r.minute + 60).contains(s))
            );
        }
    }

    #[test]
    fn splitting_keeps_the_total() {
        assert_eq!(split(10, &[1, 1, 1]), [4, 3, 3]);
        assert_eq!(split(0, &[5, 2]), [0, 0]);
        assert_eq!(split(7, &[10]), [7]);
        assert_eq!(split(1_000_003, &[3, 9, 1, 7]).iter().sum::<u64>(), 1_000_003);
    }
}
