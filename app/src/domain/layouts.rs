//! Keyboard layouts: which character each physical key types, and the keyboard's shape.
//!
//! KeyTrack counts physical keys (`KeyQ` is the key left of `KeyW`, whatever it types), so a
//! layout changes only the labels drawn on the keys and the "what if" estimates of
//! `domain::ergonomics`; it never changes a count.

/// The writing keys whose character depends on the layout, row by row, in the order the layout
/// strings below list their characters.
pub use keytrack_wire::fingers::WRITING_ROWS as LAYOUT_ROWS;

/// The two shapes of PC keyboards: ANSI (a wide left Shift, Backslash above Enter) and ISO (a
/// tall Enter, an extra key left of Z).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyboardShape {
    Ansi,
    Iso,
}

/// The layouts a profile can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyboardLayout {
    #[default]
    Us,
    Uk,
    German,
    French,
    Spanish,
    Nordic,
    Dvorak,
    Colemak,
}

impl KeyboardLayout {
    pub const ALL: [KeyboardLayout; 8] = [
        KeyboardLayout::Us,
        KeyboardLayout::Uk,
        KeyboardLayout::German,
        KeyboardLayout::French,
        KeyboardLayout::Spanish,
        KeyboardLayout::Nordic,
        KeyboardLayout::Dvorak,
        KeyboardLayout::Colemak,
    ];

    /// The name stored in the profile and sent over the API.
    pub fn id(self) -> &'static str {
        match self {
            KeyboardLayout::Us => "us",
            KeyboardLayout::Uk => "uk",
            KeyboardLayout::German => "de",
            KeyboardLayout::French => "fr",
            KeyboardLayout::Spanish => "es",
            KeyboardLayout::Nordic => "nordic",
            KeyboardLayout::Dvorak => "dvorak",
            KeyboardLayout::Colemak => "colemak",
        }
    }

    /// The layout a stored name names; `None` for an unknown one.
    pub fn from_id(id: &str) -> Option<KeyboardLayout> {
        KeyboardLayout::ALL.into_iter().find(|l| l.id() == id)
    }

    /// The layout named, or US for a name that is not one (an old or damaged profile).
    pub fn or_us(id: &str) -> KeyboardLayout {
        KeyboardLayout::from_id(id).unwrap_or_default()
    }

    pub fn name(self) -> &'static str {
        match self {
            KeyboardLayout::Us => "US (QWERTY)",
            KeyboardLayout::Uk => "UK (QWERTY)",
            KeyboardLayout::German => "German (QWERTZ)",
            KeyboardLayout::French => "French (AZERTY)",
            KeyboardLayout::Spanish => "Spanish (QWERTY)",
            KeyboardLayout::Nordic => "Nordic (Swedish, Finnish)",
            KeyboardLayout::Dvorak => "Dvorak (US)",
            KeyboardLayout::Colemak => "Colemak",
        }
    }

    /// The shape keyboards sold with this layout have.
    pub fn shape(self) -> KeyboardShape {
        match self {
            KeyboardLayout::Us | KeyboardLayout::Dvorak | KeyboardLayout::Colemak => KeyboardShape::Ansi,
            _ => KeyboardShape::Iso,
        }
    }

    /// The characters the keys of [`LAYOUT_ROWS`] type without Shift, row by row.
    fn rows(self) -> [&'static str; 4] {
        match self {
            KeyboardLayout::Us => ["`1234567890-=", "qwertyuiop[]", "asdfghjkl;'\\", "\\zxcvbnm,./"],
            KeyboardLayout::Uk => ["`1234567890-=", "qwertyuiop[]", "asdfghjkl;'#", "\\zxcvbnm,./"],
            KeyboardLayout::German => ["^1234567890ß´", "qwertzuiopü+", "asdfghjklöä#", "<yxcvbnm,.-"],
            KeyboardLayout::French => ["²&é\"'(-è_çà)=", "azertyuiop^$", "qsdfghjklmù*", "<wxcvbn,;:!"],
            KeyboardLayout::Spanish => ["º1234567890'¡", "qwertyuiop`+", "asdfghjklñ´ç", "<zxcvbnm,.-"],
            KeyboardLayout::Nordic => ["§1234567890+´", "qwertyuiopå¨", "asdfghjklöä'", "<zxcvbnm,.-"],
            KeyboardLayout::Dvorak => ["`1234567890[]", "',.pyfgcrl/=", "aoeuidhtns-\\", "\\;qjkxbmwvz"],
            KeyboardLayout::Colemak => ["`1234567890-=", "qwfpgjluy;[]", "arstdhneio'\\", "\\zxcvbkm,./"],
        }
    }

    /// The character the physical key `code` types in this layout (lower case), if it is one of
    /// the writing keys.
    pub fn character(self, code: &str) -> Option<char> {
        LAYOUT_ROWS.iter().zip(self.rows()).find_map(|(codes, chars)| {
            let at = codes.iter().position(|c| *c == code)?;
            chars.chars().nth(at)
        })
    }

    /// The physical key that types `character` in this layout, if one does (the first such key).
    pub fn key_for(self, character: char) -> Option<&'static str> {
        LAYOUT_ROWS
            .iter()
            .zip(self.rows())
            .find_map(|(codes, chars)| chars.chars().position(|c| c == character).map(|at| codes[at]))
    }

    /// The label drawn on a key: the layout's character (upper case for letters) for a writing
    /// key, a short name for the others.
    pub fn label(self, code: &'static str) -> String {
        match self.character(code) {
            Some(c) => c.to_uppercase().collect(),
            None => functional_label(code).to_string(),
        }
    }

    /// What a person calls the key `code` in this layout, where a key is named in words rather
    /// than drawn (top keys, the heatmap's readout, the PDF, the CSV): what is printed on it
    /// (`E`, `Z` for `KeyY` on a German board), with the side or the numpad said where two keys
    /// print the same (`Left Shift`, `Numpad 1`). A code KeyTrack does not know stays as it is.
    pub fn key_name(self, code: &str) -> String {
        if let Some(c) = self.character(code) {
            return c.to_uppercase().collect();
        }
        let spelled = match code {
            "ShiftLeft" => "Left Shift",
            "ShiftRight" => "Right Shift",
            "ControlLeft" => "Left Ctrl",
            "ControlRight" => "Right Ctrl",
            "MetaLeft" => "Left Meta",
            "MetaRight" => "Right Meta",
            "ArrowUp" => "Up arrow",
            "ArrowDown" => "Down arrow",
            "ArrowLeft" => "Left arrow",
            "ArrowRight" => "Right arrow",
            "NumLock" => "Num Lock",
            "NumpadEnter" => "Numpad Enter",
            "CapsLock" => "Caps Lock",
            _ => "",
        };
        if !spelled.is_empty() {
            return spelled.to_string();
        }
        match code.strip_prefix("Numpad") {
            Some(_) => format!("Numpad {}", functional_label(code)),
            None => functional_label(code).to_string(),
        }
    }

    /// A shortcut as a person writes it in this layout: `Ctrl+KeyZ` is `Ctrl+Y` on a German
    /// board. The modifiers keep their names; only the last key is a key code.
    pub fn shortcut_name(self, chord: &str) -> String {
        match chord.rsplit_once('+') {
            Some((modifiers, key)) if !key.is_empty() => format!("{modifiers}+{}", self.key_name(key)),
            _ => self.key_name(chord),
        }
    }
}

/// Labels of the keys whose meaning no layout changes.
pub fn functional_label(code: &str) -> &str {
    match code {
        "Escape" => "Esc",
        "Backspace" => "Backspace",
        "Tab" => "Tab",
        "CapsLock" => "Caps",
        "Enter" => "Enter",
        "ShiftLeft" | "ShiftRight" => "Shift",
        "ControlLeft" | "ControlRight" => "Ctrl",
        "AltLeft" => "Alt",
        "AltRight" => "AltGr",
        "MetaLeft" | "MetaRight" => "Meta",
        "ContextMenu" => "Menu",
        "Space" => "Space",
        "PrintScreen" => "PrtSc",
        "ScrollLock" => "ScrLk",
        "Pause" => "Pause",
        "Insert" => "Ins",
        "Delete" => "Del",
        "Home" => "Home",
        "End" => "End",
        "PageUp" => "PgUp",
        "PageDown" => "PgDn",
        "ArrowUp" => "↑",
        "ArrowDown" => "↓",
        "ArrowLeft" => "←",
        "ArrowRight" => "→",
        "NumLock" => "Num",
        "NumpadDivide" => "/",
        "NumpadMultiply" => "*",
        "NumpadSubtract" => "−",
        "NumpadAdd" => "+",
        "NumpadEnter" => "Ent",
        "NumpadDecimal" => ".",
        "NumpadComma" => ",",
        "NumpadEqual" => "=",
        "Numpad0" => "0",
        "Numpad1" => "1",
        "Numpad2" => "2",
        "Numpad3" => "3",
        "Numpad4" => "4",
        "Numpad5" => "5",
        "Numpad6" => "6",
        "Numpad7" => "7",
        "Numpad8" => "8",
        "Numpad9" => "9",
        "AudioVolumeDown" => "Vol−",
        "AudioVolumeUp" => "Vol+",
        "AudioVolumeMute" => "Mute",
        "MediaPlayPause" => "Play",
        "MediaStop" => "Stop",
        "MediaTrackNext" => "Next",
        "MediaTrackPrevious" => "Prev",
        "IntlRo" => "Ro",
        "IntlYen" => "¥",
        "KanaMode" => "Kana",
        "NonConvert" => "Muhenkan",
        "Convert" => "Henkan",
        "Lang1" => "Lang1",
        "Lang2" => "Lang2",
        "Unidentified" => "?",
        // F1-F24, Fn, Help: their code is their label.
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_layout_names_a_character_for_every_writing_key() {
        for layout in KeyboardLayout::ALL {
            for (codes, chars) in LAYOUT_ROWS.iter().zip(layout.rows()) {
                assert_eq!(codes.len(), chars.chars().count(), "{layout:?}: {chars}");
            }
            assert_eq!(KeyboardLayout::from_id(layout.id()), Some(layout));
        }
        for code in LAYOUT_ROWS.iter().flat_map(|r| r.iter()) {
            assert!(keytrack_wire::is_known_key(code), "{code}");
        }
    }

    #[test]
    fn labels_follow_the_layout_and_counts_stay_per_key() {
        assert_eq!(KeyboardLayout::Us.label("KeyY"), "Y");
        assert_eq!(KeyboardLayout::German.label("KeyY"), "Z");
        assert_eq!(KeyboardLayout::French.label("KeyQ"), "A");
        assert_eq!(KeyboardLayout::French.label("Digit2"), "É");
        assert_eq!(KeyboardLayout::Dvorak.label("KeyS"), "O");
        assert_eq!(KeyboardLayout::Colemak.label("KeyD"), "S");
        assert_eq!(KeyboardLayout::Nordic.label("Semicolon"), "Ö");
        assert_eq!(KeyboardLayout::Spanish.label("Semicolon"), "Ñ");
        assert_eq!(KeyboardLayout::Uk.label("Backslash"), "#");
        assert_eq!(KeyboardLayout::German.label("ShiftLeft"), "Shift");
        assert_eq!(KeyboardLayout::Us.label("F7"), "F7");
        assert_eq!(KeyboardLayout::or_us("klingon"), KeyboardLayout::Us);
    }

    #[test]
    fn keys_and_shortcuts_are_named_as_printed_in_the_layout() {
        assert_eq!(KeyboardLayout::Us.key_name("KeyE"), "E");
        assert_eq!(KeyboardLayout::Us.key_name("KeyO"), "O");
        assert_eq!(KeyboardLayout::German.key_name("KeyY"), "Z");
        assert_eq!(KeyboardLayout::French.key_name("KeyQ"), "A");
        assert_eq!(KeyboardLayout::Us.key_name("ShiftLeft"), "Left Shift");
        assert_eq!(KeyboardLayout::Us.key_name("Numpad1"), "Numpad 1");
        assert_eq!(KeyboardLayout::Us.key_name("NumpadAdd"), "Numpad +");
        assert_eq!(KeyboardLayout::Us.key_name("Space"), "Space");
        assert_eq!(KeyboardLayout::Us.key_name("F5"), "F5");
        assert_eq!(KeyboardLayout::Us.key_name("ArrowUp"), "Up arrow");
        assert_eq!(KeyboardLayout::Us.shortcut_name("Ctrl+KeyC"), "Ctrl+C");
        assert_eq!(KeyboardLayout::German.shortcut_name("Ctrl+Shift+KeyY"), "Ctrl+Shift+Z");
        assert_eq!(KeyboardLayout::Dvorak.shortcut_name("Meta+KeyS"), "Meta+O");
        assert_eq!(KeyboardLayout::Us.shortcut_name("Alt+Tab"), "Alt+Tab");
        // Every key of the whole keyboard has a name of its own: no two keys read alike.
        for layout in KeyboardLayout::ALL {
            let mut seen = std::collections::BTreeMap::new();
            for code in keytrack_wire::KEY_CODES {
                let name = layout.key_name(code);
                assert!(!name.is_empty(), "{layout:?} {code}");
                if let Some(other) = seen.insert(name.clone(), *code) {
                    let same_key_twice = [other, *code].iter().all(|c| ["Backslash", "IntlBackslash"].contains(c));
                    assert!(same_key_twice, "{layout:?}: {other} and {code} both read {name}");
                }
            }
        }
    }

    #[test]
    fn a_character_is_found_where_the_layout_puts_it() {
        assert_eq!(KeyboardLayout::Dvorak.key_for('e'), Some("KeyD"));
        assert_eq!(KeyboardLayout::Colemak.key_for('e'), Some("KeyK"));
        assert_eq!(KeyboardLayout::German.key_for('z'), Some("KeyY"));
        assert_eq!(KeyboardLayout::Us.key_for('ü'), None);
        assert_eq!(KeyboardLayout::Us.shape(), KeyboardShape::Ansi);
        assert_eq!(KeyboardLayout::German.shape(), KeyboardShape::Iso);
    }
}
