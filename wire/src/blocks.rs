//! Hour blocks: how key detail is gathered and when it may leave a device.
//!
//! ```text
//! hour 9: 120 presses ─┐ carried (fewer than 200)
//! hour 10: 40 presses ─┤ carried
//! hour 11: 90 presses ─┴─> block [9:00, 12:00) with 250 presses, sent once after 12:00
//! ```
//!
//! The agent, the server's upgrade of first-release data and the synthetic workload all cut
//! blocks with [`BlockFolder`], so there is one rule and one place that says it.

use std::collections::BTreeMap;

use crate::activity::{
    ActivityBatch, ActivityMinute, CURRENT_FORMAT, DisplayPlace, GridCount, HOUR_SECS, HourBlock, LEGACY_FORMAT,
    MIN_BLOCK_PRESSES, ScreenActivity,
};
use crate::apps::AppUsage;

/// Adds `n` to the count of `name`, allocating the name only when it is new.
fn add_count(map: &mut BTreeMap<String, u32>, name: &str, n: u32) {
    match map.get_mut(name) {
        Some(count) => *count = count.saturating_add(n),
        None => {
            map.insert(name.to_string(), n);
        }
    }
}

/// Adds grid cells into a sorted list of cells (row, then column).
fn add_cells(into: &mut Vec<GridCount>, cells: &[GridCount]) {
    for cell in cells {
        match into.binary_search_by_key(&(cell.1, cell.0), |g| (g.1, g.0)) {
            Ok(at) => into[at].2 = into[at].2.saturating_add(cell.2),
            Err(at) => into.insert(at, *cell),
        }
    }
}

/// The start of the UTC hour a Unix second falls in.
pub fn hour_of(unix_secs: i64) -> i64 {
    unix_secs - unix_secs.rem_euclid(HOUR_SECS)
}

impl HourBlock {
    /// An empty block for the hour that starts at `hour` (a multiple of 3600).
    pub fn for_hour(hour: i64) -> HourBlock {
        HourBlock { start: hour, end: hour.saturating_add(HOUR_SECS), ..HourBlock::default() }
    }

    /// Key presses in the block.
    pub fn presses(&self) -> u64 {
        self.keys.values().map(|n| u64::from(*n)).sum()
    }

    /// Whole hours the block covers.
    pub fn hours(&self) -> i64 {
        (self.end.saturating_sub(self.start) / HOUR_SECS).max(1)
    }

    /// True when the block holds no key or pointer detail at all.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
            && self.chords.is_empty()
            && self.screens.is_empty()
            && self.apps.is_empty()
            && self.excluded_seconds == 0
    }

    /// Adds the use of one application (kept sorted by name, each name once).
    pub fn add_app(&mut self, usage: &AppUsage) {
        match self.apps.binary_search_by(|a| a.name.as_str().cmp(&usage.name)) {
            Ok(at) => self.apps[at].add(usage),
            Err(at) => self.apps.insert(at, usage.clone()),
        }
    }

    /// Adds key presses of one physical key.
    pub fn add_key(&mut self, code: &str, n: u32) {
        add_count(&mut self.keys, code, n);
    }

    /// Adds presses of one chord (written canonically, see [`crate::Chord`]).
    pub fn add_chord(&mut self, chord: &str, n: u32) {
        add_count(&mut self.chords, chord, n);
    }

    /// Adds click and movement cells seen on the display at `place`.
    pub fn add_screen(&mut self, place: DisplayPlace, clicks: &[GridCount], moves: &[GridCount]) {
        let at = match self.screens.binary_search_by_key(&place, ScreenActivity::place) {
            Ok(at) => at,
            Err(at) => {
                self.screens.insert(at, ScreenActivity::at(place));
                at
            }
        };
        let screen = &mut self.screens[at];
        add_cells(&mut screen.clicks, clicks);
        add_cells(&mut screen.moves, moves);
    }

    /// Keeps a block of many hours within [`crate::apps::MAX_APPS_PER_BLOCK`] applications: the
    /// least used are summed under [`crate::apps::OTHER_APPS`], so that the block is not refused.
    pub fn limit_apps(&mut self) {
        let most = crate::apps::MAX_APPS_PER_BLOCK;
        if self.apps.len() <= most {
            return;
        }
        self.apps.sort_by(|a, b| (b.active_seconds, b.keys, &a.name).cmp(&(a.active_seconds, a.keys, &b.name)));
        let mut others = AppUsage { name: crate::apps::OTHER_APPS.into(), ..AppUsage::default() };
        for app in self.apps.split_off(most - 1) {
            others.add(&app);
        }
        let seconds = u32::try_from(self.hours().saturating_mul(HOUR_SECS)).unwrap_or(u32::MAX);
        others.active_seconds = others.active_seconds.min(seconds);
        self.apps.sort_by(|a, b| a.name.cmp(&b.name));
        self.add_app(&others);
    }

    /// Adds a later block of the same device into this one: its counts add up and the block now
    /// ends where `later` ends.
    pub fn merge(&mut self, later: HourBlock) {
        self.end = self.end.max(later.end);
        for (code, n) in &later.keys {
            self.add_key(code, *n);
        }
        for (chord, n) in &later.chords {
            self.add_chord(chord, *n);
        }
        for screen in &later.screens {
            self.add_screen(screen.place(), &screen.clicks, &screen.moves);
        }
        self.pairs.merge(&later.pairs);
        for app in &later.apps {
            self.add_app(app);
        }
        self.excluded_seconds = self.excluded_seconds.saturating_add(later.excluded_seconds);
    }
}

/// Gathers a device's hours into blocks by the rule of this module: an hour's detail is added
/// once the hour is over, and the block leaves as soon as it holds [`MIN_BLOCK_PRESSES`].
#[derive(Debug, Clone, Default)]
pub struct BlockFolder {
    carried: Option<HourBlock>,
    /// Detail of the latest hour given to [`BlockFolder::add`], which may still grow.
    open: Option<HourBlock>,
}

impl BlockFolder {
    /// Continues from a block carried before (an agent restarting).
    pub fn resume(carried: Option<HourBlock>) -> BlockFolder {
        BlockFolder { carried: carried.filter(|b| !b.is_empty()), open: None }
    }

    /// Adds detail of one hour (a minute's, say) given in time order: detail of the same hour
    /// gathers, and detail of a later hour closes the one before. Returns the block that is now
    /// complete, if any.
    pub fn add(&mut self, detail: HourBlock) -> Option<HourBlock> {
        match self.open.as_mut() {
            Some(open) if open.start == detail.start => {
                open.merge(detail);
                None
            }
            _ => self.open.replace(detail).and_then(|closed| self.push(closed)),
        }
    }

    /// Adds the detail of a closed hour (or closed hours), which lie after everything added
    /// before. Returns the block that is now complete, if any: it ends where `closed` ends.
    pub fn push(&mut self, closed: HourBlock) -> Option<HourBlock> {
        if closed.is_empty() {
            return None;
        }
        let block = match self.carried.take() {
            Some(mut carried) => {
                carried.merge(closed);
                carried
            }
            None => closed,
        };
        if block.presses() >= MIN_BLOCK_PRESSES {
            Some(block)
        } else {
            self.carried = Some(block);
            None
        }
    }

    /// Takes the carried block once it is complete: enough presses, and its last hour over by
    /// `now` (a block an agent saved with its hour still open, when it starts again later).
    pub fn take_complete(&mut self, now: i64) -> Option<HourBlock> {
        let complete = self.carried.as_ref().is_some_and(|b| b.presses() >= MIN_BLOCK_PRESSES && b.end <= now);
        if complete { self.carried.take() } else { None }
    }

    /// What waits for more presses.
    pub fn carried(&self) -> Option<&HourBlock> {
        self.carried.as_ref()
    }

    /// Takes what waits for more presses (to save it when the agent stops), the hour given to
    /// [`BlockFolder::add`] last included.
    pub fn into_carried(self) -> Option<HourBlock> {
        let mut carried = self.carried;
        if let Some(open) = self.open.filter(|o| !o.is_empty()) {
            match carried.as_mut() {
                Some(block) => block.merge(open),
                None => carried = Some(open),
            }
        }
        carried
    }
}

impl ActivityMinute {
    /// Key presses in the minute: `presses`, or for a first-release record, its per-key counts.
    pub fn total_presses(&self) -> u64 {
        if self.keys.is_empty() { u64::from(self.presses) } else { self.keys.values().map(|n| u64::from(*n)).sum() }
    }

    /// Turns a first-release record into totals: `presses` is set from its per-key counts, and
    /// its key detail moves into the returned one-hour block (empty for a current record).
    pub fn take_detail(&mut self) -> HourBlock {
        let mut block = HourBlock::for_hour(hour_of(self.minute));
        if self.keys.is_empty() && self.chords.is_empty() && self.screen.is_none() {
            return block;
        }
        self.presses = u32::try_from(self.total_presses()).unwrap_or(u32::MAX);
        block.keys = std::mem::take(&mut self.keys);
        block.chords = std::mem::take(&mut self.chords);
        if let Some(screen) = self.screen.take() {
            block.add_screen(screen.place(), &screen.clicks, &screen.moves);
        }
        block
    }
}

impl ActivityBatch {
    /// Reduces a validated first-release (format 1) batch to what the server keeps of it: each
    /// record's totals, its typing time raised to [`crate::limits::MIN_MS_PER_TYPED_KEY`] per typed key
    /// where that agent measured less. Its key detail is dropped, never stored: every copy of an
    /// open minute such an agent re-sends would otherwise narrow down what was typed.
    pub fn drop_legacy_detail(&mut self) {
        if self.format != LEGACY_FORMAT {
            return;
        }
        for record in &mut self.minutes {
            drop(record.take_detail());
            record.typing = crate::validate::raised_to_the_minimum(&record.typing);
        }
        self.format = CURRENT_FORMAT;
    }
}

/// Cuts detail given in time order (see [`BlockFolder::add`]) into blocks: what a device of the
/// first release would have sent, had it followed today's rule. The blocks come out as they
/// complete; what is left (fewer than [`MIN_BLOCK_PRESSES`]) is the last item, so that nothing
/// already counted is lost.
pub fn fold_hours(details: impl IntoIterator<Item = HourBlock>) -> Vec<HourBlock> {
    let mut folder = BlockFolder::default();
    let mut blocks: Vec<HourBlock> = details.into_iter().filter_map(|detail| folder.add(detail)).collect();
    blocks.extend(folder.into_carried());
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hour(start_hour: i64, presses: u32) -> HourBlock {
        let mut block = HourBlock::for_hour(start_hour * HOUR_SECS);
        block.add_key("KeyA", presses);
        block
    }

    #[test]
    fn quiet_hours_are_carried_until_a_block_holds_200_presses() {
        let mut folder = BlockFolder::default();
        assert_eq!(folder.push(hour(9, 120)), None);
        assert_eq!(folder.push(hour(10, 40)), None);
        let block = folder.push(hour(11, 90)).expect("a complete block");
        assert_eq!((block.start, block.end, block.presses()), (9 * HOUR_SECS, 12 * HOUR_SECS, 250));
        assert!(folder.carried().is_none());
        // A busy hour leaves on its own.
        let busy = folder.push(hour(13, 200)).expect("busy hour");
        assert_eq!((busy.start, busy.end), (13 * HOUR_SECS, 14 * HOUR_SECS));
    }

    #[test]
    fn pointer_only_hours_wait_for_typing() {
        let mut folder = BlockFolder::default();
        let mut moves = HourBlock::for_hour(0);
        moves.add_screen(DisplayPlace::whole(1920, 1080), &[GridCount(1, 1, 3)], &[GridCount(1, 1, 40)]);
        assert_eq!(folder.push(moves), None);
        let block = folder.push(hour(1, 200)).expect("block");
        assert_eq!(block.screens[0].clicks, vec![GridCount(1, 1, 3)]);
        assert_eq!(block.start, 0);
        assert_eq!(folder.push(HourBlock::for_hour(5 * HOUR_SECS)), None, "an empty hour adds nothing");
        assert!(folder.carried().is_none());
    }

    #[test]
    fn merging_adds_counts_and_keeps_cells_sorted_and_unique() {
        let mut a = HourBlock::for_hour(0);
        a.add_key("KeyA", 2);
        a.add_chord("Ctrl+KeyC", 1);
        a.add_screen(DisplayPlace::whole(800, 600), &[GridCount(5, 2, 1)], &[GridCount(9, 0, 2)]);
        let mut b = HourBlock::for_hour(HOUR_SECS);
        b.add_key("KeyA", 3);
        b.add_key("KeyB", 1);
        b.add_chord("Ctrl+KeyC", 2);
        b.add_screen(DisplayPlace::whole(800, 600), &[GridCount(5, 2, 4), GridCount(0, 0, 1)], &[]);
        b.add_screen(DisplayPlace::whole(1920, 1080), &[], &[GridCount(1, 1, 1)]);
        a.merge(b);
        assert_eq!((a.start, a.end), (0, 2 * HOUR_SECS));
        assert_eq!(a.keys, BTreeMap::from([("KeyA".into(), 5), ("KeyB".into(), 1)]));
        assert_eq!(a.chords["Ctrl+KeyC"], 3);
        assert_eq!(a.screens.len(), 2);
        assert_eq!(a.screens[0].clicks, vec![GridCount(0, 0, 1), GridCount(5, 2, 5)]);
    }

    #[test]
    fn merging_adds_applications_by_name_and_excluded_time() {
        let app = |name: &str, keys: u32, active_seconds: u32| AppUsage {
            name: name.into(),
            keys,
            clicks: 1,
            active_seconds,
        };
        let mut a = HourBlock::for_hour(0);
        a.add_app(&app("xterm", 5, 10));
        a.excluded_seconds = 7;
        let mut b = HourBlock::for_hour(HOUR_SECS);
        b.add_app(&app("xterm", 2, 3));
        b.add_app(&app("code", 9, 20));
        b.excluded_seconds = 2;
        a.merge(b);
        assert_eq!(a.apps, vec![app("code", 9, 20), AppUsage { clicks: 2, ..app("xterm", 7, 13) }]);
        assert_eq!(a.excluded_seconds, 9);
        let mut many = HourBlock::for_hour(0);
        for i in 0..300u32 {
            many.add_app(&app(&format!("app{i:03}"), 1, i));
        }
        many.limit_apps();
        assert_eq!(many.apps.len(), crate::apps::MAX_APPS_PER_BLOCK);
        let others = many.apps.iter().find(|a| a.name == crate::apps::OTHER_APPS).expect("others");
        // The 45 least used (0-44 s) are summed; the most used keep their names.
        assert_eq!((others.keys, others.active_seconds), (45, (0..45).sum::<u32>()));
        assert!(many.apps.iter().any(|a| a.name == "app299"));
        assert!(many.apps.windows(2).all(|w| w[0].name < w[1].name));
        let mut only_excluded = HourBlock::for_hour(0);
        only_excluded.excluded_seconds = 1;
        assert!(!only_excluded.is_empty(), "excluded time is kept until a block leaves");
    }

    #[test]
    fn a_first_release_record_splits_into_totals_and_an_hour_of_detail() {
        let mut record = ActivityMinute {
            minute: 7_200 + 120,
            keys: BTreeMap::from([("KeyA".into(), 3), ("ControlLeft".into(), 1)]),
            chords: BTreeMap::from([("Ctrl+KeyA".into(), 1)]),
            screen: Some(ScreenActivity {
                width: 10,
                height: 10,
                clicks: vec![GridCount(0, 0, 1)],
                moves: vec![],
                ..Default::default()
            }),
            ..ActivityMinute::default()
        };
        assert_eq!(record.total_presses(), 4);
        let detail = record.take_detail();
        assert_eq!((record.presses, record.keys.len(), record.screen.is_none()), (4, 0, true));
        assert_eq!((detail.start, detail.end, detail.presses()), (7_200, 10_800, 4));
        assert_eq!(record.take_detail(), HourBlock::for_hour(7_200), "nothing left to take");
    }

    #[test]
    fn detail_of_one_hour_gathers_until_a_later_hour_comes() {
        let mut folder = BlockFolder::default();
        assert_eq!(folder.add(hour(9, 150)), None);
        assert_eq!(folder.add(hour(9, 100)), None, "the same hour: it may still grow");
        let block = folder.add(hour(10, 1)).expect("hour 9 closed with 250");
        assert_eq!((block.start, block.end, block.presses()), (9 * HOUR_SECS, 10 * HOUR_SECS, 250));
        assert_eq!(folder.into_carried().map(|b| b.presses()), Some(1), "the open hour is what is left");
    }

    #[test]
    fn folding_keeps_every_press_including_the_last_carry() {
        let blocks = fold_hours((0..10).map(|h| hour(h, 70)));
        assert_eq!(blocks.iter().map(HourBlock::presses).sum::<u64>(), 700);
        assert!(blocks[..blocks.len() - 1].iter().all(|b| b.presses() >= MIN_BLOCK_PRESSES));
        assert_eq!(blocks.last().map(HourBlock::presses), Some(70));
    }
}
