//! Physical key names (W3C `KeyboardEvent.code`) and key chords.
//!
//! Keys are named by position, never by the character they type: with a French layout the key
//! that types "a" is still `KeyQ`. That keeps a count of keys a count of keys, not of text.

/// Every key code the server accepts. `Unidentified` stands for a key the agent cannot name.
/// Add new codes at the end: the server keeps day totals by a code's position in this list
/// (see [`key_index`]), and a code moved to another position would be counted as another key.
pub const KEY_CODES: &[&str] = &[
    // Writing system keys.
    "Backquote",
    "Backslash",
    "BracketLeft",
    "BracketRight",
    "Comma",
    "Digit0",
    "Digit1",
    "Digit2",
    "Digit3",
    "Digit4",
    "Digit5",
    "Digit6",
    "Digit7",
    "Digit8",
    "Digit9",
    "Equal",
    "IntlBackslash",
    "IntlRo",
    "IntlYen",
    "KeyA",
    "KeyB",
    "KeyC",
    "KeyD",
    "KeyE",
    "KeyF",
    "KeyG",
    "KeyH",
    "KeyI",
    "KeyJ",
    "KeyK",
    "KeyL",
    "KeyM",
    "KeyN",
    "KeyO",
    "KeyP",
    "KeyQ",
    "KeyR",
    "KeyS",
    "KeyT",
    "KeyU",
    "KeyV",
    "KeyW",
    "KeyX",
    "KeyY",
    "KeyZ",
    "Minus",
    "Period",
    "Quote",
    "Semicolon",
    "Slash",
    // Functional keys.
    "AltLeft",
    "AltRight",
    "Backspace",
    "CapsLock",
    "ContextMenu",
    "ControlLeft",
    "ControlRight",
    "Enter",
    "MetaLeft",
    "MetaRight",
    "ShiftLeft",
    "ShiftRight",
    "Space",
    "Tab",
    "Convert",
    "KanaMode",
    "Lang1",
    "Lang2",
    "NonConvert",
    // Control pad and arrows.
    "Delete",
    "End",
    "Help",
    "Home",
    "Insert",
    "PageDown",
    "PageUp",
    "ArrowDown",
    "ArrowLeft",
    "ArrowRight",
    "ArrowUp",
    // Numpad.
    "NumLock",
    "Numpad0",
    "Numpad1",
    "Numpad2",
    "Numpad3",
    "Numpad4",
    "Numpad5",
    "Numpad6",
    "Numpad7",
    "Numpad8",
    "Numpad9",
    "NumpadAdd",
    "NumpadComma",
    "NumpadDecimal",
    "NumpadDivide",
    "NumpadEnter",
    "NumpadEqual",
    "NumpadMultiply",
    "NumpadSubtract",
    // Function row.
    "Escape",
    "F1",
    "F2",
    "F3",
    "F4",
    "F5",
    "F6",
    "F7",
    "F8",
    "F9",
    "F10",
    "F11",
    "F12",
    "F13",
    "F14",
    "F15",
    "F16",
    "F17",
    "F18",
    "F19",
    "F20",
    "F21",
    "F22",
    "F23",
    "F24",
    "Fn",
    "PrintScreen",
    "ScrollLock",
    "Pause",
    // Media keys.
    "AudioVolumeDown",
    "AudioVolumeMute",
    "AudioVolumeUp",
    "MediaPlayPause",
    "MediaStop",
    "MediaTrackNext",
    "MediaTrackPrevious",
    "Unidentified",
];

/// True when `code` is a key code the server accepts.
pub fn is_known_key(code: &str) -> bool {
    key_index(code).is_some()
}

/// The position of a key code in [`KEY_CODES`], or `None` for a code that is not there.
pub fn key_index(code: &str) -> Option<usize> {
    // Looked up for every key of every minute a server receives: a binary search over the codes
    // sorted once, not a scan of the list (which reads in keyboard order).
    static SORTED: std::sync::OnceLock<Vec<(&'static str, usize)>> = std::sync::OnceLock::new();
    let sorted = SORTED.get_or_init(|| {
        let mut sorted: Vec<(&'static str, usize)> = KEY_CODES.iter().enumerate().map(|(i, c)| (*c, i)).collect();
        sorted.sort_unstable();
        sorted
    });
    sorted.binary_search_by(|(c, _)| (*c).cmp(code)).ok().map(|at| sorted[at].1)
}

/// Keys that type text (letters, digits, punctuation, space): what typing speed is measured on.
pub fn is_text_key(key: &str) -> bool {
    matches!(
        key,
        "Backquote"
            | "Backslash"
            | "BracketLeft"
            | "BracketRight"
            | "Comma"
            | "Equal"
            | "IntlBackslash"
            | "IntlRo"
            | "IntlYen"
            | "Minus"
            | "Period"
            | "Quote"
            | "Semicolon"
            | "Slash"
            | "Space"
    ) || (key.len() == 4 && key.starts_with("Key"))
        || (key.len() == 6 && key.starts_with("Digit"))
        || (key.len() == 7 && key.starts_with("Numpad") && key.as_bytes()[6].is_ascii_digit())
}

/// Keys that undo typing: the corrections rate counts these.
pub fn is_correction_key(key: &str) -> bool {
    matches!(key, "Backspace" | "Delete")
}

/// The four modifiers a chord can hold, in the order they are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Modifier {
    Ctrl,
    Alt,
    Shift,
    Meta,
}

impl Modifier {
    pub const ALL: [Modifier; 4] = [Modifier::Ctrl, Modifier::Alt, Modifier::Shift, Modifier::Meta];

    pub fn name(self) -> &'static str {
        match self {
            Modifier::Ctrl => "Ctrl",
            Modifier::Alt => "Alt",
            Modifier::Shift => "Shift",
            Modifier::Meta => "Meta",
        }
    }

    fn from_name(name: &str) -> Option<Modifier> {
        Modifier::ALL.into_iter().find(|m| m.name() == name)
    }

    /// The modifier a physical key is, if it is one (`ControlLeft` -> `Ctrl`).
    pub fn of_key(code: &str) -> Option<Modifier> {
        match code {
            "ControlLeft" | "ControlRight" => Some(Modifier::Ctrl),
            "AltLeft" | "AltRight" => Some(Modifier::Alt),
            "ShiftLeft" | "ShiftRight" => Some(Modifier::Shift),
            "MetaLeft" | "MetaRight" => Some(Modifier::Meta),
            _ => None,
        }
    }
}

/// True when the key is one of the eight modifier keys.
pub fn is_modifier_key(code: &str) -> bool {
    Modifier::of_key(code).is_some()
}

/// A key pressed while modifiers were held, e.g. `Ctrl+Shift+KeyT`.
///
/// A chord needs Ctrl, Alt or Meta: Shift alone only changes case, so `Shift+KeyA` is typing,
/// not a chord.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Chord {
    modifiers: Vec<Modifier>,
    key: String,
}

impl Chord {
    /// Builds a chord from the held modifiers (any order, repeats ignored) and the pressed key.
    /// Returns `None` when that press is not a chord.
    pub fn new(held: impl IntoIterator<Item = Modifier>, key: &str) -> Option<Chord> {
        let mut modifiers: Vec<Modifier> = held.into_iter().collect();
        modifiers.sort();
        modifiers.dedup();
        let has_command_modifier = modifiers.iter().any(|m| *m != Modifier::Shift);
        if !has_command_modifier || !is_known_key(key) || is_modifier_key(key) {
            return None;
        }
        Some(Chord { modifiers, key: key.to_string() })
    }

    /// Parses the written form, which must be canonical: `Shift+Ctrl+KeyT` is refused, so that one
    /// chord has one spelling and counts never split between two.
    pub fn parse(text: &str) -> Result<Chord, String> {
        let mut parts: Vec<&str> = text.split('+').collect();
        let key = parts.pop().unwrap_or_default();
        let mut modifiers = Vec::with_capacity(parts.len());
        for part in parts {
            let modifier = Modifier::from_name(part)
                .ok_or_else(|| format!("\"{part}\" is not a modifier (Ctrl, Alt, Shift or Meta)"))?;
            if modifiers.last().is_some_and(|last| *last >= modifier) {
                return Err("modifiers must be written once each, in the order Ctrl, Alt, Shift, Meta".into());
            }
            modifiers.push(modifier);
        }
        if !is_known_key(key) {
            return Err(format!("\"{key}\" is not a known key code"));
        }
        if is_modifier_key(key) {
            return Err(format!("a chord ends with a non-modifier key, not \"{key}\""));
        }
        if !modifiers.iter().any(|m| *m != Modifier::Shift) {
            return Err("a chord holds Ctrl, Alt or Meta".into());
        }
        Ok(Chord { modifiers, key: key.to_string() })
    }

    pub fn key(&self) -> &str {
        &self.key
    }
}

impl std::fmt::Display for Chord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for m in &self.modifiers {
            write!(f, "{}+", m.name())?;
        }
        f.write_str(&self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chords_are_written_in_canonical_order() {
        let chord = Chord::new([Modifier::Shift, Modifier::Ctrl, Modifier::Shift], "KeyT");
        assert_eq!(chord.map(|c| c.to_string()).as_deref(), Some("Ctrl+Shift+KeyT"));
    }

    #[test]
    fn shift_alone_or_a_modifier_key_is_not_a_chord() {
        assert_eq!(Chord::new([Modifier::Shift], "KeyA"), None);
        assert_eq!(Chord::new([Modifier::Ctrl], "ShiftLeft"), None);
        assert_eq!(Chord::new([], "KeyA"), None);
        assert_eq!(Chord::new([Modifier::Ctrl], "NoSuchKey"), None);
    }

    #[test]
    fn parse_accepts_canonical_and_refuses_the_rest() {
        for good in ["Ctrl+KeyC", "Ctrl+Shift+KeyT", "Alt+Tab", "Ctrl+Alt+Shift+Meta+F5", "Meta+Space"] {
            assert_eq!(Chord::parse(good).map(|c| c.to_string()), Ok(good.to_string()), "{good}");
        }
        for bad in [
            "Shift+Ctrl+KeyT",
            "Ctrl+Ctrl+KeyC",
            "Shift+KeyA",
            "KeyA",
            "Ctrl+",
            "Ctrl+ShiftLeft",
            "Control+KeyC",
            "Ctrl+KeyFoo",
            "",
        ] {
            assert!(Chord::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn every_modifier_key_maps_to_its_modifier() {
        let modifiers: Vec<&str> = KEY_CODES.iter().copied().filter(|k| is_modifier_key(k)).collect();
        assert_eq!(modifiers.len(), 8);
    }

    #[test]
    fn every_code_is_found_at_its_position() {
        for (i, code) in KEY_CODES.iter().enumerate() {
            assert_eq!(key_index(code), Some(i), "{code}");
        }
        for unknown in ["", "keya", "KeyÄ", "Key", "Unidentified2"] {
            assert_eq!(key_index(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn the_first_codes_keep_their_positions() {
        // Day totals are stored by position: these may never move (add new codes at the end).
        let positions = [("Backquote", 0), ("KeyA", 19), ("Space", 62), ("ShiftLeft", 60), ("Unidentified", 135)];
        for (code, at) in positions {
            assert_eq!(KEY_CODES.get(at), Some(&code), "{code} moved");
        }
    }

    #[test]
    fn key_codes_are_unique() {
        let mut sorted = KEY_CODES.to_vec();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), KEY_CODES.len());
    }
}
