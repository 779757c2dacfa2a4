//! Which finger presses which key, and the classes of consecutive key pairs the agent counts.
//!
//! Fingers follow the usual touch-typing chart for row-staggered keyboards: each index finger
//! takes two columns (`4 5 R T F G V B`, `6 7 Y U H J N M`), the little fingers the outer columns
//! and the keys beyond them, the thumbs Space, Alt and Meta. Keys off the main block (navigation,
//! arrows, numpad, function and media keys) have no finger.
//!
//! **Pair classes, never pairs.** For two keys pressed one after the other, the agent counts only
//! which *class* the pair falls in ([`PairClass`]): the same key again, the same finger, the same
//! hand rolling inward or outward, or the other hand; and whether a same-hand pair jumps a row.
//! Counts of key pairs with the keys named would rebuild text (with the key counts they form a
//! graph whose walks spell the words typed); six class counts an hour name no key at all, and
//! thousands of different texts give the same six.

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// The writing keys row by row (number row first): their place tells their row, and their
/// position within a row is the order layouts list their characters in. The home row ends with
/// the ISO key beside Enter (`Backslash`, above Enter on ANSI boards); the bottom row starts with
/// the ISO key beside the left Shift (`IntlBackslash`).
pub const WRITING_ROWS: [&[&str]; 4] = [
    &[
        "Backquote",
        "Digit1",
        "Digit2",
        "Digit3",
        "Digit4",
        "Digit5",
        "Digit6",
        "Digit7",
        "Digit8",
        "Digit9",
        "Digit0",
        "Minus",
        "Equal",
    ],
    &["KeyQ", "KeyW", "KeyE", "KeyR", "KeyT", "KeyY", "KeyU", "KeyI", "KeyO", "KeyP", "BracketLeft", "BracketRight"],
    &["KeyA", "KeyS", "KeyD", "KeyF", "KeyG", "KeyH", "KeyJ", "KeyK", "KeyL", "Semicolon", "Quote", "Backslash"],
    &["IntlBackslash", "KeyZ", "KeyX", "KeyC", "KeyV", "KeyB", "KeyN", "KeyM", "Comma", "Period", "Slash"],
];

/// The ten fingers, left little finger first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Finger {
    LeftLittle,
    LeftRing,
    LeftMiddle,
    LeftIndex,
    LeftThumb,
    RightThumb,
    RightIndex,
    RightMiddle,
    RightRing,
    RightLittle,
}

impl Finger {
    pub const ALL: [Finger; 10] = [
        Finger::LeftLittle,
        Finger::LeftRing,
        Finger::LeftMiddle,
        Finger::LeftIndex,
        Finger::LeftThumb,
        Finger::RightThumb,
        Finger::RightIndex,
        Finger::RightMiddle,
        Finger::RightRing,
        Finger::RightLittle,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Finger::LeftLittle => "Left little",
            Finger::LeftRing => "Left ring",
            Finger::LeftMiddle => "Left middle",
            Finger::LeftIndex => "Left index",
            Finger::LeftThumb => "Left thumb",
            Finger::RightThumb => "Right thumb",
            Finger::RightIndex => "Right index",
            Finger::RightMiddle => "Right middle",
            Finger::RightRing => "Right ring",
            Finger::RightLittle => "Right little",
        }
    }

    pub fn is_left(self) -> bool {
        self <= Finger::LeftThumb
    }

    pub fn is_thumb(self) -> bool {
        matches!(self, Finger::LeftThumb | Finger::RightThumb)
    }

    pub fn is_little(self) -> bool {
        matches!(self, Finger::LeftLittle | Finger::RightLittle)
    }

    /// How far the finger is from its hand's thumb (index 1, little 4).
    fn reach_from_thumb(self) -> i32 {
        let at = self as i32;
        if self.is_left() { Finger::LeftThumb as i32 - at } else { at - Finger::RightThumb as i32 }
    }
}

/// The rows of the main block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum KeyRow {
    Number,
    Top,
    Home,
    Bottom,
    Thumb,
}

impl KeyRow {
    pub const ALL: [KeyRow; 5] = [KeyRow::Number, KeyRow::Top, KeyRow::Home, KeyRow::Bottom, KeyRow::Thumb];

    pub fn name(self) -> &'static str {
        match self {
            KeyRow::Number => "Number row",
            KeyRow::Top => "Top row",
            KeyRow::Home => "Home row",
            KeyRow::Bottom => "Bottom row",
            KeyRow::Thumb => "Thumb row",
        }
    }
}

/// The finger and row of a key of the main block; `None` for keys off it. Space belongs to the
/// left thumb here (the ergonomics split it between both thumbs).
pub fn finger_and_row(code: &str) -> Option<(Finger, KeyRow)> {
    use Finger::*;
    let finger = match code {
        "Backquote" | "Digit1" | "Tab" | "KeyQ" | "CapsLock" | "KeyA" | "ShiftLeft" | "IntlBackslash" | "KeyZ"
        | "ControlLeft" => LeftLittle,
        "Digit2" | "KeyW" | "KeyS" | "KeyX" => LeftRing,
        "Digit3" | "KeyE" | "KeyD" | "KeyC" => LeftMiddle,
        "Digit4" | "Digit5" | "KeyR" | "KeyT" | "KeyF" | "KeyG" | "KeyV" | "KeyB" => LeftIndex,
        "MetaLeft" | "AltLeft" | "Space" => LeftThumb,
        "AltRight" | "MetaRight" => RightThumb,
        "Digit6" | "Digit7" | "KeyY" | "KeyU" | "KeyH" | "KeyJ" | "KeyN" | "KeyM" => RightIndex,
        "Digit8" | "KeyI" | "KeyK" | "Comma" => RightMiddle,
        "Digit9" | "KeyO" | "KeyL" | "Period" => RightRing,
        "Digit0" | "Minus" | "Equal" | "Backspace" | "KeyP" | "BracketLeft" | "BracketRight" | "Backslash"
        | "Semicolon" | "Quote" | "Enter" | "Slash" | "ShiftRight" | "ContextMenu" | "ControlRight" => RightLittle,
        _ => return None,
    };
    let row = match code {
        "Backspace" => KeyRow::Number,
        "Tab" | "Backslash" => KeyRow::Top,
        "CapsLock" | "Enter" => KeyRow::Home,
        "ShiftLeft" | "ShiftRight" | "IntlBackslash" => KeyRow::Bottom,
        "ControlLeft" | "MetaLeft" | "AltLeft" | "Space" | "AltRight" | "MetaRight" | "ContextMenu"
        | "ControlRight" => KeyRow::Thumb,
        _ => {
            let at = WRITING_ROWS.iter().position(|row| row.contains(&code))?;
            [KeyRow::Number, KeyRow::Top, KeyRow::Home, KeyRow::Bottom][at]
        }
    };
    Some((finger, row))
}

/// The class of two keys pressed one after the other by fingers (not thumbs, not modifiers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairClass {
    /// The same key twice.
    Repeat,
    /// Two keys by the same finger.
    SameFinger,
    /// The same hand, the second finger nearer the thumb (little towards index).
    InwardRoll,
    /// The same hand, the second finger further from the thumb.
    OutwardRoll,
    /// One hand, then the other.
    Alternation,
}

/// Counts of consecutive key pairs by class over a block's hours: which class, never which keys.
/// Pairs are two keys of the main block pressed by fingers (thumb and modifier keys end a run)
/// at most [`crate::BURST_GAP_MS`] apart. `row_jumps` counts the same-hand pairs (rolls and same
/// finger) whose rows are two or more apart, e.g. bottom row to number row. Rule: the five classes
/// add up to at most the block's presses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PairCounts {
    #[serde(default)]
    pub repeats: u32,
    #[serde(default)]
    pub same_finger: u32,
    #[serde(default)]
    pub inward_rolls: u32,
    #[serde(default)]
    pub outward_rolls: u32,
    #[serde(default)]
    pub alternations: u32,
    /// Rule: at most `same_finger + inward_rolls + outward_rolls` (a row jump is a same-hand pair).
    #[serde(default)]
    pub row_jumps: u32,
}

impl PairCounts {
    /// Pairs counted: every class but `row_jumps`, which overlaps them.
    pub fn total(&self) -> u64 {
        [self.repeats, self.same_finger, self.inward_rolls, self.outward_rolls, self.alternations]
            .iter()
            .map(|n| u64::from(*n))
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        *self == PairCounts::default()
    }

    /// Counts a pair of keys pressed one after the other; keys without a finger, thumb keys and
    /// modifiers make no pair.
    pub fn add(&mut self, first: &str, second: &str) {
        let (Some((a, row_a)), Some((b, row_b))) = (pair_key(first), pair_key(second)) else {
            return;
        };
        let class = if first == second {
            PairClass::Repeat
        } else if a == b {
            PairClass::SameFinger
        } else if a.is_left() != b.is_left() {
            PairClass::Alternation
        } else if b.reach_from_thumb() < a.reach_from_thumb() {
            PairClass::InwardRoll
        } else {
            PairClass::OutwardRoll
        };
        let slot = match class {
            PairClass::Repeat => &mut self.repeats,
            PairClass::SameFinger => &mut self.same_finger,
            PairClass::InwardRoll => &mut self.inward_rolls,
            PairClass::OutwardRoll => &mut self.outward_rolls,
            PairClass::Alternation => &mut self.alternations,
        };
        *slot = slot.saturating_add(1);
        let same_hand = matches!(class, PairClass::SameFinger | PairClass::InwardRoll | PairClass::OutwardRoll);
        if same_hand && (row_a as i32 - row_b as i32).abs() >= 2 {
            self.row_jumps = self.row_jumps.saturating_add(1);
        }
    }

    /// Adds another block's counts.
    pub fn merge(&mut self, other: &PairCounts) {
        for (a, b) in self.slots_mut().into_iter().zip(other.slots()) {
            *a = a.saturating_add(b);
        }
    }

    /// The six counts in field order.
    pub fn slots(&self) -> [u32; 6] {
        [self.repeats, self.same_finger, self.inward_rolls, self.outward_rolls, self.alternations, self.row_jumps]
    }

    fn slots_mut(&mut self) -> [&mut u32; 6] {
        [
            &mut self.repeats,
            &mut self.same_finger,
            &mut self.inward_rolls,
            &mut self.outward_rolls,
            &mut self.alternations,
            &mut self.row_jumps,
        ]
    }
}

/// The finger and row of a key that can be half of a pair.
fn pair_key(code: &str) -> Option<(Finger, KeyRow)> {
    finger_and_row(code).filter(|(finger, _)| !finger.is_thumb() && !crate::keys::is_modifier_key(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes(keys: &[&str]) -> PairCounts {
        let mut counts = PairCounts::default();
        for pair in keys.windows(2) {
            counts.add(pair[0], pair[1]);
        }
        counts
    }

    #[test]
    fn pairs_fall_in_their_class() {
        // "ll": repeat; "ed" (left middle, top then home): same finger; "as" (little to ring):
        // inward; "sa": outward; "fj": alternation.
        assert_eq!(classes(&["KeyL", "KeyL"]).repeats, 1);
        assert_eq!(classes(&["KeyE", "KeyD"]).same_finger, 1);
        assert_eq!(classes(&["KeyA", "KeyS"]).inward_rolls, 1);
        assert_eq!(classes(&["KeyS", "KeyA"]).outward_rolls, 1);
        assert_eq!(classes(&["KeyF", "KeyJ"]).alternations, 1);
        // Right hand: "lk" (ring to middle) rolls inward, "kl" outward.
        assert_eq!(classes(&["KeyL", "KeyK"]).inward_rolls, 1);
        assert_eq!(classes(&["KeyK", "KeyL"]).outward_rolls, 1);
    }

    #[test]
    fn row_jumps_are_same_hand_pairs_two_rows_apart() {
        // "c3": left middle, bottom to number row, same finger and a jump; "x4": left ring to
        // index, bottom to number: an inward roll and a jump; "z9": two hands, no jump counted.
        let counts = classes(&["KeyC", "Digit3"]);
        assert_eq!((counts.same_finger, counts.row_jumps), (1, 1));
        let counts = classes(&["KeyX", "Digit4"]);
        assert_eq!((counts.inward_rolls, counts.row_jumps), (1, 1));
        let counts = classes(&["KeyZ", "Digit9"]);
        assert_eq!((counts.alternations, counts.row_jumps), (1, 0));
    }

    #[test]
    fn thumbs_modifiers_and_keys_off_the_block_make_no_pair() {
        let counts = classes(&["KeyA", "Space", "KeyB", "ShiftLeft", "KeyC", "ArrowUp", "KeyD"]);
        assert!(counts.is_empty(), "{counts:?}");
        // "hello": he alternation, el alternation, ll repeat, lo outward? l (right ring) to o
        // (right ring): same finger.
        let hello = classes(&["KeyH", "KeyE", "KeyL", "KeyL", "KeyO"]);
        assert_eq!(hello, PairCounts { alternations: 2, repeats: 1, same_finger: 1, ..PairCounts::default() });
        assert_eq!(hello.total(), 4);
    }

    #[test]
    fn every_writing_key_has_a_finger() {
        for code in WRITING_ROWS.iter().flat_map(|r| r.iter()) {
            assert!(crate::keys::is_known_key(code), "{code}");
            assert!(finger_and_row(code).is_some(), "{code}");
        }
    }
}
