//! What the dashboard's pictures and the PDF report draw alike: the keyboard's keys and where
//! they sit, the logarithmic scale that shades keys and screen cells, and the colours.

/// The dashboard's two series colours (key presses, clicks).
pub const ACCENT: &str = "#2f6fde";
pub const SECOND: &str = "#e07b39";

/// (code, label, width in key units); rows of the main block, function row first. A US ANSI
/// keyboard: counts are per physical key, whatever the layout.
pub const KEYBOARD_ROWS: &[&[(&str, &str, f64)]] = &[
    &[
        ("Escape", "Esc", 1.0),
        ("F1", "F1", 1.0),
        ("F2", "F2", 1.0),
        ("F3", "F3", 1.0),
        ("F4", "F4", 1.0),
        ("F5", "F5", 1.0),
        ("F6", "F6", 1.0),
        ("F7", "F7", 1.0),
        ("F8", "F8", 1.0),
        ("F9", "F9", 1.0),
        ("F10", "F10", 1.0),
        ("F11", "F11", 1.0),
        ("F12", "F12", 1.0),
    ],
    &[
        ("Backquote", "`", 1.0),
        ("Digit1", "1", 1.0),
        ("Digit2", "2", 1.0),
        ("Digit3", "3", 1.0),
        ("Digit4", "4", 1.0),
        ("Digit5", "5", 1.0),
        ("Digit6", "6", 1.0),
        ("Digit7", "7", 1.0),
        ("Digit8", "8", 1.0),
        ("Digit9", "9", 1.0),
        ("Digit0", "0", 1.0),
        ("Minus", "-", 1.0),
        ("Equal", "=", 1.0),
        ("Backspace", "Backspace", 2.0),
    ],
    &[
        ("Tab", "Tab", 1.5),
        ("KeyQ", "Q", 1.0),
        ("KeyW", "W", 1.0),
        ("KeyE", "E", 1.0),
        ("KeyR", "R", 1.0),
        ("KeyT", "T", 1.0),
        ("KeyY", "Y", 1.0),
        ("KeyU", "U", 1.0),
        ("KeyI", "I", 1.0),
        ("KeyO", "O", 1.0),
        ("KeyP", "P", 1.0),
        ("BracketLeft", "[", 1.0),
        ("BracketRight", "]", 1.0),
        ("Backslash", "\\", 1.5),
    ],
    &[
        ("CapsLock", "Caps", 1.75),
        ("KeyA", "A", 1.0),
        ("KeyS", "S", 1.0),
        ("KeyD", "D", 1.0),
        ("KeyF", "F", 1.0),
        ("KeyG", "G", 1.0),
        ("KeyH", "H", 1.0),
        ("KeyJ", "J", 1.0),
        ("KeyK", "K", 1.0),
        ("KeyL", "L", 1.0),
        ("Semicolon", ";", 1.0),
        ("Quote", "'", 1.0),
        ("Enter", "Enter", 2.25),
    ],
    &[
        ("ShiftLeft", "Shift", 2.25),
        ("KeyZ", "Z", 1.0),
        ("KeyX", "X", 1.0),
        ("KeyC", "C", 1.0),
        ("KeyV", "V", 1.0),
        ("KeyB", "B", 1.0),
        ("KeyN", "N", 1.0),
        ("KeyM", "M", 1.0),
        ("Comma", ",", 1.0),
        ("Period", ".", 1.0),
        ("Slash", "/", 1.0),
        ("ShiftRight", "Shift", 2.75),
    ],
    &[
        ("ControlLeft", "Ctrl", 1.25),
        ("MetaLeft", "Meta", 1.25),
        ("AltLeft", "Alt", 1.25),
        ("Space", "Space", 6.25),
        ("AltRight", "Alt", 1.25),
        ("MetaRight", "Meta", 1.25),
        ("ContextMenu", "Menu", 1.25),
        ("ControlRight", "Ctrl", 1.25),
    ],
];

/// A key unit and the gap between keys, in drawing units.
pub const KEY_UNIT: f64 = 40.0;
pub const KEY_GAP: f64 = 4.0;

/// A key as drawn: code, label, and its box.
pub struct PlacedKey {
    pub code: &'static str,
    pub label: &'static str,
    pub x: f64,
    pub y: f64,
    pub width: f64,
}

/// The drawing's width and height.
pub fn keyboard_size() -> (f64, f64) {
    (15.0 * KEY_UNIT, KEYBOARD_ROWS.len() as f64 * KEY_UNIT + 0.5 * KEY_UNIT)
}

/// Every key of the drawing, row by row; the function row stands a little apart, as on a real
/// keyboard. Boxes are `width` x `KEY_UNIT - KEY_GAP`.
pub fn placed_keys() -> Vec<PlacedKey> {
    let mut placed = Vec::new();
    for (row_index, row) in KEYBOARD_ROWS.iter().enumerate() {
        let y = row_index as f64 * KEY_UNIT + if row_index > 0 { 0.5 * KEY_UNIT } else { 0.0 };
        let mut x = 0.0;
        for (code, label, units) in row.iter() {
            placed.push(PlacedKey { code, label, x, y, width: units * KEY_UNIT - KEY_GAP });
            x += units * KEY_UNIT;
        }
    }
    placed
}

/// Whether the drawing has this key.
pub fn is_drawn(code: &str) -> bool {
    KEYBOARD_ROWS.iter().flat_map(|r| r.iter()).any(|(c, _, _)| *c == code)
}

/// 0 for nothing, 1 for the largest count, logarithmic in between: a few keys (or screen cells)
/// take most of the counts, and a linear scale would leave the rest blank.
pub fn log_scale(n: u64, max: u64) -> f64 {
    if n == 0 || max == 0 { 0.0 } else { (1.0 + n as f64).ln() / (1.0 + max as f64).ln() }
}

/// A pointer heatmap cell's colour: blue through orange to red as heat rises.
pub fn pointer_colour(heat: f64) -> String {
    let hue = 220.0 - 220.0 * heat;
    format!("hsla({hue:.0}, 85%, 50%, {:.2})", 0.25 + 0.65 * heat)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_is_logarithmic_from_zero_to_one() {
        assert_eq!(log_scale(0, 100), 0.0);
        assert_eq!(log_scale(100, 100), 1.0);
        // 10 of 1,000 presses is 1% but a third of the way up the scale.
        assert!((log_scale(10, 1000) - 0.347).abs() < 0.01);
    }

    #[test]
    fn pointer_colours_go_from_blue_to_red() {
        assert_eq!(pointer_colour(0.0), "hsla(220, 85%, 50%, 0.25)");
        assert_eq!(pointer_colour(1.0), "hsla(0, 85%, 50%, 0.90)");
    }

    #[test]
    fn every_key_drawn_is_a_code_the_server_accepts() {
        for key in placed_keys() {
            assert!(keytrack_wire::is_known_key(key.code), "{}", key.code);
        }
        assert!(is_drawn("KeyA") && !is_drawn("ArrowUp"));
    }
}
