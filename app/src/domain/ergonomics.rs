//! Ergonomics from key counts: which finger and row each press took, how far the fingers
//! reached (carpalx's base effort), and how that would change under another layout.
//!
//! Everything here works on counts per physical key, never on an order of keys: the same
//! aggregate the dashboard's keyboard shows.
//!
//! - **Fingers** follow the usual touch-typing chart (`keytrack_wire::fingers`, which the agent's
//!   key-pair classes use too), Space half to each thumb.
//! - **Rows**: number, top, home, bottom, and the thumb (space bar) row.
//! - **Effort**: carpalx's baseline effort (`etc/effort/base/01.conf` of carpalx 0.12, by Martin
//!   Krzywinski): the reach to each of 47 key positions from the home row, in cm on a standard
//!   101-key keyboard. Home keys cost 0; `G H '` 2; the top row 2-6; the number row 4-5.5.

use std::collections::BTreeMap;

pub use keytrack_wire::fingers::{Finger, KeyRow, finger_and_row};
use keytrack_wire::{ErgonomicsDay, KEY_CODES, PairTotals, is_modifier_key};

use super::layouts::KeyboardLayout;
#[cfg(test)]
use super::layouts::LAYOUT_ROWS;

/// carpalx's baseline effort of a key position (see the module's notes), for the 47 keys its
/// model covers.
pub fn base_effort(code: &str) -> Option<f64> {
    Some(match code {
        "Backquote" => 5.0,
        "Digit1" | "Digit2" | "Digit3" | "Digit4" | "Digit5" | "Digit7" | "Digit8" | "Digit9" | "Digit0" => 4.0,
        "Digit6" | "Minus" => 4.5,
        "Equal" => 5.5,
        "KeyQ" | "KeyW" | "KeyE" | "KeyR" | "KeyU" | "KeyI" | "KeyO" | "KeyP" => 2.0,
        "KeyT" | "BracketLeft" => 2.5,
        "KeyY" => 3.0,
        "BracketRight" => 4.0,
        "Backslash" => 6.0,
        "KeyA" | "KeyS" | "KeyD" | "KeyF" | "KeyJ" | "KeyK" | "KeyL" | "Semicolon" => 0.0,
        "KeyG" | "KeyH" | "Quote" => 2.0,
        "KeyZ" | "KeyX" | "KeyC" | "KeyV" | "KeyN" | "KeyM" | "Comma" | "Period" | "Slash" => 2.0,
        "KeyB" => 3.5,
        _ => return None,
    })
}

/// The ergonomic picture of a set of key counts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ergonomics {
    /// Presses per finger, in [`Finger::ALL`] order (Space half to each thumb).
    pub fingers: [f64; 10],
    /// Presses per row, in [`KeyRow::ALL`] order.
    pub rows: [u64; 5],
    /// Presses on the main block (every key with a finger).
    pub main_block: u64,
    /// Presses off it (navigation, arrows, numpad, function and media keys).
    pub other_keys: u64,
    pub modifiers: u64,
    /// Presses of the keys carpalx's model covers, and their summed base effort.
    pub modelled: u64,
    pub effort_sum: f64,
}

/// `part` of `whole` in percent (0 for nothing).
pub fn share(part: f64, whole: f64) -> f64 {
    if whole > 0.0 { 100.0 * part / whole } else { 0.0 }
}

/// What the figures need to know of a key, worked out from its code once.
struct KeyFacts {
    /// Finger and row, for keys of the main block.
    place: Option<(Finger, usize)>,
    space: bool,
    modifier: bool,
    effort: Option<f64>,
}

impl KeyFacts {
    fn of(code: &str) -> KeyFacts {
        KeyFacts {
            place: finger_and_row(code)
                .map(|(finger, row)| (finger, KeyRow::ALL.iter().position(|r| *r == row).unwrap_or(0))),
            space: code == "Space",
            modifier: is_modifier_key(code),
            effort: base_effort(code),
        }
    }

    /// The facts of every key of [`KEY_CODES`], in its order: a user-year adds up about 25,000
    /// day-key counts, each of which would otherwise match its code against four lists.
    fn of_key_codes() -> &'static [KeyFacts] {
        static FACTS: std::sync::LazyLock<Vec<KeyFacts>> =
            std::sync::LazyLock::new(|| KEY_CODES.iter().map(|code| KeyFacts::of(code)).collect());
        &FACTS
    }
}

impl Ergonomics {
    /// Adds up counts per key code.
    pub fn of<'a>(counts: impl IntoIterator<Item = (&'a str, u64)>) -> Ergonomics {
        let mut e = Ergonomics::default();
        for (code, n) in counts {
            if n > 0 {
                e.add(&KeyFacts::of(code), n);
            }
        }
        e
    }

    /// Adds up presses by the key's position in [`KEY_CODES`] (as day rollups keep them).
    pub fn of_key_vector(keys: &[i64]) -> Ergonomics {
        let mut e = Ergonomics::default();
        for (facts, n) in KeyFacts::of_key_codes().iter().zip(keys) {
            if let Ok(n @ 1..) = u64::try_from(*n) {
                e.add(facts, n);
            }
        }
        e
    }

    fn add(&mut self, key: &KeyFacts, n: u64) {
        let Some((finger, row_at)) = key.place else {
            self.other_keys += n;
            return;
        };
        self.main_block += n;
        if key.space {
            self.fingers[Finger::LeftThumb as usize] += n as f64 / 2.0;
            self.fingers[Finger::RightThumb as usize] += n as f64 / 2.0;
        } else {
            self.fingers[finger as usize] += n as f64;
        }
        self.rows[row_at] += n;
        if key.modifier {
            self.modifiers += n;
        }
        if let Some(effort) = key.effort {
            self.modelled += n;
            self.effort_sum += effort * n as f64;
        }
    }

    /// Presses of the fingers, thumbs left out.
    fn finger_presses(&self) -> f64 {
        Finger::ALL.iter().filter(|f| !f.is_thumb()).map(|f| self.fingers[*f as usize]).sum()
    }

    /// Share (0-100) of each finger in all the main block's presses.
    pub fn finger_shares(&self) -> [f64; 10] {
        let all: f64 = self.fingers.iter().sum();
        self.fingers.map(|n| share(n, all))
    }

    /// Share (0-100) of the left hand's fingers, thumbs left out.
    pub fn left_hand_share(&self) -> f64 {
        let left: f64 =
            Finger::ALL.iter().filter(|f| f.is_left() && !f.is_thumb()).map(|f| self.fingers[*f as usize]).sum();
        share(left, self.finger_presses())
    }

    pub fn row_share(&self, row: KeyRow) -> f64 {
        let at = KeyRow::ALL.iter().position(|r| *r == row).unwrap_or(0);
        share(self.rows[at] as f64, self.main_block as f64)
    }

    pub fn little_finger_share(&self) -> f64 {
        let little = self.fingers[Finger::LeftLittle as usize] + self.fingers[Finger::RightLittle as usize];
        share(little, self.finger_presses())
    }

    pub fn modifier_share(&self) -> f64 {
        share(self.modifiers as f64, self.main_block as f64)
    }

    /// Mean base effort per press of the modelled keys (0 without any): lower is easier.
    pub fn effort(&self) -> f64 {
        if self.modelled == 0 { 0.0 } else { self.effort_sum / self.modelled as f64 }
    }

    /// The figures a day's trend shows, with the day's key-pair classes.
    pub fn day(&self, pairs: &PairTotals) -> ErgonomicsDay {
        ErgonomicsDay {
            keys: self.main_block,
            left_hand_share: self.left_hand_share(),
            home_row_share: self.row_share(KeyRow::Home),
            little_finger_share: self.little_finger_share(),
            modifier_share: self.modifier_share(),
            effort: self.effort(),
            same_finger_share: share(pairs.same_finger as f64, pairs.total() as f64),
            alternation_share: share(pairs.alternations as f64, pairs.total() as f64),
        }
    }
}

/// The characters the counted presses typed in `layout`, as counts (lower case; Shift is a key
/// of its own): an estimate, since a key may also have been pressed for a shortcut.
pub fn characters<'a>(counts: impl IntoIterator<Item = (&'a str, u64)>, layout: KeyboardLayout) -> BTreeMap<char, u64> {
    let mut typed = BTreeMap::new();
    for (code, n) in counts {
        if let Some(c) = layout.character(code).filter(|_| n > 0) {
            *typed.entry(c).or_default() += n;
        }
    }
    typed
}

/// The same characters typed on `other`: each writing key's presses move to the key that types
/// its character in `other`; a character `other` has no key for (an `ü` on US) and every other
/// key stay where they were. Totals are unchanged.
pub fn typed_on<'a>(
    counts: impl IntoIterator<Item = (&'a str, u64)>,
    layout: KeyboardLayout,
    other: KeyboardLayout,
) -> BTreeMap<String, u64> {
    let mut moved: BTreeMap<String, u64> = BTreeMap::new();
    for (code, n) in counts {
        let target = layout.character(code).and_then(|c| other.key_for(c)).unwrap_or(code);
        *moved.entry(target.to_string()).or_default() += n;
    }
    moved
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(list: &[(&'static str, u64)]) -> Vec<(&'static str, u64)> {
        list.to_vec()
    }

    #[test]
    fn a_known_count_vector_gives_known_finger_loads_and_effort() {
        // 10 A (left little, home, 0), 20 J (right index, home, 0), 10 T (left index, top, 2.5),
        // 20 Y (right index, top, 3), 40 Space (thumbs), 10 ShiftLeft (left little, bottom,
        // modifier), 10 ArrowUp (off the main block).
        let e = Ergonomics::of(counts(&[
            ("KeyA", 10),
            ("KeyJ", 20),
            ("KeyT", 10),
            ("KeyY", 20),
            ("Space", 40),
            ("ShiftLeft", 10),
            ("ArrowUp", 10),
        ]));
        assert_eq!((e.main_block, e.other_keys, e.modifiers), (110, 10, 10));
        assert_eq!(e.fingers, [20.0, 0.0, 0.0, 10.0, 20.0, 20.0, 40.0, 0.0, 0.0, 0.0]);
        // Fingers without thumbs: 70; left hand 30 of them.
        assert!((e.left_hand_share() - 300.0 / 7.0).abs() < 1e-9);
        assert!((e.little_finger_share() - 200.0 / 7.0).abs() < 1e-9);
        assert_eq!(e.rows, [0, 30, 30, 10, 40]);
        assert!((e.row_share(KeyRow::Home) - 3000.0 / 110.0).abs() < 1e-9);
        assert!((e.modifier_share() - 1000.0 / 110.0).abs() < 1e-9);
        // Effort over the 60 modelled presses: (10*0 + 20*0 + 10*2.5 + 20*3) / 60.
        assert_eq!(e.modelled, 60);
        assert!((e.effort() - 85.0 / 60.0).abs() < 1e-9);
        let shares = e.finger_shares();
        assert!((shares.iter().sum::<f64>() - 100.0).abs() < 1e-9);
    }

    #[test]
    fn nothing_counted_gives_zeros_not_nan() {
        let e = Ergonomics::of(counts(&[]));
        let day = e.day(&PairTotals::default());
        assert_eq!((day.keys, day.left_hand_share, day.effort, day.home_row_share), (0, 0.0, 0.0, 0.0));
    }

    #[test]
    fn every_main_block_key_has_a_finger_and_only_those() {
        for row in LAYOUT_ROWS {
            for code in row {
                assert!(finger_and_row(code).is_some(), "{code}");
            }
        }
        for code in ["ArrowUp", "Numpad1", "F5", "Escape", "Home"] {
            assert_eq!(finger_and_row(code), None, "{code}");
        }
        // carpalx's 47 positions: 13 + 13 + 11 + 10.
        let modelled = keytrack_wire::KEY_CODES.iter().filter(|c| base_effort(c).is_some()).count();
        assert_eq!(modelled, 47);
    }

    #[test]
    fn the_same_text_on_dvorak_moves_to_its_keys() {
        // "e" 30 times and "t" 10 times on QWERTY, plus Shift that no layout moves.
        let qwerty = counts(&[("KeyE", 30), ("KeyT", 10), ("ShiftLeft", 5)]);
        let chars = characters(qwerty.iter().copied(), KeyboardLayout::Us);
        assert_eq!(chars, BTreeMap::from([('e', 30), ('t', 10)]));
        let dvorak = typed_on(qwerty.iter().copied(), KeyboardLayout::Us, KeyboardLayout::Dvorak);
        // Dvorak types e with KeyD and t with KeyK: both on the home row.
        assert_eq!(
            dvorak,
            BTreeMap::from([("KeyD".to_string(), 30), ("KeyK".to_string(), 10), ("ShiftLeft".to_string(), 5)])
        );
        let before = Ergonomics::of(qwerty.iter().copied());
        let after = Ergonomics::of(dvorak.iter().map(|(k, n)| (k.as_str(), *n)));
        assert!((before.effort() - 85.0 / 40.0).abs() < 1e-9, "(30 * 2 + 10 * 2.5) / 40");
        assert_eq!(after.effort(), 0.0);
        assert!(after.row_share(KeyRow::Home) > before.row_share(KeyRow::Home));
        assert_eq!(after.main_block, before.main_block);
    }

    #[test]
    fn a_character_the_other_layout_lacks_stays_on_its_key() {
        let german = counts(&[("Semicolon", 4), ("KeyY", 6)]);
        let us = typed_on(german.iter().copied(), KeyboardLayout::German, KeyboardLayout::Us);
        // ö has no US key and stays; German z (KeyY) is US KeyZ.
        assert_eq!(us, BTreeMap::from([("KeyZ".to_string(), 6), ("Semicolon".to_string(), 4)]));
    }
}
